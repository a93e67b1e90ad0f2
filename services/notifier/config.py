"""The notifier's settings. Slack's own names (`SLACK_BOT_TOKEN`, `SLACK_API_URL`) are read
as Bolt reads them; everything else has the `OCO_` prefix."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    port: int = Field(8104, validation_alias=AliasChoices("OCO_NOTIFIER_PORT", "port"))
    slack_bot_token: SecretStr = Field(SecretStr(""), validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url"))
    # One Slack call may take this long before it counts as timed out (and maybe done).
    slack_timeout_seconds: float = 10.0
    # Attempts per handler run for 5xx and time-outs, with exponential back-off between;
    # then the bus retries the handler, and after that the message goes to the DLQ.
    slack_attempts: int = 3
    slack_backoff_seconds: float = 0.5
    # 429s are retried by slack_sdk after `Retry-After` (capped), this many times per call.
    slack_rate_limit_retries: int = 5
    slack_max_retry_after_seconds: float = 60.0
    # Kafka consumers (each with its own share of the 6 partitions) for resident.joined and
    # resident.onboarded: welcomes to different people go out in parallel, one person's in order.
    resident_workers: int = Field(3, ge=1, le=6, validation_alias=AliasChoices("OCO_NOTIFIER_RESIDENT_WORKERS", "resident_workers"))
    departments: str = Field("", description="OCO_DEPARTMENTS: inline JSON or a file; empty = the default catalogue.")
