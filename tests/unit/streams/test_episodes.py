"""Episodes: one incident seen by several agencies is one episode; the RAG clock runs."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from functools import cache
from typing import Any

from schemas.event_types import PARTNER_NOTIFICATIONS, EventType
from simulation.year import simulate
from streams.dedupe import dedupe
from streams.episodes import (
    JOINS_BY_CONTACT,
    JOINS_BY_WINDOW,
    EventSummary,
    Hours,
    RagPolicy,
    build_episodes,
    due_at,
)
from streams.hub import HubState
from streams.records import Incoming, Valid

T0 = dt.datetime(2012, 6, 4, 22, 0, tzinfo=dt.UTC)  # a Monday night


def _e(n: int, kind: str, agency: str, hours: float, **extra: Any) -> EventSummary:
    return EventSummary(f"e{n}", kind, agency, f"R{n}", T0 + dt.timedelta(hours=hours), **extra)


def test_police_ae_and_school_about_one_incident_are_one_episode() -> None:
    events = [
        _e(1, "police.notification", "POLICE", 0),
        _e(2, "health.notification", "HEALTH", 3),
        _e(
            3,
            "childrens_services.contact",
            "CHILDRENS_SERVICES",
            4,
            contact_id="C1",
            rag_rating="AMBER",
        ),
        _e(4, "education.concern", "EDUCATION", 36),
        _e(5, "childrens_services.research_response", "CHILDRENS_SERVICES", 30, contact_id="C1"),
        _e(
            6,
            "childrens_services.mash_decision",
            "CHILDRENS_SERVICES",
            20,
            contact_id="C1",
            decision="EARLY_HELP",
        ),
        _e(7, "police.notification", "POLICE", 24 * 10),  # a new incident ten days later
    ]
    first, second = build_episodes("p", events, RagPolicy(), now=T0 + dt.timedelta(days=20))
    assert [e.event_id for e in first.events] == ["e1", "e2", "e3", "e6", "e5", "e4"]
    assert first.agencies == ("EDUCATION", "HEALTH", "POLICE")
    assert (first.contact_id, first.decision, first.research_responses) == ("C1", "EARLY_HELP", 1)
    assert first.due_at == T0 + dt.timedelta(hours=4 + 24) and not first.breached
    assert [e.event_id for e in second.events] == ["e7"] and second.contact_id is None


def test_a_late_or_missing_decision_breaches_the_clock() -> None:
    events = [
        _e(
            1,
            "childrens_services.contact",
            "CHILDRENS_SERVICES",
            0,
            contact_id="C",
            rag_rating="RED",
        ),
        _e(
            2,
            "childrens_services.mash_decision",
            "CHILDRENS_SERVICES",
            5,
            contact_id="C",
            decision="STRATEGY_S47",
        ),
    ]
    late = build_episodes("p", events, RagPolicy(), now=T0)[0]
    assert late.breached
    waiting = build_episodes("p", events[:1], RagPolicy(), now=T0 + dt.timedelta(hours=3))[0]
    assert not waiting.breached
    overdue = build_episodes("p", events[:1], RagPolicy(), now=T0 + dt.timedelta(hours=5))[0]
    assert overdue.breached


def test_working_hours_skip_nights_and_weekends() -> None:
    policy = RagPolicy(hours={"RED": 2, "AMBER": 6, "GREEN": 24}, counting=Hours.WORKING)
    # Friday 16:00 GMT: one hour on Friday, five on Monday (9:00-14:00)
    friday_4pm = dt.datetime(2012, 11, 9, 16, 0, tzinfo=dt.UTC)
    assert due_at(friday_4pm, "AMBER", policy) == dt.datetime(2012, 11, 12, 14, 0, tzinfo=dt.UTC)


def test_working_hours_are_london_hours_in_summer_time() -> None:
    # defect: counted in UTC, a RED contact received at 09:30 BST (08:30 UTC) was due at
    # 14:00 BST; four working hours from 09:30 local end at 13:30 local (12:30 UTC)
    policy = RagPolicy(counting=Hours.WORKING)
    received = dt.datetime(2024, 7, 10, 8, 30, tzinfo=dt.UTC)
    assert due_at(received, "RED", policy) == dt.datetime(2024, 7, 10, 12, 30, tzinfo=dt.UTC)


def test_bank_holidays_are_not_working_days() -> None:
    policy = RagPolicy(hours={"RED": 2, "AMBER": 6, "GREEN": 24}, counting=Hours.WORKING)
    # Christmas Eve 16:00: one hour, then 25 and 26 December are bank holidays: Friday 27th
    christmas_eve = dt.datetime(2024, 12, 24, 16, 0, tzinfo=dt.UTC)
    assert due_at(christmas_eve, "AMBER", policy) == dt.datetime(2024, 12, 27, 14, 0, tzinfo=dt.UTC)
    # Maundy Thursday 16:00 BST: Good Friday, the weekend and Easter Monday pass; Tuesday
    # 9:00-14:00 BST is 13:00 UTC
    maundy = dt.datetime(2025, 4, 17, 15, 0, tzinfo=dt.UTC)
    assert due_at(maundy, "AMBER", policy) == dt.datetime(2025, 4, 22, 13, 0, tzinfo=dt.UTC)


@cache
def _year_events() -> list[Any]:
    sim = simulate("havering-2012", seed=5)
    kinds = [
        "police.notification",
        "health.notification",
        "education.concern",
        "childrens_services.contact",
        "childrens_services.mash_decision",
        "childrens_services.research_response",
    ]
    events = [e for k in kinds for e in sim.events[k]][:6000]
    outcome = dedupe(
        [Valid(Incoming("t", 0, n, None, b""), e) for n, e in enumerate(events)], {}, 0
    )
    return [v.event for v in outcome.fresh + outcome.resent]  # re-submissions stop at intake


def test_a_re_submission_that_reaches_linkage_is_ignored() -> None:
    events = _year_events()[:200]
    state = HubState()
    state.process(events, "t")
    again = [e.model_copy(update={"event_id": uuid.uuid4()}) for e in events[:50]]
    out = state.process(again, "t")
    assert out.links == [] and out.episodes == {} and out.records == {}


def test_a_re_send_that_reaches_linkage_leaves_its_links_as_they_were() -> None:
    # the intake forwards re-sends (same event id); linking one again restated every record's
    # link as "already indexed" at the top weight, overwriting the weight it was linked with
    events = _year_events()[:200]
    state = HubState()
    first = state.process(events, "t")
    weights = {link.record_id: link.weight for link in first.links}
    assert len(set(weights.values())) > 1  # new persons (0) and links of several weights
    out = state.process(events[:50], "t")
    assert out.links == [] and out.records == {} and out.audit == []
    assert out.episodes == {}


def test_persons_and_episodes_do_not_depend_on_order_or_batching() -> None:
    runs = []
    for seed, size in ((1, 500), (2, 73), (3, 1000)):
        state = HubState()
        events = random.Random(seed).sample(_year_events(), len(_year_events()))
        for i in range(0, len(events), size):
            state.process(events[i : i + size], "t")
        runs.append((state.linker.person, state.snapshots))
    assert runs[0] == runs[1] == runs[2]


def test_a_restored_state_is_the_state_it_was() -> None:
    state = HubState()
    records = []
    for i in range(0, 3000, 250):
        out = state.process(_year_events()[i : i + 250], "t")
        records += out.records.values()
    again = HubState()
    again.restore(random.Random(9).sample(records, len(records)))
    assert again.linker.person == state.linker.person
    assert again.snapshots == state.snapshots


def test_partner_notifications_and_the_contact_open_episodes() -> None:
    # only the partners' notifications make an episode's agencies
    assert {*PARTNER_NOTIFICATIONS, EventType.CONTACT} == JOINS_BY_WINDOW
    assert not JOINS_BY_WINDOW & JOINS_BY_CONTACT
    cs = "CHILDRENS_SERVICES"
    events = [
        _e(1, EventType.ASSESSMENT, cs, 0, contact_id="C"),  # neither opens nor joins
        _e(2, EventType.PROBATION_NOTIFICATION, "PROBATION", 1),
        _e(3, EventType.CONTACT, cs, 2, contact_id="C", rag_rating="GREEN"),
        _e(4, EventType.REFERRAL, cs, 24 * 30, contact_id="C"),  # joins by contact, however late
    ]
    [episode] = build_episodes("p", events, RagPolicy(), now=T0 + dt.timedelta(days=40))
    assert [e.event_id for e in episode.events] == ["e2", "e3", "e4"]
    assert episode.agencies == ("PROBATION",)


def test_an_episode_carries_its_records_tenants_sorted_without_the_unknown() -> None:
    events = [
        _e(1, EventType.POLICE_NOTIFICATION, "POLICE", 0, tenant="LBH"),
        _e(2, EventType.HEALTH_NOTIFICATION, "HEALTH", 1, tenant="LBB"),
        _e(3, EventType.EDUCATION_CONCERN, "EDUCATION", 2),  # stored before tenants were kept
        _e(4, EventType.POLICE_NOTIFICATION, "POLICE", 200, tenant="LBH"),  # a later episode
    ]
    first, later = build_episodes("P1", events, RagPolicy(), T0)
    assert first.tenants == ("LBB", "LBH") and later.tenants == ("LBH",)


def test_episodes_set_aside_are_built_again_alike_when_needed() -> None:
    """A live worker lets go of the episodes of persons with no RAG clock at each index save
    (``HubState.set_aside_episodes``): every batch after gives the same outputs, and the
    episodes read are the same, as a worker that kept them all."""
    sim = simulate("havering-2012", seed=5)
    kinds = (sim.events[k][:500] for k in sorted(sim.events))  # contacts too: RAG clocks
    mixed = [e for group in zip(*kinds, strict=False) for e in group]
    events = [
        v.event
        for v in dedupe(
            [Valid(Incoming("t", 0, n, None, b""), e) for n, e in enumerate(mixed)], {}, 0
        ).fresh
    ]
    kept, aside = HubState(), HubState()
    let_go = []
    for i in range(0, len(events), 250):
        batch = events[i : i + 250]
        one, two = kept.process(batch, "t"), aside.process(batch, "t")
        assert (two.links, two.episodes, two.audit) == (one.links, one.episodes, one.audit)
        let_go.append(aside.set_aside_episodes())
        assert all(e.due_at is not None for e in aside.episodes.values())
    assert all(n > 0 for n in let_go)
    assert 0 < len(aside.episodes) < len(kept.episodes)  # the clocked persons' kept
    assert aside.snapshots == kept.snapshots
