"""The dashboard serves the board report from the database (HTTP via FastAPI's test client)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient

from plumbing.settings import DashboardSettings
from schemas.metrics import ContactCount
from sinks.board import Figure
from sinks.dashboard import SECURITY_HEADERS, create_dashboard
from sinks.provenance import Provenance
from sinks.store import Store

AS_OF = dt.date(2013, 3, 31)


def _plans(neglect: int) -> list[Figure]:
    return [
        Figure("cp_new", "2012-13", "NEG", float(neglect)),
        Figure("cp_new", "2012-13", "EMO", 40.0),
        Figure("dv_offences", "2012-13", "", 1283.0),
    ]


def test_page_fragment_and_csv_show_the_stored_figures(tmp_path: Path) -> None:
    settings = DashboardSettings(home=tmp_path)
    store = Store(settings.database)
    client = TestClient(create_dashboard(settings))
    assert 'id="waiting"' in client.get("/").text  # nothing computed yet: says so
    store.replace_figures(_plans(57), AS_OF)
    page = client.get("/").text
    assert "31 March 2013" in page and "<td>57</td>" in page and "1,283" in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/dashboard.js">']  # none inline
    script = client.get("/dashboard.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/fragment/report" in script.text and "http" not in script.text  # no CDN
    assert "<link" not in page and 'src="http' not in page
    store.replace_figures(_plans(58), AS_OF)
    assert "<td>58</td>" in client.get("/fragment/report").text
    exported = client.get("/report.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = {
        (r["indicator_id"], r["period"], r["dimension"]): r
        for r in csv.DictReader(io.StringIO(exported.text))
    }
    assert rows["cp_new", "2012-13", "NEG"]["value"] == "58"
    assert rows["cp_new", "2012-13", "NEG"]["suppressed"] == "false"
    assert 'href="/report.csv"' in page


def test_the_fragment_is_unchanged_until_the_figures_change(tmp_path: Path) -> None:
    settings = DashboardSettings(home=tmp_path)
    store = Store(settings.database)
    store.replace_figures(_plans(57), AS_OF)
    client = TestClient(create_dashboard(settings))
    held = re.search(r'<div id="report" data-version="([0-9a-f]+)">', client.get("/").text)
    assert held
    first = client.get("/fragment/report")
    assert first.status_code == 200 and first.headers["etag"] == f'"{held.group(1)}"'
    again = client.get("/fragment/report", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    store.replace_figures(_plans(57), AS_OF)  # recomputed, the same figures: still unchanged
    same = client.get("/fragment/report", headers={"If-None-Match": first.headers["etag"]})
    assert same.status_code == 304
    store.replace_figures(_plans(58), AS_OF)
    changed = client.get("/fragment/report", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and "<td>58</td>" in changed.text
    assert changed.headers["etag"] != first.headers["etag"]


def test_every_view_says_when_and_from_what_the_figures_were_computed(tmp_path: Path) -> None:
    settings = DashboardSettings(home=tmp_path)
    store = Store(settings.database)
    client = TestClient(create_dashboard(settings))
    assert client.get("/fragment/provenance").text == ""  # no figures: nothing to say yet
    store.replace_figures(_plans(57), AS_OF)
    computed = dt.datetime(2013, 4, 2, 8, 15, tzinfo=dt.UTC)
    store.record_provenance(Provenance(computed, 1_372, computed - dt.timedelta(minutes=3)))
    said = (
        "Figures computed 02 Apr 2013 08:15 UTC from 1,372 events, "
        "reported up to 02 Apr 2013 08:12 UTC."
    )
    assert client.get("/fragment/provenance").text == said
    page = client.get("/").text
    assert f'<span id="provenance">{said}</span>' in page and "when generated" not in page
    row = next(csv.DictReader(io.StringIO(client.get("/report.csv").text)))
    assert (row["computed_at"], row["events"]) == ("2013-04-02T08:15:00+00:00", "1372")
    assert row["events_reported_to"] == "2013-04-02T08:12:00+00:00"


def test_small_counts_are_hidden_from_the_board(tmp_path: Path) -> None:
    settings = DashboardSettings(home=tmp_path)
    Store(settings.database).replace_figures(_plans(3), AS_OF)
    text = TestClient(create_dashboard(settings)).get("/fragment/report").text
    assert "<td>3</td>" not in text and '<td class="c">c</td>' in text


def test_contacts_are_suppressed_like_every_board_view(tmp_path: Path) -> None:
    settings = DashboardSettings(home=tmp_path)
    counts = {("POLICE", "2012-04"): 40, ("POLICE", "2012-05"): 3, ("HEALTH", "2012-04"): 20}
    counts |= {("HEALTH", "2012-05"): 25}
    Store(settings.database).upsert_contact_counts(
        [ContactCount(agency=a, month=m, partition=0, contacts=n) for (a, m), n in counts.items()]
    )
    got = {
        (r["agency"], r["month"]): r["contacts"]
        for r in TestClient(create_dashboard(settings)).get("/api/contacts").json()
    }
    assert got.keys() == counts.keys()
    assert got[("POLICE", "2012-05")] == "c"
    # with the totals known, one hidden cell in a row would be given away: more are hidden
    assert sum(v == "c" for v in got.values()) == 4
    assert not [v for v in got.values() if v != "c" and 1 <= v <= 5]


def test_security_headers_on_every_response_and_no_api_docs(tmp_path: Path) -> None:
    settings = DashboardSettings(home=tmp_path)
    Store(settings.database).replace_figures(_plans(57), AS_OF)
    client = TestClient(create_dashboard(settings))
    for path in (
        "/",
        "/fragment/report",
        "/fragment/provenance",
        "/report.csv",
        "/api/contacts",
        "/dashboard.js",
        "/healthz",
        "/openapi.json",
        "/docs",
        "/redoc",
        "/nowhere",
    ):
        response = client.get(path)
        assert response.status_code == (
            404 if path in {"/openapi.json", "/docs", "/redoc", "/nowhere"} else 200
        ), path
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (path, name)
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    assert policy.startswith("default-src 'self';") and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert SECURITY_HEADERS["Referrer-Policy"] == "no-referrer"
