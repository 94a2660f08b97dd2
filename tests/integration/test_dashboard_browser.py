"""The board's dashboard in headless Chromium (Debian's chromium and chromedriver): the page
shows the figures and its charts, loads nothing from outside, leaves its content alone (an
opened definition stays open, the scroll position stays) while the figures do not change, and
replaces it when new events change a figure. Prints the publish-to-screen latency."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from mash.demo import wait_for_figures, wait_until_drained, wait_until_ready, worker_process
from plumbing.settings import WorkerSettings
from simulation.year import simulate
from tests.conftest import free_port
from tests.integration.hub import settings_from
from tests.integration.test_hub import publish

AS_OF = dt.date(2013, 3, 31)
CHROMIUM = os.environ.get("MASH_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MASH_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(
            f"no Chromium at {CHROMIUM} or ChromeDriver at {CHROMEDRIVER}; "
            "`bash deploy/setup.sh --for-tests` installs Debian's chromium and chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _police(count: int, seed: int) -> list[Any]:
    """Domestic abuse incidents of 2012-13, each a new agency record."""
    events = [
        e
        for e in simulate("havering-2012", seed=seed).events["police.notification"]
        if e.incident_type.value == "DOMESTIC_ABUSE_INCIDENT"
        and dt.date(2012, 4, 1) <= e.occurred_at.date() <= AS_OF
    ]
    return [
        e.model_copy(update={"event_id": uuid.uuid4(), "agency_record_id": f"T-{uuid.uuid4()}"})
        for e in events[:count]
    ]


def _incidents(driver: webdriver.Chrome) -> int:
    """Domestic abuse incidents in 2012-13 as the page shows them (read in one step: the
    page swaps its report in place)."""
    text = driver.execute_script(
        "const c = document.querySelector('table#dv tbody tr:nth-child(2) td:nth-child(3)');"
        "return c ? c.textContent : '';"
    )
    return int(str(text).replace(",", "") or -1)


def test_the_page_shows_the_figures_and_follows_new_events(
    hub_env: dict[str, str], tmp_path: Path, browser: webdriver.Chrome
) -> None:
    env = {
        **hub_env,
        "MASH_REPORTING_DATE": AS_OF.isoformat(),
        "MASH_METRICS_INTERVAL_S": "0.25",
        "MASH_DASHBOARD_REFRESH_S": "0.25",
        "MASH_DASHBOARD_PORT": str(free_port()),
    }
    settings = settings_from(env, WorkerSettings)
    first = _police(200, seed=1)
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until_ready(settings, worker)
        publish(settings, tuple(first))
        wait_until_drained(settings, len(first), worker)
        wait_for_figures(settings, AS_OF, worker)
        dashboard = subprocess.Popen(
            [sys.executable, "-m", "mash.cli", "dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{env['MASH_DASHBOARD_PORT']}/"
            _open(browser, url)
            assert "Safeguarding board report" in browser.title + browser.page_source
            assert browser.find_element(By.ID, "as-of").text == "31 March 2013"
            assert _incidents(browser) == len(first)
            assert browser.find_elements(By.CSS_SELECTOR, "svg#chart-contacts_by_month")
            assert browser.find_elements(By.CSS_SELECTOR, "svg#chart-lac_moves line")
            resources = browser.execute_script(
                "return performance.getEntriesByType('resource').map(r => r.name)"
            )
            assert all(r.startswith(url) for r in resources), resources  # no CDN, nothing outside

            _kept_while_unchanged(browser, refresh_s=0.25)

            latencies = []
            shown = len(first)
            for n in range(5):
                more = _police(3, seed=10 + n)
                published = time.monotonic()
                publish(settings, tuple(more))
                shown += len(more)
                deadline = published + 60
                while _incidents(browser) != shown:
                    assert time.monotonic() < deadline, "the page did not show the new events"
                    time.sleep(0.05)
                latencies.append(time.monotonic() - published)
            replaced = browser.execute_script(
                "return document.querySelector('#report table').dataset.marker === undefined"
                " && document.getElementById('def-dv').open"
            )
            assert replaced  # new figures: the content was replaced, the definition reopened
            print(
                f"\npublish -> dashboard: median {statistics.median(latencies):.2f}s, "
                f"max {max(latencies):.2f}s over {len(latencies)} rounds"
            )
        finally:
            dashboard.terminate()
            dashboard.wait(timeout=30)


def _kept_while_unchanged(driver: webdriver.Chrome, refresh_s: float) -> None:
    """Open a definition, scroll, mark a node; over several refreshes with no new figures the
    node is the same one (not replaced), the definition open and the page where it was."""
    driver.set_window_size(1280, 700)
    driver.find_element(By.CSS_SELECTOR, "details#def-dv summary").click()
    driver.execute_script(
        "document.querySelector('#report table').dataset.marker = 'kept';window.scrollTo(0, 600);"
    )
    version = driver.find_element(By.ID, "report").get_attribute("data-version")
    time.sleep(refresh_s * 8)
    state = driver.execute_script(
        "return [document.querySelector('#report table').dataset.marker,"
        " document.getElementById('def-dv').open, window.scrollY,"
        " document.getElementById('provenance').textContent]"
    )
    assert state[:3] == ["kept", True, 600], state
    assert str(state[3]).startswith("Figures computed ") and " events" in str(state[3])
    assert driver.find_element(By.ID, "report").get_attribute("data-version") == version


def _open(driver: webdriver.Chrome, url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            driver.get(url)
            if driver.find_elements(By.ID, "report"):
                return
        except Exception:  # the server still starting
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the dashboard did not answer at {url}")
        time.sleep(0.3)
