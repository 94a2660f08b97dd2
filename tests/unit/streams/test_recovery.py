"""A linkage restore from the table: no comparison, the same persons and episodes, and a
republish that covers everything sent after the durable point."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import weakref
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import pytest

from plumbing.errors import UnreadableEntry
from schemas.childrens_services import ReviewVerdict
from simulation.synthetic import police_notifications
from streams.decisions import PairDecision
from streams.durable import linkage_records
from streams.hub import HubOutput, HubState
from streams.identities import (
    COMPACT,
    LinkageEntry,
    StoredRecord,
    decision_key,
    encode_decision,
    table_entries,
)
from streams.linkage import Block
from streams.linkage_agent import DURABLE_KEY

_SIZE = 150


@cache
def _events() -> list[Any]:
    # 600 notifications about 200 children: each batch of 150 adds records to earlier persons
    return list(police_notifications(600, 3, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))


def _stored(out: HubOutput, version: int) -> list[tuple[str, Any]]:
    """The table entries a batch writes, through the stored JSON."""
    return [(k, json.loads(json.dumps(v))) for k, v in table_entries(out, version)]


def _live() -> tuple[HubState, list[tuple[str, Any]], HubOutput]:
    """A state fed every batch; its table with the durable point before the last batch; the
    last batch's outputs (what a kill may have lost)."""
    events, state, table = _events(), HubState(), []
    for version, start in enumerate(range(0, len(events), _SIZE), 1):
        out = state.process(events[start : start + _SIZE], "t")
        table += _stored(out, version)
        if start + _SIZE < len(events):
            mark = {"version": version, "watermark": state.watermark.isoformat()}
            durable = (DURABLE_KEY, {"durable": mark})
    return state, [*table, durable], out


def _records(table: list[tuple[str, Any]]) -> Iterator[Any]:
    """The stored values of the table's records (not its decisions or marks)."""
    return (v for k, v in table if k != DURABLE_KEY and not k.startswith("decision:"))


def test_a_restore_from_kept_links_gives_the_same_persons_and_episodes() -> None:
    live, table, _ = _live()
    read = linkage_records(table, DURABLE_KEY)
    restored = HubState()
    restored.restore([e.stored for e in read.entries], read.decisions)
    assert restored.linker.person == live.linker.person
    assert restored.snapshots == live.snapshots
    assert len(set(live.linker.person.values())) < len(live.linker.records)  # links matter


def test_a_restore_uses_the_kept_links_not_a_new_comparison() -> None:
    live, table, _ = _live()
    entries = [e.stored for e in linkage_records(table, DURABLE_KEY).entries]
    unlinked = [StoredRecord(s.record, s.event, (), s.apart) for s in entries]
    restored = HubState()
    restored.restore(unlinked)
    assert set(restored.linker.person.values()) == set(restored.linker.records)  # all alone
    compared = HubState()  # links not kept (an older table): compared as they come
    compared.restore([StoredRecord(s.record, s.event) for s in entries])
    assert compared.linker.person == live.linker.person


def test_the_republish_covers_everything_sent_after_the_durable_point() -> None:
    _, table, lost = _live()
    read = linkage_records(table, DURABLE_KEY)
    assert sorted(read.after_durable) == sorted(lost.records)
    restored = HubState()
    restored.restore([e.stored for e in read.entries], read.decisions)
    again = restored.republish(read.after_durable, read.durable_watermark)
    sent = {link.record_id: link.person_id for link in again.links}
    assert {link.record_id: link.person_id for link in lost.links}.items() <= sent.items()
    for episode_id, snapshot in lost.episodes.items():  # same content, tombstones included
        assert episode_id in again.episodes
        assert again.episodes[episode_id] == snapshot
    assert len(again.links) < len(restored.linker.records)  # not everything


def test_an_entry_keeps_its_links_and_version_and_an_older_entry_decodes_without() -> None:
    _, table, _ = _live()
    entry = next(e for e in map(LinkageEntry.decode, _records(table)) if e.links)
    assert entry.links and entry.version > 0
    assert LinkageEntry.decode(json.loads(json.dumps(entry.encode()))) == entry
    older = {k: v for k, v in entry.encode_object().items() if k in ("record", "event")}
    assert LinkageEntry.decode(older) == dataclasses.replace(
        entry, links=None, keys=None, version=0
    )
    read = linkage_records([("r", older)], DURABLE_KEY)
    assert read.durable is None and read.after_durable == []


def test_an_entry_keeps_its_blocking_keys_and_keys_of_another_scheme_are_made_again() -> None:
    live, table, _ = _live()
    stored = next(_records(table))
    entry = LinkageEntry.decode(stored)
    assert entry.keys == tuple(entry.record.blocking_keys()) and entry.keys
    other = LinkageEntry.decode([*stored[:-3], ["x:1"], "another scheme", stored[-1]])
    assert other.keys is None
    object_form = entry.encode_object() | {"blocking": "another scheme", "keys": ["x:1"]}
    assert LinkageEntry.decode(object_form).keys is None
    read = linkage_records(table, DURABLE_KEY)
    restored = HubState()
    restored.restore([e.stored for e in read.entries], read.decisions)
    assert _held(restored.linker.blocks) == _held(live.linker.blocks)


