"""Spans as OTLP/JSON (``spans.otlp.json``), and a push of that JSON to an OTLP/HTTP collector.

The document is an OpenTelemetry ``TracesData``: one ``resourceSpans`` entry per instance (the
resource names the service, the instance, its region and zone and its spigo package), one
``scopeSpans`` with scope ``monkeyhouse``, and the instance's spans. As OTLP/JSON asks (and
unlike plain proto3 JSON), ids are hex (32 digits for the trace, 16 for spans), enums are
integers (kind 2 SERVER, 3 CLIENT; status code 2 ERROR) and 64-bit times are decimal strings of
nanoseconds since the Unix epoch. Failed spans carry ``status {code: 2, message}``; the status of
a span that succeeded is left unset (omitted). Resources are ordered by instance name and keys
written sorted without spaces, so the same spans give the same bytes.

:func:`push_otlp` posts such a document to a collector's ``/v1/traces`` in batches.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.errors import MonkeyhouseError
from monkeyhouse.exporters.atomicfile import AtomicTextFile
from monkeyhouse.exporters.spanformat import HEX4, Quoted, nanoseconds
from monkeyhouse.telemetry.spans import EPOCH_NS

#: the file name a run gives this output
OTLP_FILE = "spans.otlp.json"
#: the instrumentation scope every span is reported under
SCOPE = "monkeyhouse"
#: the port every simulated endpoint listens on (spigo's choice)
PORT = 8080
#: the path OTLP/HTTP collectors take traces on
TRACES_PATH = "/v1/traces"
#: spans per request when pushing, unless told otherwise
BATCH_SPANS = 5000
#: the kind of a span that is neither CLIENT nor SERVER (SPAN_KIND_INTERNAL)
_INTERNAL = 1
#: span lines joined into each piece written to the file
_CHUNK = 8192


class OtlpPushError(MonkeyhouseError):
    """Pushing spans to a collector failed: names the URL, the status or reason, and the fix."""


def _string(key: str, value: str) -> str:
    """One attribute with a string value, as JSON text."""
    return f'{{"key":{json.dumps(key)},"value":{{"stringValue":{json.dumps(value)}}}}}'


def _resource(instance: Any) -> str:
    """The ``resource`` object of an instance, attributes sorted by key."""
    attributes: list[str] = []
    region = str(instance.region)
    zone = str(instance.zone)
    if zone != "*":
        attributes.append(_string("cloud.availability_zone", zone))
    if region != "*":
        attributes.append(_string("cloud.region", region))
    attributes.append(_string("monkeyhouse.package", str(instance.service.package)))
    attributes.append(_string("service.instance.id", str(instance.name)))
    attributes.append(_string("service.name", str(instance.service.name)))
    return f'{{"attributes":[{",".join(attributes)}]}}'


def _peer_attributes(peer: Any) -> str:
    """The peer attributes of a span, sorted by key, each followed by a comma."""
    if peer is None:
        return ""
    return (
        _string("net.peer.name", str(peer.name))
        + f',{{"key":"net.peer.port","value":{{"intValue":"{PORT}"}}}},'
        + _string("network.peer.address", str(peer.address))
        + ","
        + _string("peer.service", str(peer.service.name))
        + ","
    )


_QUEUE = '{"attributes":[{"key":"monkeyhouse.queue_ms","value":{"doubleValue":'
_SERVICE = '}},{"key":"monkeyhouse.service_ms","value":{"doubleValue":'


def _fragments(span: Span, peers: dict[int, str], quoted: Quoted) -> tuple[str, str, str, bool]:
    """The fixed text of a span line: before the end time, kind and name, after the start time.

    Everything that depends only on the kind, peer, name and error of a span (and whether it is
    a server span, whose times come first, before the fixed text).
    """
    peer = span.peer
    peer_text = peers.get(id(peer))
    if peer_text is None:
        peer_text = peers[id(peer)] = _peer_attributes(peer)
    if span.kind == SERVER:
        before = "}}," + peer_text if peer_text else "}},"
        kind = SERVER
    else:
        before = '{"attributes":[' + peer_text
        kind = CLIENT if span.kind == CLIENT else _INTERNAL
    before = before.rstrip(",") + '],"endTimeUnixNano":"'
    middle = f'","kind":{kind},"name":{quoted[span.name]}'
    status = f',"status":{{"code":2,"message":{quoted[span.error]}}}' if span.error else ""
    after = f'"{status},"traceId":"'
    return before, middle, after, kind == SERVER


def _group_lines(
    members: list[Span],
    epoch_ns: int,
    cache: dict[tuple[Any, ...], tuple[str, str, str, bool]],
    peers: dict[int, str],
    quoted: Quoted,
    traces: dict[int, str],
) -> list[str]:
    """The span lines of one instance's spans."""
    starts, ends = nanoseconds(members, epoch_ns)
    hex4 = HEX4
    lines: list[str] = []
    append = lines.append
    for span, start, end in zip(members, starts, ends, strict=True):
        key = (span.kind, span.peer, span.name, span.error)
        fragments = cache.get(key)
        if fragments is None:
            fragments = cache[key] = _fragments(span, peers, quoted)
        before, middle, after, server = fragments
        trace = span.trace
        trace_hex = traces.get(trace)
        if trace_hex is None:
            trace_hex = traces[trace] = f"{trace:032x}"
        if server:
            queued = span.queued  # mostly none: round(±0.0 * 1e9) / 1e6 is 0.0 either way
            before = (
                f"{_QUEUE}{round(queued * 1e9) / 1e6 if queued else 0.0!r}"
                f"{_SERVICE}{round(span.service * 1e9) / 1e6!r}{before}"
            )
        ident = span.span
        parent = span.parent
        try:
            if parent:
                append(
                    f"{before}{end}{middle}"
                    f',"parentSpanId":"00000000{hex4[parent >> 16]}{hex4[parent & 0xFFFF]}"'
                    f',"spanId":"00000000{hex4[ident >> 16]}{hex4[ident & 0xFFFF]}"'
                    f',"startTimeUnixNano":"{start}{after}{trace_hex}"}}'
                )
            else:
                append(
                    f"{before}{end}{middle}"
                    f',"spanId":"00000000{hex4[ident >> 16]}{hex4[ident & 0xFFFF]}"'
                    f',"startTimeUnixNano":"{start}{after}{trace_hex}"}}'
                )
        except LookupError:  # an id outside 0 .. 2**32 - 1
            parent_text = f',"parentSpanId":"{parent:016x}"' if parent else ""
            append(
                f'{before}{end}{middle}{parent_text},"spanId":"{ident:016x}"'
                f',"startTimeUnixNano":"{start}{after}{trace_hex}"}}'
            )
    return lines


