"""The one Faust entry module: wires the pure stages to topics, tables and the sinks.

Agents read batches (``take_events``) and hand them to plain functions; table state is
partition-local (an event's partition decides its table partition), so the agents that write
tables run with concurrency 1 and every output is keyed so that replays are idempotent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import faust
from faust.streams import _current_event  # the context var Faust's tables partition by

from mash.logs import get_logger
from mash.settings import WorkerSettings
from schemas.common import ValidationClock
from schemas.contracts import AGENCY_CONTRACTS, CONTACT_COUNT
from schemas.framing import encode
from schemas.metrics import ContactCount
from schemas.registry import codec_for
from sinks.store import Store
from streams.counting import count_contacts
from streams.dedupe import dedupe
from streams.records import Incoming
from streams.validate import validate

__all__ = ["create_app", "run_worker"]

log = get_logger(__name__)


def faust_settings(settings: WorkerSettings) -> dict[str, Any]:
    """Faust's configuration, with timeouts short enough that a worker is ready in seconds."""
    return {
        "broker": [f"kafka://{host}" for host in settings.bootstrap_servers.split(",")],
        "store": settings.store,
        "datadir": str(settings.worker_path),
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        "topic_partitions": settings.partitions,
        "topic_replication_factor": 1,
        "broker_session_timeout": settings.session_timeout_s,
        "broker_heartbeat_interval": settings.heartbeat_interval_s,
        "broker_rebalance_timeout": settings.rebalance_timeout_s,
        "broker_commit_interval": settings.commit_interval_s,
        "consumer_auto_offset_reset": "earliest",
        "table_standby_replicas": 0,
        "producer_acks": -1,
    }


@contextmanager
def _as_current(event: faust.types.EventT[Any]) -> Iterator[None]:
    """Make ``event`` current, so table reads and writes go to its partition.

    Faust sets this only while iterating one event at a time; batches need it set by hand.
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def _by_partition(
    events: Sequence[faust.types.EventT[Any]],
) -> dict[int, list[faust.types.EventT[Any]]]:
    groups: dict[int, list[faust.types.EventT[Any]]] = defaultdict(list)
    for event in events:
        groups[event.message.partition].append(event)
    return groups


def _batches(
    stream: faust.StreamT[bytes], settings: WorkerSettings
) -> AsyncIterator[Sequence[faust.types.EventT[Any]]]:
    """Batches of events: the stages work a batch at a time, never one event at a time."""
    take = cast(faust.Stream[bytes], stream).take_events  # StreamT does not declare it
    return take(settings.batch_size, settings.batch_within_s)


def _raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """A topic of plain bytes: the hub frames and decodes its own Avro."""
    return app.topic(*names, key_serializer="raw", value_serializer="raw")


def _incoming(event: faust.types.EventT[Any]) -> Incoming:
    m = event.message
    return Incoming(m.topic, m.partition, m.offset, m.key, m.value or b"")


class Hub:
    """The intake pipeline of one worker: validate, de-duplicate, count, emit."""

    def __init__(self, app: faust.App, settings: WorkerSettings) -> None:
        self.settings = settings
        self.skew = dt.timedelta(seconds=settings.clock_skew_s)
        self.codec = codec_for(settings.schema_registry_url)
        self.seen = app.Table("seen-events", key_type=str, value_type=int)
        self.records = app.Table("seen-records", key_type=str, value_type=str)
        self.counts = app.Table("contact-counts", key_type=str, value_type=int, default=int)
        self.dead_letters = _raw_topic(app, settings.deadletter_topic)
        self.contact_counts = _raw_topic(app, settings.topic(CONTACT_COUNT.topic))
        self.intake = _raw_topic(app, *(settings.topic(c.topic) for c in AGENCY_CONTRACTS))

    async def process(self, events: Sequence[faust.types.EventT[Any]]) -> None:
        """Run one batch through every stage, a partition at a time."""
        clock = ValidationClock(skew=self.skew)
        for partition, group in _by_partition(events).items():
            valid, dead = validate([_incoming(e) for e in group], clock, self.codec)
            now_ms = int(time.time() * 1000)
            with _as_current(group[-1]):
                outcome = dedupe(valid, self.seen, self.records, now_ms)
                for event_id, seen in outcome.seen_ids.items():
                    self.seen[event_id] = seen
                for key, entry in outcome.records.items():
                    self.records[key] = entry
                fresh = outcome.fresh
                updated = count_contacts(fresh, partition, self.counts)
                for count in updated:
                    self.counts[count.key] = count.contacts
            for letter in dead:
                log.warning(
                    "validate.rejected",
                    topic=letter.source.topic,
                    partition=partition,
                    offset=letter.source.offset,
                    reason=letter.reason,
                )
                await self.dead_letters.send(
                    key=letter.source.key, value=letter.source.value, headers=letter.headers()
                )
            for count in updated:
                await self.contact_counts.send(
                    key=count.key.encode(), value=encode(CONTACT_COUNT, count)
                )
            log.debug(
                "intake.batch",
                partition=partition,
                received=len(group),
                valid=len(valid),
                fresh=len(fresh),
                resent=len(outcome.resent),
                resubmitted=len(outcome.resubmitted),
                dead=len(dead),
            )


def create_app(settings: WorkerSettings) -> faust.App:
    """A Faust app with the hub's agents: intake (agency topics) and the board sink."""
    app = faust.App(settings.app_id, **faust_settings(settings))
    hub = Hub(app, settings)
    store = Store(settings.database)

    async def intake(stream: faust.StreamT[bytes]) -> None:
        async for events in _batches(stream, settings):
            await hub.process(events)

    async def board_sink(stream: faust.StreamT[bytes]) -> None:
        async for events in _batches(stream, settings):
            rows = [hub.codec.decode(e.message.value or b"") for e in events]
            counts = [r for r in rows if isinstance(r, ContactCount)]
            await asyncio.to_thread(store.upsert_contact_counts, counts)

    app.agent(hub.intake, name="intake", concurrency=1)(intake)
    app.agent(hub.contact_counts, name="board-sink", concurrency=1)(board_sink)
    return app


def run_worker(settings: WorkerSettings) -> None:
    """Run a worker in the foreground until it is stopped (SIGINT/SIGTERM)."""
    settings.worker_path.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)
    worker = faust.Worker(app, loglevel=settings.log_level, override_logging=False, quiet=True)
    worker.execute_from_commandline()
