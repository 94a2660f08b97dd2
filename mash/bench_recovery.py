"""`mash bench recovery`: how long a restarted linkage worker takes to process a new event.

Measured in process, on the pure state, with no broker: the linkage table is built by linking
generated police notifications batch by batch (kept as the JSON bytes the worker stores), the
last batch after the durable point; then a new ``HubState`` is restored from those bytes (as
the worker does from its table once Faust has read the changelog), what was sent after the
durable point is encoded again, and one new event is linked. Reading the changelog from the
broker into the table's store is not measured here.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

from mash.console import console
from schemas.contracts import EPISODE, LINK
from schemas.framing import encode
from streams.hub import HubState, collection_paused
from streams.identities import (
    LinkageEntry,
    LinkageTable,
    decision_key,
    encode_decision,
    linkage_records,
)
from streams.linkage_agent import DURABLE_KEY

__all__ = ["RecoveryFigures", "bench_recovery", "build_table", "restore"]

_BATCH = 1000


@dataclass(frozen=True)
class RecoveryFigures:
    """What one run measured."""

    records: int
    persons: int
    build_s: float
    restore_s: float
    first_event_s: float
    """From the start of the restore to the new event linked (republish encoded on the way)."""
    first_event_cpu_s: float
    """The same in CPU time of this process (less dependent on the machine's load)."""
    republished_links: int
    republished_episodes: int
    tombstones: int
    """Ids an episode of those clusters may have had and has no more, deleted again."""
    bytes_per_record: float


def build_table(events: list[Any]) -> dict[str, bytes]:
    """The linkage table of a worker that linked ``events`` in batches: every batch's outputs
    acknowledged but the last one's (the durable point is the batch before it)."""
    state = HubState()
    table: dict[str, bytes] = {}
    for version, start in enumerate(range(0, len(events), _BATCH), 1):
        out = state.process(events[start : start + _BATCH], "bench")
        for rid, stored in out.records.items():
            table[rid] = json.dumps(LinkageEntry(*stored, version=version).encode()).encode()
        for decision in out.decisions.values():
            table[decision_key(decision)] = json.dumps(encode_decision(decision, version)).encode()
        if start + _BATCH < len(events):
            mark = {"version": version, "watermark": state.watermark.isoformat()}
            table[DURABLE_KEY] = json.dumps({"durable": mark}).encode()
    return table


def restore(table: dict[str, bytes]) -> tuple[HubState, LinkageTable]:
    """A worker's restore from its table's stored bytes."""
    with collection_paused():
        read = linkage_records(((k, json.loads(v)) for k, v in table.items()), DURABLE_KEY)
        state = HubState()
        state.restore([e.stored for e in read.entries], read.decisions)
    return state, read


def bench_recovery(records: int, seed: int = 11) -> RecoveryFigures:
    """Build, restore, and time the first new event; print and return the figures."""
    from simulation.synthetic import police_notifications

    events = list(police_notifications(records + 1, seed, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    started = time.perf_counter()
    table = build_table(events[:-1])
    built = time.perf_counter() - started
    console.print(f"built the linkage table of {records:,} records in {built:.1f} s")
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    state, read = restore(table)
    restored = time.perf_counter() - started
    again = state.republish(read.after_durable, read.durable_watermark)
    for link in again.links:
        encode(LINK, link)
    for snapshot in again.episodes.values():
        if snapshot is not None:
            encode(EPISODE, snapshot)
    state.process(events[-1:], "bench")
    first = time.perf_counter() - started
    first_cpu = time.process_time() - cpu
    persons = len(set(state.linker.person.values()))
    del state, read
    figures = RecoveryFigures(
        records,
        persons,
        built,
        restored,
        first,
        first_cpu,
        len(again.links),
        sum(s is not None for s in again.episodes.values()),
        sum(s is None for s in again.episodes.values()),
        _bytes_per_record(table, records),
    )
    _print(figures)
    console.print(f"(reference loop on this machine now: {_reference_ms():.0f} ms)")
    return figures


def _reference_ms() -> float:
    """``sum(range(10**6))``, best of 5, in ms: tells how loaded the machine was (about
    10-15 ms on an idle modern core)."""
    import timeit

    return min(timeit.repeat("sum(range(10**6))", number=1, repeat=5)) * 1000


def _bytes_per_record(table: dict[str, bytes], records: int) -> float:
    """Memory the restored state holds (tracemalloc: Python allocations, the table's bytes
    and the parsing on the way excluded), per record."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    state, _ = restore(table)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del state
    return held / records


def _print(f: RecoveryFigures) -> None:
    console.print(
        f"{f.records:,} records ({f.persons:,} persons): restore {f.restore_s:.2f} s; first new "
        f"event linked {f.first_event_s:.2f} s after the restore began "
        f"({f.first_event_cpu_s:.2f} s of CPU; republished "
        f"{f.republished_links:,} links and {f.republished_episodes:,} episodes, "
        f"{f.tombstones:,} tombstones: the "
        f"last batch's clusters); state {f.bytes_per_record:,.0f} bytes per record"
    )
