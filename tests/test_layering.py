"""Imports only point down the layer list of DESIGN.md; the engine imports no other layer.

Every module under ``src/monkeyhouse/`` is parsed with :mod:`ast` (never imported), and every
``import``/``from ... import`` naming ``monkeyhouse`` (absolute or relative, including those
under ``if TYPE_CHECKING:`` and literal ``importlib.import_module("monkeyhouse...")`` calls) is
checked against the rules below. A failure names the file, the line, the import and the rule.

Layers, top to bottom (a layer may import from itself and from any layer strictly below it;
layers on the same row may not import each other)::

    cli, web | scenarios | exporters, importers | analysis | telemetry | behaviours | patterns
    | topology | model | engine

Modules directly in ``src/monkeyhouse/``: ``errors.py`` may be imported by every layer except
the engine and imports nothing from monkeyhouse; ``plugins.py`` is layer-neutral
infrastructure, importable by every layer except the engine, and imports at most ``errors``;
``api.py``, ``__init__.py``, ``__main__.py`` and ``chaostoolkit.py`` (the Chaos Toolkit provider
module) are entry points and may import anything, but no layer may import them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "monkeyhouse"
SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / PACKAGE

#: DESIGN.md's layer list, top (0) to bottom; layers on the same row share a rank.
ROWS: tuple[tuple[str, ...], ...] = (
    ("cli", "web"),
    ("scenarios",),
    ("exporters", "importers"),
    ("analysis",),
    ("telemetry",),
    ("behaviours",),
    ("patterns",),
    ("topology",),
    ("model",),
    ("engine",),
)
RANK: dict[str, int] = {layer: rank for rank, row in enumerate(ROWS) for layer in row}
LAYERS: tuple[str, ...] = tuple(layer for row in ROWS for layer in row)
SHARED = frozenset({"errors", "plugins"})  # importable by every layer but the engine
# chaostoolkit.py: the provider module Chaos Toolkit imports by name (monkeyhouse.chaostoolkit)
ENTRY_POINTS = frozenset({"api", "__init__", "__main__", "chaostoolkit"})
LAYER_RULE = (
    "a layer may import only from itself and from layers strictly below it "
    "(" + " > ".join(", ".join(row) for row in ROWS) + "), plus monkeyhouse.errors and "
    "monkeyhouse.plugins; never from a layer on its own row, a layer above, or the entry "
    "points (monkeyhouse, monkeyhouse.api)"
)
ENGINE_RULE = (
    "the engine knows nothing of microservices: it may import only monkeyhouse.engine "
    "(not even monkeyhouse.errors)"
)


@dataclass(frozen=True)
class Import:
    """One import of a monkeyhouse module found in a source file."""

    file: str  # as shown: src/monkeyhouse/...
    line: int
    statement: str
    target: str  # the dotted module imported, e.g. "monkeyhouse.patterns.discovery"

    def describe(self, rule: str) -> str:
        return f"{self.file}:{self.line}: `{self.statement}` imports {self.target}; rule: {rule}"


def module_name(path: Path, root: Path = ROOT) -> str:
    """``src/monkeyhouse/a/b.py`` -> ``monkeyhouse.a.b``; an ``__init__`` is its package."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def resolve_from(path: Path, node: ast.ImportFrom, root: Path = ROOT) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    package = module_name(path, root).split(".")
    if not is_package(path):
        package.pop()
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_in(path: Path, root: Path = ROOT) -> list[Import]:
    """Every import of a ``monkeyhouse`` module in ``path``."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    shown = path.relative_to(root.parent.parent).as_posix()
    found: list[Import] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = resolve_from(path, node, root)
            if module == root.name:
                # ``from monkeyhouse import x``: x is a module or package, or a name of __init__.
                for alias in node.names:
                    is_module = (root / f"{alias.name}.py").exists() or (root / alias.name).is_dir()
                    targets.append(f"{module}.{alias.name}" if is_module else module)
            else:
                targets = [module]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (
                    isinstance(node.func, ast.Name)
                    and node.func.id in {"import_module", "__import__"}
                )
            )
        ):
            targets = [node.args[0].value]
        ours = [t for t in targets if t == root.name or t.startswith(root.name + ".")]
        if ours:
            statement = " ".join((ast.get_source_segment(source, node) or "").split())
            found.extend(Import(shown, getattr(node, "lineno", 0), statement, t) for t in ours)
    return sorted(found, key=lambda imp: imp.line)


def top_name(target: str) -> str | None:
    """``monkeyhouse.patterns.x`` -> ``patterns``; ``monkeyhouse`` itself -> None."""
    parts = target.split(".")
    return parts[1] if len(parts) > 1 else None


def layer_violations(layer: str, found: list[Import]) -> list[str]:
    """The imports of a module of ``layer`` that break the layering rule."""
    problems: list[str] = []
    for imp in found:
        name = top_name(imp.target)
        if layer == "engine":
            if name != "engine":
                problems.append(imp.describe(ENGINE_RULE))
        elif name in SHARED:
            continue
        elif name is None or name in ENTRY_POINTS:
            problems.append(imp.describe(f"no layer imports the entry points; {LAYER_RULE}"))
        elif name not in RANK:
            problems.append(imp.describe(f"{name!r} is not a layer of DESIGN.md; {LAYER_RULE}"))
        elif name != layer and RANK[name] <= RANK[layer]:
            how = "its own row" if RANK[name] == RANK[layer] else "above"
            problems.append(
                imp.describe(f"{layer!r} may not import {name!r} ({how}); {LAYER_RULE}")
            )
    return problems


def modules_of(layer: str) -> list[Path]:
    folder = ROOT / layer
    return sorted(folder.rglob("*.py"))


# --- the rules on the real tree -------------------------------------------------------------


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_down_the_layers(layer: str) -> None:
    if not (ROOT / layer).is_dir():
        pytest.skip(f"layer {layer!r} does not exist yet")
    problems = [
        problem
        for path in modules_of(layer)
        for problem in layer_violations(layer, imports_in(path))
    ]
    assert not problems, "layering violations:\n" + "\n".join(problems)


def test_the_engine_imports_nothing_but_itself() -> None:
    """Explicitly: not even monkeyhouse.errors, so that the engine stays reusable and pure."""
    modules = modules_of("engine")
    assert any(path.name == "core.py" for path in modules), "no engine modules found"
    problems = [
        imp.describe(ENGINE_RULE)
        for path in modules
        for imp in imports_in(path)
        if top_name(imp.target) != "engine"
    ]
    assert not problems, "the engine imports another part of monkeyhouse:\n" + "\n".join(problems)


def test_errors_imports_nothing_from_monkeyhouse() -> None:
    path = ROOT / "errors.py"
    if not path.exists():
        pytest.skip("no errors.py yet")
    rule = "errors.py is imported by every layer, so it imports nothing from monkeyhouse"
    problems = [imp.describe(rule) for imp in imports_in(path)]
    assert not problems, "\n".join(problems)


def test_plugins_imports_at_most_errors() -> None:
    path = ROOT / "plugins.py"
    if not path.exists():
        pytest.skip("no plugins.py yet")
    rule = "plugins.py is layer-neutral infrastructure: it may import only monkeyhouse.errors"
    problems = [imp.describe(rule) for imp in imports_in(path) if imp.target != f"{PACKAGE}.errors"]
    assert not problems, "\n".join(problems)


def test_every_package_and_module_is_placed() -> None:
    """A new folder or top-level module must be added to DESIGN.md's layers (and here)."""
    known = set(LAYERS) | SHARED | ENTRY_POINTS
    strays = sorted(
        str(path.relative_to(SRC.parent))
        for path in ROOT.iterdir()
        if (path.is_dir() and (path / "__init__.py").exists() and path.name not in known)
        or (path.suffix == ".py" and path.stem not in known)
    )
    assert not strays, f"not placed in the layer list of DESIGN.md: {strays}"


