"""Seeded random streams: one independent generator per named purpose.

Each stream's seed derives from the run seed and the stream's name through SHA-256, so adding a
new stream (or drawing more from one) never changes what another stream produces.
"""

from __future__ import annotations

import hashlib
import random


class RandomStreams:
    """A family of named, independent, reproducible random generators."""

    __slots__ = ("_streams", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def stream(self, name: str) -> random.Random:
        """The generator for ``name``; the same object on every call."""
        generator = self._streams.get(name)
        if generator is None:
            digest = hashlib.sha256(f"{self.seed}\x00{name}".encode()).digest()
            generator = random.Random(int.from_bytes(digest[:16], "big"))
            self._streams[name] = generator
        return generator
