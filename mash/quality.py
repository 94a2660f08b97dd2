"""Linkage quality: pairwise precision and recall of predicted persons against the truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Quality", "pairwise_quality"]


@dataclass(frozen=True)
class Quality:
    """Pairwise figures: a pair of records is 'linked' when both are in one person."""

    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        """Share of predicted pairs that are the same child."""
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        """Share of same-child pairs that were predicted."""
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_quality(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Quality:
    """Compare record -> predicted person with record -> true person."""
    both = Counter((predicted[r], truth[r]) for r in truth)
    return Quality(
        records=len(truth),
        true_pairs=sum(map(_pairs, Counter(truth.values()).values())),
        predicted_pairs=sum(map(_pairs, Counter(predicted[r] for r in truth).values())),
        correct_pairs=sum(map(_pairs, both.values())),
    )
