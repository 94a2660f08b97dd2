"""Framing: single-object by default, Confluent with a registry; old versions still decode;
the legacy (reversed) fingerprint is read during the transition, unless turned off."""

from __future__ import annotations

import datetime as dt
import io
import struct
from typing import Any

import fastavro
import pytest
import structlog.testing

from plumbing.errors import DecodeError, InvalidRecord
from plumbing.settings import CommonSettings, WorkerSettings
from schemas.contracts import POLICE_NOTIFICATION
from schemas.framing import Codec, blocks, decode, encode, pack, single_object_header, unpack
from schemas.registry import codec_for
from simulation.synthetic import police_notifications
from tests.interop import legacy_frame

START, END = dt.date(2012, 4, 1), dt.date(2013, 4, 1)
POLICE_V2_HEADER = bytes.fromhex("c3017d60783a020c2174")
"""What Java's BinaryMessageEncoder writes before a police v2 body (see test_vectors.py)."""


class InMemoryRegistry:
    """A stand-in for the registry at the codec's seam (unit tests only)."""

    def __init__(self) -> None:
        self.schemas: dict[int, dict[str, Any]] = {}
        self.subjects: dict[str, int] = {}

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        for schema_id, known in self.schemas.items():
            if known == schema:
                self.subjects[subject] = schema_id
                return schema_id
        schema_id = len(self.schemas) + 100
        self.schemas[schema_id] = schema
        self.subjects[subject] = schema_id
        return schema_id

    def schema(self, schema_id: int) -> dict[str, Any] | None:
        return self.schemas.get(schema_id)


def _records(n: int = 20) -> list[Any]:
    return list(police_notifications(n, seed=3, start=START, end=END))


def test_single_object_framing_round_trips() -> None:
    for record in _records():
        framed = encode(POLICE_NOTIFICATION, record)
        assert framed[:10] == POLICE_V2_HEADER
        assert decode(framed) == record


def test_confluent_framing_round_trips_and_registers_once_per_subject() -> None:
    registry = InMemoryRegistry()
    codec = Codec(registry)
    for record in _records():
        framed = codec.encode(POLICE_NOTIFICATION, record, "mash.police.notifications")
        assert framed[:1] == b"\x00"
        assert struct.unpack(">I", framed[1:5])[0] == 100
        assert codec.decode(framed) == record
    assert registry.subjects == {"mash.police.notifications-value": 100}


def test_a_consumer_without_a_registry_dead_letters_confluent_frames() -> None:
    framed = Codec(InMemoryRegistry()).encode(POLICE_NOTIFICATION, _records(1)[0], "t")
    with pytest.raises(DecodeError, match="no schema registry is configured"):
        decode(framed)


def test_an_unknown_registry_id_is_a_decode_error() -> None:
    codec = Codec(InMemoryRegistry())
    with pytest.raises(DecodeError, match="schema id 7 is not a version of any contract"):
        codec.decode(b"\x00\x00\x00\x00\x07" + b"\x02" * 20)


def test_a_registry_schema_that_is_no_contract_is_a_decode_error() -> None:
    registry = InMemoryRegistry()
    foreign = registry.register("x-value", {"type": "record", "name": "X", "fields": []})
    with pytest.raises(DecodeError, match=f"schema id {foreign} is not a version"):
        Codec(registry).decode(b"\x00" + struct.pack(">I", foreign) + b"\x02")


def test_events_written_with_police_v1_decode_into_the_latest_model() -> None:
    v1 = POLICE_NOTIFICATION.versions[0]
    record = _records(1)[0]
    datum = POLICE_NOTIFICATION.to_avro(record)
    del datum["related_persons"]  # v1 has no related persons
    body = io.BytesIO()
    fastavro.schemaless_writer(body, v1.parsed, datum)
    framed = single_object_header(v1) + body.getvalue()
    assert decode(framed) == record.model_copy(update={"related_persons": ()})


