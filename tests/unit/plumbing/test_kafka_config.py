"""Each client library's connection settings come from one place, and never hide a default."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from plumbing.errors import KafkaAccessError
from plumbing.kafka import confluent_config, credentials, kafka_python_config
from plumbing.settings import CommonSettings


def _settings(tmp_path: Path, **changes: object) -> CommonSettings:
    return CommonSettings(home=tmp_path, **changes)  # type: ignore[arg-type]  # test overrides


def test_sasl_ssl_is_the_default_and_reads_the_principals_secret_file(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "police.password").write_text("s3cret\n")
    (secrets / "ca.pem").write_text("CA")
    creds = credentials(_settings(tmp_path).as_principal("police"))
    assert (creds.protocol, creds.mechanism, creds.username) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
        "police",
    )
    assert creds.password == "s3cret" and creds.ca_file == secrets / "ca.pem"
    assert "s3cret" not in repr(creds)
    assert kafka_python_config(creds) == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "police",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": str(secrets / "ca.pem"),
    }
    assert confluent_config(creds) == {
        "bootstrap.servers": "127.0.0.1:9092",
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "police",
        "sasl.password": "s3cret",
        "ssl.ca.location": str(secrets / "ca.pem"),
    }


def test_an_explicit_username_wins_over_each_process_default(tmp_path: Path) -> None:
    settings = _settings(tmp_path, kafka_username="ops", kafka_password=SecretStr("x"))
    assert credentials(settings.as_principal("hub")).username == "ops"


def test_no_principal_or_no_password_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KafkaAccessError, match="no Kafka principal"):
        credentials(_settings(tmp_path))
    with pytest.raises(KafkaAccessError, match="no password for Kafka principal 'hub'"):
        credentials(_settings(tmp_path).as_principal("hub"))


def test_plaintext_only_when_asked_and_then_without_credentials(tmp_path: Path) -> None:
    creds = credentials(_settings(tmp_path, kafka_security_protocol="PLAINTEXT"))
    assert kafka_python_config(creds) == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "PLAINTEXT",
    }
