"""A snapshot's records made when first asked for (``streams.snapshot.Records``): the same
mapping as the records themselves, whatever is asked for, set or added, in any order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

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
