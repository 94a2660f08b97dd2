"""The summaries of the events that brought the indexed records: a mapping whose entries an
index snapshot held stay in the snapshot's columns until one is asked for.

A restart at a million records made a million ``EventSummary`` objects from a snapshot's
columns (2.75 s) and then read each one again for what a restore takes from all of them: the
latest event time, the first event of each content and the persons with a RAG clock (1.65
s; both measured in process on a million-record snapshot). Linking a new event then asks
for the summaries of a few persons' records. So a snapshot's summary is made when it is
first asked for (once: kept after), and a restore reads the columns (``column``,
``latest``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

from streams.episodes import EventSummary

__all__ = ["FIELDS", "Summaries", "encoded", "prefix_columns"]

FIELDS = tuple(f.name for f in dataclasses.fields(EventSummary))
"""An event summary's fields, in the order of a snapshot's columns."""

_EVENT_ID, _OCCURRED = FIELDS.index("event_id"), FIELDS.index("occurred_at")
_OFFSET = itemgetter(slice(-6, None))
"""An ISO time's UTC offset as ``datetime.isoformat`` writes it (``+00:00``)."""


def encoded(ids: Sequence[str], rows: Sequence[EventSummary]) -> tuple[list[Any], ...]:
    """The summaries ``rows`` of the records ``ids`` as a snapshot's columns: one list per
    field of ``FIELDS``, an event id equal to its record's None, a time as ISO text."""
    columns = tuple(list(map(attrgetter(name), rows)) for name in FIELDS)
    events = columns[_EVENT_ID]
    events[:] = [None if e == r else e for r, e in zip(ids, events, strict=True)]
    columns[_OCCURRED][:] = map(dt.datetime.isoformat, columns[_OCCURRED])
    return columns


