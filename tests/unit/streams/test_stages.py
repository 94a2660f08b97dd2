"""The pure stages: validate, dedupe, count."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from schemas.common import ValidationClock
from schemas.contracts import AGENCY_CONTRACTS, POLICE_NOTIFICATION
from schemas.framing import Codec, encode
from simulation.synthetic import police_notifications
from simulation.year import simulate
from streams.counting import count_contacts
from streams.dedupe import dedupe
from streams.identities import LinkageEntry, identities, summary
from streams.records import Incoming
from streams.validate import topic_event_types, validate

TYPES = {"t": "police.notification"}
"""Topic "t" carries police notifications."""


def _incoming(values: list[bytes], topic: str = "t") -> list[Incoming]:
    return [Incoming(topic, 0, n, None, v) for n, v in enumerate(values)]


def _events(n: int) -> list[bytes]:
    return [
        encode(POLICE_NOTIFICATION, r)
        for r in police_notifications(n, 5, dt.date(2012, 4, 1), dt.date(2013, 4, 1))
    ]


def test_validate_splits_good_from_bad_without_raising() -> None:
    good = _events(3)
    valid, dead = validate(
        _incoming([good[0], b"junk", good[1], good[2][:-5]]), ValidationClock(), Codec(), TYPES
    )
    assert [v.source.offset for v in valid] == [0, 2]
    assert [(d.source.offset, d.stage) for d in dead] == [(1, "validate"), (3, "validate")]
    assert dict(dead[0].headers())["mash.reason"].startswith(b"4 bytes is too short")
    assert dead[1].source.value == good[2][:-5]  # the original bytes travel with the reason


def test_dedupe_drops_ids_seen_before_and_repeated_within_the_batch() -> None:
    events = _events(3)
    valid, _ = validate(
        _incoming([events[0], events[1], events[0], events[2]]), ValidationClock(), Codec(), TYPES
    )
    earlier = {  # events[2] came in an earlier batch, and is stored
        key: entry.encode() for key, entry in dedupe(valid[3:], {}, now_ms=0).records.items()
    }
    out = dedupe(valid, earlier, now_ms=1)
    assert [f.source.offset for f in out.fresh] == [0, 1]
    assert [d.source.offset for d in out.resent] == [2, 3]


def test_count_contacts_adds_to_the_running_count_per_agency_month_and_partition() -> None:
    valid, _ = validate(_incoming(_events(40)), ValidationClock(), Codec(), TYPES)
    months = [f"{v.event.reported_at:%Y-%m}" for v in valid]
    first = months[0]
    counts = {f"POLICE|{first}|0": 100}
    updated = {c.month: c for c in count_contacts(valid, 0, counts)}
    assert updated[first].contacts == 100 + months.count(first)
    assert sum(c.contacts for c in updated.values()) == 100 + len(valid)
    assert {c.partition for c in updated.values()} == {0}
    assert {c.agency for c in updated.values()} == {"POLICE"}


def test_linkage_entries_round_trip_and_older_entries_still_read() -> None:
    (event,) = police_notifications(1, 5, dt.date(2012, 4, 1), dt.date(2013, 4, 1))
    (record,) = identities(event)
    entry = LinkageEntry(record, summary(event))
    assert LinkageEntry.decode(json.loads(json.dumps(entry.encode()))) == entry
    older: dict[str, Any] = json.loads(json.dumps(entry.encode_object()))
    assert LinkageEntry.decode(older) == entry  # the object format, stored before
    del older["event"]["digest"]  # written before summaries carried the digest
    assert LinkageEntry.decode(older).event == dataclasses.replace(entry.event, digest="")
    assert entry.event.tenant == event.tenant  # the episodes' tenant comes from here
    del older["event"]["tenant"]  # written before summaries carried the tenant
    assert LinkageEntry.decode(older).event.tenant is None


def test_an_event_on_another_types_topic_is_dead_lettered_naming_both() -> None:
    (contract,) = [c for c in AGENCY_CONTRACTS if c.topic == "childrens_services.contacts"]
    contact = simulate("havering-2012", seed=3).events["childrens_services.contact"][0]
    police = _events(1)[0]
    types = topic_event_types(lambda name: f"mash.{name}")
    batch = [
        Incoming("mash.police.notifications", 0, 0, None, encode(contract, contact)),
        Incoming("mash.police.notifications", 0, 1, None, police),
        Incoming("mash.childrens_services.contacts", 0, 2, None, encode(contract, contact)),
        Incoming("mash.elsewhere", 0, 3, None, police),
    ]
    valid, dead = validate(batch, ValidationClock(), Codec(), types)
    assert [v.source.offset for v in valid] == [1, 2]
    assert [d.source.offset for d in dead] == [0, 3]
    assert dead[0].reason == (
        "event type 'childrens_services.contact' does not belong on topic "
        "'mash.police.notifications', which carries 'police.notification'"
    )
    assert "'mash.elsewhere', which carries no events" in dead[1].reason
