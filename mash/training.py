"""Training a linkage model from unlabelled records, as Splink does it, over the scorer's own
levels (``streams.levels``): u from random pairs, m by expectation-maximisation over blocked
pairs, name frequencies from the records.

EM runs once per blocking kind, and a session estimates m only for the fields its blocking
does not fix (pairs that share a birth date say nothing about how often birth dates of one
child agree): birth-date blocks estimate the names, postcode and sex; name blocks estimate
the birth date, postcode and sex; a field estimated twice takes the mean. Pairs that share
an NHS number, UPN or agency person id are decided by rule: they are left out of EM and seed
its m (their levels show how one child's records differ). u stays fixed at its sampled value.
Fields whose levels nest (``streams.levels.NESTED``) keep their weights in the levels' order.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

from streams.comparison import PersonRecord, names_key
from streams.levels import (
    FIELDS,
    NESTED,
    Level,
    dob_level,
    name_levels,
    postcode_level,
    sex_level,
)
from streams.model import TF_FIELDS, LevelParams, LinkageModel, TermFrequencies

__all__ = [
    "EmResult",
    "TrainingOptions",
    "em",
    "gamma",
    "monotone",
    "term_frequencies",
    "train",
]

NAMES = tuple(FIELDS)
_INDEX = {f: {level: i for i, (level, _) in enumerate(FIELDS[f])} for f in NAMES}


def _birth_date_key(record: PersonRecord) -> str | None:
    """The key of a born child's birth date: a block that fixes nothing else."""
    dob = record.date_of_birth
    return None if dob is None else f"dob:{dob.isoformat()}"


@dataclass(frozen=True)
class Session:
    """One EM session: the blocking that pairs records, and the fields it lets EM estimate
    (those the blocking does not fix). Training keys its own blocks, not linkage's: the
    linker's finer blocks fix several fields at once and change with its speed work."""

    key: Callable[[PersonRecord], str | None]
    estimate: tuple[str, ...]


_SESSIONS = {
    "dob": Session(_birth_date_key, ("given_name", "family_name", "sex", "postcode")),
    "names": Session(names_key, ("date_of_birth", "sex", "postcode")),
}
Progress = Callable[[str, int], None]
"""(step, units done since the last call)."""


@dataclass(frozen=True)
class TrainingOptions:
    """What training is told: the hand-set thresholds and how much work to do."""

    link: float
    review: float
    u_pairs: int = 200_000
    iterations: int = 40
    seed: int = 1
    tf_min_count: int = 2
    tf_max_values: int = 5000
    known_name_share: float = 0.0005
    variant_ratio: float = 5.0
    max_block: int = 400


@dataclass(frozen=True)
class EmResult:
    """m per field and level, the share of pairs that match, and the iterations run."""

    m: dict[str, NDArray[np.float64]]
    prior: float
    iterations: int


def gamma(a: PersonRecord, b: PersonRecord) -> tuple[int, ...]:
    """The level index of each field for a pair (-1 where a value is missing)."""
    levels = (
        *name_levels(a.given_name, a.family_name, b.given_name, b.family_name),
        dob_level(
            a.date_of_birth or a.expected_delivery_date,
            b.date_of_birth or b.expected_delivery_date,
        ),
        sex_level(a.sex, b.sex),
        postcode_level(a.postcode, b.postcode),
    )
    return tuple(
        -1 if level is Level.MISSING else _INDEX[f][level]
        for f, level in zip(NAMES, levels, strict=True)
    )


