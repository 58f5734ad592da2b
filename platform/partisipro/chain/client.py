"""The process's async web3 client, raw JSON-RPC calls, contract bindings and ABI lookups.

* ``get_web3()``: one ``AsyncWeb3`` per RPC URL per process.
* ``rpc(method, params)``: a raw JSON-RPC call (no web3 result formatters: the indexer and
  the sender work on plain dicts and hex strings). Raises ``ChainUnavailable`` when the node
  does not answer and ``RpcError`` (with the revert ``data``) when it answers with an error.
* ``rpc_body(method, params)`` and ``rpc_result(method, body)``: the same call in two steps,
  the response body first and its JSON decoded later, when the caller chooses (the indexer
  decodes a large ``eth_getLogs`` answer right after handing the database its next insert).
* ``contract(name, address)``: a typed binding from ``contracts/build/<name>.json``.
* ``encode_call(name, function, args)``: calldata for a function of an artifact.
* ``decode_revert(data)``: a readable reason from revert data (``Error(string)``,
  ``Panic(uint256)`` or any custom error declared in any artifact).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from functools import cache
from typing import Any

import aiohttp
from eth_abi import decode as abi_decode
from eth_utils import function_abi_to_4byte_selector, keccak, to_checksum_address
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.contract import AsyncContract

from partisipro.chain.artifacts import list_artifacts, load_artifact
from partisipro.settings import get_settings

NATIVE = "native"  # intent "contract" for a plain value transfer (no calldata)
RPC_TIMEOUT_SECONDS = 15.0

_clients: dict[str, AsyncWeb3] = {}
# rpc_body's HTTP sessions, per URL, each bound to the event loop that opened it
_sessions: dict[str, tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}
_request_ids = itertools.count(1)


class ChainUnavailable(RuntimeError):
    """The RPC endpoint did not answer (connection refused, timeout, 5xx)."""


class RpcError(RuntimeError):
    """The node answered with a JSON-RPC error (a revert carries ``data``)."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.code = int(error.get("code", 0) or 0)
        self.message = str(error.get("message", ""))
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest it
            data = data.get("data") or data.get("result")
        self.data: str | None = data if isinstance(data, str) and data.startswith("0x") else None
        super().__init__(f"{method}: {self.message}")


def rpc_url() -> str:
    url = get_settings().chain_rpc_url
    if not url:
        raise ChainUnavailable("no chain RPC URL configured (PARTISIPRO_CHAIN_RPC_URL)")
    return url


def get_web3(url: str | None = None) -> AsyncWeb3:
    url = url or rpc_url()
    client = _clients.get(url)
    if client is None:
        provider = AsyncHTTPProvider(url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=RPC_TIMEOUT_SECONDS)})
        client = AsyncWeb3(provider)
        _clients[url] = client
    return client


async def close_clients() -> None:
    for client in list(_clients.values()):
        try:
            await client.provider.disconnect()
        except Exception:  # noqa: S110 - best effort on shutdown
            pass
    _clients.clear()
    loop = asyncio.get_running_loop()
    for owner, session in list(_sessions.values()):
        if owner is loop:
            await session.close()
    _sessions.clear()


def _http_session(url: str) -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    cached = _sessions.get(url)
    if cached is not None and cached[0] is loop and not cached[1].closed:
        return cached[1]
    session = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=RPC_TIMEOUT_SECONDS), headers={"Content-Type": "application/json"}
    )
    _sessions[url] = (loop, session)
    return session


