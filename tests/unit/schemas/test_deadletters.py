"""A dead letter always fits: small originals travel inline, large ones are stored privately."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from schemas.deadletters import INLINE_BYTES, Origin, dead_letter, origin_of, original_value

ORIGIN = Origin("mash.police.notifications", 2, 41, "validate", "x" * 5000)


def test_a_small_original_travels_inline_with_its_origin(tmp_path: Path) -> None:
    letter = dead_letter(ORIGIN, b"k", b"junk", tmp_path)
    headers = dict(letter.headers)
    assert letter.value == b"junk" and letter.key == b"k"
    found = origin_of(headers)
    assert found is not None
    assert (
        found.topic,
        found.partition,
        found.offset,
        found.stage,
    ) == ("mash.police.notifications", 2, 41, "validate")
    assert len(found.reason) == 2000  # cut: a reason can quote a whole field
    assert not (tmp_path / "blobs").exists()


def test_a_large_original_is_stored_private_and_read_back_by_its_digest(tmp_path: Path) -> None:
    value = bytes(range(256)) * (INLINE_BYTES // 256 + 1)
    letter = dead_letter(ORIGIN, None, value, tmp_path)
    headers = dict(letter.headers)
    assert letter.value == b""
    assert sum(len(k) + len(v) for k, v in letter.headers) < 4096
    assert headers["mash.original.sha256"] == hashlib.sha256(value).hexdigest().encode()
    assert original_value(headers, letter.value, tmp_path) == value
    (stored,) = (tmp_path / "blobs").rglob(hashlib.sha256(value).hexdigest())
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    stored.write_bytes(value[:-1] + b"!")  # tampered with: refused
    with pytest.raises(ValueError):
        original_value(headers, letter.value, tmp_path)
