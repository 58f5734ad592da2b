"""Governance: proposals, votes (direct or relayed by signature) and delegation (read model of the ProjectGovernor).

Endpoints (under /api/v1/projects/{project_id}):

* ``POST /proposals`` (a user whose wallet holds at least ``max(governor.proposalThreshold(), 1)``
  votes, else 403): ``{title, description, actions: [{kind: treasury_transfer, to, amount} |
  {kind: text}], wallet?}`` -> 201 with the stored proposal (``state: awaiting_signature``) and
  the unsigned ``propose`` transaction. The on-chain description is ``"# {title}\\n\\n{description}"``;
  ``proposal_id`` is the Governor's ``hashProposal(targets, values, calldatas,
  keccak256(description))``. A treasury transfer is ``Treasury.release(to, amount)`` (paid by the
  timelock from the reserve; more than the current reserve is 422); a text action is a harmless
  ``Treasury.reserve()`` read (the Governor needs at least one call). The same content twice: 409.
* ``GET /proposals``, ``GET /proposals/{proposal_id}`` (``proposal_id``: the on-chain decimal id or
  the platform's uuid): state and tallies (and votes for one).
* ``POST /proposals/{proposal_id}/queue`` -> 200 ``{proposal_id, action, transaction}`` once the
  Governor's state is Succeeded, else 409. ``POST /proposals/{proposal_id}/execute`` -> 200 once it
  is Queued and its ETA has passed on the chain clock, else 409. Any signed-in user may ask
  (the timelock lets anyone execute); the gas is estimated from the caller's first wallet.
* ``POST /proposals/{proposal_id}/votes`` ``{support, reason?, signature?, wallet?}``: 201 with the
  unsigned ``castVoteWithReason``; or, with an EIP-712 signature, 202 and ``castVoteBySig`` (a
  ``Ballot``) or ``castVoteWithReasonAndParamsBySig`` (an ``ExtendedBallot`` with ``reason`` and
  empty ``params``, when ``reason`` is given) relayed through the chain outbox, after the
  signature was checked off-chain against the caller's wallets and ``governor.nonces``. Not
  active 409; already voted 409 (the DB's unique (proposal, voter) and the chain's ``hasVoted``);
  no votes at the snapshot 403.
* ``POST /delegation`` ``{delegatee, signature?, nonce?, expiry?}``: 201 with the unsigned
  ``delegate``; with an EIP-712 ``Delegation`` on the token's domain, 202 and ``delegateBySig``
  relayed (bad signer, stale nonce or past expiry: 400 naming the field).

State: awaiting_signature, pending, active, succeeded, defeated, queued, executed, cancelled.
Created/queued/executed/cancelled come from the indexer; pending/active/succeeded/defeated are
derived from the chain clock, the indexed tallies and the quorum at the snapshot (read from the
governor once the snapshot is past, then stored). Actions (vote, queue, execute) ask the
Governor's ``state`` itself, so a lagging indexer never lets a wrong transaction through.
"""
