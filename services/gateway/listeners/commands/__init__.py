"""Slash commands: `/oco` and its subcommands (see `oco.py` for the registry)."""
