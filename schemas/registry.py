"""A client for a Confluent-compatible schema registry (its REST API), over httpx."""

from __future__ import annotations

import json
from typing import Any

import httpx

from plumbing.errors import ContractError, DecodeError
from plumbing.settings import CommonSettings
from schemas.framing import Codec

__all__ = ["ConfluentRegistry", "codec_for"]

_MEDIA = "application/vnd.schemaregistry.v1+json"


class ConfluentRegistry:
    """Registers and fetches Avro schemas by subject and id."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.client = httpx.Client(
            base_url=url.rstrip("/"), timeout=timeout_s, headers={"Accept": _MEDIA}
        )

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        """Register ``schema`` under ``subject`` (the registry dedupes) and return its id."""
        try:
            response = self.client.post(
                f"/subjects/{subject}/versions",
                json={"schema": json.dumps(schema)},
                headers={"Content-Type": _MEDIA},
            )
            response.raise_for_status()
            return int(response.json()["id"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise ContractError(
                f"could not register {subject} with the schema registry: {type(exc).__name__}"
            ) from exc

    def schema(self, schema_id: int) -> dict[str, Any] | None:
        """The schema registered with this id, or None if there is none."""
        try:
            response = self.client.get(f"/schemas/ids/{schema_id}")
            if response.status_code == 404:
                return None
            response.raise_for_status()
            loaded: dict[str, Any] = json.loads(response.json()["schema"])
            return loaded
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise DecodeError(
                f"schema registry could not resolve id {schema_id}: {type(exc).__name__}"
            ) from exc


def codec_for(settings: CommonSettings) -> Codec:
    """The codec a deployable uses: Confluent framing when a registry is configured, legacy
    single-object fingerprints read unless ``accept_legacy_fingerprint`` is off."""
    url = settings.schema_registry_url
    registry = ConfluentRegistry(url) if url else None
    return Codec(registry, accept_legacy=settings.accept_legacy_fingerprint)
