"""The services `oco run` and `oco up` know, by name: module with `main()` and its port."""

SERVICES: dict[str, str] = {
    "gateway": "services.gateway.main",
    "onboarding": "services.onboarding.main",
    "roles": "services.roles.main",
    "projects": "services.projects.main",
    "notifier": "services.notifier.main",
    "dashboard": "services.dashboard.main",
}
