"""The board's figures from the partnership: early help (CAF), child deaths (CDOP), the LADO,
domestic abuse and MARAC."""

from __future__ import annotations

from collections import Counter

from schemas.event_types import EventType
from sinks.figures import FactIndex, Figures
from sinks.periods import Period

__all__ = ["deaths_and_lado", "domestic_abuse", "early_help"]


def early_help(known: FactIndex, year: Period, out: Figures) -> None:
    """CAFs by setting and primary need, and the share whose needs were met."""
    cafs = [f for f in known.of(EventType.CAF_COMPLETED) if f.occurred_on in year]
    settings = Counter(dict.fromkeys(("CHILDRENS_CENTRE", "SCHOOL", "HEALTH", "OTHER"), 0))
    settings.update(f.data["setting"] for f in cafs)
    out.count("caf_completed", year.label, settings)
    out.rate(
        "caf_needs_met", year.label, "", sum(bool(f.data["needs_met"]) for f in cafs), len(cafs)
    )
    out.count("caf_need", year.label, Counter(f.data["primary_need"] for f in cafs))


def deaths_and_lado(known: FactIndex, year: Period, out: Figures) -> None:
    """Child deaths reviewed and panels, LADO referrals by sector, MARAC cases."""
    deaths = [f for f in known.of(EventType.CHILD_DEATH_REVIEWED) if f.day("panel_date") in year]
    types = Counter(dict.fromkeys(("EXPECTED", "UNEXPECTED"), 0))
    types.update(f.data["death_type"] for f in deaths)
    out.count("cdop_reviewed", year.label, types)
    out.count("cdop_panels", year.label, {"": len({f.data["panel_date"] for f in deaths})})
    out.count(
        "cdop_co_sleeping", year.label, {"": sum(bool(f.data["co_sleeping"]) for f in deaths)}
    )
    lado = Counter(
        f.data["sector"] for f in known.of(EventType.LADO_ALLEGATION) if f.occurred_on in year
    )
    out.count("lado_referrals", year.label, lado)
    meetings = [
        f
        for f in known.of(EventType.MARAC_CASE)
        if (day := f.day("meeting_date")) and day.year == year.start.year
    ]
    out.count(
        "marac_cases",
        str(year.start.year),
        {
            "cases": len(meetings),
            "children": sum(f.data["children"] for f in meetings),
            "unborn": sum(f.data["unborn"] for f in meetings),
        },
    )


def domestic_abuse(known: FactIndex, year: Period, out: Figures) -> None:
    """Domestic abuse offences and incidents, and the change on the year before."""
    police = known.of(EventType.POLICE_NOTIFICATION)
    counts: dict[str, list[int]] = {"dv_offences": [], "dv_incidents": []}
    for period in (year, year.year_before()):
        kinds = Counter(f.data["incident_type"] for f in police if f.occurred_on in period)
        offences = kinds["DOMESTIC_ABUSE_OFFENCE"]
        incidents = offences + kinds["DOMESTIC_ABUSE_INCIDENT"]
        out.count("dv_offences", period.label, {"": offences})
        out.count("dv_incidents", period.label, {"": incidents})
        counts["dv_offences"].append(offences)
        counts["dv_incidents"].append(incidents)
    for name, (now, before) in counts.items():
        out.rate("dv_change", year.label, name.removeprefix("dv_"), now - before, before)
