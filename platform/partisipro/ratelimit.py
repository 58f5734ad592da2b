"""Per-route, per-identity rate limits: a fixed window counter in Redis shared by every worker.

Without Redis (embedded dev profile) the same windows are counted in process memory.
Callers name a bucket and an identity (an IP, an email); the limiter raises
``TooManyRequests`` carrying ``Retry-After`` once the window is full.
"""

from __future__ import annotations

import hashlib
import time

from partisipro.errors import TooManyRequests
from partisipro.redis import get_redis

# INCR the counter and set its expiry on first use, atomically; return count and TTL.
_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
return {n, ttl}
"""

_memory: dict[str, tuple[int, float]] = {}


def _key(bucket: str, identity: str, window: int) -> str:
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    return f"partisipro:rl:{bucket}:{window}:{digest}"


async def hit(bucket: str, identity: str, *, limit: int, window: int = 60) -> None:
    """Count one request; raise TooManyRequests when the window already holds ``limit``."""
    key = _key(bucket, identity, window)
    redis = get_redis()
    if redis is not None:
        count, ttl = await redis.eval(_LUA, 1, key, window)  # type: ignore[misc]
        count, ttl = int(count), int(ttl)
    else:
        now = time.monotonic()
        count, reset_at = _memory.get(key, (0, now + window))
        if now >= reset_at:
            count, reset_at = 0, now + window
        count += 1
        _memory[key] = (count, reset_at)
        ttl = int(reset_at - now) + 1
    if count > limit:
        retry = max(ttl, 1)
        raise TooManyRequests(f"Too many requests; try again in {retry} seconds", headers={"Retry-After": str(retry)})
