"""The literature-style corruption set: valid, deterministic, with the documented noise.

Rates are measured on a generated set against the probabilities written in the module's
docstring table (read from the text, not from the code's constants), within binomial tolerances.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from functools import cache

import pytest

from mash.evaluate import SETS, evaluate_linkage
from mash.linkage_errors import linkage_errors
from schemas.common import Agency, Child, Sex
from schemas.identifiers import check_nhs_number, check_postcode, check_upn
from simulation import corruption
from simulation.corruption import CorruptedSet, corrupted_records, corrupted_records_with_tags
from simulation.corruption_models import (
    dob_day_month_swapped,
    dob_one_digit_off,
    keyboard_typo,
    ocr_error,
)
from simulation.febrl_lookups import DIMINUTIVES


@cache
def _set() -> CorruptedSet:
    return corrupted_records_with_tags(seed=11, children=3000)


def _documented() -> dict[str, float]:
    """The probability table of the module docstring."""
    rows = re.findall(r"^\| ([a-z_.]+) +\| ([0-9.]+) +\|", corruption.__doc__ or "", re.M)
    return {tag: float(p) for tag, p in rows}


def _close(hits: int, n: int, p: float) -> bool:
    """Within four standard errors (and half a point) of p."""
    return abs(hits / n - p) <= 4 * math.sqrt(p * (1 - p) / n) + 0.005


def test_the_same_seed_gives_the_same_records_and_another_seed_others() -> None:
    def rows(seed: int) -> list[tuple[str, str, str]]:
        return [
            (r.record_id, r.truth, r.child.model_dump_json()) for r in corrupted_records(seed, 300)
        ]

    assert rows(5) == rows(5)
    assert rows(5) != rows(6)


def test_every_record_is_a_valid_child_with_valid_identifiers() -> None:
    for r in _set().records:
        Child.model_validate(r.child.model_dump())
        assert r.child.date_of_birth is not None
        if r.child.nhs_number:
            assert check_nhs_number(r.child.nhs_number).startswith("999")
        if r.child.upn:
            check_upn(r.child.upn)
        if r.child.postcode:
            check_postcode(r.child.postcode)


def test_size_ids_and_order() -> None:
    data = _set()
    per_child = Counter(r.truth for r in data.records)
    assert len(per_child) == 3000
    assert set(per_child.values()) == {1, 2, 3, 4, 5, 6}
    ids = [r.record_id for r in data.records]
    assert len(set(ids)) == len(ids)
    assert not any(r.truth in r.record_id for r in data.records)  # ids do not give the truth away
    adjacent = sum(a.truth == b.truth for a, b in zip(data.records, data.records[1:], strict=False))
    assert adjacent / len(ids) < 0.01  # shuffled, not grouped by child


def test_documented_rates_are_measured_on_the_set() -> None:
    data, table = _set(), _documented()
    assert set(table) == set(corruption.RATES)
    eligible: dict[str, int] = defaultdict(int)
    hits: Counter[str] = Counter()
    for r in data.records:
        kid, tags = data.originals[r.truth], data.tags[r.record_id]
        for tag in ("given.typo", "family.typo", "names.swapped", "dob.one_day", "sex.unknown"):
            eligible[tag] += 1
        eligible["given.diminutive"] += kid.given in DIMINUTIVES
        eligible["family.step"] += kid.step_family is not None
        eligible["family.one_part"] += "-" in kid.family and "family.step" not in tags
        eligible["dob.day_month"] += kid.born.day <= 12 and kid.born.day != kid.born.month
        hits.update(tags)
    for tag, n in eligible.items():
        assert n > 100, tag
        assert _close(hits[tag], n, table[tag]), (tag, hits[tag] / n, table[tag])


def test_sex_unknown_and_identifiers_by_agency_are_as_documented() -> None:
    records = _set().records
    unknown = sum(r.child.sex is Sex.UNKNOWN for r in records)
    assert _close(unknown, len(records), _documented()["sex.unknown"])
    by_agency: dict[Agency, list[Child]] = defaultdict(list)
    for r in records:
        by_agency[r.agency].append(r.child)
    assert set(by_agency) == set(Agency)
    nhs = {a: sum(c.nhs_number is not None for c in cs) / len(cs) for a, cs in by_agency.items()}
    assert nhs[Agency.HEALTH] > 0.9
    assert nhs[Agency.POLICE] < 0.1 and nhs[Agency.PROBATION] < 0.1
    assert nhs[Agency.CHILDRENS_SERVICES] > 0.6
    assert all(c.person_id for c in by_agency[Agency.CHILDRENS_SERVICES])
    assert not any(c.upn for c in by_agency[Agency.HEALTH] + by_agency[Agency.POLICE])
    pupils = [c for c in by_agency[Agency.EDUCATION] if c.date_of_birth < dt.date(2020, 1, 1)]
    assert sum(c.upn is not None for c in pupils) / len(pupils) > 0.75
    for agency, children in by_agency.items():
        n = len(children)
        missing = sum(c.postcode is None for c in children)
        assert _close(missing, n, corruption.AGENCIES[agency].postcode_missing), agency


def test_records_without_name_tags_carry_the_true_names_and_tagged_ones_do_not() -> None:
    data = _set()
    for r in data.records:
        kid, tags = data.originals[r.truth], data.tags[r.record_id]
        given_tags = {t for t in tags if t.startswith("given.")}
        family_tags = {t for t in tags if t.startswith("family.")}
        if "names.swapped" in tags:
            continue
        assert (r.child.given_name == kid.given) == (not given_tags) or len(given_tags) > 1
        if not family_tags:
            assert r.child.family_name == kid.family
        if not {t for t in tags if t.startswith("dob.")}:
            assert r.child.date_of_birth == kid.born


def test_twins_and_cousins_next_door_are_there_and_look_alike() -> None:
    kids = _set().originals.values()
    homes = {k.home for k in kids}
    twins = [k for k in kids if k.twin_of]
    cousins = [k for k in kids if k.cousin_of]
    assert len(twins) / 2 > 0.04 * len(homes)
    assert len(cousins) >= 20
    by_key = _set().originals
    for k in twins + cousins:
        other = by_key.get(k.twin_of or k.cousin_of or "")
        if other:
            assert (other.born, other.family) == (k.born, k.family) and other.key != k.key
            assert (other.home == k.home) == bool(k.twin_of)


def test_truth_groups_span_several_agencies() -> None:
    agencies: dict[str, set[Agency]] = defaultdict(set)
    counts = Counter(r.truth for r in _set().records)
    for r in _set().records:
        agencies[r.truth].add(r.agency)
    several = [t for t, n in counts.items() if n >= 3]
    assert sum(len(agencies[t]) >= 2 for t in several) / len(several) > 0.9


def test_double_barrelled_surnames_are_recorded_in_part_or_spaced() -> None:
    data = _set()
    seen = {r.child.family_name for r in data.records if "-" in data.originals[r.truth].family}
    assert any("-" in s for s in seen) and any(" " in s for s in seen)
    assert any(s.isalpha() for s in seen)


@pytest.mark.parametrize("name", ["Harrison", "Olivia", "Wisniewski", "Li"])
def test_a_keyboard_typo_is_one_edit(name: str) -> None:
    rng = random.Random(3)
    for _ in range(50):
        out = keyboard_typo(rng, name)
        if len(name) < 3:
            assert out is None
            continue
        assert out and out != name and abs(len(out) - len(name)) <= 1
        assert out[0].isupper()


def test_ocr_errors_and_dates() -> None:
    rng = random.Random(4)
    assert ocr_error(rng, "Arnold") in {"Amold", "Arno1d", "Arnoid", "Arn0ld", "Arnolcl"}
    assert ocr_error(rng, "Yu") is None
    assert dob_day_month_swapped(dt.date(2015, 3, 7)) == dt.date(2015, 7, 3)
    assert dob_day_month_swapped(dt.date(2015, 3, 17)) is None
    born = dt.date(2016, 5, 14)
    for _ in range(30):
        out = dob_one_digit_off(rng, born, dt.date(2024, 4, 1))
        assert out is not None
        diff = sum(a != b for a, b in zip(out.isoformat(), born.isoformat(), strict=True))
        assert diff == 1


def test_evaluate_and_error_breakdown_run_on_the_set() -> None:
    result = evaluate_linkage(records=SETS["febrl"](3, 400))
    assert result.persons_true == 400 and result.quality.true_pairs > 500
    errors = linkage_errors(seed=3, children=400)
    wrong = result.quality.predicted_pairs - result.quality.correct_pairs
    assert sum(errors.false_merges.values()) == wrong
    assert (
        sum(errors.missed_links.values())
        == result.quality.true_pairs - result.quality.correct_pairs
    )


def test_the_cli_measures_on_the_febrl_set_by_children() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "linkage", "evaluate", "--set", "febrl",
         "--households", "300", "--seed", "4"],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "of 300 children" in done.stdout and "precision" in done.stdout
