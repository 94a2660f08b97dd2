"""The audit export refuses, in one line naming where, a kept head that is not a head at all
(junk a fault or an intruder wrote on a heads changelog), instead of a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import sinks.audit
from plumbing.errors import AuditError
from plumbing.kafka import Record
from plumbing.settings import CommonSettings


@pytest.mark.parametrize("value", [b"[1,2]", b"{not json", b'"1|a|b|c"', b"7"])
def test_junk_on_a_heads_changelog_refuses_the_export_naming_its_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: bytes
) -> None:
    def read_topic(_settings: CommonSettings, topic: str) -> list[Record]:
        return [Record(topic, 0, 41, b'"intake-0"', value, {})] if "heads" in topic else []

    monkeypatch.setattr(sinks.audit, "read_topic", read_topic)
    settings = CommonSettings(home=tmp_path)
    with pytest.raises(AuditError, match=r"partition 0 offset 41 is not a chain's head"):
        sinks.audit.export_audit(settings, "mash-hub", b"k" * 32, tmp_path / "out")
