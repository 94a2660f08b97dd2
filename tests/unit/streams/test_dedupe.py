"""De-duplication: re-sends and re-submissions are caught; corrections pass; old state expires."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

from schemas.common import record_key
from schemas.police import PoliceNotification, RiskLevel
from simulation.synthetic import police_notifications
from streams.dedupe import DedupeOutcome, Horizon, SeenRecord, dedupe, first_seen
from streams.intake import Intake
from streams.records import Incoming, Valid


def _valid(records: list[PoliceNotification]) -> list[Valid]:
    return [Valid(Incoming("t", 0, n, None, b""), r) for n, r in enumerate(records)]


def _records(n: int) -> list[PoliceNotification]:
    return list(police_notifications(n, 4, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))


def _stored(records: dict[str, SeenRecord]) -> dict[str, str]:
    return {key: entry.encode() for key, entry in records.items()}


def test_resends_resubmissions_and_corrections() -> None:
    a, b = _records(2)
    resubmitted = a.model_copy(
        update={"event_id": uuid.uuid4(), "reported_at": a.reported_at + dt.timedelta(days=3)}
    )
    corrected = a.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "risk_level": RiskLevel.HIGH if a.risk_level != RiskLevel.HIGH else RiskLevel.STANDARD,
        }
    )
    out = dedupe(_valid([a, b, a, resubmitted, corrected, a, resubmitted]), {}, now_ms=1)
    assert [v.event for v in out.fresh] == [a, b, corrected]
    # a re-send of an event since corrected is still a re-send, not a correction back
    assert [v.event for v in out.resent] == [a, a, resubmitted]
    assert [v.event for v in out.resubmitted] == [resubmitted]
    ids = out.records[record_key(a)].event_ids
    assert ids == {str(e.event_id) for e in (a, resubmitted, corrected)}


def test_state_from_earlier_batches_is_used() -> None:
    a, b = _records(2)
    first = dedupe(_valid([a]), {}, now_ms=1)
    again = dedupe(_valid([a, b]), _stored(first.records), now_ms=2)
    assert [v.event for v in again.resent] == [a] and [v.event for v in again.fresh] == [b]


def test_an_event_replayed_after_a_crash_is_a_resend_not_a_resubmission() -> None:
    (a,) = _records(1)
    first = dedupe(_valid([a]), {}, now_ms=1)
    replay = dedupe(_valid([a]), _stored(first.records), now_ms=2)
    assert [v.event for v in replay.resent] == [a] and not replay.resubmitted


def test_entries_hold_when_they_were_first_seen_and_their_partition() -> None:
    (a,) = _records(1)
    out = dedupe([Valid(Incoming("t", 3, 0, None, b""), a)], {}, now_ms=1234)
    assert first_seen(out.records[record_key(a)]) == (1234, 3)


def test_entries_older_than_the_horizon_expire_from_their_own_partition() -> None:
    horizon = Horizon(horizon_ms=3_500)
    horizon.remember([("R1", "abc@e1@1000@0"), ("R2", "abc@e2@5000@0"), ("R3", "abc@e3,e4@1500@1")])
    assert horizon.expired(0, now_ms=6_000) == [("R1", 1000)]
    assert horizon.expired(0, now_ms=6_000) == []  # each entry is given once
    assert horizon.expired(1, now_ms=6_000) == [("R3", 1500)]
    assert len(horizon) == 1  # R2 is within the horizon


def test_entries_written_before_they_named_their_partition_are_kept_not_a_crash() -> None:
    horizon = Horizon(horizon_ms=1)
    horizon.remember([("old", "abc@e9@1000"), ("older", 1000), ("new", "d@e1@1000@2")])
    assert horizon.unplaced == 2 and len(horizon) == 1
    assert horizon.expired(2, now_ms=5_000) == [("new", 1000)]


def test_every_stored_format_reads_back() -> None:
    assert SeenRecord.decode("d@e1,e2@1000@3") == SeenRecord("d", frozenset({"e1", "e2"}), 1000, 3)
    assert SeenRecord.decode("d@e1@1000") == SeenRecord("d", frozenset({"e1"}), 1000, None)
    assert SeenRecord.decode("d@1000") == SeenRecord("d", frozenset(), 1000, None)
    entry = SeenRecord("d", frozenset({"e2", "e1"}), 7, 1)
    assert entry.encode() == "d@e1,e2@7@1" and SeenRecord.decode(entry.encode()) == entry


def test_an_old_format_entry_does_not_stop_dedupe() -> None:
    # defect: 'digest@ms' (the first format) raised ValueError and stopped the intake agent
    a, b = _records(2)
    stored = {record_key(a): "0" * 32 + "@1000"}
    out = dedupe(_valid([a, b]), stored, now_ms=2000)
    assert [v.event for v in out.fresh] == [a, b]  # other content: a correction, passes
    assert out.records[record_key(a)].partition == 0  # rewritten in the current format


def test_first_seen_reads_every_format_as_the_decoder_does() -> None:
    for text in ("d@e1,e2@1000@3", "d@e1@1000", "d@1000"):
        entry = SeenRecord.decode(text)
        assert first_seen(text) == (
            None if entry.partition is None else (entry.first_seen_ms, entry.partition)
        )
    with pytest.raises(ValueError):  # as the decoder: not an entry, not a wrong answer
        first_seen("d@e1@soon@3")


def _intake(records: dict[str, str], index_after_s: float) -> Intake:
    """An intake stage's expiry, on a plain dict for its table (no Faust app)."""
    intake = Intake.__new__(Intake)
    intake.records = records  # type: ignore[assignment]
    intake.horizon_ms, intake.horizon = 1_000, None
    intake.index_after_s = index_after_s
    intake.reassigned()
    return intake


def test_a_restarted_intake_indexes_its_entries_for_expiry_only_after_a_while() -> None:
    # the first events after a start must not wait for a read of the whole table
    records = {"old": "d@e1@1000@0", "new": "d@e2@9000@0", "other": "d@e3@1000@1"}
    intake = _intake(dict(records), index_after_s=3_600)
    assert intake.index_due is None  # the wait starts with the first batch, not the start
    before = time.monotonic()
    intake._forget_expired(0, DedupeOutcome(), now_ms=9_500)
    assert intake.horizon is None and intake.records == records  # not yet
    assert intake.index_due is not None and intake.index_due >= before + 3_600
    intake.index_due = 0.0  # the while has passed
    intake._forget_expired(0, DedupeOutcome(), now_ms=9_500)
    assert intake.records == {"new": records["new"], "other": records["other"]}
    assert intake.horizon is not None
    intake.reassigned()  # a rebalance: indexed again, a while after its first batch
    assert intake.horizon is None and intake.index_due is None


def test_with_no_wait_the_first_batch_deletes_what_expired() -> None:
    intake = _intake({"old": "d@e1@1000@0", "new": "d@e2@9000@0"}, index_after_s=0)
    intake._forget_expired(0, DedupeOutcome(), now_ms=9_500)
    assert intake.records == {"new": "d@e2@9000@0"}
