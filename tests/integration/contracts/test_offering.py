"""Offering: windows, limits, escrow, cooling-off, finalize, settlement, refunds, fee."""

from __future__ import annotations

import pytest
from web3 import Web3

from tests.integration.contracts.conftest import PRICE, deploy_project
from tests.integration.contracts.helpers import (
    DAY,
    TOKEN_UNIT,
    USD,
    events,
    expect_revert,
    permit_signature,
    send,
)

pytestmark = pytest.mark.integration


def stable_of(world, who):
    return world.stable.functions.balanceOf(who).call()


def test_invest_window_limits_and_buyer(project, world, accounts):
    p = project
    a = p.investors[0]
    send(p.w3, a, world.stable.functions.approve(p.offering.address, 10**12))
    invest = p.offering.functions.invest
    expect_revert(p.w3, a, invest(500 * USD), "OfferingNotStarted()")
    p.open()
    expect_revert(p.w3, a, invest(0), "ZeroAmount()")
    expect_revert(p.w3, a, invest(99 * USD), "BelowMinimum(uint256,uint256)", (99 * USD, 100 * USD))
    expect_revert(p.w3, a, invest(5_010 * USD), "AboveMaximum(uint256,uint256)", (5_010 * USD, 5_000 * USD))
    out = accounts.outsider
    send(p.w3, out, world.stable.functions.approve(p.offering.address, 10**12))
    expect_revert(p.w3, out, invest(500 * USD), "UnverifiedInvestor(address)", (out.address,))
    send(p.w3, accounts.agent, world.registry.functions.setFrozen(a.address, True))
    expect_revert(p.w3, a, invest(500 * USD), "UnverifiedInvestor(address)", (a.address,))
    send(p.w3, accounts.agent, world.registry.functions.setFrozen(a.address, False))
    # max is cumulative
    send(p.w3, a, invest(4_000 * USD))
    expect_revert(p.w3, a, invest(1_010 * USD), "AboveMaximum(uint256,uint256)", (5_010 * USD, 5_000 * USD))
    send(p.w3, a, invest(1_000 * USD))
    # past the hard cap (10_000): 5_000 raised, b can add 5_000 max, c is then over
    b, c = p.investors[1], p.investors[2]
    p.invest(b, 4_950 * USD)
    send(p.w3, c, world.stable.functions.approve(p.offering.address, 10**12))
    expect_revert(p.w3, c, invest(100 * USD), "HardCapExceeded(uint256)", (50 * USD,))
    p.chain.warp(p.params.end_time)
    expect_revert(p.w3, c, invest(50 * USD), "OfferingEnded()")


def test_invest_escrows_and_emits(project, world):
    p = project
    p.open()
    a = p.investors[0]
    before = stable_of(world, a.address)
    r = p.invest(a, 1_000 * USD)
    assert events(p.w3, p.offering, "Invested", r) == [
        {"contributionId": 1, "investor": a.address, "amount": 1_000 * USD, "tokens": 100 * TOKEN_UNIT}
    ]
    r = p.invest(a, 500 * USD)
    assert events(p.w3, p.offering, "Invested", r)[0]["contributionId"] == 2
    assert before - stable_of(world, a.address) == 1_500 * USD
    assert stable_of(world, p.offering.address) == 1_500 * USD
    assert p.offering.functions.investedOf(a.address).call() == 1_500 * USD
    assert p.offering.functions.totalRaised().call() == 1_500 * USD
    assert p.offering.functions.contribution(2).call()[:2] == [a.address, 500 * USD]
    assert p.offering.functions.isOpen().call()


def test_invest_with_permit(project, world):
    p = project
    p.open()
    a = p.investors[3]
    deadline = p.chain.now() + 3600
    sig = permit_signature(p.w3, world.stable, a, p.offering.address, 700 * USD, deadline)
    assert world.stable.functions.allowance(a.address, p.offering.address).call() == 0
    r = send(p.w3, a, p.offering.functions.investWithPermit(700 * USD, deadline, sig.v, sig.r.to_bytes(32, "big"),
                                                            sig.s.to_bytes(32, "big")))  # fmt: skip
    assert events(p.w3, p.offering, "Invested", r)[0]["amount"] == 700 * USD
    assert stable_of(world, p.offering.address) == 700 * USD
    # a bad permit is ignored and the missing allowance makes the transfer fail
    fn = p.offering.functions.investWithPermit(700 * USD, deadline, sig.v, sig.r.to_bytes(32, "big"),
                                               sig.s.to_bytes(32, "big"))  # fmt: skip
    expect_revert(p.w3, a, fn, "ERC20InsufficientAllowance(address,uint256,uint256)")


