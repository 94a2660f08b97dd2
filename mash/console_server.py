"""`mash console`: the analysts' console served by uvicorn, a busy port told in one line."""

from __future__ import annotations

import socket

from mash.console import console
from plumbing.errors import ConsoleError
from plumbing.settings import ConsoleSettings

__all__ = ["serve_console"]


def serve_console(settings: ConsoleSettings) -> None:
    """Serve until interrupted; `ConsoleError` if the port is taken."""
    import uvicorn

    from console.app import create_console
    from console.kafka_out import CONSOLE_PRINCIPAL, KafkaOut
    from mash.access import console_topics
    from plumbing.kafka import require_topics
    from plumbing.keys import audit_key

    host, port = settings.console_bind, settings.console_port
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConsoleError(
                f"cannot listen on {host}:{port} ({exc.strerror}): set MASH_CONSOLE_PORT"
            ) from None
    require_topics(settings.as_principal(CONSOLE_PRINCIPAL), console_topics(settings))
    out = KafkaOut(settings)
    app = create_console(settings, audit_key(settings), out)
    scheme = "https" if settings.console_secure_cookies else "http"
    console.print(f"Console on {scheme}://{host}:{port}/")
    # no access log: a request line may carry a search's stated purpose
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        out.close()
