"""Sign-in, sessions, CSRF, the sign-in limit, the idle timeout and the proxy's identity."""

from __future__ import annotations

from console.auth import COOKIE
from tests.unit.console.conftest import PASSWORD, Hub, csrf_of, sign_in


def test_sign_in_sets_a_strict_httponly_cookie_and_opens_the_queue(hub: Hub) -> None:
    client = hub.client()
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": "analyst", "password": PASSWORD, "csrf": token})
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert client.get("/queue").status_code == 200


def test_secure_cookies_when_served_over_tls(hub: Hub) -> None:
    client = hub.client(console_secure_cookies=True)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": "analyst", "password": PASSWORD, "csrf": token})
    assert "Secure" in response.headers["set-cookie"]


def test_sign_in_gives_a_new_session_id(hub: Hub) -> None:
    client = hub.client()
    client.get("/login")
    before = client.cookies[COOKIE]
    assert sign_in(client, "analyst") == 303
    assert client.cookies[COOKIE] != before  # no session fixation


def test_wrong_password_and_unknown_or_disabled_users_are_refused(hub: Hub) -> None:
    client = hub.client()
    assert sign_in(client, "analyst", "wrong password!!") == 401
    assert sign_in(client, "nobody") == 401
    from console.users import UserStore

    UserStore(hub.store).disable("reviewer")
    assert sign_in(client, "reviewer") == 401


def test_disabling_a_user_ends_their_session(hub: Hub) -> None:
    from console.users import UserStore

    client = hub.client()
    sign_in(client, "analyst")
    UserStore(hub.store).disable("analyst")
    assert client.get("/queue").status_code == 303


def test_a_role_changed_mid_session_applies_at_the_next_request(hub: Hub) -> None:
    from sqlalchemy import update

    from sinks.tables import console_users

    client = hub.client()
    sign_in(client, "analyst")
    assert client.get("/queue").status_code == 200
    with hub.store.engine.begin() as conn:  # an administrator makes the analyst a board user
        conn.execute(
            update(console_users).where(console_users.c.name == "analyst").values(role="board")
        )
    assert client.get("/queue").status_code == 403
    assert client.get("/board").status_code == 200


def test_a_post_without_the_sessions_csrf_token_is_refused(hub: Hub) -> None:
    client = hub.client()
    sign_in(client, "analyst")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/queue").status_code == 200  # still signed in
    other = hub.client()
    stolen = csrf_of(other.get("/login").text)  # another session's token
    assert client.post("/logout", data={"csrf": stolen}).status_code == 403
    token = csrf_of(client.get("/queue").text)
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    assert client.get("/queue").status_code == 303  # signed out


def test_sign_in_form_needs_its_token_too(hub: Hub) -> None:
    client = hub.client()
    client.get("/login")
    response = client.post("/login", data={"name": "analyst", "password": PASSWORD})
    assert response.status_code == 403


def test_failed_sign_ins_are_limited_per_user_and_per_address(hub: Hub) -> None:
    client, elsewhere = hub.clients("10.0.0.9", "10.0.0.10")
    for _ in range(5):
        assert sign_in(client, "analyst", "wrong password!!") == 401
    assert sign_in(client, "analyst") == 429  # the right password, refused for now
    assert sign_in(elsewhere, "analyst") == 429  # per user, from any address
    assert sign_in(client, "manager") == 429  # per address, for any user
    assert sign_in(elsewhere, "manager") == 303
    hub.clock.t += 61
    assert sign_in(client, "analyst") == 303


def test_the_limit_message_is_clear(hub: Hub) -> None:
    client = hub.client()
    for _ in range(5):
        sign_in(client, "analyst", "wrong password!!")
    token = csrf_of(client.get("/login").text)
    page = client.post("/login", data={"name": "analyst", "password": "x", "csrf": token}).text
    assert "Too many failed sign-ins" in page


def test_an_idle_session_ends(hub: Hub) -> None:
    client = hub.client(console_idle_timeout_s=600)
    sign_in(client, "analyst")
    hub.clock.t += 599
    assert client.get("/queue").status_code == 200  # used: the idle time starts again
    hub.clock.t += 599
    assert client.get("/queue").status_code == 200
    hub.clock.t += 601
    assert client.get("/queue").status_code == 303
    assert client.get("/api/queue").status_code == 401


def test_proxy_identity_only_from_a_trusted_address(hub: Hub) -> None:
    proxy = {"console_trusted_user_header": "X-Forwarded-User"}
    trusted = hub.client("10.1.1.1", console_trusted_proxies="10.1.1.1", **proxy)
    as_analyst = {"X-Forwarded-User": "analyst"}
    assert trusted.get("/queue", headers=as_analyst).status_code == 200
    assert trusted.get("/audit/access", headers=as_analyst).status_code == 403  # role from table
    assert trusted.get("/queue", headers={"X-Forwarded-User": "nobody"}).status_code == 303
    untrusted = hub.client("10.1.1.2", console_trusted_proxies="10.1.1.1", **proxy)
    assert untrusted.get("/queue", headers=as_analyst).status_code == 303
    off = hub.client("10.1.1.1", console_trusted_proxies="10.1.1.1")  # no header configured
    assert off.get("/queue", headers=as_analyst).status_code == 303


def test_proxy_identity_switches_session_with_the_header(hub: Hub) -> None:
    proxy = {"console_trusted_user_header": "X-Forwarded-User"}
    client = hub.client("10.1.1.1", console_trusted_proxies="10.1.1.1", **proxy)
    assert client.get("/queue", headers={"X-Forwarded-User": "analyst"}).status_code == 200
    page = client.get("/audit/access", headers={"X-Forwarded-User": "auditor"})
    assert page.status_code == 200 and "auditor (auditor)" in page.text
