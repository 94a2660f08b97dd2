"""The hub on the real broker: links, persons and episodes match the pure stages, with one
worker or two, reviewers' decisions included; the audit chains export and verify; links export
for outside checking."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.errors import MashError
from plumbing.kafka import Record, read_topic
from plumbing.keys import audit_key, key_secret
from plumbing.settings import WorkerSettings
from producers.publisher import subject_key
from schemas.audit import verify
from schemas.childrens_services import ReviewVerdict
from schemas.common import record_key
from schemas.contracts import AGENCY_CONTRACTS, POLICE_NOTIFICATION
from schemas.framing import encode
from schemas.topics import Table
from simulation.decisions import corrected_decisions
from simulation.synthetic import police_notifications
from simulation.year import simulate
from sinks.audit import export_audit
from sinks.store import Store
from sinks.tables import linkage_decisions
from streams.dedupe import dedupe
from streams.hub import HubState
from streams.linkage import Linker, pair_of
from streams.records import Incoming, Valid
from tests.conftest import free_port
from tests.integration.hub import admin, send_raw, settings_from

KINDS = (
    "police.notification",
    "health.notification",
    "education.concern",
    "childrens_services.contact",
    "childrens_services.research_response",
    "childrens_services.mash_decision",
    "community_safety.marac_case",
)


@cache
def stream(limit: int = 3000) -> tuple[Any, ...]:
    """Agency events of the simulated year, noise included, in the order they were sent."""
    sim = simulate("havering-2012", seed=3)
    events = sorted(
        (
            e
            for k in KINDS
            for e in sim.events[k]
            if e.occurred_at >= dt.datetime(2012, 4, 1, tzinfo=dt.UTC)
        ),
        key=lambda e: e.reported_at,
    )
    return tuple(events[:limit])


def expected(events: tuple[Any, ...]) -> HubState:
    """What the stages make of the stream, computed without Kafka or Faust."""
    valid = [Valid(Incoming("t", 0, n, None, b""), e) for n, e in enumerate(events)]
    state = HubState()
    state.process([v.event for v in dedupe(valid, {}, now_ms=0).fresh], "t")
    return state


def review_pairs(linker: Linker, seed: int, count: int) -> tuple[list[Any], list[Any]]:
    """Pairs a reviewer might be asked about: records of two persons that share a family name
    and birth month (one child, the reviewer says), and records linked into one person (two)."""
    rng = random.Random(seed)
    near = set()
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid in sorted(linker.records):
        r = linker.records[rid]
        if r.date_of_birth is not None:
            groups[r.family_name, f"{r.date_of_birth:%Y-%m}"].append(rid)
    for first, *rest in groups.values():
        other = next((r for r in rest if linker.person[r] != linker.person[first]), None)
        if other is not None:
            near.add(pair_of(first, other))
    linked = sorted((a, b) for a in linker.links for b, _ in linker.links.of(a) if a < b)
    return rng.sample(sorted(near), count), rng.sample(linked, count)


@cache
def decided(limit: int) -> tuple[tuple[Any, ...], HubState]:
    """The stream's events and reviewers' decisions on pairs of their records (half of them
    undone by a later decision), in a shuffled order (an undoing decision may come first);
    and what the pure stages make of the events, then the decisions."""
    events = stream(limit)
    state = expected(events)
    same, apart = review_pairs(state.linker, seed=limit, count=8)
    start = dt.datetime(2012, 6, 1, tzinfo=dt.UTC)
    decisions = list(corrected_decisions(same, apart, limit, start))
    before = dict(state.linker.person)
    state.process(decisions, "t")
    moved = sum(before[r] != p for r, p in state.linker.person.items())
    assert moved >= 5, "the decisions must change persons for the test to mean anything"
    random.Random(limit).shuffle(decisions)
    return (*events, *decisions), state


def standing(store: Store) -> dict[tuple[str, str], ReviewVerdict]:
    """The standing decision on each pair, as the sinks stored it."""
    t = linkage_decisions
    with store.engine.connect() as conn:
        rows = conn.execute(t.select()).mappings().all()
    return {(r["record_id"], r["other_record_id"]): ReviewVerdict(r["verdict"]) for r in rows}


def publish(settings: WorkerSettings, events: tuple[Any, ...]) -> None:
    """Send events to their agency topics as a publisher would (keyed by child)."""
    by_type = {c.model.EVENT_TYPE: c for c in AGENCY_CONTRACTS}
    for contract in {by_type[e.event_type] for e in events}:
        mine = [e for e in events if e.event_type == contract.model.EVENT_TYPE]
        send_raw(
            settings,
            settings.topic(contract.topic),
            [(subject_key(e, key_secret(settings)), encode(contract, e)) for e in mine],
        )


def workers(env: dict[str, str], count: int, logs: Path) -> Iterator[Any]:
    """``count`` worker processes of one app, each with its own web port and store."""
    for n in range(count):
        mine = {
            **env,
            "MASH_WEB_PORT": str(free_port()),
            "MASH_DATA_DIR": str(logs / f"worker-{n}"),
        }
        yield worker_process(mine, logs / f"worker-{n}.log")


def run_hub(env: dict[str, str], events: tuple[Any, ...], count: int, tmp: Path) -> Store:
    settings = settings_from(env, WorkerSettings)
    with ExitStack() as stack:
        procs = [stack.enter_context(w) for w in workers(env, count, tmp)]
        wait_until_ready(settings, procs[0])
        publish(settings, events)
        wait_until_drained(settings, len(events), procs[0])
    return Store(settings.database)


def persons(store: Store) -> dict[str, str]:
    return {row["record_id"]: row["person_id"] for row in store.links_export()}


def episodes(store: Store) -> dict[str, Any]:
    """The analysts' episodes as stored, without the version stamp of the run that wrote them."""
    return {s.episode_id: s.model_copy(update={"version": 0}) for s in store.episode_snapshots()}


