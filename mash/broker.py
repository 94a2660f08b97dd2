"""A real single-node Apache Kafka broker (KRaft, broker+controller) with no Docker.

Kafka's jars are resolved from Maven Central with Maven into a cache shared by every clone;
storage is formatted once; ``kafka.Kafka`` runs on 127.0.0.1 in its own process group so that
`stop` leaves nothing behind.

Secured from the first start: clients connect over SASL_SSL with SCRAM-SHA-512 only (one SCRAM
user per principal, created when the storage is formatted, each password a 0600 file in the
secrets folder); TLS from a local CA created on first start; the controller listener is TLS
with client certificates, on loopback, never advertised; StandardAuthorizer denies what no ACL
allows; topics are never created on demand.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from mash.local_secrets import (
    BROKER_DN,
    BrokerTls,
    ensure_password,
    private_dir,
    scram_entry,
    write_private,
)
from plumbing.errors import BrokerError
from plumbing.kafka import KafkaCredentials, credentials, kafka_python_config
from plumbing.logs import get_logger
from plumbing.processes import process_exists
from plumbing.settings import BrokerSettings

PRINCIPALS = (
    "admin",
    "hub",
    "sinks",
    "console",
    "police",
    "health",
    "probation",
    "education",
    "community_safety",
    "lado",
    "childrens_services",
    "schema_registry",
)
"""Every SCRAM user of the local broker (see `mash.access` for what each may do)."""

__all__ = ["PRINCIPALS", "BrokerStatus", "LocalBroker", "resolve_kafka"]

log = get_logger(__name__)

_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>uk.mashhub</groupId>
  <artifactId>mash-local-kafka</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId>
      <version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId><version>2.25.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId><version>2.25.3</version></dependency>
  </dependencies>
</project>
"""

