"""The hub's RAG alerts (topic ``hub.alerts``): an open episode's decision is nearly due
(``WARNING``) or overdue (``BREACH``), by the wall clock. Ids and times only.

Each alert is keyed by ``alert_id`` (episode, kind and due time): a repeat of it, after a
restart, is the same row to the sinks.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from schemas.common import Timestamp

__all__ = ["Alert", "AlertKind"]


class AlertKind(StrEnum):
    """How close the decision is to its due time."""

    WARNING = "WARNING"
    BREACH = "BREACH"


class Alert(BaseModel):
    """One RAG alert on an open episode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    episode_id: str
    person_id: str
    kind: AlertKind
    rag_rating: str
    due_at: Timestamp
    raised_at: Timestamp
