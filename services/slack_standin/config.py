"""Settings of the Slack stand-in (env prefix `OCO_SLACK_STANDIN_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# A made-up token in Slack's bot-token shape; it only opens the stand-in.
DEFAULT_TOKEN = "xoxb-0000000000-0000000000000-standinstandinstandin0"


class StandinSettings(BaseSettings):
    """Where the stand-in listens and what it accepts."""

    model_config = SettingsConfigDict(env_prefix="OCO_SLACK_STANDIN_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 3900
    token: str = Field(DEFAULT_TOKEN, description="The bot token the stand-in accepts.")
    extra_tokens: list[str] = Field(default_factory=list, description="More accepted tokens (other workspaces).")
    team_id: str = "T0STANDIN"
    team_name: str = "Online City Office (stand-in)"
    # Lenient: any well-formed user (U…/W…) or channel (C…/G…) id exists. Strict: only
    # registered or created ones do, as in a real workspace.
    strict: bool = False
