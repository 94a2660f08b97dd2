"""What the streams write: raw topics straight through Faust's producer, and the audit log.

The hub frames and decodes its own Avro, so every topic here carries plain bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, cast

import faust

from plumbing.errors import AuditError
from plumbing.keys import audit_key
from plumbing.logs import audit_line, get_logger, write_lines
from plumbing.settings import WorkerSettings
from schemas.audit import AuditChain, AuditEntry, ChainHead
from schemas.framing import blocks
from schemas.topics import AUDIT, Stage, heads_table
from streams.faust_internals import as_current, set_delivered
from streams.records import Incoming

__all__ = ["BLOCK_BYTES", "AuditLog", "Output", "incoming", "raw_topic", "trusted_head"]

log = get_logger(__name__)

BLOCK_BYTES = 256 * 1024
"""Largest message the hub packs (well under Kafka's default 1 MB limit)."""


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """A topic of plain bytes."""
    return app.topic(*names, key_serializer="raw", value_serializer="raw")


def incoming(event: faust.types.EventT[Any]) -> Incoming:
    """A Faust event as the stages see it: where it came from and its bytes."""
    m = event.message
    return Incoming(m.topic, m.partition, m.offset, m.key, m.value or b"")


class Output:
    """A topic the hub writes to, straight through Faust's producer.

    Faust's own ``Topic.send`` costs several times more per message (futures and callbacks
    for each); the producer is the same one Faust flushes before it commits offsets.
    """

    def __init__(self, app: faust.App, name: str) -> None:
        self.app = app
        self.name = name
        self.topic = raw_topic(app, name)

    async def send(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None = None,
        partition: int | None = None,
    ) -> Awaitable[Any]:
        """Queue one message; the result resolves once the broker has it (the commit's flush
        waits for every message anyway, so most callers need not)."""
        return cast(
            Awaitable[Any],
            await self.app.producer.send(self.name, key, value, partition, None, headers),
        )


class AuditLog:
    """Chains the decisions of one stage, one chain per partition, onto the audit topic."""

    def __init__(
        self, app: faust.App, settings: WorkerSettings, stage: Stage, partitions: int
    ) -> None:
        self.key = audit_key(settings)
        self.stage = stage
        self.app_id = settings.app_id
        self.topic = Output(app, settings.topic(AUDIT))
        self.heads = app.Table(
            heads_table(stage), key_type=str, value_type=str, partitions=partitions
        )
        self.chains: dict[str, AuditChain] = {}
        self.trust_unsigned = settings.audit_trust_unsigned_heads

    async def write(
        self, partition: int, entries: Sequence[AuditEntry], current: faust.types.EventT[Any]
    ) -> None:
        """Chain and send ``entries``; the head is kept in a changelogged table, written only
        once the broker has the records, so that a restart never resumes the chain past a
        record that was lost with a killed worker (it may resume before records that were
        delivered: a later record of the same position supersedes, see ``sinks.audit``).

        Returns once the broker has the head too. A caller that writes what these records
        decided afterwards (linkage: its table entries) can then never leave the broker with
        a decision whose audit a successor would supersede or never write: one that resumed
        from an older head would write its next records over delivered ones, and one that
        finds the batch's records indexed would not audit them again."""
        if not entries:
            return
        chain_id = f"{self.app_id}.{self.stage.value}.p{partition}"
        with as_current(current):
            chain = self.chains.pop(chain_id, None) or self._resume(chain_id)
        records = chain.append(entries)
        texts = [record.to_json() for record in records]
        write_lines(
            "".join(audit_line(r.decision, t) + "\n" for r, t in zip(records, texts, strict=True))
        )
        # a few messages per batch: blocks of consecutive records of the chain, in order
        delivered = [
            await self.topic.send(key=chain_id.encode(), value=b"\n".join(block))
            for block in blocks([t.encode() for t in texts], BLOCK_BYTES, overhead=1)
        ]
        await asyncio.gather(*delivered)  # a failure leaves the chain to resume from the table
        with as_current(current):
            head = set_delivered(self.heads, chain_id, chain.position().encode())
        await head
        self.chains[chain_id] = chain

    def _resume(self, chain_id: str) -> AuditChain:
        stored = self.heads.get(chain_id)
        head = None if stored is None else ChainHead.decode(stored)
        return AuditChain.resume(
            self.key, chain_id, trusted_head(self.key, chain_id, head, self.trust_unsigned)
        )


def trusted_head(
    key: bytes, chain: str, head: ChainHead | None, trust_unsigned: bool = False
) -> ChainHead | None:
    """The head to resume ``chain`` from: one that verifies under the key; `AuditError` for any
    other (resuming from a forged head would re-chain, and so supersede, records already
    written), except an untagged head of the older form when ``trust_unsigned`` is set."""
    if head is None or head.verified(key, chain):
        return head
    if trust_unsigned and not head.tag:
        log.warning("audit.head_unsigned", chain=chain, seq=head.seq)
        return head
    log.error("audit.head_refused", chain=chain, seq=head.seq)
    raise AuditError(f"the kept head of audit chain {chain} does not verify under the audit key")
