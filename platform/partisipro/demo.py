"""`partisipro demo`: the whole life of a project, played over the public HTTP API.

Against a server started by `make run` (dev profile: SQLite, in-process jobs, anvil started by
the app, POST /api/v1/dev/faucet), the demo acts as the web app would for eight people: an
admin, a compliance officer, an SPV and five investors. Each person has a fresh eth_account
wallet that signs SIWE messages, EIP-712 ballots and transactions; transactions the API
returns unsigned are signed here and sent through POST .../broadcast where the API offers it,
or straight to the dev chain's RPC otherwise. The dev chain's clock is moved forward
(``evm_increaseTime``) to open and close the offering, start and end voting and pass the
timelock delay.

Bootstrap (what the dev profile offers): the first admin comes from `partisipro users
create-admin` (called in-process here, on the same settings as the server, unless
``--admin-email``/``--admin-password``/``--admin-totp-secret`` name an existing one); it enrols
TOTP over the API. The compliance officer is created by the admin (POST /api/v1/admin/users)
and sets a password with the token of the invitation email, read from the dev mailbox folder.

The summary table shows each figure from the API next to the same figure read from the chain.
"""

from __future__ import annotations

import datetime as dt
import email
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount

USDC = 10**6
TOKEN = 10**18
PASSWORD = "demo-Password-2025!"  # noqa: S105 - demo accounts on a local dev chain
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
STAKES = (40_000, 30_000, 20_000, 15_000, 10_000)  # whole coins each investor puts in
DISTRIBUTIONS = ((12_345_678_901, "2025-Q1"), (8_765_432_109, "2025-Q2"))
SUPPORT = {"against": 0, "for": 1, "abstain": 2}
DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


class DemoError(RuntimeError):
    """A step did not get the answer it expected (the message says which and why)."""


@dataclass
class Person:
    role: str
    email: str
    full_name: str
    account: LocalAccount = field(default_factory=Account.create)
    headers: dict[str, str] = field(default_factory=dict)
    user_id: str | None = None
    totp_secret: str | None = None
    password: str = PASSWORD

    @property
    def address(self) -> str:
        return self.account.address


@dataclass
class Outcome:
    project_id: str = ""
    contracts: dict[str, str] = field(default_factory=dict)
    proposal: dict[str, Any] = field(default_factory=dict)
    payee: str = ""
    payment: int = 0
    claimed: int = 0


