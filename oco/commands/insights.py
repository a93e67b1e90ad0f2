"""`oco insights rebuild`: rebuild the dashboard's read model by replaying the topics."""

from __future__ import annotations

import asyncio
import json

from services.dashboard.config import DashboardSettings
from services.dashboard.rebuild import rebuild


def register(sub) -> None:
    parser = sub.add_parser("insights", help="rebuild the dashboard's read model from the topics")
    parser.add_argument("action", choices=["rebuild"])
    parser.add_argument("--tenant", help="rebuild only this Slack team's numbers (default: everything)")
    parser.set_defaults(func=run)


def run(args) -> int:
    report = asyncio.run(rebuild(DashboardSettings(), tenant=args.tenant))
    print(json.dumps(report.__dict__, indent=2))
    return 0
