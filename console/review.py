"""The reviewers' screen: the possible-match queue (oldest first) and a pair side by side.

A pair page shows both records' identities (the sinks' ``child_identities``), the comparison
field by field as the hub explained its weight (``rule: field=LEVEL(+w), ...``), the model
version that scored it, and a warning when the twins or siblings guard held the records
apart. A reviewer's verdict is a children's services `LinkageDecision`, published with the
console's Kafka principal; the hub applies it and the sinks then drop the pair from the queue.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select

from console.kafka_out import Out
from plumbing.errors import ConsoleError
from plumbing.settings import ConsoleSettings
from producers.publisher import subject_key
from schemas.childrens_services import LinkageDecision, ReviewVerdict
from schemas.contracts import LINKAGE_DECISION, describe_errors
from schemas.framing import Codec
from sinks.identities import Identity, read_identities
from sinks.reviews import ReviewQueue, review_queue
from sinks.store import Store
from sinks.tables import links, possible_matches

__all__ = ["Agreement", "Pair", "ReviewRefused", "Reviews", "agreements", "is_twins_guard"]

_PART = re.compile(r"(?P<field>[a-z_]+)=(?P<level>[A-Za-z_.]+)\((?P<weight>[+-]?[0-9.]+)\)")
_RULE_END = re.compile(r":\s+(?=[a-z_]+=)")
VERDICTS = {"same": ReviewVerdict.SAME_PERSON, "not_same": ReviewVerdict.NOT_SAME_PERSON}


class ReviewRefused(ConsoleError):
    """A verdict the console will not publish (no reason, unknown pair): shown on the page."""


@dataclass(frozen=True)
class Agreement:
    """One field of the comparison: how the two records agree on it, and its weight."""

    field: str
    level: str
    weight: float


@dataclass(frozen=True)
class Pair:
    """A possible match as a reviewer sees it."""

    record_id: str
    other_record_id: str
    weight: float
    explanation: str
    model_version: str
    first_seen: dt.datetime
    persons: tuple[str | None, str | None]
    identities: tuple[Identity | None, Identity | None]

    @property
    def rule(self) -> str:
        """The rule that scored the pair (the explanation before its field weights)."""
        return _RULE_END.split(self.explanation, maxsplit=1)[0]

    @property
    def agreements(self) -> list[Agreement]:
        """The explanation's fields, in its order."""
        return agreements(self.explanation)

    @property
    def twins(self) -> bool:
        """Whether the twins or siblings guard held the records apart."""
        return is_twins_guard(self.explanation)


def agreements(explanation: str) -> list[Agreement]:
    """The ``field=LEVEL(+w)`` parts of a linkage explanation."""
    return [
        Agreement(m["field"], m["level"], float(m["weight"])) for m in _PART.finditer(explanation)
    ]


def is_twins_guard(explanation: str) -> bool:
    """Whether an explanation names the twins (or siblings) guard."""
    return "twins" in explanation.lower()


class Reviews:
    """Reads the review queue and pairs; builds and publishes reviewers' decisions."""

    def __init__(self, settings: ConsoleSettings, store: Store, out: Out, codec: Codec) -> None:
        self.settings = settings
        self.store = store
        self.out = out
        self.codec = codec

    def queue(self, limit: int = 200) -> ReviewQueue:
        """The oldest pairs waiting, the queue's size and its oldest time."""
        return review_queue(self.store, limit)

    def pair(self, record_id: str, other_record_id: str) -> Pair | None:
        """The stored possible match of two records (either order), or None."""
        a, b = sorted((record_id, other_record_id))
        pm = possible_matches
        query = select(pm).where(pm.c.record_id == a, pm.c.other_record_id == b)
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
            persons = dict(
                conn.execute(
                    select(links.c.record_id, links.c.person_id).where(
                        links.c.record_id.in_([a, b])
                    )
                ).all()
            )
        if row is None:
            return None
        found = read_identities(self.store, [a, b])
        return Pair(
            a,
            b,
            row.weight,
            row.explanation,
            row.model_version or "",
            dt.datetime.fromisoformat(row.first_seen),
            (persons.get(a), persons.get(b)),
            (found.get(a), found.get(b)),
        )

    def decide(
        self, pair: Pair, verdict: str, reason: str, user: str, now: dt.datetime
    ) -> LinkageDecision:
        """The reviewer's decision on the pair (refused without a verdict or a reason)."""
        if verdict not in VERDICTS:
            raise ReviewRefused("choose same person or not the same person")
        if not reason.strip():
            raise ReviewRefused("a reason is required: why the records are or are not one child")
        try:
            return LinkageDecision.new(
                (pair.record_id, pair.other_record_id),
                VERDICTS[verdict],
                user,
                reason.strip(),
                now,
                self.settings.console_tenant,
                self.settings.console_isa_id,
            )
        except ValidationError as exc:  # e.g. a reason longer than the contract allows
            raise ReviewRefused(describe_errors(exc)) from None

    def publish(self, decision: LinkageDecision, secret: bytes) -> None:
        """Publish the decision on its topic (acknowledged)."""
        topic = self.settings.topic(LINKAGE_DECISION.topic)
        value = self.codec.encode(LINKAGE_DECISION, decision, topic)
        self.out.event(topic, subject_key(decision, secret), value)
