"""The MASH front door, children's services' side: a contact is RAG-rated, research is asked
of the agencies, a decision is made, and a referral leads to an assessment."""

from __future__ import annotations

import datetime as dt

from schemas.childrens_services import (
    Assessment,
    Contact,
    MashDecision,
    MashOutcome,
    Referral,
    ResearchRequest,
    ResearchResponse,
)
from schemas.codes import CinFactor, CinReferralSource, RagRating
from schemas.common import Agency
from simulation.builder import YearBuilder
from simulation.havering import FY_END
from simulation.population import Person

__all__ = ["contact"]


def contact(
    b: YearBuilder, person: Person, received: dt.datetime, source: CinReferralSource
) -> None:
    cs = Agency.CHILDRENS_SERVICES
    contact_id = b.ref("CON")
    rag = b.rng.choices(list(RagRating), weights=[10, 35, 55])[0]
    at = received + dt.timedelta(minutes=b.rng.randrange(10, 240))
    b.child_event(
        Contact,
        cs,
        person,
        at,
        contact_id,
        contact_id=contact_id,
        referral_source=source,
        rag_rating=rag,
        already_open=b.rng.random() < 0.15,
    )
    hours = {RagRating.RED: 4, RagRating.AMBER: 24, RagRating.GREEN: 72}[rag]
    if rag is not RagRating.GREEN:
        agencies = (Agency.POLICE, Agency.HEALTH, Agency.EDUCATION)
        request = b.ref("RR")
        b.child_event(
            ResearchRequest,
            cs,
            person,
            at + dt.timedelta(minutes=20),
            request,
            contact_id=contact_id,
            requested_agencies=agencies,
            due_at=at + dt.timedelta(hours=hours),
        )
        for agency in agencies:
            b.child_event(
                ResearchResponse,
                cs,
                person,
                at + dt.timedelta(minutes=b.rng.randrange(30, int(hours * 60 * 1.2))),
                f"{request}-{agency.value}",
                contact_id=contact_id,
                responding_agency=agency,
                information_held=b.rng.random() < 0.6,
                consent_to_release=b.rng.random() < 0.8,
            )
    decision = b.rng.choices(list(MashOutcome), weights=[45, 25, 20, 8, 2])[0]
    decided = at + dt.timedelta(hours=b.rng.uniform(0.5, hours * 1.15))
    b.child_event(
        MashDecision,
        cs,
        person,
        decided,
        f"{contact_id}-D",
        contact_id=contact_id,
        decision=decision,
        referrer_informed=b.rng.random() < 0.9,
    )
    if decision in (
        MashOutcome.CIN_ASSESSMENT_S17,
        MashOutcome.STRATEGY_S47,
        MashOutcome.IMMEDIATE_PROTECTION,
    ):
        _referral(b, person, decided, contact_id, source)


def _referral(
    b: YearBuilder, person: Person, at: dt.datetime, contact_id: str, source: CinReferralSource
) -> None:
    cs = Agency.CHILDRENS_SERVICES
    referral = b.ref("REF")
    b.child_event(
        Referral,
        cs,
        person,
        at + dt.timedelta(hours=1),
        referral,
        referral_id=referral,
        contact_id=contact_id,
        referral_source=source,
    )
    done = min(
        at + dt.timedelta(days=b.rng.randrange(5, 45)),
        dt.datetime.combine(FY_END, dt.time(12), dt.UTC),
    )
    factors = tuple(
        sorted(
            set(
                b.rng.choices(
                    [
                        CinFactor.F3A,
                        CinFactor.F3B,
                        CinFactor.F4B,
                        CinFactor.F2B,
                        CinFactor.F1B,
                        CinFactor.F16A,
                        CinFactor.F17A,
                        CinFactor.F21,
                    ],
                    k=b.rng.randrange(1, 4),
                )
            )
        )
    )
    assessment = b.ref("ASM")
    b.child_event(
        Assessment,
        cs,
        person,
        done,
        assessment,
        assessment_id=assessment,
        referral_id=referral,
        factors=factors,
        closure_reason=None,
    )
