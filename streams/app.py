"""The one Faust entry module: the app, its agents and tables, wired to the stage modules.

Agents read batches and hand them to plain functions (``streams.intake``,
``streams.linkage_agent``); table state is partition-local (an event's partition decides its
table partition), so the agents that write tables run with concurrency 1 and every output is
keyed so that replays are idempotent. Faust's internals are used only in
``streams.faust_internals``.
"""

from __future__ import annotations

import time
from collections.abc import Set
from typing import Any

import faust
from faust.types import TP

from plumbing.files import folder_id
from plumbing.gc_pauses import freeze_survivors, log_long_collections, release_frozen
from plumbing.heap import give_back
from plumbing.kafka import credentials, require_topics, ssl_context
from plumbing.logs import get_logger
from plumbing.processes import process_age_s
from plumbing.settings import WorkerSettings
from schemas.contracts import AGENCY_CONTRACTS, IDENTITIES
from schemas.registry import codec_for
from schemas.topics import hub_topics
from streams.alert_timer import add_alert_timer
from streams.faust_internals import (
    ChangelogRuns,
    Ownership,
    Retries,
    Stalls,
    batches,
    bound_store_logs,
    bound_the_stop,
    catch_up_stores,
    check_faust_version,
    fetch_less_while_streaming,
    guard_offsets,
    owns_at_stop,
    processed_or_reread,
    skip_undecodable_changelog_entries,
    start_tables_at_once,
    watch_stalls,
)
from streams.intake import Intake
from streams.linkage_agent import Linkage, linkage_batch_packs

__all__ = [
    "HUB_PRINCIPAL",
    "WEB_PAGES",
    "add_stall_watchdog",
    "broker_credentials",
    "consumed_topics",
    "create_app",
    "faust_settings",
    "run_streams",
]

log = get_logger(__name__)

WEB_PAGES = {
    "web_tables_enabled": False,  # /table/ reads table keys: linkage records, names, DOBs
    "web_router_enabled": False,  # /router/ names the workers; one app routes nothing by key
    "web_stats_enabled": False,  # / is then the plain health index: {"status": "OK"}
    "web_graph_enabled": False,
    "web_metrics_enabled": True,  # /performance/: throughput, lag, table sizes; no data
}
"""Which of Faust's web pages a worker serves: health and metrics, never table contents."""


HUB_PRINCIPAL = "hub"
"""The streams' Kafka principal."""


def broker_credentials(settings: WorkerSettings) -> faust.SASLCredentials | None:
    """Faust's (aiokafka's) SCRAM credentials over TLS; None over explicit PLAINTEXT."""
    creds = credentials(settings)
    if creds.protocol == "PLAINTEXT":
        return None
    return faust.SASLCredentials(
        username=creds.username,
        password=creds.password,
        mechanism=creds.mechanism,
        ssl_context=ssl_context(creds),
    )


def faust_settings(settings: WorkerSettings) -> dict[str, Any]:
    """Faust's configuration, with timeouts short enough that a worker is ready in seconds, and
    a web server on loopback that serves health and metrics only."""
    return {
        "broker": [f"kafka://{host}" for host in settings.bootstrap_servers.split(",")],
        "broker_credentials": broker_credentials(settings),
        "store": settings.store,
        "datadir": str(settings.worker_path),
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        **WEB_PAGES,
        "web_bind": settings.web_bind,
        "topic_partitions": settings.partitions,
        "topic_replication_factor": 1,
        "broker_session_timeout": settings.session_timeout_s,
        "broker_heartbeat_interval": settings.heartbeat_interval_s,
        "broker_rebalance_timeout": settings.rebalance_timeout_s,
        "broker_commit_interval": settings.commit_interval_s,
        "consumer_group_instance_id": group_instance(settings),
        "consumer_auto_offset_reset": "earliest",
        "table_standby_replicas": 0,
        "producer_acks": -1,
        "producer_max_batch_size": 512 * 1024,
        "producer_linger_ms": 5,
        "consumer_max_fetch_size": settings.fetch_partition_bytes,
    }


def group_instance(settings: WorkerSettings) -> str | None:
    """The id this worker joins its group with as a static member (None: dynamic): its
    data folder's (``folder_id``; the folder is held by one worker at a time)."""
    if not settings.static_membership:
        return None
    return f"mash-{folder_id(settings.worker_path)}"


def consumed_topics(settings: WorkerSettings) -> list[str]:
    """Every topic the streams' agents consume (all of it processed means: drained)."""
    return [*(settings.topic(c.topic) for c in AGENCY_CONTRACTS), settings.topic(IDENTITIES)]


