"""ProjectToken: compliance, pause, agent powers, votes, permit, dividend bookkeeping."""

from __future__ import annotations

import pytest

from tests.integration.contracts.helpers import (
    TOKEN_UNIT,
    USD,
    ZERO,
    assert_floor_close,
    delegation_signature,
    events,
    expect_revert,
    investor_id,
    permit_signature,
    send,
)

pytestmark = pytest.mark.integration

T = TOKEN_UNIT


def bal(p, who):
    return p.token.functions.balanceOf(who).call()


def votes(p, who):
    return p.token.functions.getVotes(who).call()


def test_metadata_and_clock(funded_project):
    t = funded_project.token
    assert t.functions.name().call() == "Toll Road Token"
    assert t.functions.symbol().call() == "TOLL"
    assert t.functions.decimals().call() == 18
    assert t.functions.CLOCK_MODE().call() == "mode=timestamp"
    assert t.functions.clock().call() == funded_project.chain.now()
    assert t.functions.totalSupply().call() == 400 * T


def test_transfer_moves_balance_votes_and_emits(funded_project):
    p = funded_project
    a, b = p.investors[0], p.investors[1]
    # auto self-delegation: balances vote without a delegate() call
    assert p.token.functions.delegates(a.address).call() == a.address
    assert votes(p, a.address) == 200 * T
    r = send(p.w3, a, p.token.functions.transfer(b.address, 30 * T))
    assert events(p.w3, p.token, "Transfer", r) == [{"from": a.address, "to": b.address, "value": 30 * T}]
    changed = events(p.w3, p.token, "DelegateVotesChanged", r)
    assert {(e["delegate"], e["previousVotes"], e["newVotes"]) for e in changed} == {
        (a.address, 200 * T, 170 * T),
        (b.address, 100 * T, 130 * T),
    }
    assert (bal(p, a.address), bal(p, b.address)) == (170 * T, 130 * T)
    assert (votes(p, a.address), votes(p, b.address)) == (170 * T, 130 * T)
    expect_revert(
        p.w3,
        a,
        p.token.functions.transfer(b.address, 171 * T),
        "ERC20InsufficientBalance(address,uint256,uint256)",
        (a.address, 170 * T, 171 * T),
    )
    expect_revert(p.w3, a, p.token.functions.transfer(ZERO, 1), "ERC20InvalidReceiver(address)", (ZERO,))


def test_transfer_to_or_from_unverified_expired_frozen_reverts(funded_project, world, accounts):
    p = funded_project
    w3, agent, reg = p.w3, accounts.agent, world.registry
    a, b, c = p.investors[0], p.investors[1], p.investors[2]
    outsider = accounts.outsider
    # unverified receiver
    expect_revert(w3, a, p.token.functions.transfer(outsider.address, T), "UnverifiedWallet(address)",
                  (outsider.address,))  # fmt: skip
    # unverified sender (identity removed)
    send(w3, agent, reg.functions.removeIdentity(c.address))
    expect_revert(w3, c, p.token.functions.transfer(a.address, T), "UnverifiedWallet(address)", (c.address,))
    # frozen receiver and frozen sender
    send(w3, agent, reg.functions.setFrozen(b.address, True))
    expect_revert(w3, a, p.token.functions.transfer(b.address, T), "FrozenWallet(address)", (b.address,))
    expect_revert(w3, b, p.token.functions.transfer(a.address, T), "FrozenWallet(address)", (b.address,))
    # expired KYC
    short = p.chain.now() + 500
    send(w3, agent, reg.functions.registerIdentity(outsider.address, investor_id(77), 360, short))
    send(w3, a, p.token.functions.transfer(outsider.address, T))
    assert bal(p, outsider.address) == T
    p.chain.warp(short + 1)
    expect_revert(w3, a, p.token.functions.transfer(outsider.address, T), "UnverifiedWallet(address)",
                  (outsider.address,))  # fmt: skip
    expect_revert(w3, outsider, p.token.functions.transfer(a.address, T), "UnverifiedWallet(address)",
                  (outsider.address,))  # fmt: skip
    # transferFrom is checked the same way
    send(w3, a, p.token.functions.approve(accounts.spv.address, 10 * T))
    expect_revert(w3, accounts.spv, p.token.functions.transferFrom(a.address, b.address, T),
                  "FrozenWallet(address)", (b.address,))  # fmt: skip


