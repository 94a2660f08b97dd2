"""Analysts' actions: validated forms, one-line errors, each published as a children's
services event naming the child and recorded in the console's chain with its reason."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from console.access_log import AccessLog
from schemas.childrens_services import Contact, MashDecision, ResearchRequest
from schemas.framing import decode
from sinks.linkage_quality import refresh_linkage_quality
from tests.unit.console.conftest import KEY, NOW, Hub, csrf_of, sign_in


def _act(client: TestClient, episode: str, **form: str) -> tuple[int, str]:
    token = csrf_of(client.get(f"/episodes/{episode}").text)
    response = client.post(f"/episodes/{episode}/act", data={"csrf": token, **form})
    return response.status_code, response.text


def _events(hub: Hub) -> list[tuple[str, object]]:
    return [(topic, decode(v)) for kind, topic, v in hub.out.writes if kind == "event"]


def test_a_rating_needs_a_reason_and_becomes_a_contact_naming_the_child(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    status, page = _act(client, "E1", action="rag", rating="RED", reason="")
    assert status == 400 and "a reason for the rating is required" in page
    assert _events(hub) == []
    status, _ = _act(client, "E1", action="rag", rating="RED", reason="bruising, age 4")
    assert status == 303
    ((topic, contact),) = _events(hub)
    assert topic.endswith(".childrens_services.contacts") and isinstance(contact, Contact)
    assert (contact.rag_rating.value, contact.contact_id) == ("RED", "C-E1")
    assert (contact.subject.given_name, contact.subject.nhs_number) == ("Amelia", "9434765919")
    assert contact.occurred_at == NOW - dt.timedelta(hours=5)  # the episode's receipt
    acted = AccessLog(hub.store, KEY).accesses()[0]
    assert (acted.page, acted.purpose, acted.shown) == (
        "rag",
        "bruising, age 4",
        f"E1 {contact.event_id}",
    )


def test_research_and_decisions_need_the_episodes_contact_and_valid_fields(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    status, page = _act(client, "E1", action="decision", outcome="EARLY_HELP")
    assert status == 400 and "set the RAG rating first" in page
    status, page = _act(client, "E1", action="research", agency="HEALTH", due="2013-01-11T09:00")
    assert status == 400 and "set the RAG rating first" in page
    with hub.store.engine.begin() as conn:  # the hub joined a contact to E1
        from sinks.tables import episodes

        snapshot = conn.execute(episodes.select().where(episodes.c.episode_id == "E1")).first()
        assert snapshot is not None
        updated = snapshot.snapshot.replace('"contact_id":null', '"contact_id":"C-9"')
        conn.execute(
            episodes.update().values(snapshot=updated).where(episodes.c.episode_id == "E1")
        )
    status, page = _act(client, "E1", action="research", agency="HEALTH", due="2013-01-09T09:00")
    assert status == 400 and "the due time has passed already" in page
    status, page = _act(client, "E1", action="decision", outcome="MAYBE")
    assert status == 400 and "decision:" in page
    assert _act(client, "E1", action="research", agency="HEALTH", due="2013-01-11T09:00")[0] == 303
    assert _act(client, "E1", action="decision", outcome="EARLY_HELP")[0] == 303
    (_, research), (_, decision) = _events(hub)
    assert isinstance(research, ResearchRequest) and isinstance(decision, MashDecision)
    assert research.contact_id == decision.contact_id == "C-9"
    assert [a.value for a in research.requested_agencies] == ["HEALTH"]
    assert decision.decision.value == "EARLY_HELP"


def test_only_analysts_act_and_only_with_the_forms_token(hub: Hub) -> None:
    manager = hub.client()
    sign_in(manager, "manager")
    token = (
        csrf_of(manager.get("/episodes/E1").text)
        if "csrf" in manager.get("/episodes/E1").text
        else ""
    )
    response = manager.post("/episodes/E1/act", data={"csrf": token, "action": "decision"})
    assert response.status_code == 403
    analyst = hub.client()
    sign_in(analyst, "analyst")
    response = analyst.post(
        "/episodes/E1/act", data={"action": "rag", "rating": "RED", "reason": "x"}
    )
    assert response.status_code == 403 and _events(hub) == []


def test_the_manager_sees_queue_health_and_the_linkage_figures_once_computed(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "manager")
    page = client.get("/manager").text
    # the fixture's open episodes: E1 GREEN, E2 RED (breached an hour ago, today), E3 and E9 AMBER
    for rag, n in (("RED", 1), ("AMBER", 2), ("GREEN", 1)):
        assert f'<td class="rag rag-{rag}">{rag}</td><td>{n}</td>' in page
    assert '<dd id="breaches-today">1</dd>' in page
    assert "no decisions yet" in page and "None overdue." in page
    assert "0 possible matches awaiting review" in page
    assert "No linkage figures yet" in page
    refresh_linkage_quality(hub.store, dt.datetime.now(dt.UTC))  # as the sinks do
    page = client.get("/manager").text
    assert "Linkage quality" in page and "Possible matches waiting" in page
    assert "No linkage figures yet" not in page and "Amelia" not in page
