// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GovernorUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/GovernorUpgradeable.sol";

/// @title GovernorCountingPrepaid
/// @notice Simple, three-option (Governor Bravo) vote counting with the same interface, rules and
/// results as OpenZeppelin's `GovernorCountingSimpleUpgradeable`, but with the tally slots of a
/// proposal written when the proposal is created, so that no vote (the first one included) pays
/// for turning a zero slot into a nonzero one.
///
/// Each tally slot holds `PREPAID | votes`: `_propose` stores the sentinel `PREPAID` (bit 255) in
/// the against, for and abstain slots, a vote adds its weight to one slot (nonzero -> nonzero),
/// and every reader masks the sentinel off. The proposer pays the three slot initialisations.
///
/// Storage: the same ERC-7201 namespace and struct layout as `GovernorCountingSimpleUpgradeable`
/// (`openzeppelin.storage.GovernorCountingSimple`), on purpose. An implementation that used that
/// module can be replaced by one using this module behind a live proxy: tallies and `hasVoted` of
/// proposals created before the upgrade are kept and read exactly (they simply have no sentinel,
/// and masking a value below 2^255 leaves it unchanged; their first vote after the upgrade pays
/// the zero -> nonzero write as before). The reverse change (back to the OpenZeppelin module)
/// would read the sentinel as votes and must not be made while proposals created here can still
/// be voted, queued or executed.
///
/// Limit: a tally of a proposal created here is at most 2^255 - 1 (a vote that would exceed it
/// reverts with an arithmetic overflow); vote weights are far smaller (ERC-5805 votes are at most
/// uint208 in OpenZeppelin, 2^88 - 1 for ProjectToken), so this cannot be reached.
abstract contract GovernorCountingPrepaid is GovernorUpgradeable {
    /// @dev Supported vote types. Matches Governor Bravo ordering.
    enum VoteType {
        Against,
        For,
        Abstain
    }

    /// @dev Same layout as OpenZeppelin's `GovernorCountingSimpleUpgradeable.ProposalVote`; the three
    /// tallies carry the `PREPAID` bit when the proposal was created by this module.
    struct ProposalVote {
        uint256 againstVotes;
        uint256 forVotes;
        uint256 abstainVotes;
        mapping(address voter => bool) hasVoted;
    }

    /// @custom:storage-location erc7201:openzeppelin.storage.GovernorCountingSimple
    struct GovernorCountingSimpleStorage {
        mapping(uint256 proposalId => ProposalVote) _proposalVotes;
    }

    // keccak256(abi.encode(uint256(keccak256("openzeppelin.storage.GovernorCountingSimple")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant GOVERNOR_COUNTING_STORAGE_LOCATION =
        0xa1cefa0f43667ef127a258e673c94202a79b656e62899531c4376d87a7f39800;

    /// @dev Sentinel stored in each tally slot when a proposal is created.
    uint256 private constant PREPAID = 1 << 255;
    /// @dev Mask that removes the sentinel from a stored tally.
    uint256 private constant TALLY_MASK = PREPAID - 1;

    function _getGovernorCountingStorage() private pure returns (GovernorCountingSimpleStorage storage $) {
        assembly {
            $.slot := GOVERNOR_COUNTING_STORAGE_LOCATION
        }
    }

    /// @notice Vote counting mode: Bravo support values; For and Abstain count toward the quorum.
    // solhint-disable-next-line func-name-mixedcase
    function COUNTING_MODE() public pure virtual override returns (string memory) {
        return "support=bravo&quorum=for,abstain";
    }

    /// @notice Whether `account` has cast a vote on `proposalId`.
    function hasVoted(uint256 proposalId, address account) public view virtual override returns (bool) {
        return _getGovernorCountingStorage()._proposalVotes[proposalId].hasVoted[account];
    }

    /// @notice The vote tallies of `proposalId`, without the sentinel.
    function proposalVotes(uint256 proposalId)
        public
        view
        virtual
        returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes)
    {
        ProposalVote storage proposalVote = _getGovernorCountingStorage()._proposalVotes[proposalId];
        return (
            proposalVote.againstVotes & TALLY_MASK,
            proposalVote.forVotes & TALLY_MASK,
            proposalVote.abstainVotes & TALLY_MASK
        );
    }

    /// @dev Quorum counts For and Abstain votes.
    function _quorumReached(uint256 proposalId) internal view virtual override returns (bool) {
        ProposalVote storage proposalVote = _getGovernorCountingStorage()._proposalVotes[proposalId];
        return quorum(proposalSnapshot(proposalId))
            <= (proposalVote.forVotes & TALLY_MASK) + (proposalVote.abstainVotes & TALLY_MASK);
    }

    /// @dev The For votes must be strictly more than the Against votes.
    function _voteSucceeded(uint256 proposalId) internal view virtual override returns (bool) {
        ProposalVote storage proposalVote = _getGovernorCountingStorage()._proposalVotes[proposalId];
        return (proposalVote.forVotes & TALLY_MASK) > (proposalVote.againstVotes & TALLY_MASK);
    }

    /// @dev Records the vote of `account`; `support` follows `VoteType`. Reverts
    /// `GovernorAlreadyCastVote(account)` on a second vote and `GovernorInvalidVoteType()` on an
    /// unknown support value. The added weight keeps the sentinel bit (checked addition).
    function _countVote(
        uint256 proposalId,
        address account,
        uint8 support,
        uint256 totalWeight,
        bytes memory // params
    ) internal virtual override returns (uint256) {
        ProposalVote storage proposalVote = _getGovernorCountingStorage()._proposalVotes[proposalId];

        if (proposalVote.hasVoted[account]) {
            revert GovernorAlreadyCastVote(account);
        }
        proposalVote.hasVoted[account] = true;

        if (support == uint8(VoteType.Against)) {
            proposalVote.againstVotes += totalWeight;
        } else if (support == uint8(VoteType.For)) {
            proposalVote.forVotes += totalWeight;
        } else if (support == uint8(VoteType.Abstain)) {
            proposalVote.abstainVotes += totalWeight;
        } else {
            revert GovernorInvalidVoteType();
        }

        return totalWeight;
    }

    /// @dev Creates the proposal, then writes the sentinel into its three tally slots (paid by the
    /// proposer). A proposal id is created at most once (`GovernorUpgradeable._propose` reverts
    /// for an existing one), so no tally is overwritten.
    function _propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address proposer
    ) internal virtual override returns (uint256 proposalId) {
        proposalId = super._propose(targets, values, calldatas, description, proposer);
        ProposalVote storage proposalVote = _getGovernorCountingStorage()._proposalVotes[proposalId];
        proposalVote.againstVotes = PREPAID;
        proposalVote.forVotes = PREPAID;
        proposalVote.abstainVotes = PREPAID;
    }
}
