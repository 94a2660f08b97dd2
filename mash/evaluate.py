"""Measure linkage on a labelled set: pairwise precision, recall and F1 at several link
thresholds, the share of records sent to review, and speed.

Two sets: ``hub``, the project's own (``simulation.labelled``, size = households), and ``febrl``,
an independent one built from the literature's corruption models (``simulation.corruption``,
size = children).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mash.quality import Quality, pairwise_quality
from plumbing.gc_pauses import survivors_frozen
from simulation.corruption import corrupted_records
from simulation.labelled import LabelledRecord, labelled_records
from streams.linkage import Linker, LinkPolicy, PersonRecord
from streams.model import LinkageModel

__all__ = ["SETS", "Evaluation", "Point", "evaluate_linkage", "sweep"]

SETS: dict[str, Callable[[int, int], list[LabelledRecord]]] = {
    "hub": labelled_records,  # size = households
    "febrl": corrupted_records,  # size = children
}
"""Labelled set name -> function(seed, size) -> its records."""


@dataclass(frozen=True)
class Evaluation:
    """Linkage quality and speed on one labelled set at one pair of thresholds."""

    quality: Quality
    persons_true: int
    persons_found: int
    records_per_s: float
    """Records linked per CPU-second of the linking process."""
    reviewed: int
    """Records whose arrival raised a possible match (each waits for a person to decide)."""
    link: float = 0.0

    @property
    def review_share(self) -> float:
        """Share of records sent to review."""
        return self.reviewed / self.quality.records if self.quality.records else 0.0

    @property
    def f1(self) -> float:
        """The harmonic mean of pairwise precision and recall."""
        p, r = self.quality.precision, self.quality.recall
        return 2 * p * r / (p + r) if p + r else 0.0


Point = Evaluation


def evaluate_linkage(
    model: LinkageModel | None = None,
    seed: int = 7,
    households: int = 1500,
    *,
    records: Sequence[LabelledRecord] | None = None,
    link: float | None = None,
) -> Evaluation:
    """Link a labelled set in its (shuffled) order and score it against the truth."""
    labelled = records if records is not None else labelled_records(seed, households)
    linker = Linker() if model is None else Linker(model=model)
    if link is not None:
        review = min(linker.thresholds.review, link)
        linker = Linker(model=linker.model, policy=LinkPolicy(link, review))
    person_records = [
        PersonRecord.from_child(r.record_id, r.child, r.agency.value) for r in labelled
    ]
    reviewed = 0
    gc.freeze()  # the labelled set is the harness's, not the linker's: not for the collector
    with survivors_frozen():  # the linker's index collected as the worker's is
        started = time.process_time()  # CPU seconds: the machine's other load does not count
        for record in person_records:
            reviewed += bool(linker.add(record).possible)
        seconds = max(time.process_time() - started, 1e-9)
    gc.unfreeze()
    predicted = {r.record_id: linker.person_of(r.record_id) for r in labelled}
    truth = {r.record_id: r.truth for r in labelled}
    return Evaluation(
        pairwise_quality(predicted, truth),
        len(set(truth.values())),
        len(set(predicted.values())),
        len(labelled) / seconds,
        reviewed,
        linker.thresholds.link,
    )


def sweep(
    model: LinkageModel, records: Sequence[LabelledRecord], offsets: Sequence[float]
) -> list[Evaluation]:
    """Evaluations at the model's link threshold moved by each offset."""
    return [
        evaluate_linkage(model, records=records, link=model.link + offset) for offset in offsets
    ]
