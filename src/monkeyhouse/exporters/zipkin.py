"""Spans as Zipkin v2 JSON (``spans.zipkin.json``), one span per line.

The file is the list of spans Zipkin's ``POST /api/v2/spans`` accepts. Each span keeps its own
side: a CLIENT span on the caller, a SERVER span on the callee, the server span the child of the
client span. Ids are our integers as 16 lower-case hex digits, ``timestamp`` and ``duration`` are
integer microseconds from the run's epoch (a duration is at least 1, as the format asks), and
endpoints carry the lower-case service name, the address and port 8080 (an address that is not a
valid IPv4 one, such as spigo's ``54.288.`` range for eu-west-1 zoneC, is left out). Tags name
the instance (``monkeyhouse.instance``), the error (``error``, Zipkin's convention) and, on
server spans, the milliseconds spent queued and working (``monkeyhouse.queue_ms``,
``monkeyhouse.service_ms``). Keys are written sorted and without spaces, so the same spans give
the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.exporters.atomicfile import AtomicTextFile
from monkeyhouse.telemetry.spans import EPOCH_NS

#: the file name a run gives this output
ZIPKIN_FILE = "spans.zipkin.json"
#: the port every simulated endpoint listens on (spigo's choice)
PORT = 8080

#: the ``kind`` field, sorted-key position included; any other kind is a local span (no kind)
_KINDS = {CLIENT: '"kind":"CLIENT",', SERVER: '"kind":"SERVER",'}
_CHUNK = 8192


def _is_ipv4(address: str) -> bool:
    """True for a dotted-quad IPv4 address (spigo's ``54.288.`` range of eu-west-1 is not)."""
    parts = address.split(".")
    return len(parts) == 4 and all(
        part.isdigit() and len(part) <= 3 and int(part) <= 255 for part in parts
    )


def _endpoint(instance: Any) -> str:
    """An Endpoint object as JSON text, keys sorted; an address that is not IPv4 is left out."""
    service = json.dumps(str(instance.service.name).lower())
    address = str(instance.address)
    ipv4 = f'"ipv4":{json.dumps(address)},' if _is_ipv4(address) else ""
    return f'{{{ipv4}"port":{PORT},"serviceName":{service}}}'


def write_zipkin(path: Path, spans: Iterable[Span], *, epoch_ns: int = EPOCH_NS) -> Path:
    """Write ``spans`` to ``path`` as a Zipkin v2 JSON list, atomically; returns ``path``."""
    endpoints: dict[int, str] = {}
    instance_tags: dict[int, str] = {}
    names: dict[str, str] = {}
    target = AtomicTextFile(path)
    try:
        out = target.file
        out.write("[")
        lines: list[str] = []
        separator = "\n"
        for span in spans:
            instance = span.instance
            key = id(instance)
            local = endpoints.get(key)
            if local is None:
                local = endpoints[key] = _endpoint(instance)
                instance_tags[key] = json.dumps(str(instance.name))
            peer = span.peer
            remote = ""
            if peer is not None:
                remote_text = endpoints.get(id(peer))
                if remote_text is None:
                    remote_text = endpoints[id(peer)] = _endpoint(peer)
                    instance_tags[id(peer)] = json.dumps(str(peer.name))
                remote = f',"remoteEndpoint":{remote_text}'
            name = names.get(span.name)
            if name is None:
                name = names[span.name] = json.dumps(span.name.lower())
            start = (epoch_ns + round(span.start * 1e9)) // 1000
            duration = (epoch_ns + round(span.end * 1e9)) // 1000 - start
            if duration < 1:
                duration = 1
            tags = ""
            if span.error:
                tags = f'"error":{json.dumps(span.error)},'
            tags += f'"monkeyhouse.instance":{instance_tags[key]}'
            if span.kind == SERVER:
                tags += (
                    f',"monkeyhouse.queue_ms":"{span.queued * 1000.0:.3f}"'
                    f',"monkeyhouse.service_ms":"{span.service * 1000.0:.3f}"'
                )
            parent = f',"parentId":"{span.parent:016x}"' if span.parent else ""
            lines.append(
                f'{separator}{{"duration":{duration},"id":"{span.span:016x}",'
                f'{_KINDS.get(span.kind, "")}"localEndpoint":{local},'
                f'"name":{name}{parent}{remote},"tags":{{{tags}}},'
                f'"timestamp":{start},"traceId":"{span.trace:016x}"}}'
            )
            separator = ",\n"
            if len(lines) >= _CHUNK:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
        out.write("\n]\n")
    except BaseException:
        target.abandon()
        raise
    return target.close()
