"""The audit chain's key: from the settings, or generated once and kept beside the data."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile

from plumbing.settings import CommonSettings

__all__ = ["audit_key"]


def audit_key(settings: CommonSettings) -> bytes:
    """The HMAC key for the audit chain (``MASH_AUDIT_KEY``, else ``<home>/audit.key``).

    The file is created atomically: the key is written in full to a private temporary file
    that is then hard-linked into place, which fails if another process got there first, so
    two workers starting together always read the same, complete key.
    """
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    path = settings.home / "audit.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".audit.key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):  # another process won: use its key
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return path.read_text().strip().encode()
