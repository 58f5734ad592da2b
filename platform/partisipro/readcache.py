"""Short-lived, per-process cache for hot read endpoints (the public catalogue, portfolios).

``ReadCache(ttl).get(key, compute)`` returns what ``compute()`` returned for ``key`` at most
``ttl`` seconds ago. Two properties matter under load:

* **one computation per key at a time**: concurrent misses of the same key wait for the one
  running ``compute()`` instead of each querying the database (no stampede when an entry
  expires under 32 concurrent clients);
* **stale while revalidating**: once an entry has expired, callers keep getting it while the
  single refresh runs, so no request waits on the database just because a second passed.
  An answer is therefore at most ``ttl`` plus one refresh old; an entry more than
  ``max_stale`` seconds past its time (the database is failing, say) is not served: callers
  wait for the refresh and see its error.

``compute()`` runs in its own task and must open its own database session (the request's
session may be gone before a background refresh finishes). ``forget(key)`` drops an entry, so
a caller's own write is visible to their next read in this process; other processes see it
within ``ttl``. A ``ttl`` of 0 turns the cache off.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger("partisipro.readcache")


class ReadCache(Generic[T]):
    def __init__(self, ttl: float, max_entries: int = 10_000, max_stale: float = 5.0) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_stale = max_stale
        self._entries: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._refreshing: dict[Hashable, asyncio.Task[T]] = {}
        self._generation = 0  # bumped by forget(): a refresh started before it is not stored

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            return entry[1]
        if self.ttl <= 0:
            return await compute()
        task = self._refreshing.get(key)
        if task is None:
            task = asyncio.create_task(self._refresh(key, compute, self._generation))
            task.add_done_callback(_retrieve)
            self._refreshing[key] = task
        if entry is not None and entry[0] + self.max_stale > now:
            return entry[1]  # stale while the refresh runs
        return await asyncio.shield(task)

    async def _refresh(self, key: Hashable, compute: Callable[[], Awaitable[T]], generation: int) -> T:
        try:
            value = await compute()
            if generation == self._generation:
                self._entries[key] = (time.monotonic() + self.ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return value
        finally:
            self._refreshing.pop(key, None)

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)
        self._generation += 1

    def clear(self) -> None:
        self._entries.clear()
        self._generation += 1


def _retrieve(task: asyncio.Task[Any]) -> None:
    """A refresh that failed while only stale readers were around: log it, once."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("read cache refresh failed", error=str(task.exception()))


_caches: list[ReadCache[Any]] = []


def read_cache(ttl: float, max_entries: int = 10_000) -> ReadCache[Any]:
    """A cache registered for ``clear_all`` (tests start each case with empty caches)."""
    cache: ReadCache[Any] = ReadCache(ttl, max_entries)
    _caches.append(cache)
    return cache


def clear_all() -> None:
    for cache in _caches:
        cache.clear()