def test_pause_unpause(funded_project, accounts):
    p = funded_project
    a, b = p.investors[0], p.investors[1]
    for who in (accounts.spv, accounts.deployer, a):
        expect_revert(p.w3, who, p.token.functions.pause(), "NotAgent(address)", (who.address,))
    expect_revert(p.w3, accounts.agent, p.token.functions.unpause(), "TokenNotPaused()")
    r = send(p.w3, accounts.agent, p.token.functions.pause())
    assert events(p.w3, p.token, "Paused", r) == [{"agent": accounts.agent.address}]
    assert p.token.functions.paused().call()
    expect_revert(p.w3, accounts.agent, p.token.functions.pause(), "TokenPaused()")
    expect_revert(p.w3, a, p.token.functions.transfer(b.address, T), "TokenPaused()")
    expect_revert(p.w3, accounts.spv, p.token.functions.unpause(), "NotAgent(address)", (accounts.spv.address,))
    r = send(p.w3, accounts.agent, p.token.functions.unpause())
    assert events(p.w3, p.token, "Unpaused", r) == [{"agent": accounts.agent.address}]
    send(p.w3, a, p.token.functions.transfer(b.address, T))
    assert bal(p, b.address) == 101 * T


def test_only_offering_mints_only_treasury_records(funded_project, accounts):
    p = funded_project
    for who in (accounts.spv, accounts.deployer, accounts.agent):
        expect_revert(p.w3, who, p.token.functions.mint(who.address, T), "NotOffering(address)", (who.address,))
        expect_revert(p.w3, who, p.token.functions.recordDistribution(1), "NotTreasury(address)", (who.address,))
        expect_revert(p.w3, who, p.token.functions.takeDividends(who.address), "NotTreasury(address)",
                      (who.address,))  # fmt: skip


def test_forced_transfer_keeps_dividends_and_votes(funded_project, world, accounts):
    p = funded_project
    a, b = p.investors[0], p.investors[1]
    p.distribute(400 * USD)  # 1 USD per token: a earns 200, b 100
    send(p.w3, accounts.agent, world.registry.functions.setFrozen(a.address, True))
    expect_revert(p.w3, accounts.spv, p.token.functions.forcedTransfer(a.address, b.address, T), "NotAgent(address)",
                  (accounts.spv.address,))  # fmt: skip
    expect_revert(p.w3, accounts.agent,
                  p.token.functions.forcedTransfer(a.address, accounts.outsider.address, T),
                  "UnverifiedWallet(address)", (accounts.outsider.address,))  # fmt: skip
    r = send(p.w3, accounts.agent, p.token.functions.forcedTransfer(a.address, b.address, 100 * T))
    assert events(p.w3, p.token, "ForcedTransfer", r) == [
        {"agent": accounts.agent.address, "from": a.address, "to": b.address, "amount": 100 * T}
    ]
    assert (bal(p, a.address), bal(p, b.address)) == (100 * T, 200 * T)
    assert (votes(p, a.address), votes(p, b.address)) == (100 * T, 200 * T)
    # dividends earned before stay with the earner; later ones follow the new balances
    p.distribute(400 * USD)
    assert_floor_close(p.treasury.functions.claimableOf(a.address).call(), 300 * USD, 2)
    assert_floor_close(p.treasury.functions.claimableOf(b.address).call(), 300 * USD, 2)


def test_recover_wallet_moves_balance_votes_delegation_and_dividends(funded_project, world, accounts):
    p = funded_project
    lost, other, new = p.investors[0], p.investors[1], p.investors[10]
    send(p.w3, lost, p.token.functions.delegate(other.address))  # lost delegates to other
    p.distribute(400 * USD)
    send(p.w3, lost, p.treasury.functions.claim())  # lost claimed 200
    p.distribute(400 * USD)  # lost has 200 unclaimed
    expect_revert(p.w3, accounts.spv, p.token.functions.recoverWallet(lost.address, new.address), "NotAgent(address)",
                  (accounts.spv.address,))  # fmt: skip
    expect_revert(p.w3, accounts.agent, p.token.functions.recoverWallet(lost.address, lost.address),
                  "InvalidRecovery()")  # fmt: skip
    expect_revert(p.w3, accounts.agent, p.token.functions.recoverWallet(lost.address, p.offering.address),
                  "InvalidRecovery()")  # fmt: skip
    expect_revert(p.w3, accounts.agent, p.token.functions.recoverWallet(lost.address, ZERO), "ZeroAddress()")
    expect_revert(p.w3, accounts.agent, p.token.functions.recoverWallet(lost.address, accounts.outsider.address),
                  "UnverifiedWallet(address)", (accounts.outsider.address,))  # fmt: skip
    claimed_before = p.treasury.functions.claimedOf(lost.address).call()
    unclaimed_before = p.treasury.functions.claimableOf(lost.address).call()
    assert_floor_close(claimed_before, 200 * USD, 1)
    assert_floor_close(unclaimed_before, 200 * USD, 1)
    r = send(p.w3, accounts.agent, p.token.functions.recoverWallet(lost.address, new.address))
    assert events(p.w3, p.token, "WalletRecovered", r) == [
        {"lostWallet": lost.address, "newWallet": new.address, "amount": 200 * T, "dividendsMoved": unclaimed_before}
    ]
    assert (bal(p, lost.address), bal(p, new.address)) == (0, 200 * T)
    assert p.token.functions.delegates(new.address).call() == other.address
    assert votes(p, other.address) == 300 * T  # own 100 + the recovered 200, still delegated
    assert votes(p, new.address) == 0
    assert p.treasury.functions.claimableOf(new.address).call() == unclaimed_before
    assert p.treasury.functions.claimedOf(new.address).call() == claimed_before
    assert p.treasury.functions.claimableOf(lost.address).call() == 0
    assert p.treasury.functions.claimedOf(lost.address).call() == 0
    before = world.stable.functions.balanceOf(new.address).call()
    send(p.w3, new, p.treasury.functions.claim())
    assert world.stable.functions.balanceOf(new.address).call() - before == unclaimed_before


