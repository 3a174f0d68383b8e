"""Node names, spigo style: nine dot-separated fields and the filters that shorten them.

A full name is ``arch.region.zone.machine.instance.container.process.service.package``; the
simulator leaves machine, container and process empty and names the instance after its service
and number (``homepage15``). Graph outputs use a filtered name: ``arch.region.zone.instance``
by default, or ``arch.region.zone.service.package`` with spigo's ``-f`` (instances of a service
in a zone collapse into one node). Global nodes have region and zone ``*``; region-wide nodes
have zone ``*``.
"""

from __future__ import annotations

ANY = "*"


def instance_label(service: str, index: int) -> str:
    """The instance field: service name and number, at least two digits (``homepage05``)."""
    return f"{service}{index:02d}"


def full_name(
    arch: str,
    region: str,
    zone: str,
    instance: str,
    service: str,
    package: str,
    machine: str = "",
    container: str = "",
    process: str = "",
) -> str:
    """The nine-field name, e.g. ``netflixoss.us-east-1.zoneA..homepage15...homepage.karyon``."""
    return f"{arch}.{region}.{zone}.{machine}.{instance}.{container}.{process}.{service}.{package}"


def instance_name(arch: str, region: str, zone: str, instance: str) -> str:
    """The default graph name ``arch.region.zone.instance``."""
    return f"{arch}.{region}.{zone}.{instance}"


def service_zone_name(arch: str, region: str, zone: str, service: str, package: str) -> str:
    """The ``-f`` graph name ``arch.region.zone.service.package`` (a node per service and zone)."""
    return f"{arch}.{region}.{zone}.{service}.{package}"


def apply_filter(name: str, pattern: str) -> str:
    """Apply a spigo name filter: a dot pattern matched from the right of a full name.

    A ``*`` in the pattern drops the field under it, an empty field keeps it, and every field
    left of the pattern is kept: ``apply_filter(full, "*..*.*.*.*")`` gives
    ``arch.region.zone.instance``.
    """
    fields = name.split(".")
    marks = pattern.split(".")
    offset = len(fields) - len(marks)
    kept = [field for i, field in enumerate(fields) if i < offset or marks[i - offset] != ANY]
    return ".".join(kept)


def service_of(instance: str) -> str:
    """The service part of an instance field: the name without its trailing digits."""
    return instance.rstrip("0123456789")