def em(
    patterns: NDArray[np.int64],
    counts: NDArray[np.float64],
    m0: dict[str, NDArray[np.float64]],
    u: dict[str, NDArray[np.float64]],
    estimate: Sequence[str],
    prior: float = 0.1,
    iterations: int = 40,
    known: tuple[NDArray[np.int64], NDArray[np.float64]] | None = None,
) -> EmResult:
    """Fellegi-Sunter EM over distinct level vectors (rows of ``patterns``, one column per
    field of ``NAMES``, -1 missing) seen ``counts`` times; u fixed, m of ``estimate`` fitted.
    ``known`` are vectors of pairs known to match (posterior 1: a strong identifier agrees)."""
    m = {f: v.copy() for f, v in m0.items()}
    known_patterns, known_counts = known if known is not None else _patterns(Counter())
    done = 0
    for step in range(1, iterations + 1):
        done = step
        p = _posterior(patterns, m, u, prior, estimate)
        new_prior = float((p * counts).sum() / counts.sum())
        change = abs(new_prior - prior)
        prior = new_prior
        for col, f in enumerate(NAMES):
            if f not in estimate:
                continue
            mass = _mass(patterns[:, col], p * counts, len(m[f]))
            mass += _mass(known_patterns[:, col], known_counts, len(m[f]))
            fitted = (mass + 1.0) / (mass.sum() + len(mass))  # add-one, as u: no level is 0
            change = max(change, float(np.abs(fitted - m[f]).max()))
            m[f] = fitted
        if change < 1e-7:
            break
    return EmResult(m, prior, done)


def _mass(
    levels: NDArray[np.int64], weights: NDArray[np.float64], size: int
) -> NDArray[np.float64]:
    present = levels >= 0
    found = np.bincount(levels[present], weights=weights[present], minlength=size)
    return found.astype(np.float64)


def _posterior(
    patterns: NDArray[np.int64],
    m: dict[str, NDArray[np.float64]],
    u: dict[str, NDArray[np.float64]],
    prior: float,
    fields: Sequence[str],
) -> NDArray[np.float64]:
    """P(match | levels) from the fields not fixed by the session's blocking."""
    log_odds = np.full(len(patterns), np.log(prior / (1 - prior)))
    for col, f in enumerate(NAMES):
        if f not in fields:
            continue
        levels = patterns[:, col]
        present = levels >= 0
        ratio = np.log(m[f]) - np.log(u[f])
        log_odds[present] += ratio[levels[present]]
    posterior: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
    return posterior


def level_shares(vectors: Iterable[tuple[int, ...]]) -> dict[str, NDArray[np.float64]]:
    """Share of each level per field among the vectors (add-one smoothed, missing left out)."""
    counts = {f: np.ones(len(FIELDS[f])) for f in NAMES}
    for vector in vectors:
        for f, level in zip(NAMES, vector, strict=True):
            if level >= 0:
                counts[f][level] += 1
    return {f: c / c.sum() for f, c in counts.items()}


def term_frequencies(
    records: Sequence[PersonRecord], min_count: int, max_values: int
) -> dict[str, TermFrequencies]:
    """Share of records with each given and family name; a name seen fewer than
    ``min_count`` times is left out and takes the default (the share of one record)."""
    out = {}
    for f in TF_FIELDS:
        counter = Counter(getattr(r, f) for r in records if getattr(r, f))
        total = sum(counter.values()) or 1
        kept = [(v, n) for v, n in counter.most_common(max_values) if n >= min_count]
        out[f] = TermFrequencies({v: n / total for v, n in kept}, 1 / total)
    return out


def _sure(a: PersonRecord, b: PersonRecord) -> bool:
    """A strong identifier agrees (the linker's own definition of them)."""
    return not set(a.strong_ids()).isdisjoint(b.strong_ids())


def _different_nhs(a: PersonRecord, b: PersonRecord) -> bool:
    return bool(a.nhs_number and b.nhs_number and a.nhs_number != b.nhs_number)


def blocked_pairs(
    records: Sequence[PersonRecord], kind: str, max_block: int
) -> set[tuple[int, int]]:
    """Pairs of record positions sharing the key of session ``kind`` (born children only;
    a block of more than ``max_block`` records is left out)."""
    key_of = _SESSIONS[kind].key
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        if r.date_of_birth is not None and (key := key_of(r)) is not None:
            blocks[key].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) <= max_block:
            pairs.update(combinations(sorted(members), 2))
    return pairs


def _sample_u(
    records: Sequence[PersonRecord], options: TrainingOptions, progress: Progress
) -> dict[str, NDArray[np.float64]]:
    rng = random.Random(options.seed)
    born = [r for r in records if r.date_of_birth is not None]
    vectors = []
    for n in range(options.u_pairs):
        a, b = rng.sample(born, 2)
        vectors.append(gamma(a, b))
        if n % 10_000 == 9_999:
            progress("u from random pairs", 10_000)
    return level_shares(vectors)


