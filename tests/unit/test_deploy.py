"""docker-compose.yml is checked structurally (no Docker engine runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from plumbing import settings as settings_module
from plumbing.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _settings_fields() -> set[str]:
    classes = [
        c
        for c in vars(settings_module).values()
        if isinstance(c, type) and issubclass(c, CommonSettings)
    ]
    return {f"MASH_{name.upper()}" for cls in classes for name in cls.model_fields}


def test_compose_has_every_deployable() -> None:
    assert {"kafka", "schema-registry", "postgres", "worker", "dashboard"} <= set(
        _compose()["services"]
    )


def test_every_image_is_pinned() -> None:
    for name, service in _compose()["services"].items():
        image = service.get("image", "")
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image!r} not pinned"


def test_hub_services_are_configured_only_by_settings_fields() -> None:
    known = _settings_fields()
    hub = {n: s for n, s in _compose()["services"].items() if s["image"].startswith("mash-hub:")}
    assert set(hub) == {"worker", "dashboard"}
    for name, service in hub.items():
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name} sets variables no settings class reads: {unknown}"


def test_the_hub_image_is_built_from_deploy() -> None:
    worker = _compose()["services"]["worker"]
    assert (ROOT / worker["build"]["dockerfile"]).is_file()
    assert worker["build"]["context"] == "."
