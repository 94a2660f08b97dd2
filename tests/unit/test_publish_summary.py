"""What `mash publish` prints about which lines went out."""

from __future__ import annotations

from pathlib import Path

import pytest

from mash import publishing
from producers.publisher import PublishReport
from producers.rejects import Rejection


def _printed(report: PublishReport, capsys: pytest.CaptureFixture[str]) -> str:
    publishing.print_report(report)
    return capsys.readouterr().out


def _rejected(line: int) -> Rejection:
    return Rejection(line, (("given_name", "required"),), b"x")


def test_every_row_rejected_says_none_was_published(capsys: pytest.CaptureFixture[str]) -> None:
    report = PublishReport("police", Path("p.csv"), 0, [_rejected(2), _rejected(3)], lines=(2, 3))
    out = _printed(report, capsys)
    assert "published: none of lines 2-3" in out and "every row" not in out


def test_some_rows_rejected_says_the_rest_were_published(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = PublishReport("police", Path("p.csv"), 2, [_rejected(3)], lines=(2, 4))
    assert "published: every row of lines 2-4 except the rejected ones" in _printed(report, capsys)
