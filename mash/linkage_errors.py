"""Why linkage errs on the corruption set: false merges and missed links by cause.

Uses what the generator knows (``simulation.corruption.corrupted_records_with_tags``): which
children are twins, cousins or siblings, and which corruptions each record carries. Counts are
pairs of records, as in the pairwise precision and recall. Each pair gets the first cause that
fits, in the order of ``MISSED_CAUSES``. Run ``python -m mash.linkage_errors --seed 11``.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations

from simulation.corruption import CorruptedSet, corrupted_records_with_tags
from simulation.febrl_lookups import TWIN_NAME_PAIRS
from simulation.labelled import LabelledRecord
from streams.linkage import Linker, PersonRecord

__all__ = ["MISSED_CAUSES", "LinkageErrors", "linkage_errors", "main"]

# cause -> tags; a tag counts when the two records differ in it (one has it, or both, drawn apart)
MISSED_CAUSES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (cause, frozenset(tags))
    for cause, tags in (
        ("surname change (step-parent)", {"family.step"}),
        ("double-barrelled surname", {"family.one_part", "family.spaced"}),
        ("nickname", {"given.diminutive"}),
        ("sound-alike spelling", {"given.sound_alike", "family.sound_alike"}),
        ("given/family swapped", {"names.swapped"}),
        ("birth date error", {"dob.day_month", "dob.one_day", "dob.one_digit"}),
        ("moved address w/o NHS number", {"address.old"}),
        ("typo or OCR", {"given.typo", "family.typo", "given.ocr", "family.ocr"}),
        ("sex unknown", {"sex.unknown"}),
    )
)
_ONE_SIDED = frozenset({"family.step", "address.old"})  # the same value whenever applied


@dataclass(frozen=True)
class LinkageErrors:
    """Pairs wrongly merged and pairs wrongly left apart, counted by cause."""

    false_merges: Counter[str]
    missed_links: Counter[str]


def _link(records: list[LabelledRecord]) -> dict[str, str]:
    linker = Linker()
    for r in records:
        linker.add(PersonRecord.from_child(r.record_id, r.child, r.agency.value))
    return {r.record_id: linker.person_of(r.record_id) for r in records}


def _merge_cause(data: CorruptedSet, a: str, b: str) -> str:
    one, two = data.originals[a], data.originals[b]
    if one.twin_of == b:
        near = any({one.given, two.given} == {x, y} for x, y, _, _ in TWIN_NAME_PAIRS)
        return "twins, near-identical names" if near else "twins, different names"
    if one.cousin_of == b:
        return "cousins next door, born the same day"
    if one.home == two.home:
        return "siblings"
    if one.born == two.born:
        return "unrelated, same birth date"
    return "unrelated"


def _missed_cause(data: CorruptedSet, a: LabelledRecord, b: LabelledRecord) -> str:
    ta, tb = data.tags[a.record_id], data.tags[b.record_id]
    differing = (ta ^ tb) | ((ta & tb) - _ONE_SIDED)
    both_nhs = bool(a.child.nhs_number and b.child.nhs_number)
    for cause, tags in MISSED_CAUSES:
        if differing & tags and not (cause.startswith("moved") and both_nhs):
            return cause
    shared = any(
        getattr(a.child, f) and getattr(a.child, f) == getattr(b.child, f)
        for f in ("nhs_number", "upn")
    ) or (a.agency == b.agency and a.child.person_id and a.child.person_id == b.child.person_id)
    return "other, a shared identifier" if shared else "other, no shared identifier"


def linkage_errors(seed: int = 11, children: int = 4000) -> LinkageErrors:
    """Link the corruption set with the hub's linker and count its errors by cause."""
    data = corrupted_records_with_tags(seed, children)
    person = _link(data.records)
    by_person: dict[str, Counter[str]] = defaultdict(Counter)
    by_truth: dict[str, list[LabelledRecord]] = defaultdict(list)
    for r in data.records:
        by_person[person[r.record_id]][r.truth] += 1
        by_truth[r.truth].append(r)
    merges: Counter[str] = Counter()
    for truths in by_person.values():
        for (one, n_one), (two, n_two) in combinations(sorted(truths.items()), 2):
            merges[_merge_cause(data, one, two)] += n_one * n_two
    missed: Counter[str] = Counter()
    for records in by_truth.values():
        for a, b in combinations(records, 2):
            if person[a.record_id] != person[b.record_id]:
                missed[_missed_cause(data, a, b)] += 1
    return LinkageErrors(merges, missed)


def main() -> None:
    """Print the error breakdown for one seed and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--children", type=int, default=4000)
    args = parser.parse_args()
    errors = linkage_errors(args.seed, args.children)
    for title, counts in (("false merges", errors.false_merges), ("missed", errors.missed_links)):
        print(f"{title}: {sum(counts.values())} pairs")
        for cause, n in counts.most_common():
            print(f"  {n:6d}  {cause}")


if __name__ == "__main__":
    main()
