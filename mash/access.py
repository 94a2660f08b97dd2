"""Who may do what on Kafka: each principal's ACLs for one topic prefix and app id, the set-up
step that creates the topics and those ACLs (as ``admin``), and password rotation.

Deny by default: the broker's StandardAuthorizer refuses whatever no ACL here allows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

# re-exported by confluent_kafka.admin with `noqa`, not in an __all__ that mypy reads
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from mash.local_secrets import private_dir, write_private
from plumbing.errors import KafkaAccessError
from plumbing.kafka import confluent_config, credentials
from plumbing.logs import get_logger
from plumbing.settings import CommonSettings, WorkerSettings
from schemas.contracts import AGENCY_CONTRACTS, CONSOLE_ACTIONS, LINKAGE_DECISION
from schemas.topics import AUDIT, AUDIT_HEADS, QUARANTINE, ensure_hub_topics
from sinks.worker import sink_group, sink_topics

__all__ = [
    "AGENCIES",
    "Grant",
    "acl_bindings",
    "console_topics",
    "grants",
    "rotate_password",
    "set_up",
]

log = get_logger(__name__)

AGENCIES = tuple(sorted({c.topic.split(".")[0] for c in AGENCY_CONTRACTS}))
"""The agency principals: one per feed, named as the first part of its topics."""

_CLUSTER = (ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL)


@dataclass(frozen=True)
class Grant:
    """One principal allowed some operations on a resource (a literal name or a prefix)."""

    principal: str
    resource: ResourceType
    name: str
    pattern: ResourcePatternType
    operations: tuple[AclOperation, ...]


def _topics(
    principal: str, names: Iterable[str], *ops: AclOperation, prefix: bool = False
) -> list[Grant]:
    pattern = ResourcePatternType.PREFIXED if prefix else ResourcePatternType.LITERAL
    return [Grant(principal, ResourceType.TOPIC, n, pattern, ops) for n in names]


def _idempotent(principal: str) -> Grant:
    return Grant(principal, *_CLUSTER, (AclOperation.IDEMPOTENT_WRITE,))


def console_topics(settings: CommonSettings) -> list[str]:
    """What the console writes, and all it may touch: its access records (the audit topic,
    chain ``console``), its chain's head, the analysts' actions and the reviewers' linkage
    decisions. It reads no topic."""
    actions = [settings.topic(c.topic) for c in (*CONSOLE_ACTIONS, LINKAGE_DECISION)]
    return [settings.topic(AUDIT), settings.topic(AUDIT_HEADS), *actions]


def grants(settings: WorkerSettings) -> list[Grant]:
    """Every principal's grants for the topics of ``settings.topic_prefix`` and the groups and
    internal topics of ``settings.app_id`` (``admin`` is a super user and needs none)."""
    read, write, describe = AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE
    agency_topics = [settings.topic(c.topic) for c in AGENCY_CONTRACTS]
    out: list[Grant] = []
    for agency in AGENCIES:
        own = [settings.topic(c.topic) for c in AGENCY_CONTRACTS if c.topic.startswith(agency)]
        out += _topics(agency, [*own, settings.deadletter_topic], write, describe)
        out.append(_idempotent(agency))
    internal = [settings.topic(p) for p in ("hub.", "analysts.", "metrics.")]
    out += _topics("hub", agency_topics, read, describe)
    out += _topics("hub", internal, read, write, describe, prefix=True)
    out += _topics("hub", [settings.topic(AUDIT), settings.deadletter_topic], read, write, describe)
    changelogs = (read, write, describe, AclOperation.CREATE, AclOperation.DESCRIBE_CONFIGS)
    out += _topics("hub", [f"{settings.app_id}-"], *changelogs, prefix=True)
    out.append(
        Grant("hub", ResourceType.GROUP, settings.app_id, ResourcePatternType.LITERAL, (read,))
    )
    out.append(_idempotent("hub"))
    out += _topics("sinks", sink_topics(settings), read, describe)
    out += _topics("sinks", [settings.topic(QUARANTINE)], write, describe)
    out.append(_idempotent("sinks"))
    group = ResourcePatternType.LITERAL
    out.append(Grant("sinks", ResourceType.GROUP, sink_group(settings), group, (read,)))
    out += _topics("console", console_topics(settings), write, describe)
    out.append(_idempotent("console"))
    registry = (read, write, describe, AclOperation.CREATE, AclOperation.DESCRIBE_CONFIGS)
    out += _topics("schema_registry", ["_schemas"], *registry)
    out.append(Grant("schema_registry", ResourceType.GROUP, "schema-registry", group, (read,)))
    return out


def acl_bindings(settings: WorkerSettings) -> list[AclBinding]:
    """The grants as the broker's ALLOW ACL bindings, one per operation."""
    return [
        AclBinding(
            g.resource,
            g.name,
            g.pattern,
            f"User:{g.principal}",
            "*",
            op,
            AclPermissionType.ALLOW,
        )
        for g in grants(settings)
        for op in g.operations
    ]


def _admin(settings: CommonSettings) -> AdminClient:
    config = confluent_config(credentials(settings.as_principal("admin")))
    # librdkafka's own lines go where the hub's logs go, not raw to the terminal
    config["logger"] = logging.getLogger("confluent_kafka")
    return AdminClient(config)


def set_up(settings: WorkerSettings) -> int:
    """As ``admin``: create the hub's topics (with their configs) and every principal's ACLs
    for this topic prefix and app id; idempotent. Returns the number of ACL bindings."""
    admin_settings = settings.as_principal("admin")
    ensure_hub_topics(admin_settings)
    bindings = acl_bindings(settings)
    admin = _admin(settings)  # kept referenced until every future is done
    for binding, future in admin.create_acls(bindings, request_timeout=30).items():
        try:
            future.result()
        except Exception as exc:
            raise KafkaAccessError(f"could not create ACL {binding}: {exc}") from exc
    _wait_until_visible(admin, bindings)
    log.info(
        "access.set_up", prefix=settings.topic_prefix, app_id=settings.app_id, acls=len(bindings)
    )
    return len(bindings)


def _wait_until_visible(admin: AdminClient, bindings: list[AclBinding]) -> None:
    """Wait until the broker's authorizer holds every new binding (the controller commits
    them first; the broker applies them a moment later)."""
    # None matches any name, principal and host (librdkafka's filter); the stub says str
    match_all = AclBindingFilter(
        ResourceType.ANY,
        None,  # type: ignore[arg-type]
        ResourcePatternType.ANY,
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    wanted = set(bindings)
    deadline = time.monotonic() + 30
    while not wanted <= set(admin.describe_acls(match_all, request_timeout=30).result()):
        if time.monotonic() > deadline:
            raise KafkaAccessError("the broker did not apply the new ACLs within 30s")
        time.sleep(0.1)


def rotate_password(settings: CommonSettings, name: str) -> None:
    """Give principal ``name`` a new random password: on the broker (as ``admin``) first,
    then in its secret file, so the file never holds a password the broker refuses for long."""
    import secrets as random

    password = random.token_urlsafe(32)
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    upsert = UserScramCredentialUpsertion(name, info, password.encode())
    admin = _admin(settings)  # kept referenced until the future is done
    for future in admin.alter_user_scram_credentials([upsert]).values():
        try:
            future.result()
        except Exception as exc:
            raise KafkaAccessError(f"could not rotate the password of {name}: {exc}") from exc
    write_private(private_dir(settings.secrets_path) / f"{name}.password", password.encode())
    log.info("access.rotated", principal=name)
