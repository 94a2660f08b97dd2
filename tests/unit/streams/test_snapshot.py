"""The local snapshot of the linkage index: a restore from it and the table's tail gives what
a full rebuild gives, and a snapshot that does not fit is ignored (logged without personal
data) for the full rebuild."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import marshal
import os
import stat
import time
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

from plumbing import heap
from plumbing.processes import detach_forked_child
from schemas.childrens_services import ReviewVerdict
from simulation.synthetic import police_notifications
from streams import durable, hub, snapshot
from streams.blocks import Frozen
from streams.hub import HubState, preload_snapshot, restore_table
from streams.identities import (
    LinkageEntry,
    blocking_scheme,
    compact_version,
    encode_decision,
    table_entries,
)
from streams.linkage import Linker, PairDecision
from streams.linkage_agent import DURABLE_KEY, mark_key
from streams.links import FrozenLinks
from streams.model import default_model
from streams.snapshot import (
    Records,
    abandon,
    check_covered,
    checked,
    load_snapshot,
    may_fit,
    remove_stale_parts,
    save_in_background,
    save_snapshot,
    saved,
    saved_blocks,
    saved_links,
    snapshot_path,
    stop_check,
)
from streams.summaries import Summaries

_SIZE = 150


@cache
def _events() -> list[Any]:
    # 600 notifications about 200 children: each batch of 150 adds records to earlier persons
    return list(police_notifications(600, 3, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))


def _mark(version: int, state: HubState) -> tuple[str, Any]:
    return (
        DURABLE_KEY,
        {"durable": {"version": version, "watermark": state.watermark.isoformat()}},
    )


def _split(state: HubState) -> PairDecision:
    """A reviewer's "not the same person" on two records of one person (it splits it)."""
    person = next(
        p for p in sorted(set(state.linker.person.values())) if len(state.linker.records_of(p)) > 1
    )
    a, b = sorted(state.linker.records_of(person))[:2]
    return PairDecision(
        (a, b), ReviewVerdict.NOT_SAME_PERSON, dt.datetime(2013, 5, 1, tzinfo=dt.UTC), "d1"
    )


def _scenario(folder: Path) -> tuple[list[tuple[str, Any]], Path]:
    """A table of four batches, the index snapshot saved by the live worker after the third
    batch's durable mark, and after it a fourth batch and a reviewer's decision (the tail)."""
    events, state, table = _events(), HubState(), []
    path = snapshot_path(folder)
    for version, start in enumerate(range(0, len(events), _SIZE), 1):
        out = state.process(events[start : start + _SIZE], "t")
        table += [(k, json.loads(json.dumps(v))) for k, v in table_entries(out, version)]
        if version == 3:
            table.append(_mark(version, state))
            save_snapshot(path, state.linker, state.summaries, version)
    table.append(("decision:x", json.loads(json.dumps(encode_decision(_split(state), 5)))))
    return table, path


def _restored(table: list[tuple[str, Any]], path: Path | None) -> tuple[HubState, int | None]:
    state = HubState()
    read = restore_table(state, iter(table), DURABLE_KEY, path)
    return state, read.from_snapshot


def _partition(linker: Linker) -> set[frozenset[str]]:
    return {frozenset(members) for members in linker.clusters.value.values()}


