"""The wire format against known vectors from the reference implementation (Apache Avro for
Java 1.12.2), not against this code's own output: schema fingerprints, and one golden
single-object message per contract.

The golden messages (``tests/golden/<topic>.v<N>.json``) were made once with
``.venv/bin/python -m tests.interop``: a record per contract from the project's generators
(seed 11), written in Avro's JSON encoding, read by Java's ``JsonDecoder`` and encoded by its
``BinaryMessageEncoder`` (``interop/java``, command ``encode``). tests/integration/test_interop.py
checks in CI that Java still makes exactly these bytes.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest

from schemas.contracts import CONTRACTS, SchemaVersion, schema_versions
from schemas.framing import decode, encode
from tests.interop import Golden, goldens

# SchemaNormalization.parsingFingerprint64 of each schema, as Java 1.12.2 printed them: obtained
# once with `Interop fingerprints DIR` (interop/java) over the files `mash schemas export DIR`
# writes (tests/integration/test_interop.py checks every version the same way, in CI).
JAVA_FINGERPRINTS: dict[tuple[str, int], int] = {
    ("uk.mashhub.police.PoliceNotification", 1): -1767003774709179922,
    ("uk.mashhub.police.PoliceNotification", 2): 8367982786341527677,
    ("uk.mashhub.childrens_services.Contact", 1): -7108718050498000575,
    ("uk.mashhub.childrens_services.LinkageDecision", 1): 6055250169280057724,
    ("uk.mashhub.hub.Link", 1): 5980519157632116074,
    ("uk.mashhub.hub.Link", 2): 8623506174777825100,
    ("uk.mashhub.hub.EpisodeSnapshot", 1): -4687858589511930185,
    ("uk.mashhub.hub.EpisodeSnapshot", 2): 7526709434101284746,
    ("uk.mashhub.metrics.ContactCount", 1): 3907563530052723030,
}
# The same program on a schema of no contract.
TEST_RECORD = {"type": "record", "name": "Test", "fields": [{"name": "f", "type": "long"}]}
TEST_RECORD_FINGERPRINT = -8189536545172777747


def _unsigned(java_long: int) -> int:
    return java_long & 0xFFFF_FFFF_FFFF_FFFF


@pytest.mark.parametrize(("key", "java"), JAVA_FINGERPRINTS.items(), ids=str)
def test_fingerprints_are_those_of_the_reference_implementation(
    key: tuple[str, int], java: int
) -> None:
    fullname, number = key
    version = next(v for v in schema_versions(fullname) if v.version == number)
    assert version.fingerprint == _unsigned(java)


def test_the_fingerprint_of_a_schema_of_no_contract_matches_too() -> None:
    assert SchemaVersion("Test", 1, TEST_RECORD).fingerprint == _unsigned(TEST_RECORD_FINGERPRINT)


def test_the_header_is_c3_01_then_the_fingerprint_little_endian() -> None:
    golden = next(g for g in goldens() if g.contract.topic == "police.notifications")
    java = JAVA_FINGERPRINTS[("uk.mashhub.police.PoliceNotification", 2)]
    assert golden.message[:10] == b"\xc3\x01" + struct.pack("<q", java)
    assert encode(golden.contract, decode(golden.message))[:10] == golden.message[:10]


def test_there_is_a_golden_message_for_every_contract() -> None:
    assert sorted(g.contract.topic for g in goldens()) == sorted(c.topic for c in CONTRACTS)


@pytest.mark.parametrize("golden", goldens(), ids=lambda g: g.contract.topic)
def test_java_encoded_golden_message_decodes_to_the_expected_model(golden: Golden) -> None:
    decoded: Any = decode(golden.message)
    assert isinstance(decoded, golden.contract.model)
    assert decoded.model_dump(mode="json") == golden.model


@pytest.mark.parametrize("golden", goldens(), ids=lambda g: g.contract.topic)
def test_the_hub_encodes_the_golden_record_byte_for_byte_as_java_does(golden: Golden) -> None:
    record = golden.contract.model.model_validate(golden.model)
    assert encode(golden.contract, record) == golden.message
