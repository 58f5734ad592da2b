"""Proposals, votes and delegation: requests from holders, read models from the indexer.

The chain is the authority on who may act: the proposer's votes (``getVotes`` at the clock
minus one), a proposal's ``state`` when voting, queueing or executing, ``hasVoted`` and the
EIP-712 nonces. The read model (proposals, their lifecycle events, the votes and their
weights) comes from the indexer; pending, active, succeeded and defeated are derived from the
chain clock, the indexed tallies and the quorum at the snapshot (read once, then stored).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import aiohttp
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partisipro.db import utcnow
from partisipro.errors import BadRequest, Conflict, Forbidden, NotFound, RuleViolation, ServiceUnavailable
from partisipro.governance import schemas as s
from partisipro.governance.models import Proposal, Vote
from partisipro.offerings.schemas import UnsignedTransaction
from partisipro.security import Principal
from partisipro.settings import get_settings
from partisipro.treasury import ports

SUPPORT = {"against": 0, "for": 1, "abstain": 2}
SUPPORT_NAMES = {v: k for k, v in SUPPORT.items()}
# OpenZeppelin IGovernor.ProposalState
CHAIN_STATES = ("pending", "active", "cancelled", "defeated", "succeeded", "queued", "expired", "executed")
FALLBACK_GAS = {
    "propose": 600_000,
    "castVoteWithReason": 200_000,
    "queue": 400_000,
    "execute": 500_000,
    "delegate": 200_000,
}
ENDING_WINDOW_SECONDS = 24 * 3600


# ---------------------------------------------------------------- chain helpers
async def _read(kind: str, address: str, function: str, *args: Any) -> Any:
    """A view call; ServiceUnavailable when the node does not answer."""
    from partisipro.chain.client import ChainUnavailable, contract

    try:
        return await getattr(contract(kind, address).functions, function)(*args).call()
    except (ChainUnavailable, aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise ServiceUnavailable("The chain does not answer; try again shortly") from exc


async def chain_now() -> int:
    from partisipro.offerings import chainio

    return await chainio.chain_timestamp()


async def _unsigned(kind: str, address: str, function: str, args: list[Any], sender: str | None) -> UnsignedTransaction:
    """The transaction for a client to sign; gas estimated from ``sender`` (a revert is a 409)."""
    from partisipro.chain.client import ChainUnavailable, RpcError, decode_revert, encode_call, rpc

    data = encode_call(kind, function, args)
    gas = FALLBACK_GAS[function]
    if sender is not None:
        try:
            estimate = int(await rpc("eth_estimateGas", [{"from": sender, "to": address, "data": data}]), 16)
            gas = max(estimate * 5 // 4 + 10_000, 50_000)
        except RpcError as exc:
            reason = decode_revert(exc.data) if exc.data else exc.message
            raise Conflict(f"The chain would refuse this transaction: {reason}") from exc
        except ChainUnavailable as exc:
            raise ServiceUnavailable("The chain does not answer; try again shortly") from exc
    return UnsignedTransaction(
        to=to_checksum_address(address), data=data, value="0", chain_id=get_settings().chain_id, gas=gas
    )


def onchain_description(title: str, description: str) -> str:
    """The exact text given to ``propose`` (and hashed into the proposal id)."""
    return f"# {title}\n\n{description}"


def split_description(text: str) -> tuple[str, str]:
    """(title, body) of an on-chain description written by :func:`onchain_description` (or not)."""
    head, _, body = text.partition("\n\n")
    if head.startswith("# ") and body:
        return head[2:][:200], body
    first = (text.strip().splitlines() or ["Untitled proposal"])[0]
    return first[:200] or "Untitled proposal", text


def description_hash(text: str) -> bytes:
    return keccak(text=text)


def hash_proposal(targets: list[str], values: list[int], calldatas: list[str], desc_hash: bytes) -> int:
    """The Governor's ``hashProposal``: keccak256(abi.encode(targets, values, calldatas, descriptionHash))."""
    encoded = abi_encode(
        ["address[]", "uint256[]", "bytes[]", "bytes32"],
        [targets, values, [bytes.fromhex(c[2:]) for c in calldatas], desc_hash],
    )
    return int.from_bytes(keccak(encoded), "big")


