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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.exporters.atomicfile import AtomicTextFile
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


def write_jaeger(path: Path, spans: Iterable[Span], *, epoch_ns: int = EPOCH_NS) -> Path:
    """Write ``spans`` to ``path`` as a Jaeger JSON query result, atomically; returns ``path``."""
    traces: dict[int, list[Span]] = {}
    for span in spans:
        members = traces.get(span.trace)
        if members is None:
            traces[span.trace] = [span]
        else:
            members.append(span)
    processes: dict[int, str] = {}
    peers: dict[int, str] = {}
    names: dict[str, str] = {}
    target = AtomicTextFile(path)
    try:
        out = target.file
        out.write('{"data":[')
        pieces: list[str] = []
        for index, trace in enumerate(sorted(traces)):
            trace_id = f"{trace:016x}"
            local: dict[int, str] = {}
            lines: list[str] = []
            for span in traces[trace]:
                instance = span.instance
                key = id(instance)
                process_id = local.get(key)
                if process_id is None:
                    process_id = local[key] = f"p{len(local) + 1}"
                    if key not in processes:
                        processes[key] = _process(instance)
                peer_text = peers.get(id(span.peer))
                if peer_text is None:
                    peer_text = peers[id(span.peer)] = _peer_tags(span.peer)
                name = names.get(span.name)
                if name is None:
                    name = names[span.name] = json.dumps(span.name)
                start = (epoch_ns + round(span.start * 1e9)) // 1000
                duration = (epoch_ns + round(span.end * 1e9)) // 1000 - start
                tags: list[str] = []
                if span.error:
                    tags.append('{"key":"error","type":"bool","value":true}')
                if span.kind == SERVER:
                    tags.append(
                        '{"key":"monkeyhouse.queue_ms","type":"float64","value":'
                        f"{round(span.queued * 1e9) / 1e6!r}}}"
                    )
                    tags.append(
                        '{"key":"monkeyhouse.service_ms","type":"float64","value":'
                        f"{round(span.service * 1e9) / 1e6!r}}}"
                    )
                if span.error:
                    tags.append(_tag("otel.status_description", span.error))
                if peer_text:
                    tags.append(peer_text)
                kind_tag = _KIND_TAG.get(span.kind)
                if kind_tag is not None:
                    tags.append(kind_tag)
                references = ""
                if span.parent:
                    references = (
                        f'{{"refType":"CHILD_OF","spanID":"{span.parent:016x}",'
                        f'"traceID":"{trace_id}"}}'
                    )
                lines.append(
                    f'{{"duration":{duration},"logs":[],"operationName":{name},'
                    f'"processID":"{process_id}","references":[{references}],'
                    f'"spanID":"{span.span:016x}","startTime":{start},"tags":[{",".join(tags)}],'
                    f'"traceID":"{trace_id}","warnings":null}}'
                )
            process_text = ",".join(f'"{pid}":{processes[key]}' for key, pid in local.items())
            pieces.append(
                f'{"," if index else ""}\n{{"processes":{{{process_text}}},"spans":[\n'
                + ",\n".join(lines)
                + f'\n],"traceID":"{trace_id}","warnings":null}}'
            )
            if len(pieces) >= _CHUNK:
                out.write("".join(pieces))
                pieces.clear()
        out.write("".join(pieces))
        out.write(f'\n],"errors":null,"limit":0,"offset":0,"total":{len(traces)}}}\n')
    except BaseException:
        target.abandon()
        raise
    return target.close()
