"""The blocking index with a snapshot's blocks in arrays: the same blocks, of the same types,
and the same candidates in the same order as an index that never froze them."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from streams import blocks as blocks_module
from streams.blocks import ARRAYS, Blocks, Frozen, block_slots, record_slots


def _arrays(slots: list[list[int]]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Records' slots as ``record_slots`` gives them."""
    flat = [s for filed in slots for s in filed]
    return np.array(flat, np.uint64), np.array([len(f) for f in slots], np.int64)


def _thawed(blocks: Blocks, ids: list[str]) -> Blocks:
    """``blocks`` as a restart from a snapshot holds them: all in arrays."""
    return Blocks(Frozen.checked(list(blocks.arrays(ids)), ids))


@pytest.mark.parametrize("seed", range(6))
def test_blocks_frozen_at_any_point_file_and_find_as_blocks_never_frozen(seed: int) -> None:
    rng = random.Random(seed)
    keys = [f"k{n}" for n in range(rng.choice([3, 12, 60]))]  # few keys: lists as well
    plain, frozen, ids = Blocks(), Blocks(), list[str]()
    for n in range(400):
        rid = f"r{n:04d}"
        slots = block_slots(rng.sample(keys, rng.randint(1, min(4, len(keys)))))
        found_plain, found_frozen = list[str](), list[str]()
        thawed = rng.random() < 0.3
        if thawed:  # as a restore's tail does: its blocks thawed first, not looked up again
            frozen.thaw([*slots, *block_slots(rng.sample(keys, 1))])
        plain.put(rid, slots, found_plain)
        frozen.put(rid, slots, found_frozen, thawed=thawed)
        assert found_frozen == found_plain  # the same candidates, in the same order
        if rng.random() < 0.1:  # a comparison that failed: the record taken out again
            plain.unfile(slots)
            frozen.unfile(slots)
        else:
            ids.append(rid)
        if rng.random() < 0.03:  # a restart from a snapshot saved now
            frozen = _thawed(frozen, ids)
    frozen = _thawed(frozen, ids)
    assert dict(frozen) == dict(plain) and len(frozen) == len(plain)
    assert all(type(frozen[s]) is type(plain[s]) for s in plain)  # str, tuple or list alike
    assert all(s in frozen for s in plain) and block_slots(["none"])[0] not in frozen
    assert -1 not in frozen and 2**64 not in frozen and "k0" not in frozen  # as a dict says


def test_a_snapshot_of_a_snapshot_keeps_no_span_no_slot_names() -> None:
    blocks, ids = Blocks(), [f"r{n}" for n in range(40)]
    for rid in ids:
        blocks.put(rid, block_slots([f"own-{rid}", "shared"]))
    once = _thawed(blocks, ids)
    for n in range(10):  # each filed in again: its span in the arrays is no block's now
        once.put(f"x{n}", block_slots([f"own-r{n}"]))
    ids += [f"x{n}" for n in range(10)]
    _, starts, sizes, postings = once.arrays(ids)
    spans = set(zip(starts.tolist(), sizes.tolist(), strict=True))
    assert len(postings) == sum(size for _, size in spans)  # a span no slot names: dropped
    assert dict(_thawed(_thawed(once, ids), ids)) == dict(once)


def test_blocks_of_equal_records_share_a_span_and_one_tuple_when_thawed() -> None:
    blocks = Blocks()
    keys = [f"k{n}" for n in range(4)]
    blocks.put("a", block_slots(keys))
    blocks.put("b", block_slots(keys))
    _, starts, _, postings = blocks.arrays(["a", "b"])
    assert len(set(starts.tolist())) == 1 and postings.tolist() == [0, 1]
    thawed = _thawed(blocks, ["a", "b", "c"])
    thawed.put("c", block_slots(keys))
    grown = [thawed[s] for s in block_slots(keys)]
    assert grown[0] == ("a", "b", "c") and all(g is grown[0] for g in grown)


def test_arrays_that_do_not_hold_a_valid_index_are_refused() -> None:
    blocks = Blocks()
    blocks.put("a", block_slots(["k1", "k2"]))
    blocks.put("b", block_slots(["k2"]))
    good = list(blocks.arrays(["a", "b"]))
    Frozen.checked(good, ["a", "b"])
    unsorted = [good[0][::-1].copy(), *good[1:]]
    outside = [*good[:2], good[2] + np.uint32(5), good[3]]
    unnamed = [*good[:3], good[3] + np.uint32(2)]
    wrong_type = [good[0].astype("<u4"), *good[1:]]
    for bad in (unsorted, outside, unnamed, wrong_type, good[:3]):
        with pytest.raises(ValueError):
            Frozen.checked(bad, ["a", "b"])
    with pytest.raises(KeyError):  # a record the names lack: no snapshot is written
        blocks.arrays(["a"])
    assert [a.dtype.str for a in good] == [kind for _, kind in ARRAYS]


