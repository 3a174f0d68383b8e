"""docs/resilience.md and docs/resilience/*.md are true.

Each pattern's page holds one architecture (a ``yaml`` block) and the command that runs it (a
``console`` block). The test runs that very command and checks the numbers the page states,
which were worked out by hand on the page; it also checks that the page states them, so page
and test cannot drift apart. The index's tables of settings are checked against the settings'
dataclasses, field by field and default by default.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from monkeyhouse.cli.main import main
from monkeyhouse.model.resilience import (
    BudgetSettings,
    BulkheadSettings,
    CountBreakerSettings,
    FallbackSettings,
    HystrixSettings,
    OutlierSettings,
    RetryPolicy,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = DOCS / "resilience"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def block(text: str, language: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)
    assert len(found) == 1, f"expected one {language} block, found {len(found)}"
    return str(found[0])


def run_page(tmp_path: Path, text: str, *, yaml: str | None = None) -> dict[str, Any]:
    """Run the page's command on its architecture; return run.json's summary and the commands."""
    architecture = yaml if yaml is not None else block(text, "yaml")
    command = block(text, "console").strip().splitlines()[0]
    words = command.removeprefix("$ monkeyhouse ").split()
    assert words[0] == "run" and words[1].endswith(".yaml")
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / words[1]
    path.write_text(architecture, encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(path), *words[2:], "--out", str(out), "-q", "--no-report"]
    assert main(args, out=io.StringIO()) == 0
    summary = json.loads((out / "run.json").read_text())["summary"]
    data = json.loads((out / "summary.json").read_text())
    return {"run": summary, "commands": data.get("commands", {})}


def says(text: str, *phrases: str) -> None:
    flat = " ".join(text.split())
    for phrase in phrases:
        assert phrase in flat, f"the page does not say {phrase!r}"


def test_timeouts(tmp_path: Path) -> None:
    text = page("timeouts.md")
    result = run_page(tmp_path, text)
    command = result["commands"]["app -> leaf"]
    assert command["timeout"] == 189
    assert command["success"] == 0
    assert result["run"]["mean_response_ms"] == pytest.approx(102.0)
    assert result["run"]["max_response_ms"] == pytest.approx(102.0)
    says(text, "**102 ms**", "**189** TIMEOUT events")


def test_retries_amplify_and_the_budget_caps_them(tmp_path: Path) -> None:
    text = page("retries.md")
    result = run_page(tmp_path / "plain", text)
    commands = result["commands"]
    assert commands["c -> leaf"]["failure"] == 128 == 2 * 4**3
    assert commands["b -> c"]["failure"] == 32
    assert commands["a -> b"]["failure"] == 8
    assert result["run"]["errors"] == 2
    says(text, "**4³ = 64 attempts**", "**128** FAILURE", "**32** on", "**8** on", "**2** errors")
    architecture = block(text, "yaml")
    budgeted = architecture.replace(
        "jitter: none}", "jitter: none, budget: {percent: 20, minimum: 3}}"
    ).replace("rate: 1,", "rate: 2000,")
    assert budgeted.count("budget") == 3
    text_2s = text.replace("-d 5", "-d 2")  # the page: "run for 2 s (the kill at 1 s)"
    result = run_page(tmp_path / "budget", text_2s, yaml=budgeted)
    attempts = result["commands"]["c -> leaf"]["failure"]
    failed = result["run"]["errors"]
    assert (attempts, failed) == (3527, 1983)
    assert 1.2**3 < attempts / failed < 1.2**3 + 0.1
    says(text, "run for 2 s", "**3,527** failed attempts", "**1,983** failed requests")
    says(text, f"**{attempts / failed:.2f}** per request")


def test_circuit_breakers(tmp_path: Path) -> None:
    text = page("circuit-breakers.md")
    result = run_page(tmp_path, text)
    command = result["commands"]["app -> leaf"]
    assert command["failure"] == 50
    assert command["short_circuited"] == 1148
    assert command["failure"] + 1 + command["short_circuited"] == 1199
    assert command["open_at_end"] == 1 == command["breakers"]
    says(text, "**opens at 0.5 s**", "**51** reach", "**50** FAILURE", "**1,148** are SHORT")


def test_bulkheads(tmp_path: Path) -> None:
    text = page("bulkheads.md")
    command = run_page(tmp_path, text)["commands"]["app -> leaf"]
    assert command["semaphore_rejected"] == 99
    assert command["success"] == 198
    says(text, "**one call in three is rejected**", "**99** SEMAPHORE_REJECTED", "**198** others")


def test_fallbacks(tmp_path: Path) -> None:
    text = page("fallbacks.md")
    result = run_page(tmp_path, text)
    command = result["commands"]["app -> leaf"]
    assert (command["timeout"], command["failure"], command["fallback_success"]) == (1, 198, 199)
    assert result["run"]["errors"] == 0
    assert result["run"]["max_response_ms"] == pytest.approx(104.0)
    # 199 requests answered: one in 104 ms, 198 in 6 ms
    assert result["run"]["mean_response_ms"] == pytest.approx((104 + 198 * 6) / 199)
    says(text, "**104 ms**", "**6 ms**", "**1** TIMEOUT", "**198** FAILURE", "**199** FALLBACK")
    says(text, "**0** errors")


def test_load_shedding(tmp_path: Path) -> None:
    text = page("load-shedding.md")
    result = run_page(tmp_path, text)
    assert result["commands"] == {}  # a server's limit, not a protected call
    assert result["run"]["reads_answered"] == 99
    assert result["run"]["errors"] == 199
    says(text, "**one request in three is served**", "**99** requests", "**199** are refused")


def test_outlier_ejection(tmp_path: Path) -> None:
    text = page("outlier-ejection.md")
    result = run_page(tmp_path, text)
    assert result["commands"]["app -> leaf"]["failure"] == 5
    assert result["run"]["errors"] == 5
    assert result["run"]["reads"] == 1000
    says(text, "exactly **5** errors", "**1,000** requests")


# ------------------------------------------------------------------ the index


def shown(value: Any, name: str) -> str:
    """A default as the index writes it."""
    if isinstance(value, bool):
        return "false" if not value else "true"
    if value is None and name == "backoff_cap":
        return "10 × `backoff_base`"
    if isinstance(value, frozenset):
        order = ["5xx", "connect-failure", "reset", "timeout", "gateway-error"]
        return "`[" + ", ".join(sorted(value, key=order.index)) + "]`"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    return str(value)


def default_of(spec: dataclasses.Field[Any]) -> Any:
    if spec.default is not dataclasses.MISSING:
        return spec.default
    factory: Callable[[], Any] = spec.default_factory  # type: ignore[assignment]
    return factory()


@pytest.mark.parametrize(
    "cls",
    [
        HystrixSettings,
        CountBreakerSettings,
        RetryPolicy,
        BudgetSettings,
        BulkheadSettings,
        FallbackSettings,
        OutlierSettings,
    ],
)
def test_the_index_lists_every_setting_with_its_default(cls: type) -> None:
    text = (DOCS / "resilience.md").read_text(encoding="utf-8")
    match = re.search(rf"^### {cls.__name__}:.*?\n(.*?)(?=^#|\Z)", text, flags=re.S | re.M)
    assert match is not None, f"no section for {cls.__name__}"
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| (.+?) \|$", match.group(1), flags=re.M)
    listed = dict(rows)
    fields = {spec.name: default_of(spec) for spec in dataclasses.fields(cls)}
    assert list(listed) == list(fields)
    for name, value in fields.items():
        assert listed[name] == shown(value, name), name


def test_the_index_links_every_page_and_each_page_its_figure() -> None:
    text = (DOCS / "resilience.md").read_text(encoding="utf-8")
    pages = sorted(path.name for path in PAGES.glob("*.md"))
    assert pages == [
        "bulkheads.md",
        "circuit-breakers.md",
        "fallbacks.md",
        "load-shedding.md",
        "outlier-ejection.md",
        "retries.md",
        "timeouts.md",
        "zone-failover.md",
    ]
    for name in pages:
        assert f"(resilience/{name})" in text
        images = re.findall(r"!\[[^\]]*\]\((\.\./images/[^)]+\.png)\)", page(name))
        assert len(images) == 1, name
        image = (PAGES / images[0]).resolve()
        assert image.is_file(), image
        assert image.stat().st_size < 150_000
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/resilience.md)" in readme
