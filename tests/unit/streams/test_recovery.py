"""A linkage restore from the table: no comparison, the same persons and episodes, and a
republish that covers everything sent after the durable point."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from functools import cache
from typing import Any

from simulation.synthetic import police_notifications
from streams.durable import linkage_records
from streams.hub import HubOutput, HubState
from streams.identities import LinkageEntry, StoredRecord, table_entries
from streams.linkage_agent import DURABLE_KEY

_SIZE = 150


@cache
def _events() -> list[Any]:
    # 600 notifications about 200 children: each batch of 150 adds records to earlier persons
    return list(police_notifications(600, 3, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))


def _stored(out: HubOutput, version: int) -> list[tuple[str, dict[str, Any]]]:
    """The table entries a batch writes, through the stored JSON."""
    return [(k, json.loads(json.dumps(v))) for k, v in table_entries(out, version)]


def _live() -> tuple[HubState, list[tuple[str, dict[str, Any]]], HubOutput]:
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
    entry = LinkageEntry.decode(next(v for _, v in table if v.get("links")))
    assert entry.links and entry.version > 0
    assert LinkageEntry.decode(json.loads(json.dumps(entry.encode()))) == entry
    older = {k: v for k, v in entry.encode().items() if k in ("record", "event")}
    assert LinkageEntry.decode(older) == dataclasses.replace(
        entry, links=None, keys=None, version=0
    )
    read = linkage_records([("r", older)], DURABLE_KEY)
    assert read.durable is None and read.after_durable == []


def test_an_entry_keeps_its_blocking_keys_and_keys_of_another_scheme_are_made_again() -> None:
    live, table, _ = _live()
    stored = next(v for _, v in table if "record" in v)
    entry = LinkageEntry.decode(stored)
    assert entry.keys == tuple(entry.record.blocking_keys()) and entry.keys
    other = LinkageEntry.decode(stored | {"blocking": "another scheme", "keys": ["x:1"]})
    assert other.keys is None
    read = linkage_records(table, DURABLE_KEY)
    restored = HubState()
    restored.restore([e.stored for e in read.entries], read.decisions)
    assert {k: sorted(restored.linker.block(k)) for k in restored.linker.blocks} == {
        k: sorted(live.linker.block(k)) for k in live.linker.blocks
    }


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


def test_a_restore_makes_identities_only_when_a_new_record_is_compared() -> None:
    live, table, _ = _live()
    read = linkage_records(table, DURABLE_KEY)
    restored = HubState()
    restored.restore(read.entries, read.decisions)
    assert not restored.linker.ids  # none made by the restore
    rid = next(iter(restored.linker.records))
    assert restored.linker.ids[rid] == live.linker.ids[rid]  # made when read, the same
