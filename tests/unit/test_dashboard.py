"""The dashboard serves the board report from the database (HTTP via FastAPI's test client)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient

from plumbing.settings import DashboardSettings
from sinks.board import Figure
from sinks.dashboard import create_dashboard
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
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert scripts and not any("http" in s for s in scripts)  # no CDN
    assert "<link" not in page and 'src="http' not in page
    store.replace_figures(_plans(58), AS_OF)
    assert "<td>58</td>" in client.get("/fragment/report").text
    rows = list(csv.reader(io.StringIO(client.get("/report.csv").text)))
    assert [
        "2013-03-31",
        "New child protection plans, by category",
        "Neglect",
        "2012-13",
        "58",
    ] in rows


def test_small_counts_are_hidden_from_the_board(tmp_path: Path) -> None:
    settings = DashboardSettings(home=tmp_path)
    Store(settings.database).replace_figures(_plans(3), AS_OF)
    text = TestClient(create_dashboard(settings)).get("/fragment/report").text
    assert "<td>3</td>" not in text and '<td class="c">c</td>' in text
