"""The hub's RAG alerts, as the sinks store them, on the analysts' queue: once each, a breach
badge on its episode's row."""

from __future__ import annotations

import datetime as dt

from schemas.alerts import Alert, AlertKind
from sinks.alerts import read_alerts, store_alerts
from tests.unit.console.conftest import NOW, Hub, sign_in


def _alert(episode: str, kind: AlertKind, raised: dt.datetime) -> Alert:
    due = NOW - dt.timedelta(hours=1)
    return Alert(
        alert_id=f"{episode}|{kind.value}|{due.isoformat()}",
        episode_id=episode,
        person_id="P1",
        kind=kind,
        rag_rating="AMBER",
        due_at=due,
        raised_at=raised,
    )


def test_alerts_are_stored_once_and_shown_on_the_queue(hub: Hub) -> None:
    warning = _alert("E3", AlertKind.WARNING, NOW - dt.timedelta(hours=2))
    breach = _alert("E3", AlertKind.BREACH, NOW - dt.timedelta(hours=1))
    store_alerts(hub.store, [warning, breach])
    store_alerts(hub.store, [breach.model_copy(update={"raised_at": NOW})])  # a repeat
    stored = read_alerts(hub.store)
    assert [(a.kind, a.raised_at) for a in stored] == [
        ("BREACH", NOW - dt.timedelta(hours=1)),
        ("WARNING", NOW - dt.timedelta(hours=2)),
    ]
    client = hub.client()
    sign_in(client, "analyst")
    page = client.get("/queue").text
    assert 'id="alerts"' in page and page.count('class="alert alert-') == 2
    assert '<span class="badge badge-BREACH">BREACH</span>' in page
