"""The episode's action forms (analysts): set or change the RAG rating with a reason, request
partner research with a due time, record the MASH decision. Each is recorded in the console's
audit chain (``acted``, with the reason) and published as a children's services event; a form
the contract refuses is shown again with the reason in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Response
from fastapi.responses import RedirectResponse

from console.actions import ActionRefused
from console.auth import Viewer, allow
from console.users import Role
from schemas.audit import Decision

if TYPE_CHECKING:
    from console.app import Console

__all__ = ["add_actions"]

_REASON_NEEDED = {"rag": "a reason for the rating is required"}


def add_actions(app: FastAPI, console: Console) -> None:
    """Add the action routes (analysts only)."""

    @app.post("/episodes/{episode_id}/act")
    def act(episode_id: str, viewer: Viewer = allow(Role.ANALYST)) -> Response:
        view = console.screens.episode(episode_id)
        if view is None:
            return console.page("error.html", viewer, 404, message="No such episode.")
        form, now = viewer.form, console.now()
        kind, reason = form.get("action", ""), form.get("reason", "").strip()
        try:
            if kind == "rag":
                if not reason:
                    raise ActionRefused(_REASON_NEEDED["rag"])
                event = console.actions.rag(view, form.get("rating", ""), now)
            elif kind == "research":
                agency, due = form.get("agency", ""), form.get("due", "")
                event = console.actions.research(view, agency, due, now)
            elif kind == "decision":
                event = console.actions.decision(view, form.get("outcome", ""), now)
            else:
                raise ActionRefused("no such action")
        except ActionRefused as exc:
            return console.episode_page(viewer, view, "screening", 400, error=str(exc))
        shown = [episode_id, str(event.event_id)]
        person = view.snapshot.person_id
        why = reason or kind
        console.access.record(viewer.user, kind, why, shown, person, now, Decision.ACTED)
        console.actions.publish(event)
        return RedirectResponse(f"/episodes/{episode_id}?done={kind}", status_code=303)
