"""Settings of the dashboard service."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings

DEFAULT_SERVICE_URLS = {
    "gateway": "http://127.0.0.1:3000",
    "onboarding": "http://127.0.0.1:8101",
    "roles": "http://127.0.0.1:8102",
    "projects": "http://127.0.0.1:8103",
    "notifier": "http://127.0.0.1:8104",
}


class DashboardSettings(ServiceSettings):
    # Field names carry the service's name so the environment reads OCO_DASHBOARD_PORT etc.
    dashboard_port: int = 8080
    service_urls: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_SERVICE_URLS),
        description="OCO_SERVICE_URLS: JSON map of service name to base URL, polled for health and metrics.",
    )
    dashboard_poll_seconds: float = Field(10.0, gt=0, description="How often services and consumer lag are sampled.")
    dashboard_cache_seconds: float = Field(
        30.0, ge=0, description="How long a computed community view is reused (FerretDB reads are slow)."
    )
    dashboard_timezone: str = Field("UTC", description="IANA zone whose calendar months the series use.")
    dashboard_probe_timeout_seconds: float = 2.0
    dashboard_batch_records: int = Field(500, ge=1, description="Most events a read-model consumer handles at once.")

    @property
    def port(self) -> int:
        return self.dashboard_port
