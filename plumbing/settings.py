"""Settings, one pydantic-settings class per deployable, all read from ``MASH_*`` variables.

Read once in the CLI and passed down; nothing else reads the environment.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "BrokerSettings",
    "CommonSettings",
    "ConsoleSettings",
    "DashboardSettings",
    "PublisherSettings",
    "SinkSettings",
    "WorkerSettings",
]


MAX_CLOCK_SKEW_S = 86_400.0
"""The most ``clock_skew_s`` may be: a clock a day ahead is broken, not skewed."""

_MAY_BE_NEGATIVE = frozenset({"clock_offset_s"})
"""Numbers that may be below zero (a clock set back, in a test)."""
_ABOVE_ZERO = frozenset(
    {
        "publish_wait_s",
        "database_wait_s",
        "broker_start_timeout_s",
        "session_timeout_s",
        "heartbeat_interval_s",
        "rebalance_timeout_s",
        "commit_interval_s",
        "batch_size",
        "partitions",
        "dashboard_refresh_s",
        "console_queue_refresh_s",
        "console_idle_timeout_s",
        "console_login_window_s",
        "rag_alert_interval_s",
        "metrics_interval_s",
        "stall_after_s",
        "fetch_partition_bytes",
        "stream_fetch_partition_bytes",
    }
)
"""Waits, intervals and sizes for which zero cannot work (the others' zero means "never" or
"at once", as the README says of each)."""


class CommonSettings(BaseSettings):
    """What every deployable needs: where Kafka is, how topics are named, where state lives."""

    model_config = SettingsConfigDict(env_prefix="MASH_", frozen=True, extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _sane_number(cls, value: Any, info: ValidationInfo) -> Any:
        """Every number a finite one; a port a port; a duration not negative, and a wait or
        an interval above zero (an outside probe: a connect timeout of NaN waited forever,
        a negative one was taken)."""
        name = info.field_name or ""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        if name.endswith("_port") and not 1 <= value <= 65_535:
            raise ValueError("must be a port number, 1 to 65535")
        if name in _MAY_BE_NEGATIVE:
            return value
        if value < 0:
            raise ValueError("must not be negative")
        if value == 0 and name in _ABOVE_ZERO:
            raise ValueError("must be above zero")
        return value

    kafka_bootstrap: str | None = None
    """Kafka bootstrap servers; unset means the local broker on 127.0.0.1:``broker_port``."""
    kafka_security_protocol: Literal["SASL_SSL", "PLAINTEXT"] = "SASL_SSL"
    """PLAINTEXT (no TLS, no authentication) only when set explicitly; a warning is logged."""
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    """The principal to connect as; unset means each process's own (an agency's publisher its
    agency, the streams ``hub``, the sinks ``sinks``, set-up commands ``admin``)."""
    kafka_password: SecretStr | None = None
    kafka_password_file: Path | None = None
    """Unset (with no password) means ``<secrets dir>/<username>.password``."""
    kafka_ca_file: Path | None = None
    """The CA that signed the brokers' certificates; unset means ``<secrets dir>/ca.pem`` where
    it exists (the local broker's CA), else the system's CAs."""
    secrets_dir: Path | None = None
    """Passwords of the local principals and the local CA; default ``<home>/secrets``."""
    broker_port: int = 9092
    connect_timeout_s: float = 5.0
    """How long a command waits for Kafka to answer before it gives up in one line."""
    topic_prefix: str = "mash"
    schema_registry_url: str | None = None
    """A Confluent-compatible schema registry; set, producers use the Confluent wire format."""
    accept_legacy_fingerprint: bool = True
    """Also read single-object events whose fingerprint bytes are in the reversed order written
    before issue 11 (only where they name a known schema version; each is counted)."""
    partitions: int = 4
    home: Path = Path(".mash")
    audit_key: SecretStr | None = None
    """HMAC key of the audit chain; unset means a key generated once in ``<home>/audit.key``."""
    clock_offset_s: float = 0.0
    """Added to the wall clock wherever the hub reads it (de-duplication horizon, validation,
    RAG clocks): for drills and tests in which days must pass; 0 in production."""
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_file: Path | None = None
    """Write the log (JSON) to this file, rotated at ``log_max_bytes``, instead of standard
    error; `mash publish`, `mash simulate` and `mash demo` always log to a file (default
    ``<home>/logs/<command>.log``), so that their terminal shows progress, not log lines."""
    log_max_bytes: int = Field(default=10_000_000, ge=10_000)
    """A log file is rotated when it would grow past this size."""
    log_backups: int = Field(default=3, ge=0)
    """Rotated log files kept (``worker.log.1`` ...); the oldest is deleted."""
    audit_trust_unsigned_heads: bool = False
    """Let a worker resume an audit chain from a head kept in the untagged form written
    before heads were signed (once, on upgrade); otherwise such a head stops the worker."""
    key_secret: SecretStr | None = None
    """HMAC key of message keys (a keyed hash of the child's strongest identifier); unset
    means a secret generated once in ``<home>/secrets/key.secret``."""

    def clock(self) -> dt.datetime:
        """The hub's 'now' (UTC), shifted by ``clock_offset_s``."""
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.clock_offset_s)

    @property
    def bootstrap_servers(self) -> str:
        """The bootstrap servers actually used."""
        return self.kafka_bootstrap or f"127.0.0.1:{self.broker_port}"

    @property
    def uses_local_broker(self) -> bool:
        """True when no external Kafka was configured."""
        return self.kafka_bootstrap is None

    @property
    def secrets_path(self) -> Path:
        """Where the local principals' passwords and the local CA's certificate are."""
        return self.secrets_dir or self.home / "secrets"

    def as_principal(self, name: str) -> Self:
        """These settings for a process that connects as ``name``, unless a username was
        set explicitly (then every process uses that one)."""
        if self.kafka_username is not None:
            return self
        return self.model_copy(update={"kafka_username": name})

    def topic(self, name: str) -> str:
        """The full name of one of the hub's topics."""
        return f"{self.topic_prefix}.{name}"

    @property
    def deadletter_topic(self) -> str:
        """Where every rejected record goes, with its reason."""
        return self.topic("deadletter")


class BrokerSettings(CommonSettings):
    """The local single-node Apache Kafka broker (`mash broker`)."""

    kafka_version: str = "4.1.1"
    controller_port: int = 9093
    broker_heap: str = "768m"
    broker_dir: Path | None = None
    """Data, config and log of the local broker; default ``<home>/broker``."""
    cache_dir: Path = Path.home() / ".cache" / "mash-hub"
    """Where Maven-resolved Kafka jars are kept, shared by every clone."""
    broker_start_timeout_s: float = 90.0

    @property
    def broker_path(self) -> Path:
        """The broker's own directory."""
        return self.broker_dir or self.home / "broker"


class PublisherSettings(CommonSettings):
    """An agency's publisher (`mash publish`)."""

    rejects_dir: Path | None = None
    """Where rejected rows are written; default ``<home>/rejects``."""
    clock_skew_s: float = Field(default=300.0, le=MAX_CLOCK_SKEW_S)
    publish_wait_s: float = Field(default=180.0, ge=1.0)
    """How long a record may wait for Kafka (lost mid-file) before the publish gives up and
    names the lines that were not sent."""

    @property
    def rejects_path(self) -> Path:
        """The directory for rejects files."""
        return self.rejects_dir or self.home / "rejects"


class SinkSettings(CommonSettings):
    """The stores the sinks write to and `mash report` reads from."""

    database_url: SecretStr | None = None
    """SQLAlchemy URL; unset means SQLite at ``<home>/mash.db``; PostgreSQL for deployment."""
    reporting_date: dt.date | None = None
    """The date the board's figures are for; unset means today."""
    suppress_low: int = 1
    suppress_high: int = 5
    """Counts from ``suppress_low`` to ``suppress_high`` are shown to the board as "c"."""
    database_wait_s: float = 120.0
    """How long the sinks wait for an unavailable database, writing the same batch again,
    before they stop (and their worker starts them again)."""
    db_role_prefix: str = "mash"
    """Names of the database roles `mash db roles` creates: ``<prefix>_sinks``,
    ``<prefix>_board``, ``<prefix>_console``."""

    @property
    def as_of(self) -> dt.date:
        """The reporting date in use."""
        return self.reporting_date or dt.date.today()

    @property
    def database(self) -> str:
        """The database URL actually used, with the psycopg driver for PostgreSQL."""
        if self.database_url is None:
            return f"sqlite:///{self.home / 'mash.db'}"
        url = self.database_url.get_secret_value()
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        return url


class DashboardSettings(SinkSettings):
    """The board's dashboard (`mash dashboard`), reading the sinks' database."""

    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8050
    dashboard_refresh_s: float = 2.0


class ConsoleSettings(SinkSettings):
    """The analysts' console (`mash console`), reading the sinks' database."""

    console_bind: str = "127.0.0.1"
    """The interface the console listens on (a proxy in front of it for anything wider)."""
    console_port: int = 8090
    console_idle_timeout_s: float = 900.0
    """A session unused this long is ended; the user signs in again."""
    console_queue_refresh_s: float = 10.0
    """How often the analysts' queue page fetches itself again (keeping its filters); its
    fetches do not count as use of the session, so an idle console still signs out."""
    console_secure_cookies: bool = False
    """Mark the session cookie Secure: set it whenever the console is served over TLS (by
    itself or behind a TLS-terminating proxy)."""
    console_login_attempts: int = 5
    console_login_window_s: float = 60.0
    """At most ``console_login_attempts`` failed sign-ins per user and per client address in
    any ``console_login_window_s``; more are refused without checking the password."""
    console_trusted_user_header: str | None = None
    """A header naming the signed-in user, set by an authenticating proxy (for example
    ``X-Forwarded-User`` from an OIDC proxy); unset (the default) trusts no header. The user
    must exist in the console's users (their role comes from there)."""
    console_tenant: str = "E09000016"
    console_isa_id: str = "ISA-HAVERING-MASH-2012"
    """The tenant (local authority code) and information sharing agreement the console's
    actions are published under (children's services events carry both)."""
    console_trusted_proxies: str = ""
    """Comma-separated client addresses whose ``console_trusted_user_header`` is believed;
    from any other address the header is ignored."""

    @property
    def trusted_proxies(self) -> frozenset[str]:
        """The addresses of the authenticating proxies."""
        return frozenset(a.strip() for a in self.console_trusted_proxies.split(",") if a.strip())


class WorkerSettings(SinkSettings):
    """A hub worker (`mash worker`): Faust streams plus the sinks it feeds."""

    app_id: str = "mash-hub"
    role: Literal["all", "streams", "sinks"] = "all"
    """What `mash worker` runs: the Faust streams and the sinks beside them (two processes),
    or only one of the two (to scale or place them apart)."""
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    data_dir: Path | None = None
    """Faust's table store; default ``<home>/worker-<app_id>``."""
    store: str = "rocksdb://"
    batch_size: int = 1000
    batch_within_s: float = 0.2
    session_timeout_s: float = 6.0
    heartbeat_interval_s: float = 1.0
    rebalance_timeout_s: float = 6.0
    commit_interval_s: float = 0.5
    fetch_partition_bytes: int = 8 * 1024 * 1024
    """The most one fetch brings of one partition while the worker's tables recover
    (Kafka's ``max.partition.fetch.bytes``, 1 MiB by default): a new owner's table recovery
    reads the linkage changelog one fetch at a time, so this sets its pace (issue 15: 1 MiB
    read it at about 1,400 entries a second, 8 MiB at about 6,000). Costs memory while
    fetched records wait."""
    stream_fetch_partition_bytes: int = 1024 * 1024
    """The same once the tables are recovered, as the streams read: Faust delivers all that
    was fetched before it fetches again, so a backlog on one topic fetched 8 MiB at a time
    left the others (the linkage stage's) unread for minutes
    (``streams.faust_internals.fetch_less_while_streaming``)."""
    catch_up_entries: int = 10_000
    """A store that lacks this many of its table's changelog entries or more (a new owner of
    the partitions, a lost disk) has them copied in bulk before the worker joins its group
    (``streams.faust_internals.catch_up_stores``); Faust's recovery reads the rest. 0: never."""
    stall_after_s: float = 60.0
    """A partition this worker holds with records past its committed offset, and no commit of
    it for this long, is logged as stalled and read again from its committed offset."""
    clock_skew_s: float = Field(default=300.0, le=MAX_CLOCK_SKEW_S)
    """How far in the future an event's timestamp may be (a clock ahead); at most a day (an
    outside probe set a year, and events dated a year ahead were taken)."""
    dedupe_horizon_days: float = 30.0
    """How long an event id or an agency record is remembered to catch re-sends and
    re-submissions; older entries are deleted (state stays bounded)."""
    dedupe_index_after_s: float = 60.0
    """How long after its first batch since a start or a rebalance intake waits before it
    indexes its de-duplication entries for deletion (a read of its whole table, about 5 s a
    million entries): the first events after a restart are not kept waiting for
    housekeeping; 0: at the first batch."""
    episode_window_h: float = 72.0
    """Notifications within this many hours of an episode's first one join it."""
    rag_red_h: float = 4.0
    rag_amber_h: float = 24.0
    rag_green_h: float = 72.0
    rag_hours: Literal["calendar", "working"] = "calendar"
    rag_warning_min: float = 30.0
    """An alert this long before a decision is due (counted as ``rag_hours``); 0: none."""
    rag_alert_interval_s: float = 5.0
    """How often the linkage worker checks its open episodes against the clock for alerts."""
    metrics_interval_s: float = 2.0
    """How often the board's figures are recomputed when new facts have arrived."""
    web_bind: str = "127.0.0.1"
    """The interface Faust's web server (health and metrics only) listens on."""
    linkage_model: Path | None = None
    """The linkage model file (``mash linkage train`` writes one); default: the packaged one."""
    linkage_snapshot_s: float = 600.0
    """How often the linkage worker saves its built index beside its table store (in a forked
    child), so that a restart loads it instead of rebuilding (``streams.snapshot``); 0: never
    (and none read)."""
    linkage_snapshot_records: int = Field(default=50_000, ge=0)
    """A save of the linkage index is also due once the records indexed since the last save
    began (or since the snapshot a restore loaded; a restore that rebuilt in full counts
    every record) reach an eighth of the index, at least 10,000 and at most this many (this
    many if it is lower): the table's tail a restart after a kill -9 decodes and files stays
    bounded however fast records come (``streams.linkage_agent.TAIL_SHARE``,
    ``SAVE_STEP_FLOOR``); 0: by time only."""
    linkage_snapshot_stop_s: float = 20.0
    """How long a clean stop may spend saving the linkage index (past it, the save is
    abandoned and the last one stays); 0: no save at a stop."""
    stop_deadline_s: float = Field(default=45.0, ge=0)
    """How long after a stop signal the streams' process may take to end (its index save
    included) before it ends at once, as a kill -9 would, after an error line: Faust's
    stop can wait without end when the broker is gone; 0: no deadline."""

    sinks_niceness: int = Field(default=5, ge=0, le=19)
    """How far the sinks' process started beside the streams (`mash worker`) gives way to
    them for the processor (its Unix niceness above theirs): when both are busy, as both
    read their state after a restart, the streams, which decide, come first; the sinks
    catch up. 0: as the streams."""
    static_membership: bool = True
    """Join the consumer group as a static member (Kafka's ``group.instance.id``), named by
    an id kept in the worker's data folder (``plumbing.files.folder_id``), which one worker
    holds at a time: a worker started again on its folder after a kill takes its partitions
    back at once, instead of waiting out the killed one's session (``session_timeout_s``).
    A static member does not leave the group when it stops: another worker takes the
    partitions of one stopped for good once its session ends. false: dynamic membership."""

    @property
    def worker_path(self) -> Path:
        """Faust's data directory for this worker."""
        return self.data_dir or self.home / f"worker-{self.app_id}"