def test_burn_by_agent(funded_project, accounts):
    p = funded_project
    a = p.investors[0]
    expect_revert(p.w3, accounts.spv, p.token.functions.burn(a.address, T), "NotAgent(address)",
                  (accounts.spv.address,))  # fmt: skip
    p.distribute(400 * USD)
    r = send(p.w3, accounts.agent, p.token.functions.burn(a.address, 100 * T))
    assert events(p.w3, p.token, "Transfer", r) == [{"from": a.address, "to": ZERO, "value": 100 * T}]
    assert p.token.functions.totalSupply().call() == 300 * T
    assert votes(p, a.address) == 100 * T
    p.distribute(300 * USD)  # 1 USD per remaining token
    assert_floor_close(p.treasury.functions.claimableOf(a.address).call(), 300 * USD, 2)


def test_allowance_and_transfer_from(funded_project, accounts):
    p = funded_project
    a, b = p.investors[0], p.investors[1]
    spender = accounts.spv
    r = send(p.w3, a, p.token.functions.approve(spender.address, 5 * T))
    assert events(p.w3, p.token, "Approval", r) == [{"owner": a.address, "spender": spender.address, "value": 5 * T}]
    expect_revert(p.w3, spender, p.token.functions.transferFrom(a.address, b.address, 6 * T),
                  "ERC20InsufficientAllowance(address,uint256,uint256)", (spender.address, 5 * T, 6 * T))  # fmt: skip
    send(p.w3, spender, p.token.functions.transferFrom(a.address, b.address, 5 * T))
    assert p.token.functions.allowance(a.address, spender.address).call() == 0
    assert bal(p, b.address) == 105 * T
    expect_revert(p.w3, a, p.token.functions.approve(ZERO, 1), "ERC20InvalidSpender(address)", (ZERO,))


