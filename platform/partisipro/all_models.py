"""Imports every domain's models so that Alembic and ``create_all`` see the whole schema."""

from partisipro.audit import models as audit_models
from partisipro.auth import models as auth_models
from partisipro.db import metadata

__all__ = ["audit_models", "auth_models", "metadata"]
