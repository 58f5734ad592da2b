"""Notification endpoints: the in-app feed, preferences and the SES feedback (SNS) hook."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.di import Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from partisipro.security import Principal, provide_principal, requires_user
from sqlalchemy.ext.asyncio import AsyncSession

from notifications import schemas, sns
from notifications.catalogue import MANDATORY
from notifications.models import Notification
from notifications.services import FeedService, PreferenceService


async def provide_feed(db_session: AsyncSession) -> FeedService:
    return FeedService(session=db_session)


async def provide_preferences(db_session: AsyncSession) -> PreferenceService:
    return PreferenceService(session=db_session)


def notification_out(item: Notification) -> schemas.NotificationOut:
    return schemas.NotificationOut(
        id=item.id,
        event=item.event,
        category=item.category,
        title=item.title,
        body=item.body,
        link=item.link,
        created_at=item.created_at,
        read_at=item.read_at,
        read=item.read_at is not None,
    )


def preferences_out(values: dict[str, bool]) -> schemas.Preferences:
    return schemas.Preferences(**values, mandatory=sorted(MANDATORY))


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]
    guards = [requires_user]
    dependencies = {"feed": Provide(provide_feed), "principal": Provide(provide_principal)}

    @get("/", summary="The caller's in-app notifications, newest first")
    async def list_notifications(
        self,
        feed: FeedService,
        principal: Principal,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000)] = 0,
        unread_only: bool = False,
    ) -> schemas.NotificationPage:
        items, total, unread = await feed.list(principal.user_id, limit=limit, offset=offset, unread_only=unread_only)
        return schemas.NotificationPage(
            items=[notification_out(i) for i in items], total=total, limit=limit, offset=offset, unread=unread
        )

    @post("/{notification_id:uuid}/read", status_code=HTTP_204_NO_CONTENT, summary="Mark one notification read")
    async def mark_read(self, notification_id: uuid.UUID, feed: FeedService, principal: Principal) -> None:
        await feed.mark_read(principal.user_id, notification_id)

    @post("/read-all", status_code=HTTP_204_NO_CONTENT, summary="Mark every notification read")
    async def mark_all_read(self, feed: FeedService, principal: Principal) -> None:
        await feed.mark_all_read(principal.user_id)


class NotificationPreferencesController(Controller):
    path = "/me/notification-preferences"
    tags = ["notifications"]
    guards = [requires_user]
    dependencies = {"preferences": Provide(provide_preferences), "principal": Provide(provide_principal)}

    @get("/", summary="Email on/off per category")
    async def get_preferences(self, preferences: PreferenceService, principal: Principal) -> schemas.Preferences:
        return preferences_out(await preferences.get(principal.user_id))

    @put("/", status_code=HTTP_200_OK, summary="Change categories; mandatory ones cannot be turned off (422)")
    async def update_preferences(
        self, data: schemas.PreferencesUpdate, preferences: PreferenceService, principal: Principal
    ) -> schemas.Preferences:
        return preferences_out(await preferences.update(principal.user_id, data.changes()))


class SesFeedbackController(Controller):
    """Amazon SNS posts SES bounces and complaints here (signature-verified, no bearer token)."""

    path = "/notifications/ses"
    tags = ["notifications"]
    security = [{}]

    @post("/sns", status_code=HTTP_200_OK, summary="SES bounce and complaint feedback from Amazon SNS")
    async def sns_message(self, request: Request[Any, Any, Any], db_session: AsyncSession) -> schemas.SnsResult:
        return schemas.SnsResult(result=await sns.handle(db_session, await request.body()))


# What the app factory mounts under /api/v1.
ROUTE_HANDLERS = [NotificationController, NotificationPreferencesController, SesFeedbackController]
