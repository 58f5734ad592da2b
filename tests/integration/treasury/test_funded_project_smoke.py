"""The funded-project factory itself (the ground the treasury tests stand on)."""

import pytest

from tests.fixtures.treasury import funded_project, holders

pytestmark = pytest.mark.integration


async def test_a_funded_project_has_its_tokens_delivered_and_status_funded(client, chain_env) -> None:
    alice, bob = holders(2)
    project = await funded_project(client, chain_env, [(alice, 300), (bob, 200)])
    body = (await client.get(f"/api/v1/projects/{project.id}")).json()
    assert body["status"] == "funded"
