"""The analysts' console in headless Chromium (Debian's chromium and chromedriver), served by
uvicorn over a SQLite store: an analyst signs in through the form, sees the breached RED
episode first, opens it and sees the agency's contribution and the link's explanation; a
`<script>` in a record id stays text; a board user gets 403 on the episode. Every view is in
the access log, and the chain verifies. (The console's own screens only: no broker needed.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.common.by import By

from console.access_log import AccessLog
from console.app import create_console
from sinks.store import EpisodeChange, Store
from tests.conftest import free_port
from tests.integration.test_dashboard_browser import browser  # noqa: F401  (a fixture)
from tests.unit.console.conftest import (  # noqa: F401  (fixtures)
    KEY,
    NOW,
    PASSWORD,
    Hub,
    episode,
    hub,
    with_users,
)


@contextmanager
def _served(hub: Hub, **overrides: object) -> Iterator[str]:  # noqa: F811
    """The console over the hub's store, served by uvicorn: its URL."""
    port = free_port()
    settings = hub.settings.model_copy(update=overrides)
    app = create_console(settings, KEY, hub.out, now=lambda: NOW)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def console_url(hub: Hub) -> Iterator[str]:  # noqa: F811  (the fixture above)
    with _served(hub) as url:
        yield url


def _sign_in(driver: webdriver.Chrome, url: str, name: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "signin").click()
    deadline = time.monotonic() + 20  # the click submits; the next page may take a moment
    while driver.current_url.endswith("/login"):
        assert time.monotonic() < deadline, "signing in did not leave the sign-in page"
        time.sleep(0.05)


def test_analyst_works_the_queue_and_board_is_refused(
    browser: webdriver.Chrome,  # noqa: F811
    console_url: str,
    hub: Hub,  # noqa: F811
) -> None:
    _sign_in(browser, console_url, "analyst")
    assert browser.current_url == f"{console_url}/queue"
    links = browser.find_elements(By.CSS_SELECTOR, "#queue a.episode")
    assert [a.text for a in links] == ["E2", "E3", "E9", "E1"]  # breached RED first
    first_row = browser.find_element(By.CSS_SELECTOR, "#queue tbody tr")
    assert "RED" in first_row.text and "breached" in first_row.text
    browser.get(f"{console_url}/episodes/E1")
    contributions = browser.find_element(By.ID, "contributions").text
    assert "POLICE" in contributions and "PN-1" in contributions
    assert "nhs_number exact +9.1" in browser.find_element(By.ID, "linked").text
    browser.get(f"{console_url}/episodes/E9")
    assert '<script>alert("x")</script>' in browser.find_element(By.ID, "contributions").text
    assert browser.execute_script("return document.scripts.length") == 0
    _sign_in(browser, console_url, "board")
    browser.get(f"{console_url}/episodes/E1")
    assert "Your role may not see this page." in browser.find_element(By.ID, "message").text
    assert "PN-1" not in browser.page_source
    log = AccessLog(Store(hub.settings.database), KEY)
    assert [(a.user, a.page, a.person_id) for a in log.accesses()] == [
        ("analyst", "episode", "P9"),
        ("analyst", "episode", "P1"),
    ]
    assert log.verify().ok


def test_the_queue_shows_a_new_episode_without_a_reload_and_keeps_its_filter(
    browser: webdriver.Chrome,  # noqa: F811
    hub: Hub,  # noqa: F811
) -> None:
    with _served(hub, console_queue_refresh_s=0.5) as url:
        _sign_in(browser, url, "analyst")
        browser.get(f"{url}/queue?rag=AMBER")
        browser.execute_script("window.notReloaded = true;")
        news = [episode(5, "AMBER", 1, person="P5"), episode(6, "RED", -2, person="P6")]
        hub.store.apply_episodes([EpisodeChange(s.episode_id, s, 2, 0) for s in news])
        deadline = time.monotonic() + 30
        while "E5" not in _listed(browser):
            assert time.monotonic() < deadline, "the new episode did not appear"
            time.sleep(0.2)
        assert browser.execute_script("return window.notReloaded === true;")
        assert browser.current_url.endswith("/queue?rag=AMBER")
        assert _listed(browser) == ["E5", "E3", "E9"]  # AMBER only: the RED E6 filtered out


def _listed(driver: webdriver.Chrome) -> list[str]:
    """The queue's episode ids, read at once (the table may be swapped between two reads)."""
    script = "return [...document.querySelectorAll('#queue a.episode')].map(a => a.textContent);"
    return [str(t) for t in driver.execute_script(script)]
