"""Fixtures: template.yaml as written, and after AWS's SAM transform (offline)."""

from __future__ import annotations

from typing import Any

import pytest

from .cfn import source_template, transformed_template


@pytest.fixture(scope="session")
def source() -> dict[str, Any]:
    return source_template()


@pytest.fixture(scope="session")
def transformed() -> dict[str, Any]:
    return transformed_template()
