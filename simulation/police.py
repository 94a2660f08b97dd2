"""A police notification as MERLIN sends it: the one set of rules every generated one follows.

The calibrated year and the plain generator (`mash sample police`, `mash bench`, the tests)
both make their notifications here: ids, CRIS references, risk, the child's presence, the
envelope, the delay before reporting and the mix of incident types. They differ only in who
the child is (the year's population as police record it, or a pool of invented children)
and when the incident happened.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

from schemas.common import Agency, Child, LawfulBasis, RelatedPerson, SpecialCategoryCondition
from schemas.police import IncidentType, PoliceNotification, RiskLevel
from simulation.havering import DV, ISA_ID, OTHER_POLICE_NOTIFICATIONS, TENANT

__all__ = ["OTHER_INCIDENTS", "incident_type", "incident_types", "police_notification"]

OTHER_INCIDENTS = (
    IncidentType.NEGLECT,
    IncidentType.PHYSICAL_ASSAULT,
    IncidentType.MISSING,
    IncidentType.EXPLOITATION,
    IncidentType.SEXUAL_OFFENCE,
    IncidentType.OTHER,
)
"""What brings a child to police notice besides domestic abuse (each as likely as the next)."""
_OFFENCES = (IncidentType.DOMESTIC_ABUSE_OFFENCE, IncidentType.SEXUAL_OFFENCE)


def incident_types(
    rng: random.Random, offences: int, incidents: int, others: int = 0
) -> list[IncidentType]:
    """A year's incident types: ``incidents`` of domestic abuse, ``offences`` of them crimes
    (the board counts offences among incidents), and ``others`` of the other kinds."""
    return [
        *[IncidentType.DOMESTIC_ABUSE_OFFENCE] * offences,
        *[IncidentType.DOMESTIC_ABUSE_INCIDENT] * (incidents - offences),
        *rng.choices(OTHER_INCIDENTS, k=others),
    ]


_MIX = DV["2012-13"]
_KINDS = (IncidentType.DOMESTIC_ABUSE_OFFENCE, IncidentType.DOMESTIC_ABUSE_INCIDENT)
_WEIGHTS = (
    _MIX["offences"],
    _MIX["incidents"] - _MIX["offences"],
    *[OTHER_POLICE_NOTIFICATIONS / len(OTHER_INCIDENTS)] * len(OTHER_INCIDENTS),
)


def incident_type(rng: random.Random) -> IncidentType:
    """One incident type, as likely as in the calibrated year (``incident_types`` of 2012-13)."""
    return rng.choices((*_KINDS, *OTHER_INCIDENTS), weights=_WEIGHTS)[0]


def police_notification(
    rng: random.Random,
    serial: int,
    subject: Child,
    occurred: dt.datetime,
    incident: IncidentType,
    related: tuple[RelatedPerson, ...] = (),
) -> PoliceNotification:
    """Police's ``serial``-th notification: ``subject`` (as police recorded them) came to notice
    through ``incident`` at ``occurred``; reported to the MASH 1 to 36 hours later."""
    ref = f"MER-{occurred:%y}-{serial:07d}"
    return PoliceNotification(
        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        event_type=PoliceNotification.EVENT_TYPE,
        source_agency=Agency.POLICE,
        source_system="MERLIN",
        agency_record_id=ref,
        occurred_at=occurred,
        reported_at=occurred + dt.timedelta(minutes=rng.randrange(60, 36 * 60 + 1)),
        tenant=TENANT,
        lawful_basis=LawfulBasis.LAW_ENFORCEMENT,
        special_category_condition=SpecialCategoryCondition.PART3_S35_SCH8,
        purpose="safeguarding of a child coming to police notice",
        isa_id=ISA_ID,
        reporter_role="police officer",
        reporter_team_id=f"MPS-RM-{rng.randrange(1, 9):02d}",
        subject=subject,
        related_persons=related,
        merlin_ref=ref,
        cris_ref=_crime_reference(rng, incident),
        incident_type=incident,
        child_present=rng.random() < 0.6,
        risk_level=rng.choices(list(RiskLevel), weights=[70, 22, 8])[0],
    )


def _crime_reference(rng: random.Random, incident: IncidentType) -> str | None:
    """A CRIS reference where a crime was recorded: every offence, a fifth of the other
    incidents, never a domestic abuse incident (one that is a crime is an offence)."""
    crime = incident in _OFFENCES or (
        incident is not IncidentType.DOMESTIC_ABUSE_INCIDENT and rng.random() < 0.2
    )
    return f"CRIS-{rng.randrange(10**7):07d}" if crime else None
