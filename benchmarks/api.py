"""``python -m benchmarks.api``: API throughput and latency under concurrent clients.

Starts the server the way ``make run`` does (``partisipro dev``: uvicorn, one process) but on
the test profile against MySQL/MariaDB and Redis: its own database (``bench_api`` by default,
created, emptied and migrated here) and Redis database. Seeds 100 published projects with open
offerings, an investor holding tokens in 10 of them, and one investor per client for intents.
Then, for each endpoint in turn, ``--clients`` concurrent connections send requests for
``--seconds`` (after a short warm-up), and it prints JSON: requests per second, p50 / p99
latency in milliseconds and the status codes seen, plus the ratios to the bare endpoint.

The load comes from ``wrk`` (``apt-get install wrk``; a compiled generator that needs a small
part of one core, so the server gets the machine) with a generated Lua script per endpoint
that counts status codes and builds the intent bodies. Without wrk on the PATH (or with
``--load python``) it falls back to asyncio httpx clients in this process, which on a
2-core machine take as much CPU as the server and so understate it; the output names the
generator used.

    GET  /health/live                bare endpoint (the baseline)
    GET  /api/v1/projects?limit=20   100 published projects, a page of 20
    GET  /api/v1/portfolio           an investor in 10 projects
    POST /api/v1/investments         investment intents (approve + invest transactions)

Goals (figures, never pass/fail): the project list at least 50 % of the bare endpoint's rate
with p99 under 100 ms at 32 clients; the portfolio at least 30 %.

Environment: ``PARTISIPRO_BENCH_DATABASE_URL`` (default
``mysql+aiomysql://root@127.0.0.1:3306/bench_api``), ``PARTISIPRO_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/14``, flushed at the start).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

DEFAULT_DB = "mysql+aiomysql://root@127.0.0.1:3306/bench_api"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
JWT_SECRET = "bench-api-" + "x" * 40
PASSWORD = secrets.token_urlsafe(16)
USDC = 10**6
PROJECTS = 100
HOLDINGS = 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_database(url: str) -> None:
    from partisipro.migrate import upgrade_sync

    sync = sa.engine.make_url(url.replace("+aiomysql", "+pymysql"))
    server = sa.create_engine(sync.set(database=""))
    with server.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{sync.database}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{sync.database}` CHARACTER SET utf8mb4"))
    server.dispose()
    upgrade_sync("head", url)


def _address(kind: int, n: int) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address("0x" + f"{kind:02x}{n:038x}")


async def _seed(clients: int) -> dict[str, Any]:
    """Rows as the platform leaves them after deployment and indexing (written directly)."""
    from partisipro.auth.models import Wallet
    from partisipro.auth.services import AccountService
    from partisipro.chain.models import TokenBalance
    from partisipro.db import open_session, provide_services, utcnow
    from partisipro.offerings.models import Investment, OfferingState
    from partisipro.projects.models import Organization, Project
    from partisipro.security import issue_access_token

    from kyc.models import KycApplication

    now = utcnow()
    starts, ends = now - dt.timedelta(days=1), now + dt.timedelta(days=30)
    async with provide_services(AccountService) as accounts:
        spv = await accounts.create_user(
            email="spv@bench.local", full_name="Bench SPV", roles=["spv"], password=PASSWORD, verified=True
        )
        people = [
            await accounts.create_user(
                email=f"investor{n}@bench.local",
                full_name=f"Investor {n}",
                roles=["investor"],
                password=PASSWORD,
                verified=True,
            )
            for n in range(clients + 1)
        ]
    holder, intenders = people[0], people[1:]
    projects: list[uuid.UUID] = []
    async with open_session() as session:
        org = Organization(
            owner_id=spv.id,
            legal_name="PT Bench Infrastruktur",
            registration_number="AHU-BENCH",
            country="ID",
            address="Jl. Thamrin 1, Jakarta",
            status="approved",
            decided_at=now,
        )
        session.add(org)
        await session.flush()
        for n in range(1, PROJECTS + 1):
            terms = {
                "price_per_token": USDC,
                "soft_cap": 100_000 * USDC,
                "hard_cap": 10_000_000 * USDC,
                "min_investment": 100 * USDC,
                "max_investment": 1_000_000 * USDC,
                "starts_at": starts,
                "ends_at": ends,
            }
            project = Project(
                organization_id=org.id,
                owner_id=spv.id,
                name=f"Toll road section {n}",
                symbol=f"TOL{n}",
                description="A toll road section under a 35-year PPP concession. " * 10,
                sector=("toll_road", "water", "energy", "port")[n % 4],
                location="Lampung, Indonesia",
                concession_years=35,
                token_supply=10_000_000,
                spv_wallet=_address(9, 0),
                status="deployed",
                submitted_at=now,
                approved_at=now,
                deployed_at=now - dt.timedelta(seconds=n),
                chain_project_id=n,
                token_address=_address(1, n),
                offering_address=_address(2, n),
                treasury_address=_address(3, n),
                governor_address=_address(4, n),
                timelock_address=_address(5, n),
                **terms,
            )
            session.add(project)
            await session.flush()
            projects.append(project.id)
            session.add(
                OfferingState(
                    project_id=project.id,
                    name=project.name,
                    symbol=project.symbol,
                    address=project.offering_address,
                    token_address=project.token_address,
                    treasury_address=project.treasury_address,
                    governor_address=project.governor_address,
                    stablecoin_address=_address(7, 0),
                    cooling_off_seconds=48 * 3600,
                    raised=0,
                    investors=0,
                    **terms,
                )
            )
        wallets = {}
        for n, person in enumerate(people):
            session.add(
                KycApplication(
                    user_id=person.id,
                    status="approved",
                    investor_type="individual",
                    legal_name=person.full_name,
                    date_of_birth="1990-01-01",
                    nationality="ID",
                    national_id_number=f"31710117059{n:05d}",
                    national_id_hash=uuid.uuid4().hex,
                    address="Jl. Melati 3, Jakarta",
                    annual_income_idr=str(10_000_000_000),
                    submitted_at=now,
                    decided_at=now,
                    approved_at=now,
                    expires_at=now + dt.timedelta(days=365),
                )
            )
            wallets[person.id] = _address(8, n)
            session.add(
                Wallet(
                    user_id=person.id,
                    address=wallets[person.id],
                    verified_at=now,
                    registered_on_chain=True,
                    registered_at=now,
                )
            )
        await session.flush()
        for n, project_id in enumerate(projects[:HOLDINGS]):
            amount = (1_000 + n) * USDC
            session.add(
                Investment(
                    investor_id=holder.id,
                    project_id=project_id,
                    offering_address=_address(2, n + 1),
                    wallet=wallets[holder.id],
                    amount=amount,
                    status="settled",
                    method="approve",
                    contribution_id=1,
                    tx_hash="0x" + uuid.uuid4().hex * 2,
                    log_index=0,
                    block_number=100 + n,
                    confirmed_at=now,
                    settled_at=now,
                    tokens=amount * 10**12,
                )
            )
            session.add(TokenBalance(token=_address(1, n + 1), wallet=wallets[holder.id], balance=amount * 10**12))
            await session.execute(
                sa.update(OfferingState)
                .where(OfferingState.project_id == project_id)
                .values(raised=amount, investors=1)
            )

    def token(user: Any) -> str:
        return issue_access_token(user.id, user.roles, uuid.uuid4().hex)[0]

    return {
        "projects": [str(p) for p in projects],
        "holder": token(holder),
        "intenders": [(token(p), wallets[p.id]) for p in intenders],
    }


def _start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("partisipro", path=str(Path(sys.executable).parent))
    cmd = [exe, "dev", "--port", str(port)] if exe else [sys.executable, "-m", "partisipro.cli", "dev"]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)


async def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not answer /health/live in time")


Request = Callable[[httpx.AsyncClient, int, int], Awaitable[httpx.Response]]


async def _load(base: str, make: Request, *, clients: int, seconds: float, warmup: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as http:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        counter = [0]

        async def worker(i: int, until: float, record: bool) -> None:
            while time.perf_counter() < until:
                counter[0] += 1
                started = time.perf_counter()
                response = await make(http, i, counter[0])
                if record:
                    latencies.append(time.perf_counter() - started)
                    statuses[response.status_code] += 1

        if warmup:
            until = time.perf_counter() + warmup
            await asyncio.gather(*(worker(i, until, False) for i in range(clients)))
        began = time.perf_counter()
        until = began + seconds
        await asyncio.gather(*(worker(i, until, True) for i in range(clients)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else 0.0

    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


_WRK_COMMON = """
counts = {}  -- a global: done() reads each thread's copy with thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      statuses[status] = (statuses[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(statuses) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '\\nWRK-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"socket_errors":%d,"statuses":{%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors,
    table.concat(parts, ",")))
