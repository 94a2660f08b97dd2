"""The typed values that flow between stages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.common import Envelope
from schemas.deadletters import DeadLetterMessage, Origin, dead_letter

__all__ = ["DeadLetter", "Incoming", "Valid"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """A record as it arrived on an agency topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True, slots=True)
class Valid:
    """A decoded, validated event and where it came from."""

    source: Incoming
    event: Envelope


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record the hub will not process, with the reason and the stage that said so."""

    source: Incoming
    stage: str
    reason: str

    def origin(self) -> Origin:
        """Where it came from, the stage and the reason."""
        s = self.source
        return Origin(s.topic, s.partition, s.offset, self.stage, self.reason)

    def message(self, home: Path) -> DeadLetterMessage:
        """The dead letter to send (an oversized original is stored under ``home``)."""
        return dead_letter(self.origin(), self.source.key, self.source.value, home)

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers for the dead-letter topic (the value stays the original bytes; for
        originals that may be large, ``message``)."""
        return dead_letter(self.origin(), None, b"", Path()).headers
