"""The audit log: every decision the hub makes, as a keyed hash chain that shows tampering.

Each record carries the MAC of the one before it; a record's own MAC is
HMAC-SHA256(key, previous MAC + the record's canonical JSON). A log ends with a seal that
states how many records it holds and the last MAC, itself MACed. ``verify`` then finds the
first bad position for a flipped byte, a deleted, inserted or reordered record, and a
truncated tail. A chain's head, kept by the worker, carries its own MAC (``ChainHead``), and
``admit`` lets the audit store take only records that verify and follow their chain. Records
hold ids, hashes and figures: never names, dates of birth or narratives.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum

__all__ = [
    "GENESIS",
    "AuditChain",
    "AuditEntry",
    "AuditRecord",
    "ChainHead",
    "Decision",
    "Seal",
    "Verdict",
    "admit",
    "verify",
]

GENESIS = "0" * 64
Scalar = str | int | float | bool | None


class Decision(StrEnum):
    """What the hub decided about an event."""

    VALIDATED = "validated"
    REJECTED = "rejected"
    DEDUPLICATED = "deduplicated"
    LINKED = "linked"
    NEW_PERSON = "new_person"
    POSSIBLE_MATCH = "possible_match"
    MERGED = "merged"
    SPLIT = "split"
    """A person whose records now lie in two or more persons (later evidence, a decision)."""
    EPISODE_OPENED = "episode_opened"
    JOINED = "joined"
    DECIDED = "decided"
    CLOCK_BREACHED = "clock_breached"
    VIEWED = "viewed"
    """A console user viewed identifiable data (the access log)."""
    REVIEW_DECIDED = "review_decided"
    """A reviewer's linkage decision: the pair, verdict, reviewer id, applied or not and why
    (never the reason text)."""
    ACTED = "acted"
    """A console user acted on an episode (an event published, with the reason given)."""


@dataclass(frozen=True)
class AuditEntry:
    """One decision, before it is chained: ids and facts only."""

    decision: Decision
    event_id: str
    at: str
    """When the decision was made (ISO 8601, UTC)."""
    facts: Mapping[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    """One chained audit record."""

    chain: str
    seq: int
    decision: str
    event_id: str
    at: str
    facts: dict[str, Scalar]
    prev: str
    mac: str

    def fields(self) -> dict[str, object]:
        """The record as a plain dict (asdict would deep-copy: too slow on the hot path)."""
        return {
            "at": self.at,
            "chain": self.chain,
            "decision": self.decision,
            "event_id": self.event_id,
            "facts": self.facts,
            "mac": self.mac,
            "prev": self.prev,
            "seq": self.seq,
        }

    def body(self) -> bytes:
        """The canonical bytes the MAC covers (everything but the MAC)."""
        data = self.fields()
        del data["mac"]
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(self.fields(), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class ChainHead:
    """Where a chain stands: its last position and that record's MAC (the worker keeps it
    in a changelogged table; the export seals the chain with it).

    ``tag`` is a MAC under the audit key over (chain, seq, mac), so a head written to the
    changelog without the key, or moved to another chain, does not verify. A head of the
    older ``seq|mac`` form has no tag and never verifies.
    """

    seq: int
    mac: str
    tag: str = ""

    @classmethod
    def signed(cls, key: bytes, chain: str, seq: int, mac: str) -> ChainHead:
        """A head of ``chain`` with its tag."""
        return cls(seq, mac, _head_tag(key, chain, seq, mac))

    def verified(self, key: bytes, chain: str) -> bool:
        """Whether the tag proves the head was written with the key, for this chain."""
        return bool(self.tag) and hmac.compare_digest(
            self.tag, _head_tag(key, chain, self.seq, self.mac)
        )

    def encode(self) -> str:
        """The stored form, ``seq|mac|tag``."""
        return f"{self.seq}|{self.mac}|{self.tag}"

    @classmethod
    def decode(cls, text: str) -> ChainHead:
        """The inverse of ``encode``, also reading the untagged ``seq|mac`` form (unverified);
        ``ValueError`` for anything else."""
        if not isinstance(text, str):  # a changelog value of another shape ([1, 2])
            raise ValueError("not a chain head")
        seq, mac, *tag = text.split("|")
        if len(tag) > 1:
            raise ValueError("not a chain head")
        return cls(int(seq), mac, tag[0] if tag else "")


def _head_tag(key: bytes, chain: str, seq: int, mac: str) -> str:
    body = json.dumps({"head": True, "chain": chain, "seq": seq, "mac": mac}, sort_keys=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Seal:
    """The end of a log: how many records and the last MAC, MACed."""

    chain: str
    count: int
    head: str
    mac: str

    def body(self) -> bytes:
        """The canonical bytes the seal's MAC covers."""
        data = {"seal": True, "chain": self.chain, "count": self.count, "head": self.head}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps({"seal": True, **asdict(self)}, sort_keys=True, separators=(",", ":"))


def _mac(key: bytes, prev: str, body: bytes) -> str:
    return hmac.new(key, prev.encode() + body, hashlib.sha256).hexdigest()