def _patterns(
    vectors: Counter[tuple[int, ...]],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    keys = list(vectors)
    return np.array(keys, dtype=np.int64).reshape(-1, len(NAMES)), np.array(
        [vectors[k] for k in keys], dtype=np.float64
    )


def train(
    records: Sequence[PersonRecord],
    options: TrainingOptions,
    metadata: dict[str, object],
    progress: Progress = lambda step, n: None,
) -> LinkageModel:
    """Estimate a model from records (no labels): see the module docstring."""
    u = _sample_u(records, options, progress)
    sure: dict[tuple[int, int], tuple[int, ...]] = {}  # a pair in two sessions counts once
    sessions: dict[str, Counter[tuple[int, ...]]] = {}
    for kind in _SESSIONS:
        vectors: Counter[tuple[int, ...]] = Counter()
        for i, j in blocked_pairs(records, kind, options.max_block):
            a, b = records[i], records[j]
            if _sure(a, b):
                sure[i, j] = gamma(a, b)
            elif not _different_nhs(a, b):
                vectors[gamma(a, b)] += 1
        sessions[kind] = vectors
        progress(f"pairs blocked on {kind}", 1)
    seed_m = level_shares(list(sure.values()))
    known = _patterns(Counter(sure.values()))
    fitted: dict[str, list[NDArray[np.float64]]] = defaultdict(list)
    report: dict[str, dict[str, float | int | None]] = {}
    for kind, session in _SESSIONS.items():
        patterns, counts = _patterns(sessions[kind])
        if not counts.size:  # nothing blocked: no estimate (the fields keep the others')
            report[kind] = {"pairs": 0, "prior": None, "iterations": 0}
            continue
        result = em(
            patterns,
            counts,
            seed_m,
            u,
            session.estimate,
            iterations=options.iterations,
            known=known,
        )
        for f in session.estimate:
            fitted[f].append(result.m[f])
        report[kind] = {
            "pairs": int(counts.sum()),
            "prior": round(result.prior, 6),
            "iterations": result.iterations,
        }
        progress(f"EM on {kind} blocks", 1)
    m = {f: np.mean(fitted[f], axis=0) if fitted[f] else seed_m[f] for f in NAMES}
    m = {f: monotone(m[f], u[f]) if f in NESTED else m[f] for f in NAMES}
    return _model(
        m, u, records, options, {**metadata, "em_sessions": report, "rule_pairs": len(sure)}
    )


def monotone(m: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.float64]:
    """m adjusted so that m/u never rises from one level to the next (pool adjacent
    violators): a run of levels out of order takes the ratio of its summed m and u, each
    level keeping its own u, so the run's m sums as before. EM over a generator that seldom
    moves a family within its sector gave the same sector a weight below a different
    postcode's; the order of nested levels is known, not something to estimate."""
    runs: list[tuple[float, float, int]] = []  # (summed m, summed u, levels) of each run
    for m_level, u_level in zip(m.tolist(), u.tolist(), strict=True):
        run = (m_level, u_level, 1)
        while runs and runs[-1][0] / runs[-1][1] < run[0] / run[1]:
            last = runs.pop()
            run = (last[0] + run[0], last[1] + run[1], last[2] + run[2])
        runs.append(run)
    ratios = [r[0] / r[1] for r in runs for _ in range(r[2])]
    return np.asarray(ratios) * u


def _sig(value: float) -> float:
    return float(f"{value:.6g}")


def _model(
    m: dict[str, NDArray[np.float64]],
    u: dict[str, NDArray[np.float64]],
    records: Sequence[PersonRecord],
    options: TrainingOptions,
    metadata: dict[str, object],
) -> LinkageModel:
    comparisons = {
        f: tuple(
            LevelParams(level, text, _sig(m[f][i]), _sig(u[f][i]))
            for i, (level, text) in enumerate(FIELDS[f])
        )
        for f in NAMES
    }
    tf = term_frequencies(records, options.tf_min_count, options.tf_max_values)
    return LinkageModel.build(
        link=options.link,
        review=options.review,
        comparisons=comparisons,
        term_frequencies=tf,
        known_name_share=options.known_name_share,
        variant_ratio=options.variant_ratio,
        metadata={**metadata, "records": len(records), "u_pairs": options.u_pairs},
    )
