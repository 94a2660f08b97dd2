"""The linkage model as data: levels with m and u, thresholds, name frequencies, a version.

A model file (JSON, in the spirit of Splink's settings) is written by ``mash linkage train``
and read once by the worker (``MASH_LINKAGE_MODEL``, else the packaged default). Its version
is a hash of its content, checked on load, so a model cannot change without its version
changing, and every link, possible match and audit entry names the version that made it.

    {"version": "lm-…", "thresholds": {"link": 14.0, "review": 8.0},
     "comparisons": {"given_name": [{"level": "exact", "description": "…", "m": …,
                                     "u": …}, …], …},
     "term_frequencies": {"given_name": {"default": …, "values": {"oliver": …}}, …},
     "known_name_share": 0.0005, "variant_ratio": 5.0,
     "metadata": {"command": "mash linkage train …", …}}
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from plumbing.errors import LinkageModelError
from streams.levels import FIELDS, Level

__all__ = [
    "DEFAULT_MODEL",
    "LevelParams",
    "LinkageModel",
    "TermFrequencies",
    "content_version",
    "default_model",
    "load_model",
]

DEFAULT_MODEL = "linkage-default.json"
"""The packaged model's file name under ``streams/models``."""
TF_FIELDS = ("given_name", "family_name")
_TOLERANCE = 1e-3


@dataclass(frozen=True)
class LevelParams:
    """One level of one comparison: what it means, m = P(level | match), u = P(level | not)."""

    level: Level
    description: str
    m: float
    u: float

    @property
    def weight(self) -> float:
        """The match weight of this level, log2(m/u)."""
        return math.log2(self.m / self.u)


@dataclass(frozen=True)
class TermFrequencies:
    """Share of records with each value of a field, and the share assumed for an unseen one."""

    values: Mapping[str, float]
    default: float

    def share(self, value: str) -> float:
        """How common the value is among records."""
        return self.values.get(value, self.default)


