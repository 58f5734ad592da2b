"""EIP-4361 (Sign-In with Ethereum) messages: build, parse and verify with eth_account.

Only the subset the platform issues is accepted: domain, address, statement, URI, version 1,
chain id, nonce, issued-at, expiration-time (and optional not-before / request-id /
resources when parsing). Addresses are EIP-55 checksummed.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from dataclasses import dataclass, field

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

__all__ = [
    "SiweError",
    "SiweMessage",
    "build_message",
    "checksum_address",
    "format_time",
    "new_nonce",
    "parse_message",
    "recover_signer",
]

_NONCE_ALPHABET = string.ascii_letters + string.digits
_HEADER = re.compile(r"^(?P<domain>[^\s/]+) wants you to sign in with your Ethereum account:$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
_SIGNATURE = re.compile(r"^(0x)?[0-9a-fA-F]{130}$")


class SiweError(ValueError):
    """The message or signature is malformed or does not verify. ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class SiweMessage:
    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: dt.datetime
    statement: str | None = None
    version: str = "1"
    expiration_time: dt.datetime | None = None
    not_before: dt.datetime | None = None
    request_id: str | None = None
    resources: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"{self.domain} wants you to sign in with your Ethereum account:", self.address, ""]
        if self.statement:
            lines += [self.statement, ""]
        lines += [
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {format_time(self.issued_at)}",
        ]
        if self.expiration_time:
            lines.append(f"Expiration Time: {format_time(self.expiration_time)}")
        if self.not_before:
            lines.append(f"Not Before: {format_time(self.not_before)}")
        if self.request_id is not None:
            lines.append(f"Request ID: {self.request_id}")
        if self.resources:
            lines.append("Resources:")
            lines += [f"- {r}" for r in self.resources]
        return "\n".join(lines)


def new_nonce(length: int = 17) -> str:
    """A random alphanumeric nonce (EIP-4361 asks for at least 8 characters)."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_time(name: str, value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SiweError("message", f"{name} is not an RFC 3339 time") from exc
    if parsed.tzinfo is None:
        raise SiweError("message", f"{name} needs a time zone")
    return parsed.astimezone(dt.UTC)


def checksum_address(value: str) -> str:
    """EIP-55 form of a 0x address; a mixed-case address must already be correctly checksummed."""
    if not isinstance(value, str) or not _ADDRESS.match(value) or not is_hex_address(value):
        raise SiweError("address", "must be a 0x-prefixed 20-byte hex address")
    lower, upper = value[2:].lower(), value[2:].upper()
    if value[2:] not in (lower, upper) and not is_checksum_address(value):
        raise SiweError("address", "checksum does not match (EIP-55)")
    return to_checksum_address(value)


def build_message(
    *,
    domain: str,
    address: str,
    uri: str,
    chain_id: int,
    nonce: str,
    issued_at: dt.datetime,
    expiration_time: dt.datetime,
    statement: str | None = None,
) -> SiweMessage:
    return SiweMessage(
        domain=domain,
        address=checksum_address(address),
        statement=statement,
        uri=uri,
        chain_id=chain_id,
        nonce=nonce,
        issued_at=issued_at.replace(microsecond=0),
        expiration_time=expiration_time.replace(microsecond=0),
    )


_FIELDS = {
    "URI": "uri",
    "Version": "version",
    "Chain ID": "chain_id",
    "Nonce": "nonce",
    "Issued At": "issued_at",
    "Expiration Time": "expiration_time",
    "Not Before": "not_before",
    "Request ID": "request_id",
}
_REQUIRED = ("uri", "version", "chain_id", "nonce", "issued_at")
_ORDER = list(_FIELDS.values())


def parse_message(text: str) -> SiweMessage:
    """Parse an EIP-4361 message; raise SiweError naming ``message`` when it is malformed."""
    if not isinstance(text, str) or "\r" in text:
        raise SiweError("message", "not an EIP-4361 message")
    lines = text.split("\n")
    if len(lines) < 8:
        raise SiweError("message", "not an EIP-4361 message")
    header = _HEADER.match(lines[0])
    if not header:
        raise SiweError("message", "first line must be '<domain> wants you to sign in with your Ethereum account:'")
    if not _ADDRESS.match(lines[1]):
        raise SiweError("message", "second line must be the 0x address")
    try:
        address = checksum_address(lines[1])
    except SiweError as exc:
        raise SiweError("message", f"address: {exc.message}") from exc
    if address != lines[1]:
        raise SiweError("message", "the address must be EIP-55 checksummed")
    if lines[2] != "":
        raise SiweError("message", "a blank line must follow the address")
    index = 3
    statement: str | None = None
    if not lines[index].startswith("URI: "):
        statement = lines[index]
        if not statement or "\n" in statement or (index + 1 >= len(lines)) or lines[index + 1] != "":
            raise SiweError("message", "the statement must be one line followed by a blank line")
        index += 2
    values: dict[str, str] = {}
    resources: list[str] = []
    position = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line == "Resources:":
            resources = [r[2:] for r in lines[index:] if r.startswith("- ")]
            if len(resources) != len(lines[index:]):
                raise SiweError("message", "every resource line must start with '- '")
            break
        label, sep, value = line.partition(": ")
        key = _FIELDS.get(label)
        if not sep or key is None:
            raise SiweError("message", f"unexpected line {line[:40]!r}")
        if key in values or _ORDER.index(key) < position:
            raise SiweError("message", f"{label} is repeated or out of order")
        position = _ORDER.index(key)
        values[key] = value
    missing = [k for k in _REQUIRED if k not in values]
    if missing:
        raise SiweError("message", f"missing {', '.join(missing)}")
    if values["version"] != "1":
        raise SiweError("message", "Version must be 1")
    if not values["chain_id"].isdigit():
        raise SiweError("message", "Chain ID must be an integer")
    if not _NONCE.match(values["nonce"]):
        raise SiweError("message", "Nonce must be at least 8 alphanumeric characters")
    return SiweMessage(
        domain=header.group("domain"),
        address=address,
        statement=statement,
        uri=values["uri"],
        version="1",
        chain_id=int(values["chain_id"]),
        nonce=values["nonce"],
        issued_at=_parse_time("Issued At", values["issued_at"]),
        expiration_time=_parse_time("Expiration Time", values["expiration_time"])
        if "expiration_time" in values
        else None,
        not_before=_parse_time("Not Before", values["not_before"]) if "not_before" in values else None,
        request_id=values.get("request_id"),
        resources=resources,
    )


def recover_signer(message: str, signature: str) -> str:
    """The checksummed address that produced this EIP-191 personal_sign signature."""
    if not isinstance(signature, str) or not _SIGNATURE.match(signature):
        raise SiweError("signature", "must be a 65-byte hex signature")
    try:
        return to_checksum_address(Account.recover_message(encode_defunct(text=message), signature=signature))
    except Exception as exc:  # eth_keys raises several types for an invalid (r, s, v)
        raise SiweError("signature", "does not verify") from exc
