"""The console's web app: security headers, sign-in and sign-out, and the error pages.

Pages are rendered by Jinja2 with autoescaping; the stylesheet and the one script (the queue's
refresh) are static files, nothing is inline, and the CSP allows nothing but the console
itself.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from console.access_log import AccessLog
from console.action_pages import add_actions
from console.actions import OUTCOMES, RATINGS, Actions
from console.auth import (
    COOKIE,
    BadForm,
    Forbidden,
    Guard,
    NotSignedIn,
    Viewer,
    allow,
    check_routes,
)
from console.kafka_out import Out
from console.pages import add_pages
from console.review import Reviews
from console.review_pages import add_reviews
from console.screens import EpisodeView, Screens
from console.sessions import Clock, LoginLimiter, Sessions
from console.users import Role, UserStore
from plumbing.errors import ConsoleUnavailable
from plumbing.keys import key_secret
from plumbing.logs import get_logger
from plumbing.settings import ConsoleSettings
from schemas.common import Agency
from schemas.registry import codec_for
from sinks.store import Store

__all__ = ["SECURITY_HEADERS", "Console", "create_console"]

log = get_logger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
"""Sent with every response of the console."""

_HERE = Path(__file__).parent
_HOME = {Role.BOARD: "/board", Role.AUDITOR: "/audit/access"}


@dataclass
class Console:
    """What the routes share: settings, store readers, templates, clocks."""

    settings: ConsoleSettings
    out: Out
    guard: Guard
    screens: Screens
    access: AccessLog
    templates: Environment
    store: Store
    now: Callable[[], dt.datetime]
    actions: Actions
    reviews: Reviews

    def page(self, name: str, viewer: Viewer | None, status: int = 200, **data: object) -> Response:
        """A rendered page (autoescaped)."""
        session = viewer.session if viewer else None
        html = self.templates.get_template(name).render(
            user=session.user if session else None, csrf=session.csrf if session else "", **data
        )
        return HTMLResponse(html, status_code=status)

    def episode_page(
        self, viewer: Viewer, view: EpisodeView, purpose: str, status: int = 200, **data: object
    ) -> Response:
        """An episode's page, its view recorded in the access log first (write-ahead)."""
        now = self.now()
        shown = [view.snapshot.episode_id, *(c.event_id for c in view.contributions)]
        shown += [r.record_id for r in view.linked]
        person = view.snapshot.person_id
        self.access.record(viewer.user, "episode", purpose, shown, person, now)
        return self.page(
            "episode.html",
            viewer,
            status,
            view=view,
            now=now,
            purpose=purpose,
            ratings=RATINGS,
            outcomes=OUTCOMES,
            agencies=[a.value for a in Agency if a is not Agency.CHILDRENS_SERVICES],
            analyst=viewer.user.role is Role.ANALYST,
            **data,
        )


def create_console(
    settings: ConsoleSettings,
    audit_key: bytes,
    out: Out,
    *,
    clock: Clock = time.monotonic,
    now: Callable[[], dt.datetime] | None = None,
) -> FastAPI:
    """The console over the database named by the settings, writing its access records and
    actions to ``out`` (Kafka); ``clock`` times sessions and sign-in attempts, ``now`` the RAG
    clocks, the access log and the actions (both injectable)."""
    app = FastAPI(title="MASH Hub console", docs_url=None, redoc_url=None, openapi_url=None)
    store = Store(settings.database)
    users = UserStore(store)
    guard = Guard(
        settings,
        Sessions(settings.console_idle_timeout_s, clock),
        users,
        LoginLimiter(settings.console_login_attempts, settings.console_login_window_s, clock),
    )
    app.state.guard = guard
    templates = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    console = Console(
        settings,
        out,
        guard,
        Screens(store),
        AccessLog(store, audit_key, out),
        templates,
        store,
        now or settings.clock,
        Actions(settings, out, codec_for(settings), key_secret(settings)),
        Reviews(settings, store, out, codec_for(settings)),
    )
    _add_security(app, console)
    _add_sign_in(app, console)
    add_pages(app, console)
    add_actions(app, console)
    add_reviews(app, console)
    check_routes(app)
    return app


def _add_security(app: FastAPI, console: Console) -> None:
    secure = console.settings.console_secure_cookies

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        new_session = getattr(request.state, "new_session", None)
        if new_session is not None:
            response.set_cookie(
                COOKIE, new_session, httponly=True, samesite="strict", secure=secure, path="/"
            )
        return response

    @app.exception_handler(NotSignedIn)
    def not_signed_in(request: Request, _: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, _: Forbidden) -> Response:
        return console.page("error.html", None, 403, message="Your role may not see this page.")

    @app.exception_handler(ConsoleUnavailable)
    def unavailable(request: Request, exc: ConsoleUnavailable) -> Response:
        log.error("console.kafka_unavailable", path=request.url.path)
        message = "The access log (Kafka) is not answering: nothing is shown. Try again soon."
        return console.page("error.html", None, 503, message=message)

    @app.exception_handler(BadForm)
    def bad_form(request: Request, _: BadForm) -> Response:
        message = "The form had expired or was not sent by this console: reload and try again."
        return console.page("error.html", None, 403, message=message)


def _add_sign_in(app: FastAPI, console: Console) -> None:
    guard = console.guard

    @app.get("/login")
    def login_form(request: Request, viewer: Viewer = allow(public=True)) -> Response:
        if viewer.session is not None and viewer.session.user is not None:
            return RedirectResponse("/", status_code=303)
        if viewer.session is None:
            request.state.new_session, session = guard.sessions.start(None)
            viewer = Viewer(session, {})
        return console.page("login.html", viewer, message="")

    @app.post("/login")
    def login(request: Request, viewer: Viewer = allow(public=True)) -> Response:
        name, password = viewer.form.get("name", ""), viewer.form.get("password", "")
        address = request.client.host if request.client else ""
        if not guard.limiter.allowed(name, address):
            log.warning("console.login_limited", user=name)
            message = "Too many failed sign-ins: wait a minute, then try again."
            return console.page("login.html", viewer, 429, message=message)
        user = guard.users.authenticate(name, password)
        if user is None:
            guard.limiter.failed(name, address)
            log.info("console.login_failed", user=name)
            return console.page("login.html", viewer, 401, message="Wrong name or password.")
        guard.sessions.end(request.cookies.get(COOKIE))
        request.state.new_session, _ = guard.sessions.start(user)
        log.info("console.login", user=user.name, role=user.role.value)
        return RedirectResponse(_HOME.get(user.role, "/queue"), status_code=303)

    @app.post("/logout")
    def logout(request: Request, viewer: Viewer = allow(*Role)) -> Response:
        guard.sessions.end(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/")
    def home(viewer: Viewer = allow(*Role)) -> Response:
        return RedirectResponse(_HOME.get(viewer.user.role, "/queue"), status_code=303)

    @app.get("/static/console.css")
    def stylesheet(viewer: Viewer = allow(public=True)) -> Response:
        return Response((_HERE / "static" / "console.css").read_text(), media_type="text/css")

    @app.get("/static/queue.js")
    def queue_script(viewer: Viewer = allow(public=True)) -> Response:
        script = (_HERE / "static" / "queue.js").read_text()
        return Response(script, media_type="text/javascript")

    @app.get("/healthz")
    def health(viewer: Viewer = allow(public=True)) -> dict[str, str]:
        return {"status": "ok"}
