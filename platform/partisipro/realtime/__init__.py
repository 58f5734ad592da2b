"""Real time: the websocket ``/api/v1/ws`` over the Litestar channels plugin.

``plugin(settings)`` builds the ``ChannelsPlugin`` the app factory registers: with Redis, a
``RedisChannelsStreamBackend`` over the streams ``partisipro.events.publish`` writes (history
kept, every API replica sees every message); without Redis (dev profile) an in-process
backend over the same module. Publishing stays ``partisipro.events.publish(channel, payload)``.
"""

from __future__ import annotations

from litestar.channels import ChannelsPlugin

from partisipro.settings import Settings, get_settings

SUBSCRIBER_BACKLOG = 1000


def plugin(settings: Settings | None = None) -> ChannelsPlugin:
    from partisipro.realtime.backends import EventsStreamBackend, InProcessEventsBackend

    settings = settings or get_settings()
    backend = EventsStreamBackend() if settings.redis_url else InProcessEventsBackend()
    return ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=SUBSCRIBER_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


__all__ = ["plugin"]
