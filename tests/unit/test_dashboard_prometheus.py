"""The Prometheus scrape configuration parses and covers every service."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from oco.services import SERVICES
from services.dashboard.config import DEFAULT_SERVICE_URLS, DashboardSettings

pytestmark = pytest.mark.unit

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "prometheus.yml"


def test_every_service_is_scraped_on_its_metrics_port():
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(SERVICES)
    expected = {name: url.removeprefix("http://") for name, url in DEFAULT_SERVICE_URLS.items()}
    expected["dashboard"] = f"127.0.0.1:{DashboardSettings.model_fields['dashboard_port'].default}"
    for name, job in jobs.items():
        assert job.get("metrics_path", "/metrics") == "/metrics"
        [static] = job["static_configs"]
        assert static["targets"] == [expected[name]]
    assert config["global"]["scrape_interval"].endswith("s")