def test_cancel_inside_and_outside_cooling_off(project, world, accounts):
    p = project
    p.open()
    a, b = p.investors[0], p.investors[1]
    p.invest(a, 1_000 * USD)  # id 1
    p.invest(b, 500 * USD)  # id 2
    before = stable_of(world, a.address)
    expect_revert(p.w3, b, p.offering.functions.cancel(1), "NotContributor(uint256)", (1,))
    expect_revert(p.w3, accounts.spv, p.offering.functions.cancel(1), "NotContributor(uint256)", (1,))
    expect_revert(p.w3, a, p.offering.functions.cancel(99), "NotContributor(uint256)", (99,))
    r = send(p.w3, a, p.offering.functions.cancel(1))
    assert events(p.w3, p.offering, "Cancelled", r) == [
        {"contributionId": 1, "investor": a.address, "amount": 1_000 * USD}
    ]
    assert stable_of(world, a.address) - before == 1_000 * USD
    assert p.offering.functions.investedOf(a.address).call() == 0
    assert p.offering.functions.totalRaised().call() == 500 * USD
    expect_revert(p.w3, a, p.offering.functions.cancel(1), "AlreadyCancelled(uint256)", (1,))
    # outside the window
    invested_at = p.offering.functions.contribution(2).call()[2]
    p.chain.warp(invested_at + 2 * DAY)
    expect_revert(p.w3, b, p.offering.functions.cancel(2), "CoolingOffExpired(uint256,uint256)",
                  (2, invested_at + 2 * DAY))  # fmt: skip


def test_cancel_after_finalize_reverts(project):
    p = project
    p.open()
    a = p.investors[0]
    for i in range(2):
        p.invest(p.investors[i], 5_000 * USD)  # hard cap reached
    send(p.w3, a, p.offering.functions.finalize())
    expect_revert(p.w3, a, p.offering.functions.cancel(1), "OfferingFinalized()")


def test_finalize_at_hard_cap_fee_and_treasury(project, world, accounts):
    p = project
    p.open()
    expect_revert(p.w3, accounts.outsider, p.offering.functions.finalize(), "NotFinalizable()")
    p.invest(p.investors[0], 5_000 * USD)
    expect_revert(p.w3, accounts.outsider, p.offering.functions.finalize(), "NotFinalizable()")
    p.invest(p.investors[1], 5_000 * USD)
    assert p.chain.now() < p.params.end_time
    fee_before = stable_of(world, accounts.fee_recipient.address)
    r = send(p.w3, accounts.outsider, p.offering.functions.finalize())
    fee = 10_000 * USD * 250 // 10_000
    assert events(p.w3, p.offering, "Finalized", r) == [
        {"success": True, "raised": 10_000 * USD, "fee": fee, "toTreasury": 10_000 * USD - fee,
         "tokens": 1_000 * TOKEN_UNIT}
    ]  # fmt: skip
    assert stable_of(world, accounts.fee_recipient.address) - fee_before == fee
    assert stable_of(world, p.treasury.address) == 10_000 * USD - fee
    assert stable_of(world, p.offering.address) == 0
    assert p.token.functions.balanceOf(p.offering.address).call() == 1_000 * TOKEN_UNIT
    assert p.offering.functions.status().call() == 1
    expect_revert(p.w3, accounts.outsider, p.offering.functions.finalize(), "OfferingFinalized()")
    expect_revert(p.w3, p.investors[2], p.offering.functions.invest(100 * USD), "OfferingFinalized()")
    expect_revert(p.w3, p.investors[0], p.offering.functions.refund(), "NotFailed()")


def test_finalize_after_end_and_settlement(project, world, accounts):
    p = project
    p.open()
    a, b, c = p.investors[0], p.investors[1], p.investors[2]
    p.invest(a, 1_000 * USD)
    p.invest(b, 300 * USD)
    expect_revert(p.w3, accounts.outsider, p.offering.functions.settle(a.address), "NotSucceeded()")
    p.chain.warp(p.params.end_time)
    send(p.w3, accounts.outsider, p.offering.functions.finalize())
    r = send(p.w3, accounts.outsider, p.offering.functions.settle(a.address))
    assert events(p.w3, p.offering, "TokensSettled", r) == [{"investor": a.address, "tokens": 100 * TOKEN_UNIT}]
    assert p.token.functions.balanceOf(a.address).call() == 100 * TOKEN_UNIT
    expect_revert(p.w3, a, p.offering.functions.settle(a.address), "AlreadySettled(address)", (a.address,))
    expect_revert(p.w3, a, p.offering.functions.settle(c.address), "NothingToSettle(address)", (c.address,))
    assert p.offering.functions.settleBatch([a.address, b.address, c.address]).call() == 1
    send(p.w3, accounts.outsider, p.offering.functions.settleBatch([a.address, b.address, c.address]))
    assert p.token.functions.balanceOf(b.address).call() == 30 * TOKEN_UNIT
    assert p.token.functions.balanceOf(p.offering.address).call() == 0
    assert p.offering.functions.positionOf(b.address).call() == [300 * USD, True, False]


