"""The reference Avro implementation (Apache Avro for Java, ``interop/java``) from the tests:
build it, run it, and hand it records and messages; and the golden messages it made."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from pydantic import BaseModel

from plumbing.settings import BrokerSettings
from schemas.contracts import CONTRACTS, LINKAGE_DECISION, Contract
from schemas.framing import pack

ROOT = Path(__file__).resolve().parents[1]
JAVA_PROJECT = ROOT / "interop" / "java"
GOLDEN = Path(__file__).resolve().parent / "golden"
"""One file per contract: a record, and the single-object message Java made of it."""


def build_java(build_dir: Path | None = None) -> list[str]:
    """Compile the Java program with Maven (Avro from Maven Central, cached in ~/.m2; classes
    in ``build_dir``, by default beside the Kafka jars) and return the command that runs it."""
    mvn, java = shutil.which("mvn"), shutil.which("java")
    if mvn is None or java is None:
        raise RuntimeError("Java and Maven are needed (bash deploy/setup.sh installs them)")
    build = build_dir or BrokerSettings().cache_dir / "interop-java"
    pom = str(JAVA_PROJECT / "pom.xml")
    done = subprocess.run(
        [
            mvn,
            "-B",
            "-q",
            "-f",
            pom,
            f"-Dinterop.build={build}",
            "compile",
            "dependency:build-classpath",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"Maven could not build interop/java:\n{done.stdout}{done.stderr}")
    classpath = f"{build / 'classes'}:{(build / 'classpath.txt').read_text().strip()}"
    return [java, "-cp", classpath, "uk.mashhub.interop.Interop"]


def run_java(command: list[str], *args: str | Path) -> str:
    """Run one of the Java program's commands; its standard output."""
    done = subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, check=False, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"interop/java {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def avro_json(contract: Contract[Any], record: BaseModel) -> str:
    """The record in the Avro JSON encoding of its contract's latest schema (what Java's
    ``JsonDecoder`` reads)."""
    out = io.StringIO()
    fastavro.json_writer(out, contract.latest.parsed, [contract.to_avro(record)])
    return out.getvalue()


def label(contract: Contract[Any]) -> str:
    """The exported schema file's name for the contract's latest version, without ``.avsc``."""
    return f"{contract.topic}.v{contract.latest.version}"


def legacy_frame(framed: bytes) -> bytes:
    """A single-object frame as the hub wrote it before issue 11: fingerprint bytes reversed."""
    return framed[:2] + framed[2:10][::-1] + framed[10:]


def write_frames(path: Path, frames: list[bytes]) -> None:
    """Messages as the Java program reads them: each behind its 4-byte big-endian length."""
    path.write_bytes(pack(frames))


@dataclass(frozen=True)
class TopicDecode:
    """What Java made of one topic's sample."""

    topic: str
    messages: int
    decoded: int
    identical: int
    """Re-encoded by Java with the writer's schema, byte for byte the message."""
    writers: dict[str, int]
    """Exported schema (``<topic>.v<N>``) -> messages written with it."""


def parse_decode(output: str) -> dict[str, TopicDecode]:
    """The Java ``decode`` command's lines, by topic."""
    found = {}
    for line in output.splitlines():
        topic, messages, decoded, identical, writers = line.split("\t")
        pairs = (w.split("=") for w in writers.split(",") if w)
        found[topic] = TopicDecode(
            topic, int(messages), int(decoded), int(identical), {k: int(n) for k, n in pairs}
        )
    return found


@dataclass(frozen=True)
class Golden:
    """A contract's golden message: a record, and the bytes Java's encoder made of it."""

    contract: Contract[Any]
    avro_json: str
    model: dict[str, Any]
    """The record as its model dumps it to JSON."""
    message: bytes