def _epoch(ts: int | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC) if ts else None


async def _domain(kind: str, address: str) -> dict[str, Any]:
    """The contract's EIP-712 domain as it reports it (EIP-5267)."""
    _, name, version, chain_id, verifying, _, _ = await _read(kind, address, "eip712Domain")
    return {"name": name, "version": version, "chainId": int(chain_id), "verifyingContract": verifying}


def _recover(domain: dict[str, Any], types: dict[str, Any], primary: str, message: dict[str, Any], sig: str) -> str:
    signable = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                **types,
            },
            "primaryType": primary,
            "domain": domain,
            "message": message,
        }
    )
    try:
        return to_checksum_address(Account.recover_message(signable, signature=bytes.fromhex(sig[2:])))
    except Exception as exc:  # malformed r/s/v
        raise BadRequest.field("signature", "is not a valid signature") from exc


BALLOT_TYPES = {
    "Ballot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
    ]
}
EXTENDED_BALLOT_TYPES = {
    "ExtendedBallot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "reason", "type": "string"},
        {"name": "params", "type": "bytes"},
    ]
}
DELEGATION_TYPES = {
    "Delegation": [
        {"name": "delegatee", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "expiry", "type": "uint256"},
    ]
}


def ballot_typed_data(
    domain: dict[str, Any], proposal_id: int, support: int, voter: str, nonce: int, reason: str | None
) -> dict[str, Any]:
    """The EIP-712 message a voter signs (``Ballot``, or ``ExtendedBallot`` when giving a reason)."""
    message: dict[str, Any] = {"proposalId": proposal_id, "support": support, "voter": voter, "nonce": nonce}
    if reason:
        message |= {"reason": reason, "params": b""}
    types = EXTENDED_BALLOT_TYPES if reason else BALLOT_TYPES
    return {"domain": domain, "types": types, "primaryType": next(iter(types)), "message": message}


# ---------------------------------------------------------------- read model helpers
async def holders(session: AsyncSession, project: ports.ProjectRef) -> dict[uuid.UUID, list[str]]:
    """user id -> wallets holding the project's token now (from the indexed balances)."""
    from partisipro.chain.models import TokenBalance

    special = {project.offering, project.treasury, project.timelock}
    wallets = [
        w
        for w in await session.scalars(
            select(TokenBalance.wallet).where(TokenBalance.token == project.token, TokenBalance.balance > 0)
        )
        if w not in special
    ]
    owners = await ports.people.wallet_owners(session, wallets)
    out: dict[uuid.UUID, list[str]] = {}
    for wallet, user_id in owners.items():
        out.setdefault(user_id, []).append(wallet)
    return out


async def tallies(session: AsyncSession, proposal_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[int, tuple[int, int]]]:
    """proposal -> support -> (weight, voters), counting indexed (cast) votes only."""
    if not proposal_ids:
        return {}
    rows = await session.execute(
        select(Vote.proposal_id, Vote.support, func.coalesce(func.sum(Vote.weight), 0), func.count())
        .where(Vote.proposal_id.in_(proposal_ids), Vote.status == "cast")
        .group_by(Vote.proposal_id, Vote.support)
    )
    out: dict[uuid.UUID, dict[int, tuple[int, int]]] = {}
    for pid, support, weight, count in rows.all():
        out.setdefault(pid, {})[int(support)] = (int(weight), int(count))
    return out


def derive_state(p: Proposal, now: int, tally: dict[int, tuple[int, int]]) -> str:
    """The Governor's ``state`` computed from the read model and the chain clock."""
    if p.status != "created" or p.vote_start is None or p.vote_end is None:
        return "awaiting_signature"
    if p.canceled_tx:
        return "cancelled"
    if p.executed_tx:
        return "executed"
    if p.queued_tx:
        return "queued"
    if p.vote_start >= now:
        return "pending"
    if p.vote_end >= now:
        return "active"
    votes_for = tally.get(1, (0, 0))[0]
    against = tally.get(0, (0, 0))[0]
    abstain = tally.get(2, (0, 0))[0]
    if p.quorum is None or votes_for + abstain < p.quorum or votes_for <= against:
        return "defeated"
    return "succeeded"


