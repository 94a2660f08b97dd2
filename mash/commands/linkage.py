"""`mash linkage`: train, show and evaluate the linkage model."""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mash.commands.settings import load_settings
from mash.console import console
from plumbing.errors import UsageError
from plumbing.settings import WorkerSettings

if TYPE_CHECKING:
    from mash.evaluate import Evaluation
    from streams.comparison import PersonRecord
    from streams.model import LinkageModel

__all__ = ["linkage_app"]

linkage_app = typer.Typer(help="The master person index and its model.", no_args_is_help=True)
model_app = typer.Typer(help="The linkage model file.", no_args_is_help=True)
linkage_app.add_typer(model_app, name="model")

ModelFile = Annotated[
    Path | None, typer.Option("--model", exists=True, dir_okay=False, help="Model file")
]


@linkage_app.command("train")
def linkage_train(
    out: Annotated[Path, typer.Option(help="Where to write the model (JSON)")],
    source: Annotated[str, typer.Option("--from", help="generated or topic")] = "generated",
    seed: Annotated[int, typer.Option(help="Seed of the generated records")] = 11,
    households: Annotated[int, typer.Option(min=1, help="Households generated")] = 1500,
    link: Annotated[float, typer.Option(help="Link threshold (hand-set)")] = 14.0,
    review: Annotated[float, typer.Option(help="Review threshold (hand-set)")] = 8.0,
    u_pairs: Annotated[
        int, typer.Option(min=MIN_U_PAIRS, help="Random pairs sampled for u")
    ] = 200_000,
) -> None:
    """Estimate a model from records (labels never used): u from random pairs, m by EM."""
    from mash.training import TrainingOptions, train

    if source not in ("generated", "topic"):
        raise typer.BadParameter("--from is generated or topic")
    if not (math.isfinite(link) and math.isfinite(review) and review <= link):
        raise typer.BadParameter("--review must be a number at most --link")
    _writable(out, "--out")
    records = _generated(seed, households) if source == "generated" else _from_topic()
    if len(records) < MIN_TRAINING_RECORDS:
        raise UsageError(
            f"{len(records):,} records to train on; at least {MIN_TRAINING_RECORDS:,} are needed "
            "for estimates worth using (the packaged model stays in use)"
        )
    command = "mash " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    metadata: dict[str, object] = {
        "command": command,
        "source": source,
        "thresholds": "hand-set (--link, --review)",
    }
    options = TrainingOptions(link=link, review=review, u_pairs=u_pairs)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(f"training on {len(records):,} records", total=None)
        model = train(
            records, options, metadata, lambda step, n: bar.update(task, description=step)
        )
    out.write_text(json.dumps(model.to_json(), indent=1, sort_keys=True, allow_nan=False) + "\n")
    console.print(f"model {model.version} written to {out} ({len(records):,} records)")


MIN_TRAINING_RECORDS = 1_000
"""Fewer records than this give estimates no one should link children with (8 records gave
a one-digit birth-date slip more weight than an exact date: an outside probe's)."""
MIN_U_PAIRS = 1_000
"""Fewer random pairs than this leave most levels unseen: u uniform."""


def _writable(path: Path, option: str) -> None:
    """Refuse, before any work, a path whose folder does not exist or is not writable."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise typer.BadParameter(f"{option}: folder {folder} does not exist")
    if path.is_dir():
        raise typer.BadParameter(f"{option}: {path} is a folder")
    if not os.access(folder, os.W_OK):
        raise typer.BadParameter(f"{option}: folder {folder} is not writable")


def _generated(seed: int, households: int) -> list[PersonRecord]:
    from simulation.labelled import labelled_records
    from streams.comparison import PersonRecord

    return [
        PersonRecord.from_child(r.record_id, r.child, r.agency.value)
        for r in labelled_records(seed, households)
    ]


def _from_topic() -> list[PersonRecord]:
    from plumbing.kafka import read_topic
    from schemas.topics import Table as Tables
    from schemas.topics import changelog

    settings = load_settings(WorkerSettings).as_principal("admin")
    latest: dict[bytes, bytes | None] = {}
    for message in read_topic(settings, changelog(settings.app_id, Tables.HUB_RECORDS)):
        if message.key is not None:
            latest[message.key] = message.value
    return stored_records(latest)


def stored_records(latest: dict[bytes, bytes | None]) -> list[PersonRecord]:
    """The records of the linkage table's changelog (latest value by key, as Faust writes
    them: JSON keys and values), read as a restore reads them: every stored format, beside
    the table's standing decisions and durable marks."""
    from streams.durable import linkage_records
    from streams.linkage_agent import DURABLE_KEY

    table = linkage_records(
        ((json.loads(k), json.loads(v)) for k, v in latest.items() if v is not None), DURABLE_KEY
    )
    if table.unreadable:
        console.print(f"[yellow]{len(table.unreadable):,} unreadable entries left out[/yellow]")
    return [entry.record for entry in table.entries]


