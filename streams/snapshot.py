"""A local snapshot of the built linkage index, so that a restart need not rebuild it.

The linkage table (its changelog) stays the source of truth: a snapshot holds only what a
restore derives from it (the records and their events' summaries, blocks, match links,
twins-guard partners, clusters and persons), and the table version it reflects (the batch
after whose durable mark it was taken). A restore that finds a snapshot of this format, this
linkage model and this blocking scheme, whose version a durable mark of the table reaches and
whose records the table all holds, loads it and decodes and indexes again only the entries it
lacks or that were written after it (``streams.restore.restore_from``; the table's other
entries are read for their id and version only, ``streams.durable.scan_table``); anything else
(absent, truncated, corrupt, of another model, of format 1, which held no records) is logged,
ids and reasons only, and the index is rebuilt in full.

The file (``$MASH_HOME/worker-<app>/linkage-index-<partition>.snap``, 0600 in a 0700
folder, written whole or not at all) is a JSON header line (format, model, blocking scheme,
version, record count, the blocks' array lengths, sha256 of the payload) and a payload: a
``marshal`` part of built-in types only (dicts, tuples, lists, sets, strings, ints, floats;
records and summaries as one list per field, equal names, codes and link weights one object,
dates as ordinals and times as ISO text), then the blocks as flat arrays of fixed-size
integers (``streams.blocks.ARRAYS``), copied as they are: never pickle, which runs code on
loading.
The payload is loaded only once its digest matches, and its shape is checked after. (A digest
tells corruption, not tampering: whoever can write the worker's private folder can change its
code as well.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import marshal
import mmap
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import orjson

from plumbing.logs import get_logger
from plumbing.processes import Ended, fork_work, forked_ended, process_exists
from streams.blocks import ARRAYS, Blocks, Frozen, block_slots
from streams.durable import unreadable_among
from streams.episodes import EventSummary
from streams.identities import blocking_scheme
from streams.linkage import Linker, PersonRecord
from streams.links import LINK_ARRAYS, FrozenLinks, Links
from streams.summaries import FIELDS as SUMMARY_FIELDS
from streams.summaries import Summaries, encoded, prefix_columns

__all__ = [
    "CHECK_NAMED",
    "FORMAT",
    "FORMATS",
    "UNCOVERED",
    "CoveredCheck",
    "IndexSnapshot",
    "abandon",
    "check_covered",
    "checked",
    "load_snapshot",
    "may_fit",
    "remove_stale_parts",
    "save_ended",
    "save_in_background",
    "save_snapshot",
    "saved",
    "saved_blocks",
    "saved_links",
    "snapshot_path",
    "snapshot_version",
    "stop_check",
]

log = get_logger(__name__)

_T = TypeVar("_T")

FORMAT = 6
"""The snapshot's format version a save writes; a file of a format outside ``FORMATS`` is
ignored. 6: the match links as flat arrays after the blocks' (``streams.links``), none in the
``marshal`` part, and the header's ``every_person`` says which persons it holds
(``_persons_saved``); 5: each record's person only where it is not the record's cluster
parent (about one in twenty), the rest taken from the parents as it is read; 4 holds every
record's person, and the blocks as flat arrays after the ``marshal`` part
(``streams.blocks``); 3 held them as a dict in it, under their keys' digests
(``streams.blocks.block_slots``), and each record's links one flat tuple; 2 held blocks under
the keys' text and links as dicts, and with the records and their events' summaries, which 1
lacked."""
EVERY_PERSON = 4
"""The format of a snapshot that holds every record's person, and its links as Python."""
OTHER_PERSONS = 5
"""The format of a snapshot that holds the persons that are not their records' cluster
parents, and its links as Python."""
FORMATS = frozenset((EVERY_PERSON, OTHER_PERSONS, FORMAT))
"""The formats a snapshot is read in."""

UNCOVERED = "no durable mark reaches it (the table may lack what it reflects)"
"""Why a snapshot of a version no durable mark of the table covers is not used."""

