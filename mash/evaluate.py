"""Measure linkage on a labelled set: pairwise precision, recall and speed.

Two sets: ``hub``, the project's own (``simulation.labelled``, size = households), and ``febrl``,
an independent one built from the literature's corruption models (``simulation.corruption``,
size = children).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mash.quality import Quality, pairwise_quality
from simulation.corruption import corrupted_records
from simulation.labelled import LabelledRecord, labelled_records
from streams.linkage import Linker, PersonRecord

__all__ = ["LABELLED_SETS", "Evaluation", "evaluate_linkage"]

LABELLED_SETS: dict[str, Callable[[int, int], list[LabelledRecord]]] = {
    "hub": labelled_records,  # size = households
    "febrl": corrupted_records,  # size = children
}


@dataclass(frozen=True)
class Evaluation:
    """Linkage quality and speed on one labelled set."""

    quality: Quality
    persons_true: int
    persons_found: int
    records_per_s: float


def evaluate_linkage(seed: int = 7, households: int = 1500, labelled: str = "hub") -> Evaluation:
    """Link a labelled set in its (shuffled) order and score it against the truth."""
    records = LABELLED_SETS[labelled](seed, households)
    linker = Linker()
    started = time.perf_counter()
    for r in records:
        linker.add(PersonRecord.from_child(r.record_id, r.child, r.agency.value))
    seconds = time.perf_counter() - started
    predicted = {r.record_id: linker.person_of(r.record_id) for r in records}
    truth = {r.record_id: r.truth for r in records}
    return Evaluation(
        pairwise_quality(predicted, truth),
        len(set(truth.values())),
        len(set(predicted.values())),
        len(records) / seconds,
    )
