"""A zone outage: with failover at the load balancer and the data layer, users barely notice.

Chaos Gorilla takes us-east-1's zoneA (21 instances: a third of every service) down for good at
10 s, with 200 requests a second. The hosts are gone, so nothing deregisters: callers keep
picking the dead instances (their connections are refused) until the registry's lease expires
and the next poll drops them.

- netflixoss-zone-aware (examples/): zuul and karyon route within their zone; the load balancer
  and the data layer retry a refused connection on another instance and eject instances that
  keep failing. The front door's error share never passes 1 %, so the report says it recovered
  one interval (1 s) after the outage.
- the catalog's netflixoss: about a third of requests fail until the lease expires 90 s after
  the outage and the clients' next poll (every 1 s) forgets the dead: the report says 91 s.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pytest

from monkeyhouse.cli.main import main
from monkeyhouse.patterns.discovery import LEASE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OUTAGE = 10.0
POLL = 1.0


def run(name: str, out: Path) -> tuple[str, pd.DataFrame]:
    status = main(["run", str(EXAMPLES / name), "--out", str(out), "-q"], io.StringIO())
    assert status == 0
    report = (out / "report.html").read_text(encoding="utf-8")
    frame = pd.read_parquet(out / "metrics_service.parquet")
    return report, frame[frame.service == "www-elb"].set_index("time")


def recovered_after(report: str) -> str:
    """The report's 'front door recovered after' cell for the zone outage."""
    text = " ".join(re.sub(r"<[^>]+>", " ", report).split())
    found = re.search(
        r"chaos-gorilla us-east-1/zoneA 21 instances went dark (.+?) (?:s\b|not)", text
    )
    assert found is not None, "the recovery table names the outage"
    return found.group(1)


def test_failover_keeps_the_front_door_healthy(tmp_path: Path) -> None:
    report, front = run("zone-outage.yaml", tmp_path / "aware")
    share = front.errors / front["count"]
    assert (share[front.index > OUTAGE] <= 0.01).all()
    assert recovered_after(report) == "1"  # the interval ending at 11 s is healthy, and so on


def test_without_failover_users_see_errors_until_the_leases_expire(tmp_path: Path) -> None:
    report, front = run("zone-outage-baseline.yaml", tmp_path / "baseline")
    share = front.errors / front["count"]
    during = share[(front.index > OUTAGE + 1) & (front.index <= OUTAGE + LEASE)]
    assert during.min() > 0.2  # a third of proxies, caches and Cassandra nodes are gone
    after = share[front.index > OUTAGE + LEASE + POLL]
    assert (after <= 0.01).all()
    assert recovered_after(report) == f"{LEASE + POLL:g}" == "91"


@pytest.mark.parametrize("name", ["zone-outage.yaml", "zone-outage-baseline.yaml"])
def test_the_examples_validate(name: str) -> None:
    assert main(["validate", str(EXAMPLES / name)], io.StringIO()) == 0


def test_the_docs_page_shows_the_example_and_states_these_figures() -> None:
    text = (EXAMPLES.parent / "docs" / "resilience" / "zone-failover.md").read_text("utf-8")
    (block,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    example = (EXAMPLES / "netflixoss-zone-aware.yaml").read_text(encoding="utf-8")
    for line in block.splitlines():
        if line.strip() != "...":
            assert line in example.splitlines(), line
    words = " ".join(text.split())
    assert "**recovered after 1 s**" in words
    assert "**recovered after 91 s**" in words
