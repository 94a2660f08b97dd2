"""Who each agency record says the child is, for the analysts' console: the identifiable
part of the validated events the sinks consume, one row per linkage record.

A record is an event about one child (its id is the event id) or, for a MARAC case, each
child it names (``event_id#n``, as the streams number them). A correction (the same record,
new content, reported later) replaces the row; a re-send does not. Nothing here is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from schemas.common import Child, ChildEvent, Envelope, content_digest, iso_date
from schemas.community_safety import MaracCase
from sinks.store import Store
from sinks.tables import child_identities

__all__ = ["Identity", "identities_of", "read_identities", "upsert_identities"]


@dataclass(frozen=True)
class Identity:
    """One agency record's child, as the console shows it."""

    record_id: str
    agency: str
    agency_record_id: str
    given_name: str
    family_name: str
    date_of_birth: str | None
    expected_delivery_date: str | None
    sex: str
    nhs_number: str | None
    upn: str | None
    postcode: str | None
    address: str | None


def _row(record_id: str, event: Envelope, child: Child) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "event_id": str(event.event_id),
        "agency": event.source_agency.value,
        "agency_record_id": event.agency_record_id,
        "reported_at": event.reported_at.isoformat(timespec="milliseconds"),
        "digest": content_digest(event),
        "given_name": child.given_name,
        "family_name": child.family_name,
        "date_of_birth": iso_date(child.date_of_birth),
        "expected_delivery_date": iso_date(child.expected_delivery_date),
        "sex": child.sex.value,
        "nhs_number": child.nhs_number,
        "upn": child.upn,
        "postcode": child.postcode,
        "address": child.address,
    }


def identities_of(event: Envelope) -> list[dict[str, Any]]:
    """The rows of an event: one per child it is about (none for an event about no child)."""
    if isinstance(event, ChildEvent):
        return [_row(str(event.event_id), event, event.subject)]
    if isinstance(event, MaracCase):
        return [_row(f"{event.event_id}#{n}", event, c) for n, c in enumerate(event.children)]
    return []


def upsert_identities(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    """Write the rows: the first report of a record, or a later correction of it."""
    ordered = sorted(rows, key=lambda r: str(r["reported_at"]))  # the latest of a batch wins
    store.upsert_rows(child_identities, "record_id", ordered)


def read_identities(store: Store, record_ids: Sequence[str]) -> dict[str, Identity]:
    """The identities of those records (record id -> identity; unknown ones left out)."""
    if not record_ids:
        return {}
    query = select(child_identities).where(child_identities.c.record_id.in_(list(record_ids)))
    names = [f for f in Identity.__dataclass_fields__]
    with store.engine.connect() as conn:
        return {
            r.record_id: Identity(**{n: getattr(r, n) for n in names}) for r in conn.execute(query)
        }
