"""The reviewers' screen: the possible-match queue, a pair side by side (escaped, recorded in
the access log), and verdicts published as linkage decisions with a required reason."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from console.access_log import AccessLog
from console.review import agreements, is_twins_guard
from schemas.childrens_services import LinkageDecision, ReviewVerdict
from schemas.framing import decode
from schemas.hub import Link, LinkOutcomeKind, PossibleMatch
from schemas.limits import REASON_CHARS
from sinks.identities import upsert_identities
from sinks.reviews import store_decisions, store_possible_matches
from tests.unit.console.conftest import KEY, NOW, SCRIPT, Hub, csrf_of, identity, sign_in

TWINS = (
    "possibly related (twins or siblings guard: same birth date, family name and postcode, "
    "two given names): given_name=DIFFERENT(-4.5), family_name=EXACT(+6.2), "
    "date_of_birth=EXACT(+7.0)"
)
PAIR = "/reviews/POLICE:PN-1/POLICE:PN-7"


def _offer(hub: Hub, explanation: str = TWINS) -> None:
    hub.store.upsert_links(
        [
            Link(
                record_id="POLICE:PN-7",
                event_id="ev7",
                event_type="police.notification",
                person_id="P7",
                outcome=LinkOutcomeKind.NEW_PERSON,
                weight=0.0,
                explanation="new person",
            )
        ]
    )
    upsert_identities(hub.store, [identity("POLICE:PN-7", SCRIPT, None)])
    match = PossibleMatch(
        record_id="POLICE:PN-7",
        candidate_record_id="POLICE:PN-1",
        candidate_person_id="P1",
        weight=8.7,
        explanation=explanation,
        model_version="model-2026-11",
    )
    store_possible_matches(hub.store, [match], NOW - dt.timedelta(hours=3))


def _decisions(hub: Hub) -> list[tuple[str, LinkageDecision]]:
    found = []
    for kind, topic, value in hub.out.writes:
        event = decode(value) if kind == "event" else None
        if isinstance(event, LinkageDecision):
            found.append((topic, event))
    return found


def test_the_explanation_gives_each_fields_agreement_and_names_the_guard() -> None:
    fields = [(a.field, a.level, a.weight) for a in agreements(TWINS)]
    assert fields == [
        ("given_name", "DIFFERENT", -4.5),
        ("family_name", "EXACT", 6.2),
        ("date_of_birth", "EXACT", 7.0),
    ]
    assert is_twins_guard(TWINS) and not is_twins_guard("probabilistic: sex=EXACT(+0.5)")


def test_only_reviewers_and_managers_see_the_queue_oldest_first(hub: Hub) -> None:
    _offer(hub)
    for name, status in (("analyst", 403), ("board", 403), ("reviewer", 200), ("manager", 200)):
        client = hub.client()
        sign_in(client, name)
        assert client.get(PAIR).status_code == status, name
        response = client.get("/reviews")
        assert response.status_code == status, name
    assert "1 pairs waiting" in response.text and "3.0 h" in response.text
    assert "POLICE:PN-7" in response.text and SCRIPT not in response.text  # ids only


def test_a_pair_page_is_escaped_shows_the_weights_and_the_twins_warning(hub: Hub) -> None:
    _offer(hub)
    client = hub.client()
    sign_in(client, "reviewer")
    page = client.get(PAIR).text
    assert SCRIPT not in page and "&lt;script&gt;" in page and "Amelia" in page
    assert 'id="twins"' in page and "model-2026-11" in page and "8.70" in page
    assert "<td>given_name</td><td>DIFFERENT</td><td>-4.5</td>" in page
    assert "two given names)</span>" in page  # the rule, whole
    viewed = AccessLog(hub.store, KEY).accesses()[0]
    assert (viewed.page, viewed.purpose) == ("review pair", "linkage review")
    assert viewed.shown.split()[:2] == ["POLICE:PN-1", "POLICE:PN-7"]
    _offer(hub, "probabilistic: sex=EXACT(+0.5)")
    assert 'id="twins"' not in client.get(PAIR).text
    assert client.get("/reviews/POLICE:PN-1/POLICE:nope").status_code == 404


def test_a_verdict_needs_a_reason_and_the_token_and_is_published(hub: Hub) -> None:
    _offer(hub)
    client: TestClient = hub.client()
    sign_in(client, "reviewer")
    token = csrf_of(client.get(PAIR).text)
    response = client.post(PAIR, data={"csrf": token, "verdict": "same", "reason": " "})
    assert response.status_code == 400 and "a reason is required" in response.text
    too_long = {"csrf": token, "verdict": "same", "reason": "x" * (REASON_CHARS + 1)}
    response = client.post(PAIR, data=too_long)
    assert response.status_code == 400 and "reason" in response.text
    response = client.post(PAIR, data={"verdict": "same", "reason": "same NHS letter"})
    assert response.status_code == 403
    assert _decisions(hub) == []
    response = client.post(PAIR, data={"csrf": token, "verdict": "same", "reason": "GP letter"})
    assert response.status_code == 303
    ((topic, decision),) = _decisions(hub)
    assert topic.endswith(".childrens_services.linkage_decisions")
    assert (decision.record_id, decision.other_record_id) == ("POLICE:PN-1", "POLICE:PN-7")
    assert (decision.verdict, decision.decided_by) == (ReviewVerdict.SAME_PERSON, "reviewer")
    acted = AccessLog(hub.store, KEY).accesses()
    assert any(a.page == "review" and a.purpose == "GP letter" for a in acted)


def test_a_decided_pair_leaves_the_queue(hub: Hub) -> None:
    _offer(hub)
    client = hub.client()
    sign_in(client, "reviewer")
    token = csrf_of(client.get(PAIR).text)
    client.post(PAIR, data={"csrf": token, "verdict": "not_same", "reason": "twins, GP says"})
    ((_, decision),) = _decisions(hub)
    assert decision.verdict is ReviewVerdict.NOT_SAME_PERSON
    store_decisions(hub.store, [decision])  # as the sinks store it
    assert "0 pairs waiting" in client.get("/reviews").text
