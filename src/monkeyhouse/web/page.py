r"""``monkeyhouse render DIR --html``: a run's replay as one self-contained, offline HTML file.

The built front end's ``index.html`` is read from the assets folder; every
``<script src=...>`` and ``<link rel=stylesheet href=...>`` naming a file of its ``assets/``
folder is inlined (scripts as ``<script type="module">``, with ``</script`` escaped), other
``<link>`` tags with a URL (preloads, icons) are dropped, and the replay document (plus up to
:data:`MAX_FULL_TRACES` traces in full under ``trace_data``) is embedded in
``<script id="mh-data" type="application/json">``, with ``</`` escaped as ``<\/``. The page
reads ``#mh-data`` when present, so it works from ``file://`` with no server and no network.
Registered as the ``page`` plug-in of the ``monkeyhouse.ui`` entry point group.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from monkeyhouse.errors import UsageError
from monkeyhouse.exporters.atomicfile import write_text_atomic
from monkeyhouse.web.app import find_assets, safe_file
from monkeyhouse.web.replay import replay_document

#: traces embedded in full (the slowest)
MAX_FULL_TRACES = 20

_SCRIPT = re.compile(
    r"<script\b([^>]*)\bsrc\s*=\s*[\"']([^\"']+)[\"']([^>]*)>\s*</script\s*>", re.I
)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_HREF = re.compile(r"\bhref\s*=\s*[\"']([^\"']+)[\"']", re.I)
_STYLESHEET = re.compile(r"\brel\s*=\s*[\"']?stylesheet[\"']?", re.I)
_CLOSE_SCRIPT = re.compile(r"</(script)", re.I)
_CLOSE_STYLE = re.compile(r"</(style)", re.I)


def _asset(assets: Path, url: str) -> Path:
    """The file of ``assets/`` that ``url`` (``/assets/x.js``, ``./assets/x.js``) names."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    for prefix in ("./", "/"):
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    folder, _, name = path.partition("/")
    found = safe_file((assets / "assets").resolve(), name) if folder == "assets" else None
    if found is None:
        raise UsageError(
            f"{assets / 'index.html'}: {url!r} is not a file of {assets / 'assets'} "
            "(rebuild the front end: `make build-ui`)"
        )
    return found


def embed_json(data: Any) -> str:
    """JSON text safe inside a ``<script>`` element (no ``</``, no ``<!--``)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def inline_page(index_html: str, assets: Path, data: Any) -> str:
    """``index_html`` with its scripts and stylesheets inlined and ``data`` embedded."""

    def script(match: re.Match[str]) -> str:
        code = _asset(assets, match.group(2)).read_text(encoding="utf-8")
        return '<script type="module">' + _CLOSE_SCRIPT.sub(r"<\\/\1", code) + "</script>"

    def link(match: re.Match[str]) -> str:
        tag = match.group(0)
        href = _HREF.search(tag)
        if href is None:
            return tag
        if _STYLESHEET.search(tag):
            css = _asset(assets, href.group(1)).read_text(encoding="utf-8")
            return "<style>" + _CLOSE_STYLE.sub(r"<\\/\1", css) + "</style>"
        return ""  # preloads, icons: nothing to fetch offline

    page = _SCRIPT.sub(script, index_html)
    page = _LINK.sub(link, page)
    block = f'<script id="mh-data" type="application/json">{embed_json(data)}</script>'
    head_end = re.search(r"</head\s*>", page, re.I)
    if head_end is not None:
        return page[: head_end.start()] + block + page[head_end.start() :]
    body = re.search(r"<body\b[^>]*>", page, re.I)
    if body is not None:
        return page[: body.end()] + block + page[body.end() :]
    return block + page


def write_page(run_dir: Path, out_file: Path | None = None, assets_dir: Path | None = None) -> Path:
    """Write ``run_dir``'s replay as one HTML file (default ``run_dir/replay.html``)."""
    assets = find_assets(assets_dir)
    document, traces = replay_document(Path(run_dir))
    slowest = sorted(document["traces"], key=lambda t: -(t.get("duration_ms") or 0.0))
    document["trace_data"] = {
        line["trace"]: traces[line["trace"]]
        for line in slowest[:MAX_FULL_TRACES]
        if line["trace"] in traces
    }
    index = (assets / "index.html").read_text(encoding="utf-8")
    target = Path(out_file) if out_file is not None else Path(run_dir) / "replay.html"
    if target.is_dir():
        raise UsageError(f"-o: {target} is a folder (give a file name such as replay.html)")
    write_text_atomic(target, inline_page(index, assets, document))
    return target
