"""Wall-clock RAG alerts: which open episodes are nearly due or overdue now, whether or not
any event has arrived since (the episode join sees a breach only when later data moves its
event-time watermark).

A pure stage: the linkage worker's timer calls `due_alerts` with the episodes it holds, its
clock (``settings.clock()``, so tests and demos can shift it) and the alerts it has raised
already. A warning comes ``warning`` before the due time, counted as the policy counts
hours (working hours skip evenings, weekends and bank holidays, Europe/London); a breach at
the due time. Each alert is raised once per episode, kind and due time (``alert_id``); a
repeat after a restart is the same row to the sinks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Set

from schemas.alerts import Alert, AlertKind
from schemas.hub import EpisodeSnapshot
from streams.episodes import RagPolicy, due_at

__all__ = ["alert_id", "due_alerts", "warns_at"]

_AHEAD = "warning"


def alert_id(snapshot: EpisodeSnapshot, kind: AlertKind) -> str:
    """The alert's key: episode, kind and the due time it is about."""
    assert snapshot.due_at is not None
    due = snapshot.due_at.astimezone(dt.UTC).isoformat(timespec="seconds")
    return f"{snapshot.episode_id}|{kind.value}|{due}"


def warns_at(now: dt.datetime, due: dt.datetime, warning: dt.timedelta, policy: RagPolicy) -> bool:
    """Whether ``due`` is within ``warning`` of ``now``, counted as the policy counts hours."""
    ahead = RagPolicy(
        hours={_AHEAD: warning.total_seconds() / 3600}, counting=policy.counting, day=policy.day
    )
    return due_at(now, _AHEAD, ahead) >= due


def due_alerts(
    snapshots: Iterable[EpisodeSnapshot],
    now: dt.datetime,
    policy: RagPolicy,
    warning: dt.timedelta,
    raised: Set[str] = frozenset(),
) -> list[Alert]:
    """The alerts due at ``now`` on undecided, rated episodes and not in ``raised``: a breach
    once the due time has come, else a warning once it is within ``warning`` (none if
    ``warning`` is zero). By episode id."""
    out = []
    for s in sorted(snapshots, key=lambda s: s.episode_id):
        if s.decided_at is not None or s.due_at is None or s.rag_rating is None:
            continue
        if s.due_at <= now:
            kind = AlertKind.BREACH
        elif warning > dt.timedelta(0) and warns_at(now, s.due_at, warning, policy):
            kind = AlertKind.WARNING
        else:
            continue
        key = alert_id(s, kind)
        if key not in raised:
            out.append(
                Alert(
                    alert_id=key,
                    episode_id=s.episode_id,
                    person_id=s.person_id,
                    kind=kind,
                    rag_rating=s.rag_rating,
                    due_at=s.due_at,
                    raised_at=now,
                )
            )
    return out
