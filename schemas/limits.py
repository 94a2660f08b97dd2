"""Lengths the contracts and the database share, defined once: the pydantic models refuse
at the edge what a column could not hold (``sinks.tables`` sizes its columns from here)."""

from __future__ import annotations

__all__ = [
    "AGENCY_CHARS",
    "EVENT_TYPE_CHARS",
    "LINKAGE_ID_CHARS",
    "REASON_CHARS",
    "RECORD_KEY_CHARS",
    "UNBORN_DUE_WITHIN_DAYS",
    "USER_ID_CHARS",
]

AGENCY_CHARS = 32
"""An agency's name (``facts.agency``, ``contact_counts.agency``)."""

EVENT_TYPE_CHARS = 64
"""An event type (``facts.event_type``, ``links.event_type``)."""

RECORD_KEY_CHARS = 120
"""An agency's record key, ``<AGENCY>:<agency_record_id>`` (``facts.record_key``): the
contract refuses an ``agency_record_id`` that would make it longer."""

LINKAGE_ID_CHARS = 80
"""A linkage record id as a reviewer's decision names it (``linkage_decisions.record_id``)."""

USER_ID_CHARS = 80
"""A user's id: a console user's name, the reviewer who made a decision
(``linkage_decisions.decided_by``)."""

REASON_CHARS = 2_000
"""A reviewer's stated reason (``LinkageDecision.reason``, ``linkage_decisions.reason``): a few
sentences, not a case file; anything longer is refused rather than stored."""

UNBORN_DUE_WITHIN_DAYS = 305
"""An expected date of delivery further ahead than this (about ten months: a pregnancy is
forty weeks) is refused as a mistake."""
