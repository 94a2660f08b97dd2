"""The worker supervisor: `mash worker` runs the Faust streams in this process and, unless its
role says otherwise, the sinks beside them in a child process that dies with it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from plumbing.files import hold_folder
from plumbing.heap import tune_allocator
from plumbing.logs import forward_lines, get_logger
from plumbing.ports import require_free_port
from plumbing.processes import PARENT_PID, give_way
from plumbing.settings import WorkerSettings

__all__ = ["run_worker"]

log = get_logger(__name__)

COMMAND = (sys.executable, "-m", "mash.cli", "worker")
"""The sinks' process: `mash worker`, its role (``MASH_ROLE=sinks``) in its environment."""

HEALTHY_S = 60.0
"""Sinks that ran this long before they exited are restarted after the shortest pause."""


def run_worker(settings: WorkerSettings) -> None:
    """Run the worker's role in the foreground until stopped (SIGINT/SIGTERM); `PortInUse`
    before anything starts if the streams' web port is taken."""
    tuned = tune_allocator()  # before any thread: a thread's arena is made as it first allocates
    if tuned:
        log.info("worker.allocator_tuned", **tuned)
    # each role imports only its own stack: the streams' (Faust) and the sinks' (SQLAlchemy)
    # each take most of a second to import, and a restart waits for them
    if settings.role == "sinks":
        from sinks.worker import run_sinks

        run_sinks(settings)
        return
    from streams.app import run_streams

    require_free_port(settings.web_bind, settings.web_port, "MASH_WEB_PORT")
    # one worker a folder (and so a group instance id), refused before its sinks start
    if not hold_folder(settings.worker_path, "MASH_DATA_DIR"):
        log.warning("worker.folder_not_held", reason="the file system keeps no locks")
    sinks = None
    if settings.role == "all":
        sinks = _Sinks(settings.log_file is not None, settings.sinks_niceness)
    try:
        run_streams(settings)
    finally:
        if sinks is not None:
            sinks.stop()


class _Sinks:
    """The sinks' process beside the streams: `mash worker` with the sinks' role, sharing
    this process's settings and output, restarted (with a growing pause) if it exits, and
    giving way to the streams for the processor (``niceness``) from its start: its imports,
    most of a second of CPU, come when the streams' restart needs the processor most.

    When the worker logs to a file, the sinks' lines are forwarded into it, so that one
    process writes and rotates it."""

    def __init__(self, forward: bool, niceness: int, command: Sequence[str] = COMMAND) -> None:
        self.command, self.niceness = list(command), niceness
        self.env = {**os.environ, "MASH_ROLE": "sinks", PARENT_PID: str(os.getpid())}
        self.forward = forward
        if forward:
            self.env.pop("MASH_LOG_FILE", None)
            self.env["MASH_LOG_FORMAT"] = "json"
        self.pause_s = 1.0
        self.started = time.monotonic()
        self.stopped = threading.Event()
        self.starting = threading.Lock()  # a stop and a restart, one at a time
        self.process = self._start()
        threading.Thread(target=self._watch, name="sinks-watch", daemon=True).start()

    def _start(self) -> subprocess.Popen[bytes]:
        self.started = time.monotonic()
        output = subprocess.PIPE if self.forward else None
        process = subprocess.Popen(
            self.command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if self.forward else None,
        )
        if process.stdout is not None:
            threading.Thread(
                target=forward_lines, args=(process.stdout,), name="sinks-log", daemon=True
            ).start()
        if not give_way(process.pid, self.niceness):  # as its interpreter begins: imports too
            log.warning("sinks.not_reniced", pid=process.pid, niceness=self.niceness)
        return process

    def _watch(self) -> None:
        """Never a worker without its sinks: restart them if they exited."""
        while not self.stopped.wait(1.0):
            if self.process.poll() is None:
                continue
            if time.monotonic() - self.started > HEALTHY_S:  # a new failure, not the same one
                self.pause_s = 1.0
            log.error("sinks.exited", status=self.process.returncode, restart_in_s=self.pause_s)
            if self.stopped.wait(self.pause_s):
                return
            self.pause_s = min(self.pause_s * 2, 60.0)
            with self.starting:  # a stop since the pause ended starts none
                if self.stopped.is_set():
                    return
                self.process = self._start()

    def stop(self) -> None:
        """End the sinks (SIGTERM, then SIGKILL after 30 s); none is started after it."""
        with self.starting:  # not while a restart is under way: it would go unseen
            self.stopped.set()
            process = self.process
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
