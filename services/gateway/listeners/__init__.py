"""Bolt listeners grouped by kind, one concern per module, like bolt-python's template.

Every module in `events/`, `commands/`, `actions/`, `views/` and `shortcuts/` that defines
`register(app, deps)` is registered at start, so a new listener is a new file — nobody edits
another's module. `/oco` subcommands are added with the `subcommand` decorator of
`commands/oco.py`. The catch-alls of `fallback.py` come last, so any listener above wins.
"""

from __future__ import annotations

import importlib
import pkgutil

from slack_bolt.async_app import AsyncApp

from services.gateway.deps import GatewayDeps
from services.gateway.listeners import fallback

KINDS = ("events", "commands", "actions", "views", "shortcuts")


def listener_modules() -> list:
    """Every listener module, in a stable order (kind, then module name)."""
    modules = []
    for kind in KINDS:
        package = importlib.import_module(f"{__name__}.{kind}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return modules


def register_all(app: AsyncApp, deps: GatewayDeps) -> None:
    """Register every listener module, then the catch-alls."""
    for module in listener_modules():
        register = getattr(module, "register", None)
        if register is not None:
            register(app, deps)
    fallback.register(app, deps)
