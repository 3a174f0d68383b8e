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
from monkeyhouse.exporters.spanformat import HEX4, Quoted, as_list, hex16, microseconds
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


def _fragments(span: Span, endpoints: dict[int, str], quoted: Quoted) -> tuple[str, str, bool]:
    """The text of a span line around its parent id: (head, tail, server?).

    ``head`` runs from the kind to the name, ``tail`` from the remote endpoint to the
    instance tag: everything that depends only on the kind, instance, name, peer and error.
    """
    instance = span.instance
    local = endpoints.get(id(instance))
    if local is None:
        local = endpoints[id(instance)] = _endpoint(instance)
    head = f'{_KINDS.get(span.kind, "")}"localEndpoint":{local},"name":{quoted[span.name.lower()]}'
    tail = ""
    peer = span.peer
    if peer is not None:
        remote = endpoints.get(id(peer))
        if remote is None:
            remote = endpoints[id(peer)] = _endpoint(peer)
        tail = f',"remoteEndpoint":{remote}'
    tail += ',"tags":{'
    if span.error:
        tail += f'"error":{quoted[span.error]},'
    tail += f'"monkeyhouse.instance":{quoted[str(instance.name)]}'
    return head, tail, span.kind == SERVER


def _line(span: Span, fragments: tuple[str, str, bool], start: int, duration: int) -> str:
    """One span's JSON text, formatting ids with ``format`` (any integer)."""
    head, tail, server = fragments
    parent = f',"parentId":"{span.parent:016x}"' if span.parent else ""
    tags = (
        f',"monkeyhouse.queue_ms":"{span.queued * 1000.0:.3f}"'
        f',"monkeyhouse.service_ms":"{span.service * 1000.0:.3f}"'
        if server
        else ""
    )
    return (
        f'{{"duration":{duration},"id":"{span.span:016x}",{head}{parent}{tail}{tags}}},'
        f'"timestamp":{start},"traceId":"{span.trace:016x}"}}'
    )


def write_zipkin(path: Path, spans: Iterable[Span], *, epoch_ns: int = EPOCH_NS) -> Path:
    """Write ``spans`` to ``path`` as a Zipkin v2 JSON list, atomically; returns ``path``."""
    spans = as_list(spans)
    starts, ends = microseconds(spans, epoch_ns)
    endpoints: dict[int, str] = {}
    quoted = Quoted()
    cache: dict[tuple[Any, ...], tuple[str, str, bool]] = {}
    traces: dict[int, str] = {}
    hex4 = HEX4
    target = AtomicTextFile(path)
    try:
        out = target.file
        out.write("[")
        lines: list[str] = []
        append = lines.append
        separator = "\n"
        for span, start, end in zip(spans, starts, ends, strict=True):
            key = (span.kind, span.instance, span.name, span.peer, span.error)
            fragments = cache.get(key)
            if fragments is None:
                fragments = cache[key] = _fragments(span, endpoints, quoted)
            duration = end - start
            if duration < 1:
                duration = 1
            try:
                trace = span.trace
                trace_hex = traces.get(trace)
                if trace_hex is None:
                    trace_hex = traces[trace] = hex16(trace)
                ident = span.span
                head, tail, server = fragments
                parent = span.parent
                if server:
                    tail = (
                        f'{tail},"monkeyhouse.queue_ms":"{span.queued * 1000.0:.3f}"'
                        f',"monkeyhouse.service_ms":"{span.service * 1000.0:.3f}"'
                    )
                if parent:
                    append(
                        f'{{"duration":{duration},"id":"00000000{hex4[ident >> 16]}'
                        f'{hex4[ident & 0xFFFF]}",{head},"parentId":"00000000'
                        f'{hex4[parent >> 16]}{hex4[parent & 0xFFFF]}"{tail}}},'
                        f'"timestamp":{start},"traceId":"{trace_hex}"}}'
                    )
                else:
                    append(
                        f'{{"duration":{duration},"id":"00000000{hex4[ident >> 16]}'
                        f'{hex4[ident & 0xFFFF]}",{head}{tail}}},'
                        f'"timestamp":{start},"traceId":"{trace_hex}"}}'
                    )
            except LookupError:  # an id outside 0 .. 2**32 - 1
                append(_line(span, fragments, start, duration))
            if len(lines) >= _CHUNK:
                out.write(separator + ",\n".join(lines))
                separator = ",\n"
                lines.clear()
        if lines:
            out.write(separator + ",\n".join(lines))
        out.write("\n]\n")
    except BaseException:
        target.abandon()
        raise
    return target.close()
