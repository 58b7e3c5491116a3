"""The package's import structure: no cycles, and the stages depend on each other one way.

Read from the source with ``ast`` (the Cython modules with a regex over their Python-level
imports), so every import counts: module level, inside functions, and inside ``try`` blocks.
The rules (see the README's layout paragraph):

- no import cycle anywhere in ``boostpack``;
- ``boostpack.loading`` (what a trainer imports) reaches nothing of ingestion, deduplication or
  packing, directly or through the modules it imports;
- the library never imports ``boostpack.commands`` or ``boostpack.cli``: the CLI sits on top;
- no stage imports another stage's private (``_name``) modules or names.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "boostpack"

# Python-level imports in Cython source; ``include`` pulls .pxi text into the module.
_PYX_IMPORT = re.compile(r"^\s*(?:from\s+(boostpack[\w.]*)\s+import\s+([\w, ()]+)|import\s+(boostpack[\w.]*))",
                         re.MULTILINE)
_PYX_INCLUDE = re.compile(r"^include\s+[\"']([\w.]+)[\"']", re.MULTILINE)


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.rglob("*.pyx"))}


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, str | None]]:
    """``(module, imported name or None)`` for every import of a ``boostpack`` module."""
    if path.suffix == ".pyx":
        text = path.read_text()
        for include in _PYX_INCLUDE.findall(text):
            text += "\n" + (path.parent / include).read_text()
        for frm, names, plain in _PYX_IMPORT.findall(text):
            if plain:
                yield plain, None
            for alias in re.findall(r"\w+", names):
                yield frm, alias
        return
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield base, alias.name


def _edges(name: str) -> set[str]:
    """The boostpack modules ``name`` imports (``from pkg import submodule`` counts the submodule)."""
    out = set()
    for module, attr in _imports(name, MODULES[name]):
        if module.split(".")[0] != "boostpack":
            continue
        if attr is not None and f"{module}.{attr}" in MODULES:
            out.add(f"{module}.{attr}")
        out.add(module)
    out.discard(name)
    return out


GRAPH = {name: _edges(name) for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph), None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def _reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for child in GRAPH.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _stage(module: str) -> str:
    """The folder a module belongs to (``boostpack.ingestion.readers`` -> ``ingestion``);
    top-level modules (``errors``, ``cli``, the compiled core ``_minhash``...) are their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else ""


def test_the_scanner_sees_the_package() -> None:
    # Guards the tests below against passing on an empty or misread graph.
    assert {"boostpack.cli", "boostpack.loading.dataset", "boostpack._minhash"} <= set(MODULES)
    assert "boostpack.errors" in GRAPH["boostpack.cli"]
    assert (_stage("boostpack.ingestion.readers"), _stage("boostpack._version")) == ("ingestion", "")
    assert any(_stage(m) == "format" for m in _reachable("boostpack.loading.dataset"))
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    cycles = _cycles(GRAPH)
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _stage(m) == "loading"))
def test_loading_reaches_no_ingestion_dedup_or_packing(module: str) -> None:
    forbidden = sorted(m for m in _reachable(module)
                       if _stage(m) in ("ingestion", "deduplication", "packing", "demo", "commands"))
    assert forbidden == [], f"{module} reaches {forbidden}"


def test_the_library_never_imports_the_cli() -> None:
    cli = {m for m in MODULES if _stage(m) == "commands"} | {"boostpack.cli", "boostpack.__main__"}
    offenders = sorted(f"{m} -> {t}" for m in MODULES if m not in cli for t in GRAPH[m] if t in cli)
    assert offenders == [], offenders


def test_no_stage_imports_another_stages_private_names() -> None:
    offenders = []
    for name, path in MODULES.items():
        for module, attr in _imports(name, path):
            if module.split(".")[0] != "boostpack" or _stage(module) in ("", _stage(name)):
                continue  # the compiled core and errors are shared; a stage's own names are its own
            private_module = any(part.startswith("_") for part in module.split(".")[2:])
            private_name = attr is not None and attr.startswith("_") and not attr.startswith("__")
            if private_module or private_name:
                offenders.append(f"{name} -> {module}" + (f".{attr}" if attr else ""))
    assert offenders == [], offenders
