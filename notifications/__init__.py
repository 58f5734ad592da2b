"""Notifications: a transactional outbox delivered by email (SMTP, SES or a dev mailbox),
an in-app feed, real-time push, per-category preferences and a suppression list.

Other domains call exactly two names::

    import notifications

    await notifications.notify(
        session,
        "kyc.approved",
        [notifications.Recipient(user_id=user.id, email=user.email, locale=user.locale)],
        {"name": user.full_name, "valid_until": expires_at},
        event_id=str(application.id),
    )

``notify`` writes rows in the caller's transaction (nothing is sent on rollback); the event
names and the context keys each template uses are listed in ``notifications/README.md`` and
``notifications/catalogue.py``.
"""

from notifications.services import Recipient, notify

__all__ = ["Recipient", "notify"]
