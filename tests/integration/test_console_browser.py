"""The analysts' console in headless Chromium (Debian's chromium and chromedriver), served by
uvicorn over a SQLite store: an analyst signs in through the form, sees the breached RED
episode first, opens it and sees the agency's contribution and the link's explanation; a
`<script>` in a record id stays text; a board user gets 403 on the episode. Every view is in
the access log, and the chain verifies. (The console's own screens only: no broker needed.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.common.by import By

from console.access_log import AccessLog
from console.app import create_console
from sinks.store import Store
from tests.conftest import free_port
from tests.integration.test_dashboard_browser import browser  # noqa: F401  (a fixture)
from tests.unit.console.conftest import KEY, NOW, PASSWORD, Hub, hub, with_users  # noqa: F401


@pytest.fixture
def console_url(hub: Hub) -> Iterator[str]:  # noqa: F811  (the fixture above)
    port = free_port()
    app = create_console(hub.settings, KEY, hub.out, now=lambda: NOW)
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
