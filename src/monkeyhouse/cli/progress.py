"""The progress line shown on a terminal during long runs, and the end-of-run summary."""

from __future__ import annotations

import time
from typing import TextIO

from monkeyhouse.scenarios.simulation import RunSummary


class ProgressLine:
    """A one-line progress bar on a terminal, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.started = time.perf_counter()
        self._last = 0.0
        self.shown = False

    def __call__(self, now: float, total: float) -> None:
        """Show ``now`` of ``total`` simulated seconds."""
        wall = time.perf_counter()
        if wall - self._last < 0.1 and now < total:
            return
        self._last = wall
        share = now / total if total > 0 else 1.0
        width = 30
        filled = int(share * width)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {now:7.2f}/{total:.2f} s simulated, "
            f"{wall - self.started:6.1f} s wall"
        )
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """End the line."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def format_summary(summary: RunSummary, out: str) -> str:
    """The end-of-run summary, a few aligned lines."""
    rate = summary.events / summary.wall_seconds if summary.wall_seconds > 0 else 0.0
    lines = [
        f"{summary.arch}: {summary.status}",
        f"  services   {summary.services:>12,}",
        f"  instances  {summary.instances:>12,}",
        f"  messages   {summary.messages:>12,}   ({summary.lost:,} lost to dead instances)",
        f"  requests   {summary.reads + summary.writes:>12,}   "
        f"({_count(summary.reads, 'read')} and {_count(summary.writes, 'write')}; "
        f"{summary.reads_answered + summary.writes_answered:,} answered, "
        f"{summary.errors:,} failed)",
        f"  response   {summary.mean_response_ms:>12.3f} ms on average, "
        f"{summary.max_response_ms:.3f} ms at most",
        f"  graph      {summary.nodes:>12,} nodes, {summary.edges:,} edges, "
        f"{summary.forgets:,} forgotten, {summary.dones:,} done",
        f"  time       {summary.simulated_seconds:>12.3f} s simulated in "
        f"{summary.wall_seconds:.3f} s wall ({rate:,.0f} events/s)",
    ]
    victims = summary.chaos_victims
    if len(victims) == 1:
        lines.append(f"  chaos      {victims[0]} killed at half time")
    elif victims:
        lines.append(f"  chaos      {len(victims):,} instances killed (see chaos.json)")
    lines.append(f"  written to {out}")
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    """``1 write``, ``2,000 writes``."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"
