"""Settings shared by every service, read from the environment (prefix `OCO_`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """How to reach Kafka; production uses TLS + SASL with an ACL'd user per service."""

    model_config = SettingsConfigDict(env_prefix="OCO_KAFKA_", extra="ignore")

    bootstrap: str = "127.0.0.1:19092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None


class ServiceSettings(BaseSettings):
    """Settings every service has; services subclass it for their own."""

    model_config = SettingsConfigDict(env_prefix="OCO_", extra="ignore")

    mongo_url: SecretStr = SecretStr("mongodb://127.0.0.1:27027/")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    log_level: str = "INFO"
    http_host: str = "127.0.0.1"
    # Consumer groups are `<prefix>-<service>`; a new group starts at `consumer_offset_reset`.
    # Tests use a prefix of their own and "latest", so concurrent runs don't share groups.
    consumer_group_prefix: str = "oco"
    consumer_offset_reset: Literal["earliest", "latest"] = "earliest"
    # Databases are `<prefix>oco_<service>`. Empty in production; test sessions that run
    # at the same time as others use their own, so one session's records (e.g. the
    # notifier's delivery claims) can't stand in for another's.
    database_prefix: str = Field("", pattern=r"^[A-Za-z0-9_]*$")
    # Consumer retry policy for transient failures before a message goes to the DLQ.
    handler_retries: int = 4
    handler_backoff_seconds: float = 0.2
