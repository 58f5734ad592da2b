"""EIP-4361 messages: build, parse, checksum and signature recovery (signed with eth_account)."""

import datetime as dt

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from hypothesis import given
from hypothesis import strategies as st
from partisipro.auth import siwe

ISSUED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
ACCOUNT = Account.from_key("0x" + "11" * 32)

EXAMPLE = """app.partisipro.id wants you to sign in with your Ethereum account:
{address}

Link this wallet to your Partisipro account.

URI: https://app.partisipro.id
Version: 1
Chain ID: 42161
Nonce: 32891756abcdEFGH
Issued At: 2026-01-02T03:04:05Z
Expiration Time: 2026-01-02T03:14:05Z"""


def message(**overrides) -> siwe.SiweMessage:
    fields = {
        "domain": "app.partisipro.id",
        "address": ACCOUNT.address,
        "uri": "https://app.partisipro.id",
        "chain_id": 42161,
        "nonce": "32891756abcdEFGH",
        "issued_at": ISSUED,
        "expiration_time": ISSUED + dt.timedelta(minutes=10),
        "statement": "Link this wallet to your Partisipro account.",
    }
    return siwe.build_message(**{**fields, **overrides})


def test_the_built_message_is_the_eip4361_text():
    assert message().text() == EXAMPLE.format(address=ACCOUNT.address)


def test_a_built_message_parses_back_to_the_same_fields():
    built = message()
    assert siwe.parse_message(built.text()) == built


def test_a_message_without_statement_parses():
    built = message(statement=None)
    parsed = siwe.parse_message(built.text())
    assert parsed.statement is None
    assert parsed.nonce == "32891756abcdEFGH"


def test_optional_fields_and_resources_parse():
    text = (
        message().text()
        + "\nNot Before: 2026-01-02T03:04:05Z\nRequest ID: abc\nResources:\n- https://a.example/1\n- ipfs://x"
    )
    parsed = siwe.parse_message(text)
    assert parsed.request_id == "abc"
    assert parsed.resources == ["https://a.example/1", "ipfs://x"]
    assert parsed.not_before == ISSUED


def test_a_lowercase_address_is_checksummed():
    assert siwe.checksum_address(ACCOUNT.address.lower()) == ACCOUNT.address


def test_a_wrong_mixed_case_checksum_is_refused():
    address = ACCOUNT.address
    flipped = address[:2] + "".join(c.swapcase() if c.isalpha() else c for c in address[2:])
    with pytest.raises(siwe.SiweError) as error:
        siwe.checksum_address(flipped)
    assert error.value.field == "address"


@pytest.mark.parametrize("address", ["", "0x123", "1" * 40, "0x" + "g" * 40, "0x" + "1" * 41])
def test_malformed_addresses_are_refused(address):
    with pytest.raises(siwe.SiweError):
        siwe.checksum_address(address)


def test_the_signer_of_a_personal_sign_signature_is_recovered():
    text = message().text()
    signature = ACCOUNT.sign_message(encode_defunct(text=text)).signature.to_0x_hex()
    assert siwe.recover_signer(text, signature) == ACCOUNT.address


def test_a_signature_over_other_text_recovers_someone_else():
    signature = ACCOUNT.sign_message(encode_defunct(text="something else")).signature.to_0x_hex()
    assert siwe.recover_signer(message().text(), signature) != ACCOUNT.address


@pytest.mark.parametrize("signature", ["", "0x", "0x1234", "zz" * 65, "0x" + "00" * 65])
def test_malformed_or_invalid_signatures_raise_naming_signature(signature):
    with pytest.raises(siwe.SiweError) as error:
        siwe.recover_signer(message().text(), signature)
    assert error.value.field == "signature"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("wants you to sign in", "wants to sign in"),
        ("Version: 1", "Version: 2"),
        ("Chain ID: 42161", "Chain ID: arbitrum"),
        ("Nonce: 32891756abcdEFGH", "Nonce: short"),
        ("Issued At: 2026-01-02T03:04:05Z", "Issued At: yesterday"),
        ("URI: https://app.partisipro.id\n", ""),
        ("Version: 1\nChain ID: 42161", "Chain ID: 42161\nVersion: 1"),
    ],
)
def test_malformed_messages_are_refused_naming_message(old, new):
    text = message().text()
    assert old in text
    with pytest.raises(siwe.SiweError) as error:
        siwe.parse_message(text.replace(old, new))
    assert error.value.field == "message"


def test_a_message_with_an_unchecksummed_address_is_refused():
    text = message().text().replace(ACCOUNT.address, ACCOUNT.address.lower())
    with pytest.raises(siwe.SiweError):
        siwe.parse_message(text)


def test_new_nonces_are_long_random_alphanumerics():
    nonces = {siwe.new_nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) >= 8 and n.isalnum() for n in nonces)


@given(st.text(max_size=300))
def test_parsing_arbitrary_text_raises_siwe_error_or_returns_a_message(text):
    try:
        parsed = siwe.parse_message(text)
    except siwe.SiweError:
        return
    assert isinstance(parsed, siwe.SiweMessage)
