"""`mash review`: the queue of possible matches waiting for a reviewer, and decisions on them.

A decision is published as children's services' `LinkageDecision` event; the hub applies it
(see README, "Reviewers' decisions"). Only ids are printed or logged, never a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from mash.cli_support import Format, print_rows
from mash.commands.settings import load_settings
from mash.console import console
from plumbing.errors import UsageError
from plumbing.settings import ConsoleSettings, PublisherSettings, SinkSettings
from schemas.limits import REASON_CHARS

if TYPE_CHECKING:
    from sinks.reviews import QueueItem

__all__ = ["review_app"]

review_app = typer.Typer(help="Possible matches for a reviewer to decide.", no_args_is_help=True)


def _age(since: dt.datetime, now: dt.datetime) -> str:
    hours = (now - since).total_seconds() / 3600
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


@review_app.command("list")
def review_list(
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Most pairs to show")] = 20,
    form: Annotated[
        Format, typer.Option("--format", help="table, or csv (for programs; the count to stderr)")
    ] = Format.TABLE,
) -> None:
    """The review queue, oldest first: pairs of record ids the hub offered as possible
    matches, with no standing decision, whose records are in different persons now."""
    from sinks.reviews import review_queue
    from sinks.store import Store

    store = Store(load_settings(SinkSettings).database)
    try:
        queue = review_queue(store, limit)
    finally:
        store.close()
    now = dt.datetime.now(dt.UTC)
    table = form is Format.TABLE
    if table and console.width < WIDE_ENOUGH:  # two ids and a sentence do not fit in a row
        _print_pairs(queue.items, queue.size, now)
        console.print(_summary(queue.size, queue.oldest, now))
        return
    header = ["record", "other record", "weight", "explanation", "age" if table else "first seen"]
    rows = [
        [
            item.record_id,
            item.other_record_id,
            f"{item.weight:.2f}",
            item.explanation,
            _age(item.first_seen, now) if table else item.first_seen.isoformat(timespec="seconds"),
        ]
        for item in queue.items
    ]
    print_rows(form, header, rows, f"Review queue: {queue.size} pairs")
    summary = _summary(queue.size, queue.oldest, now)
    if table:
        console.print(summary)
    else:
        typer.echo(summary, err=True)


WIDE_ENOUGH = 150
"""Columns a table of pairs needs (two ids, a weight, an explanation, an age); narrower, each
pair is two lines: its ids, then its weight, age and explanation."""


def _print_pairs(items: list[QueueItem], size: int, now: dt.datetime) -> None:
    console.print(f"Review queue: {size} pairs", highlight=False)
    for item in items:
        console.print(f"{item.record_id}  {item.other_record_id}", soft_wrap=True, highlight=False)
        console.print(
            f"  weight {item.weight:.2f}, waiting {_age(item.first_seen, now)}: {item.explanation}",
            highlight=False,
        )


def _summary(size: int, oldest: dt.datetime | None, now: dt.datetime) -> str:
    return f"{size} pairs waiting; the oldest for {_age(oldest, now) if oldest else '-'}"


@review_app.command("decide")
def review_decide(
    record: Annotated[str, typer.Argument(help="A linkage record id")],
    other: Annotated[str, typer.Argument(help="The other linkage record id")],
    same: Annotated[bool, typer.Option("--same", help="They are one child")] = False,
    not_same: Annotated[bool, typer.Option("--not-same", help="They are two children")] = False,
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Withdraw the standing decision on the pair")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (stored with the decision, never logged)")] = "",
    by: Annotated[str | None, typer.Option(help="The reviewer's user id (default: $USER)")] = None,
) -> None:
    """Publish a reviewer's decision on a pair of records, as children's services (the
    console's tenant and information sharing agreement); refused input exits 2, nothing sent."""
    import getpass

    from pydantic import ValidationError

    from schemas.childrens_services import LinkageDecision, ReviewVerdict
    from schemas.contracts import describe_errors

    chosen = [v for v, on in zip(ReviewVerdict, (same, not_same, withdraw), strict=True) if on]
    if len(chosen) != 1:
        raise UsageError("give exactly one of --same, --not-same, --withdraw")
    _check_reason(reason)
    if not record.strip() or not other.strip():
        raise UsageError("a record id is empty (ids as in `mash review list`)")
    if record == other:
        raise UsageError("the two record ids are the same record")
    settings = load_settings(ConsoleSettings, log_to="review")
    try:  # the contract's own limits (the reviewer's id: printable, 80 characters at most)
        decision = LinkageDecision.new(
            (record, other),
            chosen[0],
            by or getpass.getuser(),
            reason.strip(),
            dt.datetime.now(dt.UTC),
            settings.console_tenant,
            settings.console_isa_id,
        )
    except ValidationError as exc:
        raise UsageError(f"decision refused: {describe_errors(exc)}") from None
    unknown = _unknown_records(settings, record, other)
    if unknown:
        raise UsageError(f"no linked record {', '.join(unknown)} (ids as in `mash review list`)")
    _publish(decision)
    console.print(f"published decision {decision.event_id}: {record} {other} {chosen[0].value}")
    if chosen[0] is ReviewVerdict.SAME_PERSON:
        console.print(
            "the hub applies it unless the records carry two different NHS numbers (it never "
            "joins those: the audit then says it was not applied, `mash audit export`)"
        )


def _check_reason(reason: str) -> None:
    if not reason.strip():
        raise UsageError("--reason is required (why the records are or are not one child)")
    if len(reason.strip()) > REASON_CHARS:
        raise UsageError(
            f"--reason is {len(reason.strip()):,} characters; at most {REASON_CHARS:,} "
            "(a few sentences: the case notes stay in the case system)"
        )


def _unknown_records(settings: SinkSettings, *ids: str) -> list[str]:
    from sinks.reviews import known_records
    from sinks.store import Store

    store = Store(settings.database)
    try:
        known = known_records(store, ids)
    finally:
        store.close()
    return [i for i in ids if i not in known]


def _publish(record: object) -> None:
    from producers.publisher import Publisher

    publisher = Publisher(load_settings(PublisherSettings))
    try:
        publisher.publish_record(record)
    finally:
        publisher.close()
