"""The console through the real stack: a secured broker, the worker (streams and sinks) and
the console publishing as its own principal. An analyst signs in, sees the RED episode first,
opens it (every agency's contribution, who the child is, the link explanation), records the
MASH decision, and the episode leaves the open queue once the hub has processed it. Every view
is on the audit topic as chain ``console``; the export verifies, and a cut tail does not."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from console.app import create_console
from console.kafka_out import KafkaOut
from console.users import UserStore
from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.keys import audit_key
from plumbing.settings import ConsoleSettings, WorkerSettings
from schemas.audit import verify
from schemas.childrens_services import Contact
from schemas.common import Agency, Envelope
from simulation.synthetic import police_notifications
from sinks.audit import export_audit
from sinks.store import Store
from tests.conftest import free_port
from tests.integration.hub import admin, settings_from
from tests.integration.test_dashboard_browser import browser  # noqa: F401  (a fixture)
from tests.integration.test_hub import publish

PASSWORD = "a long enough password"


def _events(now: dt.datetime) -> tuple[Any, ...]:
    """Two children noticed by police an hour ago; children's services rate the first RED."""
    today = now.date()
    first, second = police_notifications(2, 7, today - dt.timedelta(days=1), today, 1.0, 2)
    at = {"occurred_at": now - dt.timedelta(hours=1), "reported_at": now - dt.timedelta(minutes=50)}
    first, second = first.model_copy(update=at), second.model_copy(update=at)
    contact = Contact.model_validate(
        {
            **first.model_dump(include=set(Envelope.model_fields) - {"event_type"}),
            "event_id": uuid.uuid4(),
            "event_type": Contact.EVENT_TYPE,
            "source_agency": Agency.CHILDRENS_SERVICES,
            "source_system": "LCS",
            "agency_record_id": "CT-1",
            "occurred_at": now - dt.timedelta(minutes=45),
            "reported_at": now - dt.timedelta(minutes=40),
            "subject": first.subject,
            "contact_id": "CT-1",
            "referral_source": "RS6",
            "rag_rating": "RED",
            "already_open": False,
        }
    )
    return first, second, contact


@pytest.fixture
def stack(hub_env: dict[str, str]) -> Iterator[tuple[str, WorkerSettings, Any]]:
    """The worker with the events processed, and the console served: (url, settings, worker)."""
    settings = settings_from(hub_env, WorkerSettings)
    events = _events(dt.datetime.now(dt.UTC))
    home = Path(hub_env["MASH_HOME"])
    with worker_process(hub_env, home / "logs" / "worker.log") as worker:
        wait_until_ready(settings, worker)
        publish(settings, events)
        wait_until_drained(settings, len(events), worker)
        console_settings = settings_from(hub_env, ConsoleSettings)
        UserStore(Store(console_settings.database)).add(
            "ana", "analyst", PASSWORD, dt.datetime.now(dt.UTC)
        )
        out = KafkaOut(console_settings)
        app = create_console(console_settings, audit_key(console_settings), out)
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", settings, events
        finally:
            server.should_exit = True
            thread.join(10)
            out.close()


def _queue(driver: webdriver.Chrome, url: str) -> list[str]:
    driver.get(f"{url}/queue")
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#queue a.episode")]


def _shot(driver: webdriver.Chrome, name: str) -> None:
    where = os.environ.get("MASH_SCREENSHOTS")  # set to refresh the README's screenshots
    if where:
        driver.set_window_size(1280, 1000)
        driver.save_screenshot(str(Path(where) / f"console-{name}.png"))


def test_an_analyst_decides_the_red_episode_through_the_real_stack(
    browser: webdriver.Chrome,  # noqa: F811
    stack: tuple[str, WorkerSettings, Any],
    tmp_path: Path,
) -> None:
    url, settings, (police, _, contact) = stack
    browser.get(f"{url}/login")
    browser.find_element(By.ID, "name").send_keys("ana")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "signin").click()
    deadline = time.monotonic() + 60  # bounded waits: CI shares 2 cores with the whole suite
    while len(_queue(browser, url)) < 2:  # the sinks write the episodes a moment after
        assert time.monotonic() < deadline, "the episodes did not reach the queue"
        time.sleep(0.3)
    first = browser.find_element(By.CSS_SELECTOR, "#queue tbody tr")
    assert "RED" in first.text
    _shot(browser, "queue")
    first.find_element(By.CSS_SELECTOR, "a.episode").click()
    episode_id = browser.find_element(By.ID, "episode-id").text
    contributions = browser.find_element(By.ID, "contributions").text
    for shown in ("POLICE", police.agency_record_id, "CHILDRENS_SERVICES", "CT-1"):
        assert shown in contributions, shown
    identities = browser.find_element(By.ID, "identities").text
    assert police.subject.family_name in identities and police.subject.nhs_number in identities
    assert "NHS" in browser.find_element(By.ID, "linked").text  # the link's explanation
    _shot(browser, "episode")
    Select(browser.find_element(By.NAME, "outcome")).select_by_visible_text("CIN_ASSESSMENT_S17")
    browser.find_element(By.ID, "record-decision").click()
    assert "Published (decision)" in browser.find_element(By.ID, "done").text
    deadline = time.monotonic() + 90
    while episode_id in _queue(browser, url):
        assert time.monotonic() < deadline, "the decided episode stayed on the queue"
        time.sleep(0.3)

    files = export_audit(admin(settings), settings.app_id, audit_key(settings), tmp_path)
    chain = tmp_path / "console.jsonl"
    lines = chain.read_bytes().splitlines()
    assert verify(lines, audit_key(settings)).ok and files[chain] == 3
    pages = [line.decode() for line in lines[:-1]]
    assert ['"page": "episode"' in p or '"page":"episode"' in p for p in pages] == [
        True,
        False,
        True,
    ]
    assert episode_id in pages[1] and contact.subject.family_name not in "".join(pages)
    assert not verify([*lines[:-2], lines[-1]], audit_key(settings)).ok  # a cut tail shows
