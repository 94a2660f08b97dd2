"""The console's screens: the analysts' queue, an episode, a person, a search, the board's
figures and the auditor's access log. Every view of identifiable data is recorded in the
access log before the page is returned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Response

from console.auth import Viewer, allow
from console.manager import RESEARCH, queue_health
from console.users import Role
from sinks.alerts import read_alerts
from sinks.linkage_quality import stored_linkage_quality
from sinks.report import build_report
from sinks.report_html import linkage_body, report_body

if TYPE_CHECKING:
    from console.app import Console

__all__ = ["STAFF", "add_pages"]

STAFF = (Role.ANALYST, Role.REVIEWER, Role.MANAGER)
"""Who works cases: they may see identifiable data."""

_RAGS = ("RED", "AMBER", "GREEN")
SCREENING = "screening"


def add_pages(app: FastAPI, console: Console) -> None:
    """Add every screen to the app."""
    _add_casework(app, console)
    _add_oversight(app, console)


def _add_casework(app: FastAPI, console: Console) -> None:
    screens = console.screens

    @app.get("/queue")
    def queue(
        viewer: Viewer = allow(*STAFF), rag: str = "", agency: str = "", tenant: str = ""
    ) -> Response:
        now = console.now()
        rows = screens.queue(now, rag or None, agency or None, tenant or None)
        alerts = read_alerts(console.store, [r.episode_id for r in rows])  # open episodes'
        alerted: dict[str, str] = {}
        for a in alerts:  # latest first: a breach outranks the warning before it
            alerted[a.episode_id] = (
                "BREACH" if "BREACH" in (a.kind, alerted.get(a.episode_id)) else a.kind
            )
        return console.page(
            "queue.html",
            viewer,
            rows=rows,
            alerts=alerts,
            alerted=alerted,
            now=now,
            rags=_RAGS,
            rag=rag,
            agency=agency,
            agencies=screens.agencies(),
            tenant=tenant,
            tenants=screens.tenants(),
            refresh_s=console.settings.console_queue_refresh_s,
        )

    @app.get("/api/queue")
    def queue_api(viewer: Viewer = allow(*STAFF)) -> list[dict[str, Any]]:
        return [
            {
                "episode_id": r.episode_id,
                "rag": r.rag,
                "breached": r.breached,
                "due_at": r.due_at.isoformat() if r.due_at else None,
            }
            for r in screens.queue(console.now())
        ]

    @app.get("/episodes/{episode_id}")
    def episode(
        episode_id: str, viewer: Viewer = allow(*STAFF), purpose: str = "", done: str = ""
    ) -> Response:
        view = screens.episode(episode_id)
        if view is None:
            return console.page("error.html", viewer, 404, message="No such episode.")
        return console.episode_page(viewer, view, purpose.strip() or SCREENING, done=done)

    @app.get("/persons/{person_id}")
    def person(person_id: str, viewer: Viewer = allow(*STAFF), purpose: str = "") -> Response:
        if not purpose.strip():
            return console.page("purpose.html", viewer, 400, person_id=person_id)
        linked = screens.person(person_id)
        episodes = screens.person_episodes(person_id)
        identities = screens.identities(linked)
        shown = [person_id, *(r.record_id for r in linked), *episodes]
        console.access.record(
            viewer.user, "person", purpose.strip(), shown, person_id, console.now()
        )
        return console.page(
            "person.html",
            viewer,
            person_id=person_id,
            linked=linked,
            identities=identities,
            episodes=episodes,
            purpose=purpose.strip(),
        )

    @app.get("/search")
    def search(viewer: Viewer = allow(*STAFF), person: str = "", purpose: str = "") -> Response:
        if not person.strip():
            return console.page("search.html", viewer, message="", person="", purpose=purpose)
        if not purpose.strip():
            message = "State why you are searching: every search is recorded with its purpose."
            return console.page(
                "search.html", viewer, 400, message=message, person=person, purpose=""
            )
        who, why = person.strip(), purpose.strip()
        linked, episodes = screens.person(who), screens.person_episodes(who)
        shown = [who, *(r.record_id for r in linked), *episodes] if linked else []
        console.access.record(viewer.user, "search", why, shown, who, console.now())
        if not linked:
            message = "No person with that id."
            return console.page("search.html", viewer, message=message, person=who, purpose=why)
        return console.page(
            "person.html",
            viewer,
            person_id=who,
            linked=linked,
            identities=screens.identities(linked),
            episodes=episodes,
            purpose=why,
        )


def _add_oversight(app: FastAPI, console: Console) -> None:
    settings = console.settings

    @app.get("/board")
    def board(viewer: Viewer = allow(Role.BOARD, Role.MANAGER)) -> Response:
        as_of, figures = console.store.figures()
        body = None
        if as_of is not None:
            report = build_report(
                figures, as_of, low=settings.suppress_low, high=settings.suppress_high
            )
            body = report_body(report)  # codes and suppressed counts only, escaped by sinks
        return console.page("board.html", viewer, body=body)

    @app.get("/manager")
    def manager(viewer: Viewer = allow(Role.MANAGER)) -> Response:
        now = console.now()
        store = console.store  # only what the figures use: the whole of either is gigabytes
        health = queue_health(store.episode_flows(), store.facts(RESEARCH), now)
        quality = stored_linkage_quality(console.store)  # as the sinks last computed it
        note = "" if quality is not None else "No linkage figures yet: the sinks compute them."
        return console.page(
            "manager.html",
            viewer,
            health=health,
            linkage="" if quality is None else linkage_body(quality, now),  # counts, escaped
            review_note=note,
            reviews=console.reviews.queue(limit=1),
        )

    @app.get("/audit/access")
    def access(viewer: Viewer = allow(Role.AUDITOR), person: str = "") -> Response:
        entries = console.access.accesses(person.strip() or None)
        return console.page(
            "access.html",
            viewer,
            entries=entries,
            person=person,
            verdict=console.access.verify(),
        )