class Summaries(Mapping[str, EventSummary]):
    """record id -> the summary of the event that brought it (in the order first set);
    those of ``ids`` read from ``columns`` (``encoded``) when first asked for. Once half the
    rows were asked for, the rest are made and the columns dropped (``_settle``): the
    columns, kept beside the summaries made from them, would cost about 280 bytes a record
    more than the summaries alone."""

    def __init__(
        self,
        ids: Sequence[str] = (),
        columns: tuple[list[Any], ...] = (),
        rows: dict[str, int] | None = None,
    ) -> None:
        """``rows``: each of ``ids`` -> its position, if made already (it is not changed)."""
        if (ids or columns) and not (
            len(columns) == len(FIELDS) and all(len(c) == len(ids) for c in columns)
        ):
            raise ValueError("the columns do not hold one value a record for each field")
        self._ids = list(ids)
        if rows is None:
            rows = dict(zip(self._ids, range(len(self._ids)), strict=True))
        self._rows = rows
        if len(self._rows) != len(self._ids):
            raise ValueError("a record holds two rows")
        self._columns = columns
        self._made: dict[str, EventSummary] = {}
        """Summaries set, and those made from a row once asked for; with no rows, all, in
        order."""
        self._made_rows = 0
        self._added: list[str] = []
        """Records set that no row holds, in order (while there are rows)."""
        self._replaced: set[str] = set()
        """Records whose row was set again (a restore's tail entry replaces its record)."""
        self._times: dict[str, dt.datetime] = {}
        """Each distinct time text parsed once (the summaries made share them)."""

    def __getitem__(self, rid: str) -> EventSummary:
        made = self._made.get(rid)
        if made is None:
            made = self._made[rid] = self._row(self._rows[rid])  # KeyError: none held
            self._made_rows += 1
            if 2 * self._made_rows > len(self._ids):
                self._settle()
        return made

    def __setitem__(self, rid: str, summary: EventSummary) -> None:
        if rid in self._rows:
            self._replaced.add(rid)
        elif self._ids and rid not in self._made:
            self._added.append(rid)
        self._made[rid] = summary

    def __contains__(self, rid: object) -> bool:
        return rid in self._made or rid in self._rows

    def __iter__(self) -> Iterator[str]:
        return chain(self._ids, self._added) if self._ids else iter(self._made)

    def __len__(self) -> int:
        return len(self._ids) + len(self._added) if self._ids else len(self._made)

    def __repr__(self) -> str:
        return f"Summaries({len(self)} records, {len(self._ids) - self._made_rows} not made)"

    def _row(self, row: int) -> EventSummary:
        """The summary a row of the columns holds."""
        event_id, *fields = (column[row] for column in self._columns)
        fields[_OCCURRED - 1] = self._time(fields[_OCCURRED - 1])
        return EventSummary(self._ids[row] if event_id is None else event_id, *fields)

    def _time(self, text: str) -> dt.datetime:
        found = self._times.get(text)
        if found is None:
            found = self._times[text] = dt.datetime.fromisoformat(text)
        return found

    def _settle(self) -> None:
        """Make the rows not yet asked for and drop the columns: a plain mapping after."""
        made = self._made
        ordered = {
            rid: made[rid] if rid in made else self._row(row) for rid, row in self._rows.items()
        }
        ordered.update((rid, made[rid]) for rid in self._added)
        self._made, self._made_rows = ordered, 0
        self._ids, self._rows, self._columns, self._added = [], {}, (), []
        self._replaced, self._times = set(), {}

    def column(self, name: str) -> list[Any]:
        """One field (not ``occurred_at``: ``latest``) of every summary, in this mapping's
        order, without making the summaries the columns hold."""
        if name == "occurred_at":
            raise ValueError("times are read by latest()")
        get = attrgetter(name)
        if not self._ids:
            return list(map(get, self._made.values()))
        if name == "event_id":
            stored = self._columns[_EVENT_ID]
            if stored.count(None) == len(stored):  # as a rule: each record's id is its event's
                values = list(self._ids)
            else:
                values = [r if e is None else e for r, e in zip(self._ids, stored, strict=True)]
        else:
            values = list(self._columns[FIELDS.index(name)])
        for rid in self._replaced:
            values[self._rows[rid]] = get(self._made[rid])
        values += map(get, map(self._made.__getitem__, self._added))
        return values

    def first_events(self) -> dict[str, str]:
        """content digest -> the event that first brought it, in this mapping's order (an
        empty digest left out: summaries stored before digests were kept match no event)."""
        digests, events = self.column("digest"), self.column("event_id")
        digests.reverse()  # in a dict made of them, the first of equal contents wins
        events.reverse()
        first = dict(zip(digests, events, strict=True))
        first.pop("", None)
        return first

    def first_events_after(self, first: dict[str, str]) -> dict[str, str] | None:
        """``first`` (``first_events`` as this mapping's rows gave it) with the summaries set
        since the rows laid after them, as ``first_events`` would give them now; None where
        a row was set again, or the rows are gone (``first_events`` is made anew then)."""
        if not self._ids or self._replaced:
            return None
        for rid in self._added:
            summary = self._made[rid]
            if summary.digest:
                first.setdefault(summary.digest, summary.event_id)
        return first

    def latest(self) -> dt.datetime | None:
        """The latest event time of all summaries (None: there are none)."""
        if not self._ids:
            return max((s.occurred_at for s in self._made.values()), default=None)
        set_since = [self._made[r].occurred_at for r in chain(self._replaced, self._added)]
        return max(chain(self._latest_stored(), set_since), default=None)

    def _latest_stored(self) -> list[dt.datetime]:
        """The latest time the rows hold not set again, as a list of at most one. Times of one
        UTC offset as ``datetime.isoformat`` writes them sort as their text does (a fraction's
        ``.`` after the offset's sign), so only the last text is parsed; else all are."""
        texts = self._columns[_OCCURRED]
        if self._replaced:  # a row set again counts by its new value (``latest``)
            masked = {self._rows[r] for r in self._replaced}
            if len(masked) == len(texts):
                return []
            other = next(t for i, t in enumerate(texts) if i not in masked)
            texts = list(texts)
            for i in masked:
                texts[i] = other  # one that counts anyway: the latest stays the same
        offsets = set(map(_OFFSET, texts))
        if len(offsets) == 1 and _is_offset(next(iter(offsets))):
            return [self._time(max(texts))]
        return [max(map(dt.datetime.fromisoformat, sorted(set(texts))))]  # ties: one way

    def columns_for(self, ids: Sequence[str]) -> tuple[list[Any], ...]:
        """The summaries of ``ids`` as a snapshot's columns (``encoded``): the rows' own
        where ``ids`` begin with them in order, without making their summaries."""
        return prefix_columns(
            ids, self._ids, self._columns, [self._rows[r] for r in self._replaced],
            lambda rids: encoded(rids, list(map(self.__getitem__, rids))),
        )  # fmt: skip


def prefix_columns(
    ids: Sequence[str],
    own: Sequence[str],
    columns: tuple[list[Any], ...],
    changed: Iterable[int],
    encode: Callable[[Sequence[str]], tuple[list[Any], ...]],
) -> tuple[list[Any], ...]:
    """``encode(ids)`` (values of records made into one list per field) for a mapping that
    holds the records of ``own`` as rows of ``columns``: those rows copied as they are where
    ``ids`` begin with ``own`` in order, but the rows ``changed`` (positions in ``own``, set
    again since) and the records after them encoded; else all encoded."""
    n = len(own)
    if not n or len(ids) < n or ids[:n] != own:
        return encode(ids)
    head = [list(c) for c in columns]
    again = sorted(changed)
    if again:
        for column, values in zip(head, encode([own[i] for i in again]), strict=True):
            for i, value in zip(again, values, strict=True):
                column[i] = value
    tail = encode(ids[n:])
    return tuple(h + t for h, t in zip(head, tail, strict=True))


def _is_offset(text: str) -> bool:
    """Whether ``text`` is a UTC offset as ``datetime.isoformat`` writes one (``+01:00``)."""
    return len(text) == 6 and text[0] in "+-" and text[3] == ":"
