"""A throwaway PostgreSQL cluster a fault case owns (``initdb`` and ``pg_ctl`` on a free port),
so it may stop and start it without touching the machine's shared server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.conftest import free_port

__all__ = ["OwnPostgres", "own_postgres"]

_SEARCH = ["/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"]


def _bin_dir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are (the newest installed version), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(p for pattern in _SEARCH for p in Path("/").glob(pattern.lstrip("/")))
    return next((p for p in reversed(versions) if (p / "initdb").exists()), None)


class OwnPostgres:
    """One cluster: started, stopped and started again by the test that made it."""

    def __init__(self, bin_dir: Path, home: Path) -> None:
        self.bin_dir, self.home, self.port = bin_dir, home, free_port()
        self.data = home / "data"
        self._as_owner("initdb", "-D", str(self.data), "-U", "mash", "--auth=trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        """The URL of its ``hub`` database (created by `start`)."""
        return f"postgresql://mash@127.0.0.1:{self.port}/hub"

    def _as_owner(self, tool: str, *args: str) -> None:
        """Run a PostgreSQL tool as the cluster's owner (PostgreSQL refuses to run as root)."""
        command = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.home)

    def start(self) -> None:
        """Start the server and wait until it accepts connections; the hub database made."""
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1"
        log = str(self.home / "server.log")
        self._as_owner("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        import psycopg

        base = self.url.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = 'hub'").fetchone():
                admin.execute("CREATE DATABASE hub")

    def stop(self) -> None:
        """Stop the server (fast: connections are cut, as a restart or a failover does)."""
        self._as_owner("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A new cluster, started; stopped and deleted afterwards. Skips (saying why) where the
    PostgreSQL server binaries are not installed."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("no initdb: `bash deploy/setup.sh --for-tests` installs PostgreSQL")
    home = Path(tempfile.mkdtemp(prefix="mash-pg-"))  # not under pytest's root-only folders
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    server = OwnPostgres(bin_dir, home)
    server.start()
    try:
        yield server
    finally:
        with suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(home, ignore_errors=True)
