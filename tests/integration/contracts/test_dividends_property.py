"""Property: dividends stay pro rata through any sequence of token and treasury operations.

Random sequences of settlements (the mint path: tokens leave the offering's custody), transfers,
forced transfers, wallet recoveries, burns, distributions and claims. After each sequence, every
wallet's claimed + claimable equals its pro-rata share of what was distributed while it held
(or, before settlement, while its tokens sat in custody for it), rounded down by at most one
base unit per distribution (plus one per custody hand-over); and the treasury never pays out
more than was deposited.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.contracts.conftest import deploy_project
from tests.integration.contracts.helpers import USD, send

pytestmark = pytest.mark.integration

BUYERS = 6
SPARES = range(10, 18)  # registered wallets used as transfer / recovery targets
AMOUNTS = [1_000 * USD, 730 * USD, 250 * USD, 410 * USD, 120 * USD, 1_490 * USD]

wallet_idx = st.sampled_from(list(range(BUYERS)) + list(SPARES))
fraction = st.integers(min_value=1, max_value=8)  # eighths of a balance
op = st.one_of(
    st.tuples(st.just("settle"), st.integers(0, BUYERS - 1)),
    st.tuples(st.just("transfer"), wallet_idx, wallet_idx, fraction),
    st.tuples(st.just("forced"), wallet_idx, wallet_idx, fraction),
    st.tuples(st.just("recover"), wallet_idx, st.sampled_from(list(SPARES))),
    st.tuples(st.just("burn"), wallet_idx, fraction),
    st.tuples(st.just("distribute"), st.integers(min_value=1, max_value=5_000 * USD)),
    st.tuples(st.just("claim"), wallet_idx),
)


@pytest.fixture
def sold_project(world, isolated):
    """Offering finalized with six buyers, nobody settled yet."""
    p = deploy_project(world, isolated, soft_cap=100 * USD)
    p.open()
    for i, amount in enumerate(AMOUNTS):
        p.invest(p.investors[i], amount)
    p.chain.warp(p.params.end_time)
    send(p.w3, world.accounts.outsider, p.offering.functions.finalize())
    return p


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(ops=st.lists(op, min_size=1, max_size=14))
def test_dividends_pro_rata(sold_project, world, accounts, ops):
    p = sold_project
    chain = p.chain
    snap = chain.snapshot()
    try:
        _run(p, world, accounts, ops)
    finally:
        chain.revert(snap)


def _run(p, world, accounts, ops):
    w3, token, treasury, agent, outsider = p.w3, p.token, p.treasury, accounts.agent, accounts.outsider
    inv = p.investors
    price = p.params.price
    # beneficial balances (custody counts for the buyer) and exact expected entitlement
    owed = {i: AMOUNTS[i] * 10**18 // price for i in range(BUYERS)}
    bal: dict[int, int] = {i: 0 for i in [*range(BUYERS), *SPARES]}
    settled: set[int] = set()
    expected: dict[int, Fraction] = {i: Fraction(0) for i in bal}
    lost: set[int] = set()
    deposited = 0
    n_dist = 0
    n_handover = 0

    def beneficial(i: int) -> int:
        return bal[i] + (owed[i] if i < BUYERS and i not in settled else 0)

    for o in ops:
        kind = o[0]
        if kind == "settle":
            i = o[1]
            if i in settled or i in lost:
                continue
            send(w3, outsider, p.offering.functions.settle(inv[i].address))
            settled.add(i)
            bal[i] += owed[i]
            n_handover += 1
        elif kind in ("transfer", "forced"):
            _, i, j, k = o
            amount = bal[i] * k // 8
            if i == j or amount == 0 or i in lost or j in lost:
                continue
            if kind == "transfer":
                send(w3, inv[i], token.functions.transfer(inv[j].address, amount))
            else:
                send(w3, agent, token.functions.forcedTransfer(inv[i].address, inv[j].address, amount))
            bal[i] -= amount
            bal[j] += amount
        elif kind == "recover":
            _, i, j = o
            if i == j or i in lost or j in lost or bal[i] == 0 or (i < BUYERS and i not in settled):
                continue
            send(w3, agent, token.functions.recoverWallet(inv[i].address, inv[j].address))
            bal[j] += bal[i]
            bal[i] = 0
            expected[j] += expected[i]
            expected[i] = Fraction(0)
            lost.add(i)
        elif kind == "burn":
            _, i, k = o
            amount = bal[i] * k // 8
            if amount == 0:
                continue
            send(w3, agent, token.functions.burn(inv[i].address, amount))
            bal[i] -= amount
        elif kind == "distribute":
            amount = o[1]
            eligible = sum(beneficial(i) for i in bal)
            if eligible == 0:
                continue
            assert token.functions.eligibleSupply().call() == eligible
            p.distribute(amount)
            deposited += amount
            n_dist += 1
            for i in bal:
                expected[i] += Fraction(amount * beneficial(i), eligible)
        elif kind == "claim":
            i = o[1]
            if treasury.functions.claimableOf(inv[i].address).call() == 0:
                continue
            send(w3, inv[i], treasury.functions.claim())

    # ---- on-chain balances match the model
    for i in bal:
        assert token.functions.balanceOf(inv[i].address).call() == bal[i]
    # ---- every wallet's claimed + claimable is its pro-rata share
    total_attributed = 0
    tolerance = n_dist + n_handover
    for i in bal:
        addr = inv[i].address
        got = treasury.functions.claimableOf(addr).call() + treasury.functions.claimedOf(addr).call()
        total_attributed += got
        want = expected[i]
        if i < BUYERS and i not in settled:
            # still in custody: the offering holds it for the buyer
            assert got == 0
            continue
        assert want - tolerance - 1 <= got <= want + n_handover, (i, got, float(want), ops)
    custody = treasury.functions.claimableOf(p.offering.address).call()
    # ---- never more than deposited; what is owed is always in the treasury
    assert total_attributed + custody <= deposited
    assert treasury.functions.totalDistributed().call() == deposited
    claimed = treasury.functions.totalClaimed().call()
    assert claimed <= deposited
    assert world.stable.functions.balanceOf(treasury.address).call() >= deposited - claimed
