"""The board's figures for the MASH's own flow: contacts, decisions, referrals, RAG timeliness,
and partner notifications merged into one episode."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

from schemas.event_types import PARTNER_NOTIFICATIONS, EventType
from sinks.figures import EpisodeFlow, FactIndex, Figures
from sinks.periods import Period, count_by_month, minus_year

__all__ = ["mash_flow"]


def mash_flow(
    known: FactIndex, year: Period, episodes: Sequence[EpisodeFlow], out: Figures
) -> None:
    """Contacts, decisions, conversion, re-referrals, RAG timeliness, merged notifications."""
    contacts = [f for f in known.of(EventType.CONTACT) if f.occurred_on in year]
    out.count(
        "contacts_by_source", year.label, Counter(f.data["referral_source"] for f in contacts)
    )
    every = known.of(EventType.CONTACT)
    for period in (year, year.year_before()):
        days = (f.occurred_on for f in every)
        out.count("contacts_by_month", period.label, count_by_month(period, days))
    rag = Counter(dict.fromkeys(("RED", "AMBER", "GREEN"), 0))
    rag.update(f.data["rag_rating"] for f in contacts)
    out.count("contacts_by_rag", year.label, rag)
    decisions = [f for f in known.of(EventType.MASH_DECISION) if f.occurred_on in year]
    out.count("mash_outcomes", year.label, Counter(f.data["decision"] for f in decisions))
    all_referrals = known.of(EventType.REFERRAL)
    referrals = [f for f in all_referrals if f.occurred_on in year]
    out.rate("contact_conversion", year.label, "", len(referrals), len(contacts))
    referred_on: dict[str, list[dt.date]] = defaultdict(list)
    for f in all_referrals:
        if person := known.person.get(f.event_id):
            referred_on[person].append(f.occurred_on)
    again = sum(
        1
        for f in referrals
        if any(
            minus_year(f.occurred_on) <= d < f.occurred_on
            for d in referred_on.get(known.person.get(f.event_id, ""), [])
        )
    )
    out.rate("re_referrals", year.label, "", again, len(referrals))
    opened = [e for e in episodes if e.opened_at.date() in year]
    decided = [e for e in opened if e.rag_rating and e.due_at and e.decided_at]
    for rating in ("RED", "AMBER", "GREEN", ""):
        mine = [e for e in decided if rating in ("", e.rag_rating)]
        on_time = sum(1 for e in mine if e.decided_at and e.due_at and e.decided_at <= e.due_at)
        out.rate("rag_timeliness", year.label, rating, on_time, len(mine))
    notified = [
        (e, sum(1 for x in e.events if x.event_type in PARTNER_NOTIFICATIONS)) for e in opened
    ]
    with_notes = [(e, n) for e, n in notified if n]
    merged = sum(n - 1 for _, n in with_notes)
    total = sum(n for _, n in with_notes)
    out.rate("merged_notifications", year.label, "", merged, total)
    multi = sum(
        1
        for e, _ in with_notes
        if len({x.agency for x in e.events if x.event_type in PARTNER_NOTIFICATIONS}) > 1
    )
    out.count("merged_notifications", year.label, {"multi-agency episodes": multi})
