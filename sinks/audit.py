"""The audit store: export each chain from the audit topic, sealed by its worker-kept head.

A worker persists a chain's head only after the broker has the records up to it, so a killed
worker's successor resumes the chain at or before the last record delivered; records it then
writes at positions already on the topic supersede the earlier ones (they were never sealed).
Export keeps, for each position, the last record the topic holds, up to the sealed head, and
refuses a head that does not verify under the audit key or that went back (replayed).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from plumbing.errors import AuditError
from plumbing.kafka import read_topic
from plumbing.logs import get_logger
from plumbing.settings import CommonSettings
from schemas.audit import AuditChain, ChainHead
from schemas.topics import AUDIT, AUDIT_HEADS, Stage, changelog, heads_table

__all__ = ["export_audit", "sealed_chain", "verified_head"]

log = get_logger(__name__)


def export_audit(settings: CommonSettings, app_id: str, key: bytes, out: Path) -> dict[Path, int]:
    """Write every chain as ``<chain>.jsonl`` (records, then a seal); return records per file.

    The seal states the count and head the worker recorded in its changelogged heads table,
    so records missing from the end of the topic show as a truncated tail.
    """
    chains: dict[str, list[str]] = defaultdict(list)
    for message in read_topic(settings, settings.topic(AUDIT)):
        # junk on the topic is exported as it is (undecodable bytes replaced): verify names it
        chain = (message.key or b"").decode(errors="replace")
        chains[chain] += (message.value or b"").decode(errors="replace").splitlines()
    heads = _heads(settings, app_id, key)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for chain, lines in sorted(chains.items()):
        sealed = AuditChain.resume(key, chain, heads.get(chain))
        seal = sealed.seal()
        kept, left_out = sealed_chain(lines, sealed.seq)
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


def _heads(settings: CommonSettings, app_id: str, key: bytes) -> dict[str, ChainHead]:
    """The latest head of each chain, from the heads tables' changelogs and the heads topic
    of the chains kept outside a Faust app (the console's), each verified."""
    history: dict[str, list[ChainHead]] = defaultdict(list)
    topics = [changelog(app_id, heads_table(stage)) for stage in Stage]
    for topic in [*topics, settings.topic(AUDIT_HEADS)]:
        for message in read_topic(settings, topic):
            if message.key is None or message.value is None:
                continue
            try:
                chain = json.loads(message.key)
                history[chain].append(ChainHead.decode(json.loads(message.value)))
            except (ValueError, TypeError):  # junk a fault or an intruder wrote: named
                raise AuditError(
                    f"audit heads: {topic} partition {message.partition} offset "
                    f"{message.offset} is not a chain's head; no chain is exported on trust"
                ) from None
    verified, problems = {}, []
    for chain, heads in sorted(history.items()):
        try:
            verified[chain] = verified_head(chain, heads, key)
        except AuditError as exc:
            log.error("audit.head_refused", chain=chain)
            problems.append(str(exc))
    if problems:
        raise AuditError("; ".join(problems))
    return verified


def verified_head(chain: str, heads: Sequence[ChainHead], key: bytes) -> ChainHead:
    """The latest of a chain's kept heads (in changelog order), checked: every head from the
    first signed one on must verify under the key (before it, only the unsigned heads of an
    older version), and the latest must verify and be the furthest the chain has reached (a
    worker never moves a head back). Else `AuditError` naming the chain: a forged head, or
    an older one replayed."""
    signed = [h.verified(key, chain) for h in heads]
    first = signed.index(True) if True in signed else len(heads)
    forged = [h for h, ok in zip(heads[first:], signed[first:], strict=True) if not ok]
    latest = heads[-1]
    if forged or not signed[-1]:
        seq = (forged or [latest])[0].seq
        raise AuditError(
            f"audit chain {chain}: a kept head (record {seq}) does not verify under the audit "
            "key (forged, or kept in the unsigned form of an older version)"
        )
    furthest = max(h.seq for h, ok in zip(heads, signed, strict=True) if ok)
    if latest.seq < furthest:
        raise AuditError(
            f"audit chain {chain}: its head went back from record {furthest} to {latest.seq} "
            "(an older head replayed)"
        )
    return latest
