"""Service discovery, Eureka style: registries, client views and polling.

Every instance registers when it starts. spigo keeps one registry per region and zone and links
the zones of a region, so what matters is where a registration is seen: in its own region, or
in every region for global nodes and for services that list ``eureka`` as a dependency (spigo's
cross-region Cassandra). A client sees the registrations of its own region, or of every region
when it is global or lists ``eureka``. Karyon and zuul clients keep only instances in their own
zone (the behaviour says so through ``same_zone``).

Clients that see the same thing share one :class:`View` per dependency: the key is the client
service, the dependency, the region seen (or all) and the zone kept (or any). Views are lists of
instances, so memory grows with instances and service-level edges, never with instance pairs.
Instance-to-instance connections are derived from the views; a graph recorder is told when a
target or a client joins a view and when a target leaves it.

Polling runs from one ticker per client service (not one per instance): every ``poll`` seconds
the service's views are refreshed from the registry. Instances that deregister (karyon, zuul,
staash and monolith do, as spigo's do on shutdown) disappear at the next poll; instances that die
without deregistering are evicted when their lease expires (Eureka's default is 90 seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from monkeyhouse.engine import Environment
from monkeyhouse.topology.instances import Instance, ServiceRuntime
from monkeyhouse.topology.names import ANY

ALL_REGIONS = "*all*"


#: seconds an instance that died without deregistering stays in the registry (Eureka's default)
LEASE = 90.0


class ViewObserver(Protocol):
    """Told about membership changes (the graph recorder implements it)."""

    def target_joined(self, view: View, target: Instance) -> None:
        """``target`` became visible to every client now in ``view``."""

    def client_joined(self, view: View, client: Instance) -> None:
        """``client`` joined ``view`` and sees every target now in it."""

    def target_left(self, view: View, target: Instance) -> None:
        """``target`` is no longer visible to the clients of ``view``."""


class View:
    """What one group of clients sees of one dependency service."""

    __slots__ = ("clients", "dependency", "live", "region", "service", "targets", "version", "zone")

    def __init__(
        self, service: ServiceRuntime, dependency: ServiceRuntime, region: str, zone: str | None
    ) -> None:
        self.service = service
        self.dependency = dependency
        self.region = region
        self.zone = zone
        #: every client that ever joined, in join order (append only)
        self.clients: list[Instance] = []
        #: every target that ever joined, in join order (append only)
        self.targets: list[Instance] = []
        #: the targets the clients route to now
        self.live: list[Instance] = []
        self.version = -1

    def admits(self, target: Instance) -> bool:
        """Whether a registered ``target`` is visible through this view."""
        if self.zone is not None and target.zone != self.zone:
            return False
        if self.region == ALL_REGIONS:
            return True
        return target.region in (self.region, ANY) or target.service.eureka

    def __repr__(self) -> str:
        return (
            f"<View {self.service.name}->{self.dependency.name} region={self.region} "
            f"zone={self.zone} live={len(self.live)}>"
        )


class Discovery:
    """The registries of a run, the client views and the polling tickers."""

    def __init__(
        self,
        env: Environment,
        services: list[ServiceRuntime],
        *,
        poll: float,
        lease: float = LEASE,
        same_zone: Callable[[ServiceRuntime], bool],
        observer: ViewObserver | None = None,
    ) -> None:
        self.env = env
        self.services = services
        self.poll = poll
        self.lease = lease
        self._same_zone = same_zone
        self.observer = observer
        #: registered and online instances per service, in registration order (ordered sets)
        self._online: list[dict[Instance, None]] = [{} for _ in services]
        self._versions = [0] * len(services)
        self._views: dict[tuple[int, int, str, str | None], View] = {}
        self._views_of: list[list[View]] = [[] for _ in services]
        self._tickers: list[object] = []
        self.registrations = 0
        self.deregistrations = 0

    # -- registry side ---------------------------------------------------------------------
    def register(self, instance: Instance) -> None:
        """``instance`` is up and registered."""
        index = instance.service.index
        self._online[index][instance] = None
        self._versions[index] += 1
        self.registrations += 1

    def deregister(self, instance: Instance) -> None:
        """``instance`` is gone from the registry (a Delete, or an expired lease)."""
        online = self._online[instance.service.index]
        if instance in online:
            del online[instance]
            self._versions[instance.service.index] += 1
            self.deregistrations += 1

    def expire_later(self, instance: Instance) -> None:
        """``instance`` died without deregistering: evict it when its lease runs out."""
        self.env.schedule(self.lease, self._evict, instance)

    def _evict(self, instance: Instance) -> None:
        self.deregister(instance)

    # -- client side -----------------------------------------------------------------------
    def client_key(self, client: Instance) -> tuple[str, str | None]:
        """The (region seen, zone kept) pair that decides what ``client`` sees."""
        service = client.service
        region = ALL_REGIONS if client.region == ANY or service.eureka else client.region
        zone = client.zone if self._same_zone(service) else None
        return region, zone

    def attach(self, client: Instance) -> None:
        """Give ``client`` its views, one per dependency, creating shared views as needed."""
        service = client.service
        key = self.client_key(client)
        views = service.views.get(key)
        if views is None:
            made = []
            for dep in service.dependencies:
                view_key = (service.index, dep, key[0], key[1])
                view = self._views.get(view_key)
                if view is None:
                    view = View(service, self.services[dep], key[0], key[1])
                    self._views[view_key] = view
                    self._views_of[service.index].append(view)
                made.append(view)
            views = tuple(made)
            service.views[key] = views
        client.views = views
        observer = self.observer
        for view in views:
            view.clients.append(client)
            if observer is not None:
                observer.client_joined(view, client)

    def refresh(self, service: ServiceRuntime) -> None:
        """Poll: bring every view of ``service`` up to date with the registry."""
        for view in self._views_of[service.index]:
            self._refresh_view(view)

    def fetch(self, client: Instance) -> None:
        """A client started during the run fetches the registry for its views never fetched.

        Views it shares with clients already polling stay as they are until their next poll.
        """
        for view in client.views:
            if view.version == -1:
                self._refresh_view(view)

    def _refresh_view(self, view: View) -> None:
        observer = self.observer
        dep = view.dependency.index
        version = self._versions[dep]
        if version == view.version:
            return
        view.version = version
        now_visible = [t for t in self._online[dep] if view.admits(t)]
        before = view.live
        if observer is not None:
            current = set(map(id, now_visible))
            for target in before:
                if id(target) not in current:
                    observer.target_left(view, target)
        known = set(map(id, before))
        for target in now_visible:
            if id(target) not in known:
                view.targets.append(target)
                if observer is not None:
                    observer.target_joined(view, target)
        view.live = now_visible

    def refresh_all(self) -> None:
        """Poll every service now (the first fetch when a run starts)."""
        for service in self.services:
            self.refresh(service)

    def start_polling(self, until: float | None = None) -> None:
        """Start one polling ticker per service that has dependencies."""
        for service in self.services:
            if service.dependencies:
                self._tickers.append(self.env.every(self.poll, self._poller(service), until=until))

    def _poller(self, service: ServiceRuntime) -> Callable[[float], None]:
        def poll(_now: float) -> None:
            self.refresh(service)

        return poll

    def views(self) -> list[View]:
        """Every view, in creation order."""
        return list(self._views.values())
