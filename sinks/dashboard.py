"""The board's dashboard: the annual report's tables and charts, live, with no CDN.

Served by the hub (FastAPI). The figures are those the workers keep current in the database;
the page swaps in a fresh report body every few seconds, so a figure changes on screen soon
after the event that changed it was published. The board's view is always suppressed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from plumbing.settings import DashboardSettings
from sinks.disclosure import SHOWN_AS, suppress
from sinks.linkage_quality import stored_linkage_quality
from sinks.report import BoardReport, build_report, report_csv
from sinks.report_html import STYLE, linkage_body, report_body, report_page
from sinks.store import ContactTotal, Store

__all__ = ["SECURITY_HEADERS", "create_dashboard", "suppressed_contacts"]

_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()

SECURITY_HEADERS = {
    # scripts only from the hub itself (the refresh script is /dashboard.js, not inline); the
    # report's one inline stylesheet by its hash; never framed
    "Content-Security-Policy": (
        f"default-src 'self'; style-src 'self' 'sha256-{_STYLE_HASH}'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""Sent with every response of the dashboard."""

_SCRIPT_TAG = '<script src="/dashboard.js"></script>'

_SCRIPT = """
async function refresh() {{
  try {{
    const response = await fetch("/fragment/report", {{cache: "no-store"}});
    if (response.ok) {{
      document.getElementById("report").innerHTML = await response.text();
      document.getElementById("updated").textContent = new Date().toLocaleTimeString();
    }}
  }} catch (e) {{ /* the hub restarting: try again next time */ }}
}}
setInterval(refresh, {refresh_ms});
"""

_WAITING = (
    '<p class="meta" id="waiting">No figures yet: the hub computes them as soon as the '
    "first events arrive.</p>"
)


def create_dashboard(settings: DashboardSettings) -> FastAPI:
    """The dashboard's web app, reading the database named by the settings."""
    app = FastAPI(title="MASH Hub dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    store = Store(settings.database)
    script = _SCRIPT.format(refresh_ms=int(settings.dashboard_refresh_s * 1000))

    @app.middleware("http")
    async def secure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def current() -> BoardReport | None:
        as_of, figures = store.figures()
        if as_of is None:
            return None
        return build_report(figures, as_of, low=settings.suppress_low, high=settings.suppress_high)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        report = current()
        if report is None:
            return (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>MASH Hub: safeguarding board report</title></head><body>"
                '<h1>Safeguarding board report</h1><span id="updated"></span>'
                f'<div id="report">{_WAITING}</div>{_SCRIPT_TAG}</body></html>'
            )
        return report_page(report, _SCRIPT_TAG, after=linkage())

    @app.get("/dashboard.js")
    def refresh_script() -> Response:
        return Response(script, media_type="text/javascript")

    @app.get("/fragment/report", response_class=HTMLResponse)
    def fragment() -> str:
        report = current()
        return _WAITING if report is None else report_body(report) + linkage()

    def linkage() -> str:
        """The linkage quality panel as the sinks last computed it (counts only)."""
        quality = stored_linkage_quality(store)
        return "" if quality is None else linkage_body(quality, dt.datetime.now(dt.UTC))

    @app.get("/report.csv", response_class=PlainTextResponse)
    def csv_export() -> str:
        report = current()
        return "" if report is None else report_csv(report)

    @app.get("/api/contacts")
    def contacts() -> list[dict[str, Any]]:
        return suppressed_contacts(
            store.contact_totals(), low=settings.suppress_low, high=settings.suppress_high
        )

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def suppressed_contacts(
    totals: Sequence[ContactTotal], *, low: int, high: int
) -> list[dict[str, Any]]:
    """Contacts by agency and month as the board may see them: small counts, and whatever the
    agency and month totals would give away, shown as "c"."""
    agencies = sorted({t.agency for t in totals})
    months = sorted({t.month for t in totals})
    cells = [[0] * len(months) for _ in agencies]
    for t in totals:
        cells[agencies.index(t.agency)][months.index(t.month)] = t.contacts
    hidden = suppress(cells, low=low, high=high).hidden if totals else frozenset()
    return [
        {
            "agency": t.agency,
            "month": t.month,
            "contacts": SHOWN_AS
            if (agencies.index(t.agency), months.index(t.month)) in hidden
            else t.contacts,
        }
        for t in totals
    ]
