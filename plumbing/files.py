"""Private files: everything the hub writes is readable by its own user only.

The hub's files hold children's names, dates of birth and what agencies saw, so the process
mask is ``077`` before anything is written (child processes, the broker's JVM and RocksDB
inherit it) and ``$MASH_HOME`` is ``0700`` with nothing under it open to group or others.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
from pathlib import Path

from plumbing.errors import ConfigError

__all__ = ["PRIVATE_UMASK", "folder_id", "hold_folder", "private_home", "private_umask"]

PRIVATE_UMASK = 0o077
"""New files are 0600 and new directories 0700, whatever the caller's umask was."""


def private_umask() -> None:
    """Make every file this process (and its children) creates private to its user."""
    os.umask(PRIVATE_UMASK)


def private_home(home: Path) -> None:
    """Create ``home`` as ``0700`` and take group and other access from anything under it
    (files left by an older version or written under a looser umask)."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    _tighten(home)
    for root, dirs, files in os.walk(home):
        for name in (*dirs, *files):
            _tighten(Path(root) / name)


def _tighten(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:  # removed while we walked (a broker segment, a temp file)
        return
    if stat.S_ISLNK(mode) or not mode & 0o077:
        return
    path.chmod(stat.S_IMODE(mode) & 0o700)


_HELD: list[int] = []
"""Descriptors of the folders this process holds (kept open: closing one frees its lock)."""


def hold_folder(folder: Path, setting: str) -> bool:
    """Hold ``folder`` for this process until it ends: `ConfigError` naming ``setting`` if
    another process holds it. A POSIX record lock: the kernel frees it when the process dies,
    however it dies, and a forked child does not inherit it. False (not held) where the
    file system keeps no such locks."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(folder / ".held", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(descriptor)
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            raise ConfigError(
                f"another process is running on {folder}: each worker needs its own ({setting})"
            ) from None
        return False
    _HELD.append(descriptor)
    return True


def folder_id(folder: Path) -> str:
    """A random id of ``folder``, made once and kept in it (``.id``, with the folder's inode):
    the same for as long as the folder is this one, whatever the host's name (a container
    made again on its volume); a copy of it is another folder (another inode) and makes an
    id of its own, so that two workers never share one."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    kept, inode = folder / ".id", str(folder.stat().st_ino)
    try:
        token, of = kept.read_text("ascii").split()
        if of == inode and len(token) == 16 and int(token, 16) >= 0:
            return token
    except (OSError, ValueError, UnicodeDecodeError):
        pass  # none yet, or not this folder's, or damaged: a new one
    token = secrets.token_hex(8)
    scratch = folder / f".id.{os.getpid()}"
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="ascii") as out:
        out.write(f"{token} {inode}\n")
    scratch.replace(kept)
    return token
