"""`oco infra up|down|status`: the local Kafka broker and document store."""

from __future__ import annotations

import json
import sys

from oco import infra


def register(sub) -> None:
    parser = sub.add_parser("infra", help="start, stop or inspect the local Kafka and document store")
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.set_defaults(func=run)


def run(args) -> int:
    try:
        if args.action == "up":
            for line in infra.up():
                print(line)
            env = infra.local_env()
            print("\n".join(f"export {k}={v}" for k, v in env.items()))
        elif args.action == "down":
            for line in infra.down():
                print(line)
        else:
            print(json.dumps(infra.status(), indent=2))
    except infra.InfraError as exc:
        print(f"oco infra {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0
