"""The reviewers' routes (reviewers and managers): the possible-match queue, a pair side by
side (its view recorded in the access log, both record ids, with the purpose), and the
verdict form (CSRF-protected, a reason required), recorded as ``acted`` then published."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, Response
from fastapi.responses import RedirectResponse

from console.auth import Viewer, allow
from console.review import Pair, ReviewRefused
from console.users import Role
from plumbing.keys import key_secret
from schemas.audit import Decision

if TYPE_CHECKING:
    from console.app import Console

__all__ = ["REVIEWERS", "add_reviews"]

REVIEWERS = (Role.REVIEWER, Role.MANAGER)
"""Who decides possible matches."""

PURPOSE = "linkage review"


def add_reviews(app: FastAPI, console: Console) -> None:
    """Add the reviewers' routes."""

    @app.get("/reviews")
    def review_queue(viewer: Viewer = allow(*REVIEWERS)) -> Response:
        queue = console.reviews.queue()
        return console.page("reviews.html", viewer, queue=queue, now=console.now())

    @app.get("/reviews/{record_id}/{other_record_id}")
    def review_pair(
        record_id: str, other_record_id: str, viewer: Viewer = allow(*REVIEWERS), done: str = ""
    ) -> Response:
        pair = console.reviews.pair(record_id, other_record_id)
        if pair is None:
            return console.page("error.html", viewer, 404, message="No such possible match.")
        return _pair_page(console, viewer, pair, 200, done=done)

    @app.post("/reviews/{record_id}/{other_record_id}")
    def review_decide(
        record_id: str, other_record_id: str, viewer: Viewer = allow(*REVIEWERS)
    ) -> Response:
        pair = console.reviews.pair(record_id, other_record_id)
        if pair is None:
            return console.page("error.html", viewer, 404, message="No such possible match.")
        form, now = viewer.form, console.now()
        try:
            decision = console.reviews.decide(
                pair, form.get("verdict", ""), form.get("reason", ""), viewer.user.name, now
            )
        except ReviewRefused as exc:
            return _pair_page(console, viewer, pair, 400, error=str(exc))
        shown = [pair.record_id, pair.other_record_id, str(decision.event_id)]
        why = form.get("reason", "").strip()
        person = pair.persons[0]
        console.access.record(viewer.user, "review", why, shown, person, now, Decision.ACTED)
        console.reviews.publish(decision, key_secret(console.settings))
        ids = "/".join(quote(i, safe="") for i in (pair.record_id, pair.other_record_id))
        url = f"/reviews/{ids}?done={decision.verdict.value}"
        return RedirectResponse(url, status_code=303)


def _pair_page(
    console: Console, viewer: Viewer, pair: Pair, status: int, **data: object
) -> Response:
    """The pair's page, its view recorded in the access log first (write-ahead)."""
    persons = [p for p in pair.persons if p is not None]
    shown = [pair.record_id, pair.other_record_id, *persons]
    person = persons[0] if persons else None
    console.access.record(viewer.user, "review pair", PURPOSE, shown, person, console.now())
    return console.page("review_pair.html", viewer, status, pair=pair, **data)
