"""A console over a fresh SQLite store with one user per role, an episode and its links,
and a clock the tests move."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from console.app import create_console
from console.users import Role, UserStore
from plumbing.errors import ConsoleUnavailable
from plumbing.settings import ConsoleSettings
from schemas.audit import ChainHead
from schemas.hub import EpisodeEvent, EpisodeSnapshot, Link, LinkOutcomeKind
from sinks.identities import upsert_identities
from sinks.store import EpisodeChange, Store

NOW = dt.datetime(2013, 1, 10, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a long enough password"
KEY = b"k" * 32
SCRIPT = '<script>alert("x")</script>'


@dataclass
class Clock:
    """Seconds the test moves by hand."""

    t: float = 1000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Recorded:
    """What the console wrote, in order, as the broker would have acknowledged it; ``down``
    makes every write fail as an unreachable broker does."""

    writes: list[tuple[str, str, bytes]] = field(default_factory=list)
    down: bool = False

    def _take(self, kind: str, key: str, value: bytes) -> None:
        if self.down:
            raise ConsoleUnavailable("Kafka did not take the write: no acknowledgement in time")
        self.writes.append((kind, key, value))

    def audit(self, chain: str, record: str) -> None:
        self._take("audit", chain, record.encode())

    def head(self, chain: str, head: ChainHead) -> None:
        self._take("head", chain, head.encode().encode())

    def event(self, topic: str, key: bytes, value: bytes) -> None:
        self._take("event", topic, value)


@dataclass
class Hub:
    """The console under test and what it reads."""

    settings: ConsoleSettings
    store: Store
    clock: Clock = field(default_factory=Clock)
    out: Recorded = field(default_factory=Recorded)

    def client(self, address: str = "10.0.0.9", **overrides: object) -> TestClient:
        return self.clients(address, **overrides)[0]

    def clients(self, *addresses: str, **overrides: object) -> list[TestClient]:
        """Browsers at these addresses, sharing one console."""
        settings = self.settings.model_copy(update=overrides)
        app = create_console(settings, KEY, self.out, clock=self.clock, now=lambda: NOW)
        scheme = "https" if settings.console_secure_cookies else "http"
        return [
            TestClient(
                app, base_url=f"{scheme}://testserver", client=(a, 5000), follow_redirects=False
            )
            for a in addresses
        ]


def episode(
    n: int, rag: str, due_h: float, person: str = "P1", tenant: str = "LBH"
) -> EpisodeSnapshot:
    opened = NOW - dt.timedelta(hours=5)
    return EpisodeSnapshot(
        episode_id=f"E{n}",
        person_id=person,
        opened_at=opened,
        events=(
            EpisodeEvent(
                event_id=f"ev{n}",
                event_type="police.notification",
                agency="POLICE",
                agency_record_id=f"PN-{n}" if n != 9 else SCRIPT,
                occurred_at=opened,
            ),
        ),
        agencies=("POLICE",),
        rag_rating=rag,
        due_at=NOW + dt.timedelta(hours=due_h),
        tenants=(tenant,),
    )


@pytest.fixture(scope="session")
def with_users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one user per role (argon2 is slow on purpose: hashed once)."""
    home = tmp_path_factory.mktemp("users")
    store = Store(ConsoleSettings(home=home).database)
    users = UserStore(store)
    for role in Role:
        users.add(role.value, role.value, PASSWORD, NOW)
    store.close()
    return home / "mash.db"


@pytest.fixture
def hub(tmp_path: Path, with_users: Path) -> Hub:
    settings = ConsoleSettings(home=tmp_path)
    shutil.copy(with_users, tmp_path / "mash.db")
    store = Store(settings.database)
    snapshots = [episode(1, "GREEN", 50), episode(2, "RED", -1), episode(3, "AMBER", 3)]
    snapshots.append(episode(9, "AMBER", 10, person="P9", tenant="LBB"))
    store.apply_episodes([EpisodeChange(s.episode_id, s, 1, 0) for s in snapshots])
    store.upsert_links(
        [
            Link(
                record_id="POLICE:PN-1",
                event_id="ev1",
                event_type="police.notification",
                person_id="P1",
                outcome=LinkOutcomeKind.LINKED,
                weight=11.5,
                explanation="nhs_number exact +9.1; surname jaro-winkler +2.4",
            ),
            Link(
                record_id="POLICE:X",
                event_id="ev9",
                event_type="police.notification",
                person_id="P9",
                outcome=LinkOutcomeKind.NEW_PERSON,
                weight=0.0,
                explanation=SCRIPT,
            ),
        ]
    )
    upsert_identities(
        store, [identity("POLICE:PN-1", "Amelia", "9434765919"), identity("POLICE:X", SCRIPT, None)]
    )
    return Hub(settings, store)


def identity(record_id: str, given: str, nhs: str | None) -> dict[str, object]:
    """A child as an agency record gives it (what the sinks write from a validated event)."""
    return {
        "record_id": record_id,
        "event_id": "ev",
        "agency": "POLICE",
        "agency_record_id": record_id.split(":")[1],
        "reported_at": NOW.isoformat(),
        "digest": "d",
        "given_name": given,
        "family_name": "Whitfield",
        "date_of_birth": "2008-02-29",
        "expected_delivery_date": None,
        "sex": "FEMALE",
        "nhs_number": nhs,
        "upn": None,
        "postcode": "LS1 4AP",
        "address": "12 Mill Lane",
    }


def csrf_of(page: str) -> str:
    """The CSRF token of a page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    """Sign in through the form; the response status."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password, "csrf": token})
    return response.status_code


def shows(page: str, identifier: str) -> bool:
    """Whether ``page`` shows ``identifier`` as a whole token: a random token in a page (a
    CSRF field) may hold a short id such as "E1" by chance (CI, 2026-12-03: "...oME1uO...")."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(identifier)}(?![A-Za-z0-9])", page) is not None
