"""The `partisipro` command: serve, dev, database, users and (as they land) chain, worker, indexer."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

from partisipro.settings import ConfigurationError, get_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Partisipro: tokenised PPP infrastructure investing."""


def _serve(host: str, port: int, workers: int, announce: bool) -> None:
    import uvicorn

    settings = get_settings()
    try:
        settings.check_production()
    except ConfigurationError as exc:
        raise click.ClickException(f"refusing to start: {exc}") from exc
    if announce:
        base = f"http://{host}:{port}"
        click.echo(f"Partisipro ({settings.profile} profile) on {base}")
        click.echo(f"  API docs:  {base}/schema  (Swagger UI at {base}/schema/swagger)")
        click.echo(f"  OpenAPI:   {base}/schema/openapi.json")
        click.echo(f"  Database:  {settings.database_url}")
    uvicorn.run(
        "partisipro.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips="*" if settings.is_production else "127.0.0.1",
    )


@main.command()
@click.option("--host", default=None, help="Interface to bind (default from PARTISIPRO_HOST).")
@click.option("--port", type=int, default=None, help="Port (default from PARTISIPRO_PORT).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Run the HTTP API (production entry point)."""
    settings = get_settings()
    _serve(host or settings.host, port or settings.port, workers, announce=False)


@main.command()
@click.option("--port", type=int, default=8000, show_default=True)
def dev(port: int) -> None:
    """Run everything on embedded defaults (what `make run` does)."""
    os.environ.setdefault("PARTISIPRO_PROFILE", "dev")
    os.environ.setdefault("PARTISIPRO_LOG_JSON", "false")
    _serve("127.0.0.1", port, 1, announce=True)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations (up to REVISION, default head)."""
    from partisipro.migrate import upgrade_sync

    upgrade_sync(revision)
    click.echo(f"database at {revision}")


@main.command()
@click.option("--no-loops", is_flag=True, help="Only run queue jobs, not the outbox loops.")
def worker(no_loops: bool) -> None:
    """Run the queue workers and outbox loops until SIGTERM/SIGINT."""
    from partisipro.jobs import run_worker

    async def _main() -> None:
        import signal

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(stop, loops=not no_loops)

    asyncio.run(_main())


@main.group()
def users() -> None:
    """User administration."""


@users.command("create-admin")
@click.option("--email", required=True)
@click.option("--full-name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(email: str, full_name: str, password: str) -> None:
    """Create a platform admin (TOTP is set up at first login through /me/mfa/totp)."""
    from partisipro.auth.services import create_admin_user

    try:
        user = asyncio.run(create_admin_user(email=email, full_name=full_name, password=password))
    except Exception as exc:  # the service raises domain errors with a readable detail
        raise click.ClickException(getattr(exc, "detail", str(exc))) from exc
    click.echo(f"admin {user.email} created with id {user.id}")


@main.group()
def chain() -> None:
    """Platform contracts on the configured chain."""


@chain.command("deploy")
@click.option("--force", is_flag=True, help="Deploy a new platform even if one is recorded for this chain.")
@click.option(
    "--deployer-key",
    envvar="PARTISIPRO_CHAIN_DEPLOYER_KEY",
    default=None,
    help="Deployer private key (default: the platform signer key).",
)
@click.option(
    "--mock-stablecoin/--no-mock-stablecoin",
    default=None,
    help="Deploy MockStablecoin (default: everywhere but production).",
)
def chain_deploy(force: bool, deployer_key: str | None, mock_stablecoin: bool | None) -> None:
    """Deploy the platform contracts (idempotent) and record their addresses (DB + JSON file)."""
    from partisipro.chain.client import ChainUnavailable, close_clients
    from partisipro.chain.deployment import DeploymentError, deploy
    from partisipro.db import dispose_engines

    async def _main() -> object:
        try:
            return await deploy(force=force, deployer_key=deployer_key, with_mock_stablecoin=mock_stablecoin)
        finally:
            await close_clients()
            await dispose_engines()

    try:
        result = asyncio.run(_main())
    except (DeploymentError, ChainUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    verb = "deployed" if result.deployed else "already deployed"  # type: ignore[attr-defined]
    click.echo(f"platform {verb} on chain {result.chain_id}; addresses in {result.json_path}")  # type: ignore[attr-defined]
    for name, address in result.contracts.items():  # type: ignore[attr-defined]
        click.echo(f"  {name:<24} {address}")


@main.command()
def indexer() -> None:
    """Run the chain indexer alone until SIGTERM/SIGINT (one leader; others wait as standby)."""
    from partisipro.chain.client import close_clients
    from partisipro.chain.indexer import Indexer
    from partisipro.db import dispose_engines

    async def _main() -> None:
        import signal

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await Indexer().run(stop)
        finally:
            await close_clients()
            await dispose_engines()

    asyncio.run(_main())


@main.command()
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True, help="The server `make run` started.")
@click.option("--rpc-url", default="http://127.0.0.1:8545", show_default=True, help="The dev chain (anvil).")
@click.option("--admin-email", default=None, help="An existing admin (default: create one, as `users create-admin`).")
@click.option("--admin-password", default=None)
@click.option("--admin-totp-secret", default=None, help="The existing admin's TOTP secret, when enrolled.")
@click.option("--mailbox", type=click.Path(path_type=Path), default=None, help="Dev mailbox folder (invitation email).")
def demo(
    base_url: str,
    rpc_url: str,
    admin_email: str | None,
    admin_password: str | None,
    admin_totp_secret: str | None,
    mailbox: Path | None,
) -> None:
    """Play the whole life of a project over the public API against a dev server."""
    os.environ.setdefault("PARTISIPRO_PROFILE", "dev")
    from partisipro.demo import DemoError, run

    admin = (admin_email, admin_password or "", admin_totp_secret) if admin_email else None
    try:
        ok = run(base_url, rpc_url, admin=admin, mailbox=mailbox or get_settings().var_dir / "mailbox")
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    if not ok:
        raise click.ClickException("the API and the chain disagree (see the table)")


if __name__ == "__main__":
    sys.exit(main())
