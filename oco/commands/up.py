"""`oco up`: the whole system in the foreground — infrastructure, Slack stand-in (when no
real Slack token is set), every service — with their logs; Ctrl-C stops them all cleanly."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from oco import infra
from shared.departments import DEFAULT_DEPARTMENTS
from oco.services import SERVICES, service_port

STANDIN_TOKEN = "xoxb-oco-standin"


def register(sub) -> None:
    parser = sub.add_parser("up", help="start the infrastructure and every service in the foreground")
    parser.add_argument("--demo", action="store_true", help="load the demo workspace once the services are up")
    parser.add_argument("--only", nargs="*", choices=sorted(SERVICES), help="start only these services")
    parser.set_defaults(func=run)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    if not (env.get("OCO_KAFKA_BOOTSTRAP") and env.get("OCO_MONGO_URL")):
        for line in infra.up():
            print(f"[oco] {line}", flush=True)
        env.update(infra.local_env())
    if not env.get("SLACK_BOT_TOKEN"):
        port = env.get("OCO_SLACK_STANDIN_PORT", "3900")
        env.update(
            SLACK_BOT_TOKEN=STANDIN_TOKEN,
            SLACK_API_URL=f"http://127.0.0.1:{port}/api/",
            OCO_SLACK_STANDIN_PORT=port,
            OCO_SLACK_STANDIN_TOKEN=STANDIN_TOKEN,
        )
        env.setdefault("SLACK_SIGNING_SECRET", secrets.token_hex(16))
        # The stand-in's workspace: department channels and a review channel, so invites and
        # review posts have somewhere to go offline.
        env.setdefault("OCO_DEPARTMENTS", json.dumps([
            {**d.model_dump(), "channel_id": d.channel_id or f"C0{d.key.upper()}"} for d in DEFAULT_DEPARTMENTS
        ]))
        env.setdefault("OCO_REVIEW_CHANNEL_ID", "C0REVIEW")
        print(f"[oco] no SLACK_BOT_TOKEN: using the Slack stand-in at {env['SLACK_API_URL']} (offline mode)", flush=True)
    # The dashboard polls every service's health on the ports this run gives them.
    env.setdefault("OCO_SERVICE_URLS", json.dumps(
        {name: f"http://127.0.0.1:{service_port(name, env)}" for name in SERVICES if name != "dashboard"}
    ))
    env.setdefault("OCO_ROLES_URL", f"http://127.0.0.1:{service_port('roles', env)}")
    env.setdefault("OCO_PROJECTS_URL", f"http://127.0.0.1:{service_port('projects', env)}")
    return env


def _pipe(name: str, stream) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{name:>11} | {line.decode(errors='replace')}")
        sys.stdout.flush()


def _start(name: str, args: list[str], env: dict[str, str], *, own_session: bool = False) -> subprocess.Popen:
    """A child whose output is prefixed with its name. `own_session` keeps it out of the
    terminal's Ctrl-C, for the stand-in: it must outlive the services finishing their work."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "oco.cli", *args], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=own_session,
    )
    threading.Thread(target=_pipe, args=(name, proc.stdout), daemon=True).start()
    return proc


def _wait_healthy(port: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _total_lag(dashboard_port: int) -> int | None:
    """Messages the services still have to handle, from the dashboard's view of the groups."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{dashboard_port}/api/services", timeout=10) as resp:
            view = json.load(resp)
    except (OSError, ValueError):
        return None
    rows = view.get("consumer_lag") or []
    return sum(int(row.get("lag") or 0) for row in rows) if rows or "consumer_lag" in view else None


def _wait_for_catch_up(dashboard_port: int, timeout: float = 900) -> None:
    """After an import, wait until every service has handled it, saying how much is left."""
    deadline, said = time.monotonic() + timeout, 0.0
    while time.monotonic() < deadline:
        lag = _total_lag(dashboard_port)
        if lag == 0:
            print("[oco] every service has caught up with the demo city", flush=True)
            return
        if time.monotonic() - said > 10:
            print(f"[oco] services catching up: {lag if lag is not None else '?'} events to go", flush=True)
            said = time.monotonic()
        time.sleep(2)
    print("[oco] services are still catching up; the dashboard fills in as they do", flush=True)


def _stop_all(procs: dict[str, subprocess.Popen]) -> None:
    """The services first (each finishes what it is handling), then the Slack stand-in they
    may still be talking to."""
    services = {n: p for n, p in procs.items() if n != "slack"}
    _stop(services)
    _stop({n: p for n, p in procs.items() if n == "slack"})


def _stop(procs: dict[str, subprocess.Popen], timeout: float = 30) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"[oco] {name} did not stop in time; killing it", flush=True)
            proc.kill()


def run(args) -> int:
    try:
        env = _environment()
    except infra.InfraError as exc:
        print(f"oco up: {exc}", file=sys.stderr)
        return 1
    # Ctrl-C stops everything even when this was started with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    procs: dict[str, subprocess.Popen] = {}
    if env.get("SLACK_BOT_TOKEN") == STANDIN_TOKEN:
        procs["slack"] = _start("slack", ["slack-standin"], env, own_session=True)
    for name in args.only or SERVICES:
        procs[name] = _start(name, ["run", name], env)
    try:
        ready = {name: _wait_healthy(service_port(name, env)) for name in (args.only or SERVICES)}
        print("[oco] ready: " + ", ".join(f"{n}={'yes' if ok else 'NO'}" for n, ok in ready.items()), flush=True)
        dashboard = service_port("dashboard", env)
        if args.demo:
            subprocess.run([sys.executable, "-m", "oco.cli", "demo"], env=env, check=False)
            _wait_for_catch_up(dashboard)
        print(f"[oco] dashboard: http://127.0.0.1:{dashboard}/   (Ctrl-C stops everything)", flush=True)
        while all(p.poll() is None for p in procs.values()):
            time.sleep(0.5)
        dead = [f"{n} (exit code {p.returncode})" for n, p in procs.items() if p.poll() is not None]
        print(f"[oco] {', '.join(dead)} exited on its own; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n[oco] stopping…", flush=True)
        return 0
    finally:
        _stop_all(procs)
