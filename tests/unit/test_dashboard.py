"""The dashboard serves the figures from the database (HTTP via FastAPI's test client)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from mash.settings import DashboardSettings
from schemas.metrics import ContactCount
from sinks.dashboard import create_dashboard
from sinks.store import Store


def test_page_and_api_show_the_current_counts(tmp_path: Path) -> None:
    settings = DashboardSettings(home=tmp_path)
    store = Store(settings.database)
    store.upsert_contact_counts(
        [
            ContactCount(agency="POLICE", month="2012-04", partition=0, contacts=7),
            ContactCount(agency="POLICE", month="2012-04", partition=1, contacts=5),
        ]
    )
    client = TestClient(create_dashboard(settings))
    page = client.get("/")
    assert (
        page.status_code == 200
        and "<td>12</td>" in page.text
        and "http" not in page.text.split("<script>")[1]
    )  # no CDN: the page loads nothing from outside
    assert client.get("/api/contacts").json() == [
        {"agency": "POLICE", "month": "2012-04", "contacts": 12}
    ]
    store.upsert_contact_counts(
        [ContactCount(agency="POLICE", month="2012-04", partition=1, contacts=6)]
    )
    assert "<td>13</td>" in client.get("/fragment/contacts").text
