"""Approval writes the investor's wallets to the IdentityRegistry on a real anvil (through the
chain outbox and sender); a wallet linked later is registered too; revocation and expiry remove
them; /me shows registered_on_chain from the indexed registry events."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from eth_account import Account
from partisipro.auth.models import Wallet
from partisipro.chain.anvil import Anvil
from partisipro.chain.indexer import Indexer
from partisipro.chain.sender import Sender
from partisipro.db import open_session, utcnow

from kyc import services as kyc
from kyc.jobs import kyc_expire_approvals
from kyc.models import KycApplication
from tests.fixtures.kyc import Person, decide, investor, officer, submitted_application
from tests.integration.chain.conftest import chain_env, deployed, node, sync_w3  # noqa: F401

pytestmark = pytest.mark.integration


async def _link_wallet(person: Person, *, after_approval: bool = False) -> str:
    address = Account.create().address
    async with open_session() as session:
        session.add(Wallet(user_id=person.user.id, address=address, verified_at=utcnow()))
        await session.flush()
        if after_approval:  # what the auth wallet-link service calls in its transaction
            await kyc.on_wallet_linked(session, person.user.id, address)
    return address


async def _settle() -> None:
    await Sender().run_until_idle()
    await Indexer().run_until_caught_up()


def _verified(node: Anvil, registry: str, wallet: str) -> bool:  # noqa: F811
    from partisipro.chain.deploy import contract

    return bool(contract(sync_w3(node), "IdentityRegistry", registry).functions.isVerified(wallet).call())


async def _me_wallets(client, person: Person) -> dict[str, bool]:
    me = await client.get("/api/v1/me", headers=person.headers)
    assert me.status_code == 200, me.text
    return {w["address"]: w["registered_on_chain"] for w in me.json()["wallets"]}


async def test_approval_registers_wallets_and_revocation_removes_them(
    chain_env: Anvil,  # noqa: F811
    deployed: dict[str, str],  # noqa: F811
    client,
) -> None:
    registry = deployed["identity_registry"]
    siti, andi = await investor(), await officer()
    first = await _link_wallet(siti)
    application_id = await submitted_application(client, siti)
    assert (await decide(client, andi, application_id, "approve", "low")).status_code == 200
    await _settle()
    assert _verified(chain_env, registry, first)
    assert (await _me_wallets(client, siti))[first] is True

    second = await _link_wallet(siti, after_approval=True)
    await _settle()
    assert _verified(chain_env, registry, second)
    assert await _me_wallets(client, siti) == {first: True, second: True}

    revoked = await client.post(
        f"/api/v1/compliance/kyc/{application_id}/revoke", json={"reason": "fraud report"}, headers=andi.headers
    )
    assert revoked.status_code == 200
    await _settle()
    assert not _verified(chain_env, registry, first)
    assert not _verified(chain_env, registry, second)
    assert await _me_wallets(client, siti) == {first: False, second: False}


async def test_expiry_removes_the_wallets_from_the_registry(
    chain_env: Anvil,  # noqa: F811
    deployed: dict[str, str],  # noqa: F811
    client,
) -> None:
    registry = deployed["identity_registry"]
    siti, andi = await investor(), await officer()
    wallet = await _link_wallet(siti)
    application_id = await submitted_application(client, siti)
    await decide(client, andi, application_id, "approve", "low")
    await _settle()
    assert _verified(chain_env, registry, wallet)

    async with open_session() as session:
        await session.execute(
            sa.update(KycApplication)
            .where(KycApplication.id == uuid.UUID(application_id))
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    assert (await kyc_expire_approvals({}))["expired"] == 1
    await _settle()
    assert not _verified(chain_env, registry, wallet)
    assert (await _me_wallets(client, siti))[wallet] is False


async def test_wallet_linked_before_any_approval_is_not_registered(
    chain_env: Anvil,  # noqa: F811
    deployed: dict[str, str],  # noqa: F811
    client,
) -> None:
    registry = deployed["identity_registry"]
    siti = await investor()
    await submitted_application(client, siti)
    wallet = await _link_wallet(siti, after_approval=True)
    await _settle()
    assert not _verified(chain_env, registry, wallet)
