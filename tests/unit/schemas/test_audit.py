"""The audit chain shows each of the five kinds of tampering, at the first bad line."""

from __future__ import annotations

import json

import pytest

from plumbing.errors import AuditError
from schemas.audit import AuditChain, AuditEntry, ChainHead, Decision, admit, verify
from sinks.audit import sealed_chain, verified_head
from streams.outputs import trusted_head

KEY = b"k" * 32


def _log(n: int = 10) -> list[bytes]:
    chain = AuditChain(KEY, "hub-0")
    entries = [
        AuditEntry(
            Decision.LINKED,
            f"e{i}",
            f"2012-04-01T00:00:{i:02d}Z",
            {"person_id": f"p{i % 3}", "weight": 12.5 + i},
        )
        for i in range(n)
    ]
    records = chain.append(entries[: n // 2]) + chain.append(entries[n // 2 :])
    return [r.to_json().encode() for r in records] + [chain.seal().to_json().encode()]


def test_an_untouched_log_verifies() -> None:
    verdict = verify(_log(), KEY)
    assert verdict.ok and verdict.records == 10


def test_a_flipped_byte_is_found_at_its_record() -> None:
    log = _log()
    line = bytearray(log[3])
    line[line.index(b'"weight":') + 10] ^= 0x01  # 15.5 -> 14.5
    log[3] = bytes(line)
    verdict = verify(log, KEY)
    assert not verdict.ok and verdict.position == 4 and "MAC" in verdict.reason


def test_a_deleted_record_is_found() -> None:
    log = _log()
    del log[5]
    verdict = verify(log, KEY)
    assert (verdict.ok, verdict.position) == (False, 6)
    assert "deleted" in verdict.reason


def test_an_inserted_record_is_found() -> None:
    log = _log()
    forged = AuditChain(b"not the key" * 3, "hub-0", seq=4, head="f" * 64).append(
        [AuditEntry(Decision.MERGED, "x", "2012-04-02T00:00:00Z")]
    )[0]
    log.insert(4, forged.to_json().encode())
    verdict = verify(log, KEY)
    assert (verdict.ok, verdict.position) == (False, 5)


def test_a_reordering_is_found() -> None:
    log = _log()
    log[2], log[3] = log[3], log[2]
    verdict = verify(log, KEY)
    assert (verdict.ok, verdict.position) == (False, 3)


@pytest.mark.parametrize("keep", [0, 4, 10])
def test_a_truncated_tail_is_found(keep: int) -> None:
    verdict = verify(_log()[:keep], KEY)
    assert not verdict.ok and verdict.position == keep + 1 and "truncated" in verdict.reason


def test_the_wrong_key_fails_at_the_first_record() -> None:
    verdict = verify(_log(), b"x" * 32)
    assert (verdict.ok, verdict.position) == (False, 1)


def test_a_restarted_chain_continues_from_its_head() -> None:
    first = AuditChain(KEY, "hub-0")
    records = first.append([AuditEntry(Decision.VALIDATED, "a", "t")])
    resumed = AuditChain(KEY, "hub-0", seq=first.seq, head=first.head)
    records += resumed.append([AuditEntry(Decision.VALIDATED, "b", "t")])
    log = [r.to_json() for r in records] + [resumed.seal().to_json()]
    assert verify(log, KEY).ok


def test_records_a_killed_worker_sent_past_its_persisted_head_are_superseded() -> None:
    from sinks.audit import sealed_chain

    def entry(event: str) -> AuditEntry:
        return AuditEntry(Decision.VALIDATED, event, "t")

    killed = AuditChain(KEY, "hub-0")
    topic = killed.append([entry("a"), entry("b")])
    persisted = (killed.seq, killed.head)  # the head table had this when the worker died
    topic += killed.append([entry("c"), entry("d"), entry("e")])  # delivered, never sealed
    successor = AuditChain(KEY, "hub-0", *persisted)
    topic += successor.append([entry("c"), entry("d")])  # the batch again, chained anew
    lines = [r.to_json() for r in topic]
    kept, left_out = sealed_chain(lines, successor.seq)
    assert left_out == 3 and [json.loads(k)["event_id"] for k in kept] == ["a", "b", "c", "d"]
    assert verify([*kept, successor.seal().to_json()], KEY).ok
    # the leftovers are not a way in: a forged record at a sealed position breaks the chain
    forged = lines[1].replace('"b"', '"x"')
    kept, _ = sealed_chain([*lines, forged], successor.seq)
    assert not verify([*kept, successor.seal().to_json()], KEY).ok


def test_mash_audit_verify_exits_non_zero_naming_the_line(tmp_path: object) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    home = Path(str(tmp_path))
    env = {**os.environ, "MASH_HOME": str(home), "MASH_AUDIT_KEY": KEY.decode()}
    log = home / "audit.jsonl"
    log.write_bytes(b"\n".join(_log()) + b"\n")
    ok = subprocess.run(
        [sys.executable, "-m", "mash.cli", "audit", "verify", str(log)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and "10 records" in ok.stdout
    lines = _log()
    del lines[7]
    log.write_bytes(b"\n".join(lines) + b"\n")
    bad = subprocess.run(
        [sys.executable, "-m", "mash.cli", "audit", "verify", str(log)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and "line 8" in bad.stdout


def test_audit_blocks_stay_under_the_message_limit_and_keep_every_line_in_order() -> None:
    from schemas.framing import blocks

    lines = [f'{{"seq": {n}, "pad": "{"x" * (n % 700)}"}}'.encode() for n in range(5000)]
    messages = [b"\n".join(b) for b in blocks(lines, 64 * 1024, overhead=1)]
    assert len(messages) > 1 and all(len(m) <= 64 * 1024 for m in messages)
    assert [line for m in messages for line in m.split(b"\n")] == lines


def _chain(n: int) -> tuple[AuditChain, list[str], list[ChainHead]]:
    """A chain of ``n`` records and the head kept after each."""
    chain = AuditChain(KEY, "hub.intake.p0")
    lines, heads = [], []
    for i in range(n):
        (record,) = chain.append([AuditEntry(Decision.VALIDATED, f"e{i}", "2012-04-01T00:00Z")])
        lines.append(record.to_json())
        heads.append(ChainHead.decode(chain.position().encode()))
    return chain, lines, heads


def _export(lines: list[str], head: ChainHead) -> list[str]:
    """What the export writes for a chain sealed at ``head``."""
    sealed = AuditChain.resume(KEY, "hub.intake.p0", head)
    kept, _ = sealed_chain(lines, sealed.seq)
    return [*kept, sealed.seal().to_json()]


def test_a_kept_head_is_signed_for_its_chain_and_the_old_form_is_unverified() -> None:
    _, _, heads = _chain(3)
    assert all(h.verified(KEY, "hub.intake.p0") for h in heads)
    assert not heads[-1].verified(KEY, "hub.intake.p1")  # moved to another chain
    assert not heads[-1].verified(b"x" * 32, "hub.intake.p0")
    old = ChainHead.decode(f"{heads[0].seq}|{heads[0].mac}")
    assert old == ChainHead(1, heads[0].mac) and not old.verified(KEY, "hub.intake.p0")
    with pytest.raises(ValueError):
        ChainHead.decode("1|a|b|c")


def test_a_forged_head_cannot_shorten_the_exported_chain() -> None:
    _, lines, heads = _chain(10)
    # the attack: a head with a MAC copied from the readable audit topic, two records long
    forged = ChainHead(2, json.loads(lines[1])["mac"])
    assert verify(_export(lines, heads[-1]), KEY).ok
    with pytest.raises(AuditError, match=r"hub\.intake\.p0.*does not verify"):
        verified_head("hub.intake.p0", [*heads, forged], KEY)
    tagged = ChainHead(2, forged.mac, heads[-1].tag)  # a real head's tag on another position
    with pytest.raises(AuditError, match=r"hub\.intake\.p0"):
        verified_head("hub.intake.p0", [*heads, tagged], KEY)
    with pytest.raises(AuditError, match="does not verify"):
        trusted_head(KEY, "hub.intake.p0", forged)  # nor does a restarted worker resume it


def test_a_replayed_head_cannot_shorten_the_exported_chain() -> None:
    _, _, heads = _chain(10)
    assert verified_head("hub.intake.p0", heads, KEY) == heads[-1]
    with pytest.raises(AuditError, match=r"hub\.intake\.p0.*went back from record 10 to 2"):
        verified_head("hub.intake.p0", [*heads, heads[1]], KEY)


def test_an_unsigned_head_is_resumed_only_when_trusted_for_the_upgrade() -> None:
    _, _, heads = _chain(2)
    old = ChainHead(heads[-1].seq, heads[-1].mac)
    with pytest.raises(AuditError):
        trusted_head(KEY, "hub.intake.p0", old)
    assert trusted_head(KEY, "hub.intake.p0", old, trust_unsigned=True) == old
    assert trusted_head(KEY, "hub.intake.p0", heads[-1]) == heads[-1]
    with pytest.raises(AuditError, match="unsigned form"):
        verified_head("hub.intake.p0", [old], KEY)


def test_admit_takes_only_records_that_verify_and_follow_their_chain() -> None:
    _, lines, _ = _chain(4)
    admitted, refused = admit(lines[:2], {}, KEY)
    assert [r.seq for r in admitted] == [1, 2] and refused == []
    stored = {(r.chain, r.seq): r.mac for r in admitted}
    gap = admit([lines[3]], stored, KEY)  # record 3 never arrived
    assert gap[0] == [] and gap[1] == [
        ("hub.intake.p0", 4, "does not follow the stored record before it")
    ]
    forged = json.loads(lines[1]) | {"event_id": "someone-else"}
    _, refused = admit([json.dumps(forged), "not json"], stored, KEY)
    assert [(c, s) for c, s, _ in refused] == [("hub.intake.p0", 2), ("?", 0)]
    assert "MAC" in refused[0][2]


def test_a_forged_head_stays_evidence_after_a_genuine_one_follows() -> None:
    _, lines, heads = _chain(4)
    forged = ChainHead(2, json.loads(lines[1])["mac"])
    with pytest.raises(AuditError, match=r"record 2\) does not verify"):
        verified_head("hub.intake.p0", [*heads[:3], forged, heads[3]], KEY)
    unsigned_then_signed = [ChainHead(1, heads[0].mac), *heads[1:]]  # an upgraded worker
    assert verified_head("hub.intake.p0", unsigned_then_signed, KEY) == heads[-1]
