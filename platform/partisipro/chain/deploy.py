"""Deploy the Partisipro contract suite (synchronous web3.py).

``deploy_platform`` deploys, in order: the IdentityRegistry (admin + agent roles), the
``PlatformTimelock`` (TimelockController that owns every beacon), each implementation
(ProjectToken, Offering, Treasury, ProjectGovernor, ProjectTimelock) with its ``ProjectBeacon``,
the ``ProjectFactory`` and, optionally, the ``MockStablecoin``. No role needs wiring after
that: the factory's admin creates projects, and the registry's AGENT_ROLE is honoured by every
project token. It returns ``{name: checksummed address}``.

``create_project`` calls ``ProjectFactory.createProject`` and decodes ``ProjectCreated``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import TxReceipt

from partisipro.chain.artifacts import load_artifact

__all__ = [
    "IMPLEMENTATIONS",
    "ProjectParams",
    "TransactionFailedError",
    "contract",
    "create_project",
    "deploy_contract",
    "deploy_platform",
    "transact",
]

# (artifact name, key of the implementation address, key of the beacon address)
IMPLEMENTATIONS: tuple[tuple[str, str, str], ...] = (
    ("ProjectToken", "token_implementation", "token_beacon"),
    ("Offering", "offering_implementation", "offering_beacon"),
    ("Treasury", "treasury_implementation", "treasury_beacon"),
    ("ProjectGovernor", "governor_implementation", "governor_beacon"),
    ("ProjectTimelock", "timelock_implementation", "timelock_beacon"),
)


class TransactionFailedError(RuntimeError):
    def __init__(self, receipt: TxReceipt) -> None:
        super().__init__(f"transaction {receipt['transactionHash'].hex()} reverted")
        self.receipt = receipt


def contract(w3: Web3, name: str, address: str | None = None) -> Any:
    """A web3 contract object for artifact ``name`` (at ``address`` if given)."""
    art = load_artifact(name)
    if address is None:
        return w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=art.abi)


def _send(w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> TxReceipt:
    tx.setdefault("from", account.address)
    tx.setdefault("chainId", w3.eth.chain_id)
    tx.setdefault("nonce", w3.eth.get_transaction_count(account.address, "pending"))
    if "gas" not in tx:
        # margin: a vote-history or dividend slot may be created when the block timestamp differs
        tx["gas"] = int(w3.eth.estimate_gas(tx) * 1.25) + 60_000
    if "maxFeePerGas" not in tx and "gasPrice" not in tx:
        base = w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0
        tx["maxPriorityFeePerGas"] = 0
        tx["maxFeePerGas"] = 2 * base + 1
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.01)
    if receipt["status"] != 1:
        raise TransactionFailedError(receipt)
    return receipt


def transact(w3: Web3, account: LocalAccount, fn: ContractFunction, **tx: Any) -> TxReceipt:
    """Sign ``fn`` with ``account``, send it, wait for the receipt; raise if it reverted."""
    built = dict(fn.build_transaction({"from": account.address, "gas": 1, **tx}))
    if "gas" not in tx:
        del built["gas"]  # estimated by _send, with a margin
    return _send(w3, account, built)


def deploy_contract(w3: Web3, account: LocalAccount, name: str, *args: Any, **tx: Any) -> str:
    factory = contract(w3, name)
    built = dict(factory.constructor(*args).build_transaction({"from": account.address, "gas": 1, **tx}))
    if "gas" not in tx:
        del built["gas"]
    receipt = _send(w3, account, built)
    return str(receipt["contractAddress"])


def deploy_platform(
    w3: Web3,
    deployer_account: LocalAccount,
    *,
    agent: str,
    fee_recipient: str,
    fee_bps: int,
    admin: str | None = None,
    with_mock_stablecoin: bool = True,
    platform_timelock_delay: int = 2 * 24 * 3600,
    platform_proposers: Sequence[str] | None = None,
    platform_executors: Sequence[str] | None = None,
) -> dict[str, str]:
    """Deploy the whole platform and return ``{name: checksummed address}``.

    ``admin`` (default: the deployer) gets DEFAULT_ADMIN_ROLE on the registry and the factory
    (so it may call ``createProject``); ``agent`` gets the registry's AGENT_ROLE, which every
    project token honours for pause / forced transfer / recovery. The platform timelock owns
    every beacon; its proposers and executors default to ``[admin]``.
    """
    admin = Web3.to_checksum_address(admin or deployer_account.address)
    agent = Web3.to_checksum_address(agent)
    fee_recipient = Web3.to_checksum_address(fee_recipient)
    proposers = [Web3.to_checksum_address(a) for a in (platform_proposers or [admin])]
    executors = [Web3.to_checksum_address(a) for a in (platform_executors or [admin])]

    out: dict[str, str] = {}
    out["identity_registry"] = deploy_contract(w3, deployer_account, "IdentityRegistry", admin, agent)
    try:
        load_artifact("ProjectFactory")
    except FileNotFoundError:
        full_suite = False
    else:
        full_suite = True
    if full_suite:
        out["platform_timelock"] = deploy_contract(
            w3,
            deployer_account,
            "PlatformTimelock",
            platform_timelock_delay,
            proposers,
            executors,
            "0x0000000000000000000000000000000000000000",
        )
        for name, impl_key, beacon_key in IMPLEMENTATIONS:
            args: tuple[Any, ...] = (out["identity_registry"],) if name in ("ProjectToken", "Offering") else ()
            out[impl_key] = deploy_contract(w3, deployer_account, name, *args)
            out[beacon_key] = deploy_contract(
                w3, deployer_account, "ProjectBeacon", out[impl_key], out["platform_timelock"]
            )
        out["project_factory"] = deploy_contract(
            w3,
            deployer_account,
            "ProjectFactory",
            admin,
            out["identity_registry"],
            out["token_beacon"],
            out["offering_beacon"],
            out["treasury_beacon"],
            out["governor_beacon"],
            out["timelock_beacon"],
            fee_recipient,
            fee_bps,
        )
    if with_mock_stablecoin:
        out["mock_stablecoin"] = deploy_contract(w3, deployer_account, "MockStablecoin")
    return {k: Web3.to_checksum_address(v) for k, v in out.items()}


@dataclass
class ProjectParams:
    """Arguments of ``ProjectFactory.createProject`` (amounts in base units, times in unix seconds).

    ``price`` is the stablecoin amount (base units) paid for one whole token (10**18 token base
    units); caps and per-investor limits are in stablecoin base units.
    """

    name: str
    symbol: str
    spv: str
    stablecoin: str
    price: int
    soft_cap: int
    hard_cap: int
    min_investment: int
    max_investment: int
    start_time: int
    end_time: int
    cooling_off: int = 48 * 3600
    voting_delay: int = 3600
    voting_period: int = 3 * 24 * 3600
    proposal_threshold: int = 0
    quorum_numerator: int = 4
    timelock_delay: int = 24 * 3600

    def as_tuple(self) -> tuple[Any, ...]:
        d = asdict(self)
        d["spv"] = Web3.to_checksum_address(d["spv"])
        d["stablecoin"] = Web3.to_checksum_address(d["stablecoin"])
        return tuple(d.values())


def create_project(
    w3: Web3, admin_account: LocalAccount, factory_address: str, params: ProjectParams, **tx: Any
) -> tuple[dict[str, Any], TxReceipt]:
    """Call ``createProject`` and return (the decoded ``ProjectCreated`` args, the receipt).

    The dict has ``project_id``, ``token``, ``offering``, ``treasury``, ``governor``,
    ``timelock`` and ``spv``.
    """
    factory = contract(w3, "ProjectFactory", factory_address)
    receipt = transact(w3, admin_account, factory.functions.createProject(params.as_tuple()), **tx)
    events = factory.events.ProjectCreated().process_receipt(receipt, errors=DISCARD)
    if len(events) != 1:
        raise RuntimeError("ProjectCreated not emitted")
    args = events[0]["args"]
    return (
        {
            "project_id": int(args["projectId"]),
            "token": args["token"],
            "offering": args["offering"],
            "treasury": args["treasury"],
            "governor": args["governor"],
            "timelock": args["timelock"],
            "spv": args["spv"],
        },
        receipt,
    )
