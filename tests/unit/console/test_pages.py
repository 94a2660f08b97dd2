"""Deny by default: every route for every role; the screens; escaping; the access log."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from console.auth import guards
from console.users import Role
from tests.unit.console.conftest import SCRIPT, Hub, shows, sign_in

STAFF = {Role.ANALYST, Role.REVIEWER, Role.MANAGER}
# every GET route with a concrete path, and who may open it (written out, not read from the app)
PAGES = {
    "/queue": STAFF,
    "/api/queue": STAFF,
    "/episodes/E1": STAFF,
    "/persons/P1?purpose=checking": STAFF,
    "/search?person=P1&purpose=checking": STAFF,
    "/board": {Role.BOARD, Role.MANAGER},
    "/manager": {Role.MANAGER},
    "/reviews": {Role.REVIEWER, Role.MANAGER},
    "/audit/access": {Role.AUDITOR},
}
PUBLIC = {"/login", "/static/console.css", "/static/queue.js", "/healthz"}
PAIR = "/reviews/{record_id}/{other_record_id}"  # who may open it: tests/unit/console/test_reviews


def _templated(path: str) -> str:
    return re.sub(
        r"/(E1|P1)\b",
        lambda m: "/{episode_id}" if m[1] == "E1" else "/{person_id}",
        path.split("?")[0],
    )


def test_every_route_names_its_roles_once_and_the_table_covers_them(hub: Hub) -> None:
    app = hub.client().app
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert all(len(guards(r)) == 1 for r in routes)
    gets = {r.path for r in routes if "GET" in r.methods}
    assert gets == {_templated(p) for p in PAGES} | PUBLIC | {"/", PAIR}


def test_an_unguarded_route_is_refused_when_the_app_is_built(hub: Hub) -> None:
    from console.auth import check_routes
    from plumbing.errors import ConsoleError

    app = hub.client().app

    @app.get("/open")
    def open_page() -> str:
        return "anyone"

    with pytest.raises(ConsoleError, match="/open names no roles"):
        check_routes(app)


def test_without_a_session_pages_redirect_and_api_answers_401(hub: Hub) -> None:
    client = hub.client()
    for path in [*PAGES, "/"]:
        response = client.get(path)
        if path.startswith("/api/"):
            assert response.status_code == 401, path
        else:
            assert response.status_code == 303 and response.headers["location"] == "/login", path
    for path in PUBLIC:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_what_it_may_and_gets_403_elsewhere(hub: Hub, role: Role) -> None:
    client = hub.client()
    assert sign_in(client, role.value) == 303
    for path, allowed in PAGES.items():
        expected = 200 if role in allowed else 403
        assert client.get(path).status_code == expected, (role, path)


def test_board_users_never_see_an_identifier_on_any_page(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "board")
    seen = "".join(client.get(p).text for p in [*PAGES, *PUBLIC])
    names = ("Amelia", "Whitfield", "2008-02-29", "9434765919", "LS1 4AP", "Mill Lane")
    for identifying in ("P1", "E1", "PN-1", "POLICE:PN-1", "nhs_number", "surname", *names):
        assert not shows(seen, identifying), identifying


def test_an_identifier_is_looked_for_as_a_whole_token() -> None:
    assert shows('<a href="/episodes/E1">', "E1") and shows("<td>P1</td>", "P1")
    assert shows("POLICE:PN-1 ", "PN-1") and shows("E1", "E1")
    assert not shows('value="5ORxvYvKoME1uONmDYTBo"', "E1") and not shows("E12", "E1")


QUEUE_SCRIPT = '<script src="/static/queue.js" defer></script>'
"""The console's one script: the queue's refresh, a static file."""


def _inline_scripts(page: str) -> int:
    """Script elements in a page other than the queue's static refresh script."""
    return page.count("<script") - page.count(QUEUE_SCRIPT)


def test_the_queue_refreshes_itself_with_a_static_script_keeping_its_filters(hub: Hub) -> None:
    client = hub.client(console_queue_refresh_s=3.0)
    sign_in(client, "analyst")
    page = client.get("/queue?tenant=LBB").text
    assert page.count(QUEUE_SCRIPT) == 1 and '<div id="live" data-refresh="3.0">' in page
    script = hub.client().get("/static/queue.js")  # static: served without a session
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "window.location.href" in script.text  # fetches its own URL, filters and all
    assert "X-Console-Refresh" in script.text and "innerHTML" not in script.text


