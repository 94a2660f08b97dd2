"""Each principal's ACLs, read without a broker: deny by default means only these are allowed."""

from __future__ import annotations

from confluent_kafka.admin import AclOperation, ResourcePatternType, ResourceType

from mash.access import AGENCIES, grants
from plumbing.settings import WorkerSettings


def _of(principal: str) -> list[tuple[str, str, str, set[str]]]:
    settings = WorkerSettings(topic_prefix="p", app_id="app")
    return [
        (g.resource.name, g.name, g.pattern.name, {op.name for op in g.operations})
        for g in grants(settings)
        if g.principal == principal
    ]


def test_an_agency_writes_its_own_topics_and_reads_none() -> None:
    assert set(AGENCIES) == {
        "police",
        "health",
        "probation",
        "education",
        "community_safety",
        "lado",
        "childrens_services",
    }
    police = _of("police")
    assert ("TOPIC", "p.police.notifications", "LITERAL", {"WRITE", "DESCRIBE"}) in police
    assert ("TOPIC", "p.deadletter", "LITERAL", {"WRITE", "DESCRIBE"}) in police
    assert ("BROKER", "kafka-cluster", "LITERAL", {"IDEMPOTENT_WRITE"}) in police
    assert len(police) == 3
    for agency in AGENCIES:
        for resource, name, pattern, ops in _of(agency):
            assert "READ" not in ops and "CREATE" not in ops and pattern == "LITERAL"
            assert resource != "GROUP"
            assert resource == "BROKER" or name.startswith((f"p.{agency}.", "p.deadletter"))


def test_sinks_write_only_their_quarantine_and_the_hub_creates_only_its_own_topics() -> None:
    for resource, name, _, ops in _of("sinks"):
        if "WRITE" in ops or "IDEMPOTENT_WRITE" in ops:
            assert (name, frozenset(ops)) in {
                ("p.sinks.quarantine", frozenset({"WRITE", "DESCRIBE"})),
                ("kafka-cluster", frozenset({"IDEMPOTENT_WRITE"})),
            }
        else:
            assert ops <= {"READ", "DESCRIBE"} and resource != "BROKER"
    creating = [(n, p) for _, n, p, ops in _of("hub") if "CREATE" in ops]
    assert creating == [("app-", "PREFIXED")]
    assert ("GROUP", "app", "LITERAL", {"READ"}) in _of("hub")
    assert ("GROUP", "app-sinks", "LITERAL", {"READ"}) in _of("sinks")
    assert _of("admin") == []  # a super user: no ACL needed, none granted


def test_grants_use_the_enums_the_broker_knows() -> None:
    settings = WorkerSettings(topic_prefix="p", app_id="app")
    for g in grants(settings):
        assert isinstance(g.resource, ResourceType) and isinstance(g.pattern, ResourcePatternType)
        assert all(isinstance(op, AclOperation) for op in g.operations)


def test_only_childrens_services_and_the_console_write_linkage_decisions() -> None:
    topic = "p.childrens_services.linkage_decisions"
    writers = {
        g.principal
        for g in grants(WorkerSettings(topic_prefix="p", app_id="app"))
        if g.resource is ResourceType.TOPIC
        and AclOperation.WRITE in g.operations
        and (
            g.name == topic
            or (g.pattern is ResourcePatternType.PREFIXED and topic.startswith(g.name))
        )
    }
    assert writers == {"childrens_services", "console"}  # `mash review decide`, the reviewers
    console = _of("console")
    assert ("TOPIC", topic, "LITERAL", {"WRITE", "DESCRIBE"}) in console
    hub = _of("hub")
    assert ("TOPIC", topic, "LITERAL", {"READ", "DESCRIBE"}) in hub