_MAGIC = b"MASH-LINKAGE-INDEX\n"
_PARTS = 7
"""The ``marshal`` part's: links (format 4 and 5; empty in 6), apart, cluster parents, cluster
members, persons, records, summaries (the blocks, and in format 6 the links, follow it as
arrays)."""
_RECORD_FIELDS = 10
"""A record's fields after its id (``PersonRecord``)."""
_NHS = 6
"""The NHS number's place among them."""
_SHARED_FIELDS = frozenset(
    ("event_type", "agency", "occurred_at", "rag_rating", "decision", "tenant")
)
"""An event summary's fields of few distinct values."""


@dataclass
class IndexSnapshot:
    """The built index a snapshot holds, and the table version it reflects."""

    version: int
    blocks: Blocks
    links: Links
    apart: dict[str, set[str]]
    parent: dict[str, str]
    members: dict[str, list[str]]
    person: dict[str, str]
    """record id -> person id: its keys are the snapshot's records."""
    records: dict[str, PersonRecord]
    summaries: Summaries
    """record id -> the summary of the event that brought it (made when asked for)."""
    first_events: dict[str, str] | None = None
    """The summaries' ``first_events``, if made ahead (``streams.hub.preload_snapshot``)."""


def snapshot_path(folder: Path, partition: int = 0) -> Path:
    """Where the snapshot of one partition's index lives."""
    return folder / f"linkage-index-{partition}.snap"


def _part(path: Path, pid: int) -> Path:
    """The file a save by process ``pid`` writes before renaming it to ``path``."""
    return path.with_suffix(f".{pid}.part")


def save_snapshot(
    path: Path, linker: Linker, summaries: Mapping[str, EventSummary], version: int
) -> int:
    """Write the index of ``linker`` and the ``summaries`` of its records' events as
    reflecting table version ``version`` (whole or not at all: a crash leaves the previous
    file); returns the bytes written."""
    ids = list(linker.person)
    position = dict(zip(ids, range(len(ids)), strict=True))
    blocks = linker.blocks.arrays(ids, position)
    links = linker.links.arrays(position)
    del position
    parent, members = linker.clusters.saved()
    every, person = _persons_saved(linker.person, ids, parent)
    payload = marshal.dumps(
        (
            {},  # the links are arrays
            dict(linker.apart),
            parent,
            members,
            person,
            _record_fields(ids, linker.records),
            _summary_fields(ids, summaries),
        )
    )
    arrays = (*blocks, *links)
    header = {
        "format": FORMAT,
        "model": linker.model.version,
        "blocking": _blocking(),
        "version": version,
        "records": len(linker.person),
        "every_person": every,
        "marshalled": len(payload),
        "arrays": [len(a) for a in blocks],
        "link_arrays": [len(a) for a in links],
        "sha256": _digest(payload, arrays),
    }
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    partial = _part(path, os.getpid())
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(_MAGIC + orjson.dumps(header) + b"\n")
        out.write(payload)
        for array in arrays:
            out.write(array.data.cast("B"))
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    return len(payload) + sum(a.nbytes for a in arrays)


def _persons_saved(
    person: dict[str, str], ids: list[str], parent: dict[str, str]
) -> tuple[bool, dict[str, str]]:
    """Whether a save writes every person, and the persons it writes: where the cluster
    parents are of the same records in the same order (``ids``, the persons' order), only
    each person that is not its record's parent (a million records' persons are read in 0.1
    s instead of 1.5 s); else every person."""
    if list(parent) != ids:
        return True, person
    return False, {r: p for r, p in person.items() if parent[r] != p}


def _every_person(header: Any) -> bool | None:
    """Whether the snapshot of ``header`` holds every record's person (None: its header does
    not say, as it must)."""
    form = header["format"]
    if form != FORMAT:
        return bool(form == EVERY_PERSON)
    every = header.get("every_person")
    return every if isinstance(every, bool) else None


def _persons_read(every: bool, parent: dict[str, str], person: dict[str, str]) -> dict[str, str]:
    """Every record's person, as a snapshot holds them with ``parent`` (``every``: all of
    them; else those that differ, ``_persons_saved``): a person of a record the parents lack
    is appended, so such a snapshot is found short of records."""
    if every:
        return person
    whole = dict(parent)  # the parents' order, the records' own
    whole.update(person)
    return whole


