"""events.publish_encoded against Redis: every message is published live (a large batch in
frames of ``FRAME_SIZE``), the replay stream keeps the newest ``STREAM_MAXLEN`` of it, in order."""

from __future__ import annotations

import json

import pytest
from partisipro import events
from partisipro.redis import get_redis

pytestmark = pytest.mark.integration


async def test_a_batch_larger_than_the_stream_is_published_whole_and_the_stream_keeps_the_newest(
    clean_redis: None,
) -> None:
    redis = get_redis()
    assert redis is not None
    total = events.STREAM_MAXLEN + 1500
    bodies = [json.dumps({"type": "chain.event", "n": n}).encode() for n in range(total)]

    pubsub = redis.pubsub()
    await pubsub.subscribe(events.PREFIX + "public")
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    await events.publish_encoded([("public", body) for body in bodies])
    received: list[int] = []
    frames = 0
    while len(received) < total:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        if message is None:
            break
        frames += 1
        received.extend(p["n"] for p in events.unpack_frame(message["data"]))
    assert received == list(range(total))
    assert frames == -(-total // events.FRAME_SIZE)

    length = await redis.xlen(events.PREFIX + "public")
    assert events.STREAM_MAXLEN <= length < events.STREAM_MAXLEN + 200  # MAXLEN ~ trims by whole nodes
    kept = [p["n"] for _, p in await events.history("public", count=length)]
    assert kept == list(range(total - length, total))

    # One message alone is published as itself (not an array of one) and appended to the stream.
    await events.publish("public", {"type": "chain.reorg", "n": total})
    single = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    await pubsub.aclose()
    assert single is not None and json.loads(single["data"]) == {"type": "chain.reorg", "n": total}
    newest = (await redis.xrevrange(events.PREFIX + "public", count=1))[0][1][b"data"]
    assert json.loads(newest)["n"] == total
