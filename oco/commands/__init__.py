"""One module per `oco` subcommand, each with `register(subparsers)`."""
