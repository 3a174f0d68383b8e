"""``render --html``: one self-contained page, no external reference, the data embedded."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from ui_helpers import fake_assets

from monkeyhouse.errors import UsageError
from monkeyhouse.web.page import MAX_FULL_TRACES, embed_json, inline_page, write_page
from monkeyhouse.web.replay import replay_document


def embedded(page: str) -> dict[str, object]:
    match = re.search(r'<script id="mh-data" type="application/json">(.*?)</script>', page, re.S)
    assert match is not None, "no #mh-data block"
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_the_page_is_self_contained(netflixoss_run: Path, tmp_path: Path) -> None:
    assets = fake_assets(tmp_path / "static")
    out = write_page(netflixoss_run, tmp_path / "replay.html", assets)
    page = out.read_text(encoding="utf-8")
    # nothing left to fetch: no src or href at all, no URL of any scheme
    assert not re.search(r"\b(src|href)\s*=", page, re.I)
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", page, re.I)
    assert "/assets/" not in page
    assert '<script type="module">const s = "<\\/script>"' in page
    assert "<style>body { color: #222 }" in page
    # the only </script> tags close the two script elements
    assert page.lower().count("</script") == 2
    data = embedded(page)
    document, traces = replay_document(netflixoss_run)
    trace_data = data.pop("trace_data")
    assert data == json.loads(json.dumps(document))
    assert isinstance(trace_data, dict)
    assert 0 < len(trace_data) <= MAX_FULL_TRACES
    slowest = max(document["traces"], key=lambda t: t["duration_ms"])
    assert trace_data[slowest["trace"]] == traces[slowest["trace"]]


def test_embedded_json_cannot_close_its_script() -> None:
    text = embed_json({"detail": "</script><script>alert(1)</script> <!-- x"})
    assert "</" not in text and "<!--" not in text
    assert json.loads(text) == {"detail": "</script><script>alert(1)</script> <!-- x"}


def test_a_script_outside_the_assets_folder_is_refused(tmp_path: Path) -> None:
    assets = fake_assets(tmp_path / "static")
    (tmp_path / "evil.js").write_text("x", encoding="utf-8")
    for src in ("/assets/../../evil.js", "https://cdn.example.com/x.js", "/assets/missing.js"):
        page = f'<html><head><script type="module" src="{src}"></script></head></html>'
        with pytest.raises(UsageError, match="is not a file of"):
            inline_page(page, assets, {})


def test_render_html_through_the_command_line(
    netflixoss_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monkeyhouse.web.app as app
    from monkeyhouse.cli.main import main

    assets = fake_assets(tmp_path / "static")
    target = tmp_path / "out.html"
    monkeypatch.setattr(app, "default_assets", lambda: assets)
    out, err = io.StringIO(), io.StringIO()
    assert main(["render", str(netflixoss_run), "--html", "-o", str(target)], out, err) == 0
    assert out.getvalue().strip() == str(target)
    assert embedded(target.read_text(encoding="utf-8"))["arch"] == "netflixoss"
