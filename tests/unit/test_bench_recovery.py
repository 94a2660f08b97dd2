"""The recovery bench's table: copies are independent children, the durable point is kept."""

from __future__ import annotations

import datetime as dt

from mash.bench_recovery import build_table, copied, linked, restore
from simulation.synthetic import police_notifications


def test_copies_restore_to_the_persons_of_the_original_under_new_ids() -> None:
    events = list(police_notifications(1050, 5, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    batches = linked(events)  # two batches: the second after the durable point
    one, _ = restore(build_table(batches))
    two, read = restore(build_table(copied(batches, 2)))
    assert len(two.linker.records) == 2 * len(one.linker.records) == 2 * len(events)
    assert len(set(one.linker.person.values())) < len(events)  # links matter
    for n in range(2):
        mine = {r: p for r, p in two.linker.person.items() if r.endswith(f"#c{n}")}
        assert mine == {f"{r}#c{n}": f"{p}#c{n}" for r, p in one.linker.person.items()}
    last = [f"{r}#c1" for r in batches[-1].records]  # one batch in flight, as a worker's
    assert sorted(read.after_durable) == sorted(last)
