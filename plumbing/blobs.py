"""Content-addressed private files: a message too large to travel whole is kept here by its
sha256 (under ``$MASH_HOME/blobs``, folders 0700, files 0600), and read back by that digest."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["blob_path", "read_blob", "store_blob"]


def blob_path(home: Path, sha256: str) -> Path:
    """Where the blob of digest ``sha256`` lives (refuses anything but a hex digest)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return home / "blobs" / sha256[:2] / sha256


def store_blob(home: Path, data: bytes) -> str:
    """Keep ``data`` (once: the same bytes land on the same file); returns its sha256."""
    digest = hashlib.sha256(data).hexdigest()
    path = blob_path(home, digest)
    if path.exists() and path.stat().st_size == len(data):
        return digest
    for folder in (home / "blobs", path.parent):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)
    partial = path.with_suffix(f".{os.getpid()}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)  # whole or absent, never half written
    return digest


def read_blob(home: Path, sha256: str) -> bytes:
    """The bytes kept under ``sha256``; `ValueError` if they no longer hash to it."""
    data = blob_path(home, sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"blob {sha256} does not match its digest")
    return data
