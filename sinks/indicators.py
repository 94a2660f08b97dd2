"""The board's indicators, each defined once: what it counts, over which period, and which way
is good; shown with its figures wherever they are shown."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CP_CATEGORIES", "DURATION_BANDS", "INDICATORS", "Good", "Indicator"]

CP_CATEGORIES = ("EMO", "NEG", "PHY", "SAB")
DURATION_BANDS = ("unborn", "0-6", "7-12", "13-18", "19-21", "22+")


class Good(StrEnum):
    """Which way an indicator should move."""

    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class Indicator:
    """An indicator's definition, shown with it wherever it is shown."""

    id: str
    title: str
    counts: str
    """What is counted (for a rate: the numerator)."""
    period: str
    denominator: str | None = None
    """For a rate: what it is out of."""
    good: Good | None = None
    target: float | None = None
    suppress: bool = True
    """Whether the board's view applies small-number suppression (counts of children)."""

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None


_FY = "the financial year to the reporting date"
_PRIOR = "; compared with the same span of the year before"

INDICATORS: dict[str, Indicator] = {
    i.id: i
    for i in (
        Indicator(
            "cp_open",
            "Children subject of a child protection plan, by category and duration",
            "plans started on or before the reporting date and not ended by it, by the plan's "
            "category and its months open (unborn: the child was not born when it started)",
            "at the reporting date",
        ),
        Indicator(
            "cp_new",
            "New child protection plans, by category",
            "plans whose start date falls in the period, by category",
            _FY + _PRIOR,
        ),
        Indicator(
            "cp_new_by_month",
            "New child protection plans by month",
            "plans whose start date falls in the month",
            "each month of " + _FY,
        ),
        Indicator(
            "lac_moves",
            "Looked-after children with 3 or more placements in the year (NI62)",
            "children looked after at the quarter end with 3 or more placements counted from "
            "1 April (the placement they were in on 1 April counts as one)",
            "year to date, at each quarter end",
            denominator="children looked after at the quarter end",
            good=Good.LOWER,
            target=13.0,
        ),
        Indicator(
            "lac_stability",
            "Looked-after children in the same placement for 2 years or more (NI63)",
            "of the denominator, children whose current placement has lasted 2 years or more",
            "at each quarter end",
            denominator="children under 16 looked after at the quarter end for 2.5 years or more",
            good=Good.HIGHER,
            target=75.0,
        ),
        Indicator(
            "lac_adoption",
            "Children who ceased to be looked after through adoption or special guardianship",
            "of the denominator, those whose reason ceased is adoption (E11, E12) or a special "
            "guardianship order (E45-E48)",
            "year to date, at each quarter end",
            denominator="children who ceased to be looked after in the year to date",
            good=Good.HIGHER,
            target=11.0,
        ),
        Indicator(
            "lac_adoption_orders",
            "Adoption orders granted",
            "looked-after periods ended by an adoption order (E11, E12) in the period",
            _FY,
        ),
        Indicator(
            "lac_awaiting_adoption",
            "Children placed with prospective adopters awaiting an order",
            "children looked after at the reporting date whose placement is for adoption "
            "(placement types A3-A6)",
            "at the reporting date",
        ),
        Indicator(
            "caf_completed",
            "CAFs completed, by setting",
            "common assessments completed in the period, by where they were completed",
            _FY,
        ),
        Indicator(
            "caf_needs_met",
            "CAFs whose identified needs were met",
            "of the denominator, those recorded as having the needs met by the CAF actions",
            _FY,
            denominator="CAFs completed in the period",
            good=Good.HIGHER,
            suppress=False,
        ),
        Indicator(
            "caf_need",
            "CAFs by primary need identified",
            "common assessments completed in the period, by the primary need",
            _FY,
        ),
        Indicator(
            "cdop_reviewed",
            "Child deaths reviewed, expected and unexpected",
            "deaths reviewed by the child death overview panel in the period",
            _FY,
        ),
        Indicator(
            "cdop_panels",
            "Child death overview panel meetings",
            "distinct panel dates in the period",
            _FY,
            suppress=False,
        ),
        Indicator(
            "cdop_co_sleeping",
            "Child deaths linked to co-sleeping",
            "deaths reviewed in the period where co-sleeping was a factor",
            _FY,
        ),
        Indicator(
            "lado_referrals",
            "Referrals to the LADO, by sector",
            "allegations against people who work with children, received in the period",
            _FY,
        ),
        Indicator(
            "dv_offences",
            "Domestic abuse offences",
            "police notifications of a domestic abuse offence, by date of the incident",
            _FY + _PRIOR,
            suppress=False,
        ),
        Indicator(
            "dv_incidents",
            "Domestic abuse incidents (offences included)",
            "police notifications of a domestic abuse incident or offence",
            _FY + _PRIOR,
            suppress=False,
        ),
        Indicator(
            "dv_change",
            "Year-on-year change in domestic abuse",
            "this period's count less the same span of the year before",
            _FY + _PRIOR,
            denominator="the count for the same span of the year before",
            suppress=False,
        ),
        Indicator(
            "marac_cases",
            "MARAC cases, children and unborn children",
            "cases heard at MARAC in the calendar year, with the children (born and unborn) "
            "in them",
            "the calendar year in which the financial year starts",
        ),
        Indicator(
            "contacts_by_source",
            "Contacts to the MASH by source",
            "MASH contacts received in the period, by CIN census referral source",
            _FY,
        ),
        Indicator(
            "contacts_by_month",
            "Contacts to the MASH by month",
            "MASH contacts received in the month",
            "each month of " + _FY,
        ),
        Indicator(
            "contacts_by_rag",
            "Contacts by RAG rating",
            "MASH contacts received in the period, by the RAG rating given at screening",
            _FY,
        ),
        Indicator(
            "rag_timeliness",
            "MASH decisions made within the RAG timescale",
            "of the denominator, episodes decided by the time their RAG clock ran out",
            _FY,
            denominator="episodes with a rated contact, decided, opened in the period",
            good=Good.HIGHER,
            suppress=False,
        ),
        Indicator(
            "mash_outcomes",
            "MASH decisions by outcome",
            "MASH decisions made in the period, by outcome",
            _FY,
        ),
        Indicator(
            "contact_conversion",
            "Contacts converted to referrals",
            "referrals to children's social care received in the period",
            _FY,
            denominator="MASH contacts received in the period",
            suppress=False,
        ),
        Indicator(
            "re_referrals",
            "Re-referrals within 12 months",
            "of the denominator, referrals of a child referred in the 12 months before",
            _FY,
            denominator="referrals received in the period",
            good=Good.LOWER,
            suppress=False,
        ),
        Indicator(
            "repeat_cp_plans",
            "Repeat child protection plans",
            "of the denominator, plans for a child who had been on a plan before",
            _FY,
            denominator="new plans in the period",
            good=Good.LOWER,
            suppress=False,
        ),
        Indicator(
            "merged_notifications",
            "Multi-agency notifications merged into one episode",
            "notifications (police, health, education, probation) that joined an episode "
            "another notification had opened, in episodes opened in the period",
            _FY,
            denominator="notifications in episodes opened in the period",
            suppress=False,
        ),
    )
}
