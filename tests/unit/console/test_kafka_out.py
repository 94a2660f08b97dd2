"""With no broker answering, the console's producer refuses the write in bounded time: the
caller shows nothing (the page is refused with 503)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from console.kafka_out import KafkaOut
from plumbing.errors import ConsoleUnavailable
from plumbing.settings import ConsoleSettings
from tests.conftest import free_port


def test_an_unreachable_broker_refuses_the_access_record_within_the_timeout(
    tmp_path: Path,
) -> None:
    settings = ConsoleSettings(
        home=tmp_path,
        kafka_bootstrap=f"127.0.0.1:{free_port()}",  # nothing listens there
        kafka_security_protocol="PLAINTEXT",
    )
    out = KafkaOut(settings, timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(ConsoleUnavailable, match=r"did not take the write to mash\.audit"):
        out.audit("console", '{"seq": 1}')
    assert time.monotonic() - started < 5