def proposal_schema(
    p: Proposal,
    state: str,
    tally: dict[int, tuple[int, int]],
    votes: list[Vote] | None = None,
    transaction: UnsignedTransaction | None = None,
) -> s.Proposal:
    return s.Proposal(
        id=p.id,
        project_id=p.project_id,
        proposal_id=p.proposal_id,
        governor=p.governor,
        state=state,
        title=p.title,
        description=p.description,
        description_hash=p.description_hash,
        proposer=p.proposer_wallet,
        actions=list(p.actions),
        tally=s.Tally(
            for_votes=str(tally.get(1, (0, 0))[0]),
            against_votes=str(tally.get(0, (0, 0))[0]),
            abstain_votes=str(tally.get(2, (0, 0))[0]),
            quorum=None if p.quorum is None else str(p.quorum),
            voters=sum(c for _, c in tally.values()),
        ),
        created_at=p.created_at,
        vote_start=_epoch(p.vote_start),
        vote_end=_epoch(p.vote_end),
        eta=_epoch(p.eta),
        created_tx=p.created_tx,
        queued_tx=p.queued_tx,
        executed_tx=p.executed_tx,
        votes=None
        if votes is None
        else [
            s.VoteView(
                voter=v.voter,
                support=SUPPORT_NAMES.get(v.support, str(v.support)),
                weight=str(v.weight),
                reason=v.reason,
                status=v.status,
                tx_hash=v.tx_hash,
                cast_at=v.cast_at,
            )
            for v in votes
        ],
        transaction=transaction,
    )


