"""`mash schemas export DIR`: one self-contained schema per topic and version, each loading on
its own with the project's canonical form, and the fingerprint in the header's byte order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fastavro
import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form

from plumbing.settings import CommonSettings
from schemas.contracts import CONTRACTS, SchemaVersion
from schemas.framing import encode, single_object_header
from schemas.standalone import ExportedSchema, export_schemas
from tests.interop import goldens


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ExportedSchema]]:
    directory = tmp_path_factory.mktemp("schemas")
    return directory, export_schemas(directory, CommonSettings(topic_prefix="lbh"))


def test_every_topic_and_version_is_exported_once(
    exported: tuple[Path, list[ExportedSchema]],
) -> None:
    directory, listed = exported
    want = {f"{c.topic}.v{v.version}.avsc" for c in CONTRACTS for v in c.versions}
    assert {p.name for p in directory.glob("*.avsc")} == want == {e.file for e in listed}
    index = json.loads((directory / "index.json").read_text())
    assert [e["file"] for e in index] == [e.file for e in listed]
    police = [e for e in index if e["topic"] == "lbh.police.notifications"]
    assert [(e["version"], e["latest"], e["published_by"]) for e in police] == [
        (1, False, "agency"),
        (2, True, "agency"),
    ]


VERSIONS = [(c.topic, v) for c in CONTRACTS for v in c.versions]


@pytest.mark.parametrize(
    ("topic", "version"), VERSIONS, ids=[f"{t}.v{v.version}" for t, v in VERSIONS]
)
def test_each_file_parses_on_its_own_with_the_projects_canonical_form(
    exported: tuple[Path, list[ExportedSchema]], topic: str, version: SchemaVersion
) -> None:
    directory, _ = exported
    stem = f"{topic}.v{version.version}"
    alone = fastavro.parse_schema(
        json.loads((directory / f"{stem}.avsc").read_text()), named_schemas={}
    )  # parsed knowing no other file
    canonical = to_parsing_canonical_form(alone)
    assert canonical == to_parsing_canonical_form(version.parsed)
    stated = (directory / f"{stem}.fingerprint").read_text().strip()
    assert stated == fingerprint(canonical, "CRC-64-AVRO")  # fastavro: bytes little-endian
    assert bytes.fromhex(stated) == single_object_header(version)[2:]


def test_the_stated_fingerprint_is_what_events_carry(
    exported: tuple[Path, list[ExportedSchema]],
) -> None:
    directory, listed = exported
    for golden in goldens():
        entry = next(e for e in listed if e.topic == f"lbh.{golden.contract.topic}" and e.latest)
        stated = (directory / entry.file.replace(".avsc", ".fingerprint")).read_text().strip()
        record = golden.contract.model.model_validate(golden.model)
        assert encode(golden.contract, record)[:10].hex() == "c301" + stated
        assert entry.fingerprint_int64.to_bytes(8, "little", signed=True).hex() == stated


def test_mash_schemas_export_writes_the_files_with_the_deployments_topic_names(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "schemas", "export", str(tmp_path / "out")],
        env={**env, "MASH_TOPIC_PREFIX": "lbh", "MASH_HOME": str(tmp_path), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lbh.police.notifications  v2  police.notifications.v2.avsc  7d60783a020c2174" in (
        done.stdout
    )
    assert len(list((tmp_path / "out").glob("*.avsc"))) == len(VERSIONS)
    assert len(json.loads((tmp_path / "out" / "index.json").read_text())) == len(VERSIONS)
