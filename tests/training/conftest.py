"""Fixtures for the training tests (the tiny model and datasets are in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def no_hardware_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """recommend/estimate as they were before the hardware model existed (NotImplementedError)."""
    from hf_train_mcp.hardware import api

    def not_built(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("hardware model not built yet")

    monkeypatch.setattr(api, "recommend", not_built)
    monkeypatch.setattr(api, "estimate", not_built)
