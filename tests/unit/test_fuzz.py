"""The framing and contract decoders take generated inputs (random bytes, truncated and
mutated valid events, packed messages) with no exception but the contract error."""

from __future__ import annotations

from mash.fuzz import fuzz, inputs, seeds


def test_twenty_thousand_generated_inputs_raise_only_the_contract_error() -> None:
    result = fuzz(20_000, seed=15)
    assert result.inputs == 20_000
    assert dict(result.unexpected) == {}, result.examples
    assert result.refused > 15_000  # mostly broken inputs, refused as such
    assert result.accepted > 0  # and some mutations still valid: the inputs reach validation


def test_the_inputs_are_the_same_for_a_seed_and_of_every_kind() -> None:
    valid = seeds()
    first, second = list(inputs(50, valid, seed=3)), list(inputs(50, valid, seed=3))
    assert first == second
    assert any(len(i) == 0 or i[:2] not in (b"\\xc3\\x01",) for i in first)
    assert sum(i in valid for i in first) < 5  # mutated, not the seeds themselves
