"""Stage 1: decode and validate agency records; anything else becomes a dead letter."""

from __future__ import annotations

from collections.abc import Sequence

from plumbing.errors import ContractError
from schemas.common import Envelope, ValidationClock
from schemas.framing import Codec
from streams.records import DeadLetter, Incoming, Valid

__all__ = ["validate"]


def validate(
    batch: Sequence[Incoming], clock: ValidationClock, codec: Codec
) -> tuple[list[Valid], list[DeadLetter]]:
    """Split a batch into valid events and dead letters (never raises on bad input)."""
    valid: list[Valid] = []
    dead: list[DeadLetter] = []
    for record in batch:
        try:
            event = codec.decode(record.value, clock)
        except ContractError as exc:
            dead.append(DeadLetter(record, "validate", str(exc)))
            continue
        if not isinstance(event, Envelope):  # every contract's model is an Envelope
            dead.append(DeadLetter(record, "validate", f"{type(event).__name__} has no envelope"))
            continue
        valid.append(Valid(record, event))
    return valid, dead
