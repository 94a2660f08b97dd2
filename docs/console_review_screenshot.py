"""A screenshot of the reviewers' pair page for the README: the real console app over a
fresh store holding two fictional records that the twins guard held apart, rendered through
the app (signed in as a reviewer; the console's Kafka writes recorded, not sent) and shot in
headless Chromium.

    PYTHONPATH=. .venv/bin/python docs/console_review_screenshot.py  # docs/console-review-pair.png
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from console.app import create_console
from console.users import Role, UserStore
from plumbing.settings import ConsoleSettings
from schemas.audit import ChainHead
from schemas.hub import Link, LinkOutcomeKind, PossibleMatch
from sinks.identities import upsert_identities
from sinks.reviews import store_possible_matches
from sinks.store import Store

__all__ = ["main"]

DOCS = Path(__file__).parent
NOW = dt.datetime(2013, 3, 12, 10, 30, tzinfo=dt.UTC)
PASSWORD = "a fictional reviewer password"
EXPLANATION = (
    "possibly related (twins or siblings guard: same birth date, family name and postcode, "
    "two given names): given_name=DIFFERENT(-5.2), family_name=EXACT(+7.9), "
    "date_of_birth=EXACT(+9.3), sex=EXACT(+0.9), postcode=EXACT(+6.1)"
)


class _Recorded:
    """The console's Kafka writes, kept (nothing is sent)."""

    def audit(self, chain: str, record: str) -> None: ...

    def head(self, chain: str, head: ChainHead) -> None: ...

    def event(self, topic: str, key: bytes, value: bytes) -> None: ...


def _child(record: str, agency: str, given: str, nhs: str | None) -> dict[str, object]:
    return {
        "record_id": record,
        "event_id": record,
        "agency": agency,
        "agency_record_id": f"{agency[:3]}-{record[-4:]}",
        "reported_at": NOW.isoformat(),
        "digest": "d",
        "given_name": given,
        "family_name": "Okafor",
        "date_of_birth": "2009-06-14",
        "expected_delivery_date": None,
        "sex": "MALE",
        "nhs_number": nhs,
        "upn": None,
        "postcode": "RM1 3BD",
        "address": "4 Station Parade",
    }


def _store(home: Path) -> None:
    store = Store(ConsoleSettings(home=home).database)
    UserStore(store).add("reviewer", Role.REVIEWER.value, PASSWORD, NOW)
    links = [("ev-3f21", "P-1184"), ("ev-9c07", "P-2203")]
    store.upsert_links(
        [
            Link(
                record_id=r,
                event_id=r,
                event_type="police.notification",
                person_id=p,
                outcome=LinkOutcomeKind.NEW_PERSON,
                weight=0.0,
                explanation="new person",
            )
            for r, p in links
        ]
    )
    upsert_identities(
        store,
        [
            _child("ev-3f21", "POLICE", "Daniel", None),
            _child("ev-9c07", "HEALTH", "David", "9434765870"),
        ],
    )
    match = PossibleMatch(
        record_id="ev-9c07",
        candidate_record_id="ev-3f21",
        candidate_person_id="P-1184",
        weight=19.0,
        explanation=EXPLANATION,
        model_version="havering-2012-trained-1",
    )
    store_possible_matches(store, [match], NOW - dt.timedelta(hours=26))
    store.close()


def main() -> None:
    """Write docs/console-review-pair.png."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _store(home)
        settings = ConsoleSettings(home=home)
        app = create_console(settings, b"k" * 32, _Recorded(), now=lambda: NOW)
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        login = client.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', login)
        assert token
        client.post("/login", data={"name": "reviewer", "password": PASSWORD, "csrf": token[1]})
        page = client.get("/reviews/ev-3f21/ev-9c07").text
        css = (Path(__file__).parents[1] / "console" / "static" / "console.css").read_text()
        html = page.replace(
            '<link rel="stylesheet" href="/static/console.css">', f"<style>{css}</style>"
        )
        (home / "pair.html").write_text(html)
        out = DOCS / "console-review-pair.png"
        subprocess.run(
            [
                "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1280,1180",
                f"--screenshot={out}",
                f"file://{home}/pair.html",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


if __name__ == "__main__":
    main()
