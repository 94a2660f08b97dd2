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
    assert {
        "kafka-format",
        "kafka",
        "kafka-setup",
        "schema-registry",
        "postgres",
        "worker",
        "dashboard",
    } <= set(_compose()["services"])


def test_kafka_is_secured_as_the_local_broker_is() -> None:
    from mash.access import AGENCIES
    from mash.broker import PRINCIPALS

    env = _compose()["services"]["kafka"]["environment"]
    assert env["KAFKA_LISTENERS"] == "SASL_SSL://:9092,CONTROLLER://:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "SASL_SSL://kafka:9092"  # no controller
    assert env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] == "CONTROLLER:SSL,SASL_SSL:SASL_SSL"
    assert env["KAFKA_LISTENER_NAME_CONTROLLER_SSL_CLIENT_AUTH"] == "required"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("metadata.authorizer.StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "ANONYMOUS" not in env["KAFKA_SUPER_USERS"]
    assert "PLAINTEXT" not in str(env)
    assert (
        "${dir:/run/secrets:admin.password}"
        in env["KAFKA_LISTENER_NAME_SASL__SSL_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
    )
    assert set(AGENCIES) < set(PRINCIPALS)


def test_every_secret_is_a_file_and_each_service_mounts_only_its_own() -> None:
    from mash.broker import PRINCIPALS

    compose = _compose()
    declared = compose["secrets"]
    assert all(
        set(s) == {"file"} and s["file"].startswith("deploy/secrets/") for s in declared.values()
    )
    assert {f"{p}_password" for p in PRINCIPALS} <= set(declared)
    mounted = {
        name: {m["target"] for m in service.get("secrets", [])}
        for name, service in compose["services"].items()
    }
    assert mounted["worker"] == {"hub.password", "sinks.password", "ca.pem"}
    assert mounted["kafka-setup"] == {"admin.password", "ca.pem"}
    assert mounted["kafka-format"] == {f"{p}.password" for p in PRINCIPALS}
    assert "admin.password" not in mounted["dashboard"]
    for name, service in compose["services"].items():  # no password inline anywhere
        assert "PASSWORD" not in " ".join(
            k for k, v in service.get("environment", {}).items() if "${" not in str(v)
        ).replace("POSTGRES_PASSWORD", ""), name


def test_the_acl_set_up_runs_before_the_hub() -> None:
    services = _compose()["services"]
    assert services["kafka-setup"]["command"] == ["broker", "setup"]
    for name in ("worker", "schema-registry"):
        assert services[name]["depends_on"]["kafka-setup"] == {
            "condition": "service_completed_successfully"
        }


def test_every_image_is_pinned() -> None:
    for name, service in _compose()["services"].items():
        image = service.get("image", "")
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image!r} not pinned"


def test_hub_services_are_configured_only_by_settings_fields() -> None:
    known = _settings_fields()
    hub = {n: s for n, s in _compose()["services"].items() if s["image"].startswith("mash-hub:")}
    assert set(hub) == {"worker", "dashboard", "kafka-setup"}
    for name, service in hub.items():
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name} sets variables no settings class reads: {unknown}"


def test_the_hub_image_is_built_from_deploy() -> None:
    worker = _compose()["services"]["worker"]
    assert (ROOT / worker["build"]["dockerfile"]).is_file()
    assert worker["build"]["context"] == "."
