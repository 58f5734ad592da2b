"""Helpers for the contract tests: sending, expecting exact custom errors, EIP-712 signatures."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from partisipro.chain.deploy import contract, transact
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.types import TxReceipt

ZERO = "0x0000000000000000000000000000000000000000"
DAY = 24 * 3600
TOKEN_UNIT = 10**18
USD = 10**6  # MockStablecoin has 6 decimals


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


def send(w3: Web3, account: LocalAccount, fn: Any, gas: int | None = None, **tx: Any) -> TxReceipt:
    if gas is not None:
        tx["gas"] = gas
    return transact(w3, account, fn, **tx)


def _revert_data(exc: BaseException) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, bytes):
        data = "0x" + data.hex()
    if not isinstance(data, str):
        raise AssertionError(f"no revert data in {exc!r}")
    return data if data.startswith("0x") else "0x" + data


def expect_revert(
    w3: Web3,
    account: LocalAccount | str,
    fn: Any,
    error: str,
    args: tuple[Any, ...] | None = None,
    value: int = 0,
) -> None:
    """Assert that ``fn`` from ``account`` reverts with custom error ``error`` (e.g.
    ``"OfferingEnded()"``), and with ``args`` if given. The call is simulated on the state of
    the latest block at the timestamp the next block will have."""
    sender = account if isinstance(account, str) else account.address
    try:
        fn.call({"from": sender, "value": value}, block_identifier="pending")
    except (ContractCustomError, ContractLogicError) as exc:
        data = _revert_data(exc)
    else:
        raise AssertionError(f"call did not revert; expected {error}")
    expected = selector(error)
    assert data[:10] == expected, f"reverted with {data[:10]} ({data[:74]}...), expected {error} = {expected}"
    if args is not None:
        types = error[error.index("(") + 1 : -1].split(",") if not error.endswith("()") else []
        decoded = abi_decode(types, bytes.fromhex(data[10:]))
        normalised = tuple(Web3.to_checksum_address(v) if isinstance(v, str) else v for v in decoded)
        want = tuple(Web3.to_checksum_address(v) if isinstance(v, str) and v.startswith("0x") else v for v in args)
        assert normalised == want, f"{error} args {normalised} != {want}"


def events(w3: Web3, c: Any, name: str, receipt: TxReceipt) -> list[dict[str, Any]]:
    from web3.logs import DISCARD

    return [dict(e["args"]) for e in getattr(c.events, name)().process_receipt(receipt, errors=DISCARD)]


def sign_typed(account: LocalAccount, domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any]):
    primary = next(iter(types))
    full = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **types,
        },
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }
    return Account.sign_message(encode_typed_data(full_message=full), account.key)


def permit_signature(
    w3: Web3, token: Any, owner: LocalAccount, spender: str, value: int, deadline: int, nonce: int | None = None
):
    if nonce is None:
        nonce = token.functions.nonces(owner.address).call()
    domain = {
        "name": token.functions.name().call(),
        "version": "1",
        "chainId": w3.eth.chain_id,
        "verifyingContract": token.address,
    }
    types = {
        "Permit": [
            {"name": "owner", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"},
        ]
    }
    msg = {"owner": owner.address, "spender": spender, "value": value, "nonce": nonce, "deadline": deadline}
    return sign_typed(owner, domain, types, msg)


def ballot_signature(w3: Web3, governor: Any, voter: LocalAccount, proposal_id: int, support: int) -> bytes:
    domain = {
        "name": governor.functions.name().call(),
        "version": governor.functions.version().call(),
        "chainId": w3.eth.chain_id,
        "verifyingContract": governor.address,
    }
    types = {
        "Ballot": [
            {"name": "proposalId", "type": "uint256"},
            {"name": "support", "type": "uint8"},
            {"name": "voter", "type": "address"},
            {"name": "nonce", "type": "uint256"},
        ]
    }
    nonce = governor.functions.nonces(voter.address).call()
    msg = {"proposalId": proposal_id, "support": support, "voter": voter.address, "nonce": nonce}
    return bytes(sign_typed(voter, domain, types, msg).signature)


def delegation_signature(w3: Web3, token: Any, holder: LocalAccount, delegatee: str, expiry: int):
    domain = {
        "name": token.functions.name().call(),
        "version": "1",
        "chainId": w3.eth.chain_id,
        "verifyingContract": token.address,
    }
    types = {
        "Delegation": [
            {"name": "delegatee", "type": "address"},
            {"name": "nonce", "type": "uint256"},
            {"name": "expiry", "type": "uint256"},
        ]
    }
    nonce = token.functions.nonces(holder.address).call()
    return nonce, sign_typed(holder, domain, types, {"delegatee": delegatee, "nonce": nonce, "expiry": expiry})


def investor_id(n: int) -> bytes:
    return keccak(text=f"investor-{n}")[:24]


def at(w3: Web3, name: str, address: str) -> Any:
    return contract(w3, name, address)


def assert_floor_close(actual: int, expected: int, distributions: int) -> None:
    """Pull-dividend payouts round down: at most one base unit per distribution, never more."""
    assert 0 <= expected - actual <= distributions, f"{actual} vs {expected} (+-{distributions})"
