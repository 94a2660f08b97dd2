"""The sinks' database tables, defined once for SQLite and PostgreSQL (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)

__all__ = [
    "alerts",
    "audit",
    "child_identities",
    "console_access",
    "console_users",
    "contact_counts",
    "episode_fences",
    "episode_tombstones",
    "episodes",
    "facts",
    "figures",
    "figures_provenance",
    "linkage_decisions",
    "linkage_summary",
    "links",
    "metadata",
    "missing_columns",
    "possible_matches",
    "upgrade",
]

from schemas.limits import (
    AGENCY_CHARS,
    EVENT_TYPE_CHARS,
    LINKAGE_ID_CHARS,
    RECORD_KEY_CHARS,
    USER_ID_CHARS,
)

metadata = MetaData()

contact_counts = Table(
    "contact_counts",
    metadata,
    Column("agency", String(AGENCY_CHARS), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("source_partition", Integer, primary_key=True),
    Column("contacts", BigInteger, nullable=False),
)

links = Table(
    "links",
    metadata,
    Column("record_id", String(80), primary_key=True),
    Column("event_id", String(40), nullable=False, index=True),
    Column("event_type", String(EVENT_TYPE_CHARS), nullable=False),
    Column("person_id", String(80), nullable=False, index=True),
    Column("weight", Float, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("model_version", String(80), nullable=True),
)
"""Each record's latest link, with the version of the linkage model that made it (NULL in
rows stored before the column). A re-issue that restates only the person (``PERSON_ONLY``)
moves the record and keeps the link's weight, explanation and model; one that says what
holds the record now (alone, a reviewer's decision, joined after being alone) replaces them."""

episodes = Table(
    "episodes",
    metadata,
    Column("episode_id", String(40), primary_key=True),
    Column("person_id", String(80), nullable=False, index=True),
    Column("snapshot", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("source_partition", Integer, nullable=False),
)

episode_fences = Table(
    "episode_fences",
    metadata,
    Column("source_partition", Integer, primary_key=True),
    Column("epoch", BigInteger, primary_key=True),
    Column("seen", BigInteger, nullable=False),
)
"""Every linkage owner's fence on each episodes partition (``sinks.fences``): episodes of a
version between ``seen`` and ``epoch`` are an older owner's late ones, not stored. A sweep is
kept as a fence that read nothing (``seen`` -1): every older version of its partition goes."""

episode_tombstones = Table(
    "episode_tombstones",
    metadata,
    Column("episode_id", String(40), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("source_partition", Integer, nullable=False),
)
"""The version at which each episode was deleted (until a later snapshot of it): a snapshot
of an older version that arrives after the deletion (an older owner's message, late) is
stale, and must not bring the episode back."""


facts = Table(
    "facts",
    metadata,
    Column("record_key", String(RECORD_KEY_CHARS), primary_key=True),
    Column("event_id", String(40), nullable=False),
    Column("event_type", String(EVENT_TYPE_CHARS), nullable=False, index=True),
    Column("agency", String(AGENCY_CHARS), nullable=False),
    Column("occurred_on", String(10), nullable=False),
    Column("reported_at", String(32), nullable=False),
    Column("digest", String(32), nullable=False),
    Column("data", Text, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("chain", String(120), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("decision", String(40), nullable=False, index=True),
    Column("event_id", String(80), nullable=False, index=True),
    Column("at", String(40), nullable=False),
    Column("record", Text, nullable=False),
)
"""Every audit record as chained (ids and hashes only): (chain, seq) is its identity, and a
later record at a position supersedes (a restarted worker re-chained it)."""

figures = Table(
    "figures",
    metadata,
    Column("indicator", String(40), primary_key=True),
    Column("period", String(20), primary_key=True),
    Column("dimension", String(60), primary_key=True),
    Column("value", Float, nullable=False),
    Column("numerator", BigInteger),
    Column("denominator", BigInteger),
    Column("as_of", String(10), nullable=False),
)

figures_provenance = Table(
    "figures_provenance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("computed_at", String(40), nullable=False),
    Column("events", BigInteger, nullable=False),
    Column("latest_event", String(40)),
    Column("seconds", Float),
)
"""When the stored figures were computed and from what: how many events, reported up to when,
and how long computing them took (one row, replaced with the figures)."""

console_users = Table(
    "console_users",
    metadata,
    Column("name", String(USER_ID_CHARS), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),
)
"""The analysts' console's local users: a role each, and an argon2id hash (never a
password)."""

console_access = Table(
    "console_access",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("user_name", String(80), nullable=False),
    Column("person_id", String(80), nullable=True, index=True),
    Column("at", String(40), nullable=False),
    Column("record", Text, nullable=False),
)
"""The console's access log: every view of identifiable data, one record of the ``console``
audit chain a row (ids, user, role, purpose; keyed hash chained); ``seq`` is its position."""
possible_matches = Table(
    "possible_matches",
    metadata,
    Column("record_id", String(80), primary_key=True),
    Column("other_record_id", String(80), primary_key=True),
    Column("weight", Float, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("first_seen", String(32), nullable=False, index=True),
    Column("model_version", String(80), nullable=True),
)
"""Pairs of linkage records the hub offered for review (smaller id first), since first seen,
with the version of the linkage model that scored them (a database made before the column
was added gets it when a store opens it, `sinks.store`)."""

linkage_decisions = Table(
    "linkage_decisions",
    metadata,
    Column("record_id", String(LINKAGE_ID_CHARS), primary_key=True),
    Column("other_record_id", String(LINKAGE_ID_CHARS), primary_key=True),
    Column("verdict", String(20), nullable=False),
    Column("decided_by", String(USER_ID_CHARS), nullable=False),
    Column("decided_at", String(32), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("reason", Text, nullable=False),
)
"""The standing decision on each pair (the latest by time, then event id); the reason text is
stored here and nowhere logged."""

linkage_summary = Table(
    "linkage_summary",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("computed_at", String(40), nullable=False),
    Column("data", Text, nullable=False),
)
"""One row: the linkage quality figures (counts only) as the sinks last computed them, so the
board's views read aggregates and never the links or audit tables."""

child_identities = Table(
    "child_identities",
    metadata,
    Column("record_id", String(80), primary_key=True),
    Column("event_id", String(40), nullable=False, index=True),
    Column("agency", String(32), nullable=False),
    Column("agency_record_id", String(120), nullable=False),
    Column("reported_at", String(32), nullable=False),
    Column("digest", String(32), nullable=False),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("date_of_birth", String(10)),
    Column("expected_delivery_date", String(10)),
    Column("sex", String(16), nullable=False),
    Column("nhs_number", String(16)),
    Column("upn", String(16)),
    Column("postcode", String(16)),
    Column("address", Text),
)
"""Who each agency record says the child is (names, dates of birth, NHS number, address), by
the linkage record id (``event_id``, or ``event_id#n`` for the n-th child of a MARAC case):
identifiable, so only the sinks write it and only the console reads it (`sinks.roles`)."""

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(120), primary_key=True),
    Column("episode_id", String(40), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("rag_rating", String(16), nullable=False),
    Column("due_at", String(32), nullable=False),
    Column("raised_at", String(32), nullable=False),
)
"""The hub's wall-clock RAG alerts, once each (a repeat is the same row): ids and times."""


def upgrade(engine: Engine) -> None:
    """Bring a database made by an earlier version up to these tables: the columns added
    since (``ADDED``), each of the type its table defines."""
    for table, column in missing_columns(engine):
        kind = metadata.tables[table].c[column].type.compile(dialect=engine.dialect)
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


def missing_columns(engine: Engine) -> list[tuple[str, str]]:
    """The columns added since the first release (``ADDED``) that the database lacks."""
    found = inspect(engine)
    return [(t, c) for t, c in ADDED if c not in {k["name"] for k in found.get_columns(t)}]


ADDED = (
    ("possible_matches", "model_version"),
    ("links", "model_version"),
    ("figures_provenance", "seconds"),
)
"""(table, column) of each column added after the first release, nullable."""
