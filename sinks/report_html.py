"""The board report as HTML: tables, inline SVG charts and definitions; no scripts, no CDN.

The dashboard serves the same body and swaps it in place as figures change; the export writes
it to a standalone file.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from sinks.board import Good
from sinks.disclosure import SHOWN_AS
from sinks.linkage_quality import LinkageQuality
from sinks.report import BoardReport, BoardTable, Chart

__all__ = ["STYLE", "linkage_body", "report_body", "report_page"]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2733; max-width: 70rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; font-size: 1.15rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .25rem .7rem; border-bottom: 1px solid #d0d7de; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: 700; } td.c { color: #8a5300; }
td.RED { background: #f8d7da; } td.GREEN { background: #d1e7dd; } td.AMBER { background: #fff3cd; }
details { margin: .3rem 0 1rem; font-size: .9rem; color: #444; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; } figcaption { font-size: .9rem; font-weight: 600; }
.meta { color: #555; }
"""


_MARKED = frozenset({"RED", "GREEN", "AMBER", SHOWN_AS})


def _table(table: BoardTable) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = []
    for n, row in enumerate(table.rows):
        total = n >= len(table.rows) - table.totals
        cells = "".join(
            f'<td class="{v}">{escape(v)}</td>' if v in _MARKED else f"<td>{escape(v)}</td>"
            for v in row[1:]
        )
        tr = '<tr class="total">' if total else "<tr>"
        body.append(f"{tr}<td>{escape(row[0])}</td>{cells}</tr>")
    definitions = "".join(
        f"<li><b>{escape(d.title)}</b>: counts {escape(d.counts)}"
        + (f"; out of {escape(d.denominator)}" if d.denominator else "")
        + f"; period: {escape(d.period)}"
        + (f"; good is {d.good}" if d.good else "")
        + (f"; target {d.target:g}%" if d.target is not None else "")
        + "</li>"
        for d in table.definitions
    )
    return (
        f'<h2>{escape(table.title)}</h2><table id="{escape(table.key)}">'
        f"<tr>{head}</tr>{''.join(body)}</table>"
        f"<details><summary>Definition</summary><ul>{definitions}</ul></details>"
    )


def _chart(chart: Chart, width: int = 460, height: int = 200) -> str:
    """Bars with their values, and a dashed target line where there is one."""
    present = [v for v in chart.values if v is not None]
    top = max([*present, chart.target or 0, 1]) * 1.15
    left, bottom = 34, 26
    step = (width - left) / max(len(chart.values), 1)
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#888"/>'
    ]
    for n, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        x = left + n * step + step * 0.15
        w = step * 0.7
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{height - 8}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{height - bottom - 4}" font-size="10" '
                f'text-anchor="middle">{SHOWN_AS}</text>'
            )
            continue
        h = (height - bottom - 10) * value / top
        colour = "#3b6ea8"
        if chart.target is not None and chart.good is not None:
            met = value <= chart.target if chart.good is Good.LOWER else value >= chart.target
            colour = "#2e7d4f" if met else "#b3261e"
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{escape(label)}: {value:g}{chart.unit}</title></rect>'
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{height - bottom - h - 3:.1f}" font-size="10" '
            f'text-anchor="middle">{value:g}</text>'
        )
    if chart.target is not None:
        y = height - bottom - (height - bottom - 10) * chart.target / top
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#333" '
            f'stroke-dasharray="5 4"/><text x="2" y="{y + 3:.1f}" font-size="10">'
            f"{chart.target:g}{chart.unit}</text>"
        )
    return (
        f"<figure><figcaption>{escape(chart.title)}</figcaption>"
        f'<svg id="chart-{escape(chart.key)}" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(chart.title)}">'
        f"{''.join(parts)}</svg></figure>"
    )


def report_body(report: BoardReport) -> str:
    """The report's content (what the dashboard refreshes in place)."""
    low, high = report.threshold
    disclosure = (
        f"Counts from {low} to {high} are shown as “{SHOWN_AS}”, and further cells are hidden "
        "where a total would give them away."
        if report.suppressed
        else "Analysts' view: no counts are hidden."
    )
    corrections = ""
    if report.corrections:
        rows = "".join(
            f"<tr><td>{escape(a)}</td><td>{escape(b)}</td><td>{escape(c)}</td></tr>"
            for a, b, c in report.corrections
        )
        corrections = (
            '<h2>Corrections to the published 2012-13 report</h2><table id="corrections">'
            "<tr><th>Figure</th><th>Published</th><th>From the events</th></tr>"
            f"{rows}</table>"
        )
    missing = "".join(f"<li>{escape(m)}</li>" for m in report.not_from_events)
    return (
        f'<p class="meta">Reporting date <b id="as-of">{report.as_of:%d %B %Y}</b>, '
        f"year {escape(report.year)}. {escape(disclosure)}</p>"
        f'<div class="charts">{"".join(_chart(c) for c in report.charts)}</div>'
        + "".join(_table(t) for t in report.tables)
        + corrections
        + f"<h2>Not computed from events</h2><ul>{missing}</ul>"
    )


def report_page(report: BoardReport, script: str = "", after: str = "") -> str:
    """A standalone page (the export; the dashboard adds its refresh script and, ``after``
    the report, the linkage panel)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>MASH Hub: safeguarding board report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Safeguarding board report</h1>"
        '<p class="meta">Computed by MASH Hub from the agencies\' events. '
        'Updated <span id="updated">when generated</span>.</p>'
        f'<div id="report">{report_body(report)}{after}</div>{script}</body></html>'
    )


def _rows(cells: list[tuple[str, ...]]) -> str:
    return "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in cells
    )


def linkage_body(quality: LinkageQuality, now: dt.datetime | None = None) -> str:
    """The MASH manager's linkage figures (counts only) as HTML; the oldest item's age at
    ``now`` (default: when the figures were computed)."""
    waited = quality.oldest_waiting(now)
    oldest = "none waiting" if waited is None else f"{waited.total_seconds() / 3600:.1f} h"
    linked = sum(quality.linked_by.values())
    return (
        '<h2>Linkage quality</h2><p class="meta">The master person index at '
        f"{quality.at:%d %B %Y %H:%M} UTC: {quality.records:,} records, "
        f"{quality.persons:,} persons.</p>"
        '<table id="linkage-review"><tr><th>Review queue</th><th></th></tr>'
        + _rows([("Possible matches waiting", f"{quality.queue.size:,}"), ("Oldest", oldest)])
        + '</table><table id="linkage-daily"><tr><th>Day</th><th>Merges</th><th>Splits</th></tr>'
        + _rows([(day, f"{m:,}", f"{s:,}") for day, (m, s) in quality.daily.items()])
        + '</table><table id="linkage-sizes"><tr><th>Records per person</th><th>Persons</th></tr>'
        + _rows([(band, f"{n:,}") for band, n in quality.per_person.items()])
        + '</table><table id="linkage-methods"><tr><th>Linked by</th><th>Records</th>'
        "<th>Share</th></tr>"
        + _rows(
            [
                (method, f"{n:,}", f"{100 * n / linked:.1f}%" if linked else "-")
                for method, n in quality.linked_by.items()
            ]
        )
        + "</table><details><summary>Definition</summary><ul><li>Linked by: how each record "
        "that joined an existing person was matched (a record that started a person is not "
        "counted).</li><li>Merges: two persons found to be one; splits: a person found to be "
        "two or more (later evidence or a reviewer's decision), per day in UTC.</li>"
        "<li>Review queue: possible matches between the review and link thresholds, or held "
        "by the twins guard, with no reviewer's decision yet.</li></ul></details>"
    )
