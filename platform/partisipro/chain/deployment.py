"""``partisipro chain deploy``: deploy the platform contracts once and record where they are.

Idempotent: when the database already records a deployment for this chain id and the
registry (and factory) still have code on chain, nothing is sent and the recorded addresses
are returned (and the JSON file rewritten). Otherwise the suite is deployed with
``deploy.deploy_platform`` (registry, implementations, beacons, platform timelock, factory;
the mock stablecoin outside production), the addresses replace the chain's rows in
``chain_deployment``, the indexer is told to watch them from the first deployment block, and
``{chain_id, start_block, contracts}`` is written to ``settings.deployments_file``
(default ``<var_dir>/deployments/<chain_id>.json``) for the operator to keep.

The deployer is the platform signer's local key (``PARTISIPRO_PLATFORM_SIGNER_KEY``) unless a
``deployer_key`` is given; it is also made the agent. Run it before the sender worker uses the
same key (the nonce manager then skips past the deployment's nonces by itself).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from eth_account import Account
from sqlalchemy import delete, select
from web3 import Web3

from partisipro.chain import client, indexer
from partisipro.chain.artifacts import list_artifacts
from partisipro.chain.models import Deployment
from partisipro.db import open_session, utcnow
from partisipro.settings import Settings, get_settings

log = structlog.get_logger("partisipro.chain.deployment")

# deployment key -> the artifact (indexer "kind") at that address
KINDS = {
    "identity_registry": "IdentityRegistry",
    "platform_timelock": "PlatformTimelock",
    "project_factory": "ProjectFactory",
    "mock_stablecoin": "MockStablecoin",
    "token_implementation": "ProjectToken",
    "offering_implementation": "Offering",
    "treasury_implementation": "Treasury",
    "governor_implementation": "ProjectGovernor",
    "timelock_implementation": "ProjectTimelock",
    "token_beacon": "ProjectBeacon",
    "offering_beacon": "ProjectBeacon",
    "treasury_beacon": "ProjectBeacon",
    "governor_beacon": "ProjectBeacon",
    "timelock_beacon": "ProjectBeacon",
}
# The addresses whose events the indexer reads (implementations emit nothing of interest).
WATCHED = (
    "identity_registry",
    "platform_timelock",
    "project_factory",
    "mock_stablecoin",
    "token_beacon",
    "offering_beacon",
    "treasury_beacon",
    "governor_beacon",
    "timelock_beacon",
)


class DeploymentError(RuntimeError):
    pass


@dataclass
class DeployResult:
    chain_id: int
    contracts: dict[str, str]
    start_block: int
    deployed: bool  # False: the recorded deployment was still there
    json_path: Path


def deployments_path(settings: Settings) -> Path:
    if settings.deployments_file:
        return Path(settings.deployments_file)
    return settings.var_dir / "deployments" / f"{settings.chain_id}.json"


async def recorded(chain_id: int | None = None) -> dict[str, str]:
    """The recorded platform addresses of this chain, ``{}`` when none."""
    chain_id = chain_id or get_settings().chain_id
    async with open_session(commit=False) as session:
        rows = await session.scalars(
            select(Deployment).where(Deployment.chain_id == chain_id, Deployment.active.is_(True))
        )
        return {row.name: row.address for row in rows}


async def address_of(name: str) -> str | None:
    return (await recorded()).get(name)


async def _has_code(address: str | None) -> bool:
    if not address:
        return False
    code = await client.rpc("eth_getCode", [address, "latest"])
    return bool(code and code != "0x")


async def deploy(
    *,
    force: bool = False,
    deployer_key: str | None = None,
    with_mock_stablecoin: bool | None = None,
    settings: Settings | None = None,
) -> DeployResult:
    settings = settings or get_settings()
    on_chain = await client.chain_id()
    if on_chain != settings.chain_id:
        raise DeploymentError(f"the RPC is chain {on_chain}, settings say {settings.chain_id}")
    path = deployments_path(settings)
    existing = await recorded(settings.chain_id)
    full_suite = "ProjectFactory" in list_artifacts()
    if (
        existing
        and not force
        and await _has_code(existing.get("identity_registry"))
        and (not full_suite or await _has_code(existing.get("project_factory")))
    ):
        start = await _start_block(existing)
        _write_json(path, settings.chain_id, start, existing)
        log.info("platform already deployed", chain_id=settings.chain_id, json=str(path))
        return DeployResult(settings.chain_id, existing, start, False, path)

    key = deployer_key or settings.platform_signer_key
    if not key:
        raise DeploymentError("deploying needs a local key: PARTISIPRO_PLATFORM_SIGNER_KEY or --deployer-key")
    deployer = Account.from_key(key)
    if with_mock_stablecoin is None:
        with_mock_stablecoin = not settings.is_production
    fee_recipient = settings.fee_recipient or deployer.address
    start_block = await client.block_number() + 1
    url = client.rpc_url()

    def run() -> dict[str, str]:
        from partisipro.chain.deploy import deploy_platform

        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
        return deploy_platform(
            w3,
            deployer,
            agent=deployer.address,
            fee_recipient=fee_recipient,
            fee_bps=settings.platform_fee_bps,
            with_mock_stablecoin=with_mock_stablecoin,
        )

    contracts = await asyncio.to_thread(run)
    if settings.stablecoin_address:
        contracts["stablecoin"] = Web3.to_checksum_address(settings.stablecoin_address)
    async with open_session() as session:
        await session.execute(delete(Deployment).where(Deployment.chain_id == settings.chain_id))
        for name, address in contracts.items():
            session.add(Deployment(chain_id=settings.chain_id, name=name, address=address, active=True))
        for name in WATCHED:
            if name in contracts:
                await indexer.watch(session, contracts[name], KINDS[name], from_block=start_block)
    _write_json(path, settings.chain_id, start_block, contracts)
    log.info("platform deployed", chain_id=settings.chain_id, contracts=contracts, json=str(path))
    return DeployResult(settings.chain_id, contracts, start_block, True, path)


async def _start_block(contracts: dict[str, str]) -> int:
    from partisipro.chain.models import WatchedContract

    async with open_session(commit=False) as session:
        rows = await session.scalars(
            select(WatchedContract.from_block).where(WatchedContract.address.in_(list(contracts.values())))
        )
        blocks = list(rows)
    return min(blocks) if blocks else 0


def _write_json(path: Path, chain_id: int, start_block: int, contracts: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "chain_id": chain_id,
        "start_block": start_block,
        "written_at": utcnow().isoformat(),
        "contracts": dict(sorted(contracts.items())),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
