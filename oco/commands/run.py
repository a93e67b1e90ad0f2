"""`oco run SERVICE`: run one service in the foreground, as a deployment would."""

from __future__ import annotations

import importlib
import sys

from oco.services import SERVICES


def register(sub) -> None:
    parser = sub.add_parser("run", help="run one service in the foreground")
    parser.add_argument("service", choices=sorted(SERVICES))
    parser.set_defaults(func=run)


def run(args) -> int:
    module = importlib.import_module(SERVICES[args.service])
    if not hasattr(module, "main"):
        print(f"service {args.service} has no entry point yet", file=sys.stderr)
        return 1
    module.main()
    return 0
