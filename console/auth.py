"""Who is asking, and may they: one `allow` dependency per route, naming the roles.

A request is signed in by its session cookie, or, where configured, by an authenticating
proxy's identity header from a trusted address (the user's role still comes from the users
table). Without a session a page answers 303 to /login and an API call 401; a signed-in user
whose role is not named gets 403. Every POST must carry its session's CSRF token. A route
with no `allow` is refused when the app is built (`check_routes`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute

from console.sessions import LoginLimiter, Session, Sessions
from console.users import Role, User, UserStore
from plumbing.errors import ConsoleError
from plumbing.settings import ConsoleSettings

__all__ = [
    "COOKIE",
    "REFRESH",
    "Allowed",
    "BadForm",
    "Forbidden",
    "Guard",
    "NotSignedIn",
    "Viewer",
    "allow",
    "check_routes",
]

COOKIE = "mash_console"
REFRESH = "X-Console-Refresh"
"""Header of a page's own refresh (``static/queue.js``): it does not keep the session alive."""


class NotSignedIn(Exception):
    """No live session: sign in first."""


class Forbidden(Exception):
    """Signed in, but the role may not see this."""


class BadForm(Exception):
    """A POST without its session's CSRF token."""


@dataclass(frozen=True)
class Viewer:
    """The request's session and its user (None on the public pages before sign-in)."""

    session: Session | None
    form: dict[str, str]

    @property
    def user(self) -> User:
        """The signed-in user (only on routes that require one)."""
        assert self.session is not None and self.session.user is not None
        return self.session.user


@dataclass
class Guard:
    """What the `allow` dependency needs: the sessions, the users, the proxy settings."""

    settings: ConsoleSettings
    sessions: Sessions
    users: UserStore
    limiter: LoginLimiter

    def session(self, request: Request) -> Session | None:
        """The request's live session: from the proxy's header where it is trusted and
        present (authoritative: naming no enabled user, nobody is signed in), else from the
        cookie."""
        cookie = request.cookies.get(COOKIE)
        session = self.sessions.get(cookie, touch=REFRESH not in request.headers)
        named = self._proxied_name(request)
        if named is not None:
            user = self.users.get(named)
            if user is None or user.disabled:
                self.sessions.end(cookie)
                return None
            if session is None or session.user is None or session.user.name != user.name:
                request.state.new_session, session = self.sessions.start(user)
            return session
        if session is None or session.user is None:
            return session
        current = self.users.get(session.user.name)  # disabled, or role changed, since
        if current is None or current.disabled:
            self.sessions.end(cookie)
            return None
        session.user = current
        return session

    def _proxied_name(self, request: Request) -> str | None:
        header = self.settings.console_trusted_user_header
        client = request.client.host if request.client else ""
        if header is None or client not in self.settings.trusted_proxies:
            return None
        return request.headers.get(header)


class Allowed:
    """The authorization dependency: the roles a route allows (None: a public page)."""

    def __init__(self, roles: frozenset[Role] | None) -> None:
        self.roles = roles

    async def __call__(self, request: Request) -> Viewer:
        guard: Guard = request.app.state.guard
        session = guard.session(request)
        form = await _form(request)
        if request.method == "POST" and (session is None or not session.csrf_ok(form.get("csrf"))):
            raise BadForm()
        if self.roles is None:
            return Viewer(session, form)
        if session is None or session.user is None:
            raise NotSignedIn()
        if session.user.role not in self.roles:
            raise Forbidden()
        return Viewer(session, form)


async def _form(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    body = (await request.body())[:65536].decode("utf-8", "replace")
    return {k: v[0] for k, v in urllib.parse.parse_qs(body, max_num_fields=20).items()}


def allow(*roles: Role, public: bool = False) -> Any:
    """The dependency of a route: who may open it (``public`` for sign-in and static files)."""
    if public == bool(roles):
        raise ConsoleError("a route names its roles, or is public, not both or neither")
    return Depends(Allowed(None if public else frozenset(roles)))


def guards(route: APIRoute) -> list[Allowed]:
    """The `allow` dependencies of a route."""
    return [d.call for d in route.dependant.dependencies if isinstance(d.call, Allowed)]


def check_routes(app: FastAPI, exempt: Iterable[str] = ()) -> None:
    """Refuse an app with a route that names no roles (deny by default)."""
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path not in exempt and len(guards(route)) != 1:
            raise ConsoleError(f"console route {route.path} names no roles (one `allow` each)")
