"""``WS /api/v1/ws?token=<access token>[&channels=project:<id>,public][&last_event_id=<id>]``.

Every frame the server sends is JSON: ``{"id", "channel", "type", "data"}`` where ``type`` is
the event (``investment.confirmed``, ``kyc.decided``, ``distribution.created``,
``proposal.created``, ``proposal.state_changed``, ``vote.cast``, ``notification``,
``chain.event``...) and ``data`` its payload. The caller's private channel ``user:<id>`` is
always included; ``channels`` adds public ones. A client that reconnects passes the ``id`` of
the last frame it received as ``last_event_id`` and first gets what it missed (within
``services.REPLAY_SECONDS``), then live frames, without duplicates.

Close codes: 4401 no or invalid token, 4403 another user's private channel, 4400 bad query.
A client may send ``{"type": "ping"}``; the server answers ``{"type": "pong"}``.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect

from partisipro.errors import AppError
from partisipro.realtime import services
from partisipro.realtime.backends import id_key

CLOSE_CODES = {400: 4400, 401: 4401, 403: 4403}


def _plugin(socket: WebSocket[Any, Any, Any]) -> ChannelsPlugin:
    try:
        return socket.app.plugins.get(ChannelsPlugin)
    except KeyError:  # a wiring mistake, not a client error
        raise RuntimeError("the real-time channels plugin is not registered (realtime.plugin(settings))") from None


class RealtimeController(Controller):
    path = "/ws"
    tags = ["real time"]

    @websocket("/", summary="Real-time events for the authenticated user")
    async def events(self, socket: WebSocket[Any, Any, Any]) -> None:
        await socket.accept()
        principal = socket.scope.get("user")
        if principal is None:
            reason = socket.scope.get("state", {}).get("auth_error") or "authentication required"
            await socket.close(code=4401, reason=str(reason)[:120])
            return
        try:
            channels = services.channels_for(principal, socket.query_params.get("channels"))
            last_event_id = services.valid_event_id(socket.query_params.get("last_event_id"))
        except AppError as exc:
            await socket.close(code=CLOSE_CODES.get(exc.status, 4400), reason=exc.detail[:120])
            return

        sent: dict[str, tuple[int, int]] = {}

        async def send(frame: bytes) -> None:
            body = json.loads(frame)
            position = id_key(body["id"])
            if position <= sent.get(body["channel"], (-1, -1)):
                return  # already replayed
            sent[body["channel"]] = position
            await socket.send_text(frame.decode())

        plugin = _plugin(socket)
        async with plugin.start_subscription(channels) as subscriber:
            # Subscribed first, replay second: what arrives meanwhile waits in the subscriber's queue.
            if last_event_id is not None:
                for frame in services.replay_frames(await services.missed(channels, last_event_id)):
                    await send(frame)
            async with subscriber.run_in_background(send, join=False):
                await socket.send_json({"type": "subscribed", "channels": channels})
                try:
                    while True:
                        message = await socket.receive_data(mode="text")
                        if _is_ping(message):
                            await socket.send_json({"type": "pong"})
                except WebSocketDisconnect:
                    pass


def _is_ping(message: Any) -> bool:
    try:
        return isinstance(message, str) and json.loads(message).get("type") == "ping"
    except (ValueError, AttributeError):
        return False


ROUTE_HANDLERS = [RealtimeController]
