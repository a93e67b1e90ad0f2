"""`oco import PATH [--tenant TEAM_ID] [--json]`: replay a Slack workspace export onto the bus.

Exit codes: 0 everything was imported, 1 something was skipped (the summary says what and
where), 2 nothing could be imported (no users.json, no tenant, the bus or store unreachable).
"""

from __future__ import annotations

import json
import logging
import sys

from services.importer.models import ExitCode, ImportFailed


def register(sub) -> None:
    parser = sub.add_parser("import", help="replay a Slack workspace export (folder or .zip) onto the bus")
    parser.add_argument("path", help="the export: a folder or a .zip file as Slack writes it")
    parser.add_argument("--tenant", help="the Slack team id to import as (default: the team id in users.json)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    parser.set_defaults(func=run)


def run(args) -> int:
    from services.importer.main import run as run_import
    from services.importer.progress import render_summary

    # The client library logs each failed connection attempt; the summary or error says it better.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        summary = run_import(args.path, tenant=args.tenant)
    except ImportFailed as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "exit_code": int(ExitCode.COULD_NOT_IMPORT)}))
        print(f"oco import: {exc}", file=sys.stderr)
        return ExitCode.COULD_NOT_IMPORT
    if args.json:
        print(summary.model_dump_json())
    else:
        print(render_summary(summary))
    return summary.exit_code