# ---------------------------------------------------------------- the service
class GovernanceService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _project(self, principal: Principal | None, project_id: uuid.UUID) -> ports.ProjectRef:
        project = await ports.project_for(self.session, principal, project_id)
        if not project.governor or not project.token:
            raise Conflict(f"The project is {project.status}; its governor is not deployed")
        return project

    async def _proposal(self, project: ports.ProjectRef, ref: str, *, lock: bool = False) -> Proposal:
        stmt = select(Proposal).where(Proposal.project_id == project.id)
        if ref.isdigit() and len(ref) <= 78:
            stmt = stmt.where(Proposal.proposal_id == str(int(ref)))
        else:
            try:
                stmt = stmt.where(Proposal.id == uuid.UUID(ref))
            except ValueError:
                raise NotFound("No such proposal") from None
        if lock:
            stmt = stmt.with_for_update()
        found = (await self.session.execute(stmt)).scalar_one_or_none()
        if found is None:
            raise NotFound("No such proposal")
        return found

    async def _wallets(self, principal: Principal, wallet: str | None = None) -> list[str]:
        wallets = await ports.people.wallets_of(self.session, principal.user_id)
        if wallet is not None:
            wallet = to_checksum_address(wallet)
            if wallet not in wallets:
                raise BadRequest.field("wallet", "is not one of your linked wallets")
            return [wallet]
        if not wallets:
            raise Forbidden("Link a wallet holding the project's tokens first")
        return wallets

    async def _quorum(self, p: Proposal, now: int) -> None:
        """Read the quorum at the snapshot once it is in the past (then it never changes)."""
        if p.quorum is None and p.status == "created" and p.vote_start is not None and p.vote_start < now:
            try:
                p.quorum = int(await _read("ProjectGovernor", p.governor, "quorum", p.vote_start))
                await self.session.flush()
            except Exception:  # noqa: S110 - the quorum is read again on the next request
                pass

    async def _now(self) -> int:
        try:
            return await chain_now()
        except ServiceUnavailable:
            return int(utcnow().timestamp())

    # -- proposals
    async def create(self, principal: Principal, project_id: uuid.UUID, data: s.ProposalCreate) -> s.Proposal:
        """A holder above the threshold asks for a proposal: the row and the ``propose`` transaction."""
        project = await self._project(principal, project_id)
        wallets = await self._wallets(principal, data.wallet)
        threshold = max(int(await _read("ProjectGovernor", project.governor, "proposalThreshold")), 1)
        # current votes: the governor checks them at the propose block's clock minus one
        power = {w: int(await _read("ProjectToken", project.token, "getVotes", w)) for w in wallets}
        wallet = max(wallets, key=lambda w: power[w])
        if power[wallet] < threshold:
            raise Forbidden(f"Proposing needs at least {threshold} votes; your wallets hold {power[wallet]}")
        title, body = data.title.strip(), data.description.strip()
        if len(title) < 3:
            raise BadRequest.field("title", "must not be blank")
        if not body:
            raise BadRequest.field("description", "must not be blank")

        targets: list[str] = []
        calldatas: list[str] = []
        actions: list[dict[str, str]] = []
        paying = 0
        from partisipro.chain.client import encode_call

        for i, action in enumerate(data.actions):
            targets.append(project.treasury)
            if isinstance(action, s.TreasuryTransfer):
                amount = int(action.amount)
                to = to_checksum_address(action.to)
                if amount <= 0 or amount >= 2**256:
                    raise BadRequest.field(f"actions[{i}].amount", "must be a positive amount of base units")
                if int(to, 16) == 0:
                    raise BadRequest.field(f"actions[{i}].to", "must not be the zero address")
                paying += amount
                calldatas.append(encode_call("Treasury", "release", [to, amount]))
                actions.append({"kind": "treasury_transfer", "to": to, "amount": str(amount)})
            else:
                calldatas.append(encode_call("Treasury", "reserve", []))
                actions.append({"kind": "text"})
        if paying:
            reserve = int(await _read("Treasury", project.treasury, "reserve"))
            if paying > reserve:
                raise RuleViolation(
                    f"The treasury reserve holds {reserve} base units; the proposal pays {paying}",
                    errors=[{"field": "actions", "message": "pays more than the treasury reserve"}],
                )
        values = [0] * len(targets)
        text = onchain_description(title, body)
        digest = description_hash(text)
        proposal_id = str(hash_proposal(targets, values, calldatas, digest))
        taken = await self.session.scalar(
            select(Proposal.id).where(Proposal.project_id == project.id, Proposal.proposal_id == proposal_id)
        )
        if taken is not None:
            raise Conflict("The same proposal (title, description and actions) already exists")
        row = Proposal(
            project_id=project.id,
            governor=project.governor,
            proposal_id=proposal_id,
            status="awaiting_signature",
            proposer_id=principal.user_id,
            proposer_wallet=wallet,
            title=title,
            description=body,
            description_hash="0x" + digest.hex(),
            actions=actions,
            targets=targets,
            call_values=[str(v) for v in values],
            calldatas=calldatas,
        )
        self.session.add(row)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError:
            raise Conflict("The same proposal (title, description and actions) already exists") from None
        from partisipro.audit import services as audit

        await audit.record(
            self.session,
            action="governance.proposal_requested",
            actor=principal,
            object_type="project",
            object_id=str(project.id),
            details={"proposal_id": proposal_id, "title": title, "actions": actions},
        )
        transaction = await _unsigned(
            "ProjectGovernor", project.governor, "propose", [targets, values, calldatas, text], wallet
        )
        return proposal_schema(row, "awaiting_signature", {}, transaction=transaction)

    async def list(
        self, principal: Principal | None, project_id: uuid.UUID, *, limit: int, offset: int
    ) -> s.ProposalPage:
        project = await self._project(principal, project_id)
        where = Proposal.project_id == project.id
        total = int(await self.session.scalar(select(func.count()).select_from(Proposal).where(where)) or 0)
        rows = list(
            await self.session.scalars(
                select(Proposal).where(where).order_by(Proposal.created_at.desc()).limit(limit).offset(offset)
            )
        )
        now = await self._now()
        counted = await tallies(self.session, [r.id for r in rows])
        items = []
        for row in rows:
            await self._quorum(row, now)
            tally = counted.get(row.id, {})
            items.append(proposal_schema(row, derive_state(row, now, tally), tally))
        return s.ProposalPage(items=items, total=total, limit=limit, offset=offset)

    async def get(self, principal: Principal | None, project_id: uuid.UUID, ref: str) -> s.Proposal:
        project = await self._project(principal, project_id)
        row = await self._proposal(project, ref)
        now = await self._now()
        await self._quorum(row, now)
        tally = (await tallies(self.session, [row.id])).get(row.id, {})
        votes = list(
            await self.session.scalars(select(Vote).where(Vote.proposal_id == row.id).order_by(Vote.created_at))
        )
        return proposal_schema(row, derive_state(row, now, tally), tally, votes)

    async def _chain_state(self, row: Proposal) -> str:
        from web3.exceptions import ContractLogicError

        try:
            return CHAIN_STATES[int(await _read("ProjectGovernor", row.governor, "state", int(row.proposal_id)))]
        except ContractLogicError:
            return "awaiting_signature"  # GovernorNonexistentProposal: propose not mined (or indexed) yet

    async def queue_transaction(self, principal: Principal, project_id: uuid.UUID, ref: str) -> s.GovernanceTransaction:
        """``queue`` once the proposal succeeded (409 otherwise)."""
        project = await self._project(principal, project_id)
        row = await self._proposal(project, ref)
        state = await self._chain_state(row)
        if state != "succeeded":
            raise Conflict(f"The proposal is {state}; only a succeeded proposal can be queued")
        sender = next(iter(await ports.people.wallets_of(self.session, principal.user_id)), None)
        args = [row.targets, [int(v) for v in row.call_values], row.calldatas, bytes.fromhex(row.description_hash[2:])]
        tx = await _unsigned("ProjectGovernor", row.governor, "queue", args, sender)
        return s.GovernanceTransaction(proposal_id=row.proposal_id, action="queue", transaction=tx)

    async def execute_transaction(
        self, principal: Principal, project_id: uuid.UUID, ref: str
    ) -> s.GovernanceTransaction:
        """``execute`` once the proposal is queued and its ETA has passed (409 otherwise)."""
        project = await self._project(principal, project_id)
        row = await self._proposal(project, ref)
        state = await self._chain_state(row)
        if state != "queued":
            raise Conflict(f"The proposal is {state}; only a queued proposal can be executed")
        eta = int(await _read("ProjectGovernor", row.governor, "proposalEta", int(row.proposal_id)))
        now = await chain_now()
        if eta > now:
            raise Conflict(f"The timelock delay has not passed: executable from {_epoch(eta).isoformat()}")  # type: ignore[union-attr]
        sender = next(iter(await ports.people.wallets_of(self.session, principal.user_id)), None)
        args = [row.targets, [int(v) for v in row.call_values], row.calldatas, bytes.fromhex(row.description_hash[2:])]
        tx = await _unsigned("ProjectGovernor", row.governor, "execute", args, sender)
        return s.GovernanceTransaction(proposal_id=row.proposal_id, action="execute", transaction=tx)

    # -- votes
    async def vote(self, principal: Principal, project_id: uuid.UUID, ref: str, data: s.VoteCreate) -> s.VoteResult:
        """201 with ``castVoteWithReason`` to sign, or (signed ballot) 202 with the vote relayed."""
        project = await self._project(principal, project_id)
        row = await self._proposal(project, ref)
        wallets = await self._wallets(principal, data.wallet)
        support = SUPPORT[data.support]
        proposal_id = int(row.proposal_id)
        reason = data.reason or None

        voter: str | None = None
        if data.signature is not None:
            domain = await _domain("ProjectGovernor", row.governor)
            for wallet in wallets:
                nonce = int(await _read("ProjectGovernor", row.governor, "nonces", wallet))
                typed = ballot_typed_data(domain, proposal_id, support, wallet, nonce, reason)
                signer = _recover(domain, typed["types"], typed["primaryType"], typed["message"], data.signature)
                if signer == wallet:
                    voter = wallet
                    break
            if voter is None:
                raise BadRequest.field(
                    "signature", "is not a ballot signed by one of your wallets with its current nonce"
                )

        state = await self._chain_state(row)
        if state != "active":
            raise Conflict(f"The proposal is {state}; votes are taken while it is active")
        assert row.vote_start is not None
        if voter is None:
            weights = {
                w: int(await _read("ProjectGovernor", row.governor, "getVotes", w, row.vote_start)) for w in wallets
            }
            voted = set(
                await self.session.scalars(
                    select(Vote.voter).where(Vote.proposal_id == row.id, Vote.voter.in_(wallets))
                )
            )
            open_wallets = [w for w in wallets if w not in voted] or wallets
            voter = max(open_wallets, key=lambda w: weights[w])
            weight = weights[voter]
        else:
            weight = int(await _read("ProjectGovernor", row.governor, "getVotes", voter, row.vote_start))
        if await self.session.scalar(select(Vote.id).where(Vote.proposal_id == row.id, Vote.voter == voter)):
            raise Conflict("This wallet has already voted on the proposal")
        if await _read("ProjectGovernor", row.governor, "hasVoted", proposal_id, voter):
            raise Conflict("This wallet has already voted on the proposal")
        if weight == 0:
            raise Forbidden("This wallet held no votes when the proposal's voting started")

        if data.signature is None:
            tx = await _unsigned(
                "ProjectGovernor", row.governor, "castVoteWithReason", [proposal_id, support, reason or ""], voter
            )
            return s.VoteResult(
                proposal_id=row.proposal_id, voter=voter, support=data.support, status="unsigned", transaction=tx
            )

        from partisipro.audit import services as audit
        from partisipro.chain import outbox

        key = f"governance.vote:{row.governor}:{row.proposal_id}:{voter}"
        vote = Vote(
            proposal_id=row.id,
            voter=voter,
            user_id=principal.user_id,
            support=support,
            weight=weight,
            reason=reason,
            status="relayed",
            intent_key=key[:191],
        )
        self.session.add(vote)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError:
            raise Conflict("This wallet has already voted on the proposal") from None
        signature = bytes.fromhex(data.signature[2:])
        if reason:
            function, args = (
                "castVoteWithReasonAndParamsBySig",
                [proposal_id, support, voter, reason, b"", signature],
            )
        else:
            function, args = "castVoteBySig", [proposal_id, support, voter, signature]
        await outbox.enqueue_intent(
            self.session,
            contract="ProjectGovernor",
            address=row.governor,
            function=function,
            args=args,
            idempotency_key=key[:191],
        )
        await audit.record(
            self.session,
            action="governance.vote_relayed",
            actor=principal,
            object_type="proposal",
            object_id=str(row.id),
            details={"voter": voter, "support": data.support, "weight": str(weight)},
        )
        return s.VoteResult(proposal_id=row.proposal_id, voter=voter, support=data.support, status="relayed")

    # -- delegation
    async def delegate(
        self, principal: Principal, project_id: uuid.UUID, data: s.DelegationCreate
    ) -> s.DelegationResult:
        project = await self._project(principal, project_id)
        wallets = await self._wallets(principal)
        delegatee = to_checksum_address(data.delegatee)
        if data.signature is None:
            sender = wallets[0] if len(wallets) == 1 else None
            tx = await _unsigned("ProjectToken", project.token, "delegate", [delegatee], sender)
            return s.DelegationResult(delegatee=delegatee, delegator=sender, status="unsigned", transaction=tx)
        if data.nonce is None:
            raise BadRequest.field("nonce", "is required with a signature")
        if data.expiry is None:
            raise BadRequest.field("expiry", "is required with a signature")
        nonce, expiry = int(data.nonce), int(data.expiry)
        if nonce >= 2**256 or expiry >= 2**256:
            raise BadRequest.field("nonce" if nonce >= 2**256 else "expiry", "is out of range")
        if expiry < await chain_now():
            raise BadRequest.field("expiry", "has passed")
        domain = await _domain("ProjectToken", project.token)
        message = {"delegatee": delegatee, "nonce": nonce, "expiry": expiry}
        signer = _recover(domain, DELEGATION_TYPES, "Delegation", message, data.signature)
        if signer not in wallets:
            raise BadRequest.field("signature", "is not a delegation signed by one of your wallets")
        current = int(await _read("ProjectToken", project.token, "nonces", signer))
        if nonce != current:
            raise BadRequest.field("nonce", f"is not the wallet's current nonce ({current})")
        raw = bytes.fromhex(data.signature[2:])
        r, s_, v = raw[:32], raw[32:64], raw[64]
        if v < 27:
            v += 27
        from partisipro.audit import services as audit
        from partisipro.chain import outbox

        await outbox.enqueue_intent(
            self.session,
            contract="ProjectToken",
            address=project.token,
            function="delegateBySig",
            args=[delegatee, nonce, expiry, v, r, s_],
            idempotency_key=f"governance.delegate:{project.token}:{signer}:{nonce}",
        )
        await audit.record(
            self.session,
            action="governance.delegation_relayed",
            actor=principal,
            object_type="project",
            object_id=str(project.id),
            details={"delegator": signer, "delegatee": delegatee},
        )
        return s.DelegationResult(delegatee=delegatee, delegator=signer, status="relayed")

    # -- reminders
    async def remind_ending_votes(self) -> int:
        """Tell holders who have not voted that voting ends within 24 hours (once per proposal)."""
        now = await self._now()
        rows = list(
            await self.session.scalars(
                select(Proposal)
                .where(
                    Proposal.status == "created",
                    Proposal.ending_notified_at.is_(None),
                    Proposal.canceled_tx.is_(None),
                    Proposal.vote_start < now,
                    Proposal.vote_end >= now,
                    Proposal.vote_end <= now + ENDING_WINDOW_SECONDS,
                )
                .with_for_update(skip_locked=True)
            )
        )
        sent = 0
        for row in rows:
            refs = await ports.projects_by_ids(self.session, [row.project_id])
            project = refs.get(row.project_id)
            if project is None:
                continue
            voted = set(await self.session.scalars(select(Vote.voter).where(Vote.proposal_id == row.id)))
            for user_id, wallets in (await holders(self.session, project)).items():
                if any(w in voted for w in wallets):
                    continue
                await ports.people.notify(
                    self.session,
                    "governance.vote_ending_soon",
                    user_id,
                    {
                        "project_name": project.name,
                        "project_url": ports.project_url(project.id),
                        "title": row.title,
                        "vote_ends_at": _epoch(row.vote_end).isoformat(),  # type: ignore[union-attr]
                    },
                    event_id=f"governance.vote_ending:{row.id}:{user_id}",
                )
                sent += 1
            row.ending_notified_at = utcnow()
        await self.session.flush()
        return sent


