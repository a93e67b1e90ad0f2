"""The gateway's settings: Slack's own variable names for Slack, `OCO_` for the rest."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

SLACK_API_URL = "https://slack.com/api/"


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCO_", extra="ignore", populate_by_name=True)

    port: int = Field(3000, validation_alias=AliasChoices("OCO_GATEWAY_PORT", "port"))
    # Bolt's names, so a Slack app configured for any Bolt app works unchanged.
    signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "signing_secret")
    )
    bot_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "bot_token"))
    app_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "app_token"))
    slack_api_url: str = Field(SLACK_API_URL, validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url"))
    # Workspaces that cannot expose HTTP receive everything over Socket Mode instead.
    slack_socket_mode: bool = False
    # Slack gives up on us after 3 s: a Web API call or a publish must end well before.
    slack_timeout_seconds: float = 2.5
    publish_timeout_seconds: float = 2.0
    bus_connect_timeout_seconds: float = 10.0
    bus_reconnect_seconds: float = 5.0

    @model_validator(mode="after")
    def _credentials_for_the_mode(self) -> GatewaySettings:
        if self.slack_socket_mode:
            if not (self.app_token and self.app_token.get_secret_value().startswith("xapp-")):
                raise ValueError("Socket Mode needs SLACK_APP_TOKEN (an app-level token starting with xapp-)")
        elif not (self.signing_secret and self.signing_secret.get_secret_value().strip()):
            raise ValueError("SLACK_SIGNING_SECRET is required to verify requests from Slack")
        return self

    @property
    def web_api_url(self) -> str:
        """The Web API base URL with the trailing slash slack_sdk expects."""
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"
