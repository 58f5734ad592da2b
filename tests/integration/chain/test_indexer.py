"""The indexer against a real anvil: exactly-once events, balances, checkpoints, lease, reorgs."""

from __future__ import annotations

import asyncio

import pytest
from partisipro import events
from partisipro.chain import indexer
from partisipro.chain.anvil import Anvil
from partisipro.chain.indexer import ChainLog, Indexer
from partisipro.chain.models import ChainEvent, TokenBalance, WatchedContract
from partisipro.db import open_session
from sqlalchemy import func, select

from tests.integration.chain.conftest import balance_of, holders, sync_w3, token_call

pytestmark = pytest.mark.integration


async def _count_events(name: str = "Transfer") -> int:
    async with open_session(commit=False) as session:
        return int(await session.scalar(select(func.count()).where(ChainEvent.event_name == name)) or 0)


async def _indexed_balance(token: str, wallet: str) -> int:
    async with open_session(commit=False) as session:
        return await indexer.token_balance(session, token, wallet)


async def _assert_balances_equal_chain(node: Anvil, token: str, wallets: list[str]) -> None:
    for wallet in wallets:
        assert await _indexed_balance(token, wallet) == balance_of(node, token, wallet), wallet


async def test_transfers_are_stored_once_and_balances_equal_the_chain(
    chain_env: Anvil, deployed: dict[str, str]
) -> None:
    token = deployed["mock_stablecoin"]
    people = holders(4)
    for i, person in enumerate(people):
        token_call(chain_env, token, person, "mint", person.address, 1_000_000 * (i + 1))
    token_call(chain_env, token, people[0], "transfer", people[1].address, 250_000)
    token_call(chain_env, token, people[2], "transfer", people[3].address, 1)

    first = Indexer()
    await first.run_until_caught_up()
    assert await _count_events() == 6
    await _assert_balances_equal_chain(chain_env, token, [p.address for p in people])

    await first.run_once()  # nothing new: nothing applied twice
    assert await _count_events() == 6
    await _assert_balances_equal_chain(chain_env, token, [p.address for p in people])


async def test_indexer_resumes_from_its_checkpoint_after_a_restart(chain_env: Anvil, deployed: dict[str, str]) -> None:
    token = deployed["mock_stablecoin"]
    [alice, bob] = holders(2)
    token_call(chain_env, token, alice, "mint", alice.address, 500)
    crashed = Indexer(lease_seconds=0.0)  # as if its process died and the lease ran out
    await crashed.run_until_caught_up()
    token_call(chain_env, token, alice, "transfer", bob.address, 200)
    token_call(chain_env, token, bob, "mint", bob.address, 7)

    restarted = Indexer()
    await restarted.run_until_caught_up()
    assert restarted.owner != crashed.owner
    assert await _count_events() == 3
    assert await _indexed_balance(token, alice.address) == 300
    assert await _indexed_balance(token, bob.address) == 207


async def test_a_standby_indexer_applies_nothing_while_the_leader_holds_the_lease(
    chain_env: Anvil, deployed: dict[str, str]
) -> None:
    token = deployed["mock_stablecoin"]
    [alice] = holders(1)
    leader, standby = Indexer(), Indexer()
    await leader.run_once()
    token_call(chain_env, token, alice, "mint", alice.address, 42)
    assert await standby.run_once() == 0
    assert await _count_events() == 0
    await leader.release()
    await standby.run_until_caught_up()
    assert await _count_events() == 1
    assert await _indexed_balance(token, alice.address) == 42


