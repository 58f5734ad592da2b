"""Which channels a websocket may listen to, and the replay of what a reconnecting client missed."""

from __future__ import annotations

import time
import uuid
from typing import Any

from partisipro import events
from partisipro.errors import BadRequest, Forbidden
from partisipro.realtime.backends import envelope, id_key
from partisipro.security import Principal

MAX_CHANNELS = 20
# A reconnecting client gets what it missed in this window (older messages stay in the
# stream for other uses but are not replayed: the client should reload its state instead).
REPLAY_SECONDS = 300
REPLAY_MAX = 500


def private_channel(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def project_channel(project_id: uuid.UUID | str) -> str:
    return f"project:{project_id}"


def channels_for(principal: Principal, requested: str | None) -> list[str]:
    """The caller's private channel plus the public ones asked for (``public``, ``project:<uuid>``).

    Another user's private channel is 403; a malformed name is 400.
    """
    own = private_channel(principal.user_id)
    out = [own]
    names = [n.strip() for n in (requested or "").split(",") if n.strip()]
    if len(names) > MAX_CHANNELS:
        raise BadRequest.field("channels", f"at most {MAX_CHANNELS} channels")
    for name in names:
        kind, _, ref = name.partition(":")
        if name == "public":
            pass
        elif kind in ("project", "user") and ref:
            try:
                ref_id = uuid.UUID(ref)
            except ValueError:
                raise BadRequest.field("channels", f"{name!r} does not name a valid id") from None
            if kind == "user" and ref_id != principal.user_id:
                raise Forbidden("A user's private channel is theirs alone")
            name = f"{kind}:{ref_id}"
        else:
            raise BadRequest.field("channels", f"{name!r}: use public, project:<id> or user:<your id>")
        if name not in out:
            out.append(name)
    return out


def valid_event_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        first, second = id_key(value)
    except ValueError:
        raise BadRequest.field("last_event_id", "is not an event id (the `id` of a received event)") from None
    if first < 0 or second < 0:
        raise BadRequest.field("last_event_id", "is not an event id (the `id` of a received event)")
    return value


def _window_start(after: str) -> str:
    """``after``, moved forward to the replay window when ids are Redis stream ids (milliseconds)."""
    ms, _ = id_key(after)
    floor = int(time.time() * 1000) - REPLAY_SECONDS * 1000
    if ms > 10**12 and ms < floor:  # a Redis id older than the window
        return f"{floor}-0"
    return after


async def missed(channels: list[str], after: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Messages of ``channels`` after the stream id ``after`` (within the window), oldest first."""
    start = _window_start(after)
    found: list[tuple[str, str, dict[str, Any]]] = []
    for channel in channels:
        for stream_id, payload in await events.history(channel, start, count=REPLAY_MAX):
            found.append((stream_id, channel, payload))
    found.sort(key=lambda item: id_key(item[0]))
    return found[-REPLAY_MAX:]


def replay_frames(items: list[tuple[str, str, dict[str, Any]]]) -> list[bytes]:
    return [envelope(stream_id, channel, payload) for stream_id, channel, payload in items]
