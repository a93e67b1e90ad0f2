"""`oco`: the operator's command line. Each subcommand lives in `oco/commands/<name>.py`
and exposes `register(subparsers)`; this module only assembles them."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from pydantic import ValidationError

import oco.commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oco", description="Online City Office: run and operate the city's digital office.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(oco.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"oco.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except ValidationError as exc:
        # Settings come from the environment: say which variable is wrong, not a traceback
        # (and never its value, which may be a secret).
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or exc.title
            print(f"oco {args.command}: invalid setting {where}: {error['msg']}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