@pytest.mark.parametrize("seed", range(6))
def test_blocks_sealed_for_a_save_then_adopted_or_unsealed_file_and_find_as_never_frozen(
    seed: int,
) -> None:
    """A live worker's save: its blocks sealed as the save is forked, filed in meanwhile,
    then the arrays the save wrote (of the blocks as sealed) held instead, or the sealed
    blocks held again if it failed."""
    rng = random.Random(seed)
    keys = [f"k{n}" for n in range(rng.choice([3, 12, 60]))]
    plain, live, ids = Blocks(), Blocks(), list[str]()
    save: tuple[tuple[np.ndarray, ...], list[str]] | None = None
    for n in range(400):
        rid = f"r{n:04d}"
        slots = block_slots(rng.sample(keys, rng.randint(1, min(4, len(keys)))))
        found_plain, found_live = list[str](), list[str]()
        plain.put(rid, slots, found_plain)
        live.put(rid, slots, found_live)
        assert found_live == found_plain
        if rng.random() < 0.1:
            plain.unfile(slots)
            live.unfile(slots)
        else:
            ids.append(rid)
        if save is None and rng.random() < 0.05:
            live.seal()
            save = (live.arrays(ids), list(ids))  # what the forked save writes
        elif save is not None and rng.random() < 0.1:
            if rng.random() < 0.8:
                arrays, saved_ids = save
                live.adopt(Frozen.checked(list(arrays), saved_ids))
            else:
                live.unseal()
            save = None
        assert dict(live) == dict(plain) and len(live) == len(plain)
    assert all(type(live[s]) is type(plain[s]) for s in plain)
    assert dict(_thawed(live, ids)) == dict(plain)  # and saved again from any of those states


def test_sealing_again_before_a_save_ended_keeps_every_block() -> None:
    blocks, plain = Blocks(), Blocks()
    for n, key in enumerate(["a", "b", "a", "c", "b", "a"]):
        for b in (blocks, plain):
            b.put(f"r{n}", block_slots([key, "all"]))
        blocks.seal()  # never adopted nor unsealed in between
    assert dict(blocks) == dict(plain)
    blocks.unseal()
    assert dict(blocks) == dict(plain)