@model_app.command("show")
def model_show(model_file: ModelFile = None) -> None:
    """Print a model: levels with m, u and weight; thresholds; name frequencies; version."""
    from streams.model import load_model

    model = load_model(model_file)
    console.print(f"[bold]linkage model {model.version}[/bold]")
    console.print(f"trained by: {model.metadata.get('command', '(not recorded)')}")
    console.print(f"thresholds: link {model.link:g}, review {model.review:g} (hand-set)")
    for name, levels in model.comparisons.items():
        table = Table("level", "m", "u", "weight log2(m/u)", "meaning", title=name)
        for p in levels:
            table.add_row(
                p.level.value, f"{p.m:.5f}", f"{p.u:.6f}", f"{p.weight:+.2f}", p.description
            )
        console.print(table)
    _show_frequencies(model)


def _show_frequencies(model: LinkageModel) -> None:
    table = Table(
        "field", "names", "default share", "most common (share)", title="term frequencies"
    )
    for name, tf in model.term_frequencies.items():
        top = sorted(tf.values.items(), key=lambda kv: -kv[1])[:5]
        table.add_row(
            name,
            f"{len(tf.values):,}",
            f"{tf.default:.2e}",
            ", ".join(f"{v} ({s:.3f})" for v, s in top),
        )
    console.print(table)
    console.print(
        f"twins guard: a given name is a name in its own right from a share of "
        f"{model.known_name_share:g}; a {model.variant_ratio:g}x rarer close name is a variant"
    )


@linkage_app.command("evaluate")
def linkage_evaluate(
    models: Annotated[
        list[Path] | None,
        typer.Option("--model", exists=True, dir_okay=False, help="Model file (repeatable)"),
    ] = None,
    labelled_set: Annotated[str, typer.Option("--set", help="Labelled set")] = "hub",
    seed: Annotated[int, typer.Option(help="Seed of the labelled set")] = 7,
    households: Annotated[
        int, typer.Option(min=1, help="Households in the labelled set (hub); children (febrl)")
    ] = 1500,
    offsets: Annotated[
        str, typer.Option(help="Link thresholds to try, as offsets from the model's")
    ] = "-4,-2,0,2,4",
    plot: Annotated[Path | None, typer.Option(help="Write a precision-recall SVG here")] = None,
) -> None:
    """Pairwise precision, recall and F1 at several link thresholds, the share of records
    sent to review, and speed, on a labelled set (with twins); compare models."""
    from mash.evaluate import SETS, sweep
    from mash.plot import precision_recall_svg
    from streams.model import load_model

    if labelled_set not in SETS:
        raise typer.BadParameter(f"--set is one of {', '.join(SETS)}")
    steps = _offsets(offsets)
    if plot is not None:
        if plot.suffix.lower() != ".svg":
            raise typer.BadParameter(f"--plot: the picture is SVG; name it .svg, not {plot.name}")
        _writable(plot, "--plot")
    with console.status("Making the labelled set…"):
        records = SETS[labelled_set](seed, households)
    curves = {}
    paths: list[Path | None] = list(models) if models else [None]
    for path in paths:
        model = load_model(path)
        with console.status(f"Linking {len(records):,} records with {model.version}…"):
            results = sweep(model, records, steps)
        name = f"{model.version} ({path.name if path else 'packaged'})"
        _print_results(name, results, model.link)
        curves[name] = [(e.quality.recall, e.quality.precision, e.link) for e in results]
    if plot is not None:
        title = f"{labelled_set} set, seed {seed}, {len(records):,} records"
        plot.write_text(precision_recall_svg(curves, title))
        console.print(f"precision-recall picture written to {plot}")


def _offsets(text: str) -> list[float]:
    """The ``--offsets`` list: finite numbers, comma-separated."""
    try:
        steps = [float(x) for x in text.split(",")]
    except ValueError:
        raise typer.BadParameter(
            f"--offsets takes numbers separated by commas (like -2,0,2), not {text!r}"
        ) from None
    if not all(math.isfinite(x) for x in steps):
        raise typer.BadParameter("--offsets takes finite numbers")
    return steps


def _print_results(name: str, results: list[Evaluation], link: float) -> None:
    first = results[0]
    table = Table(
        "link at",
        "precision",
        "recall",
        "F1",
        "sent to review",
        "records/CPU-s",
        "persons found",
        title=f"{name}: {first.quality.records:,} records of {first.persons_true:,} children",
    )
    for e in results:
        q = e.quality
        mark = " (model)" if e.link == link else ""
        table.add_row(
            f"{e.link:g}{mark}",
            f"{q.precision:.5f}",
            f"{q.recall:.5f}",
            f"{e.f1:.5f}",
            f"{e.review_share:.2%}",
            f"{e.records_per_s:,.0f}",
            f"{e.persons_found:,}",
        )
    console.print(table)
