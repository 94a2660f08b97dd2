"""The board's figures, computed from facts for any reporting date.

Every indicator is defined once (``INDICATORS``, in ``sinks.indicators``): what it counts, over
which period, and for rates the numerator and denominator. ``compute`` turns the facts (one per
agency record), the persons the linkage found and the analysts' episodes into ``Figure`` rows
keyed by indicator, period and dimension, so the same facts always give the same figures, and a
late or corrected fact changes exactly the figures it belongs to. Each family of indicators is
computed in its own module: ``sinks.social_care`` (child protection, looked-after children),
``sinks.partnership`` (early help, child deaths, LADO, domestic abuse, MARAC) and
``sinks.mash_flow`` (contacts, decisions, referrals, RAG timeliness, merged notifications).

Periods follow the board's year (``sinks.periods``): the financial year (1 April to 31 March)
up to the reporting date, compared with the same span of the year before; MARAC counts the
calendar year in which the financial year starts, as the MARAC reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from sinks.facts import Fact
from sinks.figures import EpisodeFlow, FactIndex, Figure, Figures
from sinks.indicators import CP_CATEGORIES, DURATION_BANDS, INDICATORS, Good, Indicator
from sinks.mash_flow import mash_flow
from sinks.partnership import deaths_and_lado, domestic_abuse, early_help
from sinks.periods import Period, financial_year, months_of, quarter_ends
from sinks.social_care import child_protection, looked_after

__all__ = [
    "CP_CATEGORIES",
    "DURATION_BANDS",
    "INDICATORS",
    "Figure",
    "Good",
    "Indicator",
    "Period",
    "compute",
    "financial_year",
    "months_of",
    "quarter_ends",
]


def compute(
    facts: Iterable[Fact],
    as_of: dt.date,
    persons: Mapping[str, str] | None = None,
    episodes: Sequence[EpisodeFlow] = (),
) -> list[Figure]:
    """Every indicator's figures at ``as_of``. ``persons``: event id -> person id."""
    known = FactIndex(person=persons or {})
    for fact in facts:
        known.by_type[fact.event_type].append(fact)
    year = financial_year(as_of)
    out = Figures()
    child_protection(known, year, out)
    looked_after(known, year, out)
    early_help(known, year, out)
    deaths_and_lado(known, year, out)
    domestic_abuse(known, year, out)
    mash_flow(known, year, episodes, out)
    return out.figures
