"""The transaction outbox and its sender against a real anvil and MariaDB."""

from __future__ import annotations

import asyncio

import pytest
from eth_account import Account
from partisipro.chain import outbox
from partisipro.chain.anvil import Anvil
from partisipro.chain.models import IntentStatus, TxIntent
from partisipro.chain.sender import Sender, SenderConfig
from partisipro.db import open_session
from sqlalchemy import select

from tests.integration.chain.conftest import DEPLOYER, sync_w3

pytestmark = pytest.mark.integration


async def _all_intents() -> list[TxIntent]:
    async with open_session(commit=False) as session:
        return list(await session.scalars(select(TxIntent).order_by(TxIntent.nonce)))


async def test_200_concurrent_intents_are_all_mined_once_with_contiguous_nonces(chain_env: Anvil) -> None:
    w3 = sync_w3(chain_env)
    start_nonce = w3.eth.get_transaction_count(DEPLOYER.address)
    recipients = [Account.create().address for _ in range(200)]

    async def writer(task: int) -> None:
        for i in range(10):
            n = task * 10 + i
            async with open_session() as session:
                await outbox.enqueue_intent(
                    session,
                    contract=outbox.NATIVE,
                    address=recipients[n],
                    function="",
                    args=[],
                    idempotency_key=f"pay:{n}",
                    value=n + 1,
                )

    await asyncio.gather(*(writer(t) for t in range(20)))
    # two workers at once, as two `partisipro worker` processes would run
    first, second = Sender(), Sender()
    await asyncio.gather(first.run_until_idle(), second.run_until_idle())

    intents = await _all_intents()
    assert len(intents) == 200
    assert {i.status for i in intents} == {IntentStatus.MINED}
    assert [i.nonce for i in intents] == list(range(start_nonce, start_nonce + 200))
    assert len({i.tx_hash for i in intents}) == 200
    assert w3.eth.get_transaction_count(DEPLOYER.address) == start_nonce + 200
    for n, address in enumerate(recipients):
        assert w3.eth.get_balance(address) == n + 1  # a second send would double it


async def test_enqueue_with_the_same_key_twice_makes_one_transaction(chain_env: Anvil) -> None:
    recipient = Account.create().address
    for _ in range(2):
        async with open_session() as session:
            await outbox.enqueue_intent(
                session,
                contract=outbox.NATIVE,
                address=recipient,
                function="",
                args=[],
                idempotency_key="once",
                value=7,
            )
    await Sender().run_until_idle()
    assert len(await _all_intents()) == 1
    assert sync_w3(chain_env).eth.get_balance(recipient) == 7


async def test_intent_written_in_a_rolled_back_transaction_is_never_sent(chain_env: Anvil) -> None:
    recipient = Account.create().address
    with pytest.raises(RuntimeError):
        async with open_session() as session:
            await outbox.enqueue_intent(
                session,
                contract=outbox.NATIVE,
                address=recipient,
                function="",
                args=[],
                idempotency_key="rolled-back",
                value=5,
            )
            raise RuntimeError("the business change failed")
    await Sender().run_until_idle()
    assert await _all_intents() == []
    assert sync_w3(chain_env).eth.get_balance(recipient) == 0


async def test_signed_but_unsent_intent_is_rebroadcast_with_the_same_hash_after_a_crash(
    chain_env: Anvil,
) -> None:
    recipient = Account.create().address
    async with open_session() as session:
        await outbox.enqueue_intent(
            session,
            contract=outbox.NATIVE,
            address=recipient,
            function="",
            args=[],
            idempotency_key="crash",
            value=11,
        )

    # A worker killed after committing the signature but before broadcasting it:
    async def killed_before_broadcast(items: list) -> int:
        return 0

    crashed = Sender()
    crashed._broadcast = killed_before_broadcast  # type: ignore[method-assign]
    await crashed.run_once()
    [intent] = await _all_intents()
    assert intent.status == IntentStatus.SIGNED
    assert sync_w3(chain_env).eth.get_balance(recipient) == 0
    intents = await _all_intents()
    signed_hash = intents[0].tx_hash
    await Sender().run_until_idle()
    intents = await _all_intents()
    assert intents[0].status == IntentStatus.MINED
    assert intents[0].tx_hash == signed_hash
    assert sync_w3(chain_env).eth.get_balance(recipient) == 11


async def test_stuck_transaction_is_replaced_with_higher_fees_and_mined_once(chain_env: Anvil) -> None:
    w3 = sync_w3(chain_env)
    w3.provider.make_request("evm_setAutomine", [False])
    recipient = Account.create().address
    async with open_session() as session:
        await outbox.enqueue_intent(
            session,
            contract=outbox.NATIVE,
            address=recipient,
            function="",
            args=[],
            idempotency_key="stuck",
            value=13,
        )
    sender = Sender(config=SenderConfig(stuck_seconds=0.0))
    await sender.run_once()  # signs and sends: stays in anvil's pool (no mining)
    await sender.run_once()  # past the (zero) deadline: replaced
    [intent] = await _all_intents()
    assert intent.status == IntentStatus.SENT
    assert intent.replacements >= 1
    assert len(intent.previous_hashes) == intent.replacements
    w3.provider.make_request("evm_setAutomine", [True])
    w3.provider.make_request("evm_mine", [])
    await Sender(config=SenderConfig(stuck_seconds=3600)).run_until_idle()
    [intent] = await _all_intents()
    assert intent.status == IntentStatus.MINED
    assert w3.eth.get_balance(recipient) == 13
    assert w3.eth.get_transaction_count(DEPLOYER.address) == intent.nonce + 1
