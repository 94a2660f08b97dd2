"""The console's access log (DPA 2018 s62-style): every view of identifiable data, as the
``console`` audit chain on the hub's audit topic, with a copy in the database to query.

Each view is an `AuditEntry` (decision ``viewed``) with the user, their role, the page, the
stated purpose and the ids shown, chained and MACed under the hub's audit key exactly as the
hub's own chains are (`schemas.audit`). Write-ahead: the record goes to Kafka first and the
page is shown only once the broker has acknowledged it; then the database copy is written,
then the chain's signed head (the audit heads topic), as a worker keeps its heads. So
`mash audit export` seals the console chain like the workers' and `mash audit verify` finds an
altered, deleted, inserted or reordered record, and a truncated tail. Kafka unreachable: the
page is refused (`ConsoleUnavailable`), never shown unlogged.

The chain resumes from the database copy's last record: a record the broker took whose copy
was not written (a crash between the two, or SQLite locked by a sinks write for longer than
its timeout, which the console retries) is re-chained at the same position, and on the topic
the later record of a position supersedes, as for a restarted worker (`sinks.audit`).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from console.kafka_out import Out
from console.users import User
from plumbing.errors import ConsoleError
from plumbing.logs import get_logger
from schemas.audit import GENESIS, AuditChain, AuditEntry, Decision, Verdict, verify
from sinks.store import Store
from sinks.tables import console_access
from sinks.waiting import patiently

__all__ = ["CHAIN", "Access", "AccessLog"]

log = get_logger(__name__)

CHAIN = "console"
BUSY_BOUND_S = 30.0
"""How long a view waits for the database (SQLite locked by a sinks write, PostgreSQL
restarting) before it is refused: never shown unlogged."""


@dataclass(frozen=True)
class Access:
    """One view of identifiable data, as the auditor reads it."""

    seq: int
    at: str
    user: str
    role: str
    page: str
    purpose: str
    person_id: str | None
    shown: str
    """The ids shown (space-separated)."""


class AccessLog:
    """Appends views to the console chain and reads them back."""

    def __init__(self, store: Store, key: bytes, out: Out | None = None) -> None:
        """``out`` None: a reader only (`mash audit access`), which cannot record."""
        self.engine = store.engine
        self.key = key
        self.out = out
        self._lock = threading.Lock()

    def record(
        self,
        user: User,
        page: str,
        purpose: str,
        shown: Sequence[str],
        person_id: str | None,
        now: dt.datetime,
        decision: Decision = Decision.VIEWED,
    ) -> int:
        """Chain one view (or, ``acted``, an action with its reason as the purpose); return its
        position. Another console process appending at the same position makes this one
        re-read the head and chain again."""
        facts = {
            "user": user.name,
            "role": user.role.value,
            "page": page,
            "purpose": purpose,
            "person_id": person_id,
            "shown": " ".join(shown),
        }
        entry = AuditEntry(decision, page, now.astimezone(dt.UTC).isoformat(), facts)
        if self.out is None:
            raise ConsoleError("this access log is a reader: it records no views")
        with self._lock:
            for _ in range(5):
                try:
                    return patiently(
                        lambda: self._append(entry, user.name, person_id),
                        BUSY_BOUND_S,
                        "console access log",
                    )
                except IntegrityError:
                    continue
                except OperationalError as exc:
                    log.warning("console.access_log_busy", error=type(exc.orig).__name__)
                    break
        raise ConsoleError("the access log is busy: the view was not shown")

    def _append(self, entry: AuditEntry, user: str, person_id: str | None) -> int:
        assert self.out is not None  # checked by `record`
        with self.engine.begin() as conn:
            last = conn.execute(
                select(console_access.c.seq, console_access.c.record)
                .order_by(console_access.c.seq.desc())
                .limit(1)
            ).first()
            seq, head = (last.seq, json.loads(last.record)["mac"]) if last else (0, GENESIS)
            chain = AuditChain(self.key, CHAIN, seq, head)
            (record,) = chain.append([entry])
            self.out.audit(CHAIN, record.to_json())  # acknowledged before anything is shown
            conn.execute(
                console_access.insert().values(
                    seq=record.seq,
                    user_name=user,
                    person_id=person_id,
                    at=record.at,
                    record=record.to_json(),
                )
            )
        self.out.head(CHAIN, chain.position())
        return record.seq

    def lines(self) -> list[str]:
        """The chain's records in order, one JSON line each."""
        query = select(console_access.c.record).order_by(console_access.c.seq)
        with self.engine.connect() as conn:
            return [r for (r,) in conn.execute(query)]

    def accesses(self, person_id: str | None = None) -> list[Access]:
        """Every view (of one person's data, if given), latest first."""
        query = select(console_access.c.record).order_by(console_access.c.seq.desc())
        if person_id is not None:
            query = query.where(console_access.c.person_id == person_id)
        with self.engine.connect() as conn:
            return [_access(json.loads(r)) for (r,) in conn.execute(query)]

    def export(self, path: Path) -> int:
        """Write the chain and its seal as JSONL (for `mash audit verify`); the count."""
        lines = self.lines()
        chain = self._chain(lines)
        path.write_text("".join(line + "\n" for line in lines) + chain.seal().to_json() + "\n")
        return len(lines)

    def verify(self) -> Verdict:
        """Check the stored chain under the key (the seal made from its own last record)."""
        lines = self.lines()
        return verify([*lines, self._chain(lines).seal().to_json()], self.key)

    def _chain(self, lines: Sequence[str]) -> AuditChain:
        if not lines:
            return AuditChain(self.key, CHAIN)
        last = json.loads(lines[-1])
        return AuditChain(self.key, CHAIN, int(last["seq"]), str(last["mac"]))


def _access(record: dict[str, object]) -> Access:
    facts = record["facts"]
    assert isinstance(facts, dict)  # a record as chained by `record`
    return Access(
        int(str(record["seq"])),
        str(record["at"]),
        str(facts["user"]),
        str(facts["role"]),
        str(facts["page"]),
        str(facts["purpose"]),
        None if facts["person_id"] is None else str(facts["person_id"]),
        str(facts["shown"]),
    )
