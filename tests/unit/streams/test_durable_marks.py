"""Durable marks per owner (issue 15, two workers): a restore sends again every batch that its
own owner did not mark acknowledged, whatever a later owner marked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from functools import cache
from typing import Any, cast

from schemas.hub import PERSON_ONLY
from simulation.synthetic import police_notifications
from sinks.linkage_quality import link_method
from streams.durable import LinkageTable, linkage_records
from streams.hub import HubOutput, HubState, restore_table
from streams.identities import LinkageEntry
from streams.linkage_agent import DURABLE_KEY, mark_key

_SIZE = 150
_A = 1_700_000_000_000 * 1_000_000
"""The epoch of the owner that restored first (versions: the restore time in ms * 10**6)."""
_B = _A + 5_000 * 1_000_000
"""A later owner's epoch: it restored five seconds later."""

Table = list[tuple[str, Any]]


def _version(value: Any, default: int | None = None) -> int | None:
    """The version a stored value carries (a record's compact array ends with it)."""
    return cast(int, value[-1]) if isinstance(value, list) else value.get("version", default)


@cache
def _events() -> list[Any]:
    return list(police_notifications(600, 3, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))


def _written(out: HubOutput, version: int) -> Table:
    """The table entries a batch writes, through the stored JSON."""
    return [
        (rid, json.loads(json.dumps(LinkageEntry(*s, version=version).encode())))
        for rid, s in out.records.items()
    ]


def _mark(
    epoch: int, version: int, state: HubState, seen: int | None = None
) -> tuple[str, dict[str, Any]]:
    durable = {"epoch": epoch, "version": version, "watermark": state.watermark.isoformat()}
    return mark_key(epoch), {"durable": durable if seen is None else {**durable, "seen": seen}}


def _handover() -> tuple[Table, HubOutput, HubState]:
    """Owner A links batches 1-3 and marks 1-2; its batch 3 is in flight at a rebalance
    (entries written, outputs not acknowledged). Owner B restored before batch 3 reached the
    table, links batch 4 and marks it: B's mark has the higher version."""
    events, state, table = _events(), HubState(), []
    batches = [events[n : n + _SIZE] for n in range(0, len(events), _SIZE)]
    for n, batch in enumerate(batches[:2], 1):
        table += _written(state.process(batch, "t"), _A + n)
        table.append(_mark(_A, _A + n, state))
    in_flight = state.process(batches[2], "t")
    table += _written(in_flight, _A + 3)
    table += _written(state.process(batches[3], "t"), _B + 1)
    table.append(_mark(_B, _B + 1, state))
    return table, in_flight, state


def test_a_batch_its_owner_did_not_mark_is_sent_again_though_a_later_owner_marked_more() -> None:
    table, in_flight, _ = _handover()
    read = linkage_records(table, DURABLE_KEY)
    assert read.durable == _B + 1 > _A + 3  # one mark for the whole table would cover it
    assert sorted(read.after_durable) == sorted(in_flight.records)
    restored = HubState()
    restored.restore([e.stored for e in read.entries], read.decisions)
    again = restored.republish(read.after_durable, read.durable_watermark)
    sent = {link.record_id: link.person_id for link in again.links}
    lost = {link.record_id: restored.linker.person[link.record_id] for link in in_flight.links}
    assert lost.items() <= sent.items()
    assert len(again.links) < len(restored.linker.records)  # not everything


def test_an_owner_that_never_marked_has_every_batch_sent_again_and_its_episode_clocks() -> None:
    table, _, state = _handover()
    unmarked = [(k, v) for k, v in table if k != mark_key(_A)]
    read = linkage_records(unmarked, DURABLE_KEY)
    written_by_a = {k for k, v in unmarked if _version(v, 0) < _B and k != mark_key(_B)}
    assert set(read.after_durable) == written_by_a
    assert read.durable_watermark == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # every clock
    assert read.durable_watermark < state.watermark


