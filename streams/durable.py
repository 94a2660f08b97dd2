"""The linkage table as a restore reads it: the records, the standing decisions, and the
owners' durable marks (what each owner had acknowledged), so that a restore knows what may
have been lost and sends only that again."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from streams.identities import LinkageEntry, decode_decision
from streams.linkage import PairDecision

__all__ = ["DurableMark", "LinkageTable", "Marks", "linkage_records"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class DurableMark(NamedTuple):
    """One owner's durable point: the batches of the owner that restored at ``epoch`` (its
    versions are ``epoch`` + 1, + 2, ...) up to ``version`` had every output acknowledged,
    and the watermark then. A mark covers its own owner's versions only (epoch 0: a mark of
    the older, single kind, which covered every version up to its own)."""

    epoch: int
    version: int
    watermark: dt.datetime
    seen: int | None = None
    """The highest version in the table when this owner restored (None: not kept)."""

    @classmethod
    def decode(cls, key: str, durable_key: str, value: dict[str, Any]) -> DurableMark | None:
        """The mark stored under ``key`` (``durable_key`` or ``durable_key:<epoch>``)."""
        if key != durable_key and not key.startswith(f"{durable_key}:"):
            return None
        mark = value["durable"]
        watermark = dt.datetime.fromisoformat(mark["watermark"])
        seen = mark.get("seen")
        return cls(
            int(mark.get("epoch", 0)),
            int(mark["version"]),
            watermark,
            None if seen is None else int(seen),
        )


@dataclass
class LinkageTable:
    """What a restore reads of the linkage table."""

    entries: list[LinkageEntry]
    decisions: list[PairDecision]
    durable: int | None
    """The highest version any owner marked durable (None: no mark kept)."""
    durable_watermark: dt.datetime
    after_durable: list[str]
    """Records written, or in a decision decided, in a batch no owner's mark covers."""
    late_decisions: list[PairDecision] = field(default_factory=list)
    """The decisions among them (``after_durable`` holds their records)."""
    latest: int = 0
    """The highest version in the table (entries, decisions and marks)."""
    overtaken: bool = False
    """An older owner wrote after the latest owner that marked had restored: it went on with
    a batch in flight after the group had dropped it. Its outputs (sent after the newer
    owner's restore, from a state that owner never had) may name episodes the newer owner
    never tombstones, so a restore sends everything again and sweeps."""


class Marks:
    """The owners' durable marks, by epoch."""

    def __init__(self, marks: Iterable[DurableMark]) -> None:
        self.marks = sorted(marks)
        self.epochs = [m.epoch for m in self.marks]

    def last_at(self, version: int) -> DurableMark | None:
        """The mark of the latest epoch at or before ``version``."""
        at = bisect.bisect_right(self.epochs, version) - 1
        return self.marks[at] if at >= 0 else None

    def covers(self, version: int) -> bool:
        """Whether an owner marked the batch of ``version`` acknowledged: the mark of its
        epoch (the latest at or before it) reaches it. A later owner's mark never does."""
        mark = self.last_at(version)
        return mark is not None and mark.version >= version

    def overtaken(self, versions: Iterable[int]) -> bool:
        """Whether an older owner wrote any of ``versions`` after the latest owner that
        marked had restored (versions between what that owner saw and its epoch)."""
        last = self.marks[-1]
        if last.seen is None:
            return False
        seen, epoch = last.seen, last.epoch
        older = (m.version for m in self.marks[:-1])
        return any(seen < v < epoch for v in (*versions, *older))

    def since(self, late: Iterable[int]) -> dt.datetime:
        """The watermark from which episode clocks may have run out unsent: the latest
        mark's, or, before a batch no mark covers, the watermark of its epoch's mark (or of
        the last before it; none: the beginning)."""
        since = self.marks[-1].watermark
        for version in late:
            mark = self.last_at(version)
            since = min(since, _EPOCH if mark is None else mark.watermark)
        return since


def linkage_records(items: Iterable[tuple[str, dict[str, Any]]], durable_key: str) -> LinkageTable:
    """Read the linkage table's entries (one at a time: a large table is never held twice):
    records, standing decisions and the owners' durable points."""
    entries: list[LinkageEntry] = []
    decisions: list[tuple[PairDecision, int]] = []
    marks: list[DurableMark] = []
    shared: dict[Any, Any] = {}
    for key, value in items:
        if (mark := DurableMark.decode(key, durable_key, value)) is not None:
            marks.append(mark)
        elif (decision := decode_decision(value)) is not None:
            decisions.append((decision, int(value.get("version", 0))))
        else:
            entries.append(LinkageEntry.decode(value, shared))
    versions = {e.version for e in entries} | {v for _, v in decisions}
    latest = max([*versions, *(m.version for m in marks), 0])
    if not marks:
        return LinkageTable(entries, [d for d, _ in decisions], None, _EPOCH, [], latest=latest)
    kept = Marks(marks)
    late_versions = {v for v in versions if not kept.covers(v)}
    late = [d for d, v in decisions if v in late_versions]
    return LinkageTable(
        entries,
        [d for d, _ in decisions],
        max(m.version for m in marks),
        kept.since(late_versions),
        [e.record.record_id for e in entries if e.version in late_versions]
        + [r for d in late for r in d.pair],
        late,
        latest,
        kept.overtaken(versions),
    )
