"""elb: an AWS elastic load balancer, one per region, routing across every zone."""

from __future__ import annotations

from monkeyhouse.behaviours.forwarder import Forwarder


class Elb(Forwarder):
    """A region-wide load balancer: any zone, no deregistration."""

    package = "elb"
    description = "AWS elastic load balancer: region-wide, routes to any zone"
