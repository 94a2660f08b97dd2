"""Faust's web server: on loopback by default, health and metrics only, no table pages."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from plumbing.settings import WorkerSettings
from streams.app import create_app


async def statuses(settings: WorkerSettings, paths: list[str]) -> dict[str, int]:
    app = create_app(settings)
    app.web.init_server()  # the routes a running worker serves
    async with TestClient(TestServer(app.web.web_app)) as client:
        return {path: (await client.get(path)).status for path in paths}


def test_the_faust_web_server_serves_health_and_metrics_only(tmp_path: Path) -> None:
    # no broker is contacted: the routes are built, not served to Kafka clients
    settings = WorkerSettings(
        home=tmp_path, kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="PLAINTEXT"
    )
    app = create_app(settings)
    assert app.conf.web_bind == "127.0.0.1"
    got = asyncio.run(
        statuses(
            settings,
            [
                "/",
                "/performance/",
                "/table/",
                "/table/persons/",
                "/router/",
                "/graph/",
                "/assignment/",
            ],
        )
    )
    assert got == {
        "/": 200,
        "/performance/": 200,
        "/table/": 404,
        "/table/persons/": 404,
        "/router/": 404,
        "/graph/": 404,
        "/assignment/": 404,
    }
