"""Network latency between two places: the same zone, another zone, another region.

Defaults are one-way figures in seconds, from public measurements of AWS networks: about
0.1 ms inside an availability zone, about 0.5 ms between zones of a region (round trips of 1 to
2 ms are typical), and per region pair roughly half of the published round-trip times between
AWS regions (us-east-1 to us-west-2 about 65 ms round trip, to eu-west-1 about 70 ms, to
Sydney about 200 ms). Global and region-wide nodes (DNS, load balancers) count as being in the
zone of whoever they talk to. Later work adds distributions, payload sizes and partitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: One-way latency in seconds between pairs of spigo's regions (symmetric).
REGION_PAIR_LATENCY: dict[frozenset[str], float] = {
    frozenset(pair): seconds
    for pair, seconds in {
        ("us-east-1", "us-west-2"): 0.033,
        ("us-east-1", "eu-west-1"): 0.036,
        ("us-east-1", "eu-central-1"): 0.045,
        ("us-east-1", "ap-southeast-1"): 0.110,
        ("us-east-1", "ap-southeast-2"): 0.100,
        ("us-west-2", "eu-west-1"): 0.065,
        ("us-west-2", "eu-central-1"): 0.075,
        ("us-west-2", "ap-southeast-1"): 0.085,
        ("us-west-2", "ap-southeast-2"): 0.070,
        ("eu-west-1", "eu-central-1"): 0.012,
        ("eu-west-1", "ap-southeast-1"): 0.085,
        ("eu-west-1", "ap-southeast-2"): 0.130,
        ("eu-central-1", "ap-southeast-1"): 0.080,
        ("eu-central-1", "ap-southeast-2"): 0.140,
        ("ap-southeast-1", "ap-southeast-2"): 0.045,
    }.items()
}


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """Fixed one-way latencies: within a zone, across zones, across regions."""

    same_zone: float = 0.0001
    cross_zone: float = 0.0005
    cross_region_default: float = 0.060
    region_pairs: Mapping[frozenset[str], float] = field(
        default_factory=lambda: dict(REGION_PAIR_LATENCY)
    )

    def between(self, region_a: str, zone_a: str, region_b: str, zone_b: str) -> float:
        """One-way latency from a node in (region_a, zone_a) to one in (region_b, zone_b)."""
        if region_a != region_b and region_a != "*" and region_b != "*":
            return self.region_pairs.get(frozenset((region_a, region_b)), self.cross_region_default)
        if zone_a == zone_b or zone_a == "*" or zone_b == "*":
            return self.same_zone
        return self.cross_zone
