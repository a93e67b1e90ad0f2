"""Helpers shared by the benchmarks: percentiles, an open-loop load driver, memory readings."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"n={len(ms)} p50={percentile(ms, 50):.1f}ms p99={percentile(ms, 99):.1f}ms "
            f"max={max(ms) if ms else float('nan'):.1f}ms mean={statistics.fmean(ms) if ms else float('nan'):.1f}ms")


async def open_loop(rate: float, count: int, send: Callable[[int], Awaitable[None]]) -> float:
    """Start `send(i)` at a fixed rate regardless of how long earlier ones take (no coordinated
    omission); returns the achieved start rate."""
    interval = 1.0 / rate
    started = time.perf_counter()
    tasks = []
    for i in range(count):
        target = started + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)
    return count / (time.perf_counter() - started)


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MB, from /proc."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
