"""The board's dashboard: the annual report's tables and charts, live, with no CDN.

Served by the hub (FastAPI). The figures are those the workers keep current in the database;
the page swaps in a fresh report body every few seconds, so a figure changes on screen soon
after the event that changed it was published. The board's view is always suppressed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse

from plumbing.settings import DashboardSettings
from sinks.report import BoardReport, build_report, report_csv
from sinks.report_html import report_body, report_page
from sinks.store import Store

__all__ = ["create_dashboard"]

_SCRIPT = """<script>
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
</script>"""

_WAITING = (
    '<p class="meta" id="waiting">No figures yet: the hub computes them as soon as the '
    "first events arrive.</p>"
)


def create_dashboard(settings: DashboardSettings) -> FastAPI:
    """The dashboard's web app, reading the database named by the settings."""
    app = FastAPI(title="MASH Hub dashboard", docs_url=None, redoc_url=None)
    store = Store(settings.database)
    script = _SCRIPT.format(refresh_ms=int(settings.dashboard_refresh_s * 1000))

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
                f'<div id="report">{_WAITING}</div>{script}</body></html>'
            )
        return report_page(report, script)

    @app.get("/fragment/report", response_class=HTMLResponse)
    def fragment() -> str:
        report = current()
        return _WAITING if report is None else report_body(report)

    @app.get("/report.csv", response_class=PlainTextResponse)
    def csv_export() -> str:
        report = current()
        return "" if report is None else report_csv(report)

    @app.get("/api/contacts")
    def contacts() -> list[dict[str, Any]]:
        return [asdict(t) for t in store.contact_totals()]

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
