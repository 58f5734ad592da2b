"""The process's Redis client, or None on the embedded profile (callers fall back in-process)."""

from __future__ import annotations

from redis.asyncio import Redis

from partisipro.settings import get_settings

_clients: dict[str, Redis] = {}


def get_redis() -> Redis | None:
    url = get_settings().redis_url
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        client = Redis.from_url(url, decode_responses=False, health_check_interval=30)
        _clients[url] = client
    return client


async def close_redis() -> None:
    for client in list(_clients.values()):
        await client.aclose()
    _clients.clear()
