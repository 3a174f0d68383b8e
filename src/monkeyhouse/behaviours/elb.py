"""elb: an AWS elastic load balancer, one per region, routing across every zone."""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour


class Elb(Behaviour):
    """A region-wide load balancer: any zone, no deregistration."""

    package = "elb"
    description = "AWS elastic load balancer: region-wide, routes to any zone"
