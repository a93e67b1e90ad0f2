"""`oco slack-standin`: run the Slack stand-in, the product's offline Slack."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("slack-standin", help="run the Slack Web API stand-in (offline Slack)")
    parser.add_argument("--host", help="address to bind (default 127.0.0.1; the control API has no auth)")
    parser.add_argument("--port", type=int, help="port (default OCO_SLACK_STANDIN_PORT or 3900)")
    parser.add_argument("--strict", action="store_true", help="only registered or created users and channels exist")
    parser.set_defaults(func=run)


def run(args) -> int:
    from services.slack_standin.config import StandinSettings
    from services.slack_standin.main import main

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    if args.strict:
        overrides["strict"] = True
    main(StandinSettings(**overrides))
    return 0
