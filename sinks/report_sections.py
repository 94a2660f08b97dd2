"""The board report's sections: each of the annual report's tables and charts, laid out.

``lay_out`` fills a ``Layout`` with the sections in the annual report's order: child
protection, looked-after children, early help and child deaths, community safety, the MASH
flow the board asked for, and the monthly charts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sinks.board import (
    CP_CATEGORIES,
    DURATION_BANDS,
    INDICATORS,
    Figure,
    Period,
    financial_year,
    months_of,
    quarter_ends,
)
from sinks.disclosure import SHOWN_AS
from sinks.report_layout import Chart, Layout, percent
from sinks.report_tiles import rate_of, tiles

__all__ = ["BAND_NAMES", "CATEGORY_NAMES", "OUTCOME_NAMES", "REFERRAL_SOURCES", "lay_out"]

CATEGORY_NAMES = {
    "EMO": "Emotional abuse",
    "NEG": "Neglect",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
}
BAND_NAMES = {
    "unborn": "Unborn",
    "0-6": "0-6 m",
    "7-12": "7-12 m",
    "13-18": "13-18 m",
    "19-21": "19-21 m",
    "22+": "over 21 m",
}
REFERRAL_SOURCES = {
    "RS1A": "1A Individual: family member, relative or carer",
    "RS1B": "1B Individual: acquaintance",
    "RS1C": "1C Individual: self",
    "RS1D": "1D Individual: other",
    "RS2A": "2A Schools",
    "RS2B": "2B Education services",
    "RS3A": "3A Health: GP",
    "RS3B": "3B Health: health visitor",
    "RS3C": "3C Health: school nurse",
    "RS3D": "3D Health: other primary health services",
    "RS3E": "3E Health: A&E",
    "RS3F": "3F Health: other",
    "RS4": "4 Housing",
    "RS5A": "5A Local authority services",
    "RS5B": "5B Local authority services",
    "RS5C": "5C Local authority services",
    "RS5D": "5D Local authority services",
    "RS6": "6 Police",
    "RS7": "7 Other legal agency",
    "RS8": "8 Other",
    "RS9": "9 Anonymous",
    "RS10": "10 Unknown",
}
"""Children in Need census referral sources, as the board reads them."""
OUTCOME_NAMES = {
    "NO_FURTHER_ACTION": "No further action",
    "EARLY_HELP": "Early help",
    "CIN_ASSESSMENT_S17": "Child in need assessment (s17)",
    "STRATEGY_S47": "Strategy discussion (s47)",
    "IMMEDIATE_PROTECTION": "Immediate protection",
}


def lay_out(layout: Layout, as_of: dt.date) -> None:
    """Every section of the report for ``as_of``, in the annual report's order."""
    year = financial_year(as_of)
    before = year.year_before().label
    _child_protection(layout, year.label, before, as_of)
    _looked_after(layout, year.label, before, as_of)
    _early_help_and_deaths(layout, year.label)
    _community_safety(layout, year.label, before, str(year.start.year))
    _mash_flow(layout, year.label)
    _monthly(layout, year)


def _child_protection(layout: Layout, year: str, before: str, as_of: dt.date) -> None:
    at = as_of.isoformat()
    cells = [[("cp_open", at, f"{c}|{b}") for b in DURATION_BANDS] for c in CP_CATEGORIES]
    shown = layout.grid(cells)
    rows = [[CATEGORY_NAMES[c], *shown[n]] for n, c in enumerate(CP_CATEGORIES)]
    totals = shown[-1]
    rows.append(["Total children", *totals])
    rows.append(["% by duration", *(percent(t, totals[-1]) for t in totals)])
    layout.add(
        "cp_open",
        ["Category", *BAND_NAMES.values(), "Total"],
        rows,
        2,
        "cp_open",
        title=f"Children subject of a child protection plan at {as_of:%d %B %Y}",
    )
    new = [[("cp_new", p, c) for p in (before, year)] for c in CP_CATEGORIES]
    shown = layout.grid(new, row_totals=False)
    rows = [
        [
            CATEGORY_NAMES[c],
            shown[n][0],
            percent(shown[n][0], shown[-1][0]),
            shown[n][1],
            percent(shown[n][1], shown[-1][1]),
        ]
        for n, c in enumerate(CP_CATEGORIES)
    ]
    rows.append(["Total", shown[-1][0], "100%", shown[-1][1], "100%"])
    months = len(months_of(financial_year(as_of)))
    this_year = sum(layout.count(*r[1]) for r in new)
    rows.append(["Average a month", "", "", f"{this_year / months:.1f}", ""])
    layout.add("cp_new", ["Category", before, "%", year, "%"], rows, 2, "cp_new", "repeat_cp_plans")


