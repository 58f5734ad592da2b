"""ProjectFactory, beacons, platform timelock: one-transaction deployment, wiring, upgrades."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from partisipro.chain.artifacts import list_artifacts, load_artifact
from partisipro.chain.deploy import IMPLEMENTATIONS, contract, deploy_contract
from web3 import Web3

from tests.integration.contracts.conftest import make_params
from tests.integration.contracts.helpers import events, expect_revert, send

pytestmark = pytest.mark.integration

BEACON_SLOT = int("a3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50", 16)


def test_create_project_one_transaction(world, isolated, accounts):
    w3 = world.w3
    params = make_params(world, isolated.now())
    expect_revert(w3, accounts.spv, world.factory.functions.createProject(params.as_tuple()),
                  "AccessControlUnauthorizedAccount(address,bytes32)")  # fmt: skip
    expect_revert(w3, accounts.agent, world.factory.functions.createProject(params.as_tuple()),
                  "AccessControlUnauthorizedAccount(address,bytes32)")  # fmt: skip
    r = send(w3, accounts.deployer, world.factory.functions.createProject(params.as_tuple()))
    (ev,) = events(w3, world.factory, "ProjectCreated", r)
    assert ev["projectId"] == world.factory.functions.projectCount().call()
    assert ev["spv"] == accounts.spv.address
    kinds = ["token", "offering", "treasury", "governor", "timelock"]
    addrs = [ev[k] for k in kinds]
    assert len(set(addrs)) == 5
    for kind, addr in zip(kinds, addrs, strict=True):
        beacon = "0x" + w3.eth.get_storage_at(addr, BEACON_SLOT).hex()[-40:]
        assert Web3.to_checksum_address(beacon) == world.addresses[f"{kind}_beacon"]
    token = contract(w3, "ProjectToken", ev["token"])
    assert token.functions.offering().call() == ev["offering"]
    assert token.functions.treasury().call() == ev["treasury"]
    treasury = contract(w3, "Treasury", ev["treasury"])
    assert treasury.functions.distributor().call() == accounts.spv.address
    assert treasury.functions.timelock().call() == ev["timelock"]
    offering = contract(w3, "Offering", ev["offering"])
    assert offering.functions.feeRecipient().call() == accounts.fee_recipient.address
    assert offering.functions.feeBps().call() == 250
    # implementations cannot be initialized directly
    impl = contract(w3, "Treasury", world.addresses["treasury_implementation"])
    expect_revert(w3, accounts.spv, impl.functions.initialize(ev["token"], ev["token"], ev["token"], ev["token"]),
                  "InvalidInitialization()")  # fmt: skip


def test_fee_config(world, isolated, accounts):
    f = world.factory
    expect_revert(world.w3, accounts.spv, f.functions.setFeeConfig(accounts.spv.address, 10),
                  "AccessControlUnauthorizedAccount(address,bytes32)")  # fmt: skip
    expect_revert(world.w3, accounts.deployer, f.functions.setFeeConfig(accounts.spv.address, 1001),
                  "FeeTooHigh(uint16)", (1001,))  # fmt: skip
    r = send(world.w3, accounts.deployer, f.functions.setFeeConfig(accounts.outsider.address, 100))
    assert events(world.w3, f, "FeeConfigChanged", r) == [{"feeRecipient": accounts.outsider.address, "feeBps": 100}]


def test_only_platform_timelock_upgrades_beacons(world, isolated, accounts):
    w3 = world.w3
    tl = contract(w3, "PlatformTimelock", world.addresses["platform_timelock"])
    new_impl = deploy_contract(w3, accounts.deployer, "Treasury")
    for _, _, beacon_key in IMPLEMENTATIONS:
        beacon = contract(w3, "ProjectBeacon", world.addresses[beacon_key])
        assert beacon.functions.owner().call() == tl.address
        for who in (accounts.deployer, accounts.agent, accounts.spv):
            expect_revert(w3, who, beacon.functions.upgradeTo(new_impl), "OwnableUnauthorizedAccount(address)",
                          (who.address,))  # fmt: skip
    beacon = contract(w3, "ProjectBeacon", world.addresses["treasury_beacon"])
    data = beacon.encode_abi("upgradeTo", args=[new_impl])
    zero = b"\x00" * 32
    salt = keccak(text="upgrade-treasury")
    expect_revert(w3, accounts.spv, tl.functions.schedule(beacon.address, 0, data, zero, salt, 3600),
                  "AccessControlUnauthorizedAccount(address,bytes32)")  # fmt: skip
    send(w3, accounts.deployer, tl.functions.schedule(beacon.address, 0, data, zero, salt, 3600))
    expect_revert(w3, accounts.deployer, tl.functions.execute(beacon.address, 0, data, zero, salt),
                  "TimelockUnexpectedOperationState(bytes32,bytes32)")  # fmt: skip
    isolated.warp(isolated.now() + 3601)
    r = send(w3, accounts.deployer, tl.functions.execute(beacon.address, 0, data, zero, salt))
    assert events(w3, beacon, "Upgraded", r) == [{"implementation": new_impl}]
    assert beacon.functions.implementation().call() == new_impl


def test_spv_powers_are_limited(funded_project, accounts):
    p = funded_project
    spv = accounts.spv
    expect_revert(p.w3, spv, p.token.functions.mint(spv.address, 1), "NotOffering(address)", (spv.address,))
    expect_revert(p.w3, spv, p.treasury.functions.release(spv.address, 1), "NotTimelock(address)", (spv.address,))
    expect_revert(p.w3, spv, p.token.functions.pause(), "NotAgent(address)", (spv.address,))


def test_runtime_sizes_under_eip170():
    for name in list_artifacts():
        assert load_artifact(name).runtime_size < 24_576, name
