"""What a test of private files asserts: nothing open to group or others."""

from __future__ import annotations

import stat
from pathlib import Path

__all__ = ["open_to_others"]


def open_to_others(root: Path) -> list[str]:
    """Every path under ``root`` (itself included) that group or others may use, with its
    mode (octal); directories must be exactly 0700. Symbolic links are not followed."""
    found = []
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077 or (path.is_dir() and mode != 0o700):
            found.append(f"{path.relative_to(root.parent)} {mode:o}")
    return found
