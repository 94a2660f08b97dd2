"""The dead-letter contract: what a dead letter (the hub's, or the sinks' quarantine) carries.

A dead letter is the original key and value with headers naming where it came from (topic,
partition, offset), the stage that refused it and why. It always fits: an original larger
than ``INLINE_BYTES`` is kept as a content-addressed private file under ``$MASH_HOME`` (see
``plumbing.blobs``) and the message carries only its sha256 and size, so a message just
under an input topic's size limit can never make its dead letter too large to send (the
producer's limit is 1 MiB; the headers add to the value).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plumbing.blobs import read_blob, store_blob

__all__ = [
    "INLINE_BYTES",
    "REASON_CHARS",
    "DeadLetterMessage",
    "Origin",
    "dead_letter",
    "fitting",
    "origin_of",
    "original_value",
]

INLINE_BYTES = 512 * 1024
"""Originals up to this size travel in the dead letter itself; larger ones are stored."""

REASON_CHARS = 2000
"""A reason is cut to this length (a validation error can quote a whole field)."""

REASON, STAGE, SOURCE = "mash.reason", "mash.stage", "mash.source"
STORED_SHA256, STORED_SIZE = "mash.original.sha256", "mash.original.size"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a dead letter came from, the stage that refused it and why."""

    topic: str
    partition: int
    offset: int
    stage: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeadLetterMessage:
    """A dead letter as sent: key, value (empty when the original was stored) and headers."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def dead_letter(origin: Origin, key: bytes | None, value: bytes, home: Path) -> DeadLetterMessage:
    """The dead letter of one refused record (storing the original first when too large)."""
    headers = [
        (REASON, origin.reason[:REASON_CHARS].encode()),
        (STAGE, origin.stage.encode()),
        (SOURCE, f"{origin.topic}/{origin.partition}/{origin.offset}".encode()),
    ]
    return fitting(key, value, headers, home)


def fitting(
    key: bytes | None, value: bytes, headers: list[tuple[str, bytes]], home: Path
) -> DeadLetterMessage:
    """A dead letter of ``value`` with ``headers`` that always fits: a value over
    ``INLINE_BYTES`` stored under ``home`` first, the message carrying its sha256 and size
    (the hub's dead letters, the sinks' quarantine, `mash publish`'s rejected rows)."""
    if len(value) <= INLINE_BYTES:
        return DeadLetterMessage(key, value, headers)
    digest = store_blob(home, value)
    stored = [(STORED_SHA256, digest.encode()), (STORED_SIZE, str(len(value)).encode())]
    return DeadLetterMessage(key, b"", [*headers, *stored])


def origin_of(headers: dict[str, bytes]) -> Origin | None:
    """A dead letter's origin from its headers (None: not a dead letter of this form)."""
    try:
        topic, partition, offset = headers[SOURCE].decode().rsplit("/", 2)
        return Origin(
            topic,
            int(partition),
            int(offset),
            headers[STAGE].decode(),
            headers.get(REASON, b"").decode(errors="replace"),
        )
    except (KeyError, ValueError):
        return None


def original_value(headers: dict[str, bytes], value: bytes | None, home: Path) -> bytes:
    """The refused record's original bytes (read back from ``home`` when stored there)."""
    digest = headers.get(STORED_SHA256)
    if digest is None:
        return value or b""
    data = read_blob(home, digest.decode())
    if len(data) != int(headers.get(STORED_SIZE, b"-1")):
        raise ValueError(f"blob {digest.decode()} is not of the size its dead letter names")
    return data
