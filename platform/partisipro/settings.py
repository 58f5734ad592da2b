"""Settings: one object, read lazily from the environment (prefix ``PARTISIPRO_``).

Two profiles. ``dev`` runs on embedded defaults (SQLite file, in-process cache and
queue, local folders for documents and mail, anvil started by the app) and generates
any secret it is not given. ``production`` requires every secret and refuses to start
when one is missing or still carries a dev value. ``test`` is ``dev`` with the real
servers the test suite talks to.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]

# A value that marks a secret as "dev only": production refuses any setting that starts with it.
DEV_MARKER = "dev-insecure-"

# Anvil's first well-known account: fine for a local chain, never for a real one.
ANVIL_DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


class ConfigurationError(RuntimeError):
    """The settings cannot run the chosen profile."""


def _dev_secret(name: str) -> str:
    # Deterministic per-checkout dev secret so restarts keep sessions valid.
    digest = hashlib.sha256(f"{REPO_ROOT}:{name}".encode()).hexdigest()
    return f"{DEV_MARKER}{digest}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARTISIPRO_", extra="ignore", frozen=False)

    profile: Literal["dev", "test", "production"] = "dev"
    app_name: str = "Partisipro"
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    var_dir: Path = REPO_ROOT / "var"
    cors_origins: list[str] = Field(default_factory=list)

    # Storage engines
    database_url: str = ""
    database_echo: bool = False
    database_pool_size: int = 10
    redis_url: str = ""

    # Secrets
    jwt_secret: str = ""
    field_encryption_keys: str = ""  # "keyid:base64key,keyid2:base64key"
    field_encryption_active_key: str = ""
    platform_signer_key: str = ""  # hex private key of the platform agent (or use KMS)
    platform_signer_kms_key_id: str = ""
    kyc_webhook_secret: str = ""
    kyc_provider_token: str = ""

    # Auth
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    email_token_ttl_seconds: int = 24 * 3600
    password_reset_ttl_seconds: int = 3600
    wallet_challenge_ttl_seconds: int = 600
    staff_requires_totp: bool = True
    rate_limit_per_minute: int = 10

    # Chain
    chain_rpc_url: str = ""
    chain_id: int = 31337
    chain_confirmations: int = 0
    chain_start_anvil: bool | None = None  # default: True in dev when no RPC URL is given
    deployments_file: Path | None = None
    platform_fee_bps: int = 100
    fee_recipient: str = ""
    # The investment currency (e.g. a rupiah stablecoin) outside dev, where a mock is deployed.
    stablecoin_address: str = ""
    chain_tx_stuck_seconds: float = 60.0
    chain_sender_batch: int = 50
    # Project governance parameters written into each project's governor and timelock.
    governance_voting_delay_seconds: int = 3600
    governance_voting_period_seconds: int = 3 * 24 * 3600
    governance_timelock_delay_seconds: int = 24 * 3600

    # Documents
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "ap-southeast-3"
    s3_kms_key_id: str = ""
    presign_ttl_seconds: int = 300

    # Email
    email_backend: Literal["mailbox", "smtp", "ses"] = "mailbox"
    email_from: str = "Partisipro <no-reply@partisipro.local>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    ses_region: str = "ap-southeast-3"
    ses_configuration_set: str = ""

    # KYC
    kyc_provider: Literal["manual", "sumsub"] = "manual"
    kyc_provider_url: str = ""
    kyc_provider_secret: str = ""  # signs outbound provider API requests
    kyc_approval_valid_days: int = 730
    jurisdiction: str = "ID"

    # Investing
    cooling_off_seconds: int = 48 * 3600

    # Operations
    metrics_enabled: bool = True
    # When set, workers publish queue depth, indexer lag and dead letters to CloudWatch.
    cloudwatch_namespace: str = ""
    cloudwatch_environment: str = ""
    ses_events_queue_url: str = ""

    @property
    def is_production(self) -> bool:
        return self.profile == "production"

    @property
    def uses_embedded(self) -> bool:
        return self.profile == "dev"

    @model_validator(mode="after")
    def _fill_profile_defaults(self) -> Settings:
        if self.profile == "production":
            return self
        if not self.database_url:
            if self.profile == "test":
                self.database_url = "mysql+aiomysql://root@127.0.0.1:3306/test"
            else:
                self.database_url = f"sqlite+aiosqlite:///{self.var_dir / 'partisipro.sqlite3'}"
        if not self.redis_url and self.profile == "test":
            self.redis_url = "redis://127.0.0.1:6379/0"
        if not self.jwt_secret:
            self.jwt_secret = _dev_secret("jwt")
        if not self.field_encryption_keys:
            key = base64.b64encode(hashlib.sha256(_dev_secret("field").encode()).digest()).decode()
            self.field_encryption_keys = f"dev1:{key}"
            self.field_encryption_active_key = "dev1"
        if not self.platform_signer_key and not self.platform_signer_kms_key_id:
            self.platform_signer_key = ANVIL_DEPLOYER_KEY
        if not self.kyc_webhook_secret:
            self.kyc_webhook_secret = _dev_secret("kyc-webhook")
        if self.chain_start_anvil is None:
            self.chain_start_anvil = self.profile == "dev" and not self.chain_rpc_url
        return self

    def check_production(self) -> None:
        """Raise ConfigurationError listing every missing or dev-valued secret."""
        if not self.is_production:
            return
        problems: list[str] = []
        required = {
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "jwt_secret": self.jwt_secret,
            "field_encryption_keys": self.field_encryption_keys,
            "field_encryption_active_key": self.field_encryption_active_key,
            "chain_rpc_url": self.chain_rpc_url,
            "kyc_webhook_secret": self.kyc_webhook_secret,
            "fee_recipient": self.fee_recipient,
            "stablecoin_address": self.stablecoin_address,
        }
        for name, value in required.items():
            if not value:
                problems.append(f"PARTISIPRO_{name.upper()} is required in production")
            elif DEV_MARKER in value:
                problems.append(f"PARTISIPRO_{name.upper()} still holds a dev value")
        if not self.platform_signer_key and not self.platform_signer_kms_key_id:
            problems.append(
                "PARTISIPRO_PLATFORM_SIGNER_KEY or PARTISIPRO_PLATFORM_SIGNER_KMS_KEY_ID is required in production"
            )
        if self.platform_signer_key.lower() == ANVIL_DEPLOYER_KEY:
            problems.append("PARTISIPRO_PLATFORM_SIGNER_KEY is a public anvil test key")
        if self.jwt_secret and DEV_MARKER not in self.jwt_secret and len(self.jwt_secret) < 32:
            problems.append("PARTISIPRO_JWT_SECRET must be at least 32 characters")
        if self.database_url.startswith("sqlite"):
            problems.append("PARTISIPRO_DATABASE_URL must point at MySQL in production")
        if self.storage_backend != "s3" or not self.s3_bucket:
            problems.append("PARTISIPRO_STORAGE_BACKEND=s3 and PARTISIPRO_S3_BUCKET are required in production")
        if self.email_backend == "mailbox":
            problems.append("PARTISIPRO_EMAIL_BACKEND must be smtp or ses in production")
        if self.chain_start_anvil:
            problems.append("PARTISIPRO_CHAIN_START_ANVIL cannot be on in production")
        if problems:
            raise ConfigurationError("; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
