"""KYC tests: the app on the test's event loop, documents on an S3-compatible server."""

from __future__ import annotations

import pytest
from litestar import Litestar

from tests.fixtures.kyc_provider import fake_kyc_provider  # noqa: F401
from tests.fixtures.mail import smtp_server  # noqa: F401
from tests.fixtures.s3 import S3Server, moto_s3, s3_server  # noqa: F401


@pytest.fixture
def app(s3_server: S3Server, clean_db: str, clean_redis: None) -> Litestar:  # noqa: F811
    from partisipro.app import create_app
    from partisipro.settings import reset_settings

    reset_settings()
    return create_app()
