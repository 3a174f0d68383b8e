"""Network latency between two places: the same zone, another zone, another region.

The figures live in the architecture's ``network`` settings (model.timing.NetworkSettings,
documented defaults: 0.1 ms one way inside a zone, 0.5 ms between zones, per region pair about
half the published round-trip times between AWS regions, 10 Gbit/s links). Global and
region-wide nodes (DNS, load balancers) count as being in the zone of whoever they talk to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monkeyhouse.model.timing import REGION_PAIR_LATENCY, NetworkSettings

__all__ = ["REGION_PAIR_LATENCY", "LatencyModel"]


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """One-way latency between places and the bandwidth of every link."""

    settings: NetworkSettings = field(default_factory=NetworkSettings)

    @property
    def same_zone(self) -> float:
        """Seconds one way inside a zone."""
        return self.settings.same_zone

    @property
    def cross_zone(self) -> float:
        """Seconds one way between zones of a region."""
        return self.settings.cross_zone

    @property
    def cross_region_default(self) -> float:
        """Seconds one way between regions with no figure of their own."""
        return self.settings.cross_region

    @property
    def bandwidth(self) -> float:
        """Bytes per second on any link."""
        return self.settings.bandwidth

    def between(self, region_a: str, zone_a: str, region_b: str, zone_b: str) -> float:
        """One-way latency from a node in (region_a, zone_a) to one in (region_b, zone_b)."""
        return self.settings.between(region_a, zone_a, region_b, zone_b)
