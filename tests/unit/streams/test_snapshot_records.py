"""A snapshot's records made when first asked for (``streams.snapshot.Records``): the same
mapping as the records themselves, whatever is asked for, set or added, in any order."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import pickle
import random
from collections.abc import Callable
from typing import Any

import pytest

from streams.comparison import PersonRecord
from streams.snapshot import Records, _encode, _records


def _record(n: int, rng: random.Random) -> PersonRecord:
    born = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(3000))
    mother = rng.choice([None, ("Ann", "Lee", dt.date(1985, 5, 5)), ("Bo", "Kay", None)])
    return PersonRecord(
        f"r{n:04d}", rng.choice(["ava", "mo"]), rng.choice(["lee", "kay"]), born,
        rng.choice([None, dt.date(2027, 3, 1)]), rng.choice("MFU"), rng.choice([None, "LS1 4AP"]),
        rng.choice([None, f"999{n:07d}"]), None, rng.choice([None, f"p{n}"]), mother,
    )  # fmt: skip


def _loaded(rows: list[PersonRecord]) -> Records:
    ids = [r.record_id for r in rows]
    return _records(ids, dict(zip(ids, range(len(ids)), strict=True)), _encode(rows))


@pytest.mark.parametrize("seed", range(8))
def test_records_made_when_asked_for_are_the_records_whatever_is_asked(seed: int) -> None:
    rng = random.Random(seed)
    stored = [_record(n, rng) for n in range(60)]
    oracle = {r.record_id: r for r in stored}
    records = _loaded(stored)
    for n in range(rng.randrange(10, 80)):
        rid = rng.choice([*oracle, "none"])
        op = rng.random()
        if op < 0.4:
            assert records.get(rid) == oracle.get(rid) and (rid in records) == (rid in oracle)
            if rid in oracle:
                assert records[rid] == oracle[rid]
            else:
                with pytest.raises(KeyError):
                    records[rid]
        elif op < 0.6 and rid in oracle:  # a restore's tail entry: its record set again
            records[rid] = oracle[rid] = dataclasses.replace(oracle[rid], given_name="zed")
        elif op < 0.8:
            new = _record(100 + n, rng)
            records[new.record_id] = oracle[new.record_id] = new
        assert len(records) == len(oracle) and list(records) == list(oracle)
        made = records._from_rows
        held = records.held_id(rid)  # what a restore reads of a record, none made for it
        assert held == (rid if rid in oracle else None) and records._from_rows == made
        if held is not None:
            assert held is oracle[rid].record_id or held is records._ids[records._rows[rid]]
            assert records.nhs_number_of(rid) == oracle[rid].nhs_number
            assert records._from_rows == made
    columns = records.columns_for(list(oracle))
    assert columns is None or columns == _encode(list(oracle.values()))
    assert records.columns_for(list(oracle)[1:]) is None  # not the rows' order: encoded whole
    assert dict(records.items()) == oracle and list(records) == list(oracle)
    assert records == oracle and records.get("none") is None and len(records) == len(oracle)


def test_half_the_rows_asked_for_makes_the_rest_and_drops_the_rows() -> None:
    rng = random.Random(1)
    stored = [_record(n, rng) for n in range(10)]
    records = _loaded(stored)
    for r in stored[:5]:
        assert records[r.record_id] == r
    assert records._ids  # half: not yet
    assert records[stored[5].record_id] == stored[5]
    assert not records._ids and dict(dict.items(records)) == {r.record_id: r for r in stored}
    shared = [records[r.record_id].mother for r in stored if r.mother and r.mother[2]]
    assert all(m is shared[0] for m in shared)  # one mother object for equal mothers


def _pop(m: Any) -> Any:
    return m.pop("r0003")


def _update(m: Any) -> Any:
    return m.update({"new": m["r0001"]})


def _ior(m: Any) -> Any:
    m |= {"new": m["r0001"]}


def _del(m: Any) -> Any:
    del m["r0004"]


@pytest.mark.parametrize(
    "change",
    [_pop, _update, _ior, _del, dict.clear, lambda m: m.setdefault("r0002", None),
     lambda m: m.setdefault("new", m["r0000"]), lambda m: m.popitem(), lambda m: list(reversed(m))],
)  # fmt: skip
def test_every_dict_method_on_the_whole_mapping_sees_every_record(
    change: Callable[[Any], Any],
) -> None:
    rng = random.Random(3)
    stored = [_record(n, rng) for n in range(8)]
    oracle = {r.record_id: r for r in stored}
    records = _loaded(stored)
    assert records["r0001"] == oracle["r0001"]  # one made, the rest rows
    assert (records != oracle) is False and records == oracle
    assert change(records) == change(oracle)
    assert dict(records.items()) == oracle and len(records) == len(oracle)
    assert list(records) == list(oracle)


def test_a_pickle_or_a_copy_is_every_record() -> None:
    rng = random.Random(4)
    stored = [_record(n, rng) for n in range(6)]
    oracle = {r.record_id: r for r in stored}
    for made in (_loaded(stored) for _ in range(3)):
        assert made["r0002"] == oracle["r0002"]
        assert pickle.loads(pickle.dumps(made)) == oracle
    assert copy.copy(_loaded(stored)) == oracle and _loaded(stored).copy() == oracle
