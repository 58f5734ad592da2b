"""Governor + project timelock: a proposal pays from the treasury reserve; castVoteBySig."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from tests.integration.contracts.helpers import DAY, USD, ballot_signature, events, expect_revert, send

pytestmark = pytest.mark.integration

PROPOSER_ROLE = keccak(text="PROPOSER_ROLE")
EXECUTOR_ROLE = keccak(text="EXECUTOR_ROLE")
CANCELLER_ROLE = keccak(text="CANCELLER_ROLE")
ADMIN_ROLE = b"\x00" * 32
ZERO = "0x0000000000000000000000000000000000000000"


def test_settings_and_roles(funded_project, accounts):
    p = funded_project
    g, tl = p.governor, p.timelock
    assert g.functions.token().call() == p.token.address
    assert g.functions.timelock().call() == tl.address
    assert g.functions.votingDelay().call() == 3600
    assert g.functions.votingPeriod().call() == 3 * DAY
    assert g.functions.CLOCK_MODE().call() == "mode=timestamp"
    assert g.functions.quorumNumerator().call() == 4
    assert tl.functions.hasRole(PROPOSER_ROLE, g.address).call()
    assert tl.functions.hasRole(CANCELLER_ROLE, g.address).call()
    assert tl.functions.hasRole(EXECUTOR_ROLE, ZERO).call()  # anyone executes a ready operation
    assert tl.functions.getMinDelay().call() == DAY
    for who in (accounts.spv, accounts.deployer, accounts.agent):
        assert not tl.functions.hasRole(PROPOSER_ROLE, who.address).call()
        assert not tl.functions.hasRole(ADMIN_ROLE, who.address).call()
        expect_revert(p.w3, who, tl.functions.schedule(p.treasury.address, 0, b"", b"\x00" * 32, b"\x00" * 32, DAY),
                      "AccessControlUnauthorizedAccount(address,bytes32)")  # fmt: skip


def test_proposal_passes_queues_and_timelock_pays_from_reserve(funded_project, world, accounts):
    p = funded_project
    w3, g, spv = p.w3, p.governor, accounts.spv
    p.distribute(1_000 * USD)  # owed dividends must stay untouched
    calldata = p.treasury.encode_abi("release", args=[spv.address, 500 * USD])
    desc = "Pay the O&M contractor 500"
    r = send(w3, spv, g.functions.propose([p.treasury.address], [0], [calldata], desc))
    pid = events(w3, g, "ProposalCreated", r)[0]["proposalId"]
    assert g.functions.state(pid).call() == 0  # Pending
    expect_revert(
        w3, p.investors[0], g.functions.castVote(pid, 1), "GovernorUnexpectedProposalState(uint256,uint8,bytes32)"
    )
    p.chain.warp(g.functions.proposalSnapshot(pid).call() + 1)
    assert g.functions.state(pid).call() == 1  # Active
    r = send(w3, p.investors[0], g.functions.castVote(pid, 1))
    assert events(w3, g, "VoteCast", r)[0]["weight"] == 200 * 10**18
    # a relayed, gasless vote
    sig = ballot_signature(w3, g, p.investors[1], pid, 0)
    r = send(w3, accounts.outsider, g.functions.castVoteBySig(pid, 0, p.investors[1].address, sig))
    vote = events(w3, g, "VoteCast", r)[0]
    assert (vote["voter"], vote["support"], vote["weight"]) == (p.investors[1].address, 0, 100 * 10**18)
    assert g.functions.hasVoted(pid, p.investors[1].address).call()
    expect_revert(w3, accounts.outsider, g.functions.castVoteBySig(pid, 0, p.investors[1].address, sig),
                  "GovernorInvalidSignature(address)")  # fmt: skip
    expect_revert(w3, p.investors[0], g.functions.castVote(pid, 1), "GovernorAlreadyCastVote(address)",
                  (p.investors[0].address,))  # fmt: skip
    assert g.functions.proposalVotes(pid).call() == [100 * 10**18, 200 * 10**18, 0]
    p.chain.warp(g.functions.proposalDeadline(pid).call() + 1)
    assert g.functions.state(pid).call() == 4  # Succeeded
    dh = keccak(text=desc)
    send(w3, accounts.outsider, g.functions.queue([p.treasury.address], [0], [calldata], dh))
    assert g.functions.state(pid).call() == 5  # Queued
    expect_revert(w3, accounts.outsider, g.functions.execute([p.treasury.address], [0], [calldata], dh),
                  "TimelockUnexpectedOperationState(bytes32,bytes32)")  # fmt: skip
    p.chain.warp(g.functions.proposalEta(pid).call() + 1)
    before = world.stable.functions.balanceOf(spv.address).call()
    owed = p.treasury.functions.outstandingDividends().call()
    r = send(w3, accounts.outsider, g.functions.execute([p.treasury.address], [0], [calldata], dh))
    assert events(w3, p.treasury, "Released", r) == [{"to": spv.address, "amount": 500 * USD}]
    assert world.stable.functions.balanceOf(spv.address).call() - before == 500 * USD
    assert g.functions.state(pid).call() == 7  # Executed
    assert p.treasury.functions.outstandingDividends().call() == owed
    assert world.stable.functions.balanceOf(p.treasury.address).call() >= owed


def test_defeated_proposal_cannot_queue(funded_project, accounts):
    p = funded_project
    g = p.governor
    calldata = p.treasury.encode_abi("release", args=[accounts.spv.address, 500 * USD])
    send(p.w3, accounts.spv, g.functions.propose([p.treasury.address], [0], [calldata], "x"))
    pid = g.functions.hashProposal([p.treasury.address], [0], [calldata], keccak(text="x")).call()
    p.chain.warp(g.functions.proposalSnapshot(pid).call() + 1)
    send(p.w3, p.investors[0], g.functions.castVote(pid, 0))  # against
    p.chain.warp(g.functions.proposalDeadline(pid).call() + 1)
    assert g.functions.state(pid).call() == 3  # Defeated
    expect_revert(p.w3, accounts.spv, g.functions.queue([p.treasury.address], [0], [calldata], keccak(text="x")),
                  "GovernorUnexpectedProposalState(uint256,uint8,bytes32)")  # fmt: skip
