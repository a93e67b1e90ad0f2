"""Files for other environments that can't run here are at least parsed and cross-checked."""

from pathlib import Path

import pytest
import yaml

from oco.services import SERVICES

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_runs_every_service_against_kafka_and_mongodb():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "mongo"} <= set(services)
    for name in SERVICES:
        assert services[name]["command"] == ["run", name]
        assert services[name]["environment"]["OCO_KAFKA_BOOTSTRAP"] == "kafka:9092"


def test_kafka_pom_pins_kafka_and_the_logging_binding():
    pom = (ROOT / "deploy" / "kafka" / "pom.xml").read_text()
    assert "<artifactId>kafka_2.13</artifactId><version>4.4.0</version>" in pom
    assert "log4j-slf4j2-impl" in pom


def test_ferretdb_program_pins_v1_24_2():
    gomod = (ROOT / "deploy" / "ferretdb" / "go.mod").read_text()
    assert "github.com/FerretDB/FerretDB v1.24.2" in gomod


def test_kubernetes_manifests_deploy_every_service_with_probes():
    docs = list(yaml.safe_load_all((ROOT / "deploy" / "k8s" / "services.yaml").read_text()))
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for name in SERVICES:
        container = deployments[f"oco-{name}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["run", name]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