async def test_project_created_makes_the_indexer_watch_the_project_contracts(
    chain_env: Anvil, deployed: dict[str, str]
) -> None:
    from partisipro.chain.deploy import ProjectParams, create_project

    from tests.integration.chain.conftest import DEPLOYER

    w3 = sync_w3(chain_env)
    now = w3.eth.get_block("latest")["timestamp"]
    spv = holders(1)[0].address
    params = ProjectParams(
        name="Toll Road",
        symbol="TOLL",
        spv=spv,
        stablecoin=deployed["mock_stablecoin"],
        price=1_000_000,
        soft_cap=10_000_000,
        hard_cap=100_000_000,
        min_investment=1_000_000,
        max_investment=50_000_000,
        start_time=now + 60,
        end_time=now + 30 * 86400,
    )
    created, _ = create_project(w3, DEPLOYER, deployed["project_factory"], params)
    await Indexer().run_until_caught_up()

    async with open_session(commit=False) as session:
        watched = {
            row.kind: row
            for row in await session.scalars(
                select(WatchedContract).where(WatchedContract.project_ref == str(created["project_id"]))
            )
        }
    assert {kind: row.address for kind, row in watched.items()} == {
        "ProjectToken": created["token"],
        "Offering": created["offering"],
        "Treasury": created["treasury"],
        "ProjectGovernor": created["governor"],
        "ProjectTimelock": created["timelock"],
    }
    assert await _count_events("ProjectCreated") == 1


async def test_applied_events_are_published_on_the_public_channel(chain_env: Anvil, deployed: dict[str, str]) -> None:
    token = deployed["mock_stablecoin"]
    [alice] = holders(1)
    token_call(chain_env, token, alice, "mint", alice.address, 99)
    async with events.subscribe("public") as inbox:
        await asyncio.sleep(0.05)  # the subscription is live before we publish
        await Indexer().run_until_caught_up()
        received = []
        while not any(m.get("event") == "Transfer" for m in received):
            received.append(await asyncio.wait_for(inbox.get(), timeout=5))
    message = received[-1]
    assert message["type"] == "chain.event"
    assert message["event"] == "Transfer"
    assert message["args"]["to"] == alice.address
    assert message["args"]["value"] == "99"
    history = await events.history("public")
    assert any(p.get("args", {}).get("value") == "99" for _, p in history)


async def test_reorg_rolls_back_orphaned_events_and_balances_equal_the_chain_account_by_account(
    chain_env: Anvil, deployed: dict[str, str]
) -> None:
    token = deployed["mock_stablecoin"]
    people = holders(5)
    w3 = sync_w3(chain_env)
    seen: list[tuple[str, int]] = []
    undone: list[tuple[str, int]] = []

    async def on_transfer(session: object, event: ChainLog) -> None:
        seen.append(event.key)

    async def on_transfer_reverted(session: object, event: ChainLog) -> None:
        undone.append(event.key)

    indexer.on_event("MockStablecoin", "Transfer")(on_transfer)
    indexer.on_revert("MockStablecoin", "Transfer")(on_transfer_reverted)
    try:
        for person in people:
            token_call(chain_env, token, person, "mint", person.address, 1_000)
        snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
        orphaned = [
            token_call(chain_env, token, people[0], "transfer", people[1].address, 400),
            token_call(chain_env, token, people[2], "mint", people[2].address, 5_000),
        ]
        live = Indexer()
        await live.run_until_caught_up()
        assert await _indexed_balance(token, people[1].address) == 1_400

        # The other branch: the two blocks above never happened; different ones did, and more.
        assert w3.provider.make_request("evm_revert", [snapshot])["result"]
        token_call(chain_env, token, people[3], "transfer", people[4].address, 250)
        token_call(chain_env, token, people[1], "transfer", people[0].address, 100)
        token_call(chain_env, token, people[4], "mint", people[4].address, 3)
        await live.run_until_caught_up()
        await live.run_until_caught_up()
    finally:
        indexer._handlers[("MockStablecoin", "Transfer")].remove(on_transfer)
        indexer._reverters[("MockStablecoin", "Transfer")].remove(on_transfer_reverted)

    await _assert_balances_equal_chain(chain_env, token, [p.address for p in people])
    orphan_hashes = {"0x" + r["transactionHash"].hex() for r in orphaned}
    async with open_session(commit=False) as session:
        stored = set(await session.scalars(select(ChainEvent.tx_hash)))
        balances = {(b.wallet, b.balance) for b in await session.scalars(select(TokenBalance))}
    assert not orphan_hashes & stored
    assert {key[0] for key in undone} == orphan_hashes
    assert len(balances) == 5
    assert await _count_events() == 8