def test_a_refresh_does_not_keep_an_idle_session_alive(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    idle = hub.settings.console_idle_timeout_s
    hub.clock.t += idle * 0.6
    assert client.get("/queue", headers={"X-Console-Refresh": "1"}).status_code == 200
    hub.clock.t += idle * 0.6  # past the timeout since the analyst last used the console
    refreshed = client.get("/queue", headers={"X-Console-Refresh": "1"})
    assert refreshed.status_code == 303 and refreshed.headers["location"] == "/login"
    other = hub.client()
    sign_in(other, "analyst")
    hub.clock.t += idle * 0.6
    assert other.get("/queue").status_code == 200  # a page the analyst opens is use
    hub.clock.t += idle * 0.6
    assert other.get("/queue").status_code == 200


def test_responses_carry_the_security_headers(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    headers = client.get("/queue").headers
    assert headers["content-security-policy"].startswith("default-src 'self';")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    page = client.get("/queue").text
    assert _inline_scripts(page) == 0 and "http://" not in page and "https://" not in page


def test_queue_puts_the_breached_episode_first_then_by_time_left(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    page = client.get("/queue").text
    assert re.findall(r'href="/episodes/(E\d)"', page) == ["E2", "E3", "E9", "E1"]
    assert "breached 1h 00m ago" in page
    red = client.get("/queue?rag=RED").text
    assert re.findall(r'href="/episodes/(E\d)"', red) == ["E2"]
    assert re.findall(r'href="/episodes/(E\d)"', client.get("/queue?agency=HEALTH").text) == []


def test_queue_filters_by_tenant_and_keeps_the_filters_chosen(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    page = client.get("/queue?tenant=LBB&rag=AMBER").text
    assert re.findall(r'href="/episodes/(E\d)"', page) == ["E9"]
    assert '<option value="LBB" selected>' in page and '<option value="AMBER" selected>' in page
    assert '<option value="LBH">' in page  # every open episode's tenant is offered
    lbh = client.get("/queue?tenant=LBH").text
    assert re.findall(r'href="/episodes/(E\d)"', lbh) == ["E2", "E3", "E1"]
    assert re.findall(r'href="/episodes/(E\d)"', client.get("/queue?tenant=XYZ").text) == []


def test_episode_shows_provenance_and_the_childs_links(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    page = client.get("/episodes/E1").text
    for shown in (
        "POLICE",
        "PN-1",
        "ev1",
        "police.notification",
        "11.50",
        "nhs_number exact +9.1; surname jaro-winkler +2.4",
        "GREEN",
    ):
        assert shown in page, shown
    person = client.get("/persons/P1?purpose=checking").text
    for identifying in (
        "Amelia",
        "Whitfield",
        "2008-02-29",
        "9434765919",
        "LS1 4AP",
        "12 Mill Lane",
    ):
        assert identifying in page and identifying in person, identifying
    assert client.get("/episodes/NOPE").status_code == 404


def test_free_text_is_escaped_and_inert(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    for path in ("/episodes/E9", "/persons/P9?purpose=x", "/queue", "/search?person=P9&purpose=x"):
        page = client.get(path).text
        assert _inline_scripts(page) == 0, path
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert escaped in client.get("/episodes/E9").text
    # the contracts let a name hold any non-blank text: a given name of `<script>...` too
    assert f'<td class="name">{escaped}</td>' in client.get("/persons/P9?purpose=x").text
    assert SCRIPT not in client.get("/persons/P9?purpose=" + SCRIPT).text


def _accesses(client: TestClient) -> list[list[str]]:
    page = client.get("/audit/access").text
    rows = re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", page, flags=re.S)
    return [[n, *re.findall(r"<td>(.*?)</td>", rest)] for n, rest in rows]


def test_every_view_of_identifiable_data_is_in_the_access_log(hub: Hub) -> None:
    analyst, auditor = hub.clients("10.0.0.1", "10.0.0.2")
    sign_in(analyst, "analyst")
    sign_in(auditor, "auditor")
    analyst.get("/queue")  # ids of episodes only: not a view of a child's records
    analyst.get("/episodes/E1?purpose=strategy meeting")
    analyst.get("/persons/P1")  # no purpose: asked for one, nothing shown, nothing logged
    analyst.get("/search?person=P1")  # likewise
    analyst.get("/search?person=P1&purpose=police enquiry")
    rows = _accesses(auditor)
    assert [r[0] for r in rows] == ["2", "1"]  # latest first
    (_, _, user2, role2, page2, why2, person2, shown2) = rows[0]
    assert (user2, role2, page2, why2, person2) == (
        "analyst",
        "analyst",
        "search",
        "police enquiry",
        "P1",
    )
    assert shown2.split() == ["P1", "POLICE:PN-1", "E1", "E2", "E3"]
    assert rows[1][4:7] == ["episode", "strategy meeting", "P1"]
    assert rows[1][7].split() == ["E1", "ev1", "POLICE:PN-1"]
    assert "Chain intact: 2 records." in auditor.get("/audit/access").text
    only_p9 = auditor.get("/audit/access?person=P9").text
    assert "No views recorded." in only_p9


def test_a_person_search_requires_a_purpose(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    response = client.get("/search?person=P1")
    assert response.status_code == 400 and "State why you are searching" in response.text
    assert "POLICE:PN-1" not in response.text
    assert client.get("/persons/P1").status_code == 400


def test_sign_out_ends_the_session(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "manager")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/queue").text)
    assert token
    assert client.post("/logout", data={"csrf": token[1]}).headers["location"] == "/login"
    assert client.get("/board").status_code == 303
