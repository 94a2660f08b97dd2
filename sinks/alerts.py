"""The hub's RAG alerts as the sinks keep them: each once by its alert id (a repeat after a
hub restart is the same row), and the open alerts the console's queue shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from schemas.alerts import Alert
from sinks.store import Store
from sinks.tables import alerts

__all__ = ["StoredAlert", "read_alerts", "store_alerts"]


@dataclass(frozen=True)
class StoredAlert:
    """An alert: its episode, kind, rating and times."""

    alert_id: str
    episode_id: str
    kind: str
    rag_rating: str
    due_at: dt.datetime
    raised_at: dt.datetime


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def store_alerts(store: Store, rows: Sequence[Alert]) -> None:
    """Keep each alert once (the first raising of it)."""
    if not rows:
        return
    values = {
        a.alert_id: {
            "alert_id": a.alert_id,
            "episode_id": a.episode_id,
            "kind": a.kind.value,
            "rag_rating": a.rag_rating,
            "due_at": _utc(a.due_at),
            "raised_at": _utc(a.raised_at),
        }
        for a in reversed(rows)
    }
    stmt = store.insert(alerts).on_conflict_do_nothing(index_elements=["alert_id"])
    with store.engine.begin() as conn:
        conn.execute(stmt, list(values.values()))


def read_alerts(store: Store, episode_ids: Sequence[str] | None = None) -> list[StoredAlert]:
    """The alerts (of those episodes), latest raised first."""
    query = select(alerts).order_by(alerts.c.raised_at.desc(), alerts.c.alert_id)
    if episode_ids is not None:
        query = query.where(alerts.c.episode_id.in_(list(episode_ids)))
    with store.engine.connect() as conn:
        return [
            StoredAlert(
                r.alert_id,
                r.episode_id,
                r.kind,
                r.rag_rating,
                dt.datetime.fromisoformat(r.due_at),
                dt.datetime.fromisoformat(r.raised_at),
            )
            for r in conn.execute(query)
        ]