def test_a_restore_from_the_snapshot_and_the_tail_equals_a_full_rebuild(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    full, none = _restored(table, None)
    quick, used = _restored(table, path)
    assert (none, used) == (None, 3)
    # the tail's links and persons read the snapshot's records without making them (a few
    # are: the decision's split reads its records); made, all 450 would be (half made settles)
    records = quick.linker.records
    assert isinstance(records, Records) and len(records._ids) == 450 and records._from_rows < 10
    assert quick.linker.person == full.linker.person
    assert quick.linker.blocks == full.linker.blocks
    assert _links(quick.linker) == _links(full.linker)
    assert _partition(quick.linker) == _partition(full.linker)
    assert quick.snapshots == full.snapshots
    # the tail mattered: its batch's records and the decision's split are not in the snapshot
    saved = load_snapshot(path, default_model().version, lambda v: True)
    assert saved is not None
    assert len(saved.person) < len(quick.linker.person)
    assert any(saved.person.get(r) not in (None, p) for r, p in quick.linker.person.items())


def _weights(linker: Linker) -> list[float]:
    return [w for rid in linker.links for _, w in linker.links.of(rid)]


def test_link_weights_are_one_float_a_value_restored_and_saved_as_arrays(tmp_path: Path) -> None:
    table, _ = _scenario(tmp_path)
    full = _restored(table, None)[0]  # every record's links decoded from the table
    weights = _weights(full.linker)
    assert len({id(w) for w in weights}) == len(set(weights)) < len(weights) / 4
    # a save writes them as arrays (none in the marshal part), read back as they were
    again = tmp_path / "again.snap"
    save_snapshot(again, full.linker, full.summaries, 4)
    header, parts = _header_and_parts(again)
    assert parts[0] == {} and header["link_arrays"][-1] == len(weights)
    loaded = load_snapshot(again, default_model().version, lambda v: True)
    assert loaded is not None
    assert loaded.links == full.linker.links
    assert {r: list(loaded.links.of(r)) for r in loaded.links} == {
        r: list(full.linker.links.of(r)) for r in full.linker.links
    }  # in order


def test_a_restored_index_goes_on_as_the_rebuilt_one(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    quick, _ = _restored(table, path)
    more = list(police_notifications(40, 9, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    full.process(more, "t")
    quick.process(more, "t")
    assert quick.linker.person == full.linker.person


def test_a_corrupt_or_truncated_snapshot_is_ignored_and_logged_without_names(
    tmp_path: Path,
) -> None:
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    data = path.read_bytes()
    names = {e.subject.given_name for e in _events()} | {e.subject.family_name for e in _events()}
    header_cut = data[: data.index(b"\n") + 10]  # the header line not ended
    for broken in (data[:-100], data[:-1] + bytes([data[-1] ^ 1]), b"junk", b"", header_cut):
        path.write_bytes(broken)
        with structlog.testing.capture_logs() as logs:
            state, used = _restored(table, path)
        assert used is None
        assert state.linker.person == full.linker.person
        ignored = [e for e in logs if e["event"] == "linkage.snapshot_ignored"]
        assert len(ignored) == 1
        assert not any(n and n in str(ignored) for n in names)


def test_a_snapshot_of_another_model_or_beyond_the_durable_mark_is_ignored(
    tmp_path: Path,
) -> None:
    table, path = _scenario(tmp_path)
    assert load_snapshot(path, default_model().version, lambda v: v <= 3) is not None
    assert load_snapshot(path, "lm-another", lambda v: True) is None
    assert load_snapshot(path, default_model().version, lambda v: v <= 2) is None
    other = HubState(linker=Linker(model=dataclasses.replace(default_model(), version="lm-x")))
    assert restore_table(other, iter(table), DURABLE_KEY, path).from_snapshot is None
    without_mark = [(k, v) for k, v in table if k != DURABLE_KEY]
    _, used = _restored(without_mark, path)
    assert used is None


def test_a_snapshot_whose_blocks_were_filed_by_another_digest_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same keys filed under other digests: its records would never be candidates again
    table, path = _scenario(tmp_path)
    assert load_snapshot(path, default_model().version, lambda v: True) is not None
    monkeypatch.setattr(snapshot, "block_slots", lambda keys: [hash(k) for k in keys])
    assert _ignored_why(table, path) == ["another blocking scheme"] * 2


def test_a_snapshot_with_a_record_the_table_lacks_is_ignored(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    lost = next(iter(full.linker.records))  # in the snapshot, lost from the table
    shorter = [(k, v) for k, v in table if k != lost]
    assert _ignored_why(shorter, path) == ["records of it missing from the table"] * 2
    # a record of the snapshot written again after it: in the table (the tail), used
    again = next(k for k, v in table if type(v) is list and v[-1] == 3)
    rewritten = [(k, [*v[:-1], 4] if k == again else v) for k, v in table]
    expected, _ = _restored(rewritten, None)
    state, used = _restored(_stored(rewritten), path)
    assert used == 3
    assert state.linker.person == expected.linker.person
    # and another of its records lost: missing
    assert lost != again
    shorter = [(k, v) for k, v in rewritten if k != lost]
    assert _ignored_why(shorter, path) == ["records of it missing from the table"] * 2


def _ignored_why(table: list[tuple[str, Any]], path: Path) -> list[str]:
    """Restore ``table`` (decoded, then as stored bytes) with the snapshot at ``path``,
    which is ignored for a full rebuild; the reasons logged."""
    expected, _ = _restored(table, None)
    reasons = []
    for values in (table, _stored(table)):
        with structlog.testing.capture_logs() as logs:
            state, used = _restored(values, path)
        assert used is None
        assert state.linker.person == expected.linker.person
        reasons += [e["reason"] for e in logs if e["event"] == "linkage.snapshot_ignored"]
    return reasons


def _file_parts(path: Path) -> tuple[bytes, dict[str, Any], bytes]:
    """The snapshot at ``path`` as its magic line, its header and its payload."""
    data = path.read_bytes()
    magic_end = data.index(b"\n") + 1
    header_end = data.index(b"\n", magic_end) + 1
    return data[:magic_end], json.loads(data[magic_end:header_end]), data[header_end:]


def _marshalled(path: Path) -> bytes:
    """The ``marshal`` part of the snapshot at ``path``."""
    _, header, payload = _file_parts(path)
    return payload[: header["marshalled"]]


def _with_payload(path: Path, payload: bytes) -> None:
    """The snapshot at ``path`` with ``payload`` instead of its ``marshal`` part (its blocks'
    arrays kept), under a header whose digest matches it (as a tamperer, or a fault of the
    code that wrote it, would make)."""
    magic, header, stored = _file_parts(path)
    arrays = stored[header["marshalled"] :]
    header["marshalled"] = len(payload)
    header["sha256"] = hashlib.sha256(payload + arrays).hexdigest()
    path.write_bytes(magic + json.dumps(header).encode() + b"\n" + payload + arrays)


def test_a_snapshot_of_code_is_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table, path = _scenario(tmp_path)
    _with_payload(path, marshal.dumps(compile("open('ran', 'w')", "x", "exec")))
    monkeypatch.chdir(tmp_path)
    _, used = _restored(table, path)
    assert used is None
    assert not (tmp_path / "ran").exists()


def test_the_snapshot_is_private(tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        folder = tmp_path / "worker"
        folder.mkdir(mode=0o755)
        path = snapshot_path(folder)
        save_snapshot(path, HubState().linker, {}, 1)
    finally:
        os.umask(before)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == [path.name]  # no partial file left


def test_no_snapshot_when_an_older_owner_wrote_after_a_newer_one_restored(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    state = HubState()
    assert restore_table(state, iter(table), DURABLE_KEY, path).from_snapshot == 3
    # an owner that restored at epoch 10 having seen version 2: versions 3 and 4 were
    # written after it restored, by the older owner (their entries may carry other edges)
    newer = {"durable": {"epoch": 10, "version": 10, "watermark": "2013-04-01T00:00:00+00:00"}}
    newer["durable"]["seen"] = 2
    read = restore_table(HubState(), iter([*table, (mark_key(10), newer)]), DURABLE_KEY, path)
    assert read.overtaken is not None
    assert read.from_snapshot is None


def test_a_background_save_writes_what_a_direct_save_writes(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    state, _ = _restored(table, path)
    direct, background = snapshot_path(tmp_path / "a"), snapshot_path(tmp_path / "b")
    save_snapshot(direct, state.linker, state.summaries, 4)
    pid = save_in_background(background, state.linker, state.summaries, 4)
    while (ok := saved(pid)) is None:
        time.sleep(0.01)
    assert ok
    assert background.read_bytes() == direct.read_bytes()


def _child(path: Path | None, code: int, seconds: float) -> int:
    """A forked stand-in for a background save of ``path`` (None: no file): writes half its
    part file, named as ``save_snapshot`` names it, waits ``seconds`` and leaves with
    ``code``."""
    pid = os.fork()
    if pid == 0:  # the child
        try:
            if path is not None:
                path.with_suffix(f".{os.getpid()}.part").write_bytes(b"MASH-LINKAGE-INDEX\n{")
            time.sleep(seconds)
        finally:
            os._exit(code)
    return pid


def _written(part: Path) -> None:
    deadline = time.monotonic() + 10
    while not part.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert part.exists()


def _ended_pid() -> int:
    pid = _child(None, 0, 0)
    os.waitpid(pid, 0)
    return pid


def test_parts_of_saves_that_no_longer_run_are_removed_and_nothing_else(tmp_path: Path) -> None:
    path = snapshot_path(tmp_path)
    path.write_bytes(b"the live snapshot")
    dead, alive = _ended_pid(), os.getppid()
    names = [f"linkage-index-0.{pid}.part" for pid in (dead, os.getpid(), alive)]
    for name in [*names, "linkage-index-1.7.part", "linkage-index-0.x.part", "other.part"]:
        (tmp_path / name).write_bytes(b"half")
    assert remove_stale_parts(path) == sorted([dead, os.getpid()])
    assert path.read_bytes() == b"the live snapshot"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        [
            "linkage-index-0.snap",
            names[2],  # a process that runs: perhaps a save under way
            "linkage-index-1.7.part",  # another partition's snapshot
            "linkage-index-0.x.part",  # not a save's
            "other.part",
        ]
    )
    assert remove_stale_parts(snapshot_path(tmp_path / "absent")) == []


def test_an_abandoned_save_is_stopped_and_its_part_removed(tmp_path: Path) -> None:
    path = snapshot_path(tmp_path)
    path.write_bytes(b"the last snapshot")
    pid = _child(path, 0, 60)  # a save mid-write
    part = path.with_suffix(f".{pid}.part")
    _written(part)
    started = time.monotonic()
    abandon(path, pid)
    assert time.monotonic() - started < 5  # killed, not waited for
    assert not part.exists()
    assert path.read_bytes() == b"the last snapshot"
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


def _stored(table: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The table as Faust's RocksDB store keeps it: each value its JSON bytes."""
    return [(k, orjson.dumps(v)) for k, v in table]


def _three_batches() -> HubState:
    state = HubState()
    for start in range(0, 3 * _SIZE, _SIZE):
        state.process(_events()[start : start + _SIZE], "t")
    return state


def test_the_snapshot_holds_the_records_and_their_summaries(tmp_path: Path) -> None:
    state = _three_batches()
    first = next(iter(state.summaries))  # a MARAC child's event id is not its record id
    state.summaries[first] = dataclasses.replace(state.summaries[first], event_id="e-marac")
    path = snapshot_path(tmp_path)
    save_snapshot(path, state.linker, state.summaries, 3)
    loaded = load_snapshot(path, default_model().version, lambda v: True)
    assert loaded is not None
    assert loaded.records == state.linker.records
    assert loaded.summaries == state.summaries
    assert loaded.summaries[first].event_id == "e-marac"
    by_name: dict[str, list[str]] = {}
    for rid, record in loaded.records.items():
        by_name.setdefault(record.family_name, []).append(rid)
    a, b = next(rids for rids in by_name.values() if len(rids) > 1)[:2]
    assert loaded.records[a].family_name is loaded.records[b].family_name  # one object


def _header_and_parts(path: Path) -> tuple[dict[str, Any], tuple[Any, ...]]:
    header = orjson.loads(path.read_bytes().split(b"\n", 2)[1])
    return header, marshal.loads(_marshalled(path))


def test_a_snapshot_holds_only_the_persons_that_are_not_their_records_cluster_parents(
    tmp_path: Path,
) -> None:
    state = _three_batches()
    linker = state.linker
    parent, _ = linker.clusters.saved()
    differ = {r: p for r, p in linker.person.items() if parent[r] != p}
    assert differ and len(differ) < len(linker.person)  # the scenario has both kinds
    path = snapshot_path(tmp_path)
    save_snapshot(path, linker, state.summaries, 3)
    header, parts = _header_and_parts(path)
    assert header["format"] == snapshot.FORMAT == 6 and header["every_person"] is False
    assert parts[4] == differ
    loaded = load_snapshot(path, default_model().version, lambda v: True)
    assert loaded is not None
    assert list(loaded.person.items()) == list(linker.person.items())  # order too


def test_a_snapshot_whose_parents_are_in_another_order_holds_every_person(tmp_path: Path) -> None:
    state = _three_batches()
    linker = state.linker
    parent, members = linker.clusters.saved()
    linker.clusters.load(dict(reversed(parent.items())), members)  # the same sets
    path = snapshot_path(tmp_path)
    save_snapshot(path, linker, state.summaries, 3)
    header, parts = _header_and_parts(path)
    assert header["format"] == snapshot.FORMAT and header["every_person"] is True
    assert parts[4] == linker.person
    loaded = load_snapshot(path, default_model().version, lambda v: True)
    assert loaded is not None
    assert list(loaded.person.items()) == list(linker.person.items())


def test_a_snapshot_whose_persons_name_a_record_the_parents_lack_is_ignored(
    tmp_path: Path,
) -> None:
    state = _three_batches()
    path = snapshot_path(tmp_path)
    save_snapshot(path, state.linker, state.summaries, 3)
    _, parts = _header_and_parts(path)
    parts = (*parts[:4], {**parts[4], "r-stranger": "p-stranger"}, *parts[5:])
    _with_payload(path, marshal.dumps(parts))
    with structlog.testing.capture_logs() as logs:
        assert load_snapshot(path, default_model().version, lambda v: True) is None
    assert [e.get("reason") for e in logs if e["event"] == "linkage.snapshot_ignored"] == [
        "records missing"
    ]


def test_a_restore_from_stored_bytes_decodes_only_the_tail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    decoded: list[str] = []
    real = LinkageEntry.decode

    def counting(state: Any, shared: dict[Any, Any] | None = None) -> LinkageEntry:
        entry = real(state, shared)
        decoded.append(entry.record.record_id)
        return entry

    monkeypatch.setattr(LinkageEntry, "decode", counting)
    quick = HubState()
    read = restore_table(quick, iter(_stored(table)), DURABLE_KEY, path)
    # the fourth batch, and the records the late decision names (written again with it)
    pair = next(v["decision"]["pair"] for k, v in table if k == "decision:x")
    tail = {k for k, v in table if type(v) is list and v[-1] == 4} | set(pair)
    assert read.from_snapshot == 3
    assert sorted(decoded) == sorted(tail)
    assert not set(pair) <= {k for k, v in table if type(v) is list and v[-1] == 4}
    assert read.records == len({k for k, v in table if type(v) is list})
    assert quick.linker.person == full.linker.person
    assert quick.linker.blocks == full.linker.blocks
    assert _links(quick.linker) == _links(full.linker)
    assert quick.summaries == full.summaries
    assert quick.contents == full.contents
    assert quick.watermark == full.watermark
    assert quick.snapshots == full.snapshots
    decoded.clear()
    rebuilt = HubState()
    again = restore_table(rebuilt, iter(_stored(table)), DURABLE_KEY, None)
    assert again.from_snapshot is None
    assert len(decoded) == len(set(decoded)) == read.records
    assert rebuilt.linker.person == full.linker.person
    # what the worker writes again after its republish: the same entries either way
    late = set(read.after_durable)
    assert late == set(again.after_durable)
    rewrite = {e.record.record_id: e for e in read.entries if e.record.record_id in late}
    assert rewrite == {e.record.record_id: e for e in again.entries if e.record.record_id in late}


def test_a_table_record_at_or_below_the_snapshot_that_it_lacks_means_a_full_rebuild(
    tmp_path: Path,
) -> None:
    table, path = _scenario(tmp_path)
    # a record of the fourth batch as if written by the third: the snapshot should have it
    stray = next(k for k, v in table if type(v) is list and v[-1] == 4)
    changed = [(k, [*v[:-1], 3] if k == stray else v) for k, v in table]
    lacks = "the table has records at or below its version that it lacks"
    assert _ignored_why(changed, path) == [lacks] * 2
    # with a record of the snapshot lost as well, that is what is told (checked first)
    lost = next(k for k, v in changed if type(v) is list and v[-1] <= 2)
    shorter = [(k, v) for k, v in changed if k != lost]
    assert _ignored_why(shorter, path) == ["records of it missing from the table"] * 2


def test_a_snapshot_older_than_a_sweep_of_late_writes_is_ignored(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    # an owner that restored at epoch 10 found an older owner's writes after a newer
    # owner's restore and swept them: they may lie below the snapshot's version unread
    mark = {"epoch": 10, "version": 10, "watermark": "2013-04-01T00:00:00+00:00"}
    swept = (mark_key(10), {"durable": mark | {"seen": 5, "swept": 5}})
    for values in ([*table, swept], _stored([*table, swept])):
        read = restore_table(HubState(), iter(values), DURABLE_KEY, path)
        assert read.overtaken is None  # the sweep covered them
        assert read.from_snapshot is None
    # a sweep by the owner that saved it (epoch 3, at or below its version): it read them
    own = (mark_key(3), {"durable": mark | {"epoch": 3, "version": 3, "seen": 2, "swept": 2}})
    assert restore_table(HubState(), iter([*table, own]), DURABLE_KEY, path).from_snapshot == 3


@pytest.mark.parametrize("old", [1, 2])
def test_a_snapshot_of_an_earlier_format_is_ignored(tmp_path: Path, old: int) -> None:
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    state = HubState()
    restore_table(state, iter([(k, v) for k, v in table if type(v) is not list or v[-1] <= 3]),
                  DURABLE_KEY, None)  # fmt: skip
    linker = state.linker
    payload = marshal.dumps(
        (dict(linker.blocks), dict(linker.links), dict(linker.apart),
         *linker.clusters.saved(), linker.person)
    )  # fmt: skip
    header = {
        "format": old,
        "model": default_model().version,
        "blocking": blocking_scheme(),
        "version": 3,
        "records": len(linker.person),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    path.write_bytes(b"MASH-LINKAGE-INDEX\n" + json.dumps(header).encode() + b"\n" + payload)
    with structlog.testing.capture_logs() as logs:
        restored, used = _restored(_stored(table), path)
    assert used is None
    assert restored.linker.person == full.linker.person
    assert [e.get("reason") for e in logs if e["event"] == "linkage.snapshot_ignored"] == [
        "another format"
    ]


def test_a_restore_holds_entries_undecoded_only_for_a_snapshot_it_may_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, path = _scenario(tmp_path)
    assert may_fit(path, default_model().version)
    assert not may_fit(path, "lm-another")
    assert not may_fit(tmp_path / "none", default_model().version)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"MASH-LINKAGE-INDEX\nnot json\n")
    assert not may_fit(garbage, default_model().version)
    heads: list[str] = []
    real = durable.compact_version

    def counting(key: str, stored: bytes) -> int | None:
        heads.append(key)
        return real(key, stored)

    monkeypatch.setattr(durable, "compact_version", counting)
    other = HubState(linker=Linker(model=dataclasses.replace(default_model(), version="lm-x")))
    read = restore_table(other, iter(_stored(table)), DURABLE_KEY, path)
    assert read.from_snapshot is None
    assert heads == []  # another model's snapshot: each entry decoded as read
    full, _ = _restored(table, None)
    assert other.linker.person == full.linker.person
    quick = HubState()
    assert restore_table(quick, iter(_stored(table)), DURABLE_KEY, path).from_snapshot == 3
    assert len(heads) == len(table)  # each entry's head read, the snapshot used


def test_an_entry_s_version_is_read_from_its_bytes_only_under_its_own_unescaped_id() -> None:
    _, value = next((k, v) for k, v in table_entries(HubState().process(_events()[:3], "t"), 7))
    given = value[2]

    def head(key: str, rid: str) -> int | None:
        return compact_version(key, orjson.dumps([value[0], rid, *value[2:]]))

    assert head("r-1", "r-1") == 7
    assert head("r-é", "r-é") == 7  # UTF-8 as stored
    assert head("r-1", "r-2") is None
    assert head("r-1", "r-12") is None
    assert head("r-12", "r-1") is None
    assert head(f'r-1","{given}', "r-1") is None  # the key runs on into the next field
    assert head('r"1', 'r"1') is None  # an id with escapes: decoded whole
    assert head("r\\1", "r\\1") is None
    assert compact_version("r-1", orjson.dumps([value[0], "r-1", *value[2:-1], "x"])) is None
    assert compact_version("r-1", orjson.dumps({"record": value})) is None


def _damaged(stored: bytes, shape_only: bool) -> bytes:
    """A compact entry damaged after its record id, its version still readable from its
    bytes (so that a restore holds it undecoded): JSON cut short, or JSON of the wrong
    shape (the fields gone)."""
    head = stored[: stored.index(b'"', len(b'[2,"')) + 1]
    version = stored[stored.rfind(b",") :]
    return head + (version if shape_only else b',{"broken"' + version)


def _covered_ids(table: list[tuple[str, Any]]) -> list[str]:
    """The records the snapshot of ``_scenario`` covers (written at version 3 or before and
    named by no later decision)."""
    pair = next(v["decision"]["pair"] for k, v in table if k == "decision:x")
    return sorted(k for k, v in table if type(v) is list and v[-1] <= 3 and k not in pair)


@pytest.mark.parametrize("shape_only", [False, True])
def test_a_damaged_entry_the_snapshot_covers_is_found_by_the_check_in_the_background(
    tmp_path: Path, shape_only: bool
) -> None:
    table, path = _scenario(tmp_path)
    covered = _covered_ids(table)
    victim = covered[len(covered) // 2]
    stored = [(k, _damaged(v, shape_only) if k == victim else v) for k, v in _stored(table)]
    read = restore_table(HubState(), iter(stored), DURABLE_KEY, path)
    assert read.from_snapshot == 3  # the snapshot stands for it: nothing to read of it now
    assert read.unreadable == []
    assert sorted(rid for rid, _, _ in read.covered) == covered
    found = checked(check_covered(read.covered), wait=True)
    assert found is not None
    count, named = found
    assert count == 1
    assert [rid for rid, _ in named] == [victim]
    why = named[0][1]
    assert "benjamin" not in why and victim not in why  # a reason, not a value


def test_the_check_of_a_sound_table_finds_nothing(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    read = restore_table(HubState(), iter(_stored(table)), DURABLE_KEY, path)
    assert len(read.covered) == len(_covered_ids(table))
    assert checked(check_covered(read.covered), wait=True) == (0, [])


def test_a_damaged_entry_of_the_tail_is_named_not_raised(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    victim = next(k for k, v in table if type(v) is list and v[-1] == 4)
    stored = [(k, _damaged(v, shape_only=True) if k == victim else v) for k, v in _stored(table)]
    for source in (path, None):  # decoded as the tail, or in the full rebuild
        read = restore_table(HubState(), iter(stored), DURABLE_KEY, source)
        assert [rid for rid, _ in read.unreadable] == [victim]


def test_a_snapshot_preloaded_as_the_worker_starts_restores_as_the_file_does(
    tmp_path: Path,
) -> None:
    table, path = _scenario(tmp_path)
    from_file, used = _restored(_stored(table), path)
    preloaded = preload_snapshot(path, default_model().version)
    assert preloaded is not None and preloaded.version == 3
    state = HubState()
    read = restore_table(state, iter(_stored(table)), DURABLE_KEY, path, preloaded)
    assert used == read.from_snapshot == 3
    assert state.linker.person == from_file.linker.person
    assert state.linker.blocks == from_file.linker.blocks
    assert state.summaries == from_file.summaries
    assert state.snapshots == from_file.snapshots


def test_a_preloaded_snapshot_no_durable_mark_reaches_is_not_used(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    preloaded = preload_snapshot(path, default_model().version)
    assert preloaded is not None
    unmarked = [(k, v) for k, v in _stored(table) if k != DURABLE_KEY]  # its mark lost
    with structlog.testing.capture_logs() as logs:
        state = HubState()
        read = restore_table(state, iter(unmarked), DURABLE_KEY, path, preloaded)
    assert read.from_snapshot is None
    assert state.linker.person == full.linker.person
    assert [e["reason"] for e in logs if e["event"] == "linkage.snapshot_ignored"] == [
        snapshot.UNCOVERED
    ]


def test_nothing_is_preloaded_of_another_model_or_when_there_is_no_snapshot(
    tmp_path: Path,
) -> None:
    _, path = _scenario(tmp_path)
    assert preload_snapshot(path, "lm-another") is None
    assert preload_snapshot(tmp_path / "none.snap", default_model().version) is None


def test_the_check_names_a_damaged_field_without_the_entry_s_values(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path)
    victim = _covered_ids(table)[0]
    fields = dict(table)[victim]
    given, family = fields[2], fields[3]
    broken = [*fields[:4], "2004-13-45", *fields[5:]]  # a date of birth no calendar has
    stored = [(k, orjson.dumps(broken) if k == victim else v) for k, v in _stored(table)]
    read = restore_table(HubState(), iter(stored), DURABLE_KEY, path)
    found = checked(check_covered(read.covered), wait=True)
    assert found is not None
    count, [(rid, why)] = found
    assert (count, rid) == (1, victim)
    assert given not in why and family not in why and "2004-13-45" not in why


def test_a_child_of_the_worker_keeps_none_of_its_sockets_or_signal_handling() -> None:
    import signal
    import socket

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            detach_forked_child(keep=(writer,), with_parent=True)
            try:
                os.fstat(listening.fileno())
                held = True
            except OSError:
                held = False
            default = signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
            os.write(writer, orjson.dumps([held, default]))
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    _, status = os.waitpid(pid, 0)
    with open(reader, "rb") as pipe:
        sent = pipe.read()
    listening.close()
    assert os.waitstatus_to_exitcode(status) == 0
    assert orjson.loads(sent) == [False, True]


def _stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[str, Any]], Any]:
    """The scenario's table, and the worker's linkage stage over it (the table's store read
    as ``_stored``), its snapshot file the scenario's and preloaded, as the worker starts."""
    import faust

    from plumbing.settings import WorkerSettings
    from schemas.registry import codec_for
    from streams import linkage_agent
    from streams.app import faust_settings

    table, path = _scenario(tmp_path / "scenario")
    settings = WorkerSettings(
        home=tmp_path, kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="PLAINTEXT"
    )
    app = faust.App(settings.app_id, **faust_settings(settings))
    stage = linkage_agent.Linkage(app, settings, codec_for(settings))
    assert stage.snapshot is not None
    stage.snapshot.parent.mkdir(parents=True, exist_ok=True)  # faust_settings made it
    stage.snapshot.write_bytes(path.read_bytes())
    monkeypatch.setattr(linkage_agent, "stored_items", lambda _table: iter(_stored(table)))
    stage.preload()
    return table, stage


def test_the_stage_s_first_restore_takes_the_preloaded_snapshot_and_only_that_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streams import linkage_agent

    table, stage = _stage(tmp_path, monkeypatch)
    preloaded = stage.preloaded
    assert preloaded is not None
    loads: list[Path] = []
    real = linkage_agent.restore_table

    def restore(*args: Any) -> Any:
        loads.append(args[4])  # the preloaded snapshot handed to it, or None
        return real(*args)

    monkeypatch.setattr(linkage_agent, "restore_table", restore)
    full, _ = _restored(table, None)
    for _ in range(2):  # the first restore, and one after a revocation
        stage.state = None
        with structlog.testing.capture_logs() as logs:
            state = stage.restored()
        [restored] = [e for e in logs if e["event"] == "linkage.restored"]
        assert restored["snapshot"] == 3
        assert state.linker.person == full.linker.person
        # the table's stored bytes, dropped, given back to the system after each restore
        assert [e["event"] for e in logs if e.get("why") == "linkage restored"] == (
            ["memory.given_back"] if heap._TRIM is not None else []
        )
        stage.end_check()
    assert loads == [preloaded, None]  # the second read the file again
    assert stage.preloaded is None


def _links(linker: Linker) -> dict[str, dict[str, float]]:
    """Each record's links, in any order."""
    return {rid: dict(linker.links.of(rid)) for rid in linker.links}


def _rocksdb_table(folder: Path, table: list[tuple[str, Any]], offset: int | None) -> Any:
    """A Faust table of a RocksDB store whose partition 0 holds ``table`` on disk as the
    worker's store keeps it (keys and values JSON bytes) and, unless None, ``offset`` as its
    persisted changelog offset, the database closed (a worker about to start)."""
    import faust
    import rocksdict

    app = faust.App("scan-ahead", store="rocksdb://", datadir=str(folder))
    kept = app.Table("linkage", key_type=str, partitions=1)
    store = kept.data
    store.partition_path(0).parent.mkdir(parents=True, exist_ok=True)
    db = store.rocksdb_options.open(store.partition_path(0))
    batch = rocksdict.WriteBatch(raw_mode=True)
    for key, value in _stored(table):
        batch.put(orjson.dumps(key), value)
    if offset is not None:
        batch.put(store.offset_key, str(offset).encode())
    db.write(batch)
    db.close()
    return kept


def _ahead(kept: Any, path: Path) -> Any:
    from streams.faust_internals import store_files_reader
    from streams.scan_ahead import ScanAhead

    read = store_files_reader(kept)
    version = snapshot.snapshot_version(path, default_model().version)
    assert read is not None and version == 3
    ahead = ScanAhead.start(read, version, DURABLE_KEY)
    assert ahead is not None
    return ahead


def test_the_table_read_beside_the_preload_restores_as_the_table_does(tmp_path: Path) -> None:
    table, path = _scenario(tmp_path / "scenario")
    kept = _rocksdb_table(tmp_path / "data", table, 41)
    preloaded = preload_snapshot(path, default_model().version)
    assert preloaded is not None
    taken = _ahead(kept, path).take(3, {0: 41}, 60)
    assert taken is not None
    scanned, check = taken
    assert scanned.offsets == {0: 41} and scanned.covered > 0
    state = HubState()
    read = restore_table(state, iter(()), DURABLE_KEY, path, preloaded, scanned)  # no items
    assert read is scanned.table and read.from_snapshot == 3
    full, _ = _restored(table, None)
    assert state.linker.person == full.linker.person
    assert _links(state.linker) == _links(full.linker)
    assert _partition(state.linker) == _partition(full.linker)
    assert state.snapshots == full.snapshots
    whole = restore_table(HubState(), iter(table), DURABLE_KEY)
    assert sorted(read.after_durable) == sorted(whole.after_durable)  # RocksDB's key order
    assert checked(check, wait=True) == (0, [])  # the child checked what the snapshot held


def test_a_read_beside_the_preload_is_not_used_once_the_store_has_changed(
    tmp_path: Path,
) -> None:
    table, path = _scenario(tmp_path / "scenario")
    kept = _rocksdb_table(tmp_path / "data", table, 41)
    for offsets in ({0: 42}, {0: 41, 1: 7}, {}):  # recovered since, other partitions held
        ahead = _ahead(kept, path)
        with structlog.testing.capture_logs() as logs:
            assert ahead.take(3, offsets, 60) is None
        assert [e["event"] for e in logs] == ["linkage.scan_ahead_unused"]
        with pytest.raises(ChildProcessError):  # reaped
            os.waitpid(ahead.pid, os.WNOHANG)
    with structlog.testing.capture_logs() as logs:
        assert _ahead(kept, path).take(4, {0: 41}, 60) is None  # another snapshot's version
    assert logs[0]["reason"] == "the snapshot is of another version"


def test_a_snapshot_that_does_not_fit_the_table_read_beside_it_is_checked_in_full(
    tmp_path: Path,
) -> None:
    table, path = _scenario(tmp_path / "scenario")
    victim = next(k for k, v in table if isinstance(v, list) and v[-1] == 1)
    shorter = [(k, v) for k, v in table if k != victim]  # a record of the snapshot lost
    kept = _rocksdb_table(tmp_path / "data", shorter, None)
    preloaded = preload_snapshot(path, default_model().version)
    taken = _ahead(kept, path).take(3, {0: None}, 60)
    assert taken is not None and preloaded is not None
    with structlog.testing.capture_logs() as logs:
        read = restore_table(
            HubState(), iter(_stored(shorter)), DURABLE_KEY, path, preloaded, taken[0]
        )
    assert read.from_snapshot is None  # rebuilt from the items, as without the read
    assert [
        e.get("reason") for e in logs if "scan_ahead" in e["event"] or "ignored" in e["event"]
    ] == [
        "the snapshot does not fit the table",
        "records of it missing from the table",
    ]
    stop_check(taken[1])


def test_a_damaged_entry_the_snapshot_stands_for_is_reported_by_the_read_beside_it(
    tmp_path: Path,
) -> None:
    table, path = _scenario(tmp_path / "scenario")
    victim = _covered_ids(table)[0]
    fields = dict(table)[victim]
    broken = [*fields[:4], "2004-13-45", *fields[5:]]  # a date of birth no calendar has
    damaged = [(k, broken if k == victim else v) for k, v in table]
    kept = _rocksdb_table(tmp_path / "data", damaged, 41)
    preloaded = preload_snapshot(path, default_model().version)
    taken = _ahead(kept, path).take(3, {0: 41}, 60)
    assert taken is not None and preloaded is not None
    read = restore_table(HubState(), iter(()), DURABLE_KEY, path, preloaded, taken[0])
    assert read.from_snapshot == 3
    found = checked(taken[1], wait=True)
    assert found is not None and found[0] == 1 and found[1][0][0] == victim


def test_a_read_beside_the_preload_that_dies_leaves_the_table_to_the_worker(
    tmp_path: Path,
) -> None:
    import signal

    table, path = _scenario(tmp_path / "scenario")
    ahead = _ahead(_rocksdb_table(tmp_path / "data", table, 41), path)
    os.kill(ahead.pid, signal.SIGKILL)
    with structlog.testing.capture_logs() as logs:
        assert ahead.take(3, {0: 41}, 60) is None
    assert logs[0]["reason"].startswith("the read failed")


def test_a_snapshot_whose_block_arrays_do_not_hold_together_is_ignored(tmp_path: Path) -> None:
    """The blocks' and links' arrays are checked whole as they load (``streams.blocks.Frozen``,
    ``streams.links.FrozenLinks``): a posting or a link naming no record, or arrays of other
    lengths than the header's, are found then, not when a later event's candidates are looked
    up."""
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    magic, header, stored = _file_parts(path)
    blocks_end = header["marshalled"] + 8 * header["arrays"][0] + 4 * sum(header["arrays"][1:])
    payload = bytearray(stored)
    payload[blocks_end - 4 : blocks_end] = (10**6).to_bytes(4, "little")  # the last posting
    others_end = len(payload) - 8 * header["link_arrays"][-1]
    unlinked = bytearray(stored)
    unlinked[others_end - 4 : others_end] = (10**6).to_bytes(4, "little")  # the last link
    longer = dict(header, arrays=[n + 1 for n in header["arrays"]])
    # a split before the payload's start whose lengths still add up to it: refused as such
    short = (-len(stored)) % 8 or 8
    before = dict(
        header, marshalled=-short, arrays=[(len(stored) + short) // 8, 0, 0, 0],
        link_arrays=[0] * 6,
    )  # fmt: skip
    cases = (header, bytes(payload)), (header, bytes(unlinked)), (longer, stored), (before, stored)
    for head, body in cases:
        head = dict(head, sha256=hashlib.sha256(body).hexdigest())
        path.write_bytes(magic + json.dumps(head).encode() + b"\n" + body)
        with structlog.testing.capture_logs() as logs:
            restored, used = _restored(_stored(table), path)
        assert used is None
        assert restored.linker.person == full.linker.person
        assert [e.get("reason") for e in logs if e["event"] == "linkage.snapshot_ignored"] == [
            "unreadable (ValueError)" if head["arrays"] == header["arrays"] else
            "not of the snapshot's shape"
        ]  # fmt: skip


def test_a_snapshot_whose_times_are_not_text_is_ignored(tmp_path: Path) -> None:
    """The times are parsed only as their summaries are made (``streams.summaries``): one
    that is not text is found as the snapshot loads, not when a later event needs it."""
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    parts = list(marshal.loads(_marshalled(path)))
    summaries = list(parts[-1])
    summaries[4] = [*summaries[4][:-1], 1_700_000_000]  # a time as a number
    parts[-1] = tuple(summaries)
    _with_payload(path, marshal.dumps(tuple(parts)))
    with structlog.testing.capture_logs() as logs:
        restored, used = _restored(_stored(table), path)
    assert used is None
    assert restored.linker.person == full.linker.person
    assert [e.get("reason") for e in logs if e["event"] == "linkage.snapshot_ignored"] == [
        "not of the snapshot's shape"
    ]


def test_a_snapshot_whose_restore_fails_is_removed_and_the_next_restore_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A digest-valid snapshot whose contents do not hold together (a fault of the code that
    wrote it) would fail every start the same way: it is removed as the error goes on."""
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)

    def broken(*_: object) -> None:
        raise KeyError("r-not-held")

    monkeypatch.setattr(hub, "restore_from", broken)  # the seam: taking the snapshot in
    with structlog.testing.capture_logs() as logs, pytest.raises(KeyError):
        _restored(_stored(table), path)
    assert not path.exists()
    assert [e["reason"] for e in logs if e["event"] == "linkage.snapshot_removed"] == ["KeyError"]
    monkeypatch.undo()
    again, used = _restored(_stored(table), path)
    assert used is None
    assert again.linker.person == full.linker.person


def test_a_full_rebuild_that_fails_leaves_the_snapshot_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, path = _scenario(tmp_path)
    other = snapshot_path(tmp_path / "other")
    other.parent.mkdir()
    other.write_bytes(path.read_bytes().replace(default_model().version.encode(), b"lm-other"))

    def broken(*_: object) -> None:
        raise KeyError("r-not-held")

    monkeypatch.setattr(hub, "restore_linker", broken)
    with pytest.raises(KeyError):
        _restored(_stored(table), other)  # of another model: not used, rebuilt in full
    assert other.exists()


@pytest.mark.parametrize(
    ("where", "name", "kept"),
    [(hub, "restore_from", False), (HubState, "republish", True)],
    ids=["the restore from the snapshot", "what to send again, after it"],
)
def test_a_failed_restore_keeps_no_state_and_the_batch_restores_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: object, name: str, kept: bool
) -> None:
    """No half-restored state is kept: the batch read again restores again, in full where
    the snapshot failed the restore (it is removed); a failure after the restore, which the
    snapshot did not cause, leaves it."""
    table, stage = _stage(tmp_path, monkeypatch)
    full, _ = _restored(table, None)

    def broken(*_: object) -> None:
        raise KeyError("r-not-held")

    with monkeypatch.context() as patched:
        patched.setattr(where, name, broken)
        with pytest.raises(KeyError):
            stage.restored()
    assert stage.state is None
    assert stage.snapshot is not None and stage.snapshot.exists() is kept
    with structlog.testing.capture_logs() as logs:
        state = stage.restored()
    [restored] = [e for e in logs if e["event"] == "linkage.restored"]
    assert restored["snapshot"] == (3 if kept else None)
    assert state.linker.person == full.linker.person
    stage.end_check()


def test_running_out_of_memory_in_a_restore_leaves_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, path = _scenario(tmp_path)

    def broken(*_: object) -> None:
        raise MemoryError

    monkeypatch.setattr(hub, "restore_from", broken)
    with pytest.raises(MemoryError):
        _restored(_stored(table), path)
    assert path.exists()


def test_a_live_worker_holds_the_arrays_its_background_save_wrote_and_links_on_alike(
    tmp_path: Path,
) -> None:
    """As the linkage agent does at each save: blocks sealed, the save forked, a batch
    linked meanwhile, then the save's arrays held instead of the sealed blocks; the index
    then links the next batches as one that never saved."""
    events, live, plain = _events(), HubState(), HubState()
    path = snapshot_path(tmp_path)
    batches = [events[start : start + _SIZE] for start in range(0, len(events), _SIZE)]
    for state in (live, plain):
        state.process(batches[0], "t")
    ids = list(live.linker.person)
    live.linker.seal()
    pid = save_in_background(path, live.linker, live.summaries, 1)
    for state in (live, plain):
        state.process(batches[1], "t")  # filed in while the save runs, sealed blocks too
    deadline = time.monotonic() + 60
    while (ended := saved(pid)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ended
    assert saved_blocks(path, 2, ids) == "not the save of this version"
    assert saved_blocks(path, 1, ids[:-1]) == "not the save of this version"
    assert saved_links(path, 2, ids) == "not the save of this version"
    frozen, links = saved_blocks(path, 1, ids), saved_links(path, 1, ids)
    assert isinstance(frozen, Frozen) and len(frozen) > 0
    assert isinstance(links, FrozenLinks) and len(links) > 0
    live.linker.blocks.adopt(frozen)
    live.linker.links.adopt(links)
    assert live.linker.blocks == plain.linker.blocks
    assert live.linker.links == plain.linker.links
    for batch in batches[2:]:
        for state in (live, plain):
            state.process(batch, "t")
    assert live.linker.person == plain.linker.person
    assert live.linker.blocks == plain.linker.blocks
    assert live.linker.links == plain.linker.links
    assert _partition(live.linker) == _partition(plain.linker)


def test_arrays_read_back_from_a_cut_or_foreign_file_are_refused(tmp_path: Path) -> None:
    state = HubState()
    state.process(_events()[:_SIZE], "t")
    path = snapshot_path(tmp_path)
    save_snapshot(path, state.linker, state.summaries, 1)
    ids = list(state.linker.person)
    whole = path.read_bytes()
    path.write_bytes(whole[:-3])
    assert saved_blocks(path, 1, ids) == saved_links(path, 1, ids) == "not of the snapshot's shape"
    path.write_bytes(whole + b"\0")
    assert saved_blocks(path, 1, ids) == saved_links(path, 1, ids) == "not of the snapshot's shape"
    magic, header, rest = whole.split(b"\n", 2)
    huge = orjson.loads(header) | {"arrays": [2**40] * 4}  # as much as it says: not read
    path.write_bytes(b"\n".join([magic, orjson.dumps(huge), rest]))
    assert saved_blocks(path, 1, ids) == saved_links(path, 1, ids) == "not of the snapshot's shape"
    path.write_bytes(b"something else\n")
    assert saved_blocks(path, 1, ids) == saved_links(path, 1, ids) == "not a linkage index snapshot"
    path.unlink()
    assert (
        saved_blocks(path, 1, ids) == saved_links(path, 1, ids) == "unreadable (FileNotFoundError)"
    )


@pytest.mark.parametrize("every_person", [False, True])
def test_a_snapshot_written_before_the_links_were_arrays_is_still_read(
    tmp_path: Path, every_person: bool
) -> None:
    """Format 5 (and 4, every person) held the links in the ``marshal`` part: a worker that
    restarts on the new code reads its last save, and its next save is of format 6."""
    table, path = _scenario(tmp_path)
    full, _ = _restored(table, None)
    magic, header, stored = _file_parts(path)
    assert header["every_person"] is False  # the scenario's parents are in the persons' order
    saved = load_snapshot(path, default_model().version, lambda v: True)
    assert saved is not None
    parts = list(marshal.loads(_marshalled(path)))
    parts[0] = dict(saved.links)
    if every_person:
        parts[4] = dict(saved.person)
    payload = marshal.dumps(tuple(parts))
    body = stored[header["marshalled"] :]
    blocks = body[: 8 * header["arrays"][0] + 4 * sum(header["arrays"][1:])]
    old = {k: v for k, v in header.items() if k not in ("every_person", "link_arrays")}
    old |= {"format": 4 if every_person else 5, "marshalled": len(payload)}
    old["sha256"] = hashlib.sha256(payload + blocks).hexdigest()
    path.write_bytes(magic + json.dumps(old).encode() + b"\n" + payload + blocks)
    with structlog.testing.capture_logs() as logs:
        restored, used = _restored(_stored(table), path)
    assert not [e for e in logs if e["event"] == "linkage.snapshot_ignored"]
    assert used == 3
    assert restored.linker.person == full.linker.person
    assert _links(restored.linker) == _links(full.linker)


@pytest.mark.parametrize("with_decision", [False, True])
def test_each_contents_first_event_made_as_the_snapshot_preloads_is_the_rebuilt_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_decision: bool
) -> None:
    """The first event of each content is made from the snapshot's summaries as it is
    preloaded (while the table is read beside), and the tail's laid after it; a tail that
    sets a snapshot's record again (the decision's records, written again with it) makes
    it anew from every summary."""
    table, path = _scenario(tmp_path)
    if not with_decision:
        table = [(k, v) for k, v in table if k != "decision:x"]
    full, _ = _restored(table, None)
    preloaded = preload_snapshot(path, default_model().version)
    assert preloaded is not None and preloaded.first_events is not None
    made: list[int] = []
    real = Summaries.first_events

    def counted(self: Summaries) -> dict[str, str]:
        made.append(len(self))
        return real(self)

    monkeypatch.setattr(Summaries, "first_events", counted)
    state = HubState()
    read = restore_table(state, iter(_stored(table)), DURABLE_KEY, path, preloaded)
    assert read.from_snapshot == 3
    assert state.contents == full.contents and len(state.contents) > 450
    assert made == ([len(full.summaries)] if with_decision else [])
    assert preloaded.first_events is None  # taken by the restore