end
"""

_WRK_INTENTS = """
local tokens = {%(tokens)s}
local wallets = {%(wallets)s}
local projects = {%(projects)s}
local n = 0

function request()
  n = n + 1
  local who = (n %% #tokens) + 1
  local body = string.format('{"project_id":"%%s","amount":"%(amount)d","wallet":"%%s"}',
    projects[(n %% #projects) + 1], wallets[who])
  return wrk.format("POST", "/api/v1/investments",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[who]}, body)
end
"""


def _lua_list(values: list[str]) -> str:
    return ",".join(json.dumps(v) for v in values)  # JSON strings of ASCII are Lua strings


async def _wrk(
    base: str,
    path: str,
    *,
    clients: int,
    seconds: float,
    warmup: float,
    headers: dict[str, str] | None = None,
    script: str = "",
    workdir: Path,
) -> dict[str, Any]:
    """One endpoint under wrk: a warm-up run, then the measured one."""
    lua = workdir / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    lua.write_text(script + _WRK_COMMON)
    threads = max(1, min(clients, os.cpu_count() or 1))
    command = ["wrk", f"-t{threads}", f"-c{clients}", "--timeout", "30s", "-s", str(lua)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]

    async def run(duration: float) -> str:
        proc = await asyncio.create_subprocess_exec(
            *command, f"-d{max(1, round(duration))}s", base + path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"wrk failed: {out.decode(errors='replace')[-500:]}")
        return out.decode()

    if warmup:
        await run(warmup)
    output = await run(seconds)
    lua.unlink()
    line = next(x for x in output.splitlines() if x.startswith("WRK-JSON "))
    data = json.loads(line.removeprefix("WRK-JSON "))
    elapsed = data["duration_us"] / 1e6
    return {
        "requests": data["requests"],
        "rps": round(data["requests"] / elapsed, 1),
        "p50_ms": round(data["p50_us"] / 1000, 2),
        "p99_ms": round(data["p99_us"] / 1000, 2),
        "statuses": dict(sorted(data["statuses"].items())),
        **({"socket_errors": data["socket_errors"]} if data["socket_errors"] else {}),
    }


def _environment() -> dict[str, str]:
    db_url = os.environ.get("PARTISIPRO_BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("PARTISIPRO_BENCH_REDIS_URL", DEFAULT_REDIS)
    return {
        **os.environ,
        "PARTISIPRO_PROFILE": "test",
        "PARTISIPRO_DATABASE_URL": db_url,
        "PARTISIPRO_REDIS_URL": redis_url,
        "PARTISIPRO_JWT_SECRET": JWT_SECRET,
        "PARTISIPRO_LOG_LEVEL": "WARNING",
        "PARTISIPRO_LOG_JSON": "false",
        "PARTISIPRO_CHAIN_RPC_URL": "",
        "PARTISIPRO_CHAIN_START_ANVIL": "false",
    }


async def _run(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    from partisipro.redis import get_redis

    generator = args.load if args.load != "auto" else ("wrk" if shutil.which("wrk") else "python")

    redis = get_redis()
    if redis is not None:
        await redis.flushdb()
    seeded = await _seed(args.clients)
    from partisipro.db import dispose_engines

    await dispose_engines()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(args.server_log)
    proc = _start_server(port, env, log)
    try:
        await _wait_ready(base, proc)
        projects, holder, intenders = seeded["projects"], seeded["holder"], seeded["intenders"]

        # GET requests are built once and sent again (the client's own cost stays small).
        def prebuilt(method: str, url: str, **kw: Any) -> Request:
            built: dict[int, httpx.Request] = {}

            async def send(http: httpx.AsyncClient, i: int, n: int) -> httpx.Response:
                request = built.get(id(http))
                if request is None:
                    request = built[id(http)] = http.build_request(method, url, **kw)
                response = await http.send(request)
                await response.aclose()
                return response

            return send

        live = prebuilt("GET", "/health/live")
        project_list = prebuilt("GET", "/api/v1/projects?limit=20&offset=0")
        portfolio = prebuilt("GET", "/api/v1/portfolio", headers={"Authorization": f"Bearer {holder}"})

        async def intent(http: httpx.AsyncClient, i: int, n: int) -> httpx.Response:
            token, wallet = intenders[i % len(intenders)]
            body = {"project_id": projects[n % len(projects)], "amount": str(100 * USDC), "wallet": wallet}
            return await http.post("/api/v1/investments", json=body, headers={"Authorization": f"Bearer {token}"})

        results: dict[str, Any] = {}
        if generator == "wrk":
            timing = {"clients": args.clients, "seconds": args.seconds, "warmup": args.warmup, "workdir": log.parent}
            intents_lua = _WRK_INTENTS % {
                "tokens": _lua_list([t for t, _ in intenders]),
                "wallets": _lua_list([w for _, w in intenders]),
                "projects": _lua_list(projects),
                "amount": 100 * USDC,
            }
            results["GET /health/live"] = await _wrk(base, "/health/live", **timing)
            results["GET /api/v1/projects?limit=20"] = await _wrk(base, "/api/v1/projects?limit=20&offset=0", **timing)
            results["GET /api/v1/portfolio"] = await _wrk(
                base, "/api/v1/portfolio", headers={"Authorization": f"Bearer {holder}"}, **timing
            )
            results["POST /api/v1/investments"] = await _wrk(base, "/api/v1/investments", script=intents_lua, **timing)
        else:
            for name, make in (
                ("GET /health/live", live),
                ("GET /api/v1/projects?limit=20", project_list),
                ("GET /api/v1/portfolio", portfolio),
                ("POST /api/v1/investments", intent),
            ):
                results[name] = await _load(base, make, clients=args.clients, seconds=args.seconds, warmup=args.warmup)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    bare = results["GET /health/live"]["rps"] or 1.0
    listing, folio = results["GET /api/v1/projects?limit=20"], results["GET /api/v1/portfolio"]
    return {
        "benchmark": "api",
        "clients": args.clients,
        "seconds_per_endpoint": args.seconds,
        "server": "partisipro dev (uvicorn, 1 process), test profile, MySQL + Redis",
        "load_generator": "wrk (separate process)" if generator == "wrk" else "httpx clients in the benchmark process",
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count(), "platform": platform.platform()},
        "seed": {"published_projects": PROJECTS, "portfolio_projects": HOLDINGS, "intent_investors": args.clients},
        "endpoints": results,
        "ratios": {
            "projects_vs_bare": round(listing["rps"] / bare, 3),
            "portfolio_vs_bare": round(folio["rps"] / bare, 3),
        },
        "goals": {
            "projects_at_least_50pct_of_bare": listing["rps"] / bare >= 0.5,
            "projects_p99_under_100ms": listing["p99_ms"] < 100,
            "portfolio_at_least_30pct_of_bare": folio["rps"] / bare >= 0.3,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--server-log", default="var/bench_api_server.log")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    args = parser.parse_args()
    Path(args.server_log).parent.mkdir(parents=True, exist_ok=True)
    env = _environment()
    os.environ.update({k: v for k, v in env.items() if k.startswith("PARTISIPRO_")})
    from partisipro.settings import reset_settings

    reset_settings()
    _prepare_database(env["PARTISIPRO_DATABASE_URL"])
    print(json.dumps(asyncio.run(_run(args, env)), indent=2))


if __name__ == "__main__":
    main()
