"""Stage 1: decode and validate agency records; anything else becomes a dead letter, and so
does an event whose type does not belong to the topic it arrived on (a children's services
contact written to the police topic)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from plumbing.errors import ContractError
from schemas.common import Envelope, ValidationClock
from schemas.contracts import AGENCY_CONTRACTS
from schemas.framing import Codec
from streams.records import DeadLetter, Incoming, Valid

__all__ = ["topic_event_types", "validate"]


def topic_event_types(topic: Callable[[str], str]) -> dict[str, str]:
    """The event type each agency topic carries, by the topic's full name (``topic`` adds the
    hub's prefix: ``settings.topic``)."""
    return {topic(c.topic): c.model.EVENT_TYPE for c in AGENCY_CONTRACTS}


def validate(
    batch: Sequence[Incoming],
    clock: ValidationClock,
    codec: Codec,
    event_types: Mapping[str, str],
) -> tuple[list[Valid], list[DeadLetter]]:
    """Split a batch into valid events and dead letters (never raises on bad input).

    ``event_types`` maps each topic to the event type it carries (``topic_event_types``); an
    event of another type, or from a topic not in it, is a dead letter."""
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
        expected = event_types.get(record.topic)
        if event.event_type != expected:
            reason = (
                f"event type {event.event_type!r} does not belong on topic {record.topic!r}"
                + (f", which carries {expected!r}" if expected else ", which carries no events")
            )
            dead.append(DeadLetter(record, "validate", reason))
            continue
        valid.append(Valid(record, event))
    return valid, dead
