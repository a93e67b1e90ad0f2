"""Running the stand-in: in the foreground (`oco slack-standin`) or on a thread of its own
(tests), so that sync and async callers alike can talk to it while it serves."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web

from services.slack_standin.app import Standin, create_app
from services.slack_standin.config import StandinSettings


class StandinServer:
    """The stand-in served on its own thread and event loop; port 0 picks a free port."""

    def __init__(self, settings: StandinSettings | None = None) -> None:
        self.settings = settings or StandinSettings(port=0)
        self.standin = Standin(self.settings)
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What slack_sdk takes as `base_url` (and Bolt as SLACK_API_URL): ends in `/api/`."""
        return f"{self.base_url}/api/"

    def start(self, timeout: float = 10.0) -> StandinServer:
        self._thread = threading.Thread(target=self._run, name="slack-standin", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("the Slack stand-in did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the Slack stand-in could not start: {self._error}") from self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop = None

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._runner, self.port = self._loop.run_until_complete(start_site(self.standin, self.settings))
        except BaseException as exc:  # report to the starting thread, which raises it
            self._error = exc
            self._started.set()
            return
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()


async def start_site(standin: Standin, settings: StandinSettings) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner and the port actually bound."""
    runner = web.AppRunner(create_app(standin), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    port = runner.addresses[0][1]
    return runner, port


async def serve_forever(settings: StandinSettings, *, announce=print) -> None:
    """Serve until cancelled (Ctrl-C)."""
    runner, port = await start_site(Standin(settings), settings)
    base = f"http://{settings.host}:{port}"
    announce(base)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