@dataclass(frozen=True)
class LinkageModel:
    """A trained linkage model (see the module docstring for the file)."""

    version: str
    link: float
    review: float
    comparisons: Mapping[str, tuple[LevelParams, ...]]
    term_frequencies: Mapping[str, TermFrequencies]
    known_name_share: float
    variant_ratio: float
    metadata: Mapping[str, Any] = field(default_factory=dict)
    weights: dict[str, dict[Level, float]] = field(init=False, repr=False, compare=False)
    """field -> level -> weight (0 for a missing value), computed once."""
    _exact: dict[tuple[str, str], float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _validate(self)
        weights = {
            f: {Level.MISSING: 0.0, **{p.level: p.weight for p in ps}}
            for f, ps in self.comparisons.items()
        }
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "_exact", {})

    def weight(self, field_name: str, level: Level) -> float:
        """The weight of a level (0 for a missing value)."""
        return self.weights[field_name][level]

    def exact_weight(self, field_name: str, value: str) -> float:
        """The weight of an exact agreement on ``value``: log2(m / share of the value), so a
        common name counts for less than a rare one (Splink's term-frequency adjustment). A
        value the training records never show has no measured share: it weighs as the level
        does, log2(m/u), since another population's common name (Arthur where the training
        records had none) would otherwise weigh as a name carried by one record in all."""
        key = (field_name, value)
        found = self._exact.get(key)
        if found is None:
            exact = self.comparisons[field_name][0]
            tf = self.term_frequencies[field_name]
            found = math.log2(exact.m / tf.values.get(value, max(tf.default, exact.u)))
            if len(self._exact) < 1 << 16:  # a bounded memo of a pure function
                self._exact[key] = found
        return found

    def is_common_given_name(self, name: str) -> bool:
        """A given name carried by at least ``known_name_share`` of records."""
        return self.term_frequencies["given_name"].share(name) >= self.known_name_share

    def is_variant(self, a: str, b: str) -> bool:
        """One given name at least ``variant_ratio`` times rarer than the other, both counted
        in the training records (a name they never show has no frequency to compare: being
        unseen says the training records were small, not that it is rare)."""
        shares = self.term_frequencies["given_name"]
        if a not in shares.values or b not in shares.values:
            return False
        low, high = sorted((shares.share(a), shares.share(b)))
        return high >= self.variant_ratio * low

    def to_json(self) -> dict[str, Any]:
        """The file's content (the version included)."""
        return {"version": self.version, **_body(self)}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> LinkageModel:
        """A model from a file's content; a ``LinkageModelError`` (one line) if it is wrong."""
        try:
            model = _parse(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise LinkageModelError(
                f"linkage model: malformed ({type(exc).__name__}: {exc})"
            ) from exc
        stated, actual = doc.get("version"), content_version(model)
        if stated != actual:
            raise LinkageModelError(
                f"linkage model: version {stated!r} does not match its content ({actual}); "
                "a changed model needs a new version (mash linkage train writes it)"
            )
        return model

    @classmethod
    def build(cls, **fields: Any) -> LinkageModel:
        """A model stamped with the version its content implies."""
        draft = cls(version="", **fields)
        return cls(version=content_version(draft), **fields)


def content_version(model: LinkageModel) -> str:
    """The version a model's content implies: ``lm-`` and 12 hex digits of its hash."""
    text = json.dumps(_body(model), sort_keys=True, separators=(",", ":"))
    return "lm-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def load_model(path: Path | None = None) -> LinkageModel:
    """The model in ``path``, else the packaged default."""
    if path is None:
        return default_model()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise LinkageModelError(f"linkage model {path}: cannot read (not UTF-8 text)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise LinkageModelError(f"linkage model {path}: cannot read ({exc})") from exc
    try:
        return LinkageModel.from_json(doc)
    except LinkageModelError as exc:  # which file, for a model named by MASH_LINKAGE_MODEL
        raise LinkageModelError(
            str(exc).replace("linkage model:", f"linkage model {path}:", 1)
        ) from None


@cache
def default_model() -> LinkageModel:
    """The packaged model (read once)."""
    text = resources.files("streams").joinpath("models", DEFAULT_MODEL).read_text()
    return LinkageModel.from_json(json.loads(text))


def _body(model: LinkageModel) -> dict[str, Any]:
    return {
        "thresholds": {"link": model.link, "review": model.review},
        "comparisons": {
            f: [
                {"level": p.level.value, "description": p.description, "m": p.m, "u": p.u}
                for p in ps
            ]
            for f, ps in model.comparisons.items()
        },
        "term_frequencies": {
            f: {"default": t.default, "values": dict(t.values)}
            for f, t in model.term_frequencies.items()
        },
        "known_name_share": model.known_name_share,
        "variant_ratio": model.variant_ratio,
        "metadata": dict(model.metadata),
    }


def _parse(doc: Mapping[str, Any]) -> LinkageModel:
    comparisons = {
        f: tuple(
            LevelParams(Level(p["level"]), str(p["description"]), float(p["m"]), float(p["u"]))
            for p in levels
        )
        for f, levels in doc["comparisons"].items()
    }
    tf = {
        f: TermFrequencies({str(k): float(v) for k, v in t["values"].items()}, float(t["default"]))
        for f, t in doc["term_frequencies"].items()
    }
    return LinkageModel(
        version=str(doc.get("version", "")),
        link=float(doc["thresholds"]["link"]),
        review=float(doc["thresholds"]["review"]),
        comparisons=comparisons,
        term_frequencies=tf,
        known_name_share=float(doc["known_name_share"]),
        variant_ratio=float(doc["variant_ratio"]),
        metadata=dict(doc.get("metadata", {})),
    )


def _validate(model: LinkageModel) -> None:
    if set(model.comparisons) != set(FIELDS):
        raise LinkageModelError(
            f"linkage model: comparisons {sorted(model.comparisons)} are not {sorted(FIELDS)}"
        )
    for name, levels in model.comparisons.items():
        _validate_levels(name, levels)
    if set(model.term_frequencies) != set(TF_FIELDS):
        raise LinkageModelError(f"linkage model: term frequencies must be for {TF_FIELDS}")
    for name, tf in model.term_frequencies.items():
        shares = [tf.default, *tf.values.values()]
        if not all(0.0 < s <= 1.0 for s in shares):
            raise LinkageModelError(f"linkage model: {name} frequencies must be in (0, 1]")
    if not (math.isfinite(model.link) and math.isfinite(model.review)):
        raise LinkageModelError("linkage model: the thresholds must be finite numbers")
    if not model.review <= model.link:
        raise LinkageModelError("linkage model: the review threshold is above the link one")
    if not 0.0 < model.known_name_share <= 1.0:  # also false for NaN
        raise LinkageModelError("linkage model: known_name_share must be in (0, 1]")
    if not (math.isfinite(model.variant_ratio) and model.variant_ratio >= 1.0):
        raise LinkageModelError("linkage model: variant_ratio must be a finite number >= 1")


def _validate_levels(name: str, levels: tuple[LevelParams, ...]) -> None:
    expected = [level for level, _ in FIELDS[name]]
    if [p.level for p in levels] != expected:
        raise LinkageModelError(
            f"linkage model: {name} levels {[p.level.value for p in levels]} "
            f"are not {[e.value for e in expected]}"
        )
    for p in levels:
        if not (0.0 < p.m <= 1.0 and 0.0 < p.u <= 1.0):  # also false for NaN
            raise LinkageModelError(f"linkage model: {name}.{p.level} m and u must be in (0, 1]")
    for prob in ("m", "u"):
        total = sum(getattr(p, prob) for p in levels)
        if abs(total - 1.0) > _TOLERANCE:
            raise LinkageModelError(f"linkage model: {name} {prob} sums to {total:.4f}, not 1")
