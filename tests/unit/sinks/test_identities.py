"""The sinks keep who each agency record says the child is, by linkage record id: one row per
child (a MARAC case's children numbered), a correction replaces, a re-send does not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from plumbing.kafka import Record
from plumbing.settings import WorkerSettings
from schemas.common import Agency, Envelope
from schemas.community_safety import MaracCase
from schemas.contracts import IDENTITIES, POLICE_NOTIFICATION
from schemas.framing import Codec, encode, pack
from schemas.police import PoliceNotification
from simulation.synthetic import police_notifications
from sinks.identities import identities_of, read_identities
from sinks.store import Store
from sinks.worker import Sinks
from tests.unit.sinks.test_sinks import Kept


def _events(n: int) -> list[PoliceNotification]:
    return list(police_notifications(n, 5, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))


def _apply(sinks: Sinks, events: list[PoliceNotification]) -> None:
    topic = WorkerSettings().topic(IDENTITIES)
    frames = pack([encode(POLICE_NOTIFICATION, e) for e in events])
    sinks.apply({topic: [Record(topic, 0, 0, b"k", frames, {})]})


def test_the_sinks_keep_each_records_child_as_the_agency_gave_it(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    sinks = Sinks(WorkerSettings(home=tmp_path, audit_key="k" * 32), store, Codec(), Kept())
    events = _events(5)
    _apply(sinks, events)
    held = read_identities(store, [str(e.event_id) for e in events] + ["unknown"])
    assert len(held) == 5
    for e in events:
        got, child = held[str(e.event_id)], e.subject
        assert (got.given_name, got.family_name) == (child.given_name, child.family_name)
        assert got.date_of_birth == (child.date_of_birth and child.date_of_birth.isoformat())
        assert (got.nhs_number, got.postcode, got.address) == (
            child.nhs_number,
            child.postcode,
            child.address,
        )
        assert (got.agency, got.agency_record_id) == ("POLICE", e.agency_record_id)


def test_a_correction_replaces_and_an_older_resend_does_not(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    sinks = Sinks(WorkerSettings(home=tmp_path, audit_key="k" * 32), store, Codec(), Kept())
    (event,) = _events(1)
    later = event.reported_at + dt.timedelta(hours=1)
    fixed = event.model_copy(
        update={
            "subject": event.subject.model_copy(update={"family_name": "Corrected"}),
            "reported_at": later,
        }
    )
    _apply(sinks, [fixed])
    _apply(sinks, [event])  # the older report, sent again
    assert read_identities(store, [str(event.event_id)])[str(event.event_id)].family_name == (
        "Corrected"
    )


def test_a_marac_case_gives_a_record_per_child_numbered_as_linkage_numbers_them() -> None:
    (event,) = _events(1)
    other = event.subject.model_copy(update={"given_name": "Second"})
    case = MaracCase.model_validate(
        {
            **event.model_dump(include=set(Envelope.model_fields) - {"event_type"}),
            "event_type": MaracCase.EVENT_TYPE,
            "source_agency": Agency.COMMUNITY_SAFETY,
            "marac_case_ref": "M-1",
            "meeting_date": dt.date(2012, 6, 1),
            "repeat_case": False,
            "children": (event.subject, other),
        }
    )
    rows = identities_of(case)
    assert [r["record_id"] for r in rows] == [f"{case.event_id}#0", f"{case.event_id}#1"]
    assert [r["given_name"] for r in rows] == [event.subject.given_name, "Second"]
