"""The typed values that flow between stages."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.common import Envelope

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

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers for the dead-letter topic (the value stays the original bytes)."""
        return [
            ("mash.reason", self.reason.encode()),
            ("mash.stage", self.stage.encode()),
            (
                "mash.source",
                f"{self.source.topic}/{self.source.partition}/{self.source.offset}".encode(),
            ),
        ]
