"""Fixtures for the contract tests (real anvil, web3.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from partisipro.chain.deploy import ProjectParams, contract, create_project
from web3 import Web3

from tests.fixtures.anvil import *  # noqa: F403
from tests.fixtures.anvil import Accounts, Chain
from tests.integration.contracts.helpers import DAY, TOKEN_UNIT, USD, investor_id, send

PRICE = 10 * USD  # one whole token costs 10 stablecoin
KYC_EXPIRY = 4_000_000_000  # year 2096


@dataclass
class World:
    w3: Web3
    accounts: Accounts
    addresses: dict[str, str]
    registry: Any
    stable: Any
    factory: Any
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="session")
def world(w3: Web3, accounts: Accounts, platform_contracts: dict[str, str]) -> World:
    """Every investor registered (KYC valid until 2096) and funded with stablecoin."""
    registry = contract(w3, "IdentityRegistry", platform_contracts["identity_registry"])
    stable = contract(w3, "MockStablecoin", platform_contracts["mock_stablecoin"])
    factory = contract(w3, "ProjectFactory", platform_contracts["project_factory"])
    wallets = [a.address for a in accounts.investors]
    send(
        w3,
        accounts.agent,
        registry.functions.batchRegisterIdentity(
            wallets,
            [investor_id(i) for i in range(len(wallets))],
            [360] * len(wallets),
            [KYC_EXPIRY] * len(wallets),
        ),
    )
    for who in [*accounts.investors, accounts.spv, accounts.outsider, accounts.deployer]:
        send(w3, accounts.deployer, stable.functions.mint(who.address, 1_000_000 * USD))
    return World(w3, accounts, platform_contracts, registry, stable, factory)


@pytest.fixture
def isolated(world: World, chain: Chain) -> Chain:
    """Chain snapshot per test, taken after the session-wide setup."""
    return chain


@dataclass
class Project:
    w3: Web3
    world: World
    chain: Chain
    params: ProjectParams
    addresses: dict[str, Any]
    token: Any
    offering: Any
    treasury: Any
    governor: Any
    timelock: Any

    @property
    def investors(self) -> list[LocalAccount]:
        return self.world.accounts.investors

    def open(self) -> None:
        """Move time to the start of the offering."""
        if self.chain.now() < self.params.start_time:
            self.chain.warp(self.params.start_time)

    def invest(self, investor: LocalAccount, amount: int, approve: bool = True):
        if approve:
            send(self.w3, investor, self.world.stable.functions.approve(self.offering.address, amount))
        return send(self.w3, investor, self.offering.functions.invest(amount))

    def fund_and_settle(self, amounts: dict[int, int], finalize_at_end: bool = True) -> None:
        """Investors[i] invest amounts[i]; finalize; settle everyone."""
        self.open()
        for i, amount in amounts.items():
            self.invest(self.investors[i], amount)
        if finalize_at_end and self.chain.now() < self.params.end_time:
            self.chain.warp(self.params.end_time)
        send(self.w3, self.world.accounts.outsider, self.offering.functions.finalize())
        send(
            self.w3,
            self.world.accounts.outsider,
            self.offering.functions.settleBatch([self.investors[i].address for i in amounts]),
        )

    def distribute(self, amount: int):
        spv = self.world.accounts.spv
        send(self.w3, spv, self.world.stable.functions.approve(self.treasury.address, amount))
        return send(self.w3, spv, self.treasury.functions.distribute(amount))


def make_params(world: World, now: int, **overrides: Any) -> ProjectParams:
    base: dict[str, Any] = {
        "name": "Toll Road Token",
        "symbol": "TOLL",
        "spv": world.accounts.spv.address,
        "stablecoin": world.stable.address,
        "price": PRICE,
        "soft_cap": 1_000 * USD,
        "hard_cap": 10_000 * USD,
        "min_investment": 100 * USD,
        "max_investment": 5_000 * USD,
        "start_time": now + 1_000,
        "end_time": now + 1_000 + 30 * DAY,
        "cooling_off": 2 * DAY,
        "voting_delay": 3600,
        "voting_period": 3 * DAY,
        "proposal_threshold": 0,
        "quorum_numerator": 4,
        "timelock_delay": DAY,
    }
    base.update(overrides)
    return ProjectParams(**base)


def deploy_project(world: World, chain: Chain, **overrides: Any) -> Project:
    w3 = world.w3
    params = make_params(world, chain.now(), **overrides)
    addrs, _ = create_project(w3, world.accounts.deployer, world.factory.address, params)
    return Project(
        w3=w3,
        world=world,
        chain=chain,
        params=params,
        addresses=addrs,
        token=contract(w3, "ProjectToken", addrs["token"]),
        offering=contract(w3, "Offering", addrs["offering"]),
        treasury=contract(w3, "Treasury", addrs["treasury"]),
        governor=contract(w3, "ProjectGovernor", addrs["governor"]),
        timelock=contract(w3, "ProjectTimelock", addrs["timelock"]),
    )


@pytest.fixture
def project(world: World, isolated: Chain) -> Project:
    return deploy_project(world, isolated)


@pytest.fixture
def funded_project(project: Project) -> Project:
    """Offering succeeded: investors 0..3 hold 200, 100, 50, 50 tokens (settled)."""
    project.fund_and_settle({0: 2_000 * USD, 1: 1_000 * USD, 2: 500 * USD, 3: 500 * USD})
    assert project.token.functions.balanceOf(project.investors[0].address).call() == 200 * TOKEN_UNIT
    return project
