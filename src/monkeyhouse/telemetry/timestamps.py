"""Simulated time as wall-clock text: a fixed, documented epoch plus simulated seconds.

Outputs carry RFC 3339 timestamps with nanoseconds, as spigo's do, so that tools reading spigo's
files read ours. Simulated time zero is :data:`EPOCH` (2016-12-19T00:00:00Z, the day of spigo's
last commit) unless the user asks for another start; the same run always gives the same text.
"""

from __future__ import annotations

from datetime import UTC, datetime

EPOCH = datetime(2016, 12, 19, tzinfo=UTC)


class TimestampFormatter:
    """Turns simulated seconds into RFC 3339 text with nanoseconds, Go style (no trailing zeros)."""

    __slots__ = ("_base_ns", "_last_text", "_last_time")

    def __init__(self, epoch: datetime = EPOCH) -> None:
        self._base_ns = int(epoch.timestamp()) * 1_000_000_000
        self._last_time = -1.0
        self._last_text = ""

    def nanoseconds(self, sim_time: float) -> int:
        """Nanoseconds since the Unix epoch for ``sim_time``."""
        return self._base_ns + round(sim_time * 1e9)

    def format(self, sim_time: float) -> str:
        """``2016-12-19T00:00:01.5Z`` for 1.5 simulated seconds."""
        if sim_time == self._last_time:
            return self._last_text
        total = self.nanoseconds(sim_time)
        seconds, nanos = divmod(total, 1_000_000_000)
        text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        if nanos:
            text += "." + f"{nanos:09d}".rstrip("0")
        text += "Z"
        self._last_time = sim_time
        self._last_text = text
        return text
