"""Spans in spigo's flow format (``<arch>_flow.json``): Zipkin v1 spans, as spigo wrote them.

In Zipkin v1 the two sides of a call share one span: the caller annotates ``cs`` (client send)
and ``cr`` (client receive), the callee ``sr`` (server receive) and ``ss`` (server send). So each
of our CLIENT spans becomes one v1 span with the client span's id, holding its own ``cs``/``cr``
and the ``sr``/``ss`` of its child SERVER span; a v1 span's parent is the v1 span of the call
that caused it. A SERVER span without its client (none was recorded) stands alone with ``sr`` and
``ss``.

The text reproduces spigo's: a JSON array, one span object per line, each line after the first
starting with a comma, and a line holding only a comma between traces; keys in spigo's order
(``traceId``, ``name``, ``id``, ``parentId`` (absent for a root), ``annotations``); ids as
decimal numbers zero-padded to 16 digits; endpoints named by the full nine-field name with the
address and port 8080; timestamps in integer microseconds. Operation names are spigo's message
names (``get`` is ``GetRequest``, ``put`` is ``Put``, ``replicate`` is ``Replicate``). Traces are
ordered by trace id, and spans within a trace by parent then id (spigo's order for its usual
trees).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.exporters.atomicfile import AtomicTextFile
from monkeyhouse.telemetry.spans import EPOCH_NS

#: the port every simulated endpoint listens on (spigo's choice)
PORT = 8080

#: our operation names as spigo's message types name them
SPIGO_NAMES = {"get": "GetRequest", "put": "Put", "replicate": "Replicate"}

_CHUNK = 256


def flow_file_name(arch: str) -> str:
    """The file name spigo gives the flow of architecture ``arch`` (``netflixoss_flow.json``)."""
    return f"{arch}_flow.json"


def _endpoint(instance: Any) -> str:
    """A v1 endpoint as JSON text, in spigo's key order."""
    return (
        f'{{"serviceName":{json.dumps(str(instance.full_name))},'
        f'"ipv4":{json.dumps(str(instance.address))},"port":{PORT}}}'
    )


def _v1_id(ident: int, servers: dict[int, Span], clients: dict[int, Span]) -> int:
    """The v1 span our span ``ident`` belongs to (a served call shares its client's id)."""
    server = servers.get(ident)
    if server is not None and server.parent in clients:
        return server.parent
    return ident


def write_spigo_flow(path: Path, spans: Iterable[Span], *, epoch_ns: int = EPOCH_NS) -> Path:
    """Write ``spans`` to ``path`` in spigo's flow format, atomically; returns ``path``."""
    traces: dict[int, list[Span]] = {}
    for span in spans:
        members = traces.get(span.trace)
        if members is None:
            traces[span.trace] = [span]
        else:
            members.append(span)
    endpoints: dict[int, str] = {}
    names: dict[str, str] = {}

    def endpoint(instance: Any) -> str:
        text = endpoints.get(id(instance))
        if text is None:
            text = endpoints[id(instance)] = _endpoint(instance)
        return text

    def annotation(instance: Any, time: float, value: str) -> str:
        micros = (epoch_ns + round(time * 1e9)) // 1000
        return f'{{"endpoint":{endpoint(instance)},"timestamp":{micros},"value":"{value}"}}'

    target = AtomicTextFile(path)
    try:
        out = target.file
        out.write("[\n")
        pieces: list[str] = []
        for index, trace in enumerate(sorted(traces)):
            members = traces[trace]
            clients = {s.span: s for s in members if s.kind == CLIENT}
            servers = {s.span: s for s in members if s.kind == SERVER}
            answered = {s.parent: s for s in servers.values() if s.parent in clients}

            rows: list[tuple[int, int, str, list[str]]] = []
            for client in clients.values():
                notes = [annotation(client.instance, client.start, "cs")]
                server = answered.get(client.span)
                if server is not None:
                    notes.append(annotation(server.instance, server.start, "sr"))
                    notes.append(annotation(server.instance, server.end, "ss"))
                notes.append(annotation(client.instance, client.end, "cr"))
                parent = _v1_id(client.parent, servers, clients) if client.parent else 0
                rows.append((parent, client.span, client.name, notes))
            for server in servers.values():
                if server.parent in clients:
                    continue
                notes = [
                    annotation(server.instance, server.start, "sr"),
                    annotation(server.instance, server.end, "ss"),
                ]
                parent = _v1_id(server.parent, servers, clients) if server.parent else 0
                rows.append((parent, server.span, server.name, notes))
            rows.sort(key=lambda row: (row[0], row[1]))
            trace_id = f"{trace:016d}"
            lines: list[str] = []
            for parent, ident, operation, notes in rows:
                name = names.get(operation)
                if name is None:
                    name = names[operation] = json.dumps(SPIGO_NAMES.get(operation, operation))
                parent_text = f',"parentId":"{parent:016d}"' if parent else ""
                lines.append(
                    f'{{"traceId":"{trace_id}","name":{name},"id":"{ident:016d}"'
                    f'{parent_text},"annotations":[{",".join(notes)}]}}\n'
                )
            pieces.append((",\n" if index else "") + ",".join(lines))
            if len(pieces) >= _CHUNK:
                out.write("".join(pieces))
                pieces.clear()
        out.write("".join(pieces))
        out.write("]\n")
    except BaseException:
        target.abandon()
        raise
    return target.close()
