"""A Cassandra token ring: which node owns a key.

Nodes of one ring get evenly spaced tokens ``k * (0xFFFFFFFF // n)`` in the order they joined.
A key's position is its CRC-32; its owner is the last node whose token is at or below it.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from typing import Generic, TypeVar

T = TypeVar("T")

RING_SIZE = 0xFFFFFFFF


class TokenRing(Generic[T]):
    """Evenly spaced tokens over the 32-bit ring, one per member."""

    __slots__ = ("members", "tokens")

    def __init__(self, members: list[T]) -> None:
        self.members = list(members)
        step = RING_SIZE // max(len(members), 1)
        self.tokens = [k * step for k in range(len(members))]

    @staticmethod
    def position(key: str) -> int:
        """Where ``key`` falls on the ring (its CRC-32)."""
        return zlib.crc32(key.encode()) & RING_SIZE

    def owner(self, key: str) -> T:
        """The member that owns ``key``."""
        index = bisect_right(self.tokens, self.position(key)) - 1
        return self.members[index]

    def __len__(self) -> int:
        return len(self.members)
