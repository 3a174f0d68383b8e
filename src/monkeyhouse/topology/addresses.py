"""IP addresses per region and zone, as spigo's DHCP gives them.

Each region and zone owns a /16 prefix (real AWS ranges of 2015, kept as spigo had them, including
its invalid ``54.288.`` for eu-west-1 zoneC). A counter per prefix starts at 1, so the first
address is ``.0.1``. Nodes in unknown places (global or region-wide ``*``, the pirates' ocean)
take addresses from the first region's first zone. The same node always keeps its address.
"""

from __future__ import annotations

PREFIXES: dict[str, tuple[str, ...]] = {
    "us-east-1": ("54.198.", "54.221.", "50.19."),
    "us-west-2": ("54.245.", "54.244.", "54.214."),
    "eu-west-1": ("54.247.", "54.246.", "54.288."),
    "eu-central-1": ("54.93.", "54.28.", "54.78."),
    "ap-southeast-1": ("54.251.", "54.254.", "54.255."),
    "ap-southeast-2": ("54.252.", "54.253.", "54.206."),
}
ZONES = ("zoneA", "zoneB", "zoneC")


class AddressBook:
    """Hands out addresses in order per prefix; deterministic for a given creation order."""

    __slots__ = ("_counters",)

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}

    @staticmethod
    def prefix(region: str, zone: str) -> str:
        """The /16 prefix of a region and zone (the first one for unknown places)."""
        row = PREFIXES.get(region)
        if row is None or zone not in ZONES:
            return PREFIXES["us-east-1"][0]
        return row[ZONES.index(zone)]

    def allocate(self, region: str, zone: str) -> str:
        """The next free address in the region and zone."""
        prefix = self.prefix(region, zone)
        counter = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = counter
        return f"{prefix}{counter >> 8}.{counter & 255}"