# --- the checker itself ---------------------------------------------------------------------


def write(root: Path, relative: str, source: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def test_the_checker_finds_every_form_of_import(tmp_path: Path) -> None:
    root = tmp_path / PACKAGE
    write(root, "__init__.py", "")
    write(root, "errors.py", "")
    write(root, "api.py", "")
    write(root, "patterns/__init__.py", "")
    path = write(
        root,
        "patterns/balancer.py",
        "\n".join(
            [
                "import monkeyhouse.scenarios.run",  # 1: above
                "from monkeyhouse.telemetry import spans",  # 2: above
                "from ..behaviours import karyon",  # 3: above, relative
                "from .. import api",  # 4: entry point
                "from monkeyhouse import load",  # 5: a name of __init__: entry point
                "from monkeyhouse.topology import zones",  # 6: below: fine
                "from . import discovery",  # 7: itself: fine
                "from monkeyhouse import errors",  # 8: shared: fine
                "from typing import TYPE_CHECKING",  # 9: not monkeyhouse
                "if TYPE_CHECKING:",  # 10
                "    from monkeyhouse.cli import main",  # 11: above, even if typing only
                "import importlib",  # 12
                "importlib.import_module('monkeyhouse.web.app')",  # 13: above, dynamic
            ]
        ),
    )
    found = imports_in(path, root)
    assert [imp.target for imp in found] == [
        "monkeyhouse.scenarios.run",
        "monkeyhouse.telemetry",
        "monkeyhouse.behaviours",
        "monkeyhouse.api",
        "monkeyhouse",
        "monkeyhouse.topology",
        "monkeyhouse.patterns",
        "monkeyhouse.errors",
        "monkeyhouse.cli",
        "monkeyhouse.web.app",
    ]
    problems = layer_violations("patterns", found)
    assert sorted(int(p.split(":")[1]) for p in problems) == [1, 2, 3, 4, 5, 11, 13]
    first = next(p for p in problems if ":1:" in p)
    assert f"{PACKAGE}/patterns/balancer.py:1: `import monkeyhouse.scenarios.run`" in first
    assert "'patterns' may not import 'scenarios' (above)" in first


def test_the_checker_keeps_rows_strict_and_the_engine_pure(tmp_path: Path) -> None:
    root = tmp_path / PACKAGE
    write(root, "__init__.py", "")
    exporter = write(root, "exporters/zipkin.py", "from monkeyhouse.importers import otlp\n")
    problems = layer_violations("exporters", imports_in(exporter, root))
    assert len(problems) == 1
    assert "'exporters' may not import 'importers' (its own row)" in problems[0]
    engine = write(root, "engine/core.py", "from monkeyhouse.errors import UsageError\n")
    problems = layer_violations("engine", imports_in(engine, root))
    assert len(problems) == 1
    assert "not even monkeyhouse.errors" in problems[0]
    inside = write(root, "engine/x.py", "from . import core\nfrom .core import Environment\n")
    assert layer_violations("engine", imports_in(inside, root)) == []