def test_entries_written_again_under_the_new_owners_mark_are_durable_at_the_next_restore() -> None:
    table, _, state = _handover()
    read = linkage_records(table, DURABLE_KEY)
    late = set(read.after_durable)
    again: Table = [  # what the new owner writes with its next batch's mark, once acknowledged
        (e.record.record_id, dataclasses.replace(e, version=_B + 7).encode())
        for e in read.entries
        if e.record.record_id in late
    ]
    kept = dict([*table, *again, _mark(_B, _B + 7, state)])  # the last write of a key wins
    third = linkage_records(kept.items(), DURABLE_KEY)
    assert late and third.after_durable == []


def test_a_mark_of_the_single_older_kind_still_covers_every_version_up_to_its_own() -> None:
    table, in_flight, state = _handover()
    older = {"durable": {"version": _A + 3, "watermark": state.watermark.isoformat()}}
    marks = {mark_key(_A), mark_key(_B)}
    read: LinkageTable = linkage_records(
        [*((k, v) for k, v in table if k not in marks), (DURABLE_KEY, older)], DURABLE_KEY
    )
    assert read.durable == _A + 3
    assert set(read.after_durable) == {k for k, v in table if _version(v, 0) > _A + 3}
    assert not set(read.after_durable) & set(in_flight.records)


def test_an_older_owner_that_wrote_after_a_newer_one_restored_makes_the_restore_send_all() -> None:
    # B restored when A's batch 2 was the latest (seen); A, dropped by the group but still
    # running, then wrote batch 3 and marked it: its outputs came from a state B never had
    table, _, state = _handover()
    b_mark = _mark(_B, _B + 1, state, seen=_A + 2)
    a_marked = _mark(_A, _A + 3, state)
    kept = dict([*table, a_marked, b_mark])
    read = linkage_records(kept.items(), DURABLE_KEY)
    a_batch_3 = {k for k, v in kept.items() if _version(v) == _A + 3}
    assert read.overtaken == _A + 3
    assert set(read.after_durable) == a_batch_3  # compared afresh, written again (no links)
    kept[mark_key(_B)] = _mark(_B, _B + 1, state, seen=_A + 3)[1]  # B saw A's batch 3
    assert not linkage_records(kept.items(), DURABLE_KEY).overtaken
    assert linkage_records(kept.items(), DURABLE_KEY).latest == _B + 1


_C = _B + 5_000 * 1_000_000
"""The next restore's epoch (B's again, or the resumed A's: a new epoch either way)."""
_D = _C + 5_000 * 1_000_000


def _after_the_next_restore() -> tuple[dict[str, dict[str, Any]], HubState]:
    """A is frozen with batch 3 in flight; B restores having seen A's batch 2, links batch 4
    and marks it; a rebalance (A rejoining) restores again at C, which reads B's batch as the
    latest and marks its own batch (``seen`` above every version of A). Only then do A's
    batch 3 and its mark land: C's mark counts them (its ``seen`` is higher), B's does not."""
    table, _, state = _handover()
    kept = dict(table)
    a_writes = {k: v for k, v in kept.items() if _version(v) == _A + 3}
    for key in a_writes:  # not there yet when B and C restored
        del kept[key]
    kept.update([_mark(_B, _B + 1, state, seen=_A + 2), _mark(_C, _C + 1, state, seen=_B + 1)])
    kept.update([*a_writes.items(), _mark(_A, _A + 3, state)])
    return kept, state


def test_an_older_owner_writing_after_the_next_restore_is_found_by_any_newer_owners_mark() -> None:
    # the gap of the frozen-worker test: A's writes land before D restores, but the latest
    # mark (C's) counts them as seen; only B's mark tells they came after B's restore
    kept, _ = _after_the_next_restore()
    read = linkage_records(kept.items(), DURABLE_KEY)
    assert read.overtaken == _A + 3
    # A's mark covers its batch, but its links were found against A's state: compared afresh
    assert set(read.after_durable) == {k for k, v in kept.items() if _version(v) == _A + 3}