def _looked_after(layout: Layout, year: str, before: str, as_of: dt.date) -> None:
    quarters = [q for q, _ in quarter_ends(financial_year(as_of))]
    layout.tiles.extend(tiles(layout.figures, year, before, quarters[-1]))
    rows = []
    for tile in layout.tiles:
        indicator = tile.indicator
        values = [layout.value(indicator.id, f"{year} {q}") for q in quarters]
        earlier = [
            rate_of(layout.figures.get((indicator.id, f"{before} {q}", ""))) for q in quarters
        ]
        rows.append(
            [
                indicator.title,
                str(indicator.good),
                f"{indicator.target:.0f}%",
                *(f"{v:.1f}%" for v in values),
                tile.rag,
                tile.direction,
            ]
        )
        layout.charts.append(
            Chart(
                indicator.id,
                indicator.title,
                tuple(quarters),
                tuple(values),
                "%",
                indicator.target,
                indicator.good,
                before=tuple(earlier) if None not in earlier else (),
                years=(year, before),
            )
        )
    layout.add(
        "lac",
        ["Indicator", "Good is", "Target", *quarters, "RAG", "Against last year"],
        rows,
        0,
        "lac_moves",
        "lac_stability",
        "lac_adoption",
        title="Looked-after children (year to date, quarterly)",
    )
    shown = layout.grid(
        [[("lac_adoption_orders", year, ""), ("lac_awaiting_adoption", as_of.isoformat(), "")]],
        row_totals=False,
        column_totals=False,
    )
    layout.add(
        "adoption",
        ["", "Children"],
        [
            ["Adoption orders granted", shown[0][0]],
            ["Placed with prospective adopters awaiting an order", shown[0][1]],
        ],
        0,
        "lac_adoption_orders",
        "lac_awaiting_adoption",
        title="Adoption",
    )


def _one_way(
    layout: Layout,
    key: str,
    period: str,
    labels: Mapping[str, str] | None = None,
    title: str = "",
    protect: bool = True,
    extra: Sequence[str] = (),
) -> None:
    """A count by one dimension, with its total."""
    dims = layout.dimensions(key, period)
    keys = [(key, period, d) for d in dims]
    shown = layout.grid([keys], column_totals=False, protect=protect) if dims else [["0"]]
    rows = [
        [(labels or {}).get(d, d.replace("_", " ").title()), shown[0][n]]
        for n, d in enumerate(dims)
    ]
    rows.append(["Total", shown[0][-1]])
    layout.add(key, ["", "Count"], rows, 1, key, *extra, title=title)


def _early_help_and_deaths(layout: Layout, year: str) -> None:
    settings = ("CHILDRENS_CENTRE", "SCHOOL", "HEALTH", "OTHER")
    keys = [("caf_completed", year, s) for s in settings]
    shown = layout.grid([keys], column_totals=False)[0]
    rows = [
        [
            s.replace("_", " ").title().replace("Childrens", "Children's"),
            shown[n],
            percent(shown[n], shown[-1]),
        ]
        for n, s in enumerate(settings)
    ]
    rows.append(["Total", shown[-1], "100%"])
    needs = {d: layout.count("caf_need", year, d) for d in layout.dimensions("caf_need", year)}
    top = max(needs, key=lambda d: needs[d]).replace("_", " ").lower() if needs else "-"
    rows.append(
        ["Needs met as a result of CAF actions", "", f"{layout.value('caf_needs_met', year):.0f}%"]
    )
    rows.append(["Most common need identified", "", top])
    layout.add(
        "caf", ["Setting", "CAFs", "%"], rows, 3, "caf_completed", "caf_needs_met", "caf_need"
    )
    types = [("cdop_reviewed", year, t) for t in ("EXPECTED", "UNEXPECTED")]
    shown = layout.grid([types], column_totals=False)[0]
    rows = [["Expected", shown[0]], ["Unexpected", shown[1]], ["Deaths reviewed", shown[2]]]
    rows.append(["Panel meetings", str(layout.count("cdop_panels", year))])
    co = layout.grid([[("cdop_co_sleeping", year, "")]], row_totals=False, column_totals=False)
    rows.append(["Deaths linked to co-sleeping", co[0][0]])
    layout.add("cdop", ["", "Count"], rows, 0, "cdop_reviewed", "cdop_panels", "cdop_co_sleeping")
    _one_way(layout, "lado_referrals", year)