# ---------------------------------------------------------------- chain events (indexer handlers)
async def _row_for_event(session: AsyncSession, event: Any) -> tuple[ports.ProjectRef, Proposal] | None:
    project = await ports.project_by_address(session, governor=event.address)
    if project is None:
        return None
    row = (
        await session.execute(
            select(Proposal)
            .where(Proposal.project_id == project.id, Proposal.proposal_id == str(int(event.args["proposalId"])))
            .with_for_update()
        )
    ).scalar_one_or_none()
    return (project, row) if row is not None else None


async def on_proposal_created(session: AsyncSession, event: Any) -> tuple[ports.ProjectRef, Proposal, bool] | None:
    """Confirm the API's proposal (or record one made elsewhere). The bool: newly applied."""
    project = await ports.project_by_address(session, governor=event.address)
    if project is None:
        return None
    args = event.args
    proposal_id = str(int(args["proposalId"]))
    row = (
        await session.execute(
            select(Proposal)
            .where(Proposal.project_id == project.id, Proposal.proposal_id == proposal_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is not None and row.created_tx == event.tx_hash and row.created_log_index == event.log_index:
        return project, row, False
    text = str(args.get("description") or "")
    if row is None:
        title, body = split_description(text)
        targets = [to_checksum_address(t) for t in args["targets"]]
        calldatas = [c if isinstance(c, str) else "0x" + bytes(c).hex() for c in args["calldatas"]]
        row = Proposal(
            project_id=project.id,
            governor=project.governor,
            proposal_id=proposal_id,
            proposer_wallet=to_checksum_address(args["proposer"]),
            title=title,
            description=body,
            description_hash="0x" + description_hash(text).hex(),
            actions=[{"kind": "call", "target": t, "calldata": c} for t, c in zip(targets, calldatas, strict=True)],
            targets=targets,
            call_values=[str(int(v)) for v in args["values"]],
            calldatas=calldatas,
        )
        session.add(row)
    row.status = "created"
    row.proposer_wallet = to_checksum_address(args["proposer"])
    row.vote_start, row.vote_end = int(args["voteStart"]), int(args["voteEnd"])
    row.created_tx, row.created_log_index = event.tx_hash, int(event.log_index)
    await session.flush()
    return project, row, True


async def on_proposal_created_reverted(session: AsyncSession, event: Any) -> None:
    found = await _row_for_event(session, event)
    if found is None:
        return
    _, row = found
    if row.created_tx != event.tx_hash:
        return
    if row.proposer_id is None:
        await session.delete(row)
    else:
        row.status = "awaiting_signature"
        row.vote_start = row.vote_end = row.quorum = row.created_tx = row.created_log_index = None
    await session.flush()


async def on_lifecycle(session: AsyncSession, event: Any, field: str) -> tuple[ports.ProjectRef, Proposal, bool] | None:
    """ProposalQueued / ProposalExecuted / ProposalCanceled: set ``field`` (the tx hash)."""
    found = await _row_for_event(session, event)
    if found is None:
        return None
    project, row = found
    if getattr(row, field) == event.tx_hash:
        return project, row, False
    setattr(row, field, event.tx_hash)
    if field == "queued_tx":
        row.eta = int(event.args["etaSeconds"])
    await session.flush()
    return project, row, True


async def on_lifecycle_reverted(session: AsyncSession, event: Any, field: str) -> None:
    found = await _row_for_event(session, event)
    if found is None:
        return
    _, row = found
    if getattr(row, field) == event.tx_hash:
        setattr(row, field, None)
        if field == "queued_tx":
            row.eta = None
        await session.flush()


async def on_vote_cast(session: AsyncSession, event: Any) -> tuple[ports.ProjectRef, Proposal, Vote, bool] | None:
    """``VoteCast``/``VoteCastWithParams``: the vote with its weight (idempotent by the event key)."""
    found = await _row_for_event(session, event)
    if found is None:
        return None
    project, row = found
    voter = to_checksum_address(event.args["voter"])
    vote = (
        await session.execute(select(Vote).where(Vote.proposal_id == row.id, Vote.voter == voter).with_for_update())
    ).scalar_one_or_none()
    if vote is not None and vote.tx_hash == event.tx_hash and vote.log_index == event.log_index:
        return project, row, vote, False
    if vote is None:
        owners = await ports.people.wallet_owners(session, [voter])
        vote = Vote(proposal_id=row.id, voter=voter, user_id=owners.get(voter))
        session.add(vote)
    vote.support = int(event.args["support"])
    vote.weight = int(event.args["weight"])
    vote.reason = str(event.args.get("reason") or "") or None
    vote.status = "cast"
    vote.tx_hash, vote.log_index = event.tx_hash, int(event.log_index)
    vote.cast_at = _epoch(event.block_timestamp) or utcnow()
    vote.event_id = event.id
    await session.flush()
    return project, row, vote, True
