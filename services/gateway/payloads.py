"""Where Slack puts the team and the user in each kind of payload."""

from __future__ import annotations

from typing import Any

from services.gateway.errors import MalformedPayload


def tenant_of(body: dict[str, Any]) -> str:
    """The Slack team the request belongs to: the city, our tenant."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    if not isinstance(team, str) or not team:
        raise MalformedPayload("no team id")
    return team


def user_of(body: dict[str, Any]) -> str:
    """The person who typed the command or clicked the button."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    if not isinstance(user, str) or not user:
        raise MalformedPayload("no user id")
    return user


def event_of(body: dict[str, Any]) -> dict[str, Any]:
    """The inner event of an Events API callback."""
    event = body.get("event")
    if not isinstance(event, dict):
        raise MalformedPayload("event_callback without an event")
    return event