def _community_safety(layout: Layout, year: str, before: str, calendar: str) -> None:
    rows = []
    for key, name in (("dv_offences", "offences"), ("dv_incidents", "incidents")):
        change = layout.value("dv_change", year, name)
        rows.append(
            [
                INDICATORS[key].title,
                f"{layout.count(key, before):,}",
                f"{layout.count(key, year):,}",
                f"{change:+.1f}%",
            ]
        )
    layout.add(
        "dv",
        ["", before, year, "Change"],
        rows,
        0,
        "dv_offences",
        "dv_incidents",
        "dv_change",
        title="Domestic abuse",
    )
    shown = layout.grid(
        [[("marac_cases", calendar, d) for d in ("cases", "children", "unborn")]],
        row_totals=False,
        column_totals=False,
    )[0]
    layout.add(
        "marac",
        ["", calendar],
        [["Cases heard", shown[0]], ["Children", shown[1]], ["Unborn children", shown[2]]],
        0,
        "marac_cases",
    )


def _mash_flow(layout: Layout, year: str) -> None:
    _one_way(
        layout,
        "contacts_by_source",
        year,
        REFERRAL_SOURCES,
        title="Contacts to the MASH by source (CIN code)",
    )
    ratings = ("RED", "AMBER", "GREEN")
    keys = [("contacts_by_rag", year, r) for r in ratings]
    shown = layout.grid([keys], column_totals=False)[0]
    rows = [
        [r.title(), shown[n], _rate(layout.figures.get(("rag_timeliness", year, r)))]
        for n, r in enumerate(ratings)
    ]
    rows.append(["Total", shown[-1], _rate(layout.figures.get(("rag_timeliness", year, "")))])
    layout.add(
        "rag",
        ["RAG rating", "Contacts", "Decided within timescale"],
        rows,
        1,
        "contacts_by_rag",
        "rag_timeliness",
        title="Contacts by RAG rating, and timeliness",
    )
    _one_way(layout, "mash_outcomes", year, OUTCOME_NAMES, title="MASH decisions by outcome")
    rows = [
        [INDICATORS[key].title, _rate(layout.figures.get((key, year, "")))]
        for key in ("contact_conversion", "re_referrals", "repeat_cp_plans", "merged_notifications")
    ]
    rows.append(
        [
            "Episodes with notifications from two or more agencies",
            f"{layout.count('merged_notifications', year, 'multi-agency episodes'):,}",
        ]
    )
    layout.add(
        "flow",
        ["", ""],
        rows,
        0,
        "contact_conversion",
        "re_referrals",
        "repeat_cp_plans",
        "merged_notifications",
        title="MASH flow",
    )


def _rate(figure: Figure | None) -> str:
    if figure is None or not figure.denominator:
        return "-"
    return f"{figure.value:.1f}% ({figure.numerator:,} of {figure.denominator:,})"


_MONTHLY_UNITS = {"contacts_by_month": "contacts a month", "cp_new_by_month": "new plans a month"}


def _monthly(layout: Layout, year: Period) -> None:
    before = year.year_before()
    for key, unit in _MONTHLY_UNITS.items():
        months = months_of(year)
        keys = [[(key, year.label, m) for m in months]]
        known = any(layout.count(key, before.label, m) for m in months_of(before))
        if known:  # the year before beside this year, only where the hub has it
            keys.append([(key, before.label, m) for m in months_of(before)])
        shown = layout.grid(keys, column_totals=False)
        values = [tuple(_float(s) for s in row[:-1]) for row in shown]
        layout.charts.insert(
            0,
            Chart(
                key,
                INDICATORS[key].title,
                tuple(_month_label(m, n) for n, m in enumerate(months)),
                values[0],
                unit,
                before=values[1] if known else (),
                years=(year.label, before.label),
            ),
        )


def _float(shown: str) -> float | None:
    return None if shown == SHOWN_AS else float(shown.replace(",", ""))


def _month_label(month: str, n: int) -> str:
    """Short month names, with the year where it starts and in January ("Apr 12", "May")."""
    day = dt.date.fromisoformat(month + "-01")
    return day.strftime("%b %y" if n == 0 or day.month == 1 else "%b")
