"""TOTP (RFC 6238) helpers over pyotp: enrolment secret, provisioning URI, single-use check."""

from __future__ import annotations

import hmac
import time

import pyotp

ISSUER = "Partisipro"
# Codes of the previous, current and next 30 s step are accepted (clock drift).
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step whose code equals ``code`` within the window, or None."""
    if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(time.time() if at is None else at)
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept(secret: str, code: str, last_step: int | None, *, at: float | None = None) -> int | None:
    """The step to record when ``code`` is valid and newer than ``last_step`` (no reuse), else None."""
    step = matching_step(secret, code, at=at)
    if step is None or (last_step is not None and step <= last_step):
        return None
    return step
