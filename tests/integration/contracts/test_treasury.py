"""Treasury: O(1) distribution, claims, reserve only for the timelock."""

from __future__ import annotations

import pytest

from tests.integration.contracts.helpers import TOKEN_UNIT, USD, ZERO, assert_floor_close, events, expect_revert, send

pytestmark = pytest.mark.integration


def test_distribute_guards(project, world, accounts):
    p = project
    spv = accounts.spv
    for who in (accounts.deployer, accounts.agent, p.investors[0]):
        expect_revert(p.w3, who, p.treasury.functions.distribute(USD), "NotDistributor(address)", (who.address,))
    expect_revert(p.w3, spv, p.treasury.functions.distribute(0), "ZeroAmount()")
    send(p.w3, spv, world.stable.functions.approve(p.treasury.address, USD))
    expect_revert(p.w3, spv, p.treasury.functions.distribute(USD), "NoEligibleSupply()")  # nothing sold yet


def test_distribute_and_claim(funded_project, world, accounts):
    p = funded_project
    inv = p.investors
    r = p.distribute(1_000 * USD)
    assert events(p.w3, p.treasury, "Distributed", r) == [
        {"index": 1, "distributor": accounts.spv.address, "amount": 1_000 * USD}
    ]
    assert p.treasury.functions.totalDistributed().call() == 1_000 * USD
    shares = {0: 500 * USD, 1: 250 * USD, 2: 125 * USD, 3: 125 * USD}  # 200/100/50/50 of 400 tokens
    for i, want in shares.items():
        assert_floor_close(p.treasury.functions.claimableOf(inv[i].address).call(), want, 1)
    got = p.treasury.functions.claimableOf(inv[0].address).call()
    before = world.stable.functions.balanceOf(inv[0].address).call()
    r = send(p.w3, inv[0], p.treasury.functions.claim())
    assert events(p.w3, p.treasury, "Claimed", r) == [{"account": inv[0].address, "amount": got}]
    assert world.stable.functions.balanceOf(inv[0].address).call() - before == got
    assert p.treasury.functions.claimedOf(inv[0].address).call() == got
    assert p.treasury.functions.claimableOf(inv[0].address).call() == 0
    expect_revert(p.w3, inv[0], p.treasury.functions.claim(), "NothingToClaim(address)", (inv[0].address,))
    expect_revert(p.w3, accounts.outsider, p.treasury.functions.claim(), "NothingToClaim(address)",
                  (accounts.outsider.address,))  # fmt: skip
    # claimFor pays the holder, not the caller
    want1 = p.treasury.functions.claimableOf(inv[1].address).call()
    b1 = world.stable.functions.balanceOf(inv[1].address).call()
    send(p.w3, accounts.outsider, p.treasury.functions.claimFor(inv[1].address))
    assert world.stable.functions.balanceOf(inv[1].address).call() - b1 == want1
    assert p.treasury.functions.totalClaimed().call() == got + want1
    assert p.treasury.functions.outstandingDividends().call() == 1_000 * USD - got - want1


def test_reserve_only_for_timelock(funded_project, world, accounts):
    p = funded_project
    reserve = 4_000 * USD * 9_750 // 10_000  # raised minus 2.5 % fee
    assert p.treasury.functions.reserve().call() == reserve
    p.distribute(1_000 * USD)
    assert p.treasury.functions.reserve().call() == reserve  # dividends owed are not reserve
    for who in (accounts.spv, accounts.deployer, accounts.agent, p.investors[0]):
        expect_revert(p.w3, who, p.treasury.functions.release(who.address, USD), "NotTimelock(address)",
                      (who.address,))  # fmt: skip
        expect_revert(p.w3, who, p.treasury.functions.setDistributor(who.address), "NotTimelock(address)",
                      (who.address,))  # fmt: skip
    tl = p.timelock.address
    expect_revert(p.w3, tl, p.treasury.functions.release(accounts.spv.address, reserve + 1),
                  "InsufficientReserve(uint256,uint256)", (reserve, reserve + 1))  # fmt: skip
    expect_revert(p.w3, tl, p.treasury.functions.release(ZERO, 1), "ZeroAddress()")
    expect_revert(p.w3, tl, p.treasury.functions.release(accounts.spv.address, 0), "ZeroAmount()")
    expect_revert(p.w3, tl, p.treasury.functions.setDistributor(ZERO), "ZeroAddress()")
    expect_revert(p.w3, accounts.spv, p.treasury.functions.initialize(p.token.address, world.stable.address,
                  accounts.spv.address, accounts.spv.address), "InvalidInitialization()")  # fmt: skip


def test_dividends_follow_transfers(funded_project):
    p = funded_project
    a, b = p.investors[0], p.investors[1]
    p.distribute(400 * USD)  # a 200, b 100
    send(p.w3, a, p.token.functions.transfer(b.address, 100 * TOKEN_UNIT))
    p.distribute(400 * USD)  # a 100, b 200
    assert_floor_close(p.treasury.functions.claimableOf(a.address).call(), 300 * USD, 2)
    assert_floor_close(p.treasury.functions.claimableOf(b.address).call(), 300 * USD, 2)


def test_unsettled_buyers_keep_their_dividends(project, world, accounts):
    """Distributions before settlement accrue to the custody and move with the tokens."""
    p = project
    p.open()
    p.invest(p.investors[0], 3_000 * USD)
    p.invest(p.investors[1], 1_000 * USD)
    p.chain.warp(p.params.end_time)
    send(p.w3, accounts.outsider, p.offering.functions.finalize())
    send(p.w3, accounts.outsider, p.offering.functions.settle(p.investors[1].address))
    p.distribute(400 * USD)  # investor 0 is not settled yet
    assert p.treasury.functions.claimableOf(p.investors[0].address).call() == 0
    send(p.w3, accounts.outsider, p.offering.functions.settle(p.investors[0].address))
    assert_floor_close(p.treasury.functions.claimableOf(p.investors[0].address).call(), 300 * USD, 2)
    assert_floor_close(p.treasury.functions.claimableOf(p.investors[1].address).call(), 100 * USD, 1)
    assert p.treasury.functions.claimableOf(p.offering.address).call() <= 1