def test_settlement_requires_verified_buyer(project, world, accounts):
    p = project
    p.open()
    a = p.investors[0]
    p.invest(a, 1_000 * USD)
    p.chain.warp(p.params.end_time)
    send(p.w3, accounts.outsider, p.offering.functions.finalize())
    send(p.w3, accounts.agent, world.registry.functions.removeIdentity(a.address))
    expect_revert(p.w3, a, p.offering.functions.settle(a.address), "UnverifiedWallet(address)", (a.address,))


def test_failed_offering_refunds_every_investor_exactly(project, world, accounts):
    p = project
    p.open()
    amounts = {0: 300 * USD, 1: 110 * USD, 2: 470 * USD}
    before = {i: stable_of(world, p.investors[i].address) for i in amounts}
    for i, amt in amounts.items():
        p.invest(p.investors[i], amt)
    p.invest(p.investors[0], 100 * USD)  # second contribution, 880 raised < soft cap 1000
    p.chain.warp(p.params.end_time)
    expect_revert(p.w3, p.investors[0], p.offering.functions.refund(), "NotFailed()")
    r = send(p.w3, accounts.outsider, p.offering.functions.finalize())
    assert events(p.w3, p.offering, "Finalized", r)[0]["success"] is False
    assert p.offering.functions.status().call() == 2
    expect_revert(p.w3, accounts.outsider, p.offering.functions.settle(p.investors[0].address), "NotSucceeded()")
    r = send(p.w3, p.investors[0], p.offering.functions.refund())
    assert events(p.w3, p.offering, "Refunded", r) == [{"investor": p.investors[0].address, "amount": 400 * USD}]
    send(p.w3, accounts.outsider, p.offering.functions.refundFor(p.investors[1].address))
    send(p.w3, p.investors[2], p.offering.functions.refund())
    for i in amounts:
        assert stable_of(world, p.investors[i].address) == before[i]
    assert stable_of(world, p.offering.address) == 0
    expect_revert(p.w3, p.investors[0], p.offering.functions.refund(), "NothingToRefund(address)",
                  (p.investors[0].address,))  # fmt: skip
    expect_revert(p.w3, p.investors[5], p.offering.functions.refund(), "NothingToRefund(address)",
                  (p.investors[5].address,))  # fmt: skip
    assert p.token.functions.totalSupply().call() == 0


def test_nobody_can_take_escrow(project, world, accounts):
    p = project
    p.open()
    p.invest(p.investors[0], 2_000 * USD)
    escrow = stable_of(world, p.offering.address)
    # the offering has no privileged function at all
    mutating = sorted(
        f["name"] for f in p.offering.abi if f["type"] == "function" and f["stateMutability"] not in ("view", "pure")
    )
    assert mutating == ["cancel", "finalize", "initialize", "invest", "investWithPermit", "refund", "refundFor",
                        "settle", "settleBatch"]  # fmt: skip
    for who in (accounts.spv, accounts.deployer, accounts.agent):
        expect_revert(p.w3, who, p.offering.functions.cancel(1), "NotContributor(uint256)", (1,))
        expect_revert(p.w3, who, p.offering.functions.finalize(), "NotFinalizable()")
        expect_revert(p.w3, who, p.offering.functions.refund(), "NotFailed()")
        expect_revert(p.w3, who, p.offering.functions.initialize(
            (PRICE, 1, 2, 1, 2, 1, 2, 3), p.token.address, world.stable.address, who.address, who.address, 0
        ), "InvalidInitialization()")  # fmt: skip
    assert stable_of(world, p.offering.address) == escrow


def test_amount_must_buy_whole_base_units(world, isolated):
    p = deploy_project(world, isolated, price=3 * USD)  # 1e18 / 3e6 is not an integer
    p.open()
    a = p.investors[0]
    send(p.w3, a, world.stable.functions.approve(p.offering.address, 10**12))
    expect_revert(p.w3, a, p.offering.functions.invest(300 * USD + 1), "AmountNotPriceMultiple()")
    send(p.w3, a, p.offering.functions.invest(300 * USD + 3))
    assert p.offering.functions.tokensFor(300 * USD + 3).call() == (300 * USD + 3) * TOKEN_UNIT // (3 * USD)


def test_invalid_terms(world, isolated):
    from tests.integration.contracts.conftest import make_params

    params = make_params(world, isolated.now(), soft_cap=20_000 * USD)  # soft cap above hard cap
    expect_revert(world.w3, world.accounts.deployer, world.factory.functions.createProject(params.as_tuple()),
                  "InvalidTerms()")  # fmt: skip
    params = make_params(world, isolated.now(), price=0)
    expect_revert(world.w3, world.accounts.deployer, world.factory.functions.createProject(params.as_tuple()),
                  "InvalidTerms()")  # fmt: skip
    params = make_params(world, isolated.now(), stablecoin=Web3.to_checksum_address("0x" + "00" * 20))
    expect_revert(world.w3, world.accounts.deployer, world.factory.functions.createProject(params.as_tuple()),
                  "ZeroAddress()")  # fmt: skip