async def rpc(method: str, params: list[Any] | None = None, *, url: str | None = None) -> Any:
    """One JSON-RPC call; the raw ``result``."""
    w3 = get_web3(url)
    try:
        response = await w3.provider.make_request(method, params or [])  # type: ignore[arg-type]
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise ChainUnavailable(f"{method}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        # web3 wraps HTTP errors (e.g. 502 from a proxy) in its own exception types
        if "HTTP" in type(exc).__name__ or "Timeout" in type(exc).__name__:
            raise ChainUnavailable(f"{method}: {exc}") from exc
        raise
    if response.get("error"):
        raise RpcError(method, dict(response["error"]))
    return response.get("result")


async def rpc_body(method: str, params: list[Any] | None = None, *, url: str | None = None) -> bytes:
    """One JSON-RPC call's response body, not yet decoded (see ``rpc_result``)."""
    url = url or rpc_url()
    request = json.dumps({"jsonrpc": "2.0", "id": next(_request_ids), "method": method, "params": params or []})
    try:
        async with _http_session(url).post(url, data=request.encode()) as response:
            body = await response.read()
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise ChainUnavailable(f"{method}: {type(exc).__name__}: {exc}") from exc
    if response.status >= 400 and not body.lstrip().startswith(b"{"):
        raise ChainUnavailable(f"{method}: HTTP {response.status}")
    return body


def rpc_result(method: str, body: bytes) -> Any:
    """The ``result`` of a body from ``rpc_body``; ``RpcError`` when the node answered an error."""
    try:
        response = json.loads(body)
    except ValueError as exc:
        raise ChainUnavailable(f"{method}: the node's answer is not JSON: {body[:80]!r}") from exc
    if not isinstance(response, dict):
        raise ChainUnavailable(f"{method}: unexpected answer: {body[:80]!r}")
    if response.get("error"):
        raise RpcError(method, dict(response["error"]))
    return response.get("result")


def to_int(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return int(value, 16)


async def block_number(url: str | None = None) -> int:
    return to_int(await rpc("eth_blockNumber", url=url))


async def chain_id(url: str | None = None) -> int:
    return to_int(await rpc("eth_chainId", url=url))


async def nonce_of(address: str, block: str = "pending") -> int:
    return to_int(await rpc("eth_getTransactionCount", [address, block]))


async def get_block(number: int | str, *, full: bool = False) -> dict[str, Any] | None:
    tag = hex(number) if isinstance(number, int) else number
    return await rpc("eth_getBlockByNumber", [tag, full])


def contract(name: str, address: str) -> AsyncContract:
    """A typed async binding of artifact ``name`` at ``address``."""
    return get_web3().eth.contract(address=to_checksum_address(address), abi=load_artifact(name).abi)


@cache
def _encoder(name: str) -> Any:
    # An address-less contract object only used to encode calldata (no provider needed).
    return AsyncWeb3().eth.contract(abi=load_artifact(name).abi)


def encode_call(name: str, function: str, args: list[Any]) -> str:
    """ABI-encoded calldata of ``name.function(*args)`` (raises ValueError on bad arguments)."""
    try:
        data = _encoder(name).encode_abi(function, args=list(args))
    except Exception as exc:  # web3 raises several validation errors
        raise ValueError(f"cannot encode {name}.{function}: {exc}") from exc
    return data if data.startswith("0x") else "0x" + data


def _canonical_type(item: dict[str, Any]) -> str:
    kind = item["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item.get("components", []))
        return f"({inner}){kind[5:]}"
    return kind


def abi_signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(_canonical_type(i) for i in item.get('inputs', []))})"


@cache
def error_selectors() -> dict[str, tuple[str, list[str], list[str]]]:
    """4-byte selector -> (error name, argument names, argument types) over every artifact."""
    out: dict[str, tuple[str, list[str], list[str]]] = {}
    for name in list_artifacts():
        for item in load_artifact(name).abi:
            if item.get("type") != "error":
                continue
            selector = "0x" + function_abi_to_4byte_selector(item).hex()  # type: ignore[arg-type]
            inputs = item.get("inputs", [])
            out[selector] = (
                item["name"],
                [i.get("name") or f"arg{n}" for n, i in enumerate(inputs)],
                [_canonical_type(i) for i in inputs],
            )
    return out


ERROR_STRING = "0x08c379a0"
PANIC = "0x4e487b71"


def decode_revert(data: str | None) -> str:
    """A readable reason for revert data; the raw hex when nothing matches."""
    if not data or data == "0x":
        return "reverted without a reason"
    selector, payload = data[:10].lower(), bytes.fromhex(data[10:])
    try:
        if selector == ERROR_STRING:
            return str(abi_decode(["string"], payload)[0])
        if selector == PANIC:
            return f"Panic(0x{abi_decode(['uint256'], payload)[0]:02x})"
        known = error_selectors().get(selector)
        if known:
            name, names, types = known
            values = abi_decode(types, payload) if types else ()
            shown = ", ".join(f"{n}={_show(v)}" for n, v in zip(names, values, strict=True))
            return f"{name}({shown})"
    except Exception:  # noqa: S110 - undecodable data falls through to the raw form
        pass
    return f"unknown error {data[:202]}"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def event_topic(item: dict[str, Any]) -> str:
    return "0x" + keccak(text=abi_signature(item)).hex()
