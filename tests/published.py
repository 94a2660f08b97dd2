"""The figures the Havering LSCB published for 2012-13 (``board-figures.md``), written out as
(indicator, period, dimension) -> value, with the published arithmetic corrected where it was
wrong (Unborn 1, not 2; offences +3.6%, not +4.3%). Written here, not read from the generator,
so the hub is checked against the report itself."""

from __future__ import annotations

AS_OF = "2013-03-31"

CP_OPEN = {
    "EMO|0-6": 27,
    "EMO|7-12": 28,
    "EMO|13-18": 5,
    "EMO|19-21": 3,
    "EMO|22+": 1,
    "NEG|0-6": 22,
    "NEG|7-12": 14,
    "NEG|13-18": 4,
    "NEG|19-21": 4,
    "NEG|22+": 1,
    "PHY|unborn": 1,
    "PHY|0-6": 4,
    "PHY|7-12": 3,
    "PHY|13-18": 2,
    "SAB|7-12": 2,
}

PUBLISHED: dict[tuple[str, str, str], float] = {
    **{("cp_open", AS_OF, k): v for k, v in CP_OPEN.items()},
    **{
        ("cp_new", year, c): n
        for year, counts in (("2012-13", (60, 57, 23, 4)), ("2011-12", (34, 57, 18, 11)))
        for c, n in zip(("EMO", "NEG", "PHY", "SAB"), counts, strict=True)
    },
    **{
        (key, f"2012-13 {q}", ""): v
        for q, values in (
            ("Q1", (4.7, 57.4, 3.4)),
            ("Q2", (7.9, 66.0, 5.8)),
            ("Q3", (12.0, 61.4, 9.4)),
            ("Q4", (14.1, 63.0, 11.2)),
        )
        for key, v in zip(("lac_moves", "lac_stability", "lac_adoption"), values, strict=True)
    },
    ("lac_adoption_orders", "2012-13", ""): 8,
    ("lac_awaiting_adoption", AS_OF, ""): 12,
    ("caf_completed", "2012-13", "CHILDRENS_CENTRE"): 98,
    ("caf_completed", "2012-13", "SCHOOL"): 71,
    ("cdop_reviewed", "2012-13", "EXPECTED"): 11,
    ("cdop_reviewed", "2012-13", "UNEXPECTED"): 7,
    ("cdop_panels", "2012-13", ""): 3,
    ("cdop_co_sleeping", "2012-13", ""): 0,
    ("dv_offences", "2012-13", ""): 1283,
    ("dv_offences", "2011-12", ""): 1239,
    ("dv_incidents", "2012-13", ""): 2939,
    ("dv_incidents", "2011-12", ""): 2856,
    ("dv_change", "2012-13", "offences"): 3.6,
    ("dv_change", "2012-13", "incidents"): 2.9,
    ("marac_cases", "2012", "cases"): 153,
    ("marac_cases", "2012", "children"): 209,
    ("marac_cases", "2012", "unborn"): 4,
}

CP_TOTAL = 121
CAFS = 181
CAF_SHARES = {"CHILDRENS_CENTRE": 54, "SCHOOL": 39}
CAF_NEEDS_MET = 68
CAF_TOP_NEED = "BEHAVIOURAL_DEVELOPMENT"
LADO = 102
NEW_PLANS_2012_13 = 144


def check(figures: dict[tuple[str, str, str], float]) -> None:
    """Assert every published figure, with the totals and shares the report states."""
    wrong = {k: (v, figures.get(k)) for k, v in PUBLISHED.items() if figures.get(k) != v}
    assert not wrong, f"figures that differ (published, hub): {wrong}"
    cp = [v for (i, p, _), v in figures.items() if i == "cp_open" and p == AS_OF]
    assert sum(cp) == CP_TOTAL and not [  # no plan outside the published cells
        k for (i, p, k), v in figures.items() if i == "cp_open" and v and k not in CP_OPEN
    ]
    cafs = {d: v for (i, _, d), v in figures.items() if i == "caf_completed"}
    assert sum(cafs.values()) == CAFS
    assert {d: round(100 * cafs[d] / CAFS) for d in CAF_SHARES} == CAF_SHARES
    assert round(figures[("caf_needs_met", "2012-13", "")]) == CAF_NEEDS_MET
    needs = {d: v for (i, _, d), v in figures.items() if i == "caf_need"}
    assert max(needs, key=lambda d: needs[d]) == CAF_TOP_NEED
    lado = {d: v for (i, _, d), v in figures.items() if i == "lado_referrals"}
    assert sum(lado.values()) == LADO
    assert lado.get("EDUCATION", 0) + lado.get("EARLY_YEARS", 0) > LADO / 2
    new = sum(v for (i, p, _), v in figures.items() if i == "cp_new" and p == "2012-13")
    assert new == NEW_PLANS_2012_13 and new / 12 == 12  # "an average of 12 a month"
