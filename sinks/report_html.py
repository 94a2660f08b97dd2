"""The board report as HTML: summary tiles, inline SVG charts with a legend
(``sinks.report_charts``), accessible tables (thead, scope, caption) and definitions; no
scripts, no CDN.

The dashboard serves the same body and replaces it in place when the figures change; the export
writes it to a standalone file. Both say when and from what the figures were computed.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from sinks.disclosure import SHOWN_AS
from sinks.linkage_quality import LinkageQuality
from sinks.provenance import Provenance, sentence
from sinks.report import BoardReport, BoardTable, Tile
from sinks.report_charts import MET, MISSED, chart_svg, legend

__all__ = ["STYLE", "linkage_body", "provenance_text", "report_body", "report_page"]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1rem auto; padding: 0 1rem; color: #1d2733;
  max-width: 72rem; }
h1 { margin-bottom: .2rem; } h2, caption { margin-top: 2rem; font-size: 1.15rem; }
caption { text-align: left; font-weight: 700; padding-bottom: .3rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .25rem .7rem; border-bottom: 1px solid #d0d7de; text-align: right; }
thead th { border-bottom: 2px solid #1d2733; }
th[scope=row] { text-align: left; font-weight: 400; } thead th:first-child { text-align: left; }
tr.total th, tr.total td { font-weight: 700; } td.c { color: #8a5300; }
td.RED, .tile.RED { background: #fbe3d6; } td.GREEN, .tile.GREEN { background: #d5efe6; }
details { margin: .3rem 0 1rem; font-size: .9rem; color: #444; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
  gap: .8rem; margin: 1rem 0; }
.tile { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .8rem; }
.tile h3 { font-size: .9rem; margin: 0 0 .4rem; font-weight: 600; }
.tile .value { font-size: 1.8rem; font-weight: 700; }
.tile p { margin: .2rem 0; font-size: .9rem; }
.rag { font-weight: 700; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; max-width: 100%; } figcaption { font-size: .9rem; font-weight: 600; }
svg { max-width: 100%; height: auto; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem;
  font-size: .85rem; }
.met { color: #007a5a; } .missed { color: #b34700; }
.meta { color: #555; }
"""

_ICON = {"GREEN": MET, "RED": MISSED, "AMBER": "!"}
_MARKED = frozenset({*_ICON, SHOWN_AS})


def _cell(value: str) -> str:
    if value in _ICON:
        return f'<td class="{value}">{_ICON[value]} {value}</td>'
    if value in _MARKED:
        return f'<td class="{value}">{escape(value)}</td>'
    return f"<td>{escape(value)}</td>"


def _definitions(table: BoardTable) -> str:
    items = "".join(
        f"<li><b>{escape(d.title)}</b>: counts {escape(d.counts)}"
        + (f"; out of {escape(d.denominator)}" if d.denominator else "")
        + f"; period: {escape(d.period)}"
        + (f"; good is {d.good}" if d.good else "")
        + (f"; target {d.target:g}%" if d.target is not None else "")
        + "</li>"
        for d in table.definitions
    )
    key = escape(table.key)
    return f'<details id="def-{key}"><summary>Definition</summary><ul>{items}</ul></details>'


def _table(table: BoardTable) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in table.header)
    body = []
    for n, row in enumerate(table.rows):
        total = n >= len(table.rows) - table.totals
        tr = '<tr class="total">' if total else "<tr>"
        cells = "".join(_cell(v) for v in row[1:])
        body.append(f'{tr}<th scope="row">{escape(row[0])}</th>{cells}</tr>')
    return (
        f'<div class="scroll"><table id="{escape(table.key)}">'
        f"<caption>{escape(table.title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        + _definitions(table)
    )


def _tile(tile: Tile) -> str:
    d = tile.indicator
    value = "-" if tile.value is None else f"{tile.value:.1f}%"
    before = "" if tile.before is None else f": {tile.before:.1f}% a year before"
    rag = f"{_ICON[tile.rag]} {tile.rag}" if tile.rag else "no rating"
    arrow = {"improving": "▲ ", "worsening": "▼ "}.get(tile.direction, "")
    return (
        f'<section class="tile {tile.rag}" id="tile-{escape(d.id)}">'
        f"<h3>{escape(d.title)}</h3>"
        f'<p><span class="value">{value}</span> against a target of {d.target:g}% '
        f"({escape(str(d.good))} is better)</p>"
        f'<p class="rag">{rag}</p>'
        f"<p>{arrow}{escape(tile.direction)}{before} ({escape(tile.period)}, year to date)"
        "</p></section>"
    )


def _corrections(report: BoardReport) -> str:
    if not report.corrections:
        return ""
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Figure", "Published", "From the events"))
    rows = "".join(
        f'<tr><th scope="row">{escape(a)}</th><td>{escape(b)}</td><td>{escape(c)}</td></tr>'
        for a, b, c in report.corrections
    )
    return (
        '<div class="scroll"><table id="corrections">'
        "<caption>Corrections to the published 2012-13 report</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def report_body(report: BoardReport) -> str:
    """The report's content (what the dashboard replaces in place when the figures change)."""
    low, high = report.threshold
    disclosure = (
        f"Counts from {low} to {high} are shown as “{SHOWN_AS}”, and further cells are hidden "
        "where a total would give them away."
        if report.suppressed
        else "Analysts' view: no counts are hidden."
    )
    missing = "".join(f"<li>{escape(m)}</li>" for m in report.not_from_events)
    return (
        f'<p class="meta">Reporting date <b id="as-of">{report.as_of:%d %B %Y}</b>, '
        f"year {escape(report.year)}. {escape(disclosure)}</p>"
        '<h2 id="where">Where the board stands against its targets</h2>'
        f'<div class="tiles">{"".join(_tile(t) for t in report.tiles)}</div>'
        f'<h2>Charts</h2>{legend()}<div class="charts">'
        f"{''.join(chart_svg(c) for c in report.charts)}</div>"
        + "".join(_table(t) for t in report.tables)
        + _corrections(report)
        + f"<h2>Not computed from events</h2><ul>{missing}</ul>"
    )


def provenance_text(provenance: Provenance | None) -> str:
    """When and from what the figures were computed, as every view says it."""
    if provenance is None:
        return "When these figures were computed is not recorded."
    return sentence(provenance)


def report_page(
    report: BoardReport,
    script: str = "",
    *,
    csv_href: str | None = None,
    version: str = "",
    after: str = "",
) -> str:
    """A standalone page (the export; the dashboard adds its refresh script, the CSV's address,
    the figures' version and, ``after`` the report, the linkage panel)."""
    csv_link = (
        f' <a id="csv" href="{escape(csv_href)}" download>Download every figure as CSV</a>.'
        if csv_href
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>MASH Hub: safeguarding board report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Safeguarding board report</h1>"
        '<p class="meta">Computed by MASH Hub from the agencies\' events. '
        f'<span id="provenance">{escape(provenance_text(report.provenance))}</span>'
        f"{csv_link}</p>"
        f'<div id="report" data-version="{escape(version)}">{report_body(report)}{after}</div>'
        f"{script}</body></html>"
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
