"""Governor vote counting (GovernorCountingPrepaid): exact tallies, quorum and success rules.

The governor writes a sentinel (bit 255) into the three tally slots of a proposal when it is
created; every view must still report exactly what OpenZeppelin's GovernorCountingSimple would.
The storage keeps OpenZeppelin's ERC-7201 namespace and layout, so tallies written by the
previous implementation (no sentinel) are read unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from tests.integration.contracts.helpers import TOKEN_UNIT, ballot_signature, events, expect_revert, send

pytestmark = pytest.mark.integration

AGAINST, FOR, ABSTAIN = 0, 1, 2
PENDING, ACTIVE, DEFEATED, SUCCEEDED = 0, 1, 3, 4
SENTINEL = 1 << 255
T = TOKEN_UNIT


def _erc7201(namespace: str) -> int:
    outer = int.from_bytes(keccak(text=namespace), "big") - 1
    return int.from_bytes(keccak(outer.to_bytes(32, "big")), "big") & ~0xFF


# shared with OpenZeppelin's GovernorCountingSimple on purpose (same layout)
NAMESPACE = _erc7201("openzeppelin.storage.GovernorCountingSimple")


def _propose(p: Any, description: str) -> int:
    g = p.governor
    calldata = p.treasury.encode_abi("release", args=[p.world.accounts.spv.address, 1])
    r = send(p.w3, p.world.accounts.spv, g.functions.propose([p.treasury.address], [0], [calldata], description))
    return events(p.w3, g, "ProposalCreated", r)[0]["proposalId"]


def _tally_slot(pid: int) -> int:
    """Slot of ProposalVote(pid): againstVotes, forVotes, abstainVotes at +0, +1, +2, hasVoted at +3."""
    return int.from_bytes(keccak(pid.to_bytes(32, "big") + NAMESPACE.to_bytes(32, "big")), "big")


def _raw(p: Any, slot: int) -> int:
    return int.from_bytes(p.w3.eth.get_storage_at(p.governor.address, slot), "big")


def _raw_tallies(p: Any, pid: int) -> list[int]:
    base = _tally_slot(pid)
    return [_raw(p, base + i) for i in range(3)]


def _has_voted_slot(pid: int, voter: str) -> int:
    key = bytes.fromhex(voter[2:]).rjust(32, b"\x00")
    return int.from_bytes(keccak(key + (_tally_slot(pid) + 3).to_bytes(32, "big")), "big")


def test_storage_namespace_is_openzeppelins():
    assert NAMESPACE == 0xA1CEFA0F43667EF127A258E673C94202A79B656E62899531C4376D87A7F39800


def test_tallies_exact_after_each_kind_of_vote(funded_project, accounts):
    p = funded_project
    w3, g = p.w3, p.governor
    inv = p.investors
    assert g.functions.COUNTING_MODE().call() == "support=bravo&quorum=for,abstain"
    pid = _propose(p, "tallies")
    # created: sentinel in every slot, nothing reported
    assert _raw_tallies(p, pid) == [SENTINEL] * 3
    assert g.functions.proposalVotes(pid).call() == [0, 0, 0]
    assert g.functions.state(pid).call() == PENDING
    assert not any(g.functions.hasVoted(pid, a.address).call() for a in inv[:4])
    p.chain.warp(g.functions.proposalSnapshot(pid).call() + 1)
    assert g.functions.state(pid).call() == ACTIVE
    assert g.functions.proposalVotes(pid).call() == [0, 0, 0]

    # against, by castVote
    r = send(w3, inv[1], g.functions.castVote(pid, AGAINST))
    assert events(w3, g, "VoteCast", r) == [
        {"voter": inv[1].address, "proposalId": pid, "support": AGAINST, "weight": 100 * T, "reason": ""}
    ]
    assert g.functions.proposalVotes(pid).call() == [100 * T, 0, 0]
    # for, by castVoteWithReason
    r = send(w3, inv[0], g.functions.castVoteWithReason(pid, FOR, "build the bridge"))
    assert events(w3, g, "VoteCast", r)[0]["reason"] == "build the bridge"
    assert g.functions.proposalVotes(pid).call() == [100 * T, 200 * T, 0]
    # abstain, relayed by signature
    sig = ballot_signature(w3, g, inv[2], pid, ABSTAIN)
    r = send(w3, accounts.outsider, g.functions.castVoteBySig(pid, ABSTAIN, inv[2].address, sig))
    assert events(w3, g, "VoteCast", r)[0]["weight"] == 50 * T
    assert g.functions.proposalVotes(pid).call() == [100 * T, 200 * T, 50 * T]
    # against again, with params (VoteCastWithParams); params are ignored by the counting
    r = send(w3, inv[3], g.functions.castVoteWithReasonAndParams(pid, AGAINST, "no", b"\x01"))
    assert events(w3, g, "VoteCastWithParams", r)[0]["weight"] == 50 * T
    assert g.functions.proposalVotes(pid).call() == [150 * T, 200 * T, 50 * T]
    # a wallet without votes is recorded as having voted and changes nothing
    r = send(w3, accounts.outsider, g.functions.castVote(pid, FOR))
    assert events(w3, g, "VoteCast", r)[0]["weight"] == 0
    assert g.functions.proposalVotes(pid).call() == [150 * T, 200 * T, 50 * T]

    for who in [*inv[:4], accounts.outsider]:
        assert g.functions.hasVoted(pid, who.address).call()
        assert _raw(p, _has_voted_slot(pid, who.address)) == 1
    assert not g.functions.hasVoted(pid, inv[4].address).call()
    # storage: sentinel plus the exact tally
    assert _raw_tallies(p, pid) == [SENTINEL + 150 * T, SENTINEL + 200 * T, SENTINEL + 50 * T]

    p.chain.warp(g.functions.proposalDeadline(pid).call() + 1)
    assert g.functions.quorum(g.functions.proposalSnapshot(pid).call()).call() == 16 * T  # 4 % of 400
    assert g.functions.state(pid).call() == SUCCEEDED  # 200 > 150, 250 >= 16
    assert g.functions.proposalVotes(pid).call() == [150 * T, 200 * T, 50 * T]


def test_vote_reverts_leave_tallies_untouched(funded_project, accounts):
    p = funded_project
    w3, g = p.w3, p.governor
    inv = p.investors
    pid = _propose(p, "reverts")
    expect_revert(w3, inv[0], g.functions.castVote(pid, FOR), "GovernorUnexpectedProposalState(uint256,uint8,bytes32)")
    p.chain.warp(g.functions.proposalSnapshot(pid).call() + 1)
    for support in (3, 255):
        expect_revert(w3, inv[0], g.functions.castVote(pid, support), "GovernorInvalidVoteType()")
    send(w3, inv[0], g.functions.castVote(pid, ABSTAIN))
    send(w3, inv[1], g.functions.castVote(pid, FOR))
    for support in (AGAINST, FOR, ABSTAIN, 3):
        expect_revert(w3, inv[0], g.functions.castVote(pid, support), "GovernorAlreadyCastVote(address)",
                      (inv[0].address,))  # fmt: skip
    sig = ballot_signature(w3, g, inv[1], pid, AGAINST)
    expect_revert(w3, accounts.outsider, g.functions.castVoteBySig(pid, AGAINST, inv[1].address, sig),
                  "GovernorAlreadyCastVote(address)", (inv[1].address,))  # fmt: skip
    assert g.functions.proposalVotes(pid).call() == [0, 100 * T, 200 * T]
    p.chain.warp(g.functions.proposalDeadline(pid).call() + 1)
    expect_revert(w3, inv[2], g.functions.castVote(pid, FOR), "GovernorUnexpectedProposalState(uint256,uint8,bytes32)")
    assert g.functions.proposalVotes(pid).call() == [0, 100 * T, 200 * T]
    assert g.functions.state(pid).call() == SUCCEEDED


def test_quorum_and_majority_boundaries(funded_project):
    """Quorum = 16 tokens (4 % of 400). Votes: inv0 200, inv1 100, inv2 16 - 1 wei, inv3 84, inv4 1 wei."""
    p = funded_project
    w3, g = p.w3, p.governor
    inv = p.investors
    send(w3, inv[2], p.token.functions.transfer(inv[3].address, 34 * T + 1))
    send(w3, inv[3], p.token.functions.transfer(inv[4].address, 1))  # inv4 self-delegates on receipt
    weights = {0: 200 * T, 1: 100 * T, 2: 16 * T - 1, 3: 84 * T, 4: 1}
    scenarios: list[tuple[str, dict[int, int], list[int], int]] = [
        # name, votes {investor: support}, expected [against, for, abstain], expected state
        ("for one wei short of quorum", {2: FOR}, [0, 16 * T - 1, 0], DEFEATED),
        ("abstain completes the quorum", {2: FOR, 4: ABSTAIN}, [0, 16 * T - 1, 1], SUCCEEDED),
        ("against does not count for quorum", {2: FOR, 4: AGAINST}, [1, 16 * T - 1, 0], DEFEATED),
        ("abstain only", {0: ABSTAIN}, [0, 0, 200 * T], DEFEATED),
        ("against only", {0: AGAINST}, [200 * T, 0, 0], DEFEATED),
        ("tie", {0: FOR, 1: AGAINST, 2: AGAINST, 3: AGAINST, 4: AGAINST}, [200 * T, 200 * T, 0], DEFEATED),
        ("for by one wei", {0: FOR, 1: AGAINST, 2: AGAINST, 3: AGAINST, 4: ABSTAIN}, [200 * T - 1, 200 * T, 1],
         SUCCEEDED),
        ("no votes", {}, [0, 0, 0], DEFEATED),
    ]  # fmt: skip
    pids = [_propose(p, name) for name, *_ in scenarios]
    p.chain.warp(g.functions.proposalSnapshot(pids[-1]).call() + 1)
    for pid, (_, votes, _, _) in zip(pids, scenarios, strict=True):
        for who, support in votes.items():
            r = send(w3, inv[who], g.functions.castVote(pid, support))
            assert events(w3, g, "VoteCast", r)[0]["weight"] == weights[who]
    p.chain.warp(g.functions.proposalDeadline(pids[-1]).call() + 1)
    for pid, (name, _, tallies, expected_state) in zip(pids, scenarios, strict=True):
        assert g.functions.quorum(g.functions.proposalSnapshot(pid).call()).call() == 16 * T, name
        assert g.functions.proposalVotes(pid).call() == tallies, name
        assert g.functions.state(pid).call() == expected_state, name


def test_quorum_reached_exactly_by_for_votes(funded_project):
    p = funded_project
    w3, g = p.w3, p.governor
    inv = p.investors
    send(w3, inv[2], p.token.functions.transfer(inv[3].address, 34 * T))  # inv2 keeps exactly 16
    pid = _propose(p, "exactly quorum")
    p.chain.warp(g.functions.proposalSnapshot(pid).call() + 1)
    send(w3, inv[2], g.functions.castVote(pid, FOR))
    p.chain.warp(g.functions.proposalDeadline(pid).call() + 1)
    assert g.functions.proposalVotes(pid).call() == [0, 16 * T, 0]
    assert g.functions.state(pid).call() == SUCCEEDED


def _set_raw(p: Any, slot: int, value: int) -> None:
    p.chain.rpc("anvil_setStorageAt", [p.governor.address, hex(slot), "0x" + value.to_bytes(32, "big").hex()])


def test_tallies_of_the_previous_implementation_are_read_unchanged(funded_project):
    """A proposal created before an upgrade from GovernorCountingSimple has no sentinel in its slots
    (emulated by clearing them): views, new votes and the outcome are exactly OpenZeppelin's."""
    p = funded_project
    w3, g = p.w3, p.governor
    inv = p.investors
    pids = [_propose(p, "legacy, no votes yet"), _propose(p, "legacy, with votes")]
    p.chain.warp(g.functions.proposalSnapshot(pids[1]).call() + 1)
    legacy_votes = [0, 0, 0], [30 * T, 10 * T, 5 * T]  # as OZ stores them: against, for, abstain
    for pid, raw in zip(pids, legacy_votes, strict=True):
        base = _tally_slot(pid)
        for i, value in enumerate(raw):
            _set_raw(p, base + i, value)
        assert g.functions.proposalVotes(pid).call() == raw
    # first vote on a slot without sentinel: the tally is the plain weight, as before the upgrade
    send(w3, inv[1], g.functions.castVote(pids[0], FOR))
    assert _raw_tallies(p, pids[0]) == [0, 100 * T, 0]
    assert g.functions.proposalVotes(pids[0]).call() == [0, 100 * T, 0]
    send(w3, inv[1], g.functions.castVote(pids[1], AGAINST))
    send(w3, inv[3], g.functions.castVote(pids[1], FOR))
    assert g.functions.proposalVotes(pids[1]).call() == [130 * T, 60 * T, 5 * T]
    p.chain.warp(g.functions.proposalDeadline(pids[1]).call() + 1)
    assert g.functions.state(pids[0]).call() == SUCCEEDED
    assert g.functions.state(pids[1]).call() == DEFEATED
