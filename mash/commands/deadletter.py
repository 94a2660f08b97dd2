"""`mash deadletter`: the hub's dead letters and the sinks' quarantine, listed and replayed."""

from __future__ import annotations

from typing import Annotated

import typer

from mash.commands.settings import load_settings
from mash.console import console
from plumbing.settings import WorkerSettings

__all__ = ["deadletter_app"]

deadletter_app = typer.Typer(
    help="Dead letters and quarantined records: list, replay.", no_args_is_help=True
)

Stage = Annotated[
    str | None, typer.Option(help="validate, linkage, publish or sinks (the quarantine).")
]
Reason = Annotated[str | None, typer.Option(help="Text the reason contains.")]


@deadletter_app.command("list")
def deadletter_list(stage: Stage = None, reason: Reason = None, first: int = 5) -> None:
    """Counts by stage and reason, and the first few of each (ids and offsets, no payload)."""
    from mash.deadletters import Selection, letters, summary

    settings = load_settings(WorkerSettings, log_to="deadletter")
    found = letters(settings, Selection(stage=stage, reason=reason))
    counts = summary(found)
    console.print(f"{len(found)} dead letters")
    for (kind_stage, kind), n in counts.most_common():
        console.print(f"{n:>8}  {kind_stage:<9} {kind}")
        shown = [
            f
            for f in found
            if (f.origin.stage, f.origin.reason.split(":")[0][:80])
            == (
                kind_stage,
                kind,
            )
        ][:first]
        for f in shown:
            console.print(
                f"          from {f.origin.topic} partition {f.origin.partition} "
                f"offset {f.origin.offset} (kept at {f.position})"
            )


@deadletter_app.command("replay")
def deadletter_replay(
    topic: Annotated[str | None, typer.Option(help="The original topic.")] = None,
    offset: Annotated[int | None, typer.Option(help="The original offset.")] = None,
    partition: Annotated[int | None, typer.Option(help="The original partition.")] = None,
    stage: Stage = None,
    reason: Reason = None,
    again: Annotated[bool, typer.Option(help="Send ones replayed before again.")] = False,
) -> None:
    """Send the chosen dead letters back to their original topic, once the cause is fixed
    (each once: a ledger under $MASH_HOME remembers what was sent)."""
    from mash.deadletters import Selection, letters, replay

    if topic is None and stage is None and reason is None:
        raise typer.BadParameter("choose what to replay: --topic/--offset, --stage or --reason")
    settings = load_settings(WorkerSettings, log_to="deadletter")
    chosen = letters(settings, Selection(stage, reason, topic, offset, partition))
    if not chosen:
        console.print("no dead letter matches the choice (`mash deadletter list` shows them)")
        return
    done = replay(settings, chosen, again)
    for position, why in done.refused:
        console.print(f"refused {position}: {why}", highlight=False)
    console.print(f"{done.sent} of {len(chosen)} chosen dead letters replayed")
