"""Real-time publish: ``await publish(channel, payload)``.

Channels: ``user:<uuid>`` (private to one user), ``project:<uuid>`` and ``public``.

With Redis, each message goes to Redis pub/sub on ``events:<channel>`` (live listeners, any
API replica) and is appended to the capped stream ``events:<channel>`` (``XADD MAXLEN ~``)
so a websocket that reconnects can replay what it missed (``history``). On the embedded
profile the same calls fan out in-process to ``subscribe`` queues and keep a bounded
in-memory history.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from partisipro.redis import get_redis

STREAM_MAXLEN = 5000
PREFIX = "events:"

# ARGV: maxlen, the index of the first message worth keeping in the stream, the messages.
# Messages older than the last ``maxlen`` of a batch would be trimmed from the stream at once,
# so they are only published (a 20,000-event backlog writes 5,000 stream entries, not 20,000).
_PUBLISH_SCRIPT = """
local keep_from = tonumber(ARGV[2])
for i = 3, #ARGV do
  if i >= keep_from then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'data', ARGV[i])
  end
  redis.call('PUBLISH', KEYS[1], ARGV[i])
end
return #ARGV - 2
"""

_subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
_history: dict[str, deque[tuple[str, dict[str, Any]]]] = defaultdict(lambda: deque(maxlen=STREAM_MAXLEN))
_sequence = 0


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


async def publish(channel: str, payload: dict[str, Any]) -> None:
    """Publish one message to ``channel``."""
    await publish_many([(channel, payload)])


async def publish_many(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Publish several messages in one round trip (the indexer publishes a block range at once)."""
    await publish_encoded([(channel, encode(payload)) for channel, payload in messages])


async def publish_encoded(messages: list[tuple[str, bytes]]) -> None:
    """``publish_many`` for payloads already JSON-encoded (the indexer encodes each event once)."""
    if not messages:
        return
    redis = get_redis()
    if redis is None:
        _publish_local([(channel, json.loads(body)) for channel, body in messages])
        return
    by_channel: dict[str, list[bytes]] = defaultdict(list)
    for channel, body in messages:
        by_channel[channel].append(body)
    # One server-side script call per channel and chunk: XADD + PUBLISH for each message,
    # in order, without a client round trip (or a parsed reply) per message.
    script = redis.register_script(_PUBLISH_SCRIPT)
    for channel, bodies in by_channel.items():
        first_kept = len(bodies) - STREAM_MAXLEN  # index of the oldest message the stream keeps
        for i in range(0, len(bodies), 1000):
            chunk = bodies[i : i + 1000]
            keep_from = 3 + max(0, first_kept - i)  # the ARGV position of that message in this call
            await script(keys=[PREFIX + channel], args=[STREAM_MAXLEN, keep_from, *chunk])


def _publish_local(messages: list[tuple[str, dict[str, Any]]]) -> None:
    global _sequence
    for channel, payload in messages:
        _sequence += 1
        _history[channel].append((f"{_sequence}-0", payload))
        for queue in list(_subscribers.get(channel, ())):
            if queue.full():  # a slow consumer loses the oldest message, not the process
                queue.get_nowait()
            queue.put_nowait(payload)


async def history(channel: str, after: str = "0", count: int = 100) -> list[tuple[str, dict[str, Any]]]:
    """Messages of ``channel`` after the stream id ``after`` (oldest first)."""
    redis = get_redis()
    if redis is None:
        items = list(_history.get(channel, ()))
        return [(i, p) for i, p in items if _id_after(i, after)][:count]
    entries: Any = await redis.xrange(PREFIX + channel, min=f"({after}" if after != "0" else "-", count=count)
    return [(raw_id.decode(), json.loads(fields[b"data"])) for raw_id, fields in entries]


def _id_after(entry_id: str, after: str) -> bool:
    a = tuple(int(x) for x in entry_id.split("-"))
    b = tuple(int(x) for x in after.split("-")) if "-" in after else (int(after), 0)
    return a > b


@asynccontextmanager
async def subscribe(*channels: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """Live messages of ``channels`` in a queue while the block runs."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
    redis = get_redis()
    if redis is None:
        for channel in channels:
            _subscribers[channel].add(queue)
        try:
            yield queue
        finally:
            for channel in channels:
                _subscribers[channel].discard(queue)
        return
    pubsub = redis.pubsub()
    await pubsub.subscribe(*(PREFIX + c for c in channels))

    async def pump() -> None:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(json.loads(message["data"]))

    task = asyncio.create_task(pump())
    try:
        yield queue
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pubsub.unsubscribe()
        await pubsub.aclose()
