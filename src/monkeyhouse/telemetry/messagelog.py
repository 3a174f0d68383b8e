"""The message log of ``-m``: one line per delivered message, as spigo's gotocol prints them.

Each line gives the simulated time, the message's age (latency), its trace context, its type,
the receiving instance and its payload, for example
``0.010300 gotocol: 0.000100 t1p0s1 GetRequest netflixoss.us-east-1.*.www-elb00 why?``.
"""

from __future__ import annotations

from typing import TextIO

from monkeyhouse.behaviours.messages import KIND_NAMES, Message


class MessageLog:
    """Writes every delivered message to a text stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines = 0
        self.closed = False

    def __call__(self, message: Message, now: float) -> None:
        """Log ``message``, delivered at ``now``; stop quietly when the reader has gone."""
        if self.closed:
            return
        payload = message.key
        if message.value not in ("", None) and not isinstance(message.value, int):
            payload = f"{payload} {getattr(message.value, 'name', message.value)}".strip()
        try:
            self.stream.write(
                f"{now:.6f} gotocol: {now - message.sent:.6f} {message.context} "
                f"{KIND_NAMES[message.kind]} {message.target.name} {payload}\n"
            )
        except BrokenPipeError:
            self.closed = True
            return
        self.lines += 1
