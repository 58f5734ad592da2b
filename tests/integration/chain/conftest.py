"""Fixtures of the chain integration tests: a fresh anvil per test, the app pointed at it.

Each test gets its own anvil (a new chain, so the indexer's checkpoint and the signer's
nonces start from nothing, matching the truncated tables).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from eth_account import Account
from partisipro.chain.anvil import DEFAULT_MNEMONIC, Anvil
from web3 import Web3

Account.enable_unaudited_hdwallet_features()
DEPLOYER = Account.from_mnemonic(DEFAULT_MNEMONIC, account_path="m/44'/60'/0'/0/0")
OUTSIDER = Account.from_mnemonic(DEFAULT_MNEMONIC, account_path="m/44'/60'/0'/0/4")


def start_node(**kwargs: Any) -> Anvil:
    return Anvil(accounts=12, balance_ether=100_000, **kwargs).start()


@pytest.fixture
def node() -> Iterator[Anvil]:
    anvil = start_node()
    try:
        yield anvil
    finally:
        anvil.stop()


def point_settings_at(monkeypatch: pytest.MonkeyPatch, rpc_url: str) -> None:
    from partisipro.chain import sender
    from partisipro.settings import reset_settings

    monkeypatch.setenv("PARTISIPRO_CHAIN_RPC_URL", rpc_url)
    reset_settings()
    sender._senders.clear()


@pytest.fixture
async def chain_env(
    node: Anvil, clean_db: str, clean_redis: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> AsyncIterator[Anvil]:
    """Empty tables and Redis, settings pointing at this test's anvil."""
    from partisipro.chain.client import close_clients

    monkeypatch.setenv("PARTISIPRO_DEPLOYMENTS_FILE", str(tmp_path / "deployments.json"))
    point_settings_at(monkeypatch, node.rpc_url)
    try:
        yield node
    finally:
        await close_clients()


def sync_w3(node: Anvil) -> Web3:
    return Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 30}))


def holders(n: int = 5) -> list[Any]:
    return [Account.from_mnemonic(DEFAULT_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(5, 5 + n)]


@pytest.fixture
async def deployed(chain_env: Anvil) -> dict[str, str]:
    """The platform deployed on this test's anvil through `partisipro chain deploy`'s logic."""
    from partisipro.chain import deployment

    result = await deployment.deploy()
    return result.contracts


def token_call(node: Anvil, token: str, account: Any, function: str, *args: Any) -> Any:
    from partisipro.chain.deploy import contract, transact

    w3 = sync_w3(node)
    bound = contract(w3, "MockStablecoin", token)
    return transact(w3, account, getattr(bound.functions, function)(*args))


def balance_of(node: Anvil, token: str, wallet: str) -> int:
    from partisipro.chain.deploy import contract

    return int(contract(sync_w3(node), "MockStablecoin", token).functions.balanceOf(wallet).call())
