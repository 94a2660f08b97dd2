"""What every `mash` command shares: errors as one line with an exit status per kind
(`--debug` for the traceback), an example in every command's help, readable placeholders."""

from __future__ import annotations

import csv
import sys
import traceback
from collections.abc import Collection, Iterator
from enum import StrEnum
from typing import Any

import typer
from kafka.errors import KafkaConnectionError, KafkaTimeoutError
from typer.core import TyperArgument, TyperGroup, TyperOption

from mash.console import console
from plumbing.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_UNAVAILABLE,
    MashError,
    exit_code,
)

__all__ = [
    "EXAMPLES",
    "FLAGS",
    "Flags",
    "Format",
    "command_paths",
    "print_rows",
    "readable",
    "run",
]

EXAMPLES: dict[str, str] = {
    "publish": "mash publish police police.csv",
    "worker": "mash worker --role sinks",
    "report": "mash report --definitions --csv board.csv",
    "dashboard": "mash dashboard --host 0.0.0.0 --port 8050",
    "console": "mash console --port 8090",
    "sample": "mash sample police police.csv --count 1000",
    "simulate": "mash simulate --out year/ --publish",
    "demo": "mash demo --no-serve",
    "broker fetch": "mash broker fetch",
    "broker start": "mash broker start && mash broker setup",
    "broker setup": "mash broker setup",
    "broker status": "mash broker status || mash broker start",
    "broker stop": "mash broker stop",
    "bench publish": "mash bench publish --rows 10000",
    "bench hub": "mash bench hub --events 10000",
    "bench latency": "mash bench latency --rate 50 --seconds 30",
    "db roles": "mash db roles",
    "credentials show": "mash credentials show police",
    "credentials rotate": "mash credentials rotate police",
    "credentials init": "mash credentials init",
    "users add": "mash users add ann --role analyst --password-stdin < password.txt",
    "users list": "mash users list",
    "users disable": "mash users disable ann",
    "linkage evaluate": "mash linkage evaluate --set febrl --households 500 --plot pr.svg",
    "linkage train": "mash linkage train --out model.json --from generated --seed 11",
    "linkage model show": "mash linkage model show --model model.json",
    "review list": "mash review list --limit 20",
    "review decide": "mash review decide REC-A REC-B --not-same --reason 'twins: school confirms'",
    "deadletter list": "mash deadletter list --stage validate",
    "deadletter replay": "mash deadletter replay --stage sinks --reason 'too long'",
    "bench fuzz": "mash bench fuzz --inputs 1000000",
    "bench console": "mash bench console --events 100",
    "bench recovery": "mash bench recovery --records 100000",
    "audit export": "mash audit export audit/",
    "audit verify": "mash audit verify audit/hub.jsonl",
    "audit access": "mash audit access --out console.jsonl",
    "schemas list": "mash schemas list --kind police.notification --format csv",
    "schemas template": "mash schemas template police police.csv",
    "schemas check": "mash schemas check",
    "schemas export": "mash schemas export schemas/",
    "export links": "mash export links --out links.jsonl",
}
"""One example per command, by its path under `mash`, shown at the end of its help."""


class Format(StrEnum):
    """How a listing prints: a table for a person, CSV for a program (no wrapping, no title)."""

    TABLE = "table"
    CSV = "csv"


def print_rows(
    form: Format,
    header: list[str],
    rows: list[list[str]],
    title: str,
    right: Collection[str] = (),
) -> None:
    """``rows`` under ``header`` to standard output: a table titled ``title`` (the first
    column never wrapped, the columns named in ``right`` right-aligned), or CSV."""
    if form is Format.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for n, name in enumerate(header):
        table.add_column(
            name,
            no_wrap=n == 0,
            overflow="fold",  # an id cut short is no id: folded onto the next line
            justify="right" if name in right else "left",
        )
    for row in rows:
        table.add_row(*row)
    console.print(table)


def command_paths(group: TyperGroup, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every command under ``group`` (sub-groups too) with its path (``broker start``)."""
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None:
            yield f"{prefix}{name}", command
        if isinstance(command, TyperGroup):
            yield from command_paths(command, f"{prefix}{name} ")


def readable(group: TyperGroup) -> TyperGroup:
    """``group`` with each command's example in its help, arguments in capitals (KIND, not
    ``{kind}``) and no type on flags (no ``<bool>``)."""
    for path, command in [("", group), *command_paths(group)]:
        if path in EXAMPLES and not command.epilog:
            command.epilog = f"Example: {EXAMPLES[path]}"
        help_option = command.get_help_option(typer.Context(command))  # made once, kept
        for param in [*command.params, help_option]:
            if type(param) is TyperArgument:
                param.__class__ = _Argument
            elif type(param) is TyperOption:
                param.__class__ = _Option
    return group


class _Argument(TyperArgument):
    """An argument shown as its name in capitals (optional ones in brackets)."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw.upper()
        return (name if self.required else f"[{name}]") + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return self.display_name_raw.upper()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the name says it; the help says the rest


class _Option(TyperOption):
    """An option whose value is shown in capitals (``PATH``, ``YYYY-MM-DD``), a flag bare."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.metavar is not None:
            return self.metavar
        shown = self.display_type(ctx).strip("<>")
        return shown.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD").upper()


class Flags:
    """The global options the errors depend on (set by the app's callback)."""

    debug = False


FLAGS = Flags()


def run(command: TyperGroup) -> int:
    """Run ``command``; an error a user can cause is one line and its exit status (the
    traceback only with ``--debug``); usage errors are Typer's, status 2."""
    try:
        command.main(prog_name="mash")  # ends in SystemExit with the command's status
    except MashError as exc:
        return _fail(str(exc), exit_code(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except (KafkaConnectionError, KafkaTimeoutError) as exc:  # a broker that does not speak so
        return _fail(
            f"Kafka did not answer as configured ({type(exc).__name__}): check "
            "MASH_KAFKA_BOOTSTRAP, MASH_KAFKA_SECURITY_PROTOCOL and MASH_KAFKA_CA_FILE",
            EXIT_UNAVAILABLE,
        )
    except OSError as exc:
        return _fail(f"{exc.filename or ''} {exc.strerror or exc}".strip(), EXIT_FAILED)
    return 0


def _fail(message: str, status: int) -> int:
    if FLAGS.debug:
        traceback.print_exc(file=sys.stderr)
    console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    return status