def test_a_sweep_is_made_once_and_again_only_for_what_the_older_owner_wrote_after_it() -> None:
    kept, state = _after_the_next_restore()
    latest = linkage_records(kept.items(), DURABLE_KEY).latest
    kept.update([_mark(_D, _D + 1, state, seen=latest)])  # D swept, but did not say so
    assert linkage_records(kept.items(), DURABLE_KEY).overtaken == _A + 3
    swept = {**kept[mark_key(_D)]["durable"], "swept": _A + 3}
    kept[mark_key(_D)] = {"durable": swept}
    assert linkage_records(kept.items(), DURABLE_KEY).overtaken is None  # not at every restore
    kept.update([_mark(_A, _A + 4, state)])  # A went on after D's sweep
    assert linkage_records(kept.items(), DURABLE_KEY).overtaken == _A + 4


def test_an_owner_that_restored_and_marked_nothing_yet_is_seen_and_covers_none_of_its_own() -> None:
    # B writes its mark as it restores (version = its epoch); A's batch 3 lands after it,
    # before B finished a batch: the next restore still sees that A wrote after B restored
    table, _, state = _handover()
    kept = dict(table)
    kept[mark_key(_B)] = _mark(_B, _B, state, seen=_A + 2)[1]
    kept.update([_mark(_A, _A + 3, state)])
    read = linkage_records(kept.items(), DURABLE_KEY)
    assert read.overtaken == _A + 3
    batch_4 = {k for k, v in kept.items() if _version(v) == _B + 1}
    assert batch_4 and batch_4 <= set(read.after_durable)  # B's batch: not acknowledged


def test_an_older_owners_late_entries_are_compared_afresh_not_taken_with_their_links() -> None:
    # the frozen-worker test (2026-12-03): B restored at A's batch 2 and linked batches 4
    # and 3 (its entries of batch 3 hold links to batch 4's records); A, let go, wrote its
    # batch 3 late, over B's entries, with links found against a state without batch 4
    events = _events()
    batches = [events[n : n + _SIZE] for n in range(0, len(events), _SIZE)]
    a, table = HubState(), []
    for n, batch in enumerate(batches[:2], 1):
        table += _written(a.process(batch, "t"), _A + n)
        table.append(_mark(_A, _A + n, a))
    b = HubState()
    b.restore([e.stored for e in linkage_records(table, DURABLE_KEY).entries])
    table += _written(b.process(batches[3], "t"), _B + 1)
    table += _written(b.process(batches[2], "t"), _B + 2)
    table.append(_mark(_B, _B + 2, b, seen=_A + 2))
    table += _written(a.process(batches[2], "t"), _A + 3)  # late: the last write of a key wins
    table.append(_mark(_A, _A + 3, a))
    kept = list(dict(table).items())
    restored = HubState()
    read = restore_table(restored, kept, DURABLE_KEY)
    assert read.overtaken == _A + 3
    assert restored.linker.person == b.linker.person  # every record, each child once
    taken = HubState()  # the late links taken as they were: not the same persons
    taken.restore([e.stored for e in linkage_records(kept, DURABLE_KEY).entries])
    assert taken.linker.person != b.linker.person
    # written again without links, they are compared afresh at every later restore
    late = set(read.after_durable)
    again = [
        (e.record.record_id, dataclasses.replace(e, version=_C + 1).encode())
        for e in read.entries
        if e.record.record_id in late
    ]
    swept = {**_mark(_C, _C + 1, restored, seen=read.latest)[1]["durable"], "swept": _A + 3}
    later = HubState()
    third = restore_table(
        later, [*dict([*kept, *again]).items(), (mark_key(_C), {"durable": swept})], DURABLE_KEY
    )
    assert third.overtaken is None
    assert later.linker.person == b.linker.person