class StartPhases:
    """How long each phase of a worker's start took before it joins its group, logged as
    one line (``streams.start_phases``): where a slow restart's seconds went."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        age = process_age_s()
        if age is not None:  # the interpreter, the imports, the settings, the sinks started
            self.seconds["imported_s"] = round(age, 2)
        self.at = time.monotonic()

    def done(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[f"{phase}_s"] = round(now - self.at, 2)
        self.at = now

    def log(self, failed: BaseException | None = None) -> None:
        """The line; a start that ``failed`` logs it too, with the phases it ended and the
        error's type (the error itself is the caller's to report)."""
        if failed is None:
            log.info("streams.start_phases", **self.seconds)
        else:
            log.warning("streams.start_phases", **self.seconds, failed=type(failed).__name__)


def create_app(
    settings: WorkerSettings, catch_up: bool = False, phases: StartPhases | None = None
) -> faust.App:
    """A Faust app with the hub's agents: intake and linkage (the sinks run beside it), and
    what a worker does before it joins its group: with ``catch_up``, the stores' bulk copy
    of their changelogs (``catch_up_stores``), then the linkage index snapshot's preload,
    with the table read beside it (``Linkage.preload``); each timed in ``phases``."""
    phases = phases or StartPhases()
    app = faust.App(settings.app_id, **faust_settings(settings))
    codec = codec_for(settings)
    intake = Intake(app, settings, codec)
    linkage = Linkage(app, settings, codec)
    owner = Ownership()
    changelog = ChangelogRuns(app, linkage.records)

    async def intake_agent(stream: faust.StreamT[bytes]) -> None:
        retries = Retries()
        async for events in batches(app, stream, settings, owner, settings.batch_size):
            await processed_or_reread(app, owner, events, intake.process, retries)

    async def linkage_agent(stream: faust.StreamT[bytes]) -> None:
        packs, retries = linkage_batch_packs(settings), Retries()
        async for events in batches(app, stream, settings, owner, packs):
            await processed_or_reread(app, owner, events, linkage.process, retries)

    async def forget(sender: Any, revoked: Set[TP] | None = None, *_: Any, **__: Any) -> None:
        # state kept in memory is only valid while this worker owns the partitions it came
        # from; after a rebalance it is rebuilt from the changelogged tables
        owner.revoked()
        await changelog.revoked()
        dropped, linkage.state, linkage.indexed = linkage.state is not None, None, None
        intake.audit.chains.clear()
        intake.reassigned()
        linkage.audit.chains.clear()
        if dropped:  # the dropped index is frozen, its records in reference cycles
            release_frozen()
            give_back("linkage state dropped")
        # else nothing to hand back: at a worker's first join (a revocation of nothing) the
        # preloaded snapshot is frozen, and Faust's stores then run a full collection in
        # the assignment, where no heartbeat is sent (2.4 s at a million records, measured)

    async def save_index(sender: Any, *_: Any, **__: Any) -> None:
        # a clean stop: the agents take no more events and their batches are done, the
        # group is not left yet (at a stop Faust's revocation skips ``forget``)
        try:
            owned = linkage.state is not None and await owns_at_stop(app, identities)
            await linkage.save_at_stop(owned)
        except Exception as exc:  # the stop goes on: the table stays the truth
            log.warning("linkage.snapshot_failed", reason=type(exc).__name__)
        finally:
            linkage.end_check()  # no child left behind the worker

    async def assigned(sender: Any, assigned: Set[TP], *_: Any, **__: Any) -> None:
        # the whole new assignment: without linkage's partition, its preloaded index goes
        if TP(identities, 0) not in assigned:
            linkage.assigned_elsewhere()

    identities = settings.topic(IDENTITIES)
    guard_offsets(app)
    fetch_less_while_streaming(
        app, settings.stream_fetch_partition_bytes, settings.fetch_partition_bytes
    )
    app.on_partitions_revoked.connect(forget)  # type: ignore[arg-type]  # mode's stub wants a signal kwarg
    app.on_partitions_assigned.connect(assigned)  # type: ignore[arg-type]  # as above
    app.on_before_shutdown.connect(save_index)  # type: ignore[arg-type]  # as above
    app.agent(intake.topic, name="intake", concurrency=1)(intake_agent)
    app.agent(intake.identities.topic, name="linkage", concurrency=1)(linkage_agent)
    add_alert_timer(app, settings, linkage)
    add_idle_save(app, linkage)
    add_stall_watchdog(app, settings)
    start_tables_at_once(app)  # every table is declared by now
    bound_store_logs(app)
    skip_undecodable_changelog_entries(app)
    phases.done("made")
    if catch_up and settings.catch_up_entries > 0:  # a new owner reads changelogs in bulk
        # the linkage restore reads every stored value with its own check
        catch_up_stores(app, settings, settings.catch_up_entries, {linkage.records.name})
    phases.done("caught_up")
    linkage.preload()  # before the group: a long load would stop no heartbeat
    phases.done("preloaded")
    return app


def add_idle_save(app: faust.App, linkage: Linkage) -> None:
    """Look every second whether the linkage index is due a save because no batch came
    (``Linkage.save_when_idle``)."""

    async def idle_save() -> None:
        try:
            linkage.save_when_idle(time.monotonic())
        except Exception as exc:  # linkage goes on: the table stays the truth
            log.warning("linkage.snapshot_failed", reason=type(exc).__name__)

    app.timer(interval=1.0, name="linkage_idle_save")(idle_save)


def add_stall_watchdog(app: faust.App, settings: WorkerSettings) -> None:
    """Look for stalled partitions four times per ``settings.stall_after_s``."""
    stalls = Stalls(settings.stall_after_s)
    topics = frozenset(consumed_topics(settings))

    async def watch() -> None:
        try:
            await watch_stalls(app, stalls, topics)
        except Exception as exc:  # a rebalance can take a partition mid-look: next time
            log.warning("consumer.watchdog_failed", error=type(exc).__name__)

    app.timer(interval=settings.stall_after_s / 4, name="stall_watchdog")(watch)


def run_streams(settings: WorkerSettings) -> None:
    """Run the Faust streams in the foreground until stopped (SIGINT/SIGTERM)."""
    phases = StartPhases()
    try:
        check_faust_version()
        settings = settings.as_principal(HUB_PRINCIPAL)
        require_topics(settings, hub_topics(settings))
        phases.done("checked")
        app = create_app(settings, catch_up=True, phases=phases)
    except BaseException as exc:  # where a start that failed spent its time, too
        phases.log(failed=exc)
        raise
    phases.log()
    log_long_collections()
    freeze_survivors()
    worker = faust.Worker(app, loglevel=settings.log_level, override_logging=False, quiet=True)
    streams_stopped = bound_the_stop(worker, settings.stop_deadline_s)
    try:
        worker.execute_from_commandline()
    finally:  # the deadline bounds the streams' stop; the sinks' has its own
        streams_stopped.set()