def _document(spans: Iterable[Span], epoch_ns: int) -> Iterator[str]:
    """The OTLP/JSON text of ``spans``, in pieces (one per instance, plus the framing)."""
    groups: dict[int, tuple[Any, list[Span]]] = {}
    for span in spans:
        group = groups.get(id(span.instance))
        if group is None:
            groups[id(span.instance)] = (span.instance, [span])
        else:
            group[1].append(span)
    peers: dict[int, str] = {}
    quoted = Quoted()
    traces: dict[int, str] = {}
    ordered = sorted(groups.values(), key=lambda group: str(group[0].name))
    yield '{"resourceSpans":['
    for index, (instance, members) in enumerate(ordered):
        cache: dict[tuple[Any, ...], tuple[str, str, str, bool]] = {}
        yield (
            f'{"," if index else ""}\n{{"resource":{_resource(instance)},"scopeSpans":[{{'
            f'"scope":{{"name":"{SCOPE}"}},"spans":[\n'
        )
        lines = _group_lines(members, epoch_ns, cache, peers, quoted, traces)
        for start in range(0, len(lines), _CHUNK):
            yield ",\n".join(lines[start : start + _CHUNK]) + (
                ",\n" if start + _CHUNK < len(lines) else ""
            )
        yield "\n]}]}"
    yield "\n]}\n"


def otlp_payload(spans: Iterable[Span], *, epoch_ns: int = EPOCH_NS) -> bytes:
    """The OTLP/JSON document of ``spans`` as UTF-8 bytes (what :func:`write_otlp` writes)."""
    return "".join(_document(spans, epoch_ns)).encode("utf-8")


def write_otlp(path: Path, spans: Iterable[Span], *, epoch_ns: int = EPOCH_NS) -> Path:
    """Write ``spans`` to ``path`` as OTLP/JSON, atomically; returns ``path``."""
    target = AtomicTextFile(path)
    try:
        write = target.file.write
        for piece in _document(spans, epoch_ns):
            write(piece)
    except BaseException:
        target.abandon()
        raise
    return target.close()


def _batches(document: dict[str, Any], batch_spans: int) -> Iterator[bytes]:
    """Split a parsed OTLP/JSON document into documents of at most ``batch_spans`` spans."""
    current: list[dict[str, Any]] = []
    count = 0

    def finish() -> bytes:
        text = json.dumps({"resourceSpans": current}, sort_keys=True, separators=(",", ":"))
        return text.encode("utf-8")

    for resource_spans in document.get("resourceSpans") or []:
        for scope_spans in resource_spans.get("scopeSpans") or []:
            members = scope_spans.get("spans") or []
            start = 0
            while start < len(members):
                take = min(batch_spans - count, len(members) - start)
                part = dict(scope_spans, spans=members[start : start + take])
                current.append(dict(resource_spans, scopeSpans=[part]))
                count += take
                start += take
                if count >= batch_spans:
                    yield finish()
                    current = []
                    count = 0
    if current:
        yield finish()