def test_a_legacy_header_naming_a_known_version_is_read_and_counted_per_topic() -> None:
    codec, records = Codec(), _records(3)
    with structlog.testing.capture_logs() as logs:
        for record in records:
            assert codec.decode(legacy_frame(encode(POLICE_NOTIFICATION, record))) == record
            assert codec.decode(encode(POLICE_NOTIFICATION, record)) == record
    assert codec.legacy_reads == {"police.notifications": 3}
    legacy = [e for e in logs if e["event"] == "framing.legacy_fingerprint"]
    assert legacy == [
        {
            "event": "framing.legacy_fingerprint",
            "log_level": "warning",
            "topic": "police.notifications",
            "schema": POLICE_NOTIFICATION.fullname,
            "version": 2,
        }
    ]


def test_with_legacy_acceptance_off_a_legacy_header_is_a_decode_error_saying_why() -> None:
    framed = legacy_frame(encode(POLICE_NOTIFICATION, _records(1)[0]))
    reason = r"legacy form of .*PoliceNotification v2, and MASH_ACCEPT_LEGACY_FINGERPRINT is off"
    with pytest.raises(DecodeError, match=reason):
        Codec(accept_legacy=False).decode(framed)


def test_the_setting_reaches_the_codec_a_deployable_uses() -> None:
    assert codec_for(WorkerSettings()).accept_legacy
    assert not codec_for(WorkerSettings(accept_legacy_fingerprint=False)).accept_legacy
    assert codec_for(CommonSettings()).registry is None


def test_reversed_bytes_that_name_no_known_version_stay_unknown() -> None:
    framed = encode(POLICE_NOTIFICATION, _records(1)[0])
    unknown = framed[:2] + bytes(a ^ 0x5A for a in framed[2:10]) + framed[10:]
    with pytest.raises(DecodeError, match="unknown schema fingerprint"):
        Codec().decode(legacy_frame(unknown))


def _one() -> bytes:
    return encode(POLICE_NOTIFICATION, _records(1)[0])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too short"),
        (b"\x07\x00\x00\x00\x01" + b"\x00" * 10, "unknown framing"),
        (b"\xc3\x01" + b"\xff" * 8 + b"\x02", "unknown schema fingerprint"),
        (_one()[:40], "corrupt Avro body"),
        (_one() + b"\x00", "trailing bytes"),
    ],
)
def test_undecodable_bytes_raise_decode_error_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode(data)


def test_a_valid_frame_with_an_invalid_value_raises_invalid_record_naming_the_field() -> None:
    record = _records(1)[0]
    bad_child = record.subject.model_copy(update={"nhs_number": "9990000001"})
    framed = encode(POLICE_NOTIFICATION, record.model_copy(update={"subject": bad_child}))
    with pytest.raises(InvalidRecord, match=r"subject\.nhs_number: NHS number fails"):
        decode(framed)


def test_packed_events_unpack_to_the_same_frames_in_order() -> None:
    records = police_notifications(300, 8, dt.date(2012, 4, 1), dt.date(2013, 4, 1))
    frames = [encode(POLICE_NOTIFICATION, r) for r in records] + [b""]
    packed = [pack(b) for b in blocks(frames, 16 * 1024, overhead=4)]
    assert len(packed) > 1 and all(len(p) <= 16 * 1024 for p in packed)
    assert [f for p in packed for f in unpack(p)] == frames


@pytest.mark.parametrize("cut", [1, 3, 7])
def test_a_packed_message_cut_short_is_a_decode_error(cut: int) -> None:
    packed = pack([b"abcdef", b"ghij"])
    with pytest.raises(DecodeError, match="packed events"):
        unpack(packed[:-cut] if cut != 7 else packed + b"\x00\x00")


def test_the_hub_forwards_a_legacy_framed_event_in_the_specifications_framing() -> None:
    framed = encode(POLICE_NOTIFICATION, _records(1)[0])
    header = single_object_header(POLICE_NOTIFICATION.latest)
    assert Codec().canonical(legacy_frame(framed)) == framed
    assert framed.startswith(header) and Codec().canonical(framed) == framed
    assert Codec().canonical(b"\x00junk") == b"\x00junk"  # not single-object: as it is
