"""`mash broker start | status | stop` runs Apache Kafka itself and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from kafka.admin import KafkaAdminClient, NewTopic

from plumbing.kafka import credentials, kafka_python_config
from plumbing.settings import BrokerSettings
from tests.conftest import free_port


def _mash(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mash.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=180,
        check=False,
    )


def _java_processes(marker: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "kafka.Kafka" in cmdline and marker in cmdline:
            found.append(proc.name)
    return found


def _admin_config(home: Path, port: int) -> dict[str, Any]:
    settings = BrokerSettings(home=home, broker_port=port, kafka_username="admin")
    return kafka_python_config(credentials(settings))


def test_start_status_stop_leaves_no_java_process_and_keeps_data(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env |= {
        "MASH_HOME": str(tmp_path),
        "MASH_BROKER_PORT": str(port),
        "MASH_CONTROLLER_PORT": str(free_port()),
    }
    first = _mash(env, "broker", "start")
    assert first.returncode == 0, first.stderr
    assert "started" in first.stdout
    # its log (and librdkafka's) goes to a file, the terminal gets the two summary lines
    assert first.stderr == "" and (tmp_path / "logs" / "broker.log").stat().st_size > 0
    try:
        again = _mash(env, "broker", "start")
        assert again.returncode == 0 and "already running" in again.stdout
        status = _mash(env, "broker", "status")
        assert status.returncode == 0 and "running" in status.stdout
        assert str(tmp_path / "broker" / "broker.log") in status.stdout
        admin = KafkaAdminClient(**_admin_config(tmp_path, port))
        admin.create_topics([NewTopic("survives.restart", 1, 1)])
        admin.close()
        assert _mash(env, "broker", "stop").returncode == 0
        assert _java_processes(str(tmp_path)) == []
        assert _mash(env, "broker", "status").returncode == 3
        assert _mash(env, "broker", "start").returncode == 0
        admin = KafkaAdminClient(**_admin_config(tmp_path, port))
        assert "survives.restart" in admin.list_topics()
        admin.close()
    finally:
        stop = _mash(env, "broker", "stop")
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert _java_processes(str(tmp_path)) == []


def test_secrets_are_private_and_an_unsecured_broker_dir_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env |= {
        "MASH_HOME": str(tmp_path),
        "MASH_BROKER_PORT": str(free_port()),
        "MASH_CONTROLLER_PORT": str(free_port()),
    }
    started = _mash(env, "broker", "start")
    try:
        assert started.returncode == 0, started.stderr
        secrets, tls = tmp_path / "secrets", tmp_path / "broker" / "tls"
        assert secrets.stat().st_mode & 0o777 == 0o700
        for path in [*secrets.iterdir(), *tls.iterdir(), tmp_path / "broker" / "server.properties"]:
            assert path.stat().st_mode & 0o777 == 0o600, path
        config = (tmp_path / "broker" / "server.properties").read_text()
        assert "listeners=SASL_SSL://127.0.0.1:" in config
        assert "PLAINTEXT" not in config and "ANONYMOUS" not in config
    finally:
        assert _mash(env, "broker", "stop").returncode == 0
    (tmp_path / "broker" / "secured").unlink()  # as a broker formatted before issue 12
    refused = _mash(env, "broker", "start")
    assert refused.returncode == 3  # the broker cannot start: configuration
    assert "formatted without security" in refused.stdout
    assert _java_processes(str(tmp_path)) == []
