"""Spans as Jaeger JSON (``spans.jaeger.json``): what Jaeger's query API and UI download give.

The file is ``{"data": [trace, ...], "total", "limit", "offset", "errors"}``; each trace holds its
spans (``traceID``, ``spanID``, ``operationName``, a ``CHILD_OF`` reference to the parent,
``startTime`` and ``duration`` in integer microseconds, typed ``tags``, empty ``logs``, a
``processID``) and its ``processes``: one per instance (``p1``, ``p2`` ... in order of first
appearance in the trace) with the service name and the instance's host name, address and
package as tags. Ids are 16 lower-case hex digits. Tags follow the OpenTracing conventions
Jaeger shows (``span.kind``, ``peer.*``, ``error`` as a boolean) plus ``monkeyhouse.queue_ms``
and ``monkeyhouse.service_ms`` on server spans. Traces are ordered by trace id, spans kept in the
order given; keys are written sorted without spaces, so the same spans give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.exporters.atomicfile import AtomicTextFile
from monkeyhouse.exporters.spanformat import (
    HEX4,
    Quoted,
    as_list,
    group_by_trace,
    hex16,
    microseconds,
)
from monkeyhouse.telemetry.spans import EPOCH_NS

#: the file name a run gives this output
JAEGER_FILE = "spans.jaeger.json"
#: the port every simulated endpoint listens on (spigo's choice)
PORT = 8080

_KIND_TAG = {
    CLIENT: '{"key":"span.kind","type":"string","value":"client"}',
    SERVER: '{"key":"span.kind","type":"string","value":"server"}',
}
_CHUNK = 256


def _tag(key: str, value: str) -> str:
    """A string tag as JSON text."""
    return f'{{"key":{json.dumps(key)},"type":"string","value":{json.dumps(value)}}}'


def _process(instance: Any) -> str:
    """A process object (service name and host tags) as JSON text."""
    tags = ",".join(
        (
            _tag("hostname", str(instance.name)),
            _tag("ip", str(instance.address)),
            _tag("monkeyhouse.package", str(instance.service.package)),
        )
    )
    return f'{{"serviceName":{json.dumps(str(instance.service.name))},"tags":[{tags}]}}'


def _peer_tags(peer: Any) -> str:
    """The peer tags of a span, sorted by key, comma separated ("" without a peer)."""
    if peer is None:
        return ""
    return (
        _tag("peer.hostname", str(peer.name))
        + ","
        + _tag("peer.ipv4", str(peer.address))
        + f',{{"key":"peer.port","type":"int64","value":{PORT}}},'
        + _tag("peer.service", str(peer.service.name))
    )


_QUEUE = '{"key":"monkeyhouse.queue_ms","type":"float64","value":'
_SERVICE = '},{"key":"monkeyhouse.service_ms","type":"float64","value":'


def _fragments(span: Span, peers: dict[int, str], quoted: Quoted) -> tuple[str, str, str, bool]:
    """The fixed text of a span line: name, tags before the times, tags after them, server.

    Everything that depends only on the kind, peer, name and error of a span. Only a server
    span has times among its tags (queued and working); the others' tags are all in the second.
    """
    peer_text = peers.get(id(span.peer))
    if peer_text is None:
        peer_text = peers[id(span.peer)] = _peer_tags(span.peer)
    before: list[str] = []
    after: list[str] = []
    if span.error:
        before.append('{"key":"error","type":"bool","value":true}')
        after.append(_tag("otel.status_description", span.error))
    if peer_text:
        after.append(peer_text)
    kind_tag = _KIND_TAG.get(span.kind)
    if kind_tag is not None:
        after.append(kind_tag)
    name = quoted[span.name]
    if span.kind == SERVER:
        prefix = ",".join(before) + "," if before else ""
        suffix = "," + ",".join(after) if after else ""
        return name, prefix + _QUEUE, "}" + suffix, True
    return name, ",".join(before + after), "", False


def _trace_text(
    trace: int,
    members: list[int],
    spans: Sequence[Span],
    starts: list[int],
    ends: list[int],
    cache: dict[tuple[Any, ...], tuple[str, str, str, bool]],
    processes: dict[int, str],
    peers: dict[int, str],
    quoted: Quoted,
) -> str:
    """One trace's JSON object (without the separator before it).

    ``members`` are indexes into ``spans`` and their times ``starts`` and ``ends``.
    """
    trace_id = hex16(trace)
    reference = '"}],"spanID":"'
    local: dict[int, str] = {}
    hex4 = HEX4
    lines: list[str] = []
    append = lines.append
    for index in members:
        span = spans[index]
        start = starts[index]
        end = ends[index]
        instance = span.instance
        process_id = local.get(id(instance))
        if process_id is None:
            process_id = local[id(instance)] = f"p{len(local) + 1}"
            if id(instance) not in processes:
                processes[id(instance)] = _process(instance)
        key = (span.kind, span.peer, span.name, span.error)
        fragments = cache.get(key)
        if fragments is None:
            fragments = cache[key] = _fragments(span, peers, quoted)
        name, tags, suffix, server = fragments
        if server:
            queued = span.queued  # mostly none: round(±0.0 * 1e9) / 1e6 is 0.0 either way
            tags = (
                f"{tags}{round(queued * 1e9) / 1e6 if queued else 0.0!r}"
                f"{_SERVICE}{round(span.service * 1e9) / 1e6!r}{suffix}"
            )
        parent = span.parent
        ident = span.span
        try:
            references = (
                f'{{"refType":"CHILD_OF","spanID":"00000000{hex4[parent >> 16]}'
                f'{hex4[parent & 0xFFFF]}","traceID":"{trace_id}{reference}'
                if parent
                else '],"spanID":"'
            )
            append(
                f'{{"duration":{end - start},"logs":[],"operationName":{name},'
                f'"processID":"{process_id}","references":[{references}'
                f'00000000{hex4[ident >> 16]}{hex4[ident & 0xFFFF]}","startTime":{start},'
                f'"tags":[{tags}],"traceID":"{trace_id}","warnings":null}}'
            )
        except LookupError:  # an id outside 0 .. 2**32 - 1
            references = (
                f'{{"refType":"CHILD_OF","spanID":"{parent:016x}","traceID":"{trace_id}"}}'
                if parent
                else ""
            )
            append(
                f'{{"duration":{end - start},"logs":[],"operationName":{name},'
                f'"processID":"{process_id}","references":[{references}],'
                f'"spanID":"{ident:016x}","startTime":{start},"tags":[{tags}],'
                f'"traceID":"{trace_id}","warnings":null}}'
            )
    process_text = ",".join(f'"{pid}":{processes[key]}' for key, pid in local.items())
    return (
        f'{{"processes":{{{process_text}}},"spans":[\n'
        + ",\n".join(lines)
        + f'\n],"traceID":"{trace_id}","warnings":null}}'
    )


def write_jaeger(path: Path, spans: Iterable[Span], *, epoch_ns: int = EPOCH_NS) -> Path:
    """Write ``spans`` to ``path`` as a Jaeger JSON query result, atomically; returns ``path``."""
    spans = as_list(spans)
    starts, ends = microseconds(spans, epoch_ns)
    traces = group_by_trace(spans)
    processes: dict[int, str] = {}
    peers: dict[int, str] = {}
    quoted = Quoted()
    cache: dict[tuple[Any, ...], tuple[str, str, str, bool]] = {}
    target = AtomicTextFile(path)
    try:
        out = target.file
        out.write('{"data":[')
        pieces: list[str] = []
        separator = "\n"
        for trace in sorted(traces):
            pieces.append(
                _trace_text(
                    trace, traces[trace], spans, starts, ends, cache, processes, peers, quoted
                )
            )
            if len(pieces) >= _CHUNK:
                out.write(separator + ",\n".join(pieces))
                separator = ",\n"
                pieces.clear()
        if pieces:
            out.write(separator + ",\n".join(pieces))
        out.write(f'\n],"errors":null,"limit":0,"offset":0,"total":{len(traces)}}}\n')
    except BaseException:
        target.abandon()
        raise
    return target.close()
