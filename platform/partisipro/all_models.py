"""Imports every domain's models so that Alembic and ``create_all`` see the whole schema."""

from kyc import models as kyc_models  # noqa: F401
from notifications import models as notification_models  # noqa: F401
from partisipro.audit import models as audit_models  # noqa: F401
from partisipro.auth import models as auth_models  # noqa: F401
from partisipro.chain import models as chain_models  # noqa: F401
from partisipro.db import metadata
from partisipro.governance import models as governance_models  # noqa: F401
from partisipro.idempotency import IdempotencyRecord  # noqa: F401
from partisipro.offerings import models as offering_models  # noqa: F401
from partisipro.projects import models as project_models  # noqa: F401
from partisipro.treasury import models as treasury_models  # noqa: F401

__all__ = ["metadata"]
