"""Project and organisation tests: the app served on the test's event loop."""

from __future__ import annotations
