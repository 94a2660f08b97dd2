"""`mash bench recovery`: how long a restarted linkage worker takes to process a new event.

Measured in process, on the pure state, with no broker: the linkage table is built by linking
generated police notifications batch by batch (kept as the JSON bytes the worker stores), the
last batch after the durable point; then a new ``HubState`` is restored from those bytes (as
the worker does from its table once Faust has read the changelog), what was sent after the
durable point is encoded again, and one new event is linked. Reading the changelog from the
broker into the table's store is measured apart, with ``--broker`` (``mash.bench_changelog``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from mash.console import console
from schemas.contracts import EPISODE, LINK
from schemas.framing import encode
from streams.durable import LinkageTable
from streams.hub import HubState, restore_table
from streams.identities import (
    LinkageEntry,
    StoredRecord,
    decode_decision,
    table_entries,
)
from streams.linkage import PairDecision
from streams.linkage_agent import DURABLE_KEY
from streams.model import default_model
from streams.snapshot import save_snapshot, snapshot_path

__all__ = [
    "Batch",
    "RecoveryFigures",
    "Restart",
    "bench_recovery",
    "build_table",
    "copied",
    "linked",
    "restore",
]

_BATCH = 1000


@dataclass(frozen=True)
class Restart:
    """One restart's times and what it sent again."""

    restore_s: float
    restore_cpu_s: float
    first_event_s: float
    """From the start of the restore to the new event linked (republish encoded on the way)."""
    first_event_cpu_s: float
    """The same in CPU time of this process (less dependent on the machine's load)."""
    republished_links: int
    republished_episodes: int
    tombstones: int
    """Ids an episode of those clusters may have had and has no more, deleted again."""


@dataclass(frozen=True)
class RecoveryFigures:
    """What one run measured: a restart rebuilding the index in full, and one from a
    snapshot of it taken at the durable point."""

    records: int
    persons: int
    build_s: float
    full: Restart
    bytes_per_record: float
    snapshot: Restart
    same_persons: bool
    """Every record has the same person after either restart."""
    snapshot_bytes_per_record: float


@dataclass(frozen=True)
class Batch:
    """What one linkage batch wrote to the table, and the watermark after it."""

    version: int
    records: dict[str, StoredRecord]
    decisions: dict[tuple[str, str], PairDecision]
    watermark: dt.datetime


def linked(events: list[Any]) -> list[Batch]:
    """Link ``events`` batch by batch as a worker does: what each batch wrote."""
    state = HubState()
    batches = []
    for version, start in enumerate(range(0, len(events), _BATCH), 1):
        out = state.process(events[start : start + _BATCH], "bench")
        batches.append(Batch(version, out.records, out.decisions, state.watermark))
    return batches


def copied(batches: list[Batch], copies: int) -> list[Batch]:
    """The batches ``copies`` times, each copy under its own record ids (``#c<n>`` added),
    with its links and guards within the copy: independent children whose records look like
    the first copy's (so they share blocking keys). Only the last copy's last batch is
    written after the durable point: a worker has one batch in flight, whatever the size of
    its table."""
    if copies == 1:
        return batches
    before = batches[-2].watermark if len(batches) > 1 else batches[-1].watermark
    out: list[Batch] = []
    for b in batches:
        for n in range(copies):
            # the other copies' last batches are acknowledged at the watermark before it
            in_flight = b is not batches[-1] or n == copies - 1
            watermark = b.watermark if in_flight else before
            out.append(Batch(len(out) + 1, *_renamed(b, f"#c{n}"), watermark))
    return out


def _renamed(
    batch: Batch, suffix: str
) -> tuple[dict[str, StoredRecord], dict[tuple[str, str], PairDecision]]:
    def name(rid: str) -> str:
        return rid + suffix

    records = {
        name(rid): StoredRecord(
            dataclasses.replace(s.record, record_id=name(rid)),
            dataclasses.replace(s.event, event_id=name(s.event.event_id)),
            None if s.links is None else tuple((name(o), w) for o, w in s.links),
            tuple(name(o) for o in s.apart),
        )
        for rid, s in batch.records.items()
    }
    decisions = {
        (name(a), name(b)): dataclasses.replace(d, pair=(name(a), name(b)))
        for (a, b), d in batch.decisions.items()
    }
    return records, decisions


