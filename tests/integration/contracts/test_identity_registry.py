"""IdentityRegistry: agent-only writes, one-slot identities, verification rules."""

from __future__ import annotations

import pytest

from tests.integration.contracts.helpers import ZERO, events, expect_revert, investor_id, send

pytestmark = pytest.mark.integration

AGENT_ROLE = "0x" + __import__("eth_utils").keccak(text="AGENT_ROLE").hex()


@pytest.fixture
def reg(world, isolated):
    return world.registry


def test_register_update_remove_and_events(world, reg, accounts, isolated):
    wallet = accounts.outsider.address
    far = isolated.now() + 365 * 86400
    r = send(world.w3, accounts.agent, reg.functions.registerIdentity(wallet, investor_id(99), 360, far))
    assert events(world.w3, reg, "IdentityRegistered", r) == [
        {"wallet": wallet, "investorId": investor_id(99), "country": 360, "expiry": far}
    ]
    assert reg.functions.isVerified(wallet).call()
    assert reg.functions.identityOf(wallet).call() == [investor_id(99), 360, far, False]
    r = send(world.w3, accounts.agent, reg.functions.updateIdentity(wallet, 702, far + 1))
    assert events(world.w3, reg, "IdentityUpdated", r)[0]["country"] == 702
    assert reg.functions.identityOf(wallet).call()[1:3] == [702, far + 1]
    r = send(world.w3, accounts.agent, reg.functions.removeIdentity(wallet))
    assert events(world.w3, reg, "IdentityRemoved", r) == [{"wallet": wallet, "investorId": investor_id(99)}]
    assert not reg.functions.isVerified(wallet).call()
    assert reg.functions.investorIdOf(wallet).call() == b"\x00" * 24


def test_only_agent_writes(world, reg, accounts, isolated):
    err = "AccessControlUnauthorizedAccount(address,bytes32)"
    far = isolated.now() + 86400
    for who in (accounts.spv, accounts.deployer, accounts.investors[0]):
        expect_revert(world.w3, who, reg.functions.registerIdentity(who.address, investor_id(1), 360, far), err)
        expect_revert(world.w3, who, reg.functions.setFrozen(accounts.investors[1].address, True), err)
        expect_revert(world.w3, who, reg.functions.removeIdentity(accounts.investors[1].address), err)
        expect_revert(world.w3, who, reg.functions.updateIdentity(accounts.investors[1].address, 1, far), err)
        expect_revert(world.w3, who, reg.functions.batchRegisterIdentity([], [], [], []), err)
    assert reg.functions.isAgent(accounts.agent.address).call()
    assert not reg.functions.isAgent(accounts.spv.address).call()


def test_register_reverts(world, reg, accounts, isolated):
    a = accounts.agent
    far = isolated.now() + 86400
    new = accounts.outsider.address
    expect_revert(world.w3, a, reg.functions.registerIdentity(ZERO, investor_id(1), 360, far), "ZeroAddress()")
    expect_revert(world.w3, a, reg.functions.registerIdentity(new, b"\x00" * 24, 360, far), "InvalidInvestorId()")
    past = isolated.now() - 10
    expect_revert(
        world.w3, a, reg.functions.registerIdentity(new, investor_id(1), 360, past), "InvalidExpiry(uint40)", (past,)
    )
    existing = accounts.investors[0].address
    expect_revert(
        world.w3,
        a,
        reg.functions.registerIdentity(existing, investor_id(1), 360, far),
        "AlreadyRegistered(address)",
        (existing,),
    )
    expect_revert(
        world.w3, a, reg.functions.batchRegisterIdentity([new], [investor_id(1)], [], [far]), "LengthMismatch()"
    )
    expect_revert(world.w3, a, reg.functions.updateIdentity(new, 1, far), "NotRegistered(address)", (new,))
    expect_revert(world.w3, a, reg.functions.updateIdentity(existing, 1, past), "InvalidExpiry(uint40)", (past,))
    expect_revert(world.w3, a, reg.functions.removeIdentity(new), "NotRegistered(address)", (new,))
    expect_revert(world.w3, a, reg.functions.setFrozen(ZERO, True), "ZeroAddress()")


def test_batch_register(world, reg, accounts, isolated):
    far = isolated.now() + 86400
    wallets = ["0x" + f"{i:040x}" for i in range(0x1000, 0x1005)]
    wallets = [world.w3.to_checksum_address(w) for w in wallets]
    r = send(
        world.w3,
        accounts.agent,
        reg.functions.batchRegisterIdentity(wallets, [investor_id(i) for i in range(5)], [360] * 5, [far] * 5),
    )
    assert [e["wallet"] for e in events(world.w3, reg, "IdentityRegistered", r)] == wallets
    assert all(reg.functions.isVerified(w).call() for w in wallets)
    assert reg.functions.areVerified(wallets[0], wallets[4]).call()
    assert not reg.functions.areVerified(wallets[0], accounts.outsider.address).call()


def test_expiry_and_freeze(world, reg, accounts, isolated):
    wallet = accounts.outsider.address
    expiry = isolated.now() + 1000
    send(world.w3, accounts.agent, reg.functions.registerIdentity(wallet, investor_id(7), 360, expiry))
    assert reg.functions.isVerified(wallet).call()
    isolated.warp(expiry + 1)
    assert not reg.functions.isVerified(wallet).call()  # expired

    inv = accounts.investors[0].address
    r = send(world.w3, accounts.agent, reg.functions.setFrozen(inv, True))
    assert events(world.w3, reg, "WalletFrozen", r) == [{"wallet": inv, "frozen": True}]
    assert reg.functions.isFrozen(inv).call()
    assert not reg.functions.isVerified(inv).call()
    # frozen survives removal and re-registration
    send(world.w3, accounts.agent, reg.functions.removeIdentity(inv))
    send(world.w3, accounts.agent, reg.functions.registerIdentity(inv, investor_id(0), 360, expiry + 10**6))
    assert not reg.functions.isVerified(inv).call()
    send(world.w3, accounts.agent, reg.functions.setFrozen(inv, False))
    assert reg.functions.isVerified(inv).call()