def _digest(payload: bytes | memoryview, arrays: Sequence[Any]) -> str:
    """The sha256 of a snapshot's payload: its ``marshal`` part, then its arrays' bytes."""
    digest = hashlib.sha256(payload)
    for array in arrays:
        digest.update(array.data.cast("B"))
    return digest.hexdigest()


def save_in_background(
    path: Path, linker: Linker, summaries: Mapping[str, EventSummary], version: int
) -> int:
    """``save_snapshot`` in a forked child (as Redis saves in the background): the child
    has the index as it is now, copy-on-write, and the worker goes on at once (encoding a
    million records' index takes seconds, longer than a heartbeat may wait). Returns the
    child's pid (for ``saved``). The child touches nothing but the index and the file."""
    return fork_work(lambda: save_snapshot(path, linker, summaries, version))


def saved(pid: int) -> bool | None:
    """Whether the background save ``pid`` succeeded (None: still running); reaps it."""
    ended = save_ended(pid)
    return None if ended is None else ended.ok


def save_ended(pid: int) -> Ended | None:
    """How the background save ``pid`` ended: whether it succeeded, the seconds of CPU its
    child used and its peak memory (None: still running); reaps it."""
    return forked_ended(pid)


@dataclass
class CoveredCheck:
    """A forked child decoding the table's entries that a restore took from the index
    snapshot instead (``LinkageTable.covered``): a damaged one is reported as a full
    rebuild would report it, without the restore waiting for a million decodes."""

    pid: int
    entries: int
    reader: int
    """The pipe's end the child's finding comes by (a few KB: ids and reasons only)."""


CHECK_NAMED = 20
"""How many unreadable entries a check names (all are counted)."""


def check_covered(held: Sequence[tuple[str, int, bytes]]) -> CoveredCheck:
    """``unreadable_among(held)`` in a forked child at low priority, its finding (count and
    the first ``CHECK_NAMED``) written to a pipe; read it with ``checked``. The child
    leaves by ``os._exit`` as a save's does."""
    reader, writer = os.pipe()

    def check() -> None:
        os.nice(10)  # the worker's own work first: the restart is what waits
        found = unreadable_among(held)
        os.write(writer, orjson.dumps([len(found), found[:CHECK_NAMED]]))

    try:
        pid = fork_work(check, keep=(writer,), with_parent=True)
    except OSError:
        os.close(reader)
        os.close(writer)
        raise
    os.close(writer)
    return CoveredCheck(pid, len(held), reader)


def checked(check: CoveredCheck, wait: bool = False) -> tuple[int, list[tuple[str, str]]] | None:
    """The finding of ``check`` (how many entries are unreadable, the first named with
    why), None while it runs; with ``wait``, waited for. Reaps the child. A check that
    failed itself raises ``OSError``."""
    try:
        done, status = os.waitpid(check.pid, 0 if wait else os.WNOHANG)
    except ChildProcessError:
        os.close(check.reader)
        raise
    if done == 0:
        return None
    with open(check.reader, "rb") as pipe:
        sent = pipe.read()
    if os.waitstatus_to_exitcode(status) != 0 or not sent:
        raise OSError(f"the check of the snapshot's entries ended with status {status}")
    try:
        count, named = orjson.loads(sent)
        return int(count), [(str(key), str(why)) for key, why in named]
    except (ValueError, TypeError) as exc:
        raise OSError(f"the check of the snapshot's entries sent {type(exc).__name__}") from None