def test_the_rest_of_a_batch_read_in_part_landing_late_is_an_older_owners_late_write() -> None:
    # A froze among its batch 3's table writes (Faust sends them one by one): B's restore
    # read part of it; B's mark says it read the table durable up to A's batch 2, and B
    # writes what it read above that again under its own version with its restore mark
    table, in_flight, state = _handover()
    batch_3 = [(k, v) for k, v in table if _version(v) == _A + 3]
    part, rest = batch_3[: len(batch_3) // 2], batch_3[len(batch_3) // 2 :]
    marks = {mark_key(_A), mark_key(_B)}
    before = [(k, v) for k, v in table if k not in marks and (_version(v) or 0) <= _A + 2]
    before.append(_mark(_A, _A + 2, state))
    read = linkage_records([*before, *part], DURABLE_KEY)
    assert read.durable == _A + 2 and sorted(read.after_durable) == sorted(k for k, _ in part)
    again = [
        (e.record.record_id, dataclasses.replace(e, version=_B + 1).encode())
        for e in read.entries
        if e.record.record_id in set(read.after_durable)
    ]
    b_mark = _mark(_B, _B + 1, state, seen=read.durable)
    kept = dict([*before, *part, *again, b_mark])
    assert linkage_records(kept.items(), DURABLE_KEY).overtaken is None  # nothing late
    kept.update(rest)  # A, let go, sends the rest of its batch 3
    late = linkage_records(kept.items(), DURABLE_KEY)
    assert late.overtaken == _A + 3
    assert set(late.after_durable) >= {k for k, _ in rest}
    assert {k for k, _ in batch_3} <= set(in_flight.records)


def test_a_restore_whose_first_batch_never_ended_leaves_nothing_taken_for_a_late_write() -> None:
    # A marked up to batch 2; its batch 3 is on the table, unmarked (killed). B restores:
    # its restore mark (version = epoch, seen = A's batch 2) and, with it, what it read past
    # that, written again under B's first version. B is killed in its first batch. The next
    # restore sends B's unacknowledged batch again, scoped: no full republish and sweep
    table, _, state = _handover()
    kept = {k: v for k, v in table if k != mark_key(_B) and _version(v) != _B + 1}
    read = linkage_records(kept.items(), DURABLE_KEY)
    assert read.durable == _A + 2 == read.complete
    past = set(read.after_durable)
    again = [
        (e.record.record_id, dataclasses.replace(e, version=_B + 1).encode())
        for e in read.entries
        if e.record.record_id in past
    ]
    kept.update([_mark(_B, _B, state, seen=read.durable), *again])
    after = linkage_records(kept.items(), DURABLE_KEY)
    assert after.overtaken is None
    assert set(after.after_durable) == past  # B's own first version: not acknowledged
    assert after.complete == _A + 2  # B's restore mark counts as what it read, not as _B
    assert after.durable == _B


def test_with_no_mark_the_table_counts_as_read_up_to_its_latest_version() -> None:
    table, _, _ = _handover()
    unmarked = [(k, v) for k, v in table if k not in {mark_key(_A), mark_key(_B)}]
    read = linkage_records(unmarked, DURABLE_KEY)
    assert read.durable is None and read.complete == read.latest == _B + 1
    assert linkage_records([], DURABLE_KEY).complete == 0


def test_a_batch_whose_links_were_lost_is_sent_again_with_what_holds_each_record() -> None:
    """Its records have no stored link (their first was lost with the batch): each is sent
    again with its weight and explanation, not as a re-issue of its person only, which the
    sinks would store as a row of weight 0 that says nothing."""
    table, in_flight, _ = _handover()
    read = linkage_records(table, DURABLE_KEY)
    restored = HubState()
    restored.restore([e.stored for e in read.entries], read.decisions)
    again = restored.republish(read.after_durable, read.durable_watermark)
    sent = {link.record_id: link for link in again.links}
    lost = {link.record_id: link for link in in_flight.links if link.outcome != "REISSUED"}
    assert lost and lost.keys() <= sent.keys()
    for record, first in lost.items():
        assert sent[record].explanation != PERSON_ONLY, record
        if first.outcome == "LINKED":  # linked then: a link (or a decision) holds it still
            assert link_method(sent[record].explanation) is not None, record
    others = [link for r, link in sent.items() if r not in read.after_durable]
    assert all(link.explanation == PERSON_ONLY for link in others)  # stored: they stand
