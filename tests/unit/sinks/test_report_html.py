"""The board page's HTML and the CSV, from figures built here: tiles against their targets,
accessible tables, the viewport, the chart legend and the year before, the CSV's numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

from sinks.board import Figure
from sinks.provenance import Provenance
from sinks.report import CSV_COLUMNS, build_report, report_csv
from sinks.report_charts import PALETTE
from sinks.report_html import report_body, report_page

AS_OF = dt.date(2013, 3, 31)
COMPUTED = dt.datetime(2013, 4, 2, 9, 30, tzinfo=dt.UTC)
REPORTED_TO = dt.datetime(2013, 4, 1, 17, 5, tzinfo=dt.UTC)


def _rate(indicator: str, period: str, num: int, den: int) -> Figure:
    return Figure(indicator, period, "", round(100 * num / den, 1), num, den)


def _figures() -> list[Figure]:
    return [
        # this year's Q4 and the year before's, each against its target (good is lower/higher)
        _rate("lac_moves", "2012-13 Q4", 14, 100),  # 14% > 13%, lower is good: RED
        _rate("lac_moves", "2011-12 Q4", 20, 100),  # 20% a year before: improving
        _rate("lac_stability", "2012-13 Q4", 63, 100),  # 63% < 75%, higher is good: RED
        _rate("lac_stability", "2011-12 Q4", 49, 100),  # improving
        _rate("lac_adoption", "2012-13 Q4", 12, 100),  # 12% >= 11%: GREEN
        _rate("lac_adoption", "2011-12 Q4", 15, 100),  # worsening
        Figure("cp_new", "2012-13", "NEG", 3.0),  # small: the board sees "c"
        Figure("cp_new", "2012-13", "EMO", 40.0),
        Figure("dv_offences", "2012-13", "", 1283.0),
        Figure("rag_timeliness", "2012-13", "", 62.5, 50, 80),
        *(Figure("contacts_by_month", "2012-13", f"{m}", 100.0 + n) for n, m in _months(2012)),
        *(Figure("contacts_by_month", "2011-12", f"{m}", 90.0 + n) for n, m in _months(2011)),
    ]


def _months(start: int) -> list[tuple[int, str]]:
    months = [f"{start}-{m:02d}" for m in range(4, 13)] + [f"{start + 1}-0{m}" for m in (1, 2, 3)]
    return list(enumerate(months))


class _Tags(HTMLParser):
    """Every start tag with its attributes, in order, and the tags open around it."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs), tuple(self.open)))
        if tag not in {"meta", "br", "line", "rect", "img"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _tile(html: str, indicator: str) -> str:
    found = re.search(rf'<section class="tile[^"]*" id="tile-{indicator}">(.*?)</section>', html)
    assert found, indicator
    return found.group(0)


def test_a_tile_per_indicator_with_a_target_with_rag_in_words_and_direction() -> None:
    html = report_body(build_report(_figures(), AS_OF))
    expected = {
        "lac_moves": ("14.0%", "RED", "improving", "20.0%"),
        "lac_stability": ("63.0%", "RED", "improving", "49.0%"),
        "lac_adoption": ("12.0%", "GREEN", "worsening", "15.0%"),
    }
    for indicator, (value, rag, direction, before) in expected.items():
        tile = _tile(html, indicator)
        assert f'<span class="value">{value}</span>' in tile
        assert f"{rag}</p>" in tile and f'class="tile {rag}"' in tile  # the word, not colour only
        assert f"{direction}: {before} a year before (2012-13 Q4" in tile
    assert html.index('id="tile-') < html.index("<svg")  # at the top, before the charts
    assert html.count('class="tile ') == 3  # only the indicators with a target


def test_every_table_has_a_caption_a_thead_and_scoped_headers() -> None:
    parsed = _tags(report_body(build_report(_figures(), AS_OF)))
    tables = [a.get("id") for t, a, _ in parsed.tags if t == "table"]
    assert len(tables) >= 10
    captions = [inside for t, _, inside in parsed.tags if t == "caption"]
    theads = [inside for t, _, inside in parsed.tags if t == "thead"]
    assert len(captions) == len(theads) == len(tables)
    headers = [(a.get("scope"), inside) for t, a, inside in parsed.tags if t == "th"]
    assert headers and all(scope in {"col", "row"} for scope, _ in headers)
    assert all(scope == "col" for scope, inside in headers if "thead" in inside)
    assert all(scope == "row" for scope, inside in headers if "tbody" in inside)


def test_the_page_has_a_viewport_a_legend_and_says_when_and_of_what() -> None:
    known = Provenance(COMPUTED, 30_612, REPORTED_TO)
    page = report_page(build_report(_figures(), AS_OF, provenance=known), csv_href="r.csv")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "Figures computed 02 Apr 2013 09:30 UTC from 30,612 events, reported up to " in page
    assert "01 Apr 2013 17:05 UTC" in page and "when generated" not in page
    assert '<a id="csv" href="r.csv" download>' in page
    legend = re.search(r'<ul class="legend" id="legend">(.*?)</ul>', page)
    assert legend and "this year" in legend.group(1) and "year before" in legend.group(1)
    assert "meets the target" in legend.group(1)  # the ✓ / ✗ marks, not colour alone
    unknown = report_page(build_report(_figures(), AS_OF))
    assert "not recorded" in unknown and "when generated" not in unknown


def test_the_monthly_chart_puts_the_year_before_beside_this_year_with_units() -> None:
    html = report_body(build_report(_figures(), AS_OF))
    chart = re.search(r'<svg id="chart-contacts_by_month".*?</svg>', html)
    assert chart
    bars = re.findall(r'<rect [^>]*fill="(#[0-9A-Fa-f]{6})"><title>([^<]*)</title>', chart.group(0))
    assert sum(fill == PALETTE["this"] for fill, _ in bars) == 12
    assert sum(fill == PALETTE["before"] for fill, _ in bars) == 12
    assert "2011-12: 90 contacts a month" in [t for _, t in bars]  # April 2011, its unit
    assert "2012-13: 111 contacts a month" in [t for _, t in bars]  # March 2013
    assert ">contacts a month</text>" in chart.group(0)  # the axis says the unit


def _csv(hide: bool) -> dict[tuple[str, str, str], dict[str, str]]:
    text = report_csv(
        build_report(_figures(), AS_OF, hide=hide, provenance=Provenance(COMPUTED, 7, None))
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    return {(r["indicator_id"], r["period"], r["dimension"]): r for r in rows}


def test_the_csv_holds_numbers_and_a_suppressed_flag_not_display_strings() -> None:
    board = _csv(hide=True)
    assert len(board) == len(_figures())
    small = board["cp_new", "2012-13", "NEG"]
    assert (small["value"], small["suppressed"]) == ("", "true")
    offences = board["dv_offences", "2012-13", ""]
    assert (offences["value"], offences["unit"], offences["suppressed"]) == (
        "1283",
        "count",
        "false",
    )
    timely = board["rag_timeliness", "2012-13", ""]
    assert [timely[c] for c in ("value", "unit", "numerator", "denominator")] == [
        "62.5",
        "percent",
        "50",
        "80",
    ]
    assert timely["computed_at"] == "2013-04-02T09:30:00+00:00" and timely["events"] == "7"
    assert timely["reporting_date"] == "2013-03-31"
    assert all("%" not in r["value"] and "(" not in r["value"] for r in board.values())
    analysts = _csv(hide=False)
    assert (
        analysts["cp_new", "2012-13", "NEG"]["value"],
        analysts["cp_new", "2012-13", "NEG"]["suppressed"],
    ) == ("3", "false")