_LOG4J = """status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def resolve_kafka(settings: BrokerSettings) -> Path:
    """Return the directory of Kafka's jars, resolving them with Maven the first time."""
    home = settings.cache_dir / f"kafka-{settings.kafka_version}"
    lib = home / "lib"
    if (home / "resolved").exists():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError("Maven (mvn) is not on PATH; it is needed once to fetch Apache Kafka")
    home.mkdir(parents=True, exist_ok=True)
    (home / "pom.xml").write_text(_POM.format(version=settings.kafka_version))
    staging = home / "lib.partial"
    shutil.rmtree(staging, ignore_errors=True)
    log.info("broker.resolving", kafka_version=settings.kafka_version, cache=str(home))
    cmd = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(home / "pom.xml"),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
        "-DincludeScope=runtime",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BrokerError(
            f"Maven could not resolve Kafka {settings.kafka_version}:\n"
            f"{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    (home / "resolved").touch()
    return lib


@dataclass(frozen=True)
class BrokerStatus:
    """What `mash broker status` reports."""

    running: bool
    pid: int | None
    bootstrap: str
    kafka_version: str
    data_dir: Path
    log_file: Path


class LocalBroker:
    """One local Kafka broker, described by its settings and its directory."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.dir = settings.broker_path.resolve()
        self.data_dir = self.dir / "data"
        self.log_file = self.dir / "broker.log"
        self.pid_file = self.dir / "broker.pid"
        self.config_file = self.dir / "server.properties"
        self.secured_marker = self.dir / "secured"
        self.tls = BrokerTls(self.dir / "tls")
        self.bootstrap = f"127.0.0.1:{settings.broker_port}"

    def status(self) -> BrokerStatus:
        """Whether the broker runs, and where its data and log are."""
        pid = self._running_pid()
        return BrokerStatus(
            pid is not None,
            pid,
            self.bootstrap,
            self.settings.kafka_version,
            self.data_dir,
            self.log_file,
        )

    def start(self) -> bool:
        """Start the broker and wait until it answers; False if it was already running."""
        if self._running_pid() is not None:
            return False
        if _port_open(self.settings.broker_port):
            raise BrokerError(
                f"port {self.settings.broker_port} is taken by another process; "
                "set MASH_BROKER_PORT or MASH_KAFKA_BOOTSTRAP"
            )
        formatted = (self.data_dir / "meta.properties").exists()
        if formatted and not self.secured_marker.exists():
            raise BrokerError(
                f"the broker data in {self.dir} was formatted without security (before "
                "SASL_SSL and ACLs); remove that folder to start a secured broker (its topics "
                "are lost), or point MASH_HOME elsewhere"
            )
        lib = resolve_kafka(self.settings)
        private_dir(self.dir)
        self._ensure_secrets()
        self._write_config()
        if not formatted:
            self._format(lib)
        self._launch(lib)
        self._wait_ready()
        return True

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the broker and every process of its group; False if it was not running."""
        pid = self._running_pid()
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            log.warning("broker.kill", pid=pid, reason="no clean shutdown in time")
            _signal_group(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) and _is_kafka(pid) else None

    def _java(self, lib: Path, main: str, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise BrokerError("Java (java) is not on PATH; Apache Kafka needs Java 17+")
        return [
            java,
            f"-Xmx{self.settings.broker_heap}",
            "-Xms256m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.dir / 'logs'}",
            "-cp",
            f"{lib}/*",
            main,
            *args,
        ]

    def _ensure_secrets(self) -> None:
        """The CA, the broker certificate and every principal's password; the CA's
        certificate is copied beside the passwords, where clients look for it."""
        self.tls.ensure()
        secrets = private_dir(self.settings.secrets_path)
        for name in PRINCIPALS:
            ensure_password(secrets, name)
        ca = secrets / "ca.pem"
        if not ca.exists() or ca.read_bytes() != self.tls.ca_cert.read_bytes():
            write_private(ca, self.tls.ca_cert.read_bytes())

    def _password(self, name: str) -> str:
        return ensure_password(self.settings.secrets_path, name)

    def _write_config(self) -> None:
        s = self.settings
        listeners = (
            f"SASL_SSL://127.0.0.1:{s.broker_port},CONTROLLER://127.0.0.1:{s.controller_port}"
        )
        jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="admin" password="{self._password("admin")}";'
        )
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{s.controller_port}",
            "listeners": listeners,
            "advertised.listeners": f"SASL_SSL://127.0.0.1:{s.broker_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "SASL_SSL",
            "listener.security.protocol.map": "CONTROLLER:SSL,SASL_SSL:SASL_SSL",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": jaas,
            "listener.name.controller.ssl.client.auth": "required",
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.tls.keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.tls.ca_cert),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:admin;User:{BROKER_DN}",
            "log.dirs": str(self.data_dir),
            "num.partitions": str(s.partitions),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        text = "".join(f"{k}={v}\n" for k, v in props.items())
        write_private(self.config_file, text.encode())  # it holds the admin password
        write_private(self.dir / "log4j2.properties", _LOG4J.encode())

    def _format(self, lib: Path) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        cmd = self._java(
            lib,
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={cluster_id}",  # '=': an id may begin with '-'
            "-c",
            str(self.config_file),
            "--ignore-formatted",
            *(
                arg
                for name in PRINCIPALS
                for arg in ("--add-scram", scram_entry("SCRAM-SHA-512", name, self._password(name)))
            ),
        )
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BrokerError(f"formatting KRaft storage failed:\n{done.stdout}{done.stderr}")
        self.secured_marker.touch(mode=0o600)
        log.info("broker.formatted", data_dir=str(self.data_dir), users=len(PRINCIPALS))

    def _launch(self, lib: Path) -> None:
        with self.log_file.open("ab") as out:
            proc = subprocess.Popen(
                self._java(lib, "kafka.Kafka", str(self.config_file)),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        self._proc = proc

    def _wait_ready(self) -> None:
        from kafka.admin import KafkaAdminClient

        deadline = time.monotonic() + self.settings.broker_start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise BrokerError(f"Kafka exited with {self._proc.returncode}; see {self.log_file}")
            if _port_open(self.settings.broker_port):
                try:
                    admin = KafkaAdminClient(
                        **kafka_python_config(self._admin_credentials()), request_timeout_ms=5000
                    )
                    try:
                        admin.describe_cluster()
                        return
                    finally:
                        admin.close()
                except Exception:
                    pass
            time.sleep(0.25)
        self.stop()
        raise BrokerError(
            f"Kafka did not answer within {self.settings.broker_start_timeout_s}s; "
            f"see {self.log_file}"
        )

    def _admin_credentials(self) -> KafkaCredentials:
        settings = self.settings.model_copy(
            update={
                "kafka_bootstrap": self.bootstrap,
                "kafka_security_protocol": "SASL_SSL",
                "kafka_username": "admin",
                "kafka_password": None,
                "kafka_password_file": None,
                "kafka_ca_file": self.tls.ca_cert,
            }
        )
        return credentials(settings)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    if not process_exists(pid):
        return False
    try:  # a zombie child of ours counts as gone
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def _is_kafka(pid: int) -> bool:
    try:
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid file


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgid(pid), sig)
