"""`/oco <subcommand> [args]`: one slash command, subcommands from a registry.

Other modules add subcommands without touching this one:

    @subcommand("apply", usage="/oco apply", help_ja="職員に応募", help_en="Apply to be staff")
    async def apply(ctx: CommandContext) -> dict | None:
        ...  # open a modal with ctx.trigger_id, or publish with ctx.deps.bus
        return views.ephemeral("...")   # the answer, or None for a silent acknowledgement

A subcommand runs before the command is acknowledged, so it must finish well within 3 s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import views
from services.gateway.deps import GatewayDeps
from services.gateway.payloads import tenant_of, user_of

COMMAND = "/oco"


@dataclass(frozen=True)
class CommandContext:
    """Everything a subcommand gets: the parsed text, who and where, and the dependencies."""

    name: str
    args: list[str]
    body: dict[str, Any]
    tenant: str
    user_id: str
    trigger_id: str
    client: AsyncWebClient
    deps: GatewayDeps


SubcommandHandler = Callable[[CommandContext], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    run: SubcommandHandler
    usage: str
    help_ja: str
    help_en: str


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(name: str, *, help_ja: str, help_en: str, usage: str = "") -> Callable[[SubcommandHandler], SubcommandHandler]:
    """Register `/oco <name>`; two modules claiming one name is a start-up error."""

    def decorate(run: SubcommandHandler) -> SubcommandHandler:
        if name in SUBCOMMANDS and SUBCOMMANDS[name].run is not run:
            raise ValueError(f"/oco {name} is registered twice")
        SUBCOMMANDS[name] = Subcommand(name, run, usage or f"{COMMAND} {name}", help_ja, help_en)
        return run

    return decorate


def command_help() -> list[tuple[str, str, str]]:
    """(usage, Japanese, English) of every subcommand, help last."""
    ordered = sorted(SUBCOMMANDS.values(), key=lambda s: (s.name == "help", s.name))
    return [(s.usage, s.help_ja, s.help_en) for s in ordered]


def parse(text: str) -> tuple[str, list[str]]:
    """`"apply  now"` → `("apply", ["now"])`; empty text asks for help."""
    words = (text or "").split()
    return (words[0].lower(), words[1:]) if words else ("help", [])


@subcommand("help", help_ja="使えるコマンドの説明", help_en="Explains the commands")
async def show_help(ctx: CommandContext) -> dict[str, Any]:
    return views.help_message(command_help())


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.command(COMMAND)
    async def when_oco_typed_run_subcommand(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        name, args = parse(body.get("text", ""))
        found = SUBCOMMANDS.get(name)
        if found is None:
            await ack(views.unknown_subcommand_message(name, SUBCOMMANDS))
            return
        ctx = CommandContext(
            name=name, args=args, body=body, tenant=tenant_of(body), user_id=user_of(body),
            trigger_id=body.get("trigger_id", ""), client=client, deps=deps,
        )
        answer = await found.run(ctx)
        await (ack(answer) if answer else ack())
