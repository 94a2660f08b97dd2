"""The hub's topic, stage and table names, defined once, and the step that creates its topics.

Contract topics (one schema each) are named by their ``Contract``, the dead-letter topic by
``settings.deadletter_topic``; here are the audit topic, the stages, and the Faust tables
whose changelogs other deployables read (the audit heads, read by the audit export).
"""

from __future__ import annotations

from enum import StrEnum

from plumbing.kafka import ensure_topics
from plumbing.settings import CommonSettings
from schemas.contracts import (
    AGENCY_CONTRACTS,
    ALERT,
    CONTACT_COUNT,
    EPISODE,
    IDENTITIES,
    LINK,
    POSSIBLE_MATCH,
)

__all__ = [
    "AUDIT",
    "AUDIT_HEADS",
    "QUARANTINE",
    "Stage",
    "Table",
    "changelog",
    "ensure_hub_topics",
    "heads_table",
    "hub_topics",
]

AUDIT = "audit"
"""The audit chains: one key per chain, records as JSON lines."""

AUDIT_HEADS = "audit.heads"
"""The signed heads of the chains kept outside a Faust app (the console's): compacted, keyed
by chain, in the form of the workers' heads tables' changelogs (JSON key and value)."""


QUARANTINE = "sinks.quarantine"
"""Records of the internal topics that the sinks could not decode or store (dead letters)."""


class Stage(StrEnum):
    """The hub's stages that decide and audit."""

    INTAKE = "intake"
    LINKAGE = "linkage"


class Table(StrEnum):
    """The streams' changelogged tables (the changelog topic is ``<app id>-<table>-changelog``)."""

    SEEN_RECORDS = "seen-records"
    CONTACT_COUNTS = "contact-counts"
    HUB_RECORDS = "hub-records"


def heads_table(stage: Stage) -> str:
    """The table holding the head of each of a stage's audit chains."""
    return f"audit-heads-{stage.value}"


def changelog(app_id: str, table: str) -> str:
    """The changelog topic Faust keeps for ``table`` of app ``app_id``."""
    return f"{app_id}-{table}-changelog"


def hub_topics(settings: CommonSettings) -> list[str]:
    """Every topic the hub reads or writes (its tables' changelogs aside)."""
    contracts = (*AGENCY_CONTRACTS, CONTACT_COUNT, LINK, POSSIBLE_MATCH, EPISODE, ALERT)
    names = [settings.topic(c.topic) for c in contracts]
    return [*names, settings.deadletter_topic, settings.topic(AUDIT), settings.topic(IDENTITIES)]


def ensure_hub_topics(settings: CommonSettings) -> None:
    """Create every topic the hub reads or writes that does not exist yet (the set-up step,
    as a principal that may): the hand-over to linkage with one partition (one index sees
    every child), the rest with the hub's count."""
    *names, identities = hub_topics(settings)
    ensure_topics(settings, [*names, settings.topic(QUARANTINE)])  # the sinks' dead letters
    ensure_topics(settings, [identities], partitions=1)
    heads = [settings.topic(AUDIT_HEADS)]
    ensure_topics(settings, heads, partitions=1, configs={"cleanup.policy": "compact"})