@pytest.mark.parametrize("colliding", [False, True])
@pytest.mark.parametrize("seed", range(20))
def test_records_filed_at_once_in_the_arrays_as_put_one_by_one_would(
    seed: int, colliding: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a restore files its records (a full rebuild's, or a snapshot's tail) straight into the
    # arrays: the same blocks, of the same types and order, and later filings find the same;
    # equal blocks share a span, found by hashes: with hashes that collide for any blocks of
    # one size and first record, the blocks compared whole are still each their own (half
    # the records then of a few persons, with their keys, so that equal blocks are common,
    # and hashed a few postings at a step)
    rng = random.Random(seed)
    keys = [f"k{n}" for n in range(rng.choice([3, 12, 60]))]
    persons = [rng.sample(keys, rng.randint(1, min(4, len(keys)))) for _ in range(8)]
    if colliding:
        monkeypatch.setattr(blocks_module, "_HASH_BASE", np.uint64(0))
        monkeypatch.setattr(blocks_module, "_HASHED_AT_ONCE", 3)
    plain, ids = Blocks(), list[str]()

    def filings(prefix: str, count: int) -> tuple[list[str], list[list[int]]]:
        rids = [f"{prefix}{n:04d}" for n in range(count)]
        return rids, [
            block_slots(
                rng.choice(persons)
                if colliding and rng.random() < 0.5
                else rng.sample(keys, rng.randint(1, min(4, len(keys))))
            )
            for _ in rids
        ]

    base_rids, base_slots = filings("b", rng.choice([0, 1, 150]))
    for rid, slots in zip(base_rids, base_slots, strict=True):
        plain.put(rid, slots)
    ids += base_rids
    at_once = _thawed(plain, ids) if ids else Blocks()
    tail_rids, tail_slots = filings("t", rng.choice([1, 90, 300]))
    for rid, slots in zip(tail_rids, tail_slots, strict=True):
        plain.put(rid, slots)
    at_once.file_new(tail_rids, *_arrays(tail_slots))
    ids += tail_rids
    assert dict(at_once) == dict(plain) and len(at_once) == len(plain)
    assert all(type(at_once[s]) is type(plain[s]) for s in plain)
    for n in range(50):  # filed live after the restore: the same candidates, in order
        rid, slots = f"z{n:03d}", block_slots(rng.sample(keys, rng.randint(1, min(4, len(keys)))))
        found_plain, found_at_once = list[str](), list[str]()
        plain.put(rid, slots, found_plain)
        at_once.put(rid, slots, found_at_once)
        assert found_at_once == found_plain
        ids.append(rid)
    assert dict(_thawed(at_once, ids)) == dict(plain)  # and saved again as they are


def test_equal_blocks_filed_at_once_share_one_span() -> None:
    blocks = Blocks()
    filed = [["k1", "k2", "k3"], ["k1", "k2", "k3"], ["k1", "k4"]]
    blocks.file_new(["a", "b", "c"], *record_slots(filed))
    frozen = blocks._base
    assert frozen is not None
    spans = frozen.spans(block_slots(["k1", "k2", "k3", "k4"]))
    k1, k2, k3, k4 = (spans[s] for s in block_slots(["k1", "k2", "k3", "k4"]))
    assert k2 == k3 != k1 and {k1[1], k2[1], k4[1]} == {3, 2, 1}
    assert len(frozen.postings) == 3 + 2 + 1  # apart: 3 + 2 + 2 + 1
    assert blocks[block_slots(["k2"])[0]] == ("a", "b") and blocks[block_slots(["k4"])[0]] == "c"


def test_blocks_hashed_in_steps_share_as_hashed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)  # a child's records share their name and birth keys' blocks
    filed = [[f"n{p}", f"d{p}", f"c{p % 5}"] for p in (rng.randrange(60) for _ in range(400))]
    rids = [f"r{n:03d}" for n in range(400)]
    whole = Blocks()
    whole.file_new(rids, *record_slots(filed))
    monkeypatch.setattr(blocks_module, "_HASHED_AT_ONCE", 5)  # blocks past it: one a step
    stepped = Blocks()
    stepped.file_new(rids, *record_slots(filed))
    a, b = whole._base, stepped._base
    assert a is not None and b is not None
    for field in ("slots", "starts", "sizes", "postings"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert len(a.postings) < sum(len(f) for f in filed)  # shared


def test_blocks_whose_hashes_collide_are_compared_whole_and_kept_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # with these hashes, a block's is its size and first record: ("a", "b") and ("a", "c")
    monkeypatch.setattr(blocks_module, "_HASH_BASE", np.uint64(0))
    blocks = Blocks()
    blocks.file_new(["a", "b", "c"], *record_slots([["k1", "k2", "k3"], ["k1", "k3"], ["k2"]]))
    k1, k2, k3 = block_slots(["k1", "k2", "k3"])
    assert (blocks[k1], blocks[k2], blocks[k3]) == (("a", "b"), ("a", "c"), ("a", "b"))
    frozen = blocks._base
    assert frozen is not None and len(frozen.postings) == 4  # k1 and k3 share theirs


def test_records_filed_at_once_beside_held_blocks_are_put_one_by_one() -> None:
    blocks = Blocks()
    blocks.put("a", block_slots(["k1", "k2"]))  # a Python block held: no merge into arrays
    blocks.file_new(["b", "c"], *record_slots([["k2"], ["k2", "k3"]]))
    assert [blocks[s] for s in block_slots(["k1", "k2", "k3"])] == ["a", ("a", "b", "c"), "c"]


def test_records_slots_are_their_keys_slots_in_order_across_chunks() -> None:
    keys_of = [[f"a{n % 7}", f"b{n}", f"a{n % 7}"][: 1 + n % 3] for n in range(10_005)]
    keys, counts = record_slots(iter(keys_of))  # made 10,000 at a time: across a chunk
    want = [block_slots(k) for k in keys_of]
    assert counts.tolist() == [len(s) for s in want] and keys.tolist() == [
        s for filed in want for s in filed
    ]
    assert [a.size for a in record_slots([])] == [0, 0]
    nothing = Blocks()
    nothing.file_new([], *record_slots([]))  # a restore of an empty table
    assert len(nothing) == 0 and dict(nothing) == {}


def test_slots_of_another_type_are_refused_not_cast() -> None:
    with pytest.raises(TypeError, match="uint64"):
        Blocks().file_new(["a"], np.array([-3], np.int64), np.array([1], np.int64))
