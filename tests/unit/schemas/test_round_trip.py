"""Every contract model round-trips through Avro, for any valid value Hypothesis finds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.contracts import CONTRACTS, Contract
from schemas.framing import decode, encode
from tests.strategies import models


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.topic)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(data=st.data())
def test_model_round_trips_through_avro(contract: Contract[Any], data: st.DataObject) -> None:
    record = data.draw(models(contract.model))
    assert decode(encode(contract, record)) == record
