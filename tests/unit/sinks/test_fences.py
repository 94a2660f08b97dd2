"""A linkage owner's fence on the episodes topic (issue 15, a worker frozen past its session):
the episodes a dropped owner sends after a newer owner restored are not stored, whether they
arrive after the newer owner's fence or before it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from plumbing.errors import SinkError
from plumbing.kafka import Record
from schemas.contracts import EPISODE_FENCE, EPISODE_SWEEP, FENCE_SEEN_HEADER
from schemas.hub import EpisodeEvent, EpisodeSnapshot
from sinks.fences import Fence, Fences
from sinks.store import Fenced, Store
from sinks.worker import episode_change

_A = 1_700_000_000_000 * 1_000_000
"""The epoch of the owner the group drops (versions: the restore time in ms * 10**6)."""
_B = _A + 20_000 * 1_000_000
"""The epoch of the owner that restored 20 s later, having read the table up to ``_A + 2``."""
_C = _B + 60_000 * 1_000_000
"""A third owner, restored later still (it read the table up to ``_B + 5``)."""
_OPENED = dt.datetime(2012, 4, 2, 9, tzinfo=dt.UTC)

# the wire format, spelt out: a sink of an older version reads these bytes (on main: a
# tombstone of an episode named "__fence__", i.e. nothing, and the late episode stays)
_FENCE_KEY, _SEEN = b"__fence__", "mash.seen"


def _snapshot(n: int, person: str) -> EpisodeSnapshot:
    event = EpisodeEvent(
        event_id=f"ev{n}",
        event_type="police.notification",
        agency="POLICE",
        agency_record_id=f"PN-{n}",
        occurred_at=_OPENED,
    )
    return EpisodeSnapshot(
        episode_id=f"E{n}",
        person_id=person,
        opened_at=_OPENED,
        events=(event,),
        agencies=("POLICE",),
    )


def _episode(n: int, version: int, partition: int = 0, person: str = "P1") -> Record:
    snapshot = _snapshot(n, person).model_copy(update={"version": version})
    headers = {"mash.version": str(version).encode()}
    return Record("t", partition, 0, f"E{n}".encode(), snapshot.model_dump_json().encode(), headers)


def _marker(key: bytes, version: int, partition: int, seen: int | None = None) -> Record:
    headers = {"mash.version": str(version).encode()}
    if seen is not None:
        headers[_SEEN] = str(seen).encode()
    return Record("t", partition, 0, key, None, headers)


def _fences(epoch: int, seen: int) -> list[Record]:
    return [_marker(_FENCE_KEY, epoch, p, seen) for p in (0, 1)]


def _apply(store: Store, records: list[Record]) -> Fenced:
    return store.apply_episodes(
        [
            episode_change(
                r, None if r.value is None else EpisodeSnapshot.model_validate_json(r.value)
            )
            for r in records
        ]
    )


def _stored(store: Store) -> dict[str, int]:
    return {s.episode_id: s.version for s in store.episode_snapshots()}


def test_the_wire_format_of_a_fence_is_the_one_spelt_out_here() -> None:
    assert (EPISODE_FENCE, FENCE_SEEN_HEADER) == (_FENCE_KEY, _SEEN)
    assert EPISODE_FENCE != EPISODE_SWEEP


def test_a_fence_excludes_only_versions_its_owner_never_read_of_an_older_owner() -> None:
    fence = Fence(0, _B, _A + 2)
    assert [fence.excludes(v) for v in (_A + 1, _A + 2, _A + 3, _B - 1, _B, _B + 1)] == [
        False,
        False,
        True,
        True,
        False,
        False,
    ]
    fences = Fences([fence, Fence(0, _C, _B + 5)])
    assert fences.excludes(0, _A + 3)  # a later owner's fence does not lift an earlier one
    assert fences.excludes(0, _B + 6)
    assert not fences.excludes(0, _B + 1)  # read by C: B's own, before C restored
    assert not fences.excludes(0, _C + 1)  # the current owner's
    assert not fences.excludes(1, _A + 3)  # per partition
    assert not fences.add(Fence(0, _B, _A + 2))  # sent again: known


def test_the_dropped_owners_late_episodes_after_the_new_owners_fence_are_not_stored(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    _apply(store, [_episode(1, _A + 1), _episode(2, _A + 2, partition=1)])  # read by B
    _apply(store, [*_fences(_B, _A + 2), _episode(1, _B + 1, person="P9")])
    # A, let go, finishes its batch: a new episode id no later owner has, and a changed one
    _apply(store, [_episode(3, _A + 3), _episode(2, _A + 3, partition=1, person="P7")])
    _apply(store, [_marker(EPISODE_SWEEP, _A + 3, 0)])  # and a sweep of a republish of its own
    assert _stored(store) == {"E1": _B + 1, "E2": _A + 2}
    # a later restore (C read B's versions, above A's) does not let A's late episodes in
    _apply(store, [*_fences(_C, _B + 5), _episode(4, _A + 4), _episode(5, _B + 6)])
    assert _stored(store) == {"E1": _B + 1, "E2": _A + 2}
    store.close()


def test_the_dropped_owners_episodes_stored_before_the_new_owners_fence_are_deleted(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    _apply(store, [_episode(1, _A + 1), _episode(2, _A + 2, partition=1)])
    # A's batch in flight lands before B's fence, its table writes after B's restore read
    _apply(store, [_episode(3, _A + 3), _episode(2, _A + 3, partition=1), _episode(4, _B - 1)])
    fenced = store.apply_episodes([episode_change(r, None) for r in _fences(_B, _A + 2)])
    assert (fenced.deleted, fenced.dropped) == (3, 0)
    assert _stored(store) == {"E1": _A + 1}
    # B links those events again and sends what of them stands, under its own versions
    _apply(store, [_episode(2, _B + 1, partition=1)])
    assert _stored(store) == {"E1": _A + 1, "E2": _B + 1}
    store.close()


def test_fences_outlive_the_sinks_and_a_fence_sent_again_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    first = Store(url)
    _apply(first, [*_fences(_B, _A + 2), _episode(1, _B + 1)])
    first.close()
    again = Store(url)  # a restarted sink reads the fences kept in the database
    _apply(again, [*_fences(_B, _A + 2), _episode(3, _A + 3)])
    fenced = again.apply_episodes([episode_change(_episode(5, _A + 5), _snapshot(5, "P1"))])
    assert fenced.dropped == 1
    assert _stored(again) == {"E1": _B + 1}
    again.close()


def test_a_fence_without_its_headers_is_refused_not_read_as_seen_nothing() -> None:
    # read as "seen 0" it would delete every row of the partition below its epoch
    for bad in (_marker(_FENCE_KEY, _B, 0), _marker(_FENCE_KEY, _B, 0, seen=-1)):
        with pytest.raises(SinkError, match="fence at t/0@0"):
            episode_change(bad, None)
    with pytest.raises(SinkError):
        episode_change(_marker(_FENCE_KEY, 0, 0, seen=5), None)
    assert episode_change(_marker(_FENCE_KEY, _B, 0, seen=_A + 2), None).fence == _A + 2


def test_a_fence_of_a_restore_that_read_nothing_keeps_no_older_owners_episode(
    tmp_path: Path,
) -> None:
    # the frozen-worker test (2026-12-03): the new owner B restored an empty table; A, let
    # go before any batch of it was durable, finished its batch in flight after B's restore
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    _apply(store, [_episode(1, _A + 1), _episode(2, _A + 2, partition=1)])  # before B's fence
    assert episode_change(_marker(_FENCE_KEY, _B, 0, seen=0), None).fence == 0
    _apply(store, [*_fences(_B, 0), _episode(3, _A + 3), _episode(4, _B + 1, person="P9")])
    assert _stored(store) == {"E4": _B + 1}  # only what B itself sent
    store.close()


def test_a_snapshot_older_than_its_episodes_deletion_arriving_after_it_stays_out(
    database_url: str,
) -> None:
    # the frozen-worker test (2026-12-03): A's batch at _A + 2 had its table writes read by B
    # (seen _A + 2, so no fence excludes it) while its episodes waited in A's producer; B
    # merged E2 away (a deletion at _B + 1) before A, let go, sent them: 29 came back
    store = Store(database_url)
    _apply(store, [_episode(1, _A + 1), *_fences(_B, _A + 2)])
    _apply(store, [_marker(b"E2", _B + 1, 1), _episode(1, _B + 1, person="P2")])
    fenced = _apply(store, [_episode(2, _A + 2, partition=1)])
    assert (fenced.stale, fenced.dropped, fenced.deleted) == (1, 0, 0)
    assert _stored(store) == {"E1": _B + 1}
    # a later version of the same episode id (a later owner's) is stored, deletion or not
    _apply(store, [_episode(2, _B + 2, partition=1), _episode(2, _A + 3, partition=1)])
    assert _stored(store) == {"E1": _B + 1, "E2": _B + 2}
    _apply(store, [_marker(b"E2", _B + 3, 1)])  # deleted again: the older stays out again
    fenced = _apply(store, [_episode(2, _B + 2, partition=1)])
    assert (fenced.stale, _stored(store)) == (1, {"E1": _B + 1})
    store.close()


def test_a_deletion_outlives_the_sinks_and_a_snapshot_in_the_same_batch_is_weighed_by_version(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    first = Store(url)
    _apply(first, [_episode(1, _A + 1), _marker(b"E1", _A + 3, 0), _episode(1, _A + 2)])
    assert _stored(first) == {}  # in one batch as across batches
    first.close()
    again = Store(url)
    _apply(again, [_episode(1, _A + 2)])
    assert _stored(again) == {}
    _apply(again, [_episode(1, _A + 4)])
    assert _stored(again) == {"E1": _A + 4}
    again.close()


def test_a_snapshot_older_than_a_sweep_of_its_partition_arriving_after_it_stays_out(
    database_url: str,
) -> None:
    # a full republish at _B + 1 and its sweep: every older version of the partition goes,
    # and one arriving later (an older owner's, delayed) is as old
    store = Store(database_url)
    _apply(store, [_episode(1, _A + 1), _episode(2, _A + 1, partition=1), _episode(3, _B + 1)])
    _apply(store, [_marker(EPISODE_SWEEP, _B + 1, 0)])
    assert _stored(store) == {"E2": _A + 1, "E3": _B + 1}  # the other partition untouched
    fenced = _apply(store, [_episode(4, _A + 5), _episode(5, _A + 5, partition=1)])
    assert fenced.dropped == 1
    assert _stored(store) == {"E2": _A + 1, "E3": _B + 1, "E5": _A + 5}
    store.close()


def test_a_fence_forgets_the_deletions_it_excludes(database_url: str) -> None:
    # an older owner's late deletion, stored before the fence: the fence keeps such versions
    # out itself from then on, so the deletion is not kept to refuse anything
    store = Store(database_url)
    _apply(store, [_marker(b"E1", _A + 3, 0), _marker(b"E2", _A + 1, 0), *_fences(_B, _A + 2)])
    with store.engine.connect() as conn:
        kept = dict(conn.execute(text("SELECT episode_id, version FROM episode_tombstones")).all())
    assert kept == {"E2": _A + 1}
    store.close()
