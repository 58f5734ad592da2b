"""ReadCache: one computation per key, stale answers while refreshing, forget, expiry bounds."""

from __future__ import annotations

import asyncio

import pytest
from partisipro.readcache import ReadCache


class Source:
    """A slow 'database' that counts its queries and can be told to fail."""

    def __init__(self) -> None:
        self.value = "v1"
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()
        self.fail = False

    async def read(self) -> str:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("database down")
        return self.value


async def test_concurrent_misses_share_one_computation() -> None:
    cache: ReadCache[str] = ReadCache(ttl=60)
    source = Source()
    source.release.clear()
    readers = [asyncio.create_task(cache.get("k", source.read)) for _ in range(32)]
    await asyncio.sleep(0.01)
    source.release.set()
    assert await asyncio.gather(*readers) == ["v1"] * 32
    assert source.calls == 1
    assert await cache.get("k", source.read) == "v1"
    assert source.calls == 1


async def test_an_expired_entry_is_served_while_one_refresh_runs() -> None:
    cache: ReadCache[str] = ReadCache(ttl=0.05)
    source = Source()
    assert await cache.get("k", source.read) == "v1"
    await asyncio.sleep(0.06)
    source.value = "v2"
    source.release.clear()
    stale = await asyncio.gather(*(cache.get("k", source.read) for _ in range(10)))
    assert stale == ["v1"] * 10  # nobody waited for the slow refresh
    assert source.calls == 2
    source.release.set()
    await asyncio.sleep(0.01)
    assert await cache.get("k", source.read) == "v2"


async def test_forget_drops_the_entry_and_a_refresh_started_before_is_not_stored() -> None:
    cache: ReadCache[str] = ReadCache(ttl=60)
    source = Source()
    source.release.clear()
    first = asyncio.create_task(cache.get("k", source.read))
    await asyncio.sleep(0.01)
    source.value = "v2"  # a write lands while the old read is in flight ...
    cache.forget("k")  # ... and its author drops the entry
    source.release.set()
    await first
    assert await cache.get("k", source.read) == "v2"


async def test_too_stale_entries_are_not_served_and_errors_reach_the_caller() -> None:
    cache: ReadCache[str] = ReadCache(ttl=0.02, max_stale=0.05)
    source = Source()
    assert await cache.get("k", source.read) == "v1"
    source.fail = True
    await asyncio.sleep(0.03)
    assert await cache.get("k", source.read) == "v1"  # stale, the refresh fails in the background
    await asyncio.sleep(0.06)
    with pytest.raises(RuntimeError, match="database down"):
        await cache.get("k", source.read)


async def test_a_zero_ttl_computes_every_time() -> None:
    cache: ReadCache[str] = ReadCache(ttl=0)
    source = Source()
    for _ in range(3):
        assert await cache.get("k", source.read) == "v1"
    assert source.calls == 3
