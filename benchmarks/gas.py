"""Gas benchmark of the Partisipro contracts: ``python -m benchmarks.gas``.

Starts a fresh anvil, deploys the platform and a plain OpenZeppelin ERC-20 (``ReferenceERC20``),
runs one project through offering, settlement, transfers, distributions, claims and governance,
and prints one JSON object of ``gasUsed`` figures (from receipts) plus ``runtime_bytes`` per
contract. Every measured transaction is mined in its own block with a new timestamp (1 s after
the previous one), so vote checkpoints are never merged into an earlier block's.

Figures that depend on storage layout parity are reported as the worst of several samples:
``token_transfer_existing`` is the maximum over 4 consecutive transfers between two existing,
self-delegated holders (each side alternately opens a new vote-history slot). Timing is never
measured.

``cast_vote`` is the first vote cast on a fresh proposal (the governor writes the tally slots of a
proposal when it is created, so ``propose`` pays for them and no vote opens a slot);
``cast_vote_later`` is a later vote on the same proposal (it already has a For vote).
``cast_vote_first_of_proposal`` is kept as an alias of ``cast_vote`` for existing readers.
``distribute_10_holders`` runs with the 13 holders of the sale (12 buyers and one receiver).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from partisipro.chain.anvil import DEFAULT_MNEMONIC, Anvil
from partisipro.chain.artifacts import list_artifacts, load_artifact
from partisipro.chain.deploy import ProjectParams, contract, create_project, deploy_contract, deploy_platform
from web3 import Web3

USD = 10**6
TOKEN = 10**18
N_KEYED = 12  # investors with keys
N_EXTRA_HOLDERS = 990  # keyless verified wallets that receive tokens (10 + 990 = 1000 holders)

Account.enable_unaudited_hdwallet_features()


class Bench:
    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.gas: dict[str, Any] = {}
        self.nonces: dict[str, int] = {}

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def rpc(self, method: str, params: list[Any]) -> Any:
        return self.w3.provider.make_request(method, params)  # type: ignore[arg-type]

    def tick(self, seconds: int = 1) -> None:
        """The next block gets a timestamp `seconds` after the latest one."""
        self.rpc("evm_setNextBlockTimestamp", [self.now() + seconds])

    def warp(self, timestamp: int) -> None:
        self.rpc("evm_setNextBlockTimestamp", [timestamp])
        self.rpc("evm_mine", [])

    def send(self, account: LocalAccount, fn: Any, label: str | None = None, gas: int = 3_000_000) -> Any:
        self.tick()
        nonce = self.w3.eth.get_transaction_count(account.address)
        tx = fn.build_transaction(
            {
                "from": account.address,
                "nonce": nonce,
                "gas": gas,
                "maxFeePerGas": 10**10,
                "maxPriorityFeePerGas": 0,
                "chainId": self.w3.eth.chain_id,
            }
        )
        signed = account.sign_transaction(tx)
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(signed.raw_transaction), poll_latency=0.01
        )
        if receipt["status"] != 1:
            raise RuntimeError(f"{label or fn.fn_name} reverted")
        if label:
            self.gas[label] = int(receipt["gasUsed"])
        return receipt

    def blast(self, account: LocalAccount, fns: list[Any], gas: int) -> None:
        """Send many transactions without waiting for each receipt (same block time is fine)."""
        nonce = self.w3.eth.get_transaction_count(account.address)
        last = None
        for i, fn in enumerate(fns):
            tx = fn.build_transaction(
                {
                    "from": account.address,
                    "nonce": nonce + i,
                    "gas": gas,
                    "maxFeePerGas": 10**10,
                    "maxPriorityFeePerGas": 0,
                    "chainId": self.w3.eth.chain_id,
                }
            )
            last = self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        if last is not None:
            receipt = self.w3.eth.wait_for_transaction_receipt(last, poll_latency=0.01)
            if receipt["status"] != 1:
                raise RuntimeError("batch transaction reverted")


def _typed(account: LocalAccount, domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any]):
    full = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **types,
        },
        "primaryType": next(iter(types)),
        "domain": domain,
        "message": message,
    }
    return Account.sign_message(encode_typed_data(full_message=full), account.key)


def run() -> dict[str, Any]:
    with Anvil(accounts=4 + N_KEYED, balance_ether=1_000_000, gas_limit=60_000_000) as node:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 120}))
        keys = [Account.from_mnemonic(DEFAULT_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(4 + N_KEYED)]
        admin, agent, spv, fee = keys[:4]
        inv = keys[4:]
        b = Bench(w3)

        # ---- plain OpenZeppelin ERC-20 reference: transfer between two existing holders
        ref = contract(w3, "ReferenceERC20", deploy_contract(w3, admin, "ReferenceERC20", 10**6 * TOKEN))
        b.send(admin, ref.functions.transfer(inv[0].address, 1000 * TOKEN))
        b.send(inv[0], ref.functions.transfer(inv[1].address, 10 * TOKEN))
        b.send(inv[0], ref.functions.transfer(inv[1].address, 10 * TOKEN), "erc20_reference_transfer")

        # ---- platform
        addrs = deploy_platform(
            w3, admin, agent=agent.address, fee_recipient=fee.address, fee_bps=250, platform_timelock_delay=3600
        )
        registry = contract(w3, "IdentityRegistry", addrs["identity_registry"])
        stable = contract(w3, "MockStablecoin", addrs["mock_stablecoin"])
        extra = [Web3.to_checksum_address(keccak(text=f"holder-{i}")[:20]) for i in range(N_EXTRA_HOLDERS + 1)]
        wallets = [a.address for a in inv] + extra
        for start in range(0, len(wallets), 200):
            chunk = wallets[start : start + 200]
            b.send(
                agent,
                registry.functions.batchRegisterIdentity(
                    chunk,
                    [keccak(text=f"id-{w}")[:24] for w in chunk],
                    [360] * len(chunk),
                    [4_000_000_000] * len(chunk),
                ),
                gas=20_000_000,
            )
        for who in [*inv, spv]:
            b.send(admin, stable.functions.mint(who.address, 10_000_000 * USD))

        now = b.now()
        params = ProjectParams(
            name="Toll Road Token",
            symbol="TOLL",
            spv=spv.address,
            stablecoin=stable.address,
            price=10 * USD,
            soft_cap=10_000 * USD,
            hard_cap=1_000_000 * USD,
            min_investment=100 * USD,
            max_investment=1_000_000 * USD,
            start_time=now + 100,
            end_time=now + 100 + 30 * 86400,
            voting_delay=3600,
            voting_period=3 * 86400,
            timelock_delay=86400,
        )
        b.tick()
        project, receipt = create_project(w3, admin, addrs["project_factory"], params, gas=5_000_000)
        b.gas["create_project"] = int(receipt["gasUsed"])
        token = contract(w3, "ProjectToken", project["token"])
        offering = contract(w3, "Offering", project["offering"])
        treasury = contract(w3, "Treasury", project["treasury"])
        governor = contract(w3, "ProjectGovernor", project["governor"])

        # ---- offering
        b.warp(params.start_time)
        b.send(inv[0], stable.functions.approve(offering.address, 10_000_000 * USD))
        b.send(inv[0], offering.functions.invest(1_000 * USD), "invest_first")
        b.send(inv[0], offering.functions.invest(1_000 * USD), "invest_again")
        deadline = b.now() + 3600
        amount = 1_000 * USD
        sig = _typed(
            inv[1],
            {"name": stable.functions.name().call(), "version": "1", "chainId": w3.eth.chain_id,
             "verifyingContract": stable.address},
            {"Permit": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"},
                        {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
                        {"name": "deadline", "type": "uint256"}]},
            {"owner": inv[1].address, "spender": offering.address, "value": amount,
             "nonce": stable.functions.nonces(inv[1].address).call(), "deadline": deadline},
        )  # fmt: skip
        b.send(
            inv[1], offering.functions.investWithPermit(amount, deadline, sig.v, sig.r.to_bytes(32, "big"),
                                                        sig.s.to_bytes(32, "big")), "invest_with_permit",
        )  # fmt: skip
        for i in range(2, N_KEYED):
            b.send(inv[i], stable.functions.approve(offering.address, 10_000_000 * USD))
            b.send(inv[i], offering.functions.invest(50_000 * USD))
        # the whale (inv[2]) tops up to the hard cap, so finalize happens at the hard cap
        remaining = params.hard_cap - offering.functions.totalRaised().call()
        b.send(inv[2], offering.functions.invest(remaining))
        b.send(spv, offering.functions.finalize(), "finalize")
        b.send(spv, offering.functions.settle(inv[0].address), "settle")
        b.send(spv, offering.functions.settleBatch([a.address for a in inv[1:]]))

        # ---- token transfers between existing holders (steady state, before any distribution)
        samples = []
        for _ in range(4):
            samples.append(int(b.send(inv[3], token.functions.transfer(inv[4].address, TOKEN))["gasUsed"]))
        b.gas["token_transfer_existing"] = max(samples)
        b.gas["token_transfer_existing_samples"] = samples
        b.send(inv[3], token.functions.transfer(extra[0], TOKEN), "token_transfer_new_holder")

        # ---- distributions (12 keyed holders + 1 extra = ~10-holder case)
        b.send(spv, stable.functions.approve(treasury.address, 10_000 * USD))
        b.send(spv, treasury.functions.distribute(10_000 * USD), "distribute_first")
        holders_small = sum(1 for w in wallets if token.functions.balanceOf(w).call() > 0)
        b.send(spv, stable.functions.approve(treasury.address, 10_000 * USD))
        b.send(spv, treasury.functions.distribute(10_000 * USD), "distribute_10_holders")
        b.gas["distribute_10_holders_count"] = holders_small
        b.send(inv[5], treasury.functions.claim(), "claim")
        b.send(inv[3], token.functions.transfer(inv[4].address, TOKEN), "token_transfer_after_distribution")

        # ---- 1000 holders: the whale sends tokens to 990 more verified wallets
        b.blast(inv[2], [token.functions.transfer(w, TOKEN) for w in extra[1:]], gas=300_000)
        holders_big = sum(1 for w in wallets if token.functions.balanceOf(w).call() > 0)
        b.send(spv, stable.functions.approve(treasury.address, 10_000 * USD))
        b.send(spv, treasury.functions.distribute(10_000 * USD), "distribute_1000_holders")
        b.gas["distribute_1000_holders_count"] = holders_big

        # ---- governance: proposal paying the SPV from the treasury reserve
        calldata = treasury.encode_abi("release", args=[spv.address, 1_000 * USD])
        b.send(
            inv[0],
            governor.functions.propose([treasury.address], [0], [calldata], "Pay the O&M contractor"),
            "propose",
        )
        proposal_id = governor.functions.hashProposal(
            [treasury.address], [0], [calldata], keccak(text="Pay the O&M contractor")
        ).call()
        b.warp(governor.functions.proposalSnapshot(proposal_id).call() + 1)
        # the first vote on the fresh proposal: its tally slots were written by `propose`
        b.send(inv[3], governor.functions.castVote(proposal_id, 1), "cast_vote")
        b.gas["cast_vote_first_of_proposal"] = b.gas["cast_vote"]
        b.send(inv[1], governor.functions.castVote(proposal_id, 1), "cast_vote_later")
        voter = inv[2]
        ballot = _typed(
            voter,
            {"name": governor.functions.name().call(), "version": governor.functions.version().call(),
             "chainId": w3.eth.chain_id, "verifyingContract": governor.address},
            {"Ballot": [{"name": "proposalId", "type": "uint256"}, {"name": "support", "type": "uint8"},
                        {"name": "voter", "type": "address"}, {"name": "nonce", "type": "uint256"}]},
            {"proposalId": proposal_id, "support": 1, "voter": voter.address,
             "nonce": governor.functions.nonces(voter.address).call()},
        )  # fmt: skip
        b.send(
            spv,
            governor.functions.castVoteBySig(proposal_id, 1, voter.address, bytes(ballot.signature)),
            "cast_vote_by_sig",
        )

        b.gas["runtime_bytes"] = {name: load_artifact(name).runtime_size for name in list_artifacts()}
        return b.gas


def main() -> int:
    figures = run()
    json.dump(figures, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