def build_table(batches: list[Batch]) -> dict[str, bytes]:
    """The linkage table, as stored bytes, that ``batches`` wrote: every batch's outputs
    acknowledged but the last one's (the durable point is the batch before it)."""
    table: dict[str, bytes] = {}
    for n, batch in enumerate(batches, 1):
        for key, value in table_entries(batch, batch.version):
            table[key] = orjson.dumps(value)
        if n < len(batches):
            mark = {"version": batch.version, "watermark": batch.watermark.isoformat()}
            table[DURABLE_KEY] = orjson.dumps({"durable": mark})
    return table


def restore(table: dict[str, bytes], snapshot: Path | None = None) -> tuple[HubState, LinkageTable]:
    """A worker's restore from its table's stored bytes (read as the worker reads them from
    Faust's store, undecoded: ``streams.faust_internals.stored_items``), from the index
    snapshot at ``snapshot`` where it fits."""
    state = HubState()
    read = restore_table(state, iter(table.items()), DURABLE_KEY, snapshot)
    return state, read


def bench_recovery(
    records: int,
    seed: int = 11,
    copies: int = 1,
    cache: Path | None = None,
    broker: bool = False,
) -> RecoveryFigures:
    """Build (or read from ``cache``), restore, and time the first new event; print and
    return the figures. With ``broker``, first time the table's changelog read back from a
    local broker (``mash.bench_changelog``)."""
    from simulation.synthetic import police_notifications

    events = list(police_notifications(records + 1, seed, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    started = time.perf_counter()
    batches = copied(_batches(events[:-1], seed, cache), copies)
    table = build_table(batches)
    del batches
    built = time.perf_counter() - started
    indexed = records * copies
    console.print(f"built the linkage table of {indexed:,} records in {built:.1f} s")
    if broker:
        from mash.bench_changelog import bench_changelog

        bench_changelog(table)
    full, persons_full = _first_event(table, events[-1:], None)
    with tempfile.TemporaryDirectory() as kept:
        snapshot = _snapshot(table, Path(kept) if cache is None else cache)
        from_snapshot, persons_snap = _first_event(table, events[-1:], snapshot)
        held = _bytes_per_record(table, indexed, snapshot)
    figures = RecoveryFigures(
        indexed,
        len(set(persons_full.values())),
        built,
        full,
        _bytes_per_record(table, indexed),
        from_snapshot,
        persons_full == persons_snap,
        held,
    )
    _print(figures)
    console.print(f"(reference loop on this machine now: {_reference_ms():.0f} ms)")
    return figures


def _first_event(
    table: dict[str, bytes], events: list[Any], snapshot: Path | None
) -> tuple[Restart, dict[str, str]]:
    """Restore (from ``snapshot`` where given), send the republish again, link ``events``:
    the times, and every record's person after."""
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    state, read = restore(table, snapshot)
    restored, restored_cpu = time.perf_counter() - started, time.process_time() - cpu
    if snapshot is not None and read.from_snapshot is None:
        raise SystemExit("the snapshot was not used (see the log): nothing to measure")
    again = state.republish(read.after_durable, read.durable_watermark)
    for link in again.links:
        encode(LINK, link)
    for episode in again.episodes.values():
        if episode is not None:
            encode(EPISODE, episode)
    state.process(events, "bench")
    first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    timed = Restart(
        restored,
        restored_cpu,
        first,
        first_cpu,
        len(again.links),
        sum(s is not None for s in again.episodes.values()),
        sum(s is None for s in again.episodes.values()),
    )
    return timed, state.linker.person


def _snapshot(table: dict[str, bytes], folder: Path) -> Path:
    """The index snapshot a worker would have saved at the table's durable point (its
    entries up to the durable mark restored, then saved), under ``folder``; its seconds
    printed."""
    mark = orjson.loads(table[DURABLE_KEY])["durable"]["version"]
    path = snapshot_path(folder / "snapshot")
    state, _ = restore({k: v for k, v in table.items() if _version(v) <= mark})
    started, cpu = time.perf_counter(), time.process_time()
    size = save_snapshot(path, state.linker, state.summaries, mark)
    saved, saved_cpu = time.perf_counter() - started, time.process_time() - cpu
    console.print(
        f"index snapshot saved at the durable point: {size / 1e6:,.0f} MB in {saved:.2f} s "
        f"({saved_cpu:.2f} s of CPU)"
    )
    return path


def _version(stored: bytes) -> int:
    """The version of a stored table entry (a record's, a decision's or the mark)."""
    value = orjson.loads(stored)
    if type(value) is list:
        return int(value[-1])
    return int(value.get("version", value.get("durable", {}).get("version", 0)))


def _batches(events: list[Any], seed: int, cache: Path | None) -> list[Batch]:
    """The batches of linking ``events``: read from ``cache`` when it holds them (linking
    100,000 records takes many minutes), else linked and kept there, as the table entries
    each batch wrote (JSON lines, read by the decoder of every stored format). The file is
    named for the records, seed and linkage model: delete it after changing the linkage."""
    name = f"linked-{len(events)}-{seed}-{default_model().version}.jsonl"
    path = None if cache is None else cache / name
    if path is not None and path.exists():
        console.print(f"the linked batches are read from {path}, not linked again")
        with path.open("rb") as f:
            return [_batch(orjson.loads(line)) for line in f]
    batches = linked(events)
    if path is not None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with path.open("wb") as f:
            for b in batches:
                kept = {"version": b.version, "watermark": b.watermark.isoformat()}
                f.write(orjson.dumps(kept | {"entries": table_entries(b, b.version)}) + b"\n")
    return batches


def _batch(kept: dict[str, Any]) -> Batch:
    """A batch as ``_batches`` keeps it."""
    records: dict[str, StoredRecord] = {}
    decisions: dict[tuple[str, str], PairDecision] = {}
    pool: dict[Any, Any] = {}
    for key, value in kept["entries"]:
        if (decision := decode_decision(value)) is not None:
            decisions[decision.pair] = decision
        else:
            records[key] = LinkageEntry.decode(value, pool).stored
    watermark = dt.datetime.fromisoformat(kept["watermark"])
    return Batch(kept["version"], records, decisions, watermark)


def _reference_ms() -> float:
    """``sum(range(10**6))``, best of 5, in ms: tells how loaded the machine was (about
    10-15 ms on an idle modern core)."""
    import timeit

    return min(timeit.repeat("sum(range(10**6))", number=1, repeat=5)) * 1000


def _bytes_per_record(table: dict[str, bytes], records: int, snapshot: Path | None = None) -> float:
    """Memory the restored state holds (tracemalloc: Python allocations, the table's bytes
    and the parsing on the way excluded), per record."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    state, read = restore(table, snapshot)
    del read  # what was read for the republish: the worker lets it go too
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del state
    return held / records


def _print(f: RecoveryFigures) -> None:
    for how, r in (("rebuilt in full", f.full), ("from the snapshot", f.snapshot)):
        console.print(
            f"{f.records:,} records ({f.persons:,} persons), {how}: restore "
            f"{r.restore_s:.2f} s ({r.restore_cpu_s:.2f} s of CPU); first new "
            f"event linked {r.first_event_s:.2f} s after the restore began "
            f"({r.first_event_cpu_s:.2f} s of CPU; republished "
            f"{r.republished_links:,} links and {r.republished_episodes:,} episodes, "
            f"{r.tombstones:,} tombstones: the last batch's clusters)"
        )
    console.print(
        f"state {f.bytes_per_record:,.0f} bytes per record rebuilt in full, "
        f"{f.snapshot_bytes_per_record:,.0f} from the snapshot; persons "
        f"{'identical' if f.same_persons else 'DIFFERENT'} either way"
    )
