"""Hand-made spans for the span collector and exporter tests: fake instances and small trees.

A request in :func:`request` goes www (traffic source) -> wwwproxy (zuul) -> homepage (karyon),
which calls cassandra and evcache in sequence: four client/server pairs, three hops deep, eight
spans. Every time is chosen by hand (round milliseconds plus fixed offsets), so tests can write
the expected microseconds down directly. Spans are returned in the order they finish, as the
runtime hands them to instruments.
"""

from __future__ import annotations

from monkeyhouse.behaviours.spans import CLIENT, DEPENDENCY_FAILED, REJECTED, SERVER, Span

#: 2016-12-19T00:00:00Z (monkeyhouse's documented epoch) in Unix seconds, worked out by hand:
#: 17154 days after 1970-01-01 times 86400
EPOCH_SECONDS = 1_482_105_600


class FakeService:
    """The part of a ServiceRuntime the exporters read."""

    def __init__(self, name: str, package: str) -> None:
        self.name = name
        self.package = package


class FakeInstance:
    """The part of an Instance the exporters read."""

    def __init__(self, service: FakeService, region: str, zone: str, number: int, address: str):
        self.service = service
        self.region = region
        self.zone = zone
        label = f"{service.name}{number:02d}"
        self.name = f"demo.{region}.{zone}.{label}"
        self.full_name = f"demo.{region}.{zone}..{label}...{service.name}.{service.package}"
        self.address = address

    def __repr__(self) -> str:
        return f"<FakeInstance {self.name}>"


WWW = FakeInstance(FakeService("www", "denominator"), "*", "*", 0, "54.198.0.1")
PROXY = FakeInstance(FakeService("wwwproxy", "zuul"), "us-east-1", "zoneA", 1, "54.198.0.2")
HOME = FakeInstance(FakeService("homepage", "karyon"), "us-east-1", "zoneB", 2, "54.221.0.1")
CASS = FakeInstance(
    FakeService("cassSubscriber", "priamCassandra"), "us-east-1", "zoneA", 0, "54.198.0.3"
)
CACHE = FakeInstance(FakeService("evcache", "store"), "us-east-1", "zoneC", 3, "50.19.0.1")


class Ids:
    """One id counter per run, as the runtime has."""

    def __init__(self, first: int = 1) -> None:
        self.next = first

    def __call__(self) -> int:
        ident = self.next
        self.next += 1
        return ident


def _span(
    trace: int, ident: int, parent: int, kind: int, name: str, inst: object, peer: object
) -> Span:
    return Span(trace, ident, parent, kind, name, inst, peer, 0.0)


def request(ids: Ids, start: float, *, name: str = "get", fail: bool = False) -> list[Span]:
    """One request's eight spans, in finish order (times in simulated seconds from ``start``).

    Each network hop takes 0.5 ms. Servers: zuul works 1 ms; karyon queues 2 ms, works 1 ms, then
    calls cassandra (queues 0, works 3 ms) and evcache (works 0.25 ms) one after the other, then
    works 1 ms more. With ``fail`` the cassandra server rejects the call (queue full) and every
    span above it fails too.
    """
    root = ids()
    trace = root
    c1 = _span(trace, root, 0, CLIENT, name, WWW, PROXY)
    s1 = _span(trace, ids(), c1.span, SERVER, name, PROXY, WWW)
    c2 = _span(trace, ids(), s1.span, CLIENT, name, PROXY, HOME)
    s2 = _span(trace, ids(), c2.span, SERVER, name, HOME, PROXY)
    c3 = _span(trace, ids(), s2.span, CLIENT, name, HOME, CASS)
    s3 = _span(trace, ids(), c3.span, SERVER, name, CASS, HOME)
    c4 = _span(trace, ids(), s2.span, CLIENT, name, HOME, CACHE)
    s4 = _span(trace, ids(), c4.span, SERVER, name, CACHE, HOME)
    hop = 0.0005
    c1.start = start
    s1.start = start + hop
    s1.service = 0.001
    c2.start = s1.start + 0.001
    s2.start = c2.start + hop
    s2.queued = 0.002
    c3.start = s2.start + 0.003
    s3.start = c3.start + hop
    s3.service = 0.003
    s3.end = s3.start + 0.003
    c3.end = s3.end + hop
    c4.start = c3.end
    s4.start = c4.start + hop
    s4.service = 0.00025
    s4.end = s4.start + 0.00025
    c4.end = s4.end + hop
    s2.end = c4.end + 0.001
    s2.service = 0.003
    c2.end = s2.end + hop
    s1.end = c2.end
    c1.end = s1.end + hop
    if fail:
        s3.error = REJECTED
        s3.end = s3.start
        s3.service = 0.0
        c3.end = s3.end + hop
        c4.start = c3.end
        s4.start = c4.start + hop
        s4.end = s4.start + 0.00025
        c4.end = s4.end + hop
        s2.end = c4.end + 0.001
        c2.end = s2.end + hop
        s1.end = c2.end
        c1.end = s1.end + hop
        for span in (c3, s2, c2, s1, c1):
            span.error = DEPENDENCY_FAILED
    return [s3, c3, s4, c4, s2, c2, s1, c1]


def sample_spans() -> list[Span]:
    """Three requests (a get at 1 s, a put at 2 s, a failing get at 3 s), 24 spans, finish order."""
    ids = Ids()
    spans = request(ids, 1.0) + request(ids, 2.0, name="put") + request(ids, 3.0, fail=True)
    return sorted(spans, key=lambda s: s.end)  # stable: ties keep the child before its parent


def micros(seconds: float) -> int:
    """Epoch microseconds for simulated ``seconds``, worked out independently of the exporters."""
    return EPOCH_SECONDS * 1_000_000 + round(seconds * 1_000_000)
