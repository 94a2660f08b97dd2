"""The audit chain's key: from the settings, or generated once and kept beside the data."""

from __future__ import annotations

import os
import secrets

from mash.settings import CommonSettings

__all__ = ["audit_key"]


def audit_key(settings: CommonSettings) -> bytes:
    """The HMAC key for the audit chain (``MASH_AUDIT_KEY``, else ``<home>/audit.key``)."""
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    path = settings.home / "audit.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
