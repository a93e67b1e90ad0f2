"""Progress on stderr while an import runs, and the summary at its end.

On a terminal: one bar redrawn in place with the rate and the time left. Elsewhere (CI,
a pipe): a plain line every few seconds, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from services.importer.models import ImportSummary

_BAR = 28


class Progress:
    """Tracks bytes of day files read (for the ETA) and messages translated (for the rate)."""

    def __init__(self, total_bytes: int, *, stream: TextIO | None = None, tty: bool | None = None,
                 interval: float | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval if interval is not None else (0.2 if self.tty else 5.0)
        self.total_bytes = max(total_bytes, 1)
        self.done_bytes = 0
        self.messages = 0
        self.started = time.monotonic()
        self._last_shown = self.started
        self._drawn = False

    def advance(self, *, nbytes: int, messages: int) -> None:
        self.done_bytes += nbytes
        self.messages += messages
        now = time.monotonic()
        if now - self._last_shown >= self.interval:
            self._last_shown = now
            self._show(now)

    def finish(self) -> None:
        if self._drawn and self.tty:
            self._show(time.monotonic(), final=True)
            self.stream.write("\n")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        """The progress as one line of text: percent, messages, rate and time left."""
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        fraction = min(self.done_bytes / self.total_bytes, 1.0)
        rate = self.messages / elapsed
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        eta = _duration(left) if left is not None else "?"
        if self.tty:
            filled = int(fraction * _BAR)
            bar = "█" * filled + "░" * (_BAR - filled)
            return f"\rimporting {bar} {fraction:4.0%}  {self.messages:,} messages  {rate:,.0f}/s  ETA {eta} "
        return f"import: {fraction:.0%} of the day files, {self.messages:,} messages, {rate:,.0f} messages/s, ETA {eta}\n"

    def _show(self, now: float, *, final: bool = False) -> None:
        self.stream.write(self.line(now))
        self.stream.flush()
        self._drawn = True


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def render_summary(summary: ImportSummary) -> str:
    """The summary for people: what was found, what was published, what was left out and why."""
    s = summary
    lines = [
        f"Imported {s.source} as tenant {s.tenant} in {s.seconds:.1f}s",
        f"  users:     {s.users:,} ({s.deactivated_users:,} deactivated: joined, then left)",
        f"  channels:  {s.channels:,} public, {s.private_channels:,} private, "
        f"{s.direct_messages:,} direct, {s.group_direct_messages:,} group direct",
        f"  day files: {s.day_files:,}",
        f"  messages:  {s.messages:,} ({s.thread_replies:,} thread replies, {s.private_messages:,} private)",
        f"  reactions: {s.reactions:,}",
        f"  events:    {s.events:,} in the export; {s.published:,} published now, {s.already_imported:,} already imported",
    ]
    if s.extra_events:
        lines.append(f"  also:      {s.extra_events:,} events beside the export (forms, city systems), included in published / already imported")
    if s.published == 0 and s.already_imported:
        lines.append("  nothing new: this export was imported before")
    if s.ignored:
        lines.append("  left out by design:")
        lines += [f"    {count:>7,}  {reason}" for reason, count in s.ignored.items()]
    if s.notes:
        lines.append("  notes:")
        lines += [f"    {note}" for note in s.notes[:20]]
    if s.skipped:
        lines.append("  SKIPPED (bad data):")
        lines += [f"    {count:>7,}  {reason}" for reason, count in s.skipped.items()]
        lines += [f"    {problem}" for problem in s.problems]
        shown = len(s.problems)
        total = sum(s.skipped.values())
        if total > shown:
            lines.append(f"    … and {total - shown:,} more")
    return "\n".join(lines)