def _span_count(document: dict[str, Any]) -> int:
    """How many spans an OTLP/JSON document holds."""
    return sum(
        len(scope.get("spans") or [])
        for resource in document.get("resourceSpans") or []
        for scope in resource.get("scopeSpans") or []
    )


def _endpoint_url(url: str) -> str:
    """The URL to post to: ``url`` itself, or ``url`` + ``/v1/traces`` if it has no path."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OtlpPushError(
            f"OTLP push to {url!r}: not an http(s) URL "
            "(give the collector's OTLP/HTTP address, e.g. http://127.0.0.1:4318/v1/traces)"
        )
    if parts.path in ("", "/"):
        return urllib.parse.urlunsplit(parts._replace(path=TRACES_PATH))
    return url


def _opener(url: str) -> urllib.request.OpenerDirector:
    """A URL opener; loopback addresses never go through a proxy from the environment."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost" or host.startswith("127.") or host == "::1":
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _post(opener: urllib.request.OpenerDirector, url: str, body: bytes, timeout: float) -> int:
    """POST one batch; returns the HTTP status or raises :class:`OtlpPushError`."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            status = int(response.status)
            reply = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read(300).decode("utf-8", "replace").strip()
        hint = (
            "is this an OTLP/HTTP collector? it takes traces on " + TRACES_PATH
            if error.code in (404, 405)
            else "see the collector's log"
        )
        raise OtlpPushError(
            f"OTLP push to {url}: HTTP {error.code} {error.reason}"
            + (f": {detail}" if detail else "")
            + f" ({hint})"
        ) from None
    except TimeoutError:
        raise OtlpPushError(
            f"OTLP push to {url}: no answer within {timeout:g} s "
            "(is the collector overloaded? give a longer timeout or smaller batches)"
        ) from None
    except urllib.error.URLError as error:
        raise OtlpPushError(
            f"OTLP push to {url}: cannot connect: {error.reason} "
            "(is the collector running and listening there? OTLP/HTTP's default port is 4318)"
        ) from None
    except OSError as error:
        raise OtlpPushError(
            f"OTLP push to {url}: {error} (is the collector running and reachable?)"
        ) from None
    if not 200 <= status < 300:
        raise OtlpPushError(f"OTLP push to {url}: HTTP {status} (see the collector's log)")
    _check_partial_success(url, reply)
    return status


def _check_partial_success(url: str, reply: bytes) -> None:
    """Raise if the collector's reply says it rejected spans (OTLP partial success)."""
    try:
        answer = json.loads(reply) if reply.strip() else {}
    except ValueError:
        return
    partial = answer.get("partialSuccess") if isinstance(answer, dict) else None
    if not isinstance(partial, dict):
        return
    rejected = int(partial.get("rejectedSpans") or 0)
    if rejected:
        message = partial.get("errorMessage") or "no reason given"
        raise OtlpPushError(
            f"OTLP push to {url}: the collector rejected {rejected} spans: {message} "
            "(see the collector's log)"
        )


def push_otlp(
    url: str, payload: bytes, timeout: float = 10.0, *, batch_spans: int = BATCH_SPANS
) -> int:
    """POST the OTLP/JSON ``payload`` to the collector at ``url``; returns the last HTTP status.

    ``url`` is the traces endpoint (``http://host:4318/v1/traces``); a URL without a path gets
    ``/v1/traces`` added. A payload of more than ``batch_spans`` spans is sent as several
    requests of at most ``batch_spans`` spans each, in order. Any failure (no connection, a
    timeout, a non-2xx status, spans the collector reports rejected) raises
    :class:`OtlpPushError` naming the URL, the status or reason and the fix.
    """
    if batch_spans < 1:
        raise OtlpPushError(f"OTLP push: batch size {batch_spans!r} must be at least 1 span")
    target = _endpoint_url(url)
    try:
        document = json.loads(payload)
    except ValueError as error:
        raise OtlpPushError(
            f"OTLP push to {target}: the payload is not JSON ({error}; "
            "give the contents of a spans.otlp.json file)"
        ) from None
    if not isinstance(document, dict):
        raise OtlpPushError(
            f"OTLP push to {target}: the payload is not an OTLP/JSON object with resourceSpans "
            "(give the contents of a spans.otlp.json file)"
        )
    opener = _opener(target)
    if _span_count(document) <= batch_spans:
        return _post(opener, target, payload, timeout)
    status = 0
    for body in _batches(document, batch_spans):
        status = _post(opener, target, body, timeout)
    return status
