"""Pure decoding logic of the chain package: revert reasons and event arguments."""

from __future__ import annotations

import itertools
import json

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, keccak
from partisipro.chain.client import ChainUnavailable, RpcError, decode_revert, rpc_result
from partisipro.chain.indexer import FETCH_SLICES, _Slicer, decoder_by_name


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


def test_an_event_with_a_bool_argument_is_stored_as_a_json_boolean() -> None:
    bool_events = [d for d in decoder_by_name().values() if d.fast and any(t == "bool" for _, t, _ in d.inputs)]
    assert bool_events, "the artifacts declare no static event with a bool argument"
    decoder = bool_events[0]
    topics = ["0x" + "00" * 32]
    data = "0x"
    for _name, _kind, indexed in decoder.inputs:
        word = "00" * 31 + "01"
        if indexed:
            topics.append("0x" + word)
        else:
            data += word
    args, args_json = decoder.decode_with_json(topics, data)
    flags = [n for n, t, _ in decoder.inputs if t == "bool"]
    assert all(args[n] is True for n in flags)
    assert all(json.loads(args_json)[n] is True for n in flags)


def test_rpc_result_reports_node_errors_and_non_json_answers() -> None:
    assert rpc_result("eth_getLogs", b'{"jsonrpc":"2.0","id":1,"result":[]}') == []
    with pytest.raises(RpcError) as refused:
        rpc_result("eth_getLogs", b'{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"query exceeds limit"}}')
    assert refused.value.code == -32005 and "limit" in refused.value.message
    with pytest.raises(ChainUnavailable):
        rpc_result("eth_getLogs", b"<html>502 Bad Gateway</html>")


def test_a_large_range_is_read_in_slices_and_a_short_one_in_one_call() -> None:
    def plan(start: int, end: int) -> list[tuple[int, int]]:
        slicer = _Slicer(start, end)
        return list(iter(slicer.take, None))

    assert plan(100, 102) == [(100, 102)]
    big = plan(1, 2000)
    assert len(big) == FETCH_SLICES and big[0][0] == 1 and big[-1][1] == 2000
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(big))
    assert plan(10, 31) == [(n, n) for n in range(10, 32)]  # 22 blocks: one block a call
