"""Imports every domain's jobs module so the worker knows all jobs, loops and schedules."""

import kyc.jobs  # noqa: F401
import notifications.jobs  # noqa: F401
import partisipro.chain.jobs
import partisipro.governance.jobs
import partisipro.offerings.jobs
import partisipro.opsmetrics
import partisipro.treasury.jobs  # noqa: F401
