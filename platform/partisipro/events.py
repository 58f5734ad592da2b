"""Real-time publish: ``await publish(channel, payload)``.

Channels: ``user:<uuid>`` (private to one user), ``project:<uuid>`` and ``public``.

With Redis, each message goes to Redis pub/sub on ``events:<channel>`` (live listeners, any
API replica) and is appended to the capped stream ``events:<channel>`` (``XADD MAXLEN ~``)
so a websocket that reconnects can replay what it missed (``history``). A pub/sub message is
one JSON object, or, when several are published at once, a JSON array of up to ``FRAME_SIZE``
of them in order (one PUBLISH per array: the indexer publishes a 20,000-event backlog in 20
frames); ``subscribe`` unpacks arrays. Stream entries are always one message each. On the
embedded profile the same calls fan out in-process to ``subscribe`` queues and keep a bounded
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

FRAME_SIZE = 1000
# KEYS[1]: the stream; ARGV: maxlen, then messages to append (one XADD each, no round trip each).
_APPEND_SCRIPT = """
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'data', ARGV[i])
end
return #ARGV - 1
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
    # One round trip for the whole batch: per frame, the XADDs of the messages the stream keeps
    # (one script call) and then one PUBLISH of the frame. Messages older than the last
    # ``STREAM_MAXLEN`` of a batch would be trimmed from the stream at once, so they are only
    # published (a 20,000-event backlog writes 5,000 stream entries, not 20,000).
    append = redis.register_script(_APPEND_SCRIPT)
    async with redis.pipeline(transaction=False) as pipe:
        for channel, bodies in by_channel.items():
            key = PREFIX + channel
            first_kept = len(bodies) - STREAM_MAXLEN  # index of the oldest message the stream keeps
            for i in range(0, len(bodies), FRAME_SIZE):
                chunk = bodies[i : i + FRAME_SIZE]
                kept = chunk[max(0, first_kept - i) :]
                if kept:
                    await append(keys=[key], args=[STREAM_MAXLEN, *kept], client=pipe)
                pipe.publish(key, chunk[0] if len(chunk) == 1 else b"[" + b",".join(chunk) + b"]")
        await pipe.execute()


def unpack_frame(data: bytes | str) -> list[dict[str, Any]]:
    """The messages of one pub/sub message (one JSON object, or an array of them)."""
    decoded = json.loads(data)
    return decoded if isinstance(decoded, list) else [decoded]


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
                for payload in unpack_frame(message["data"]):
                    if queue.full():
                        queue.get_nowait()
                    queue.put_nowait(payload)

    task = asyncio.create_task(pump())
    try:
        yield queue
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pubsub.unsubscribe()
        await pubsub.aclose()
