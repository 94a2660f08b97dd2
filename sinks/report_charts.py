"""The board report's charts as inline SVG: bars for this year, the same span of the year
before beside them, a dashed target line, units on the axis, and a legend. No scripts.

The palette is Okabe and Ito's, safe for the common colour-vision deficiencies; whether a bar
meets its target is marked by a symbol (✓ or ✗) as well as its colour, never colour alone.
"""

from __future__ import annotations

from html import escape

from sinks.disclosure import SHOWN_AS
from sinks.indicators import Good
from sinks.report_layout import Chart

__all__ = ["MET", "MISSED", "PALETTE", "chart_svg", "legend"]

PALETTE = {"this": "#0072B2", "before": "#E69F00", "met": "#009E73", "missed": "#D55E00"}
"""Okabe-Ito blue (this year), orange (the year before), bluish green and vermilion."""
MET, MISSED = "✓", "✗"

_WIDTH, _HEIGHT, _LEFT, _BOTTOM = 460, 220, 40, 26


def legend() -> str:
    """What the charts' colours, line and symbols mean."""
    swatch = (
        '<svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" '
        'fill="{}"/></svg>'
    )
    return (
        '<ul class="legend" id="legend">'
        f"<li>{swatch.format(PALETTE['this'])} this year</li>"
        f"<li>{swatch.format(PALETTE['before'])} the same span of the year before</li>"
        '<li><svg width="24" height="14" aria-hidden="true"><line x1="0" y1="7" x2="24" y2="7" '
        'stroke="#333" stroke-dasharray="5 4"/></svg> target</li>'
        f'<li><b class="met">{MET}</b> meets the target · <b class="missed">{MISSED}</b> misses '
        f"it · “{SHOWN_AS}”: a small count withheld</li></ul>"
    )


def _met(chart: Chart, value: float) -> bool | None:
    if chart.target is None or chart.good is None:
        return None
    return value <= chart.target if chart.good is Good.LOWER else value >= chart.target


def _bar(chart: Chart, x: float, w: float, value: float | None, top: float, this: bool) -> str:
    """One bar with its value above it (and whether it meets the target), or "c"."""
    base = _HEIGHT - _BOTTOM
    if value is None:
        return (
            f'<text x="{x + w / 2:.1f}" y="{base - 4}" font-size="10" '
            f'text-anchor="middle">{SHOWN_AS}</text>'
        )
    h = (base - 14) * value / top
    fill = PALETTE["this" if this else "before"]
    met = _met(chart, value) if this else None
    year = chart.years[0 if this else 1]
    mark = "" if met is None else (MET if met else MISSED)
    colour = "#333" if met is None else PALETTE["met" if met else "missed"]
    return (
        f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}">'
        f"<title>{escape(year)}: {value:g} {escape(chart.unit)}</title></rect>"
        f'<text x="{x + w / 2:.1f}" y="{base - h - 3:.1f}" font-size="9" fill="{colour}" '
        f'text-anchor="middle">{value:g}{mark}</text>'
    )


def _axis(chart: Chart, top: float) -> list[str]:
    base = _HEIGHT - _BOTTOM
    parts = [
        f'<line x1="{_LEFT}" y1="{base}" x2="{_WIDTH}" y2="{base}" stroke="#888"/>',
        f'<text x="10" y="{base / 2:.0f}" font-size="10" text-anchor="middle" '
        f'transform="rotate(-90 10 {base / 2:.0f})">{escape(chart.unit)}</text>',
    ]
    if chart.target is not None:
        y = base - (base - 14) * chart.target / top
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH}" y2="{y:.1f}" stroke="#333" '
            f'stroke-dasharray="5 4"/><text x="{_LEFT - 2}" y="{y + 3:.1f}" font-size="10" '
            f'text-anchor="end">{chart.target:g}</text>'
        )
    return parts


def chart_svg(chart: Chart) -> str:
    """The chart as a figure: bars by label, this year and (where known) the year before."""
    series = [(chart.years[0], chart.values)]
    if chart.before:
        series.append((chart.years[1], chart.before))
    present = [v for _, values in series for v in values if v is not None]
    top = max([*present, chart.target or 0, 1]) * 1.15
    step = (_WIDTH - _LEFT) / max(len(chart.labels), 1)
    w = step * 0.8 / len(series)
    parts = _axis(chart, top)
    for n, label in enumerate(chart.labels):
        x = _LEFT + n * step + step * 0.1
        parts.append(
            f'<text x="{x + step * 0.4:.1f}" y="{_HEIGHT - 8}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
        for k, (year, values) in enumerate(reversed(series)):
            parts.append(_bar(chart, x + k * w, w, values[n], top, year == chart.years[0]))
    caption = f"{chart.title} ({chart.unit})" if chart.unit else chart.title
    return (
        f"<figure><figcaption>{escape(caption)}</figcaption>"
        f'<svg id="chart-{escape(chart.key)}" role="img" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="{_WIDTH}" height="{_HEIGHT}" aria-label="{escape(caption)}">'
        f"{''.join(parts)}</svg></figure>"
    )
