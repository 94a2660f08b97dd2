"""Wall-clock RAG alerts: a breach at the due time with no further event, a warning before it
counted in working hours (weekends and bank holidays skipped), each alert once."""

from __future__ import annotations

import datetime as dt

from schemas.alerts import AlertKind
from schemas.hub import EpisodeSnapshot
from streams.alerts import due_alerts
from streams.episodes import Hours, RagPolicy, due_at

CALENDAR = RagPolicy()
WORKING = RagPolicy(counting=Hours.WORKING)
HALF_HOUR = dt.timedelta(minutes=30)


def _episode(received: dt.datetime, rating: str, policy: RagPolicy, n: int = 1) -> EpisodeSnapshot:
    return EpisodeSnapshot(
        episode_id=f"E{n}",
        person_id=f"P{n}",
        opened_at=received,
        events=(),
        agencies=("POLICE",),
        rag_rating=rating,
        received_at=received,
        due_at=due_at(received, rating, policy),
    )


def _kinds(alerts: list[object]) -> list[tuple[str, str]]:
    return [(a.episode_id, a.kind.value) for a in alerts]  # type: ignore[attr-defined]


def test_a_red_episode_breaches_at_its_due_time_with_no_further_event() -> None:
    received = dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC)  # a Wednesday, GMT
    red = _episode(received, "RED", CALENDAR)
    assert due_alerts([red], received + dt.timedelta(hours=3), CALENDAR, HALF_HOUR) == []
    warned = due_alerts([red], received + dt.timedelta(hours=3, minutes=31), CALENDAR, HALF_HOUR)
    assert _kinds(warned) == [("E1", "WARNING")]
    (breach,) = due_alerts([red], received + dt.timedelta(hours=4), CALENDAR, HALF_HOUR)
    assert (breach.kind, breach.due_at) == (
        AlertKind.BREACH,
        dt.datetime(2025, 3, 5, 14, 0, tzinfo=dt.UTC),
    )
    assert breach.alert_id == "E1|BREACH|2025-03-05T14:00:00+00:00"


def test_each_alert_is_raised_once_and_a_decided_episode_none() -> None:
    received = dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC)
    red = _episode(received, "RED", CALENDAR)
    later = received + dt.timedelta(hours=5)
    first = due_alerts([red], later, CALENDAR, HALF_HOUR)
    again = due_alerts([red], later, CALENDAR, HALF_HOUR, {a.alert_id for a in first})
    assert len(first) == 1 and again == []
    decided = red.model_copy(update={"decided_at": received + dt.timedelta(hours=1)})
    assert due_alerts([decided], later, CALENDAR, HALF_HOUR) == []
    assert due_alerts([red], later, CALENDAR, dt.timedelta(0))[0].kind is AlertKind.BREACH


def test_working_hours_skip_the_weekend_for_the_breach_and_the_warning() -> None:
    friday = dt.datetime(2025, 3, 7, 15, 0, tzinfo=dt.UTC)  # 15:00 London (GMT): 2 h left Friday
    red = _episode(friday, "RED", WORKING)
    assert red.due_at == dt.datetime(2025, 3, 10, 11, 0, tzinfo=dt.UTC)  # Monday 11:00
    saturday = dt.datetime(2025, 3, 8, 12, 0, tzinfo=dt.UTC)
    assert due_alerts([red], saturday, WORKING, dt.timedelta(hours=1)) == []
    # Friday 16:30 is 2.5 working hours before Monday 11:00: within a three-hour warning
    friday_late = dt.datetime(2025, 3, 7, 16, 30, tzinfo=dt.UTC)
    assert _kinds(due_alerts([red], friday_late, WORKING, dt.timedelta(hours=3))) == [
        ("E1", "WARNING")
    ]
    assert (
        due_alerts([red], friday_late, CALENDAR, dt.timedelta(hours=3)) == []
    )  # 66.5 h by the clock


def test_a_bank_holiday_is_not_a_working_day() -> None:
    before_easter = dt.datetime(2025, 4, 17, 15, 0, tzinfo=dt.UTC)  # Thursday 16:00 BST
    red = _episode(before_easter, "RED", WORKING)
    # one working hour on Thursday, none on Good Friday, the weekend or Easter Monday
    assert red.due_at == dt.datetime(2025, 4, 22, 11, 0, tzinfo=dt.UTC)  # Tuesday 12:00 BST
    easter_monday = dt.datetime(2025, 4, 21, 15, 0, tzinfo=dt.UTC)
    assert due_alerts([red], easter_monday, WORKING, dt.timedelta(hours=2)) == []
    tuesday = dt.datetime(2025, 4, 22, 9, 30, tzinfo=dt.UTC)  # 10:30 BST, 1.5 h before
    assert _kinds(due_alerts([red], tuesday, WORKING, dt.timedelta(hours=2))) == [("E1", "WARNING")]
    assert _kinds(due_alerts([red], red.due_at, WORKING, dt.timedelta(hours=2))) == [
        ("E1", "BREACH")
    ]
