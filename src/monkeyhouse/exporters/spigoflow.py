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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.exporters.atomicfile import AtomicTextFile
from monkeyhouse.exporters.spanformat import as_list, group_by_trace, microseconds
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


def write_spigo_flow(path: Path, spans: Iterable[Span], *, epoch_ns: int = EPOCH_NS) -> Path:
    """Write ``spans`` to ``path`` in spigo's flow format, atomically; returns ``path``."""
    spans = as_list(spans)
    starts, ends = microseconds(spans, epoch_ns)
    traces = group_by_trace(spans)
    endpoints: dict[int, str] = {}
    names: dict[str, str] = {}

    def endpoint(instance: Any) -> str:
        """The text of an annotation of ``instance`` up to its timestamp."""
        text = endpoints.get(id(instance))
        if text is None:
            text = endpoints[id(instance)] = f'{{"endpoint":{_endpoint(instance)},"timestamp":'
        return text

    target = AtomicTextFile(path)
    try:
        out = target.file
        out.write("[\n")
        pieces: list[str] = []
        for number, trace in enumerate(sorted(traces)):
            indices = traces[trace]
            clients: dict[int, int] = {}
            servers: dict[int, int] = {}
            for index in indices:
                span = spans[index]
                if span.kind == CLIENT:
                    clients[span.span] = index
                elif span.kind == SERVER:
                    servers[span.span] = index
            answered: dict[int, int] = {}
            for index in servers.values():
                parent = spans[index].parent
                if parent in clients:
                    answered[parent] = index

            rows: list[tuple[int, int, str]] = []
            for ident, index in clients.items():
                client = spans[index]
                head = endpoint(client.instance)
                notes = f'{head}{starts[index]},"value":"cs"}}'
                served = answered.get(ident)
                if served is not None:
                    server_head = endpoint(spans[served].instance)
                    notes += (
                        f',{server_head}{starts[served]},"value":"sr"}}'
                        f',{server_head}{ends[served]},"value":"ss"}}'
                    )
                notes += f',{head}{ends[index]},"value":"cr"}}'
                parent = _v1_id(client.parent, spans, servers, clients) if client.parent else 0
                rows.append((parent, ident, _row(names, client.name, parent, ident, notes)))
            for ident, index in servers.items():
                server = spans[index]
                if server.parent in clients:
                    continue
                head = endpoint(server.instance)
                notes = f'{head}{starts[index]},"value":"sr"}},{head}{ends[index]},"value":"ss"}}'
                parent = _v1_id(server.parent, spans, servers, clients) if server.parent else 0
                rows.append((parent, ident, _row(names, server.name, parent, ident, notes)))
            rows.sort()  # by parent, then id (ids are distinct, so the text is never compared)
            trace_id = f'{{"traceId":"{trace:016d}","name":'
            lines = [f"{trace_id}{text}" for _, _, text in rows]
            pieces.append((",\n" if number else "") + ",".join(lines))
            if len(pieces) >= _CHUNK:
                out.write("".join(pieces))
                pieces.clear()
        out.write("".join(pieces))
        out.write("]\n")
    except BaseException:
        target.abandon()
        raise
    return target.close()


def _v1_id(
    ident: int, spans: Sequence[Span], servers: dict[int, int], clients: dict[int, int]
) -> int:
    """The v1 span our span ``ident`` belongs to (a served call shares its client's id)."""
    server = servers.get(ident)
    if server is not None:
        parent = spans[server].parent
        if parent in clients:
            return parent
    return ident


def _row(names: dict[str, str], operation: str, parent: int, ident: int, notes: str) -> str:
    """A v1 span's text after its trace id: name, id, parent id and annotations, and newline."""
    name = names.get(operation)
    if name is None:
        name = names[operation] = json.dumps(SPIGO_NAMES.get(operation, operation))
    parent_text = f',"parentId":"{parent:016d}"' if parent else ""
    return f'{name},"id":"{ident:016d}"{parent_text},"annotations":[{notes}]}}\n'
