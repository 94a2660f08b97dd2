"""Screenshots of the board page at 1280 px and at phone width (390 px), for the README.

The figures are computed from the calibrated havering-2012 year's facts directly (no broker:
the facts table as the sinks would hold it; without the hub's linkage and episodes, repeat
plans and the MASH flow that needs episodes show as zero), served by the real dashboard app,
and shot in headless Chromium.

    PYTHONPATH=. .venv/bin/python docs/board_screenshots.py   # writes docs/board-*.png
"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from plumbing.settings import DashboardSettings
from schemas.common import Envelope
from simulation.year import simulate
from sinks.dashboard import create_dashboard
from sinks.facts import Fact, fact_of
from sinks.metrics import refresh_figures
from sinks.store import Store

__all__ = ["main"]

AS_OF = dt.date(2013, 3, 31)
DOCS = Path(__file__).parent
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _facts() -> list[Fact]:
    facts: dict[str, Fact] = {}
    for events in simulate("havering-2012", seed=2012).events.values():
        for event in events:
            if isinstance(event, Envelope):  # every agency event is one
                fact = fact_of(event)
                facts.setdefault(fact.record_key, fact)
    return list(facts.values())


def _shoot(url: str, width: int, height: int, out: Path) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.get(url)
        time.sleep(1)
        full = int(driver.execute_script("return document.documentElement.scrollHeight"))
        clip = {"x": 0, "y": 0, "width": width, "height": min(full, height * 3), "scale": 1}
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip}
        )
        out.write_bytes(base64.b64decode(shot["data"]))
    finally:
        driver.quit()


def main() -> None:
    """Compute the figures, serve the dashboard, write docs/board-desktop.png and -phone.png."""
    with tempfile.TemporaryDirectory() as home:
        settings = DashboardSettings(home=Path(home), dashboard_port=8093)
        store = Store(settings.database)
        store.upsert_facts(_facts())
        refresh_figures(store, AS_OF)
        server = uvicorn.Server(
            uvicorn.Config(create_dashboard(settings), port=8093, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.1)
        try:
            for name, (width, height) in WIDTHS.items():
                _shoot("http://127.0.0.1:8093/", width, height, DOCS / f"board-{name}.png")
        finally:
            server.should_exit = True
            thread.join()


if __name__ == "__main__":
    main()
