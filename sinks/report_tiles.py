"""The summary tiles at the top of the board report: each indicator with a target, its latest
value against the target, its RAG rating and its direction of travel against the same span of
the year before."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sinks.figures import Figure
from sinks.indicators import INDICATORS, Good, Indicator

__all__ = ["Tile", "direction", "rag", "rate_of", "tiles"]


@dataclass(frozen=True)
class Tile:
    """One indicator with a target, where it stands."""

    indicator: Indicator
    period: str
    """The period of ``value`` as the board reads it ("2012-13 Q4")."""
    value: float | None
    before: float | None
    """The same span of the year before (None: the hub has no figure for it)."""
    rag: str
    direction: str


def rag(value: float | None, indicator: Indicator) -> str:
    """GREEN where ``value`` meets the target, RED where not ("" without a target or value)."""
    if value is None or indicator.target is None or indicator.good is None:
        return ""
    met = value <= indicator.target if indicator.good is Good.LOWER else value >= indicator.target
    return "GREEN" if met else "RED"


def direction(value: float | None, before: float | None, indicator: Indicator) -> str:
    """Improving, worsening or no change against ``before`` (the same span a year earlier)."""
    if value is None or before is None:
        return "no figure for last year"
    if value == before or indicator.good is None:
        return "no change" if value == before else ("up" if value > before else "down")
    up = value > before
    return "improving" if up == (indicator.good is Good.HIGHER) else "worsening"


def tiles(
    figures: Mapping[tuple[str, str, str], Figure], year: str, before: str, quarter: str
) -> list[Tile]:
    """A tile for each quarterly indicator with a target, at ``quarter`` of ``year``."""
    out = []
    for indicator in INDICATORS.values():
        if indicator.target is None:
            continue
        now = figures.get((indicator.id, f"{year} {quarter}", ""))
        then = figures.get((indicator.id, f"{before} {quarter}", ""))
        value, last = rate_of(now), rate_of(then)
        out.append(
            Tile(
                indicator,
                f"{year} {quarter}",
                value,
                last,
                rag(value, indicator),
                direction(value, last, indicator),
            )
        )
    return out


def rate_of(figure: Figure | None) -> float | None:
    """A rate's value, or None where there is no figure or nothing to take it of."""
    return figure.value if figure is not None and figure.denominator else None
