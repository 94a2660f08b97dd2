"""The audit store: export each chain from the audit topic, sealed by its worker-kept head.

A worker persists a chain's head only after the broker has the records up to it, so a killed
worker's successor resumes the chain at or before the last record delivered; records it then
writes at positions already on the topic supersede the earlier ones (they were never sealed).
Export keeps, for each position, the last record the topic holds, up to the sealed head.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from mash.kafka import read_topic
from mash.logs import get_logger
from mash.settings import CommonSettings
from streams.audit import AuditChain

__all__ = ["export_audit", "sealed_chain"]

log = get_logger(__name__)

STAGES = ("intake", "linkage")


def export_audit(settings: CommonSettings, app_id: str, key: bytes, out: Path) -> dict[Path, int]:
    """Write every chain as ``<chain>.jsonl`` (records, then a seal); return records per file.

    The seal states the count and head the worker recorded in its changelogged heads table,
    so records missing from the end of the topic show as a truncated tail.
    """
    chains: dict[str, list[str]] = defaultdict(list)
    for message in read_topic(settings, settings.topic("audit")):
        chain = (message.key or b"").decode()
        chains[chain] += (message.value or b"").decode().splitlines()
    heads = _heads(settings, app_id)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for chain, lines in sorted(chains.items()):
        seq, head = heads.get(chain, (0, "0" * 64))
        seal = AuditChain(key, chain, seq, head).seal()
        kept, left_out = sealed_chain(lines, seq)
        if left_out:
            log.info("audit.superseded", chain=chain, records=left_out)
        path = out / f"{chain}.jsonl"
        path.write_text("".join(line + "\n" for line in kept) + seal.to_json() + "\n")
        written[path] = len(kept)
    return written


def sealed_chain(lines: Sequence[str], count: int) -> tuple[list[str], int]:
    """A chain's records as sealed at ``count``: for each position up to it, the last record
    the topic holds, in order; and how many records were left out (superseded by a restarted
    worker, or not sealed yet). A line that is not a record is kept, for verify to name."""
    latest: dict[int, str] = {}
    unreadable = []
    for line in lines:
        try:
            latest[int(json.loads(line)["seq"])] = line
        except (ValueError, KeyError, TypeError):
            unreadable.append(line)
    kept = [latest[seq] for seq in sorted(latest) if seq <= count] + unreadable
    return kept, len(lines) - len(kept)


def _heads(settings: CommonSettings, app_id: str) -> dict[str, tuple[int, str]]:
    """The latest head of each chain, from the heads tables' changelogs."""
    heads: dict[str, tuple[int, str]] = {}
    for stage in STAGES:
        topic = f"{app_id}-audit-heads-{stage}-changelog"
        for message in read_topic(settings, topic):
            if message.key is None or message.value is None:
                continue
            chain = json.loads(message.key)
            seq, head = json.loads(message.value).split("|")
            heads[chain] = (int(seq), head)
    return heads
