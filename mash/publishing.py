"""Export files published with one publisher behind one progress bar (`mash publish`,
`mash simulate --publish`, `mash demo`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from mash.console import progress
from plumbing.settings import PublisherSettings
from producers.publisher import Publisher, PublishReport

__all__ = ["publish_files"]


def publish_files(
    settings: PublisherSettings,
    files: Mapping[Path, int],
    label: str,
    agency: str | None = None,
    on_report: Callable[[PublishReport], None] = lambda _: None,
) -> list[PublishReport]:
    """Publish each of ``files`` (rows per file, for the bar) as an export of ``agency``, or
    else of the kind its name gives (``police.notification.csv``); ``on_report`` hears of each
    file as it is done."""
    publisher = Publisher(settings)
    reports = []
    try:
        with progress() as bar:
            task = bar.add_task(label, total=sum(files.values()))
            for path in files:
                kind = agency or path.stem
                report = publisher.publish_file(kind, path, lambda n: bar.advance(task, n))
                on_report(report)
                reports.append(report)
    finally:
        publisher.close()
    return reports
