"""The hub's secrets: from the settings, or generated once and kept beside the data (0600)."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from plumbing.settings import CommonSettings

__all__ = ["audit_key", "db_password", "key_secret"]


def audit_key(settings: CommonSettings) -> bytes:
    """The HMAC key for the audit chain (``MASH_AUDIT_KEY``, else ``<home>/audit.key``)."""
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    return _kept_secret(settings.home / "audit.key")


def key_secret(settings: CommonSettings) -> bytes:
    """The HMAC key that turns a child's identifier into a message key (``MASH_KEY_SECRET``,
    else ``<home>/secrets/key.secret``)."""
    if settings.key_secret is not None:
        return settings.key_secret.get_secret_value().encode()
    return _kept_secret(settings.home / "secrets" / "key.secret")


def db_password(settings: CommonSettings, role: str) -> str:
    """The password of a database role (`mash db roles`), kept in
    ``<home>/secrets/db-<role>.password``."""
    return _kept_secret(settings.home / "secrets" / f"db-{role}.password").decode()


def _kept_secret(path: Path) -> bytes:
    """The secret kept in ``path``, generated (32 random bytes, hex) if there is none.

    The file is created atomically: the secret is written in full to a private temporary file
    that is then hard-linked into place, which fails if another process got there first, so
    two processes starting together always read the same, complete secret.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):  # another process won: use its secret
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return path.read_text().strip().encode()
