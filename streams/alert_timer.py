"""Alert wiring: a Faust timer on the linkage worker that checks the open episodes it holds
against the hub's clock (``settings.clock()``) and publishes each new alert (`streams.alerts`)
on ``hub.alerts``, keyed by its alert id."""

from __future__ import annotations

import datetime as dt

import faust

from plumbing.logs import get_logger
from plumbing.settings import WorkerSettings
from schemas.contracts import ALERT, IDENTITIES
from schemas.framing import encode
from streams.alerts import due_alerts
from streams.faust_internals import owns_restored, still_a_member
from streams.linkage_agent import Linkage
from streams.outputs import Output

__all__ = ["AlertTimer", "add_alert_timer"]

log = get_logger(__name__)


class AlertTimer:
    """Raises the alerts due on the episodes the linkage stage holds (none while another
    worker owns linkage, or while it is restoring)."""

    def __init__(self, app: faust.App, settings: WorkerSettings, linkage: Linkage) -> None:
        self.app = app
        self.settings = settings
        self.topic = settings.topic(IDENTITIES)
        """Linkage's input topic: the worker holding its partition holds the linkage state."""
        self.linkage = linkage
        self.alerts = Output(app, settings.topic(ALERT.topic))
        self.warning = dt.timedelta(minutes=settings.rag_warning_min)
        self.raised: set[str] = set()
        """Alert ids sent by this worker (after a restart some are sent again: same key)."""

    async def tick(self) -> int:
        """Publish the alerts due now; how many. A worker that owns linkage but has had no
        event since it started restores the state here, and sends its republish: no event
        may ever come."""
        state = self.linkage.state
        if state is None and owns_restored(self.app, self.topic) and await still_a_member(self.app):
            state = self.linkage.restored()
            await self._republish()
        if state is None:
            return 0
        now = self.settings.clock()
        running = (e.snapshot() for e in state.episodes.values() if e.due_at and not e.decision)
        found = due_alerts(running, now, self.linkage.policy, self.warning, self.raised)
        for alert in found:
            await self.alerts.send(alert.alert_id.encode(), encode(ALERT, alert))
            self.raised.add(alert.alert_id)
            log.info("alert.raised", alert_id=alert.alert_id, kind=alert.kind.value)
        return len(found)

    async def _republish(self) -> None:
        """Send the restore's republish now, not with the next event (none may come); if
        the broker refuses it, the next batch sends it again."""
        try:
            await self.linkage.republish_now()
        except Exception as exc:
            log.error("linkage.republish_failed", error=type(exc).__name__)


def add_alert_timer(app: faust.App, settings: WorkerSettings, linkage: Linkage) -> AlertTimer:
    """Check for alerts every ``settings.rag_alert_interval_s`` seconds."""
    timer = AlertTimer(app, settings, linkage)

    async def check() -> None:
        await timer.tick()

    app.timer(interval=settings.rag_alert_interval_s, name="rag_alerts")(check)
    return timer
