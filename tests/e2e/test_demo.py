"""`partisipro demo` against a real server (uvicorn on loopback, test profile, a fresh anvil), with
the platform's real workers and indexer running beside it as they do in production."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.fixtures.realtime import realtime_app, served
from tests.fixtures.treasury import chain_env, node  # noqa: F401

pytestmark = pytest.mark.e2e


async def test_the_demo_plays_a_whole_project_and_its_summary_matches_the_chain(
    chain_env,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import partisipro.all_jobs  # noqa: F401
    from partisipro.auth.services import create_admin_user
    from partisipro.chain import deployment
    from partisipro.chain.indexer import Indexer
    from partisipro.demo import run
    from partisipro.jobs import run_worker
    from partisipro.settings import reset_settings

    monkeypatch.setenv("PARTISIPRO_VAR_DIR", str(tmp_path))  # the mailbox the invitation lands in
    reset_settings()
    await deployment.deploy()
    await create_admin_user(email="root@demo.partisipro.id", full_name="Root Admin", password="root-Password-2025!")

    stop = asyncio.Event()
    async with served(realtime_app()) as base:
        workers = [asyncio.create_task(run_worker(stop)), asyncio.create_task(Indexer(lease_seconds=0.0).run(stop))]
        try:
            ok = await asyncio.to_thread(
                run,
                f"http://{base}",
                chain_env.rpc_url,
                admin=("root@demo.partisipro.id", "root-Password-2025!", None),
                mailbox=tmp_path / "mailbox",
            )
        finally:
            stop.set()
            for task in workers:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 30)
    printed = capsys.readouterr().out
    assert ok, printed
    for figure in ("raised", "holders", "distributed", "claimed", "proposal outcome"):
        assert figure in printed
    assert "executed" in printed and "NO" not in printed
