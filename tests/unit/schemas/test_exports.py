"""Reading agency exports: every row yields a model or a reason; bad files fail clearly."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from plumbing.errors import UsageError
from producers.publisher import subject_key
from producers.rejects import problems_of
from schemas.adapters import adapter_for
from schemas.common import ValidationClock
from schemas.exports import count_rows, read_export
from simulation.samples import write_sample
from simulation.synthetic import police_notifications

POLICE = adapter_for("police")
START, END = dt.date(2012, 4, 1), dt.date(2013, 4, 1)


def test_csv_rows_round_trip_to_the_same_models(tmp_path: Path) -> None:
    export = write_sample("police", tmp_path / "p.csv", 30, 4, START, END)
    models = [row.build(ValidationClock()) for row in read_export(export.path, POLICE)]
    assert set(models) == set(police_notifications(30, 4, START, END))
    assert len(models) == 30
    assert count_rows(export.path) == 30


def test_csv_line_numbers_point_at_the_bad_rows(tmp_path: Path) -> None:
    export = write_sample("police", tmp_path / "p.csv", 40, 5, START, END, invalid=5)
    bad = []
    for row in read_export(export.path, POLICE):
        try:
            row.build(ValidationClock())
        except ValidationError:
            bad.append(row.line)
    assert bad == export.invalid_lines


def test_jsonl_reports_a_line_that_is_not_json(tmp_path: Path) -> None:
    record = next(police_notifications(1, 6, START, END))
    path = tmp_path / "p.jsonl"
    path.write_text(POLICE.to_json(record) + "\n{not json\n[1, 2]\n")
    rows = list(read_export(path, POLICE))
    assert [row.line for row in rows] == [1, 2, 3]
    assert rows[0].build(ValidationClock()) == record
    with pytest.raises(ValueError, match="not JSON"):
        rows[1].build(ValidationClock())
    with pytest.raises(ValueError, match="must be a JSON object"):
        rows[2].build(ValidationClock())
    assert rows[1].raw == b"{not json"


def test_an_agency_cannot_publish_under_another_agencys_name(tmp_path: Path) -> None:
    record = next(police_notifications(1, 7, START, END))
    forged = POLICE.to_json(record).replace('"POLICE"', '"HEALTH"')
    assert POLICE.from_dict(json.loads(forged), ValidationClock()) == record


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("p.xlsx", "", "unknown export type"),
        ("p.csv", "event_id,merlin_ref\n", "CSV header lacks source_system, "),
        ("p.csv", "event_id\0\n", "not a text file"),
    ],
)
def test_unreadable_exports_fail_with_the_reason(
    tmp_path: Path, name: str, text: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(UsageError, match=reason):
        list(read_export(path, POLICE))


def test_the_subject_key_keeps_a_childs_events_together_and_reveals_nothing() -> None:
    secret = b"s" * 32
    record = next(police_notifications(1, 8, START, END, nhs_share=1.0))
    key = subject_key(record, secret)
    assert len(key) == 64 and int(key, 16) >= 0  # hex HMAC-SHA256
    assert record.subject.nhs_number.encode() not in key
    resent = record.model_copy(update={"event_id": uuid.uuid4()})
    assert subject_key(resent, secret) == key  # same child, same partition
    assert subject_key(record, b"t" * 32) != key  # no key without the secret
    anonymous = record.model_copy(
        update={"subject": record.subject.model_copy(update={"nhs_number": None})}
    )
    other_key = subject_key(anonymous, secret)
    assert other_key != key and record.subject.family_name.lower().encode() not in other_key
    assert subject_key(anonymous, secret) == other_key


def test_a_csv_or_jsonl_saved_with_a_byte_order_mark_reads_as_without(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" writes a byte order mark: the header's first column is still event_id
    export = write_sample("police", tmp_path / "p.csv", 5, 9, START, END)
    marked = tmp_path / "marked.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + export.path.read_bytes())
    plain = [row.build(ValidationClock()) for row in read_export(export.path, POLICE)]
    assert [row.build(ValidationClock()) for row in read_export(marked, POLICE)] == plain
    assert [row.line for row in read_export(marked, POLICE)] == list(range(2, 7))
    record = next(police_notifications(1, 10, START, END))
    lines = tmp_path / "marked.jsonl"
    lines.write_bytes(b"\xef\xbb\xbf" + (POLICE.to_json(record) + "\n").encode())
    assert [row.build(ValidationClock()) for row in read_export(lines, POLICE)] == [record]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [("notes", "columns the contract does not have: notes"), ("", "an unnamed column")],
)
def test_a_column_the_contract_does_not_have_is_refused_before_anything_is_sent(
    tmp_path: Path, extra: str, reason: str
) -> None:
    # an extra column (or a trailing comma) would otherwise reject every row, one by one
    export = write_sample("police", tmp_path / "p.csv", 3, 11, START, END)
    lines = export.path.read_text().splitlines()
    path = tmp_path / "extra.csv"
    path.write_text("\n".join(f"{line},{extra if n == 0 else ''}" for n, line in enumerate(lines)))
    with pytest.raises(UsageError, match=reason):
        list(read_export(path, POLICE))


def test_a_rejects_files_line_and_reason_columns_are_still_accepted(tmp_path: Path) -> None:
    export = write_sample("police", tmp_path / "p.csv", 3, 12, START, END)
    lines = export.path.read_text().splitlines()
    path = tmp_path / "p.rejects.csv"
    path.write_text(
        "\n".join(f"{line},{'line,reason' if n == 0 else '2,x'}" for n, line in enumerate(lines))
    )
    assert len([row.build(ValidationClock()) for row in read_export(path, POLICE)]) == 3


def test_a_blank_cell_of_a_field_with_a_default_means_absent(tmp_path: Path) -> None:
    # police.notification v2's related_persons has a default ([]): blank takes it
    record = next(police_notifications(1, 13, START, END))
    row = POLICE.to_csv_row(record)
    assert row["related_persons"] == "[]"
    row["related_persons"] = ""
    built = POLICE.from_csv_row(row, ValidationClock())
    assert built.related_persons == ()
    assert built == record.model_copy(update={"related_persons": ()})


def test_a_blank_cell_never_becomes_a_value_the_default_would_give() -> None:
    # education's exclusions_this_year defaults to 0: a blank is not known, never 0 exclusions
    education = adapter_for("education")
    record = next(police_notifications(1, 13, START, END))
    police_row = POLICE.to_csv_row(record)
    row = {c: police_row.get(c, "") for c in education.csv_columns}
    row |= {"lawful_basis": "PUBLIC_TASK", "school_urn": "100000", "concern": "NEGLECT"}
    row["exclusions_this_year"] = "2"
    assert education.from_csv_row(row, ValidationClock()).exclusions_this_year == 2
    row["exclusions_this_year"] = ""
    with pytest.raises(ValidationError) as raised:
        education.from_csv_row(row, ValidationClock())
    assert problems_of(raised.value) == (("exclusions_this_year", "required: the value is blank"),)
    guide = {g.column: g.required for g in education.column_guide}
    assert guide["exclusions_this_year"] and not guide["attendance_percent"]


def test_the_column_guide_names_the_contract_s_codes_and_optional_fields() -> None:
    schema = json.loads(
        (
            Path(__file__).parents[3] / "schemas/avro/uk.mashhub.police.PoliceNotification.v2.avsc"
        ).read_text()
    )

    def enum_symbols(kind: object) -> list[str]:
        for branch in kind if isinstance(kind, list) else [kind]:
            if isinstance(branch, dict) and branch.get("type") == "enum":
                return list(branch["symbols"])
        return []

    avro = {f["name"]: f["type"] for f in schema["fields"]}
    guide = {g.column: g for g in POLICE.column_guide}
    assert list(guide) == POLICE.csv_columns
    for column in ("incident_type", "risk_level"):
        assert guide[column].cell == "code"
        assert list(guide[column].codes) == enum_symbols(avro[column])
    nullable = {n for n, t in avro.items() if isinstance(t, list) and "null" in t}
    assert "cris_ref" in nullable and not guide["cris_ref"].required
    assert guide["merlin_ref"].required and guide["child_present"].cell == "true/false"
    assert (
        guide["occurred_at"].cell.startswith("date-time")
        and guide["related_persons"].cell == "json"
    )


def test_line_numbers_stay_true_after_blank_lines_and_a_cell_over_two_lines(
    tmp_path: Path,
) -> None:
    # an outside probe: a row after a blank line was reported one line early
    export = write_sample("police", tmp_path / "p.csv", 4, 5, START, END)
    header, *rows = export.path.read_text().splitlines()
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join([header, rows[0], "", rows[1], "", "", rows[2], rows[3]]) + "\n")
    assert [row.line for row in read_export(path, POLICE)] == [2, 4, 7, 8]
    column = header.split(",").index("subject_address")
    cells = rows[0].split(",")
    cells[column] = '"12 Zebra Lane\nRomford"'  # a quoted cell over two lines
    path.write_text("\n".join([header, ",".join(cells), "", rows[1]]) + "\n")
    read = list(read_export(path, POLICE))
    assert [row.line for row in read] == [2, 5]
    assert (
        isinstance(read[0].cells, dict)
        and read[0].cells["subject_address"] == "12 Zebra Lane\nRomford"
    )


def test_a_column_named_twice_in_the_header_is_refused(tmp_path: Path) -> None:
    export = write_sample("police", tmp_path / "p.csv", 2, 5, START, END)
    header, *rows = export.path.read_text().splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([f"{header},event_id", *(f"{r},x" for r in rows)]) + "\n")
    with pytest.raises(UsageError, match="names event_id more than once"):
        list(read_export(path, POLICE))


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("occurred_at", "1339030264", "not a number"),
        ("occurred_at", "1339030264.5", "not a number"),
        ("child_present", "yes", "true or false"),
        ("child_present", "0", "true or false"),
    ],
)
def test_times_are_iso_text_and_flags_true_or_false_as_the_readme_says(
    tmp_path: Path, column: str, value: str, says: str
) -> None:
    # an outside probe: Unix seconds were read as a time, and yes or 0 as a flag
    export = write_sample("police", tmp_path / "p.csv", 1, 5, START, END)
    [row] = read_export(export.path, POLICE)
    assert isinstance(row.cells, dict)
    row.cells[column] = value
    with pytest.raises(ValidationError) as raised:
        row.build(ValidationClock())
    assert column in str(raised.value) and says in str(raised.value)
    row.cells[column] = "TRUE" if column == "child_present" else "2012-06-07T01:31:04Z"
    row.build(ValidationClock())  # the documented forms pass
