"""The services `oco run` and `oco up` know: their module (with `main()`) and HTTP port."""

from __future__ import annotations

import os

SERVICES: dict[str, str] = {
    "gateway": "services.gateway.main",
    "onboarding": "services.onboarding.main",
    "roles": "services.roles.main",
    "projects": "services.projects.main",
    "notifier": "services.notifier.main",
    "dashboard": "services.dashboard.main",
}

PORTS: dict[str, tuple[str, int]] = {
    "gateway": ("OCO_GATEWAY_PORT", 3000),
    "onboarding": ("OCO_ONBOARDING_PORT", 8101),
    "roles": ("OCO_ROLES_PORT", 8102),
    "projects": ("OCO_PROJECTS_PORT", 8103),
    "notifier": ("OCO_NOTIFIER_PORT", 8104),
    "dashboard": ("OCO_DASHBOARD_PORT", 8080),
}


def service_port(name: str, env: dict[str, str] | None = None) -> int:
    variable, default = PORTS[name]
    return int((env or os.environ).get(variable, default))
