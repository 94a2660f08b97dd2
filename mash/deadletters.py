"""Dead letters and quarantined records, for the operator: listed by stage and reason (ids and
offsets only, never a payload), and replayed to their original topic once the cause is fixed.

Both run as ``admin``, the super user (least privilege elsewhere: no process principal may
write the agencies' topics and the hub's internal ones at once). A replay is recorded in a
private ledger under ``$MASH_HOME``, so a dead letter is sent back once; the hub de-duplicates
events anyway, and the sinks' writes are idempotent upserts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaProducer

from plumbing.errors import ContractError
from plumbing.kafka import Record, credentials, kafka_python_config, read_at, read_topic
from plumbing.logs import get_logger
from plumbing.settings import CommonSettings
from schemas.deadletters import Origin, origin_of, original_value
from schemas.framing import unpack
from schemas.topics import QUARANTINE

__all__ = ["Letter", "Replayed", "Selection", "letters", "replay", "summary"]

log = get_logger(__name__)


@dataclass(frozen=True)
class Letter:
    """One dead letter: where it is kept (topic, partition, offset) and where it came from."""

    record: Record
    origin: Origin

    @property
    def position(self) -> str:
        return f"{self.record.topic}/{self.record.partition}/{self.record.offset}"


@dataclass(frozen=True)
class Selection:
    """Which letters: by stage, a reason's text, an original topic and offset (each optional)."""

    stage: str | None = None
    reason: str | None = None
    topic: str | None = None
    offset: int | None = None
    partition: int | None = None

    def matches(self, origin: Origin) -> bool:
        return (
            (self.stage is None or origin.stage == self.stage)
            and (self.reason is None or self.reason.lower() in origin.reason.lower())
            and (self.topic is None or origin.topic == self.topic)
            and (self.offset is None or origin.offset == self.offset)
            and (self.partition is None or origin.partition == self.partition)
        )


def letters(settings: CommonSettings, selection: Selection) -> list[Letter]:
    """The dead letters of the hub and the sinks' quarantine that ``selection`` picks."""
    admin = settings.as_principal("admin")
    found = []
    for topic in (settings.deadletter_topic, settings.topic(QUARANTINE)):
        for record in read_topic(admin, topic):
            origin = origin_of(record.headers) or _publisher_origin(record)
            if selection.matches(origin):
                found.append(Letter(record, origin))
    return found


def _publisher_origin(record: Record) -> Origin:
    """A publisher's reject names its file and line instead of a topic's offset."""
    get = record.headers.get
    return Origin(
        get("mash.source", b"?").decode(errors="replace"),
        -1,
        -1,
        get("mash.stage", b"?").decode(errors="replace"),
        get("mash.reason", b"").decode(errors="replace"),
    )


def summary(found: Sequence[Letter]) -> Counter[tuple[str, str]]:
    """Counts by stage and reason (the reason up to its first colon: its kind)."""
    return Counter((f.origin.stage, f.origin.reason.split(":")[0][:80]) for f in found)


def _ledger(settings: CommonSettings) -> Path:
    return settings.home / "deadletters" / "replayed"


@dataclass(frozen=True)
class Replayed:
    """What a replay did: how many letters it sent back, and each it refused, with why."""

    sent: int
    refused: list[tuple[str, str]]


def replay(settings: CommonSettings, found: Sequence[Letter], again: bool = False) -> Replayed:
    """Send each letter's original back to its topic (once; ``again`` for a second time); a
    publisher's reject (no topic) is never replayed.

    A letter only names a record: what is sent is the record read back from its named topic,
    partition and offset, and only if the letter's original is that record's bytes (or one
    event of it, when linkage dead-lettered one event of a packed message).
    Every principal that writes a dead letter may write its headers, and the replay writes as
    ``admin``: without the check an agency could forge a letter naming another agency's topic
    or an internal one and have its bytes written there (an outside probe did). An agency
    cannot read another's topics, so it cannot forge a letter that matches one of their
    records; a letter whose original is gone (retention, compaction) is refused as well."""
    ledger = _ledger(settings)
    done = set(ledger.read_text().split()) if ledger.exists() else set()
    todo = [f for f in found if f.origin.offset >= 0 and (again or f.position not in done)]
    if not todo:
        return Replayed(0, [])
    admin = settings.as_principal("admin")
    originals = read_at(
        admin, [(f.origin.topic, f.origin.partition, f.origin.offset) for f in todo]
    )
    refused: list[tuple[str, str]] = []
    sendable: list[tuple[Letter, Record]] = []
    for f in todo:
        why = _mismatch(f, originals, settings.home)
        if why is None:
            sendable.append((f, originals[f.origin.topic, f.origin.partition, f.origin.offset]))
        else:
            refused.append((f.position, why))
            log.warning("deadletter.refused", source=f.position, why=why)
    if sendable:
        _send_back(admin, sendable)
        ledger.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with ledger.open("a") as out:
            out.writelines(f"{f.position}\n" for f, _ in sendable)
        ledger.chmod(0o600)
    return Replayed(len(sendable), refused)


def _mismatch(
    letter: Letter, originals: dict[tuple[str, int, int], Record], home: Path
) -> str | None:
    """Why ``letter`` may not be replayed (None: it may)."""
    o = letter.origin
    original = originals.get((o.topic, o.partition, o.offset))
    if original is None:
        return f"no record at {o.topic} partition {o.partition} offset {o.offset} (gone, or never)"
    try:
        kept = original_value(letter.record.headers, letter.record.value, home)
    except (OSError, ValueError) as exc:
        return f"its stored original cannot be read ({type(exc).__name__})"
    if kept == (original.value or b"") or kept in _frames(original.value or b""):
        return None  # the record, or one event of a packed message linkage could not read
    return "its original is not the record at the offset it names (forged, or altered)"


def _frames(value: bytes) -> list[bytes]:
    """The events of a packed message (the hub's identities topic), none if it is not one:
    linkage dead-letters the one event it cannot read, naming the whole message's offset, and
    the replay sends the whole message back (the hub drops the repeats)."""
    try:
        return unpack(value)
    except ContractError:
        return []


def _send_back(admin: CommonSettings, sendable: Sequence[tuple[Letter, Record]]) -> None:
    producer = KafkaProducer(
        **kafka_python_config(credentials(admin)),
        acks="all",
        enable_idempotence=True,
        max_request_size=16 * 1024 * 1024,
    )
    try:
        for f, original in sendable:
            headers = [("mash.replayed-from", f.position.encode())]
            producer.send(
                f.origin.topic, key=original.key, value=original.value, headers=headers
            ).get(30)
            log.info("deadletter.replayed", source=f.position, topic=f.origin.topic)
    finally:
        producer.close()