def test_permit(funded_project, accounts):
    p = funded_project
    owner, spender = p.investors[0], accounts.spv
    deadline = p.chain.now() + 3600
    sig = permit_signature(p.w3, p.token, owner, spender.address, 7 * T, deadline)
    args = (
        owner.address,
        spender.address,
        7 * T,
        deadline,
        sig.v,
        sig.r.to_bytes(32, "big"),
        sig.s.to_bytes(32, "big"),
    )
    expect_revert(p.w3, spender, p.token.functions.permit(owner.address, spender.address, 8 * T, *args[3:]),
                  "ERC2612InvalidSigner(address,address)")  # fmt: skip
    send(p.w3, spender, p.token.functions.permit(*args))
    assert p.token.functions.allowance(owner.address, spender.address).call() == 7 * T
    assert p.token.functions.nonces(owner.address).call() == 1
    old = p.chain.now() - 1
    sig = permit_signature(p.w3, p.token, owner, spender.address, T, old)
    expect_revert(p.w3, spender, p.token.functions.permit(owner.address, spender.address, T, old, sig.v,
                  sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")), "ERC2612ExpiredSignature(uint256)",
                  (old,))  # fmt: skip


def test_delegation_and_past_votes(funded_project):
    p = funded_project
    a, b, c = p.investors[0], p.investors[1], p.investors[2]
    t0 = p.chain.now()
    p.chain.warp(t0 + 10)
    r = send(p.w3, a, p.token.functions.delegate(b.address))
    assert events(p.w3, p.token, "DelegateChanged", r) == [
        {"delegator": a.address, "fromDelegate": a.address, "toDelegate": b.address}
    ]
    t1 = p.w3.eth.get_block(r["blockNumber"])["timestamp"]
    assert (votes(p, a.address), votes(p, b.address)) == (0, 300 * T)
    p.chain.warp(t1 + 10)
    send(p.w3, b, p.token.functions.transfer(c.address, 50 * T))
    t2 = p.chain.now()
    p.chain.warp(t2 + 10)
    send(p.w3, a, p.token.functions.delegate(ZERO))  # explicit "no delegate"
    assert votes(p, b.address) == 50 * T
    p.chain.warp(p.chain.now() + 10)
    gpv = p.token.functions.getPastVotes
    assert gpv(a.address, t0).call() == 200 * T
    assert gpv(a.address, t1).call() == 0
    assert gpv(b.address, t0).call() == 100 * T
    assert gpv(b.address, t1).call() == 300 * T
    assert gpv(b.address, t2).call() == 250 * T
    assert gpv(b.address, t2 + 10).call() == 50 * T
    assert p.token.functions.getPastTotalSupply(t0).call() == 400 * T
    now = p.chain.now()
    expect_revert(p.w3, a, gpv(a.address, now + 100), "ERC5805FutureLookup(uint256,uint48)")
    expect_revert(p.w3, a, p.token.functions.getPastTotalSupply(now + 100), "ERC5805FutureLookup(uint256,uint48)")
    # receiving again does not re-delegate someone who chose "no delegate"
    send(p.w3, c, p.token.functions.transfer(a.address, T))
    assert votes(p, a.address) == 0 and p.token.functions.delegates(a.address).call() == ZERO


def test_delegate_by_sig(funded_project, accounts):
    p = funded_project
    holder, delegatee = p.investors[0], p.investors[1]
    expiry = p.chain.now() + 3600
    nonce, sig = delegation_signature(p.w3, p.token, holder, delegatee.address, expiry)
    fn = p.token.functions.delegateBySig(delegatee.address, nonce, expiry, sig.v, sig.r.to_bytes(32, "big"),
                                         sig.s.to_bytes(32, "big"))  # fmt: skip
    send(p.w3, accounts.outsider, fn)
    assert p.token.functions.delegates(holder.address).call() == delegatee.address
    assert votes(p, delegatee.address) == 300 * T
    expect_revert(p.w3, accounts.outsider, fn, "InvalidAccountNonce(address,uint256)", (holder.address, 1))
    old = p.chain.now() - 1
    nonce, sig = delegation_signature(p.w3, p.token, holder, delegatee.address, old)
    expect_revert(p.w3, accounts.outsider, p.token.functions.delegateBySig(delegatee.address, nonce, old, sig.v,
                  sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")), "VotesExpiredSignature(uint256)",
                  (old,))  # fmt: skip


def test_timelock_holds_tokens_without_identity_and_earns_nothing(funded_project):
    p = funded_project
    a = p.investors[0]
    timelock = p.timelock.address
    assert p.token.functions.isExempt(timelock).call()
    assert p.token.functions.isCustodian(p.offering.address).call()
    send(p.w3, a, p.token.functions.transfer(timelock, 100 * T))
    assert p.token.functions.eligibleSupply().call() == 300 * T
    assert votes(p, timelock) == 0
    p.distribute(300 * USD)
    assert p.treasury.functions.claimableOf(timelock).call() == 0
    assert_floor_close(p.treasury.functions.claimableOf(a.address).call(), 100 * USD, 1)
    # treasury and governor cannot hold tokens
    expect_revert(p.w3, a, p.token.functions.transfer(p.treasury.address, T), "UnverifiedWallet(address)",
                  (p.treasury.address,))  # fmt: skip


def test_many_checkpoints_binary_search(funded_project):
    p = funded_project
    a, b = p.investors[0], p.investors[1]
    stamps = []
    for _ in range(7):
        p.chain.set_next_timestamp(p.chain.now() + 5)
        r = send(p.w3, a, p.token.functions.transfer(b.address, T))
        stamps.append(p.w3.eth.get_block(r["blockNumber"])["timestamp"])
    p.chain.warp(p.chain.now() + 5)
    for k, ts in enumerate(stamps):
        assert p.token.functions.getPastVotes(a.address, ts).call() == (200 - k - 1) * T
        assert p.token.functions.getPastVotes(a.address, ts - 1).call() == (200 - k) * T
    assert p.token.functions.numCheckpoints(a.address).call() >= 8
