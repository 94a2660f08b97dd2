"""`mash schemas check`: every shipped version reads all earlier ones; breaking changes fail."""

from __future__ import annotations

import copy
import subprocess
import sys

from schemas.contracts import POLICE_NOTIFICATION, SchemaVersion
from schemas.evolution import check_contracts, check_versions


def test_every_shipped_schema_is_backward_transitive() -> None:
    assert check_contracts() == []
    assert [v.version for v in POLICE_NOTIFICATION.versions] == [1, 2]  # an evolution shipped


def _v3(change: str) -> SchemaVersion:
    schema = copy.deepcopy(POLICE_NOTIFICATION.latest.schema)
    if change == "new field without default":
        schema["fields"].append({"name": "weapon_involved", "type": "boolean"})
    else:
        risk = next(f for f in schema["fields"] if f["name"] == "risk_level")
        risk["type"]["symbols"].remove("MEDIUM")
    return SchemaVersion(POLICE_NOTIFICATION.fullname, 3, schema)


def test_a_new_field_without_a_default_fails_naming_the_field() -> None:
    problems = check_versions([*POLICE_NOTIFICATION.versions, _v3("new field without default")])
    assert {(p.reader, p.writer, p.field) for p in problems} == {
        (3, 1, "weapon_involved"),
        (3, 2, "weapon_involved"),
    }
    assert "missing default" in str(problems[0])


def test_a_removed_enum_symbol_fails_naming_the_field() -> None:
    problems = check_versions([*POLICE_NOTIFICATION.versions, _v3("removed enum symbol")])
    assert {p.field for p in problems} == {"risk_level"}
    assert "MEDIUM" in str(problems[0])


def test_the_command_passes_on_the_shipped_schemas() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "schemas", "check"],
        text=True,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert "uk.mashhub.police.PoliceNotification (v1, v2)" in done.stdout
