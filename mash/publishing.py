"""Export files published with one publisher behind one progress bar (`mash publish`,
`mash simulate --publish`, `mash demo`), and what a publish tells the terminal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from rich.table import Table

from mash.console import console, progress
from plumbing.settings import PublisherSettings
from producers.publisher import Publisher, PublishReport
from producers.rejects import summarise
from schemas.adapters import adapter_for
from schemas.exports import check_export

__all__ = ["print_report", "publish_files"]


def publish_files(
    settings: PublisherSettings,
    files: Mapping[Path, int],
    label: str,
    agency: str | None = None,
    on_report: Callable[[PublishReport], None] = lambda _: None,
) -> list[PublishReport]:
    """Publish each of ``files`` (rows per file, for the bar) as an export of ``agency``, or
    else of the kind its name gives (``police.notification.csv``); ``on_report`` hears of each
    file as it is done. Every kind, file and header is checked before connecting."""
    for path in files:
        check_export(path, adapter_for(agency or path.stem))
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


def print_report(report: PublishReport) -> None:
    """Counts per reason and field (with the first lines of each), which lines were
    published, and where the rejects file is: each reason once."""
    if report.rejected:
        table = Table(title=f"Rejected rows of {report.path.name}", title_justify="left")
        table.add_column("rows", justify="right")
        table.add_column("field", overflow="fold")
        table.add_column("reason", overflow="fold")
        table.add_column("first lines", overflow="fold")
        for count in summarise(report.rejected):
            more = ", …" if count.rows > len(count.lines) else ""
            lines = ", ".join(map(str, count.lines)) + more
            table.add_row(f"{count.rows:,}", count.column, count.problem, lines)
        console.print(table)
    console.print(
        f"{report.published:,} published, {len(report.rejected):,} rejected "
        f"({report.rows_per_s:,.0f} rows/s)"
    )
    if report.lines is not None:
        first, last = report.lines
        if not report.published:
            console.print(f"published: none of lines {first}-{last}")
        else:
            but = " except the rejected ones" if report.rejected else ""
            console.print(f"published: every row of lines {first}-{last}{but}")
    if report.rejects_file is not None:
        console.print(f"rejects (fix and publish again): {report.rejects_file}", soft_wrap=True)
