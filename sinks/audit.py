"""The audit store: export each chain from the audit topic, sealed by its worker-kept head."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from mash.kafka import read_topic
from mash.settings import CommonSettings
from streams.audit import AuditChain

__all__ = ["export_audit"]

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
        path = out / f"{chain}.jsonl"
        path.write_text("".join(line + "\n" for line in lines) + seal.to_json() + "\n")
        written[path] = len(lines)
    return written


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
