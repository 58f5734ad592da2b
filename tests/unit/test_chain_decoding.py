"""Pure decoding logic of the chain package: revert reasons and event arguments."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, keccak
from partisipro.chain.client import decode_revert
from partisipro.chain.indexer import decoder_by_name


def test_revert_reason_from_error_string() -> None:
    data = "0x08c379a0" + encode(["string"], ["offering closed"]).hex()
    assert decode_revert(data) == "offering closed"


def test_revert_reason_from_panic_code() -> None:
    assert decode_revert("0x4e487b71" + encode(["uint256"], [0x11]).hex()) == "Panic(0x11)"


def test_revert_reason_from_a_custom_error_declared_in_an_artifact() -> None:
    selector = function_signature_to_4byte_selector("ERC20InsufficientBalance(address,uint256,uint256)")
    data = "0x" + selector.hex() + encode(["address", "uint256", "uint256"], ["0x" + "11" * 20, 5, 9]).hex()
    reason = decode_revert(data)
    assert reason.startswith("ERC20InsufficientBalance(")
    assert "=5" in reason and "=9" in reason


def test_revert_without_data_and_unknown_selector_are_reported_plainly() -> None:
    assert decode_revert("0x") == "reverted without a reason"
    assert decode_revert("0xdeadbeef").startswith("unknown error 0xdeadbeef")


def test_transfer_event_decodes_to_checksummed_addresses_and_int_value_with_string_json() -> None:
    decoder = decoder_by_name()[("MockStablecoin", "Transfer")]
    topic0 = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
    sender, receiver = "ab" * 20, "cd" * 20
    topics = [topic0, "0x" + "0" * 24 + sender, "0x" + "0" * 24 + receiver]
    value = 2**200 + 7  # beyond a double's precision: stored as a string
    args, args_json = decoder.decode_with_json(topics, "0x" + value.to_bytes(32, "big").hex())
    assert args["value"] == value
    assert args["from"].lower() == "0x" + sender and args["from"] != "0x" + sender  # checksummed
    assert f'"value":"{value}"' in args_json
    assert decoder.revive({"from": args["from"], "to": args["to"], "value": str(value)})["value"] == value