@pytest.mark.parametrize(
    "count",
    [1, 2],
    ids=["one worker", "two workers"],
)
def test_persons_and_episodes_are_those_of_the_pure_stages(
    hub_env: dict[str, str], tmp_path: Path, count: int
) -> None:
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    published, want = decided(3000)
    store = run_hub(env, published, count, tmp_path)
    got_persons = persons(store)
    assert got_persons == want.linker.person, _differences(got_persons, want.linker.person)
    got = episodes(store)
    assert got == want.snapshots, _differences(got, want.snapshots)
    assert sum(len(s.agencies) > 1 for s in got.values()) > 10  # multi-agency episodes
    assert standing(store) == {p: d.verdict for p, d in want.linker.decisions.items()}
    store.close()
    # each worker read its streams with the smaller fetch once its tables were recovered
    # (the first recovery reads at the configured 8 MiB: no change, nothing logged; a
    # rebalance as the other stops may start another recovery's after)
    streaming = settings_from(env, WorkerSettings).stream_fetch_partition_bytes
    assert streaming == 1024 * 1024
    for n in range(count):
        lines = (tmp_path / f"worker-{n}.log").read_text().splitlines()
        sizes = [json.loads(line) for line in lines if '"consumer.fetch_size"' in line]
        assert sizes and sizes[0]["phase"] == "streams", sizes
        assert sizes[0]["partition_bytes"] == streaming


def test_a_hub_left_undrained_says_which_partitions_hold_what_is_left(
    hub_env: dict[str, str],
) -> None:
    # no worker runs: what is published stays on its topic, and the wait says where
    settings = settings_from(hub_env, WorkerSettings)
    start, end = dt.date(2012, 4, 1), dt.date(2013, 4, 1)
    events = tuple(police_notifications(5, 7, start, end))
    publish(settings, events)
    with pytest.raises(MashError) as failed:
        wait_until_drained(settings, len(events), timeout_s=0)
    told = str(failed.value)
    assert told.startswith("the worker still had 5 records to process")
    where = told.split("(", 1)[1]
    topic = settings.topic(POLICE_NOTIFICATION.topic)
    assert f"{settings.app_id} {topic}[" in where and "\n" not in told
    counts = [int(part.rsplit(": ", 1)[1]) for part in where.split(")")[0].split(", ")]
    assert sum(counts) == 5  # every record left, once, on the partitions that hold it


def test_audit_chains_export_and_verify_and_links_export(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    events = stream(800)
    run_hub(env, events, 1, tmp_path).close()
    settings = settings_from(env, WorkerSettings)
    files = export_audit(admin(settings), settings.app_id, audit_key(settings), tmp_path / "audit")
    assert {p.stem.split(".")[1] for p in files} == {"intake", "linkage"}
    names = {e.subject.family_name for e in events if hasattr(e, "subject")}
    decisions: dict[str, int] = {}
    for path in files:
        lines = path.read_bytes().splitlines()
        assert verify(lines, audit_key(settings)).ok, path
        for line in lines[:-1]:
            decision = json.loads(line)["decision"]
            decisions[decision] = decisions.get(decision, 0) + 1
        text = path.read_text()
        assert not [n for n in names if n in text]  # ids and hashes, never names
    assert decisions["validated"] == len(events)  # every arrival, re-sends included
    assert decisions["deduplicated"] >= len(events) - len({e.event_id for e in events})
    assert {"linked", "new_person", "episode_opened", "deduplicated"} <= set(decisions)
    out = tmp_path / "links.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "export", "links", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["record_id"] for r in rows} == set(expected(events).linker.person)
    assert all({"event_id", "person_id", "episode_id", "match_weight"} <= r.keys() for r in rows)


def _differences(got: dict[str, Any], want: dict[str, Any]) -> str:
    """The keys missing, extra and different, briefly (what a failure needs to say)."""
    missing = sorted(want.keys() - got.keys())
    extra = sorted(got.keys() - want.keys())
    differ = sorted(k for k in want.keys() & got.keys() if want[k] != got[k])
    return (
        f"missing {len(missing)} {missing[:5]}; extra {len(extra)} {extra[:5]}; "
        f"different {len(differ)}: "
        + "; ".join(f"{k}: got {got[k]!r:.300} want {want[k]!r:.300}" for k in differ[:3])
    )


def _live(records: list[Record]) -> set[str]:
    """Keys a changelog still holds (the last write of a key wins; a tombstone removes it)."""
    state: dict[bytes, bytes | None] = {}
    for r in records:
        state[r.key or b""] = r.value
    return {json.loads(k) for k, v in state.items() if v is not None}


def logged(log: Path, name: str) -> list[dict[str, Any]]:
    """The ``name`` events a worker logged (JSON lines)."""
    lines = log.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if f'"{name}"' in line]


