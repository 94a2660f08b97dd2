"""Decoder fuzzing: generated inputs (random bytes, truncated and mutated valid events, packed
messages) through the framing and contract decoders, which may raise nothing but the contract
error (`ContractError`). Every other exception is counted by type: the figure is zero."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

from plumbing.errors import ContractError
from schemas.common import ValidationClock
from schemas.contracts import AGENCY_CONTRACTS
from schemas.framing import Codec, pack, unpack

__all__ = ["FuzzResult", "fuzz", "inputs", "seeds"]

CLOCK = ValidationClock(now=dt.datetime(2013, 6, 1, tzinfo=dt.UTC))


@dataclass
class FuzzResult:
    """What a run found: inputs tried, accepted, refused with the contract error, and every
    other exception by type (with the first input of each, hex, for a reproduction)."""

    inputs: int = 0
    accepted: int = 0
    refused: int = 0
    seconds: float = 0.0
    unexpected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0


@cache
def seeds(per_contract: int = 3, seed: int = 1) -> tuple[bytes, ...]:
    """Valid framed events of every agency contract, from the simulated year."""
    from simulation.year import simulate

    by_type = {c.model.EVENT_TYPE: c for c in AGENCY_CONTRACTS}
    codec = Codec()
    found: list[bytes] = []
    for kind, events in sorted(simulate("havering-2012", seed=seed).events.items()):
        for event in events[:per_contract]:
            contract = by_type.get(getattr(event, "event_type", kind))
            if contract is not None:
                found.append(codec.encode(contract, event, contract.topic))
    return tuple(found)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One to eight byte-level edits: flips, replacements, insertions, deletions, cuts."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(5)
        at = rng.randrange(len(out) + 1)
        if kind == 0 and at < len(out):
            out[at] ^= 1 << rng.randrange(8)
        elif kind == 1 and at < len(out):
            out[at] = rng.randrange(256)
        elif kind == 2:
            out[at:at] = rng.randbytes(rng.randint(1, 16))
        elif kind == 3:
            del out[at : at + rng.randint(1, 16)]
        else:
            out = out[:at]
    return bytes(out)


def inputs(count: int, valid: Sequence[bytes], seed: int = 0) -> Iterator[bytes]:
    """``count`` generated inputs: a tenth random bytes, the rest truncated or mutated valid
    events, some behind a valid header, some packed several to a message."""
    rng = random.Random(seed)
    for n in range(count):
        base = valid[n % len(valid)]
        kind = n % 10
        if kind == 0:
            yield rng.randbytes(rng.randint(0, 300))
        elif kind == 1:
            yield base[: rng.randrange(len(base))]
        elif kind == 2:
            yield base[:10] + rng.randbytes(rng.randint(0, 200))
        elif kind == 3:
            yield pack([_mutate(rng, v) for v in rng.sample(valid, 3)])
        else:
            yield _mutate(rng, base)


def _one(codec: Codec, data: bytes, result: FuzzResult) -> None:
    try:
        frames = unpack(data) if data[:1] not in (b"\xc3", b"\x00") else [data]
        for frame in frames:
            codec.decode(frame, CLOCK)
        result.accepted += 1
    except ContractError:
        result.refused += 1
    except Exception as exc:  # what the fuzzing is for: any other exception is a bug
        name = type(exc).__name__
        result.unexpected[name] += 1
        result.examples.setdefault(name, data.hex())


def fuzz(count: int, seed: int = 0, valid: Sequence[bytes] | None = None) -> FuzzResult:
    """Decode ``count`` generated inputs; the result counts what happened."""
    codec = Codec()
    valid = valid or seeds()
    result = FuzzResult()
    started = time.perf_counter()
    for data in inputs(count, valid, seed):
        result.inputs += 1
        _one(codec, data, result)
    result.seconds = time.perf_counter() - started
    return result
