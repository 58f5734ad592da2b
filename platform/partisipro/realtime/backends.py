"""Channels backends that read what ``partisipro.events.publish`` writes.

``partisipro.events`` is the one publishing API (the indexer, notifications and the domains
call it). With Redis it appends every message to the capped stream ``events:<channel>``
(field ``data``, the JSON payload) and publishes it on pub/sub; without Redis (dev profile)
it fans out in-process and keeps a bounded history. The websocket side of the real-time API
is the Litestar channels plugin, so the plugin needs a backend that reads those same
messages:

* ``EventsStreamBackend`` (production, test): a ``RedisChannelsStreamBackend`` whose stream
  keys are ``events:<channel>``. Each process ``XREAD``s (blocking) only the streams of the
  channels its sockets listen to, from the stream id that was newest when the channel was
  first subscribed, so nothing published after a subscription is missed and nothing older
  is pushed as live.
* ``InProcessEventsBackend`` (dev): the in-memory equivalent over ``events.subscribe`` and
  ``events.history``.

Both yield an *envelope* per message: ``{"id": <stream id>, "channel", "type", "data"}``
(JSON bytes). The stream id lets a reconnecting client say where it stopped
(``?last_event_id=``) and lets the websocket drop a live message it already replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Iterable
from typing import Any

from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.redis import RedisChannelsStreamBackend

from partisipro import events
from partisipro.redis import get_redis

__all__ = ["EventsStreamBackend", "InProcessEventsBackend", "envelope", "id_key"]

HISTORY = events.STREAM_MAXLEN
READ_COUNT = 200


def id_key(stream_id: str) -> tuple[int, int]:
    """A stream id (``"<ms>-<seq>"``) as a comparable tuple."""
    first, _, second = stream_id.partition("-")
    return int(first or 0), int(second or 0)


def envelope(stream_id: str, channel: str, payload: dict[str, Any]) -> bytes:
    body = {"id": stream_id, "channel": channel, "type": payload.get("type"), "data": payload}
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def _decode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class EventsStreamBackend(RedisChannelsStreamBackend):
    """Redis streams backend over ``partisipro.events``' stream layout (``events:<channel>``)."""

    def __init__(self, *, block_ms: int = 250) -> None:
        redis = get_redis()
        if redis is None:
            raise RuntimeError("EventsStreamBackend needs Redis (PARTISIPRO_REDIS_URL)")
        super().__init__(history=HISTORY, redis=redis, key_prefix=events.PREFIX.rstrip(":"))
        self._block_ms = block_ms
        self._positions: dict[str, str] = {}
        self._changed = asyncio.Event()

    @property
    def _client(self) -> Any:
        # Resolved on every use: the process's client may be replaced (closed and reopened).
        return get_redis() or self._redis

    def _make_key(self, channel: str) -> str:
        return events.PREFIX + channel

    async def subscribe(self, channels: Iterable[str]) -> None:
        for channel in channels:
            if channel in self._positions:
                continue
            newest = await self._client.xrevrange(self._make_key(channel), count=1)
            self._positions[channel] = _decode(newest[0][0]) if newest else "0-0"
        self._changed.set()

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        for channel in channels:
            self._positions.pop(channel, None)
        self._changed.set()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        payload = json.loads(data)
        await events.publish_many([(channel, payload) for channel in channels])

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        while True:
            if not self._positions:
                self._changed.clear()
                await self._changed.wait()
                continue
            keys = {self._make_key(c): position for c, position in self._positions.items()}
            found = await self._client.xread(keys, block=self._block_ms, count=READ_COUNT)
            for raw_key, entries in found or []:
                channel = _decode(raw_key)[len(events.PREFIX) :]
                for raw_id, fields in entries:
                    stream_id = _decode(raw_id)
                    if channel in self._positions:
                        self._positions[channel] = stream_id
                    yield channel, envelope(stream_id, channel, json.loads(fields[b"data"]))

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        entries = await self._client.xrevrange(self._make_key(channel), count=limit or HISTORY)
        return [envelope(_decode(i), channel, json.loads(f[b"data"])) for i, f in reversed(entries)]


class InProcessEventsBackend(ChannelsBackend):
    """The dev profile's backend: ``events.subscribe`` rings the bell, ``events.history`` has the ids."""

    def __init__(self) -> None:
        self._positions: dict[str, str] = {}
        self._listeners: dict[str, asyncio.Task[None]] = {}
        self._bell: asyncio.Queue[str] | None = None

    @property
    def bell(self) -> asyncio.Queue[str]:
        if self._bell is None:
            self._bell = asyncio.Queue()
        return self._bell

    async def on_startup(self) -> None:
        return None

    async def on_shutdown(self) -> None:
        await self.unsubscribe(list(self._listeners))

    async def subscribe(self, channels: Iterable[str]) -> None:
        for channel in channels:
            if channel in self._listeners:
                continue
            past = await events.history(channel, "0", count=HISTORY)
            self._positions[channel] = past[-1][0] if past else "0-0"
            ready = asyncio.Event()
            self._listeners[channel] = asyncio.create_task(self._listen(channel, ready))
            await ready.wait()

    async def _listen(self, channel: str, ready: asyncio.Event) -> None:
        async with events.subscribe(channel) as queue:
            ready.set()
            while True:
                await queue.get()
                self.bell.put_nowait(channel)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        for channel in list(channels):
            task = self._listeners.pop(channel, None)
            self._positions.pop(channel, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        payload = json.loads(data)
        await events.publish_many([(channel, payload) for channel in channels])

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        while True:
            channel = await self.bell.get()
            position = self._positions.get(channel)
            if position is None:
                continue
            for stream_id, payload in await events.history(channel, position, count=HISTORY):
                self._positions[channel] = stream_id
                yield channel, envelope(stream_id, channel, payload)

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        items = await events.history(channel, "0", count=HISTORY)
        if limit:
            items = items[-limit:]
        return [envelope(i, channel, p) for i, p in items]