def last_index_save(log: Path) -> dict[str, Any]:
    """The last save of the linkage index a worker's log shows ended well: the stop's, or,
    where the stop found the snapshot on disk recent enough, the last one begun as it ran
    (by time, by count, or once no batch came for a while: ``IDLE_SAVE_S``). Saves run one
    at a time, so a ``linkage.snapshot_saved`` line is the end of the last one begun."""
    begun: dict[str, Any] | None = None
    ended: dict[str, Any] | None = None
    for line in log.read_text(errors="replace").splitlines():
        if '"linkage.snapshot_saving"' in line:
            begun = json.loads(line)
        elif '"linkage.snapshot_saved"' in line:
            ended = begun
        elif '"linkage.snapshot_saved_at_stop"' in line:
            ended = json.loads(line)
    assert ended is not None, f"no save of the index ended in {log.name}"
    return ended


def test_dedupe_state_is_bounded_by_the_horizon_and_survives_a_restart(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    # time passes by the workers' injected clock (MASH_CLOCK_OFFSET_S), not by sleeping
    env = {
        **hub_env,
        "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "MASH_DEDUPE_HORIZON_DAYS": "1",
        "MASH_DEDUPE_INDEX_AFTER_S": "0",  # the expired entries deleted at the first batch
    }
    settings = settings_from(env, WorkerSettings)
    start, end = dt.date(2012, 4, 1), dt.date(2013, 4, 1)
    old = list(police_notifications(200, 5, start, end))
    new = [  # other events about other agency records
        r.model_copy(update={"agency_record_id": f"{r.agency_record_id}-B"})
        for r in police_notifications(200, 6, start, end)
    ]
    topic = settings.topic(POLICE_NOTIFICATION.topic)

    def send(records: list[Any]) -> None:
        send_raw(
            settings,
            topic,
            [
                (subject_key(r, key_secret(settings)), encode(POLICE_NOTIFICATION, r))
                for r in records
            ],
        )

    with worker_process(env, tmp_path / "worker-1.log") as worker:
        wait_until_ready(settings, worker)
        send(old)
        wait_until_drained(settings, len(old), worker)
    # two days later: each partition's next batch deletes its entries older than a day
    env["MASH_CLOCK_OFFSET_S"] = str(2 * 86_400)
    with worker_process(env, tmp_path / "worker-2.log") as worker:
        wait_until_ready(settings, worker)
        send(new)
        wait_until_drained(settings, len(new), worker)
    # linkage's index was saved at a durable mark (by the stop, or once the worker had no
    # batch for a while: the stop then saves only a tail of 10,000 or more); the restart
    # loaded the last save and the table's entries after it
    saved = last_index_save(tmp_path / "worker-1.log")
    assert 0 < saved["records"] <= len(old)
    restores = logged(tmp_path / "worker-2.log", "linkage.restored")
    assert [(r["snapshot"], r["records"]) for r in restores] == [(saved["version"], len(old))]
    changelog = f"{settings.app_id}-{Table.SEEN_RECORDS}-changelog"
    records = _live(read_topic(admin(settings), changelog))
    assert records == {record_key(r) for r in new}
    # a new worker restores what is left from the changelogs: re-sends of the recent events
    # are still caught (they are within the horizon on its clock)
    env["MASH_DATA_DIR"] = str(tmp_path / "worker-3")
    with worker_process(env, tmp_path / "worker-3.log") as worker:
        wait_until_ready(settings, worker)
        send(new[:20])
        wait_until_drained(settings, 20, worker)
    restores = logged(tmp_path / "worker-3.log", "linkage.restored")  # no snapshot of its own
    assert [(r["snapshot"], r["records"]) for r in restores] == [(None, len(old) + len(new))]
    store = Store(settings.database)
    try:
        assert sum(t.contacts for t in store.contact_totals()) == len(old) + len(new)
    finally:
        store.close()
