"""KMS signing, intents that cannot succeed, and `partisipro chain deploy`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from partisipro.chain import client, outbox
from partisipro.chain.anvil import Anvil
from partisipro.chain.models import Deployment, IntentStatus, TxIntent
from partisipro.chain.sender import Sender
from partisipro.chain.signer import KmsSigner
from partisipro.db import open_session
from sqlalchemy import select

from tests.integration.chain.conftest import DEPLOYER, holders, sync_w3

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


class LocalKms:
    """Stands in for AWS KMS (an ECC_SECG_P256K1 SIGN_VERIFY key): the same two calls, the same
    DER formats, signing the given digest as KMS does for ``MessageType="DIGEST"`` (moto hashes
    the digest again, so it cannot play this part)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = ec.generate_private_key(ec.SECP256K1())

    def get_public_key(self, KeyId: str) -> dict[str, bytes]:
        from cryptography.hazmat.primitives import serialization

        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"PublicKey": der}

    def sign(self, KeyId: str, Message: bytes, MessageType: str, SigningAlgorithm: str) -> dict[str, bytes]:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils

        assert MessageType == "DIGEST" and SigningAlgorithm == "ECDSA_SHA_256" and len(Message) == 32
        return {"Signature": self._key.sign(Message, ec.ECDSA(utils.Prehashed(hashes.SHA256())))}


async def test_kms_signer_signs_transactions_the_chain_attributes_to_its_address(chain_env: Anvil) -> None:
    signer = KmsSigner("alias/platform", client=LocalKms())
    w3 = sync_w3(chain_env)
    w3.provider.make_request("anvil_setBalance", [signer.address, hex(10**18)])
    recipient = Account.create().address
    for nonce in range(8):  # several signatures: both recovery ids and the low-s rule get exercised
        signed = await signer.sign(
            {
                "type": 2,
                "chainId": 31337,
                "nonce": nonce,
                "to": recipient,
                "value": 1000,
                "gas": 21000,
                "maxFeePerGas": 10**10,
                "maxPriorityFeePerGas": 1,
                "data": "0x",
            }
        )
        sent = await client.rpc("eth_sendRawTransaction", [signed.raw])
        assert sent == signed.hash
        receipt = w3.eth.wait_for_transaction_receipt(signed.hash)
        assert receipt["status"] == 1
        assert receipt["from"] == signer.address
    assert w3.eth.get_balance(recipient) == 8000


async def test_intent_whose_call_reverts_fails_with_the_decoded_reason_and_takes_no_nonce(
    chain_env: Anvil, deployed: dict[str, str]
) -> None:
    w3 = sync_w3(chain_env)
    start_nonce = w3.eth.get_transaction_count(DEPLOYER.address)
    [holder] = holders(1)
    async with open_session() as session:
        await outbox.enqueue_intent(
            session,
            contract="MockStablecoin",
            address=deployed["mock_stablecoin"],
            function="transferFrom",
            args=[holder.address, DEPLOYER.address, 5],
            idempotency_key="no-allowance",
        )
        await outbox.enqueue_intent(
            session,
            contract=outbox.NATIVE,
            address=holder.address,
            function="",
            args=[],
            idempotency_key="after",
            value=1,
        )
    await Sender().run_until_idle()
    async with open_session(commit=False) as session:
        failed = await outbox.get_intent(session, "no-allowance")
        after = await outbox.get_intent(session, "after")
    assert failed is not None and after is not None
    assert failed.status == IntentStatus.FAILED
    assert failed.nonce is None
    assert "ERC20InsufficientAllowance" in (failed.error or "")
    assert after.status == IntentStatus.MINED
    assert after.nonce == start_nonce  # no gap: the failed intent never took a nonce
    assert w3.eth.get_transaction_count(DEPLOYER.address) == start_nonce + 1


async def test_enqueue_rejects_arguments_the_abi_cannot_encode(chain_env: Anvil) -> None:
    async with open_session() as session:
        with pytest.raises(ValueError, match="cannot encode"):
            await outbox.enqueue_intent(
                session,
                contract="MockStablecoin",
                address=DEPLOYER.address,
                function="mint",
                args=["not an address", 1],
                idempotency_key="bad",
            )
    async with open_session(commit=False) as session:
        assert list(await session.scalars(select(TxIntent))) == []


def _cli(node: Anvil, json_path: Path, *args: str, chain_id: str = "31337") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PARTISIPRO_PROFILE": "test",
        "PARTISIPRO_CHAIN_RPC_URL": node.rpc_url,
        "PARTISIPRO_DEPLOYMENTS_FILE": str(json_path),
        "PARTISIPRO_LOG_LEVEL": "WARNING",
        "PARTISIPRO_CHAIN_ID": chain_id,
    }
    return subprocess.run(
        [sys.executable, "-m", "partisipro.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_chain_deploy_records_the_platform_and_is_idempotent(chain_env: Anvil, tmp_path: Path) -> None:
    json_path = tmp_path / "platform.json"
    first = _cli(chain_env, json_path, "chain", "deploy")
    assert first.returncode == 0, first.stderr
    assert "platform deployed on chain 31337" in first.stdout
    written = json.loads(json_path.read_text())
    block_after_first = sync_w3(chain_env).eth.block_number

    second = _cli(chain_env, json_path, "chain", "deploy")
    assert second.returncode == 0, second.stderr
    assert "already deployed" in second.stdout
    assert sync_w3(chain_env).eth.block_number == block_after_first  # nothing sent the second time

    async with open_session(commit=False) as session:
        rows = {d.name: d.address for d in await session.scalars(select(Deployment))}
    assert rows == written["contracts"] == json.loads(json_path.read_text())["contracts"]
    assert written["chain_id"] == 31337
    for name in ("identity_registry", "project_factory", "mock_stablecoin", "platform_timelock"):
        assert sync_w3(chain_env).eth.get_code(rows[name]) != b""


async def test_chain_deploy_refuses_a_chain_with_another_id(chain_env: Anvil, tmp_path: Path) -> None:
    result = _cli(chain_env, tmp_path / "x.json", "chain", "deploy", chain_id="42161")
    assert result.returncode != 0
    assert "chain 31337, settings say 42161" in result.stderr