def _held(blocks: Mapping[int, Block]) -> dict[int, list[str]]:
    """Each block's records, in any order."""
    return {k: sorted((v,) if isinstance(v, str) else v) for k, v in blocks.items()}


def test_a_restored_state_goes_on_as_the_live_state_does() -> None:
    # episodes of a restored person are built when a change touches it: the outputs of
    # later batches (links, episodes and their tombstones, audit) must be the live ones
    events, live, table = _events(), HubState(), []
    for version, start in enumerate(range(0, 300, _SIZE), 1):
        table += _stored(live.process(events[start : start + _SIZE], "t"), version)
    restored = HubState()
    restored.restore([e.stored for e in linkage_records(table, DURABLE_KEY).entries])
    assert restored.episodes_of.pending  # not all built at once
    moved = 0
    for start in range(300, len(events), _SIZE):
        expected = live.process(events[start : start + _SIZE], "t")
        got = restored.process(events[start : start + _SIZE], "t")
        assert got.links == expected.links and got.audit == expected.audit
        assert got.episodes == expected.episodes
        moved += sum(link.outcome.value == "REISSUED" for link in expected.links)
    assert moved  # records moved between persons restored earlier
    again = events[:_SIZE]  # a replay (a lost commit): records already indexed
    expected, got = live.process(again, "t"), restored.process(again, "t")
    assert got.links == expected.links and got.audit == expected.audit
    assert got.episodes == expected.episodes
    assert restored.snapshots == live.snapshots


def test_the_compact_entry_round_trips_and_is_smaller_than_the_object_format() -> None:
    _, table, _ = _live()
    entries = [LinkageEntry.decode(v) for v in _records(table)]
    assert all(isinstance(v, list) and v[0] == COMPACT for v in _records(table))
    marac = dataclasses.replace(entries[0].event, event_id="another-event")  # id != record id
    for entry in [*entries, dataclasses.replace(entries[0], event=marac, apart=("x", "y"))]:
        assert LinkageEntry.decode(json.loads(json.dumps(entry.encode()))) == entry
        assert LinkageEntry.decode(entry.encode()).keys == tuple(entry.record.blocking_keys())
    compact = sum(len(json.dumps(e.encode())) for e in entries)
    assert compact < 0.8 * sum(len(json.dumps(e.encode_object())) for e in entries)


def test_a_table_of_both_formats_restores_the_live_persons_and_episodes() -> None:
    # a running deployment's table holds entries of the object format; new batches write
    # compact ones over some of them: a restore reads both
    live, table, _ = _live()
    mixed = [
        (k, LinkageEntry.decode(v).encode_object() if n % 2 and isinstance(v, list) else v)
        for n, (k, v) in enumerate(table)
    ]
    assert {type(v) for _, v in mixed} == {list, dict}
    read = linkage_records(json.loads(json.dumps(mixed)), DURABLE_KEY)
    assert not read.unreadable
    restored = HubState()
    restored.restore(read.entries, read.decisions)
    assert restored.linker.person == live.linker.person
    assert restored.snapshots == live.snapshots


def test_an_unreadable_entry_is_kept_out_of_the_restore_and_named_not_quoted() -> None:
    live, table, _ = _live()
    good = next(_records(table))
    bad_date = [*good[:4], "Smith-1999", *good[5:]]  # a malformed date of birth
    broken: list[tuple[str, Any]] = [
        ("short", good[:-1]),
        ("bad-date", bad_date),
        ("no-record", {"event": {}}),
        ("text", "not an entry"),
        ("bad-links", [*good[:22], ["x"], *good[23:]]),  # an id without its weight
    ]
    read = linkage_records([*broken, *table], DURABLE_KEY)
    assert [key for key, _ in read.unreadable] == [key for key, _ in broken]
    assert all(reason and "Smith" not in reason for _, reason in read.unreadable)
    restored = HubState()
    restored.restore(read.entries, read.decisions)
    assert restored.linker.person == live.linker.person  # the readable rest, in full
    with pytest.raises(UnreadableEntry):
        LinkageEntry.decode(bad_date)


def test_an_unreadable_decision_holds_its_pair_apart_until_decided_again() -> None:
    # a reviewer's "not the same child" left out of a restore would let a later record join
    # the two children: an unreadable decision stands as the pair held apart
    live, table, _ = _live()
    person = live.linker.person
    a, b = next(
        (r, s) for r in sorted(person) for s in sorted(person) if r < s and person[r] == person[s]
    )
    key = f"decision:{a}|{b}"
    read = linkage_records([(key, {"decision": {"pair": [a, b]}}), *table], DURABLE_KEY)
    assert [k for k, _ in read.unreadable] == [key]
    assert "held apart" in read.unreadable[0][1]
    restored = HubState()
    restored.restore(read.entries, read.decisions)
    assert restored.linker.person_of(a) != restored.linker.person_of(b)
    assert linkage_records([(key, "junk"), ("decision:no-bar", 1)], DURABLE_KEY).decisions == [
        d for d in read.decisions if d.pair == (a, b)
    ]


