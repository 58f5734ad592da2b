"""Run a local anvil node (Foundry) as a child process.

Used by the dev server, the test fixtures and the benchmarks::

    with Anvil(chain_id=31337) as node:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))

The binary is ``$ANVIL_BIN`` if set, else the one the npm package ``@foundry-rs/anvil`` ships in
``contracts/node_modules``, else ``anvil`` on ``PATH``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

ANVIL_BIN_ENV = "ANVIL_BIN"
DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"

__all__ = ["Anvil", "AnvilError", "find_anvil_binary", "free_port"]


class AnvilError(RuntimeError):
    pass


def find_anvil_binary() -> str:
    override = os.environ.get(ANVIL_BIN_ENV)
    if override:
        return override
    root = Path(__file__).resolve().parents[3]
    bundled = root / "contracts" / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("anvil")
    if found:
        return found
    raise AnvilError(f"anvil not found: set {ANVIL_BIN_ENV} or run `npm ci` in contracts/")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Anvil:
    """An anvil process on a free loopback port.

    ``block_time`` None means automine (one block per transaction). ``state_path`` is passed as
    ``--state`` (load at start if the file exists, dump on exit), so a node can be stopped and
    restarted with its chain; ``load_state`` / ``dump_state`` give the two halves separately.
    """

    chain_id: int = 31337
    port: int | None = None
    host: str = "127.0.0.1"
    block_time: float | None = None
    accounts: int = 10
    balance_ether: int = 10_000
    mnemonic: str = DEFAULT_MNEMONIC
    hardfork: str | None = "cancun"
    timestamp: int | None = None
    gas_limit: int | None = None
    state_path: str | os.PathLike[str] | None = None
    load_state: str | os.PathLike[str] | None = None
    dump_state: str | os.PathLike[str] | None = None
    state_interval: int | None = None
    extra_args: list[str] = field(default_factory=list)
    binary: str | None = None
    startup_timeout: float = 20.0
    log_path: str | os.PathLike[str] | None = None

    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log_file: object | None = field(default=None, init=False, repr=False)

    @property
    def rpc_url(self) -> str:
        if self.port is None:
            raise AnvilError("anvil is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        if self.port is None:
            raise AnvilError("no port chosen")
        cmd = [
            self.binary or find_anvil_binary(),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--balance",
            str(self.balance_ether),
            "--mnemonic",
            self.mnemonic,
        ]
        if self.block_time is not None:
            cmd += ["--block-time", str(self.block_time)]
        if self.hardfork:
            cmd += ["--hardfork", self.hardfork]
        if self.timestamp is not None:
            cmd += ["--timestamp", str(self.timestamp)]
        if self.gas_limit is not None:
            cmd += ["--gas-limit", str(self.gas_limit)]
        if self.state_path is not None:
            cmd += ["--state", str(self.state_path)]
        if self.load_state is not None:
            cmd += ["--load-state", str(self.load_state)]
        if self.dump_state is not None:
            cmd += ["--dump-state", str(self.dump_state)]
        if self.state_interval is not None:
            cmd += ["--state-interval", str(self.state_interval)]
        return cmd + list(self.extra_args)

    def start(self) -> Anvil:
        if self.running:
            return self
        chosen_port = self.port is None
        for _attempt in range(3):
            if chosen_port:
                self.port = free_port(self.host)
            if self.log_path is not None:
                self._log_file = open(self.log_path, "ab")
            else:
                self._log_file = tempfile.TemporaryFile()
            self._process = subprocess.Popen(  # noqa: S603
                self.command(),
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            if self._wait_ready():
                return self
            output = self._read_log()
            self.stop()
            if not chosen_port or "in use" not in output.lower():
                raise AnvilError(f"anvil did not start: {output[-2000:]}")
        raise AnvilError("anvil did not start: no free port")

    def _read_log(self) -> str:
        log = self._log_file
        if log is None:
            return ""
        try:
            log.flush()  # type: ignore[attr-defined]
            if self.log_path is not None:
                return Path(self.log_path).read_text(errors="replace")
            log.seek(0)  # type: ignore[attr-defined]
            return log.read().decode(errors="replace")  # type: ignore[attr-defined]
        except (OSError, ValueError):
            return ""

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                if self.request("eth_chainId") is not None:
                    return True
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(0.05)
        return False

    def request(self, method: str, params: list[object] | None = None, timeout: float = 5.0) -> object:
        """One raw JSON-RPC call; returns ``result`` or raises AnvilError on an RPC error."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
        req = urllib.request.Request(  # noqa: S310
            self.rpc_url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            reply = json.loads(resp.read())
        if "error" in reply:
            raise AnvilError(f"{method}: {reply['error']}")
        return reply.get("result")

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate (SIGTERM lets anvil dump ``--state``), then kill if it does not exit."""
        proc, self._process = self._process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        if self._log_file is not None:
            try:
                self._log_file.close()  # type: ignore[attr-defined]
            except OSError:
                pass
            self._log_file = None

    def restart(self) -> Anvil:
        """Stop and start again on the same port (with ``state_path`` the chain survives)."""
        self.stop()
        return self.start()

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        proc = self._process
        if proc is not None and proc.poll() is None:
            proc.kill()
