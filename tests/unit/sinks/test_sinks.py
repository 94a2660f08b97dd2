"""The sinks apply each topic's records to the store; a record that cannot be decoded or
stored is quarantined (and the rest of its batch written once), never a stop."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from plumbing.errors import SinkError
from plumbing.kafka import Record
from plumbing.settings import WorkerSettings
from schemas.audit import AuditChain, AuditEntry, Decision
from schemas.contracts import CONTACT_COUNT, IDENTITIES, POLICE_NOTIFICATION
from schemas.framing import Codec, encode, pack
from schemas.metrics import ContactCount
from schemas.police import PoliceNotification
from schemas.topics import AUDIT
from simulation.synthetic import police_notifications
from sinks.store import Store
from sinks.worker import Sinks


def _events(n: int) -> list[PoliceNotification]:
    return list(police_notifications(n, 3, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))


def _record(topic: str, offset: int, value: bytes) -> Record:
    return Record(topic, 0, offset, b"k", value, {})


class Kept:
    """The quarantine's place in a unit test: the records sent to it (Kafka in the fault
    suite, ``tests/faults``)."""

    def __init__(self) -> None:
        self.records: list[tuple[Record, Exception]] = []

    def send(self, record: Record, exc: Exception) -> None:
        self.records.append((record, exc))


@pytest.fixture
def sinks(tmp_path: Path) -> Sinks:
    settings = WorkerSettings(home=tmp_path, audit_key="k" * 32)
    return Sinks(settings, Store(f"sqlite:///{tmp_path / 'hub.db'}"), Codec(), Kept())


def _kept(sinks: Sinks) -> list[tuple[Record, Exception]]:
    assert isinstance(sinks.quarantine, Kept)
    return sinks.quarantine.records


def test_packed_events_become_facts(sinks: Sinks) -> None:
    frames = [encode(POLICE_NOTIFICATION, e) for e in _events(30)]
    topic = WorkerSettings().topic(IDENTITIES)
    batch = {topic: [_record(topic, 0, pack(frames[:10])), _record(topic, 1, pack(frames[10:]))]}
    assert sinks.apply(batch)  # facts changed: the figures are due
    assert len(sinks.store.facts()) == 30
    assert sinks.apply(batch) and len(sinks.store.facts()) == 30  # a replay adds nothing


def test_a_record_that_does_not_decode_is_quarantined_and_the_rest_written(
    sinks: Sinks,
) -> None:
    frames = [encode(POLICE_NOTIFICATION, e) for e in _events(12)]
    topic = WorkerSettings().topic(IDENTITIES)
    batch = {
        topic: [
            _record(topic, 0, pack(frames[:10])),
            _record(topic, 1, b"\x00\x01broken"),
            _record(topic, 2, pack(frames[10:])),
        ]
    }
    assert sinks.apply(batch)
    assert len(sinks.store.facts()) == 12  # both good records, around the bad one
    ((record, exc),) = _kept(sinks)
    assert (record.topic, record.offset) == (topic, 1)
    assert isinstance(exc, SinkError) and f"{topic} partition 0 offset 1" in str(exc)


def test_junk_on_the_audit_topic_is_quarantined_and_the_chain_goes_on(sinks: Sinks) -> None:
    chain = AuditChain.resume(b"k" * 32, "hub.intake.p0", None)
    at = dt.datetime(2013, 1, 1, tzinfo=dt.UTC).isoformat()
    first, second = (
        chain.append([AuditEntry(Decision.VALIDATED, f"e{n}", at, {})])[0].to_json().encode()
        for n in range(2)
    )
    topic = WorkerSettings().topic(AUDIT)
    batch = [
        _record(topic, 0, first),
        _record(topic, 1, b"{not json"),
        _record(topic, 2, b"\xff\xfe"),
        _record(topic, 3, second),
    ]
    sinks.apply({topic: batch})
    assert sinks.store.audit_count() == {Decision.VALIDATED.value: 2}
    assert [(r.offset, type(e).__name__) for r, e in _kept(sinks)] == [
        (1, "SinkError"),
        (2, "UnicodeDecodeError"),
    ]


def test_contact_counts_are_upserted_and_do_not_move_the_figures(sinks: Sinks) -> None:
    topic = WorkerSettings().topic(CONTACT_COUNT.topic)
    counts = [
        ContactCount(agency="POLICE", month="2012-04", partition=0, contacts=n) for n in (1, 4)
    ]
    batch = {topic: [_record(topic, n, encode(CONTACT_COUNT, c)) for n, c in enumerate(counts)]}
    assert not sinks.apply(batch)
    assert [t.contacts for t in sinks.store.contact_totals()] == [4]


def _audit_lines(key: bytes, n: int, decision: Decision = Decision.LINKED) -> list[str]:
    chain = AuditChain(key, "hub.linkage.p0")
    entries = [AuditEntry(decision, f"e{i}", "2012-04-01T00:00:00Z") for i in range(n)]
    return [r.to_json() for r in chain.append(entries)]


def test_a_forged_audit_record_does_not_replace_a_verified_one(sinks: Sinks) -> None:
    topic = "mash." + AUDIT
    genuine = _audit_lines(b"k" * 32, 3)
    sinks._audit([_record(topic, 0, "\n".join(genuine).encode())])
    assert sinks.store.audit_count() == {"linked": 3}
    forged = _audit_lines(b"not the key" * 3, 3, Decision.REJECTED)  # same chain, positions
    copied_mac = json.loads(genuine[1]) | {"decision": "rejected"}  # a MAC from the topic
    sinks._audit([_record(topic, 1, "\n".join([*forged, json.dumps(copied_mac)]).encode())])
    assert sinks.store.audit_count() == {"linked": 3}
    assert sinks.refused_audit == 4


def test_a_restarted_worker_supersedes_records_as_the_chain_allows(sinks: Sinks) -> None:
    topic = "mash." + AUDIT
    key = b"k" * 32
    sinks._audit([_record(topic, 0, "\n".join(_audit_lines(key, 3)).encode())])
    # resumed from the head after record 1: records 2 and 3 written again, differently
    chain = AuditChain(key, "hub.linkage.p0")
    chain.append([AuditEntry(Decision.LINKED, "e0", "2012-04-01T00:00:00Z")])
    again = chain.append(
        [AuditEntry(Decision.NEW_PERSON, f"f{i}", "2012-04-01T00:00:01Z") for i in range(2)]
    )
    sinks._audit([_record(topic, 1, "\n".join(r.to_json() for r in again).encode())])
    assert sinks.store.audit_count() == {"linked": 1, "new_person": 2}
    assert sinks.refused_audit == 0


def test_a_consumer_that_waited_too_long_between_reads_reads_on() -> None:
    # the broker down for minutes: librdkafka's consumer leaves its group and says so once;
    # the next read joins again, so the sinks go on instead of dying
    from confluent_kafka import KafkaError, KafkaException

    from sinks.worker import _by_topic

    class Notice:
        def __init__(self, code: int) -> None:
            self.code = code

        def error(self) -> KafkaError:
            return KafkaError(self.code)

    assert _by_topic([Notice(KafkaError._MAX_POLL_EXCEEDED)]) == {}  # type: ignore[list-item]
    with pytest.raises(KafkaException):
        _by_topic([Notice(KafkaError.TOPIC_AUTHORIZATION_FAILED)])  # type: ignore[list-item]
