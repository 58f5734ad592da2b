"""POST /investments: every check in order with its status code, the transactions, idempotency."""

import asyncio

import pytest
import sqlalchemy as sa
from eth_account import Account
from partisipro.db import open_session

from tests.fixtures.projects import (
    API,
    USDC,
    deployed_project,
    kyc_approved_investor,
    link_wallet,
    set_raised,
)
from tests.fixtures.users import bearer_headers, make_user

pytestmark = pytest.mark.integration


async def ready_investor(**kwargs):
    investor, headers = await kyc_approved_investor(**kwargs)
    wallet = Account.create().address
    await link_wallet(investor, wallet)
    return investor, headers, wallet


async def invest(client, headers, project_id, wallet, amount, **extra):
    body = {"project_id": project_id, "amount": str(amount), "wallet": wallet}
    return await client.post(f"{API}/investments", json=body, headers={**headers, **extra})


async def test_an_intent_returns_the_approve_and_invest_transactions(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    response = await invest(client, headers, project["id"], wallet, 1_000 * USDC)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "awaiting_signature"
    approve, invest_tx = body["transactions"]
    assert approve["to"] == "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    assert approve["data"].startswith("0x095ea7b3")  # approve(address,uint256)
    assert invest_tx["to"] == project_offering(project)
    assert invest_tx["data"].startswith("0x2afcf480")  # invest(uint256)
    assert invest_tx["value"] == "0" and invest_tx["chain_id"] == 31337 and invest_tx["gas"] > 0
    mine = await client.get(f"{API}/investments/{body['id']}", headers=headers)
    assert mine.json()["status"] == "awaiting_signature"


def project_offering(project):
    from web3 import Web3

    return Web3.to_checksum_address("0x" + f"{2:02x}{1:038x}")  # the offering address deployed_project(n=1) uses


async def test_an_spv_may_not_invest_403(client):
    project = await deployed_project(client)
    spv, _, _ = await make_user(role="spv")
    response = await invest(client, bearer_headers(spv), project["id"], Account.create().address, 1_000 * USDC)
    assert response.status_code == 403


async def test_kyc_not_approved_is_403(client):
    project = await deployed_project(client)
    investor, headers = await kyc_approved_investor(approved=False)
    wallet = Account.create().address
    await link_wallet(investor, wallet)
    response = await invest(client, headers, project["id"], wallet, 1_000 * USDC)
    assert response.status_code == 403


async def test_a_wallet_not_linked_to_the_caller_is_409(client):
    project = await deployed_project(client)
    _, headers, _ = await ready_investor()
    _, _, someone_elses = await ready_investor()
    response = await invest(client, headers, project["id"], someone_elses, 1_000 * USDC)
    assert response.status_code == 409


async def test_a_wallet_not_registered_on_chain_is_409(client):
    project = await deployed_project(client)
    investor, headers = await kyc_approved_investor()
    wallet = Account.create().address
    await link_wallet(investor, wallet, registered=False)
    response = await invest(client, headers, project["id"], wallet, 1_000 * USDC)
    assert response.status_code == 409
    assert "registered" in response.json()["detail"]


async def test_an_offering_that_is_not_open_yet_is_409(client):
    project = await deployed_project(client, opened=False)
    _, headers, wallet = await ready_investor()
    response = await invest(client, headers, project["id"], wallet, 1_000 * USDC)
    assert response.status_code == 409
    assert "upcoming" in response.json()["detail"]


async def test_below_the_minimum_is_422(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    response = await invest(client, headers, project["id"], wallet, 99 * USDC)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount"


async def test_above_the_maximum_counting_what_the_investor_already_put_in_is_422(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    first = await invest(client, headers, project["id"], wallet, 30_000 * USDC)
    assert first.status_code == 201
    await _confirm(first.json()["id"])
    second = await invest(client, headers, project["id"], wallet, 25_000 * USDC)
    assert second.status_code == 422
    assert second.json()["errors"][0]["message"] == f"at most {20_000 * USDC}"


async def test_over_the_yearly_limit_by_income_is_422(client):
    project = await deployed_project(client)
    # 5 % of Rp 100,000 a year = Rp 5,000; the stablecoin is rupiah-pegged.
    _, headers, wallet = await ready_investor(annual_income_idr=100_000)
    response = await invest(client, headers, project["id"], wallet, 10_000 * USDC)
    assert response.status_code == 422
    assert "yearly" in response.json()["detail"]


async def test_me_limits_counts_what_the_investor_put_in_across_projects(client):
    first, second = await deployed_project(client, n=1), await deployed_project(client, n=2)
    # 5 % of Rp 10,000,000 a year = Rp 500,000; the stablecoin is rupiah-pegged.
    _, headers, wallet = await ready_investor(annual_income_idr=10_000_000)
    assert (await invest(client, headers, first["id"], wallet, 1_000 * USDC)).status_code == 201
    assert (await invest(client, headers, second["id"], wallet, 2_500 * USDC)).status_code == 201
    limits = (await client.get(f"{API}/me/limits", headers=headers)).json()
    assert limits["yearly_limit"] == "500000"
    assert limits["used"] == "3500" and limits["remaining"] == str(500_000 - 3_500)


async def test_over_the_remaining_capacity_is_409(client):
    project = await deployed_project(client)
    await set_raised(project["id"], 499_500 * USDC)
    _, headers, wallet = await ready_investor()
    response = await invest(client, headers, project["id"], wallet, 1_000 * USDC)
    assert response.status_code == 409
    assert str(500 * USDC) in response.json()["detail"]


async def test_the_checks_run_in_the_documented_order(client):
    """KYC (403) is reported before the wallet (409), the wallet before the minimum (422)."""
    project = await deployed_project(client)
    _, headers = await kyc_approved_investor(approved=False)
    response = await invest(client, headers, project["id"], Account.create().address, 1 * USDC)
    assert response.status_code == 403


async def test_an_unknown_project_is_404(client):
    _, headers, wallet = await ready_investor()
    response = await invest(client, headers, "6f1e4c1e-3c1b-4b8e-9b1a-1a2b3c4d5e6f", wallet, 1_000 * USDC)
    assert response.status_code == 404


async def test_a_malformed_amount_is_400_naming_the_field(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    response = await invest(client, headers, project["id"], wallet, "1e6")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "amount"


async def test_another_investors_investment_is_404(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    created = (await invest(client, headers, project["id"], wallet, 1_000 * USDC)).json()
    _, other_headers, _ = await ready_investor()
    response = await client.get(f"{API}/investments/{created['id']}", headers=other_headers)
    assert response.status_code == 404


async def test_the_same_idempotency_key_and_body_returns_the_first_answer(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    key = {"Idempotency-Key": "invest-42"}
    first = await invest(client, headers, project["id"], wallet, 1_000 * USDC, **key)
    second = await invest(client, headers, project["id"], wallet, 1_000 * USDC, **key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    listing = (await client.get(f"{API}/investments", headers=headers)).json()
    assert listing["total"] == 1


async def test_the_same_idempotency_key_with_another_body_is_422(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    key = {"Idempotency-Key": "invest-43"}
    assert (await invest(client, headers, project["id"], wallet, 1_000 * USDC, **key)).status_code == 201
    other = await invest(client, headers, project["id"], wallet, 2_000 * USDC, **key)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_concurrent_requests_with_one_idempotency_key_create_one_investment(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    key = {"Idempotency-Key": "invest-race"}
    responses = await asyncio.gather(
        *(invest(client, headers, project["id"], wallet, 1_000 * USDC, **key) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    async with open_session() as session:
        count = await session.scalar(sa.text("SELECT COUNT(*) FROM investment"))
    assert count == 1


async def test_one_investors_concurrent_intents_never_fail_with_a_server_error(client):
    # Parallel intents of one wallet for one offering lock the same rows (the older unsent intent
    # is expired by the newer); InnoDB may pick one as a deadlock victim: the handler runs it again.
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    responses = await asyncio.gather(*(invest(client, headers, project["id"], wallet, 100 * USDC) for _ in range(12)))
    assert all(r.status_code == 201 or (r.status_code == 409 and r.headers.get("retry-after")) for r in responses), [
        (r.status_code, r.text[:200]) for r in responses
    ]
    from partisipro.offerings.models import Investment

    created = {r.json()["id"] for r in responses if r.status_code == 201}
    async with open_session() as session:
        stored = {str(i) for i in await session.scalars(sa.select(Investment.id))}
    assert created and created <= stored


async def _confirm(investment_id: str) -> None:
    """Apply the Invested event of this intent through the indexer's handler."""
    import uuid

    from partisipro.chain.indexer import ChainLog
    from partisipro.offerings import services
    from partisipro.offerings.models import Investment

    async with open_session() as session:
        inv = await session.get(Investment, uuid.UUID(investment_id))
        event = ChainLog(
            contract_kind="Offering",
            event_name="Invested",
            args={"contributionId": "1", "investor": inv.wallet, "amount": str(inv.amount), "tokens": "0"},
            address=inv.offering_address,
            block_number=10,
            block_hash="0x" + "ab" * 32,
            block_timestamp=None,
            tx_hash="0x" + uuid.uuid4().hex * 2,
            log_index=0,
        )
        await services.on_invested(session, event)


async def test_a_confirmed_investment_shows_in_the_portfolio_the_offering_and_the_stats(client):
    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    created = (await invest(client, headers, project["id"], wallet, 2_500 * USDC)).json()
    await _confirm(created["id"])
    mine = (await client.get(f"{API}/investments/{created['id']}", headers=headers)).json()
    assert mine["status"] == "confirmed"
    assert mine["cancel_deadline"] is not None
    portfolio = (await client.get(f"{API}/portfolio", headers=headers)).json()
    assert [(p["project_id"], p["invested"], p["pending"]) for p in portfolio["items"]] == [
        (project["id"], str(2_500 * USDC), "0")
    ]
    offering = (await client.get(f"{API}/projects/{project['id']}")).json()["offering"]
    assert (offering["raised"], offering["investors"], offering["status"]) == (str(2_500 * USDC), 1, "open")
    stats = (await client.get(f"{API}/stats")).json()
    assert (stats["projects"], stats["investors"], stats["total_raised"]) == (1, 1, str(2_500 * USDC))


async def test_an_on_chain_investment_made_without_the_api_is_attributed_to_the_wallet_owner(client):
    import uuid

    from partisipro.chain.indexer import ChainLog
    from partisipro.offerings import services

    project = await deployed_project(client)
    _, headers, wallet = await ready_investor()
    async with open_session() as session:
        await services.on_invested(
            session,
            ChainLog(
                contract_kind="Offering",
                event_name="Invested",
                args={"contributionId": "7", "investor": wallet, "amount": str(500 * USDC), "tokens": "0"},
                address=project_offering(project),
                block_number=12,
                block_hash="0x" + "cd" * 32,
                block_timestamp=None,
                tx_hash="0x" + uuid.uuid4().hex * 2,
                log_index=3,
            ),
        )
    listing = (await client.get(f"{API}/investments", headers=headers)).json()
    assert [(i["status"], i["method"], i["amount"]) for i in listing["items"]] == [
        ("confirmed", "chain", str(500 * USDC))
    ]
