"""A large layered architecture for the web UI's scale checks: 500 services, 10,000 instances.

Deterministic (no randomness): the front door (DNS, ELB, a Zuul proxy), then tiers of Karyon
microservices that each call two or three services of the tiers below, Staash data services,
and stores at the bottom, as a big Netflix-like estate looks. Each service has 20 instances
spread over three zones, and the stores take what is left so that the instance view has
exactly 10,000 nodes (the DNS and the ELB are one instance each). Used by
``benchmarks/bench_ui.py`` and the browser tests.
"""

from __future__ import annotations

from pathlib import Path

import yaml

SERVICES = 500
INSTANCES = 10_000
#: microservice tiers below the proxy, widest in the middle, as call graphs fan out and in
TIERS = (12, 40, 80, 110, 100, 70)
DATA = 40  # staash data services above the stores


def architecture(services: int = SERVICES) -> dict[str, object]:
    """The architecture as YAML-ready data (``services`` counts every service)."""
    stores = services - 3 - sum(TIERS) - DATA
    if stores < 1:
        raise ValueError(f"{services} services are too few for the tiers {TIERS}")
    names: list[list[str]] = [[f"svc{t}x{k:03d}" for k in range(n)] for t, n in enumerate(TIERS)]
    data = [f"data{k:02d}" for k in range(DATA)]
    store = [f"store{k:03d}" for k in range(stores)]
    per = 20
    specs: list[dict[str, object]] = []
    for name in store:
        specs.append(
            {"name": name, "package": "store", "count": per, "regions": 1, "dependencies": []}
        )
    for k, name in enumerate(data):
        deps = sorted({store[(3 * k) % stores], store[(3 * k + 1) % stores]})
        specs.append(
            {"name": name, "package": "staash", "count": per, "regions": 1, "dependencies": deps}
        )
    below = data
    for tier in reversed(names):
        for k, name in enumerate(tier):
            fan = 2 + k % 2
            # each call is made by half the requests, so a request's calls stay few
            targets = sorted({below[(k * 7 + j * 13) % len(below)] for j in range(fan)})
            calls: list[dict[str, object]] = [
                {"service": target, "probability": 0.5} for target in targets
            ]
            specs.append(
                {
                    "name": name,
                    "package": "karyon",
                    "count": per,
                    "regions": 1,
                    "dependencies": calls,
                }
            )
        below = tier
    specs.append(
        {
            "name": "wwwproxy",
            "package": "zuul",
            "count": per,
            "regions": 1,
            "dependencies": list(names[0]),
        }
    )
    specs.append(
        {
            "name": "www-elb",
            "package": "elb",
            "count": 0,
            "regions": 1,
            "dependencies": ["wwwproxy"],
        }
    )
    specs.append(
        {
            "name": "www",
            "package": "denominator",
            "count": 0,
            "regions": 0,
            "dependencies": ["www-elb"],
        }
    )
    # the stores take the rest: 10,000 in all with the DNS's and the ELB's one instance each
    rest = INSTANCES - 2 - per * (len(specs) - 2 - stores)
    for k in range(stores):
        specs[k]["count"] = rest // stores + (1 if k < rest % stores else 0)
    return {
        "format": "monkeyhouse/1",
        "arch": "estate500",
        "description": "500 services, 10,000 instances: a large layered estate (generated)",
        "traffic": {"pattern": "poisson", "rate": 200},
        "services": specs,
    }


def write(path: Path, services: int = SERVICES) -> Path:
    """Write the architecture to ``path`` (YAML); the path."""
    path.write_text(yaml.safe_dump(architecture(services), sort_keys=False))
    return path