class Demo:
    def __init__(
        self,
        base_url: str,
        rpc_url: str | None = None,
        *,
        admin: tuple[str, str, str | None] | None = None,
        mailbox: Path | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=60)
        self.rpc_url = rpc_url
        self.admin_login = admin
        self.mailbox = mailbox
        self.say = say
        run = uuid.uuid4().hex[:6]
        self.run = run
        self.admin = Person("admin", admin[0] if admin else f"admin-{run}@demo.partisipro.id", "Dewi Admin")
        if admin:
            self.admin.password = admin[1]
        self.compliance = Person("compliance", f"compliance-{run}@demo.partisipro.id", "Rudi Compliance")
        self.spv = Person("spv", f"spv-{run}@demo.partisipro.id", "PT Jalan Tol Demo")
        names = ("Siti Rahma", "Budi Santoso", "Ayu Lestari", "Agus Wijaya", "Putri Maharani")
        self.investors = [
            Person("investor", f"investor{i + 1}-{run}@demo.partisipro.id", name) for i, name in enumerate(names)
        ]
        self.out = Outcome()
        self.chain_id = 31337

    # ------------------------------------------------------------ plumbing
    def call(
        self, method: str, path: str, who: Person | None = None, expect: tuple[int, ...] = (200, 201), **kw: Any
    ) -> Any:
        headers = {**(who.headers if who else {}), **kw.pop("headers", {})}
        response = self.http.request(method, f"/api/v1{path}", headers=headers, **kw)
        if response.status_code not in expect:
            raise DemoError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def rpc(self, method: str, params: list[Any]) -> Any:
        if not self.rpc_url:
            raise DemoError("no chain RPC URL (pass --rpc-url)")
        body = httpx.post(
            self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=60
        ).json()
        if body.get("error"):
            raise DemoError(f"{method}: {body['error']}")
        return body.get("result")

    def eth_call(self, kind: str, address: str, function: str, *args: Any) -> Any:
        from web3 import Web3

        from partisipro.chain.artifacts import load_artifact

        w3 = Web3(Web3.HTTPProvider(self.rpc_url))
        contract = w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(kind).abi)
        return getattr(contract.functions, function)(*args).call()

    def chain_now(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def warp_to(self, timestamp: int) -> None:
        if timestamp > self.chain_now():
            self.rpc("evm_setNextBlockTimestamp", [hex(timestamp)])
            self.rpc("evm_mine", [])

    def sign(self, who: Person, tx: dict[str, Any], nonce: int) -> str:
        block = self.rpc("eth_getBlockByNumber", ["latest", False])
        base = int(block.get("baseFeePerGas") or "0x0", 16)
        signed = who.account.sign_transaction(
            {
                "to": tx["to"],
                "data": tx["data"],
                "value": int(tx["value"]),
                "chainId": int(tx["chain_id"]),
                "gas": int(tx["gas"]),
                "nonce": nonce,
                "maxFeePerGas": 2 * base + 10**9,
                "maxPriorityFeePerGas": 10**9,
                "type": 2,
            }
        )
        return "0x" + signed.raw_transaction.hex()

    def nonce(self, who: Person) -> int:
        return int(self.rpc("eth_getTransactionCount", [who.address, "pending"]), 16)

    def send(self, who: Person, tx: dict[str, Any]) -> str:
        """Sign an API-built transaction and send it to the dev chain; wait for a successful receipt."""
        tx_hash = self.rpc("eth_sendRawTransaction", [self.sign(who, tx, self.nonce(who))])
        self.receipt(tx_hash)
        return str(tx_hash)

    def receipt(self, tx_hash: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if found:
                if found["status"] != "0x1":
                    raise DemoError(f"transaction {tx_hash} reverted")
                return dict(found)
            time.sleep(0.2)
        raise DemoError(f"transaction {tx_hash} was not mined in {timeout:.0f} s")

    def wait(self, what: str, check: Callable[[], Any], timeout: float = 90) -> Any:
        """Poll until ``check()`` is truthy (the platform's workers and indexer run in the server)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.5)
        raise DemoError(f"timed out waiting for {what}")

    def login(self, who: Person, otp: bool = False) -> None:
        body: dict[str, Any] = {"email": who.email, "password": who.password}
        if otp and who.totp_secret:
            body["otp"] = self._otp(who)
        tokens = self.call("POST", "/auth/login", json=body)
        who.headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    _last_step: dict[str, int] = {}

    def _otp(self, who: Person) -> str:
        import pyotp

        assert who.totp_secret
        totp = pyotp.TOTP(who.totp_secret)
        step = totp.timecode(dt.datetime.now(dt.UTC))
        while self._last_step.get(who.totp_secret, -1) >= step:  # each code is accepted once
            time.sleep(1)
            step = totp.timecode(dt.datetime.now(dt.UTC))
        self._last_step[who.totp_secret] = step
        return str(totp.generate_otp(step))

    def enrol_totp(self, who: Person) -> None:
        enrol = self.call("POST", "/me/mfa/totp", who)
        who.totp_secret = enrol["secret"]
        self.call("POST", "/me/mfa/totp/confirm", who, json={"otp": self._otp(who)})
        self.login(who, otp=True)

    def faucet(self, address: str, coins: int) -> None:
        self.call("POST", "/dev/faucet", json={"address": address, "amount": str(coins * USDC)})

    def link_wallet(self, who: Person) -> None:
        challenge = self.call("POST", "/me/wallets/challenge", who, json={"address": who.address})
        signature = who.account.sign_message(encode_defunct(text=challenge["message"])).signature.hex()
        self.call("POST", "/me/wallets", who, json={"message": challenge["message"], "signature": "0x" + signature})

    def invite_token(self, address: str, timeout: float = 60) -> str:
        """The token of the newest email to ``address`` in the dev mailbox folder."""
        folder = self.mailbox
        if folder is None:
            raise DemoError("no mailbox folder to read the invitation from (pass --mailbox)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
                message = email.message_from_bytes(path.read_bytes())
                if address not in str(message.get("To", "")):
                    continue
                parts = [message] if not message.is_multipart() else list(message.walk())
                for part in parts:
                    if part.get_content_type() == "text/plain":
                        text = part.get_payload(decode=True).decode(errors="replace")  # type: ignore[union-attr]
                        found = re.search(r"token=([A-Za-z0-9_\-]+)", text)
                        if found:
                            return found.group(1)
            time.sleep(0.5)
        raise DemoError(f"no invitation email to {address} in {folder}")

    # ------------------------------------------------------------ the story
    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("Admin signs in with TOTP", self.step_admin),
            ("Admin creates a compliance officer", self.step_compliance),
            ("SPV registers its organisation; admin approves", self.step_spv),
            ("Five investors register, link wallets, apply for KYC", self.step_investors),
            ("Compliance approves every KYC application", self.step_kyc_review),
            ("Identities reach the on-chain registry", self.step_registry),
            ("SPV drafts and submits the project", self.step_project),
            ("Admin approves; the platform deploys the contracts", self.step_deploy),
            ("The offering opens; five investments", self.step_invest),
            ("The offering ends; SPV finalizes; tokens settle", self.step_finalize),
            ("First profit distribution", lambda: self.step_distribute(0)),
            ("Second profit distribution", lambda: self.step_distribute(1)),
            ("Every investor claims", self.step_claims),
            ("An investor proposes a payment from the reserve", self.step_propose),
            ("Votes: two signed by the wallet, two relayed by signature, one against", self.step_votes),
            ("Voting ends; the proposal is queued", self.step_queue),
            ("The timelock delay passes; the proposal is executed", self.step_execute),
        ]

    def step_admin(self) -> None:
        if self.admin_login is None:
            import asyncio

            from partisipro.auth.services import create_admin_user

            asyncio.run(create_admin_user(email=self.admin.email, full_name=self.admin.full_name, password=PASSWORD))
            self.login(self.admin)
            self.enrol_totp(self.admin)
        elif self.admin_login[2]:
            self.admin.totp_secret = self.admin_login[2]
            self.login(self.admin, otp=True)
        else:  # an admin made by `users create-admin` that has not enrolled TOTP yet
            self.login(self.admin)
            self.enrol_totp(self.admin)

    def step_compliance(self) -> None:
        c = self.compliance
        self.call(
            "POST", "/admin/users", self.admin, json={"email": c.email, "full_name": c.full_name, "role": "compliance"}
        )
        token = self.invite_token(c.email)
        self.call("POST", "/auth/password-reset/confirm", json={"token": token, "password": PASSWORD})
        self.login(c)
        self.enrol_totp(c)

    def register(self, who: Person) -> None:
        body = {"email": who.email, "password": PASSWORD, "full_name": who.full_name, "role": who.role}
        who.user_id = self.call("POST", "/auth/register", json=body)["id"]
        self.login(who)

    def step_spv(self) -> None:
        self.register(self.spv)
        org = self.call(
            "POST", "/organizations", self.spv,
            json={"legal_name": f"PT Jalan Tol Demo {self.run}", "registration_number": f"AHU-{self.run}",
                  "country": "ID", "address": "Jl. Sudirman 1, Jakarta"},
        )  # fmt: skip
        self.call("POST", f"/admin/organizations/{org['id']}/approve", self.admin)
        self.faucet(self.spv.address, 50_000_000)

    def step_investors(self) -> None:
        for i, who in enumerate(self.investors):
            self.register(who)
            self.link_wallet(who)
            self.faucet(who.address, STAKES[i])
            app = self.call(
                "POST", "/kyc/applications", who,
                json={"legal_name": who.full_name, "date_of_birth": "1990-01-01", "nationality": "ID",
                      "national_id_number": nik(self.run, i),
                      "address": "Jl. Melati 3, Jakarta", "annual_income_idr": 10_000_000_000,
                      "investor_type": "individual"},
            )  # fmt: skip
            for kind, data, name, mime in (
                ("id_card", PNG, "ktp.png", "image/png"),
                ("selfie", PNG, "selfie.png", "image/png"),
                ("proof_of_address", PDF, "address.pdf", "application/pdf"),
            ):
                self.call(
                    "POST", f"/kyc/applications/{app['id']}/documents", who,
                    files={"file": (name, data, mime)}, data={"kind": kind},
                )  # fmt: skip
            self.call("POST", f"/kyc/applications/{app['id']}/submit", who)

    def step_kyc_review(self) -> None:
        mine = {who.user_id for who in self.investors}

        def queue() -> list[dict[str, Any]]:
            items = []
            for status in ("in_review", "submitted"):
                page = self.call("GET", f"/compliance/kyc?status={status}&limit=100", self.compliance)
                items += [a for a in page["items"] if str(a.get("user_id")) in mine]
            return items if len(items) >= len(mine) else []

        for application in self.wait("the applications in the compliance queue", queue):
            self.call("POST", f"/compliance/kyc/{application['id']}/assign", self.compliance)
            self.call(
                "POST", f"/compliance/kyc/{application['id']}/decision", self.compliance,
                json={"decision": "approve", "risk_level": "low", "reason": "Documents match; screening clear"},
            )  # fmt: skip

    def step_registry(self) -> None:
        for who in self.investors:
            self.wait(
                f"{who.full_name}'s wallet in the identity registry",
                partial(self._registered, who),
            )

    def step_project(self) -> None:
        now = max(self.chain_now(), int(time.time()))
        starts = dt.datetime.fromtimestamp(now + 2 * 3600, dt.UTC)
        ends = starts + dt.timedelta(days=30)
        body = {
            "name": f"Tol Demo Seksi {self.run}",
            "symbol": "TDS" + self.run[:3].upper().translate(str.maketrans("0123456789", "ABCDEFGHIJ")),
            "description": "A 42 km toll road section under a 35-year PPP concession (demo).",
            "sector": "toll_road",
            "location": "Lampung, Indonesia",
            "concession_years": 35,
            "token_supply": "1000000",
            "spv_wallet": self.spv.address,
            "offering": {
                "price_per_token": str(1 * USDC),
                "soft_cap": str(50_000 * USDC),
                "hard_cap": str(500_000 * USDC),
                "min_investment": str(100 * USDC),
                "max_investment": str(50_000 * USDC),
                "starts_at": starts.isoformat().replace("+00:00", "Z"),
                "ends_at": ends.isoformat().replace("+00:00", "Z"),
            },
        }
        project = self.call("POST", "/projects", self.spv, json=body)
        self.out.project_id = project["id"]
        for kind in ("prospectus", "feasibility_study", "ppp_agreement"):
            self.call(
                "POST", f"/projects/{project['id']}/documents", self.spv,
                files={"file": (f"{kind}.pdf", PDF, "application/pdf")}, data={"kind": kind},
            )  # fmt: skip
        self.call("POST", f"/projects/{project['id']}/submit", self.spv)

    def project(self, who: Person | None = None) -> dict[str, Any]:
        return dict(self.call("GET", f"/projects/{self.out.project_id}", who or self.spv))

    def step_deploy(self) -> None:
        self.call("POST", f"/admin/projects/{self.out.project_id}/approve", self.admin)
        deployed = self.wait("the project's contracts", lambda: (p := self.project())["status"] == "deployed" and p)
        self.out.contracts = dict(deployed["contracts"])

    def step_invest(self) -> None:
        offering = self.project()["offering"]
        starts = dt.datetime.fromisoformat(offering["starts_at"].replace("Z", "+00:00"))
        self.warp_to(int(starts.timestamp()) + 10)
        # The read models tell time by the newest indexed event: a faucet mint after the warp
        # gives them one (on a live chain, other people's transactions do).
        self.faucet(self.spv.address, 1)
        self.wait("the offering to open", lambda: self.project()["offering"]["status"] == "open")
        for i, who in enumerate(self.investors):
            amount = STAKES[i] * USDC
            investment = self.call(
                "POST", "/investments", who,
                json={"project_id": self.out.project_id, "amount": str(amount), "wallet": who.address},
                headers={"Idempotency-Key": f"demo-{self.run}-invest-{i}"},
            )  # fmt: skip
            nonce = self.nonce(who)
            signed = [self.sign(who, tx, nonce + k) for k, tx in enumerate(investment["transactions"])]
            self.call(
                "POST",
                f"/investments/{investment['id']}/broadcast",
                who,
                json={"signed_transactions": signed},
                expect=(202,),
            )
        for who in self.investors:
            self.wait(
                f"{who.full_name}'s investment to confirm",
                partial(self._confirmed, who),
            )

    def step_finalize(self) -> None:
        offering = self.project()["offering"]
        ends = dt.datetime.fromisoformat(offering["ends_at"].replace("Z", "+00:00"))
        self.warp_to(int(ends.timestamp()) + 10)
        tx = self.call("POST", f"/projects/{self.out.project_id}/offering/finalize", self.spv)
        transaction = tx.get("transaction", tx) if isinstance(tx, dict) else tx
        if isinstance(transaction, dict) and transaction.get("data"):
            self.send(self.spv, transaction)
        token = self.out.contracts["token"]
        for i, who in enumerate(self.investors):
            self.wait(
                f"{who.full_name}'s tokens",
                partial(self._holds, token, who, STAKES[i] * TOKEN),
            )

    def step_distribute(self, n: int) -> None:
        amount, period = DISTRIBUTIONS[n]
        answer = self.call(
            "POST", f"/projects/{self.out.project_id}/distributions", self.spv,
            json={"amount": str(amount), "period": period}, headers={"Idempotency-Key": f"demo-{self.run}-{period}"},
        )  # fmt: skip
        for tx in answer["transactions"]:
            self.send(self.spv, tx)
        self.wait(
            f"the {period} distribution to be indexed",
            lambda: self.call("GET", f"/projects/{self.out.project_id}/distributions")["total"] == n + 1,
        )
        if n == 0:  # a holder passes tokens on between the two distributions
            self.send(
                self.investors[0],
                {"to": self.out.contracts["token"], "value": "0", "chain_id": self.chain_id, "gas": 300_000,
                 "data": _encode("ProjectToken", "transfer", [self.investors[4].address, 2_500 * TOKEN])},
            )  # fmt: skip

    def step_claims(self) -> None:
        for who in self.investors:
            claim = self.call("POST", f"/projects/{self.out.project_id}/claims", who, json={})
            self.send(who, claim["transaction"])
            self.out.claimed += int(claim["amount"])
        self.wait(
            "the claims to be indexed",
            lambda: all(
                self._claims(who)["claimable"] == "0" and int(self._claims(who)["claimed"]) > 0
                for who in self.investors
            ),
        )

    def _registered(self, who: Person) -> bool:
        return all(w["registered_on_chain"] for w in self.call("GET", "/me", who)["wallets"])

    def _confirmed(self, who: Person) -> bool:
        return all(i["status"] == "confirmed" for i in self.call("GET", "/investments", who)["items"])

    def _holds(self, token: str, who: Person, amount: int) -> bool:
        return bool(self.eth_call("ProjectToken", token, "balanceOf", who.address) == amount)

    def _claims(self, who: Person) -> dict[str, Any]:
        items = self.call("GET", "/me/claims", who)["items"]
        return next((i for i in items if i["project_id"] == self.out.project_id), {"claimable": "?", "claimed": "0"})

    def step_propose(self) -> None:
        reserve = int(self.eth_call("Treasury", self.out.contracts["treasury"], "reserve"))
        self.out.payee = Account.create().address  # the maintenance contractor
        self.out.payment = min(25_000 * USDC, reserve)
        proposer = self.investors[0]
        proposal = self.call(
            "POST", f"/projects/{self.out.project_id}/proposals", proposer,
            json={"title": "Pay the km 12-18 resurfacing",
                  "description": "Release 25,000 coins from the reserve to the maintenance contractor "
                                 "(invoice 2025-114).",
                  "actions": [{"kind": "treasury_transfer", "to": self.out.payee, "amount": str(self.out.payment)}]},
            headers={"Idempotency-Key": f"demo-{self.run}-proposal"},
        )  # fmt: skip
        self.send(proposer, proposal["transaction"])
        self.out.proposal = self.wait(
            "the proposal to be indexed",
            lambda: (p := self._proposal())["state"] != "awaiting_signature" and p,
        )

    def _proposal(self) -> dict[str, Any]:
        ref = self.out.proposal.get("proposal_id") or self._first_proposal()
        return dict(self.call("GET", f"/projects/{self.out.project_id}/proposals/{ref}"))

    def _first_proposal(self) -> str:
        items = self.call("GET", f"/projects/{self.out.project_id}/proposals")["items"]
        return str(items[0]["proposal_id"])

    def step_votes(self) -> None:
        proposal = self.out.proposal
        start = dt.datetime.fromisoformat(proposal["vote_start"].replace("Z", "+00:00"))
        self.warp_to(int(start.timestamp()) + 1)
        path = f"/projects/{self.out.project_id}/proposals/{proposal['proposal_id']}/votes"
        plan = [("for", False), ("for", False), ("for", True), ("for", True), ("against", False)]
        for who, (support, by_signature) in zip(self.investors, plan, strict=True):
            body: dict[str, Any] = {"support": support}
            if by_signature:
                body["signature"] = self.ballot(who, int(proposal["proposal_id"]), support)
                self.call("POST", path, who, json=body, expect=(202,))
            else:
                body["reason"] = f"{who.full_name.split()[0]} votes {support}"
                answer = self.call("POST", path, who, json=body, expect=(201,))
                self.send(who, answer["transaction"])
        self.wait("five votes to be counted", lambda: self._proposal()["tally"]["voters"] == 5)

    def ballot(self, who: Person, proposal_id: int, support: str) -> str:
        governor = self.out.contracts["governor"]
        _, name, version, chain_id, verifying, _, _ = self.eth_call("ProjectGovernor", governor, "eip712Domain")
        nonce = self.eth_call("ProjectGovernor", governor, "nonces", who.address)
        typed = {
            "types": {
                "EIP712Domain": DOMAIN_TYPES,
                "Ballot": [
                    {"name": "proposalId", "type": "uint256"},
                    {"name": "support", "type": "uint8"},
                    {"name": "voter", "type": "address"},
                    {"name": "nonce", "type": "uint256"},
                ],
            },
            "primaryType": "Ballot",
            "domain": {"name": name, "version": version, "chainId": chain_id, "verifyingContract": verifying},
            "message": {"proposalId": proposal_id, "support": SUPPORT[support], "voter": who.address, "nonce": nonce},
        }
        return "0x" + who.account.sign_message(encode_typed_data(full_message=typed)).signature.hex()

    def step_queue(self) -> None:
        proposal = self._proposal()
        end = dt.datetime.fromisoformat(proposal["vote_end"].replace("Z", "+00:00"))
        self.warp_to(int(end.timestamp()) + 1)
        if (state := self._proposal()["state"]) != "succeeded":
            raise DemoError(f"the proposal is {state}, expected succeeded")
        answer = self.call(
            "POST", f"/projects/{self.out.project_id}/proposals/{proposal['proposal_id']}/queue", self.investors[1]
        )
        self.send(self.investors[1], answer["transaction"])
        self.out.proposal = self.wait(
            "the proposal to be queued", lambda: (p := self._proposal())["state"] == "queued" and p
        )

    def step_execute(self) -> None:
        eta = dt.datetime.fromisoformat(self.out.proposal["eta"].replace("Z", "+00:00"))
        self.warp_to(int(eta.timestamp()) + 1)
        pid = self.out.proposal["proposal_id"]
        answer = self.call("POST", f"/projects/{self.out.project_id}/proposals/{pid}/execute", self.investors[2])
        self.send(self.investors[2], answer["transaction"])
        self.out.proposal = self.wait(
            "the execution to be indexed", lambda: (p := self._proposal())["state"] == "executed" and p
        )

    # ------------------------------------------------------------ the check
    def summary(self) -> list[tuple[str, str, str, bool]]:
        """(figure, from the API, from the chain, equal) rows."""
        c = self.out.contracts
        project = self.project()
        api_raised = int(project["offering"]["raised"])
        chain_raised = int(self.eth_call("Offering", c["offering"], "totalRaised"))
        api_holders = sum(1 for who in self.investors if self._portfolio_tokens(who) > 0)
        chain_holders = sum(
            1 for who in self.investors if self.eth_call("ProjectToken", c["token"], "balanceOf", who.address) > 0
        )
        api_distributed = int(self.call("GET", f"/projects/{self.out.project_id}/distributions")["total_distributed"])
        chain_distributed = int(self.eth_call("Treasury", c["treasury"], "totalDistributed"))
        api_claimed = sum(int(self._claims(who)["claimed"]) for who in self.investors)
        chain_claimed = int(self.eth_call("Treasury", c["treasury"], "totalClaimed"))
        api_state = self._proposal()["state"]
        states = ("pending", "active", "cancelled", "defeated", "succeeded", "queued", "expired", "executed")
        chain_state = states[
            self.eth_call("ProjectGovernor", c["governor"], "state", int(self.out.proposal["proposal_id"]))
        ]
        paid = int(self.eth_call("MockStablecoin", self._stablecoin(), "balanceOf", self.out.payee))
        return [
            ("raised", _coins(api_raised), _coins(chain_raised), api_raised == chain_raised),
            ("holders", str(api_holders), str(chain_holders), api_holders == chain_holders),
            ("distributed", _coins(api_distributed), _coins(chain_distributed), api_distributed == chain_distributed),
            ("claimed", _coins(api_claimed), _coins(chain_claimed), api_claimed == chain_claimed),
            ("proposal outcome", api_state, chain_state, api_state == chain_state),
            ("paid from the reserve", _coins(self.out.payment), _coins(paid), paid == self.out.payment),
        ]

    def _portfolio_tokens(self, who: Person) -> int:
        body = self.call("GET", "/portfolio", who)
        items = body.get("items", body) if isinstance(body, dict) else body
        for item in items:
            if str(item.get("project_id")) == self.out.project_id:
                return int(item.get("tokens") or item.get("tokens_held") or 0)
        return 0

    def _stablecoin(self) -> str:
        return str(self.eth_call("Treasury", self.out.contracts["treasury"], "stablecoin"))


def nik(run: str, i: int) -> str:
    """An Indonesian national id number (NIK) for a man born 1990-01-01 in Jakarta Selatan."""
    return f"317101010190{1 + (int(run, 16) * 7 + i) % 9999:04d}"


def _encode(kind: str, function: str, args: list[Any]) -> str:
    from partisipro.chain.client import encode_call

    return encode_call(kind, function, args)


def _coins(amount: int) -> str:
    whole, frac = divmod(amount, USDC)
    return f"{whole:,}.{frac:06d}"


def run(
    base_url: str, rpc_url: str, *, admin: tuple[str, str, str | None] | None = None, mailbox: Path | None = None
) -> bool:
    """Play the demo with a rich progress bar and print the summary; True when API and chain agree."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console()
    demo = Demo(base_url, rpc_url, admin=admin, mailbox=mailbox, say=console.print)
    steps = demo.steps()
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("Partisipro demo", total=len(steps))
        for title, step in steps:
            progress.update(task, description=title)
            step()
            progress.console.print(f"[green]✓[/green] {title}")
            progress.advance(task)
    rows = demo.summary()
    table = Table(title=f"Project {demo.out.project_id}: the API against the chain")
    for column in ("figure", "API", "chain", "match"):
        table.add_column(column, justify="right" if column in ("API", "chain") else "left")
    for figure, api, chain, ok in rows:
        table.add_row(figure, api, chain, "[green]yes[/green]" if ok else "[red]NO[/red]")
    console.print(table)
    return all(ok for *_, ok in rows)
