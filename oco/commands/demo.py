"""`oco demo [--seed N] [--out DIR] [--no-import]`: the pilot-shaped demo city.

Generates a Slack export like the pilot city's first year and imports it into the running
system, with the residents' profiles, employee applications, proposals, supports and
move-ins published on the bus. Deterministic per seed; running it again adds nothing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path


def register(sub) -> None:
    parser = sub.add_parser("demo", help="generate the pilot-shaped demo workspace and import it")
    parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same city (default 1)")
    parser.add_argument("--out", type=Path, help="where to write the export (default: a new temporary folder)")
    parser.add_argument("--start", type=date.fromisoformat, help="first day of the demo year (default 2025-04-01)")
    parser.add_argument("--tenant", help="the team id of the demo city (default TDEMO<seed>)")
    parser.add_argument("--no-import", action="store_true", help="only write the export")
    parser.add_argument("--support-wait", type=float, default=30.0,
                        help="seconds to wait for the projects service to create the proposals before supporting them")
    parser.set_defaults(func=run)


def run(args) -> int:
    from services.demo.generator import JST
    from services.demo.main import run as run_demo
    from services.importer.models import ExitCode, ImportFailed
    from services.importer.progress import render_summary

    out = args.out or Path(tempfile.mkdtemp(prefix="oco-demo-"))
    # An export in a folder of our own is only needed for the import: removed after it.
    throwaway = args.out is None and not args.no_import
    start = datetime(args.start.year, args.start.month, args.start.day, tzinfo=JST) if args.start else None
    try:
        result = run_demo(out, seed=args.seed, start=start, tenant=args.tenant, do_import=not args.no_import,
                          support_wait=args.support_wait)
    except ImportFailed as exc:
        print(f"oco demo: {exc}", file=sys.stderr)
        return ExitCode.COULD_NOT_IMPORT
    finally:
        if throwaway:
            shutil.rmtree(out, ignore_errors=True)
    city = result.city
    where = "a temporary folder (removed after the import)" if throwaway else result.out
    print(f"Demo city {city.tenant} (seed {city.seed}) written to {where}: {len(city.residents):,} residents, "
          f"{city.posts:,} posts ({city.thread_replies:,} thread replies), {city.reactions:,} reactions, "
          f"{len(city.proposals)} proposals, {len(city.applications)} applications, {len(city.moved_in)} moved in")
    if result.summary is None:
        return 0
    print(render_summary(result.summary))
    print(f"  supports:  {result.supports_published:,} published" + (f" ({result.supports_note})" if result.supports_note else ""))
    return result.summary.exit_code