def goldens() -> list[Golden]:
    """Every contract's golden message, as stored under ``tests/golden``."""
    by_topic = {c.topic: c for c in CONTRACTS}
    found = []
    for path in sorted(GOLDEN.glob("*.json")):
        raw = json.loads(path.read_text())
        found.append(
            Golden(
                by_topic[raw["topic"]],
                raw["avro_json"],
                raw["model"],
                bytes.fromhex(raw["message"]),
            )
        )
    return found


def golden_records() -> list[tuple[Contract[Any], BaseModel]]:
    """One record per contract from the project's generators (seed 11): per agency kind, the
    fullest of its first 200 events (the longest body: most optional fields set); per hub
    output, the fullest the pure stages make of the year's first 6,000 events (a possible
    match among them); for linkage decisions, the fullest of decisions on the first 20
    possible matches."""
    from simulation.decisions import linkage_decisions
    from simulation.year import simulate
    from streams.alerts import due_alerts
    from streams.counting import count_contacts
    from streams.episodes import RagPolicy
    from streams.hub import HubState
    from streams.records import Incoming, Valid

    sim = simulate("havering-2012", seed=11)
    picked: list[tuple[Contract[Any], BaseModel]] = []
    stream = sorted((e for es in sim.events.values() for e in es), key=lambda e: e.reported_at)
    for contract in CONTRACTS:
        kind = getattr(contract.model, "EVENT_TYPE", None)
        if kind in sim.events:
            picked.append((contract, _fullest(contract, sim.events[kind][:200])))
    out = HubState().process(stream[:6000], "2013-04-01T00:00:00+00:00")
    valid = [Valid(Incoming("t", 0, n, None, b""), e) for n, e in enumerate(stream[:6000])]
    hub = {
        "metrics.contacts": count_contacts(valid, 0, {}),
        "hub.links": out.links,
        "hub.reviews": out.reviews,
        "analysts.episodes": [s for s in out.episodes.values() if s is not None],
        "hub.alerts": due_alerts(
            [s for s in out.episodes.values() if s is not None],
            dt.datetime(2013, 4, 1, tzinfo=dt.UTC),
            RagPolicy(),
            dt.timedelta(minutes=30),
        ),
    }
    picked += [(c, _fullest(c, hub[c.topic])) for c in CONTRACTS if c.topic in hub]
    pairs = [(r.record_id, r.candidate_record_id) for r in out.reviews[:20]]
    decisions = list(linkage_decisions(pairs, 11, dt.datetime(2013, 4, 1, tzinfo=dt.UTC)))
    picked.append((LINKAGE_DECISION, _fullest(LINKAGE_DECISION, decisions)))
    return picked


def _fullest(contract: Contract[Any], records: Any) -> BaseModel:
    return max(records, key=lambda r: len(contract.body(r)))


def make_goldens(java: list[str], work: Path) -> None:
    """Write ``tests/golden``: each golden record in Avro JSON, encoded by Java (run once)."""
    from plumbing.settings import CommonSettings
    from schemas.standalone import export_schemas

    export_schemas(work / "schemas", CommonSettings())
    (work / "in").mkdir(parents=True, exist_ok=True)
    records = golden_records()
    for contract, record in records:
        (work / "in" / f"{label(contract)}.json").write_text(avro_json(contract, record))
    run_java(java, "encode", work / "schemas", work / "in", work / "out")
    GOLDEN.mkdir(exist_ok=True)
    for contract, record in records:
        golden = {
            "topic": contract.topic,
            "schema": f"{contract.fullname} v{contract.latest.version}",
            "avro_json": (work / "in" / f"{label(contract)}.json").read_text(),
            "model": record.model_dump(mode="json"),
            "message": (work / "out" / f"{label(contract)}.bin").read_bytes().hex(),
        }
        (GOLDEN / f"{label(contract)}.json").write_text(json.dumps(golden, indent=2) + "\n")


if __name__ == "__main__":  # .venv/bin/python -m tests.interop: remake tests/golden
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        make_goldens(build_java(), Path(tmp))
