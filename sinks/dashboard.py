"""The board's dashboard: the annual report's tables and charts, live, with no CDN.

Served by the hub (FastAPI). The figures are those the workers keep current in the database;
every few seconds the page asks whether they changed (``If-None-Match`` with the version it
holds) and replaces its report only when they did, so a figure changes on screen soon after the
event that changed it was published, and an opened definition stays open while nothing changes.
The page says when and from what the figures were computed, not when the browser last asked.
The board's view is always suppressed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from plumbing.settings import DashboardSettings
from sinks.disclosure import SHOWN_AS, suppress
from sinks.linkage_quality import stored_linkage_quality
from sinks.report import BoardReport, build_report, report_csv
from sinks.report_html import STYLE, linkage_body, provenance_text, report_body, report_page
from sinks.store import ContactTotal, Store

__all__ = ["SECURITY_HEADERS", "create_dashboard", "suppressed_contacts", "version_of"]

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

# The report is replaced only when the figures changed (the fragment answers 304 to the version
# the page holds), so an opened definition stays open and the page does not jump; when it is
# replaced, open definitions are reopened and the scroll position restored.
_SCRIPT = """
const report = document.getElementById("report");
async function refresh() {{
  try {{
    const version = report.dataset.version || "";
    const headers = version ? {{"If-None-Match": '"' + version + '"'}} : {{}};
    const response = await fetch("/fragment/report", {{cache: "no-store", headers}});
    if (response.status === 200) {{
      const html = await response.text();
      const opened = [...report.querySelectorAll("details[open]")].map(d => d.id);
      const y = window.scrollY;
      report.innerHTML = html;
      report.dataset.version = (response.headers.get("ETag") || "").replaceAll('"', "");
      for (const id of opened) {{ const d = document.getElementById(id); if (d) d.open = true; }}
      window.scrollTo(0, y);
    }}
    const said = await fetch("/fragment/provenance", {{cache: "no-store"}});
    const where = document.getElementById("provenance");
    if (said.ok && where) {{
      const text = await said.text();
      if (where.textContent !== text) where.textContent = text;
    }}
  }} catch (e) {{ /* the hub restarting: try again next time */ }}
}}
setInterval(refresh, {refresh_ms});
"""

_WAITING = (
    '<p class="meta" id="waiting">No figures yet: the hub computes them as soon as the '
    "first events arrive.</p>"
)


def version_of(body: str) -> str:
    """The version of a report body (its ETag): it changes exactly when the figures shown do."""
    return hashlib.sha256(body.encode()).hexdigest()[:32]


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
        return build_report(
            figures,
            as_of,
            low=settings.suppress_low,
            high=settings.suppress_high,
            provenance=store.figures_provenance(),
        )

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        report = current()
        if report is None:
            return _waiting_page()
        body = report_body(report) + linkage()
        return report_page(
            report, _SCRIPT_TAG, csv_href="/report.csv", version=version_of(body), after=linkage()
        )

    @app.get("/dashboard.js")
    def refresh_script() -> Response:
        return Response(script, media_type="text/javascript")

    @app.get("/fragment/report")
    def fragment(request: Request) -> Response:
        report = current()
        body = _WAITING if report is None else report_body(report) + linkage()
        etag = f'"{version_of(body)}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return HTMLResponse(body, headers=headers)

    def linkage() -> str:
        """The linkage quality panel as the sinks last computed it (counts only; the oldest
        item's age as at then, so the panel changes only when the figures do)."""
        quality = stored_linkage_quality(store)
        return "" if quality is None else linkage_body(quality)

    @app.get("/fragment/provenance", response_class=PlainTextResponse)
    def provenance() -> str:
        return provenance_text(store.figures_provenance()) if store.figures()[0] else ""

    @app.get("/report.csv")
    def csv_export() -> Response:
        report = current()
        text = "" if report is None else report_csv(report)
        name = f"board-report-{report.as_of}.csv" if report else "board-report.csv"
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get("/api/contacts")
    def contacts() -> list[dict[str, Any]]:
        return suppressed_contacts(
            store.contact_totals(), low=settings.suppress_low, high=settings.suppress_high
        )

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _waiting_page() -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>MASH Hub: safeguarding board report</title></head><body>"
        '<h1>Safeguarding board report</h1><p class="meta"><span id="provenance"></span></p>'
        f'<div id="report" data-version="{version_of(_WAITING)}">{_WAITING}</div>'
        f"{_SCRIPT_TAG}</body></html>"
    )


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
