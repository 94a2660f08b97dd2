"""`mash bench console`: a police notification published until it is on the analyst's queue
page, one at a time, through the real stack (broker, worker, sinks, console over HTTP)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from mash.access import set_up
from mash.bench import _isolated, _log, _stream, settings_env
from mash.console import console, progress
from plumbing.settings import ConsoleSettings, PublisherSettings, WorkerSettings
from producers.publisher import Publisher, subject_key
from schemas.contracts import POLICE_NOTIFICATION
from schemas.framing import encode

__all__ = ["bench_console"]

_EPISODE = re.compile(r'class="episode" href="/episodes/')


@contextmanager
def _served(settings: ConsoleSettings) -> Iterator[str]:
    """The console on a free local port, as `mash console` serves it; its URL."""
    import socket

    from console.app import create_console
    from console.kafka_out import KafkaOut
    from plumbing.keys import audit_key

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = KafkaOut(settings)
    app = create_console(settings, audit_key(settings), out)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        out.close()


@contextmanager
def _analyst(url: str, settings: ConsoleSettings) -> Iterator[httpx.Client]:
    """A signed-in analyst's HTTP client."""
    from console.users import UserStore
    from sinks.store import Store

    name, password = f"bench-{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    UserStore(Store(settings.database)).add(name, "analyst", password, dt.datetime.now(dt.UTC))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per poll otherwise
    with httpx.Client(base_url=url) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post("/login", data={"name": name, "password": password, "csrf": token[1]})
        yield client


@contextmanager
def _police(settings: WorkerSettings) -> Iterator[Callable[[Any], None]]:
    """Send one police notification and wait for its acknowledgement (one producer)."""
    publisher = Publisher(
        PublisherSettings(**settings.model_dump(include=set(PublisherSettings.model_fields)))
    )
    topic = settings.topic(POLICE_NOTIFICATION.topic)
    producer = publisher.producer_for(POLICE_NOTIFICATION.topic)

    def send(event: Any) -> None:
        key = subject_key(event, publisher.key_secret)
        producer.send(topic, key=key, value=encode(POLICE_NOTIFICATION, event)).get(timeout=30)

    try:
        yield send
    finally:
        publisher.close()


def bench_console(settings: WorkerSettings, events: int) -> dict[str, float]:
    """Send ``events`` police notifications (distinct children) one by one; for each, the time
    from its send until the analyst's queue page lists one more episode."""
    from mash.demo import wait_until_ready, worker_process

    settings = _isolated(settings)
    set_up(settings)
    stream = _stream("police", events, children=events)
    fields = set(ConsoleSettings.model_fields)
    console_settings = ConsoleSettings(**settings.model_dump(include=fields))
    delays = []
    with worker_process(settings_env(settings), _log(settings)) as w:
        wait_until_ready(settings.as_principal("admin"), w)
        with (
            _served(console_settings) as url,
            _analyst(url, console_settings) as client,
            _police(settings) as send,
            progress() as bar,
        ):
            task = bar.add_task("Notification to queue page", total=len(stream))
            for n, event in enumerate(stream, start=1):
                started = time.perf_counter()
                send(event)
                while len(_EPISODE.findall(client.get("/queue").text)) < n:
                    if time.perf_counter() - started > 30:
                        raise RuntimeError(f"notification {n} did not reach the queue in 30s")
                    time.sleep(0.01)
                delays.append(time.perf_counter() - started)
                bar.advance(task)
    delays.sort()
    figures = {
        "events": len(delays),
        "median_s": statistics.median(delays),
        "p99_s": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
    }
    console.print(
        f"{len(delays)} police notifications, each published until on the analyst's queue "
        f"page: median [bold]{figures['median_s'] * 1000:,.0f} ms[/bold], p99 "
        f"[bold]{figures['p99_s'] * 1000:,.0f} ms[/bold]"
    )
    return figures
