"""The audit key: created once, atomically, whoever asks first."""

from __future__ import annotations

import secrets
import stat
import threading
import time
from pathlib import Path

import pytest

from plumbing.keys import audit_key
from plumbing.settings import CommonSettings


def _race(home: Path, workers: int) -> list[bytes | BaseException]:
    settings = CommonSettings(home=home)
    start = threading.Barrier(workers)
    results: list[bytes | BaseException] = []

    def ask() -> None:
        start.wait()
        try:
            results.append(audit_key(settings))
        except BaseException as exc:  # what a worker starting beside another would see
            results.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_workers_starting_together_all_read_the_same_complete_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # defect: check-then-create let one worker read an empty key (or fail with FileExistsError)
    # while another was still writing it; a slow key generation widens that window
    token_hex = secrets.token_hex

    def slow_token_hex(nbytes: int) -> str:
        time.sleep(0.05)
        return token_hex(nbytes)

    monkeypatch.setattr(secrets, "token_hex", slow_token_hex)
    for attempt in range(5):
        results = _race(tmp_path / str(attempt), workers=8)
        assert all(isinstance(r, bytes) for r in results), results
        assert len(set(results)) == 1 and len(results[0]) == 64  # type: ignore[arg-type]


def test_the_key_file_is_private_and_no_draft_is_left(tmp_path: Path) -> None:
    audit_key(CommonSettings(home=tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["audit.key"]
    assert stat.S_IMODE((tmp_path / "audit.key").stat().st_mode) == 0o600