def stop_check(check: CoveredCheck) -> None:
    """Stop the check ``check`` (its entries stay unchecked: the next restore from the
    snapshot checks them), and reap it."""
    with contextlib.suppress(ProcessLookupError):  # ended already: reaped below
        os.kill(check.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # reaped already
        os.waitpid(check.pid, 0)
    os.close(check.reader)


def abandon(path: Path, pid: int) -> None:
    """Stop the background save ``pid`` of ``path``: kill it, reap it and remove what it
    had written (the snapshot it would have replaced stays)."""
    with contextlib.suppress(ProcessLookupError):  # ended already: reaped below
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    _part(path, pid).unlink(missing_ok=True)


def remove_stale_parts(path: Path) -> list[int]:
    """Remove what saves of ``path`` killed mid-write (kill -9, a power cut) left: the
    ``.part`` file of every process that no longer runs, and this process's own (called
    before it saves, none of it is under way). Returns their pids; ``path`` is never
    touched (it is written whole or not at all). (A file whose pid another process has taken
    since stays until a later start finds that pid free.)"""
    removed = []
    for part in path.parent.glob(f"{path.stem}.*.part"):
        pid = part.name[len(path.stem) + 1 : -len(".part")]
        if not pid.isdigit() or (int(pid) != os.getpid() and process_exists(int(pid))):
            continue  # not a save's, or a save under way (another worker's, or a child's)
        part.unlink(missing_ok=True)
        removed.append(int(pid))
    return sorted(removed)


def load_snapshot(
    path: Path, model_version: str, covers: Callable[[int], bool]
) -> IndexSnapshot | None:
    """The snapshot at ``path`` if it is whole, of this format, model and blocking scheme,
    and the table holds all it reflects (``covers``: a durable mark reaches its version);
    else None, logged."""
    if not path.exists():
        return None
    try:
        found = _mapped(path, model_version, covers)
    except (OSError, ValueError, EOFError, TypeError, IndexError, KeyError, OverflowError) as exc:
        found = f"unreadable ({type(exc).__name__})"
    if isinstance(found, str):
        log.warning("linkage.snapshot_ignored", path=str(path), reason=found)
        return None
    return found


def may_fit(path: Path, model_version: str) -> bool:
    """Whether the file at ``path`` begins as a snapshot of this format, model and blocking
    scheme would (its header only: ``load_snapshot`` checks all): a restore holds the table's
    entries undecoded only for a snapshot it may use (with none, each entry is decoded as it
    is read, once: reading their heads first and decoding them after is slower)."""
    header = _header(path)
    return header is not None and _mismatch(header, model_version, lambda _: True) is None


def snapshot_version(path: Path, model_version: str) -> int | None:
    """The table version the snapshot at ``path`` reflects, from its header, if it may fit
    (``may_fit``; None otherwise)."""
    header = _header(path)
    if header is None or _mismatch(header, model_version, lambda _: True) is not None:
        return None
    return int(header["version"])


def _header(path: Path) -> Any:
    """The decoded header line of the snapshot at ``path`` (None: none, or not one)."""
    try:
        with path.open("rb") as f:
            if f.readline() != _MAGIC:
                return None
            return orjson.loads(f.readline())
    except (OSError, ValueError):
        return None


def _mapped(path: Path, model_version: str, covers: Callable[[int], bool]) -> IndexSnapshot | str:
    """The snapshot in the file at ``path``, or why it cannot be used: read where the system
    keeps the file's pages, not copied into the process first (at a million records 330 MB
    less to allocate and copy: 0.7-1.1 s against 1.8-2.1 s to read and digest it, measured
    on a busy machine); read whole where the file system cannot map it. (A mapped file cut
    short while it is read would end the worker, as a kill would: a save never writes the
    file in place, it renames a new one over it.)"""
    with path.open("rb") as file:
        try:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # not mappable, or empty (ValueError): read it whole
            return _read(file.read(), model_version, covers)
        with mapped:
            return _read(mapped, model_version, covers)


def _read(
    data: bytes | mmap.mmap, model_version: str, covers: Callable[[int], bool]
) -> IndexSnapshot | str:
    """The snapshot in ``data``, or why it cannot be used."""
    if data[: len(_MAGIC)] != _MAGIC:
        return "not a linkage index snapshot"
    end = data.find(b"\n", len(_MAGIC))
    if end < 0:
        return "not a linkage index snapshot"
    header = orjson.loads(data[len(_MAGIC) : end])
    why = _mismatch(header, model_version, covers)
    if why is not None:
        return why
    with memoryview(data) as whole, whole[end + 1 :] as payload:
        if hashlib.sha256(payload).hexdigest() != header["sha256"]:
            return "corrupt or truncated (digest differs)"
        marshalled, lengths = _parts(header)
        if marshalled < 0 or marshalled + _bytes(lengths) != len(payload):
            return "not of the snapshot's shape"
        with payload[:marshalled] as part:
            parts = marshal.loads(part)  # new objects: nothing refers to the data after
        arrays = _arrays(payload, marshalled, lengths)
    return _shaped(parts, header, arrays)


_EVERY_ARRAY = (*ARRAYS, *LINK_ARRAYS)
"""A format 6 snapshot's arrays after its ``marshal`` part, in order: the blocks', then the
links'."""


def _kinds(header: Any) -> tuple[tuple[str, str], ...]:
    """The arrays a snapshot of ``header``'s format holds after its ``marshal`` part, in
    order: the blocks', then (format 6) the links'."""
    return _EVERY_ARRAY if header.get("format") == FORMAT else ARRAYS


def _parts(header: Any) -> tuple[int, list[int]]:
    """The lengths of a snapshot's parts its ``header`` gives: its ``marshal`` part's in
    bytes, and its arrays' (``_kinds``; -1 and none: not of the snapshot's shape)."""
    marshalled, lengths = header.get("marshalled"), header.get("arrays")
    if header.get("format") == FORMAT:
        links = header.get("link_arrays")
        lengths = [*lengths, *links] if type(lengths) is list and type(links) is list else None
    if not (
        type(marshalled) is int
        and marshalled >= 0
        and type(lengths) is list
        and len(lengths) == len(_kinds(header))
        and all(type(n) is int and n >= 0 for n in lengths)
    ):
        return -1, []
    return marshalled, lengths


def saved_blocks(path: Path, version: int, ids: list[str]) -> Frozen | str:
    """The blocks' arrays the save of ``version`` has just written to ``path`` (its child
    ended well), over ``ids`` (the records it saved, in order: ``save_snapshot``'s), for a
    worker to hold instead of the Python blocks it sealed for that save (``Blocks.adopt``);
    or why they cannot be taken (``_saved``)."""
    return _saved(path, version, ids, False, Frozen.checked)


def saved_links(path: Path, version: int, ids: list[str]) -> FrozenLinks | str:
    """The links' arrays the save of ``version`` has just written to ``path``, as
    ``saved_blocks`` gives the blocks' (``Links.adopt``). Read apart from the blocks', after
    the worker has taken those: the blocks' arrays it held before are freed first, so the
    two kinds are not held twice at once (about 150 MB at a million records)."""
    return _saved(path, version, ids, True, FrozenLinks.checked)


def _saved(
    path: Path,
    version: int,
    ids: list[str],
    links: bool,
    make: Callable[[list[np.ndarray[Any, Any]], list[str]], _T],
) -> _T | str:
    """``make`` of the blocks' or (``links``) the links' arrays the save of ``version`` has
    just written to ``path``, over ``ids``; or why they cannot be taken. The header must
    name this format, that version and that many records, the arrays are checked whole by
    ``make`` (ValueError); the digest is not read again (the worker's own file, a moment
    old: 0.1 s to read its arrays at a million records, where a digest of the whole file
    takes about a second)."""
    try:
        with path.open("rb") as file:
            if file.readline() != _MAGIC:
                return "not a linkage index snapshot"
            header = orjson.loads(file.readline())
            if not (
                type(header) is dict
                and header.get("format") == FORMAT
                and header.get("version") == version
                and header.get("records") == len(ids)
            ):
                return "not the save of this version"
            marshalled, lengths = _parts(header)
            size = _bytes(lengths)
            if marshalled < 0 or file.tell() + marshalled + size != os.fstat(file.fileno()).st_size:
                return "not of the snapshot's shape"  # before reading as much as it says
            blocks = _bytes(lengths[: len(ARRAYS)])
            kinds, part = (
                (LINK_ARRAYS, lengths[len(ARRAYS) :]) if links else (ARRAYS, lengths[: len(ARRAYS)])
            )
            file.seek(marshalled + (blocks if links else 0), os.SEEK_CUR)
            wanted = size - blocks if links else blocks
            data = file.read(wanted)
        if len(data) != wanted:
            return "not of the snapshot's shape"
        return make(_arrays(memoryview(data), 0, part, copied=False, kinds=kinds), ids)
    except (OSError, ValueError) as exc:
        return f"unreadable ({type(exc).__name__})"


def _bytes(lengths: list[int]) -> int:
    """The bytes the arrays of ``lengths`` take (the blocks', then the links')."""
    return sum(
        n * np.dtype(kind).itemsize for n, (_, kind) in zip(lengths, _EVERY_ARRAY, strict=False)
    )


def _arrays(
    payload: memoryview,
    offset: int,
    lengths: list[int],
    copied: bool = True,
    kinds: Iterable[tuple[str, str]] = _EVERY_ARRAY,
) -> list[np.ndarray[Any, Any]]:
    """The arrays of ``lengths`` (of ``kinds``: the blocks', then the links') stored from
    ``offset`` of ``payload``, copied (nothing refers to the file's pages after), or over
    ``payload`` itself (not ``copied``: bytes read for them alone)."""
    arrays = []
    for n, (_, kind) in zip(lengths, kinds, strict=False):
        array = np.frombuffer(payload, kind, n, offset)
        arrays.append(array.copy() if copied else array)
        offset += n * np.dtype(kind).itemsize
    return arrays


def _shaped(parts: Any, header: Any, arrays: list[np.ndarray[Any, Any]]) -> IndexSnapshot | str:
    """The snapshot of a payload's ``parts``, its blocks' ``arrays`` and its ``header``, or
    why it cannot be used."""
    if not (
        type(parts) is tuple
        and len(parts) == _PARTS
        and all(type(p) is dict for p in parts[:5])
        and _columns(parts[5], _RECORD_FIELDS, len(parts[2]))
        and _columns(parts[6], len(SUMMARY_FIELDS), len(parts[2]))
    ):
        return "not of the snapshot's shape"
    links, apart, parent, members, person, records, summaries = parts
    every = _every_person(header)
    if every is None or (links and header["format"] == FORMAT):
        return "not of the snapshot's shape"
    person = _persons_read(every, parent, person)
    if len(person) != header["records"] or len(parent) != len(person):
        return "records missing"
    if set(map(type, summaries[SUMMARY_FIELDS.index("occurred_at")])) - {str}:
        return "not of the snapshot's shape"  # the times, parsed as their summaries are made
    ids = list(person)
    rows = dict(zip(ids, range(len(ids)), strict=True))
    frozen = FrozenLinks.checked(arrays[len(ARRAYS) :], ids) if len(arrays) > len(ARRAYS) else None
    return IndexSnapshot(
        int(header["version"]),
        Blocks(Frozen.checked(arrays[: len(ARRAYS)], ids)),
        Links(links, frozen),
        apart,
        parent,
        members,
        person,
        _records(ids, rows, records),
        Summaries(ids, summaries, rows),
    )


def _columns(part: Any, fields: int, rows: int) -> bool:
    """Whether ``part`` is ``fields`` lists of ``rows`` values each."""
    return (
        type(part) is tuple
        and len(part) == fields
        and all(type(c) is list and len(c) == rows for c in part)
    )


def _shared(values: Iterable[_T]) -> list[_T]:
    """``values`` with equal ones one object (``marshal`` writes an object met again as a
    reference to the first: a smaller file, and names shared again once loaded). Mapped in
    C (``map`` over ``dict.setdefault``): a save's largest Python loops."""
    one: dict[_T, _T] = {}
    values = values if isinstance(values, list) else list(values)
    return list(map(one.setdefault, values, values))


def _column(rows: list[Any], name: str) -> list[Any]:
    """One field of each of ``rows``, in order."""
    return list(map(attrgetter(name), rows))


def _day(day: dt.date | None) -> int | None:
    return None if day is None else day.toordinal()


def _record_fields(ids: list[str], records: Mapping[str, PersonRecord]) -> tuple[list[Any], ...]:
    """The fields of the records of ``ids`` after their id, one list per field, equal
    names, codes and mothers one object."""
    fields = records.columns_for(ids) if isinstance(records, Records) else None
    if fields is None:
        fields = _encode(list(map(records.__getitem__, ids)))
    given, family, born, due, sex, postcode, nhs, upn, agency_id, mothers = fields
    return (
        _shared(given), _shared(family), born, due, _shared(sex), _shared(postcode), nhs, upn,
        agency_id, _shared(mothers),
    )  # fmt: skip


def _encode(rows: list[PersonRecord]) -> tuple[list[Any], ...]:
    """The fields of ``rows`` after their id, one list per field, dates as ordinals."""
    mothers = (None if r.mother is None else (*r.mother[:2], _day(r.mother[2])) for r in rows)
    return (
        _column(rows, "given_name"),
        _column(rows, "family_name"),
        [_day(r.date_of_birth) for r in rows],
        [_day(r.expected_delivery_date) for r in rows],
        _column(rows, "sex"),
        _column(rows, "postcode"),
        _column(rows, "nhs_number"),
        _column(rows, "upn"),
        _column(rows, "agency_person_id"),
        list(mothers),
    )


def _summary_fields(ids: list[str], summaries: Mapping[str, EventSummary]) -> tuple[list[Any], ...]:
    """The summaries of the events of ``ids``, one list per field (``streams.summaries``),
    equal codes and times one object."""
    if isinstance(summaries, Summaries):
        fields = summaries.columns_for(ids)
    else:
        fields = encoded(ids, list(map(summaries.__getitem__, ids)))
    return tuple(
        _shared(column) if name in _SHARED_FIELDS else column
        for name, column in zip(SUMMARY_FIELDS, fields, strict=True)
    )


def _records(ids: list[str], rows: dict[str, int], fields: tuple[list[Any], ...]) -> Records:
    """The records of ``_record_fields``, each made when first asked for; each distinct
    date and mother made now, once (a bad one found as the snapshot loads)."""
    born, due, mother = fields[2], fields[3], fields[9]
    days: dict[int | None, dt.date | None] = {None: None}
    for ordinal in {*born, *due, *(m[2] for m in mother if m is not None)} - {None}:
        days[ordinal] = dt.date.fromordinal(ordinal)
    mothers = {m: m if m is None else (m[0], m[1], days[m[2]]) for m in set(mother)}
    return Records(ids, rows, fields, days, mothers)


def _settling(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of ``dict`` on a ``Records`` whose rows are all made first."""

    def settled(self: Records, *args: Any, **kwargs: Any) -> Any:
        self._settle()
        return method(self, *args, **kwargs)

    settled.__name__ = method.__name__
    return settled


class Records(dict[str, PersonRecord]):
    """record id -> its ``PersonRecord``: those of a snapshot's rows made when first asked
    for (``__missing__``), as its events' summaries are (``streams.summaries``). A restart
    at a million records made a million records it mostly never reads (2.1-2.7 s of the
    preload, measured in process on the 1,000,000-record bench store); linking a new event
    reads a few persons' records. A dict, so that a record made or set is read at a dict's
    speed (the scorer reads each candidate's); what would see only those made reads the
    rows as well (``in``, ``get``, ``len``, iteration), and anything else on the whole
    mapping (``items``, ``==``...) makes every record first (``_settle``), as do half the rows
    asked for: the rows kept beside the records made from them would cost more than the
    records alone. (So every dict method that reads or changes more than one record settles
    first: ``pop``, ``update``, ``del``, ``|=``... A pickle or a copy is a plain dict.)"""

    def __init__(
        self,
        ids: list[str],
        rows: dict[str, int],
        fields: tuple[list[Any], ...],
        days: dict[int | None, dt.date | None],
        mothers: dict[Any, tuple[str, str, dt.date | None] | None],
    ) -> None:
        super().__init__()
        self._ids, self._rows, self._fields = ids, rows, fields
        self._days, self._mothers = days, mothers
        self._from_rows = 0
        self._added: list[str] = []
        """Records set that no row holds, in order (while there are rows)."""

    def _make(self, row: int) -> PersonRecord:
        given, family, born, due, sex, postcode, nhs, upn, agency_id, mother = (
            field[row] for field in self._fields
        )
        day = self._days.__getitem__
        return PersonRecord(
            self._ids[row], given, family, day(born), day(due), sex, postcode, nhs, upn,
            agency_id, self._mothers[mother],
        )  # fmt: skip

    def __missing__(self, rid: str) -> PersonRecord:
        made = self._make(self._rows[rid])  # KeyError: none held
        dict.__setitem__(self, rid, made)
        self._from_rows += 1
        if 2 * self._from_rows > len(self._ids):
            self._settle()
        return made

    def __setitem__(self, rid: str, record: PersonRecord) -> None:
        if self._ids and rid not in self._rows and not dict.__contains__(self, rid):
            self._added.append(rid)
        elif rid in self._rows and not dict.__contains__(self, rid):
            self._from_rows += 1
        dict.__setitem__(self, rid, record)

    def __contains__(self, rid: object) -> bool:
        return dict.__contains__(self, rid) or rid in self._rows

    def get(self, rid: str, default: Any = None) -> Any:
        if rid in self:
            return self[rid]
        return default

    def __len__(self) -> int:
        return len(self._ids) + len(self._added) if self._ids else dict.__len__(self)

    def nhs_number_of(self, rid: str) -> str | None:
        """The NHS number of the record ``rid``, without making it (KeyError: no such
        record): what a person's rebuild reads of each record of its cluster (a restore's
        tail touches most clusters)."""
        held = dict.get(self, rid)
        if held is not None:
            return held.nhs_number
        row = self._rows[rid]  # KeyError before the columns are read (none after a settle)
        number: str | None = self._fields[_NHS][row]
        return number

    def held_id(self, rid: str) -> str | None:
        """The id string the index holds for ``rid`` (one object for the index, the
        record and its event), without making its record (None: no such record). A
        restore joins each tail record's links to records mostly of the snapshot: getting
        them made 100,000 records and then the rest (``_settle``), 3.4 s of a 90,000
        records' tail at 290,000 (measured in process, 2026-12-06)."""
        row = self._rows.get(rid)
        if row is not None:
            return self._ids[row]
        record = dict.get(self, rid)
        return None if record is None else record.record_id

    def __iter__(self) -> Iterator[str]:
        return chain(self._ids, self._added) if self._ids else dict.__iter__(self)

    def _settle(self) -> None:
        """Make the rows not yet asked for and drop them: a plain dict after, in order."""
        if not self._ids:
            return
        made = dict(dict.items(self))
        ordered = {
            rid: made[rid] if rid in made else self._make(row) for rid, row in self._rows.items()
        }
        ordered.update((rid, made[rid]) for rid in self._added)
        dict.clear(self)
        dict.update(self, ordered)
        self._ids, self._rows, self._fields, self._added = [], {}, (), []
        self._days, self._mothers, self._from_rows = {}, {}, 0

    def columns_for(self, ids: list[str]) -> tuple[list[Any], ...] | None:
        """The fields of the records of ``ids`` as ``_record_fields`` gives them, the rows'
        own where ``ids`` begin with them in order, without making their records (None: they
        do not)."""
        if not self._ids or ids[: len(self._ids)] != self._ids:
            return None
        return prefix_columns(
            ids, self._ids, self._fields,
            [self._rows[r] for r in dict.__iter__(self) if r in self._rows],  # made or set
            lambda rids: _encode(list(map(self.__getitem__, rids))),
        )  # fmt: skip

    def __reduce__(self) -> Any:  # pickled (and copied) as the plain dict it stands for
        return (dict, (dict(self.items()),))

    # every other dict method that reads or changes more than one record: all made first
    items = _settling(dict.items)
    values = _settling(dict.values)
    keys = _settling(dict.keys)
    __eq__ = _settling(dict.__eq__)
    __ne__ = _settling(dict.__ne__)
    __delitem__ = _settling(dict.__delitem__)
    __reversed__ = _settling(dict.__reversed__)
    __ior__ = _settling(dict.__ior__)
    pop = _settling(dict.pop)
    popitem = _settling(dict.popitem)
    setdefault = _settling(dict.setdefault)
    update = _settling(dict.update)
    clear = _settling(dict.clear)
    copy = _settling(dict.copy)
    __hash__ = None


def _blocking() -> str:
    """How a snapshot's blocks were made and filed: the keys' scheme (``blocking_scheme``)
    and the digest of a fixed key (``block_slots``). An index filed by another digest would
    find no candidate among its records: it is not used."""
    scheme = blocking_scheme()
    return f"{scheme}:{block_slots([scheme])[0]}"


def _mismatch(header: Any, model_version: str, covers: Callable[[int], bool]) -> str | None:
    """Why a snapshot's header rules it out (None: it does not)."""
    if type(header) is not dict or header.get("format") not in FORMATS:
        return "another format"
    if header.get("model") != model_version:
        return "another linkage model"
    if header.get("blocking") != _blocking():
        return "another blocking scheme"
    version = header.get("version")
    if type(version) is not int or not covers(version):
        return UNCOVERED
    return None