def test_training_from_the_topic_reads_the_records_of_every_stored_format() -> None:
    # `mash linkage train --from topic` read only entries with a "record" field: none of
    # the compact ones
    from mash.commands.linkage import stored_records

    live, table, _ = _live()
    mixed = [
        (k, LinkageEntry.decode(v).encode_object() if n % 2 and isinstance(v, list) else v)
        for n, (k, v) in enumerate(table)
    ]
    changelog: dict[bytes, bytes | None] = {
        json.dumps(k).encode(): json.dumps(v).encode() for k, v in mixed
    }
    changelog[b'"deleted"'] = None  # a tombstone
    records = stored_records(changelog)
    assert sorted(r.record_id for r in records) == sorted(live.linker.records)


def test_a_dropped_state_live_or_restored_is_freed_without_the_cyclic_collector() -> None:
    # a worker freezes what survives a full collection (plumbing.gc_pauses) and a restore
    # freezes what it restored: a state in a reference cycle would never be freed after a
    # rebalance drops it
    live, table, _ = _live()
    read = linkage_records(table, DURABLE_KEY)
    restored = HubState()
    restored.restore([e.stored for e in read.entries], read.decisions)
    restored.episodes_of.ready_all()  # its episodes built through the state
    gone = [weakref.ref(s) for s in (live, live.linker, restored, restored.linker)]
    was = gc.isenabled()
    gc.disable()
    try:
        del live, restored
        assert [ref() for ref in gone] == [None] * 4
    finally:
        if was:
            gc.enable()


def _again(event: Any, **changed: Any) -> Any:
    """``event`` sent again under a new event id, a week later (what the record says kept,
    unless ``changed``)."""
    import uuid

    later = event.reported_at + dt.timedelta(days=7)
    return event.model_copy(update={"event_id": uuid.uuid4(), "reported_at": later, **changed})


def test_a_resubmission_the_intake_missed_is_not_linked_again_live_or_restored() -> None:
    live, table, _ = _live()
    first = _events()[0]
    moved = first.model_copy(update={"occurred_at": first.occurred_at + dt.timedelta(hours=1)})
    restored = HubState()
    restored.restore([e.stored for e in linkage_records(table, DURABLE_KEY).entries])
    for state in (live, restored):
        out = state.process([_again(first), _again(first)], "t")
        assert out.records == {}  # the same record, the same content: nothing new
        corrected = _again(moved)
        out = state.process([corrected], "t")
        assert list(out.records) == [str(corrected.event_id)]  # the record says more: news


def test_summaries_stored_without_a_digest_leave_no_content_behind() -> None:
    _, table, _ = _live()
    entries = [e.stored for e in linkage_records(table, DURABLE_KEY).entries]
    undigested = [s._replace(event=dataclasses.replace(s.event, digest="")) for s in entries]
    restored = HubState()
    restored.restore(undigested)
    assert restored.contents == {}  # what they said was never known
    first = _events()[0]
    again = _again(first)  # so a record sent again after the upgrade is news once
    assert list(restored.process([again], "t").records) == [str(again.event_id)]
    assert restored.process([_again(first)], "t").records == {}  # then a re-submission


def test_an_older_owners_late_write_of_an_earlier_decision_does_not_undo_a_later_one() -> None:
    """The frozen-worker test, once in a CI rehearsal (2026-12-07): the new owner wrote a
    reviewer's "same person"; the worker the group had dropped then finished its batch in
    flight and wrote the pair's earlier "not the same person", last. With one table entry a
    pair, that write replaced the later decision, and every restore kept the two apart."""
    live, table, _ = _live()
    person = live.linker.person
    a, b = next(
        (r, s) for r in sorted(person) for s in sorted(person) if r < s and person[r] != person[s]
    )
    day = dt.datetime(2012, 6, 2, tzinfo=dt.UTC)
    earlier = PairDecision((a, b), ReviewVerdict.NOT_SAME_PERSON, day, "e-1")
    later = PairDecision((a, b), ReviewVerdict.SAME_PERSON, day + dt.timedelta(days=1), "e-0")
    store: dict[str, Any] = dict(table)  # a table: one value a key, the last write wins
    store[decision_key(later)] = encode_decision(later, 20)  # the new owner's
    store[decision_key(earlier)] = encode_decision(earlier, 9)  # the dropped one's, late
    read = linkage_records(list(store.items()), DURABLE_KEY)
    restored = HubState()
    restored.restore([e.stored for e in read.entries], read.decisions)
    assert restored.linker.verdict(a, b) is ReviewVerdict.SAME_PERSON
    assert restored.linker.person_of(a) == restored.linker.person_of(b)
