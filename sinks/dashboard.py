"""The board's dashboard: contacts by month and agency, refreshed live, no CDN needed."""

from __future__ import annotations

from dataclasses import asdict
from html import escape
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from mash.settings import DashboardSettings
from sinks.store import ContactPivot, ContactTotal, Store

__all__ = ["create_dashboard"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MASH Hub: board figures</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d2733; }}
table {{ border-collapse: collapse; }} caption {{ text-align: left; font-weight: 600; }}
th, td {{ padding: .3rem .8rem; border-bottom: 1px solid #d0d7de; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }} tr.total {{ font-weight: 700; }}
</style></head><body>
<h1>MASH Hub: contacts received</h1>
<p>Distinct contacts by month reported and source agency, from the agencies' events.
Updated <span id="updated">on load</span>.</p>
<div id="figures">{table}</div>
<script>
async function refresh() {{
  const response = await fetch("/fragment/contacts");
  if (response.ok) {{
    document.getElementById("figures").innerHTML = await response.text();
    document.getElementById("updated").textContent = new Date().toLocaleTimeString();
  }}
}}
setInterval(refresh, {refresh_ms});
</script></body></html>"""


def contacts_html(totals: list[ContactTotal]) -> str:
    """The contacts table as HTML (month rows, agency columns, totals)."""
    pivot = ContactPivot.of(totals)
    head = "".join(f"<th>{escape(a.replace('_', ' ').title())}</th>" for a in pivot.agencies)
    rows = [_row(month, values) for month, values in pivot.rows]
    rows.append(_row("Total", pivot.totals, css="total"))
    return (
        f'<table id="contacts"><caption>Contacts by month and source agency</caption>'
        f"<tr><th>Month</th>{head}<th>Total</th></tr>{''.join(rows)}</table>"
    )


def _row(label: str, values: list[int], css: str = "") -> str:
    cells = "".join(f"<td>{v}</td>" for v in values)
    return f'<tr class="{css}"><td>{escape(label)}</td>{cells}</tr>'


def create_dashboard(settings: DashboardSettings) -> FastAPI:
    """The dashboard's web app, reading the database named by the settings."""
    app = FastAPI(title="MASH Hub dashboard", docs_url=None, redoc_url=None)
    store = Store(settings.database)
    refresh_ms = int(settings.dashboard_refresh_s * 1000)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return _PAGE.format(table=contacts_html(store.contact_totals()), refresh_ms=refresh_ms)

    @app.get("/fragment/contacts", response_class=HTMLResponse)
    def fragment() -> str:
        return contacts_html(store.contact_totals())

    @app.get("/api/contacts")
    def contacts() -> list[dict[str, Any]]:
        return [asdict(t) for t in store.contact_totals()]

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
