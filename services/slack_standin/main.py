"""Entry point of the stand-in, used by `oco slack-standin`."""

from __future__ import annotations

import asyncio
import contextlib

from services.slack_standin.config import DEFAULT_TOKEN, StandinSettings
from services.slack_standin.server import serve_forever


def describe(base_url: str, settings: StandinSettings) -> str:
    """What to tell the operator: where the API is and which token opens it."""
    # Only the stand-in's own made-up default token is ever printed; a configured one might
    # be someone's real token reused, so it is named, not shown.
    token = settings.token if settings.token == DEFAULT_TOKEN else "(the token in OCO_SLACK_STANDIN_TOKEN)"
    return "\n".join([
        f"Slack stand-in listening on {base_url}",
        f"SLACK_API_URL={base_url}/api/",
        f"SLACK_BOT_TOKEN={token}",
        f"control: {base_url}/_standin/ (calls, reset, faults, users, channels, usergroups, messages, views)",
    ])


def main(settings: StandinSettings | None = None) -> None:
    settings = settings or StandinSettings()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(settings, announce=lambda url: print(describe(url, settings), flush=True)))


if __name__ == "__main__":
    main()
