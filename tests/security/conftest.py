"""Fixtures of the security suite (the doors themselves live in doors.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from security.doors import SilentHub


@pytest.fixture
def silent_hub() -> Iterator[SilentHub]:
    hub = SilentHub()
    try:
        yield hub
    finally:
        hub.close()