class AuditChain:
    """Appends entries to one chain; holds only the position and the head MAC."""

    @classmethod
    def resume(cls, key: bytes, chain: str, head: ChainHead | None) -> AuditChain:
        """The chain continued from a kept head (from the start without one)."""
        return cls(key, chain) if head is None else cls(key, chain, head.seq, head.mac)

    def position(self) -> ChainHead:
        """Where the chain stands now, tagged under the chain's key."""
        return ChainHead.signed(self.key, self.chain, self.seq, self.head)

    def __init__(self, key: bytes, chain: str, seq: int = 0, head: str = GENESIS) -> None:
        self.key = key
        self.chain = chain
        self.seq = seq
        self.head = head

    def append(self, entries: Iterable[AuditEntry]) -> list[AuditRecord]:
        """Chain entries in order and return their records."""
        records = []
        for entry in entries:
            self.seq += 1
            draft = AuditRecord(
                self.chain,
                self.seq,
                entry.decision.value,
                entry.event_id,
                entry.at,
                dict(entry.facts),
                self.head,
                "",
            )
            record = replace(draft, mac=_mac(self.key, self.head, draft.body()))
            self.head = record.mac
            records.append(record)
        return records

    def seal(self) -> Seal:
        """A seal for the log as it stands."""
        draft = Seal(self.chain, self.seq, self.head, "")
        return Seal(self.chain, self.seq, self.head, _mac(self.key, self.head, draft.body()))


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying a log: ok, or the first bad line (1-based) and why."""

    ok: bool
    records: int
    position: int | None = None
    reason: str = ""


def admit(
    lines: Sequence[str], previous: Mapping[tuple[str, int], str], key: bytes
) -> tuple[list[AuditRecord], list[tuple[str, int, str]]]:
    """The records of ``lines`` (topic order) that may be stored, and (chain, seq, reason) for
    each that may not.

    A record is admitted when its MAC is right and it follows its chain: the first record from
    the genesis, any other from the MAC of the record before it, as stored (``previous`` maps
    (chain, seq) to the stored record's MAC) or as admitted earlier in ``lines``. So a record
    supersedes a stored one at its position only as a restarted worker's would (re-chained
    from the same predecessor, with the key); a forged one never does.
    """
    known = dict(previous)
    admitted, refused = [], []
    for line in lines:
        record, problem = _admissible(line, known, key)
        if record is None:
            refused.append(problem)
            continue
        known[record.chain, record.seq] = record.mac
        admitted.append(record)
    return admitted, refused


def _admissible(
    line: str, known: Mapping[tuple[str, int], str], key: bytes
) -> tuple[AuditRecord | None, tuple[str, int, str]]:
    try:
        data = json.loads(line)
        record = AuditRecord(**data)
        chain, seq = str(record.chain), int(record.seq)
        body = record.body()
    except (ValueError, TypeError, AttributeError):
        return None, ("?", 0, "not an audit record")
    prev = GENESIS if seq == 1 else known.get((chain, seq - 1))
    if prev is None or not hmac.compare_digest(str(record.prev), prev):
        return None, (chain, seq, "does not follow the stored record before it")
    if not hmac.compare_digest(str(record.mac), _mac(key, prev, body)):
        return None, (chain, seq, "MAC does not match (forged, or written without the key)")
    return record, (chain, seq, "")


def verify(lines: Sequence[bytes | str], key: bytes) -> Verdict:
    """Check a log (records then a seal, one JSON object a line) against its key."""
    head, seq, chain = GENESIS, 0, None
    for position, line in enumerate(lines, start=1):
        try:
            data = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return Verdict(False, seq, position, "not a JSON record (altered bytes)")
        if not isinstance(data, dict):
            return Verdict(False, seq, position, "not a JSON record (altered bytes)")
        if data.get("seal") is True:
            return _check_seal(data, lines, position, head, seq, key)
        problem = _check_record(data, head, seq, chain, key)
        if problem:
            return Verdict(False, seq, position, problem)
        head, seq, chain = data["mac"], data["seq"], data["chain"]
    return Verdict(
        False, seq, len(lines) + 1, f"truncated: the log ends after record {seq} without its seal"
    )


def _check_record(
    data: dict[str, object], head: str, seq: int, chain: str | None, key: bytes
) -> str:
    try:
        record = AuditRecord(**data)  # type: ignore[arg-type]  # checked field by field below
    except TypeError:
        return "not an audit record (fields altered)"
    if chain is not None and record.chain != chain:
        return f"record belongs to chain {record.chain!r}, not {chain!r}"
    if record.seq != seq + 1:
        return f"sequence {record.seq} where {seq + 1} was due (deleted, inserted or reordered)"
    if record.prev != head:
        return "does not follow the record before it (deleted, inserted or reordered)"
    if not hmac.compare_digest(record.mac, _mac(key, head, record.body())):
        return "MAC does not match its content (altered, or written without the key)"
    return ""


def _check_seal(
    data: dict[str, object],
    lines: Sequence[bytes | str],
    position: int,
    head: str,
    seq: int,
    key: bytes,
) -> Verdict:
    fields = {k: v for k, v in data.items() if k != "seal"}
    try:
        seal = Seal(**fields)  # type: ignore[arg-type]  # checked below
    except TypeError:
        return Verdict(False, seq, position, "not a seal (fields altered)")
    if position != len(lines):
        return Verdict(False, seq, position + 1, "records after the seal")
    if seal.count != seq or seal.head != head:
        return Verdict(
            False,
            seq,
            position,
            f"seal says {seal.count} records ending {seal.head[:12]}, log has {seq}",
        )
    if not hmac.compare_digest(seal.mac, _mac(key, head, seal.body())):
        return Verdict(False, seq, position, "seal MAC does not match (altered)")
    return Verdict(True, seq)
