"""Hostile requests to the dashboard's HTTP side."""

from __future__ import annotations

import pytest

from services.dashboard import views

pytestmark = pytest.mark.unit


def test_the_dashboard_view_cache_forgets_expired_views_of_any_as_of(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(views.time, "monotonic", lambda: clock[0])
    cache = views.CommunityCache(30)
    for second in range(1000):  # a distinct `as_of` a second, as a script could ask
        clock[0] = float(second)
        cache.put(("T1", f"2024-01-01T00:00:{second}"), {"big": "view"})
    assert len(cache._entries) <= 30
    assert cache.get(("T1", "2024-01-01T00:00:999")) == {"big": "view"}
