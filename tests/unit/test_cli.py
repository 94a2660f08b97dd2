"""The `mash` command through its entry point: errors in one line with an exit status per
kind, checks before connecting, busy ports named, a report that says when and of what and
fits 80 columns, schemas one line a kind, and help with an example for every command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from mash.cli import app, main
from mash.cli_support import command_paths
from plumbing.errors import EXIT_NO_DATA, EXIT_UNAVAILABLE, EXIT_USAGE
from schemas.adapters import ADAPTERS, adapter_for
from sinks.board import Figure
from sinks.figures import Provenance
from sinks.store import Store

ROOT = Path(__file__).resolve().parents[2]
"""The checkout under test (the commands run in a scratch directory)."""


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def _mash(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "MASH_HOME": str(tmp_path / "home"),
        "MASH_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
        "COLUMNS": "80",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "mash.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MASH_ROLE", "bogus", "MASH_ROLE: Input should be 'all', 'streams' or 'sinks'"),
        ("MASH_PARTITIONS", "four", "MASH_PARTITIONS: Input should be a valid integer"),
        ("MASH_CONNECT_TIMEOUT_S", "nan", "MASH_CONNECT_TIMEOUT_S: Value error, must be a finite"),
        ("MASH_CONNECT_TIMEOUT_S", "-5", "MASH_CONNECT_TIMEOUT_S: Value error, must not be neg"),
        ("MASH_BROKER_PORT", "99999", "MASH_BROKER_PORT: Value error, must be a port number"),
        ("MASH_CLOCK_SKEW_S", "31536000", "MASH_CLOCK_SKEW_S: Input should be less than or eq"),
        ("MASH_SINKS_NICENESS", "20", "MASH_SINKS_NICENESS: Input should be less than or eq"),
    ],
)
def test_a_bad_setting_is_one_clear_line(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    done = _mash(tmp_path, "worker", **{variable: value, "COLUMNS": "200"})
    assert done.returncode == EXIT_UNAVAILABLE
    assert says in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_an_unknown_kind_is_refused_before_connecting(tmp_path: Path, free_port: int) -> None:
    (tmp_path / "f.csv").write_text("a\n1\n")
    no_kafka = {"MASH_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port}", "MASH_CONNECT_TIMEOUT_S": "60"}
    started = time.monotonic()
    publish = _mash(tmp_path, "publish", "polise", "f.csv", **no_kafka)
    assert time.monotonic() - started < 30  # not the 60 s a connection attempt would wait
    sample = _mash(tmp_path, "sample", "health", "f.csv")
    for done, valid in ((publish, "police, health, probation"), (sample, "use one of police")):
        assert done.returncode == EXIT_USAGE, done.stdout + done.stderr
        assert done.stdout.startswith("error: ") and valid in done.stdout
        assert len(done.stdout.splitlines()) == 1 and "Traceback" not in done.stderr


def test_no_kafka_gives_up_after_the_connect_timeout_in_one_line(
    tmp_path: Path, free_port: int
) -> None:
    export = tmp_path / "police.csv"
    export.write_text(",".join(adapter_for("police").csv_columns) + "\n")
    env = {"MASH_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port}", "MASH_CONNECT_TIMEOUT_S": "1"}
    started = time.monotonic()
    done = _mash(tmp_path, "publish", "police", "police.csv", **env)
    assert time.monotonic() - started < 25
    assert done.returncode == EXIT_UNAVAILABLE
    assert (
        f"error: no Kafka at 127.0.0.1:{free_port} — run 'mash broker start' or set "
        "MASH_KAFKA_BOOTSTRAP" in done.stdout
    )
    assert "Traceback" not in done.stdout + done.stderr
    debug = _mash(tmp_path, "--debug", "publish", "police", "police.csv", **env)
    assert "Traceback" in debug.stderr and "KafkaUnreachable" in debug.stderr


def test_a_binary_file_and_a_bad_header_are_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    (tmp_path / "photo.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "short.csv").write_text("event_id,merlin_ref\n1,2\n")
    for name, says in (("photo.csv", "not a text file"), ("short.csv", "header lacks")):
        done = _mash(tmp_path, "publish", "police", name, MASH_CONNECT_TIMEOUT_S="0")
        assert done.returncode == EXIT_USAGE and says in done.stdout, done.stdout
        assert "no Kafka" not in done.stdout


def test_export_links_to_a_folder_that_does_not_exist_is_one_usage_line(tmp_path: Path) -> None:
    done = _mash(tmp_path, "export", "links", "--out", "missing/links.jsonl")
    assert done.returncode == EXIT_USAGE, (done.returncode, done.stdout)
    assert "missing/links.jsonl: cannot be written (No such file or directory)" in done.stdout
    assert "Traceback" not in done.stderr and not (tmp_path / "missing").exists()


def test_export_links_of_an_empty_hub_says_so_beside_an_empty_file(tmp_path: Path) -> None:
    done = _mash(tmp_path, "export", "links", "--out", "links.jsonl")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "links.jsonl").read_text() == ""
    assert "no links stored yet" in done.stderr and "Traceback" not in done.stderr


def test_export_links_keeps_an_earlier_export_when_the_database_cannot_be_read(
    tmp_path: Path,
) -> None:
    earlier = tmp_path / "links.jsonl"
    earlier.write_text('{"record_id": "r1"}\n')
    done = _mash(
        tmp_path,
        "export",
        "links",
        "--out",
        "links.jsonl",
        MASH_DATABASE_URL="postgresql://mash:mash@127.0.0.1:1/mash",
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert earlier.read_text() == '{"record_id": "r1"}\n'
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_busy_ports_name_their_setting_before_any_url(tmp_path: Path, busy_port: int) -> None:
    board = _mash(tmp_path, "dashboard", MASH_DASHBOARD_PORT=str(busy_port))
    worker = _mash(tmp_path, "worker", MASH_WEB_PORT=str(busy_port))
    assert board.returncode == worker.returncode == EXIT_UNAVAILABLE
    assert "MASH_DASHBOARD_PORT" in board.stdout and "http://" not in board.stdout
    assert "MASH_WEB_PORT" in worker.stdout
    assert len(worker.stdout.splitlines()) == 1 and "Traceback" not in worker.stderr


def test_an_empty_database_has_no_figures_yet(tmp_path: Path) -> None:
    done = _mash(tmp_path, "report")
    assert done.returncode == EXIT_NO_DATA
    assert "no figures yet" in done.stdout and "RED" not in done.stdout


def test_the_report_says_when_and_of_what_and_fits_80_columns(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'home' / 'mash.db'}")
    computed = dt.datetime(2013, 4, 2, 6, 30, tzinfo=dt.UTC)
    latest = dt.datetime(2013, 3, 31, 23, 15, tzinfo=dt.UTC)
    figures = [
        Figure("cp_new", "2012-13", "NEG", 58.0),
        Figure("cp_new", "2012-13", "EMO", 3.0),
        Figure("lac_placements_3plus", "2012-13 Q1", "", 12.5, 5, 40),
    ]
    store.replace_figures(figures, dt.date(2013, 3, 31), Provenance(computed, 1234, latest))
    store.close()
    done = _mash(tmp_path, "report")
    assert done.returncode == 0, done.stdout + done.stderr
    assert max(map(len, done.stdout.splitlines())) <= 80
    text = " ".join(done.stdout.split())  # as read, wrapped lines joined
    assert (
        "Figures computed 02 April 2013 06:30 UTC from 1,234 events, reported up to "
        "31 March 2013 23:15 UTC" in text
    )
    assert "c: a count from" in text and "Not computed from the events" in text
    assert "Looked-after children with 3 or more placements in the year (NI62)" in text
    definitions = _mash(tmp_path, "report", "--definitions")
    assert "plans whose start date falls in the period" in " ".join(definitions.stdout.split())
    assert "plans whose start date falls in the period" not in text


def test_schemas_one_line_a_kind_its_columns_and_a_template(tmp_path: Path) -> None:
    listed = _mash(tmp_path, "schemas", "list")
    lines = listed.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    for kind in ADAPTERS:
        assert sum(line.split("│")[1].strip() == kind for line in lines if "│" in line) == 1
    as_csv = list(
        csv.reader(io.StringIO(_mash(tmp_path, "schemas", "list", "--format", "csv").stdout))
    )
    assert as_csv[0] == ["kind", "schema", "columns", "topic"] and len(as_csv) == len(ADAPTERS) + 1
    police = adapter_for("police")
    columns = _mash(tmp_path, "schemas", "list", "--kind", "police", "--format", "csv").stdout
    assert [row[0] for row in csv.reader(io.StringIO(columns))][1:] == police.csv_columns
    made = _mash(tmp_path, "schemas", "template", "police", "empty.csv")
    assert made.returncode == 0
    assert (tmp_path / "empty.csv").read_text().splitlines() == [",".join(police.csv_columns)]
    again = _mash(tmp_path, "schemas", "template", "police", "empty.csv")
    assert again.returncode == EXIT_USAGE


def _help(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    sys.argv = ["mash", *args]
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 0
    return capsys.readouterr().out


def test_every_command_has_an_example_and_readable_placeholders(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", sys.argv)
    monkeypatch.setenv("COLUMNS", "80")
    paths = [p for p, c in command_paths(typer.main.get_group(app)) if not hasattr(c, "commands")]
    assert "publish" in paths and "broker start" in paths
    for path in paths:
        shown = _help([*path.split(), "--help"], capsys)
        assert f"Example: mash {path}" in shown, path
        assert "<bool>" not in shown and "{" not in shown, path
    assert _help(["--version"], capsys).startswith("mash 0.")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["a", "b", "--same"], "--reason is required"),
        (["a", "b", "--same", "--not-same", "--reason", "r"], "exactly one of"),
        (["a", "zz", "--withdraw", "--reason", "r"], "no linked record zz"),
        (["a", "b", "--same", "--reason", "x" * 2_001], "--reason is 2,001 characters"),
        (["a", "b", "--same", "--reason", "r", "--by", "x" * 81], "decided_by: String should"),
        (["a", "b", "--same", "--reason", "r", "--by", "evil\nuser\x1b[2J"], "decided_by: holds"),
        (["", "", "--not-same", "--reason", "r"], "a record id is empty"),
    ],
)
def test_review_decide_refuses_bad_input_before_publishing(
    args: list[str], says: str, tmp_path: Path
) -> None:
    done = _mash(tmp_path, "review", "decide", *args, **_two_linked_records(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr  # usage: nothing was published
    said = (done.stdout + done.stderr).strip().splitlines()
    assert len(said) == 1 and says in said[0], said


def test_review_decide_with_no_broker_says_so_in_one_line(tmp_path: Path, free_port: int) -> None:
    env = {
        **_two_linked_records(tmp_path),
        "MASH_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port}",
        "MASH_CONNECT_TIMEOUT_S": "1",
    }
    done = _mash(tmp_path, "review", "decide", "a", "b", "--same", "--reason", "GP letter", **env)
    assert done.returncode == EXIT_UNAVAILABLE, done.stdout + done.stderr
    said = (done.stdout + done.stderr).strip().splitlines()
    assert len(said) == 1 and f"no Kafka at 127.0.0.1:{free_port}" in said[0], said


def _two_linked_records(tmp_path: Path) -> dict[str, str]:
    """A database whose links table knows records ``a`` and ``b``; its URL as the env."""
    from schemas.hub import Link, LinkOutcomeKind

    url = f"sqlite:///{tmp_path}/hub.db"
    store = Store(url)
    link = dict(event_id="e", event_type="t", outcome=LinkOutcomeKind.NEW_PERSON, weight=0.0)
    store.upsert_links([Link(record_id=r, person_id=r, explanation="", **link) for r in "ab"])  # type: ignore[arg-type]
    store.close()
    return {"MASH_DATABASE_URL": url, "COLUMNS": "200"}


def test_the_worker_names_its_log_file(tmp_path: Path, busy_port: int) -> None:
    log = tmp_path / "logs" / "worker.log"
    done = _mash(
        tmp_path, "worker", MASH_WEB_PORT=str(busy_port), MASH_LOG_FILE=str(log), COLUMNS="200"
    )
    assert done.returncode == EXIT_UNAVAILABLE
    assert done.stdout.splitlines()[0] == f"Worker log: {log} (rotated at 10,000,000 bytes)"
    assert "MASH_WEB_PORT" in done.stdout and done.stderr == ""


def test_bench_hub_refuses_an_unknown_restart_before_starting_anything(tmp_path: Path) -> None:
    done = _mash(tmp_path, "bench", "hub", "--events", "10", "--restart", "reboot")
    assert done.returncode == EXIT_USAGE, (done.returncode, done.stdout)
    assert done.stdout.startswith("error: ") and "stop, kill" in done.stdout
    assert len(done.stdout.splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "broker").exists()  # no broker was started for it


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--restart", "kill", "--restarts", "0"], "--restarts 0"),
        (["--restart", "kill", "--restarts", "3", "--between", "-5"], "--between -5"),
        (["--restarts", "3"], "give --restart too"),
        (["--between", "1000"], "give --restart too"),
        (["--restart", "kill", "--between", "1000"], "give --restarts 2+"),
    ],
)
def test_bench_hub_refuses_restarts_it_cannot_time_before_starting_anything(
    tmp_path: Path, args: list[str], says: str
) -> None:
    done = _mash(tmp_path, "bench", "hub", "--events", "10", *args)
    assert done.returncode == EXIT_USAGE, (done.returncode, done.stdout)
    assert done.stdout.startswith("error: ") and says in done.stdout
    assert len(done.stdout.splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "broker").exists()  # no broker was started for it


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["linkage", "train", "--out", "m.json", "--households", "2"], "at least 1,000 are needed"),
        (["linkage", "train", "--out", "no/such/m.json"], "folder no/such does not exist"),
        (["linkage", "train", "--out", "m.json", "--link", "5", "--review", "9"], "--review"),
        (["linkage", "train", "--out", "m.json", "--u-pairs", "0"], "--u-pairs"),
        (["linkage", "evaluate", "--offsets", "abc"], "--offsets takes numbers"),
        (["linkage", "evaluate", "--offsets", "nan"], "--offsets takes finite numbers"),
        (["linkage", "evaluate", "--households", "0"], "--households"),
        (["linkage", "evaluate", "--plot", "pr.png"], "name it .svg"),
        (["linkage", "evaluate", "--plot", "no/such/pr.svg"], "folder no/such does not exist"),
        (["linkage", "model", "show", "--model", "binary.json"], "not UTF-8 text"),
        (["review", "list", "--limit", "99999999999999999999"], "--limit"),
        (["report", "--as-of", "0001-01-01"], "is outside 1990-01-01 to 2999-12-31"),
        (["report", "--as-of", "9999-12-31"], "is outside 1990-01-01 to 2999-12-31"),
    ],
)
def test_linkage_and_review_refuse_bad_input_in_one_line_before_any_work(
    args: list[str], says: str, tmp_path: Path
) -> None:
    (tmp_path / "binary.json").write_bytes(bytes(range(256)))
    started = time.monotonic()
    done = _mash(tmp_path, *args, COLUMNS="200")
    said = (done.stdout + done.stderr).strip()
    assert done.returncode in (2, 3), said
    assert "Traceback" not in said and says in said, said
    assert not (tmp_path / "m.json").exists()
    assert time.monotonic() - started < 60  # refused before training or linking a set


def test_review_list_at_80_columns_keeps_each_pair_s_ids_whole(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from schemas.hub import Link, LinkOutcomeKind
    from sinks.tables import possible_matches

    url = f"sqlite:///{tmp_path}/hub.db"
    store = Store(url)
    ids = ["police-3f1c0a6e-5d1b-4c65-9d55-1f3b6a3e9c01", "education-b2a9e3d4-77c8-4e0b-8f0e-2d9c"]
    link = dict(event_id="e", event_type="t", outcome=LinkOutcomeKind.NEW_PERSON, weight=0.0)
    store.upsert_links([Link(record_id=r, person_id=r, explanation="", **link) for r in ids])  # type: ignore[arg-type]
    reason = "possibly related (twins or siblings guard: same birth date, family name and postcode)"
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(possible_matches).values(
                record_id=ids[0],
                other_record_id=ids[1],
                weight=27.23,
                explanation=reason,
                first_seen="2026-12-06T00:00:00+00:00",
            )
        )
    store.close()
    done = _mash(tmp_path, "review", "list", MASH_DATABASE_URL=url, COLUMNS="80")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"{ids[0]}  {ids[1]}" in lines  # both ids whole, on one line
    assert any(line.startswith("  weight 27.23, waiting ") for line in lines)
    assert "twins or siblings guard" in " ".join(lines)
    assert lines[-1].startswith("1 pairs waiting")
