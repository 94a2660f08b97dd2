"""A server's port checked before it is announced: a busy port told in one line naming the
setting that moves it."""

from __future__ import annotations

import socket

from plumbing.errors import PortInUse

__all__ = ["require_free_port"]


def require_free_port(host: str, port: int, setting: str) -> None:
    """`PortInUse` naming ``setting`` unless ``host:port`` can be listened on now."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"cannot listen on {host}:{port} ({exc.strerror}): set {setting} to a free port"
            ) from None
