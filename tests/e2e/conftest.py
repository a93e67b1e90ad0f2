"""End-to-end helpers: the signing secret of the test gateways and a gateway factory."""

from __future__ import annotations

import pytest

SECRET = "e2e-signing-secret"


@pytest.fixture
def signing_secret() -> str:
    return SECRET
