"""De-duplication: re-sends and re-submissions are caught; corrections pass; old state expires."""

from __future__ import annotations

import datetime as dt
import uuid

from producers.synthetic import police_notifications
from schemas.police import PoliceNotification
from streams.dedupe import dedupe, expired, record_key
from streams.records import Incoming, Valid


def _valid(records: list[PoliceNotification]) -> list[Valid]:
    return [Valid(Incoming("t", 0, n, None, b""), r) for n, r in enumerate(records)]


def _records(n: int) -> list[PoliceNotification]:
    return list(police_notifications(n, 4, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))


def test_resends_resubmissions_and_corrections() -> None:
    a, b = _records(2)
    resubmitted = a.model_copy(
        update={"event_id": uuid.uuid4(), "reported_at": a.reported_at + dt.timedelta(days=3)}
    )
    corrected = a.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "risk_level": "HIGH" if a.risk_level != "HIGH" else "STANDARD",
        }
    )
    out = dedupe(_valid([a, b, a, resubmitted, corrected]), {}, {}, now_ms=1)
    assert [v.event for v in out.fresh] == [a, b, corrected]
    assert [v.event for v in out.resent] == [a]
    assert [v.event for v in out.resubmitted] == [resubmitted]
    assert out.records[record_key(a)].startswith(out.records[record_key(a)].split("@")[0])


def test_state_from_earlier_batches_is_used() -> None:
    a, b = _records(2)
    first = dedupe(_valid([a]), {}, {}, now_ms=1)
    again = dedupe(_valid([a, b]), first.seen_ids, first.records, now_ms=2)
    assert [v.event for v in again.resent] == [a] and [v.event for v in again.fresh] == [b]


def test_an_event_replayed_after_its_id_mark_was_lost_is_not_a_resubmission() -> None:
    (a,) = _records(1)
    first = dedupe(_valid([a]), {}, {}, now_ms=1)
    replay = dedupe(_valid([a]), {}, first.records, now_ms=2)  # seen id lost, record kept
    assert [v.event for v in replay.resent] == [a] and not replay.resubmitted


def test_entries_older_than_the_horizon_expire() -> None:
    entries = [("e1", 1_000), ("e2", 5_000), ("POLICE:MER-1", "abc@e9@2000")]
    assert expired(entries, now_ms=6_000, horizon_ms=3_500) == ["e1", "POLICE:MER-1"]
