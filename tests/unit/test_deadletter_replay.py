"""Which dead letters a replay may send back: only one whose original is the record at the
offset it names, or one event of that record when it is a packed message linkage could not
read in full (the review of 2026-12-06 found such genuine letters refused as forged)."""

from __future__ import annotations

from pathlib import Path

from mash.deadletters import Letter, _mismatch
from plumbing.kafka import Record
from schemas.deadletters import Origin
from schemas.framing import pack

AT = ("mash.hub.identities", 0, 7)


def _letter(value: bytes, stage: str = "linkage") -> Letter:
    kept = Record("mash.deadletter", 0, 3, None, value, {})
    return Letter(kept, Origin(*AT, stage, "unreadable"))


def test_a_letter_of_one_event_of_a_packed_message_may_be_replayed(tmp_path: Path) -> None:
    frames = [b"\xc3\x01event-one", b"\xc3\x01event-two"]
    originals = {AT: Record(*AT, b"k", pack(frames), {})}
    assert _mismatch(_letter(frames[1]), originals, tmp_path) is None
    assert _mismatch(_letter(pack(frames)), originals, tmp_path) is None  # the whole message
    assert "forged" in str(_mismatch(_letter(b"\xc3\x01event-three"), originals, tmp_path))
    assert "no record at" in str(_mismatch(_letter(frames[0]), {}, tmp_path))


def test_a_letter_naming_a_record_that_is_not_packed_must_match_it_whole(tmp_path: Path) -> None:
    originals = {AT: Record(*AT, b"k", b"plain bytes", {})}
    assert _mismatch(_letter(b"plain bytes", "validate"), originals, tmp_path) is None
    assert "forged" in str(_mismatch(_letter(b"plain", "validate"), originals, tmp_path))
