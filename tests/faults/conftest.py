"""The fault suite runs on the integration tests' real stack: the same session broker fixture,
hub environment and databases (imported, so ``pytest tests/faults`` alone works too)."""

from __future__ import annotations

from tests.integration.conftest import database_url, hub_env, kafka_bootstrap, kafka_broker

__all__ = ["database_url", "hub_env", "kafka_bootstrap", "kafka_broker"]
