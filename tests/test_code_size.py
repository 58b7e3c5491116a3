"""Small modules and short functions: no module in ``boostpack`` over 500 lines, no function
over 80 (STYLE: a module is named for the one concept it holds; a function for what it does).

Measured on the source: a module's lines (Python and Cython), a function's from its ``def`` to
its last line, nested functions included. A module that holds only data tables may be exempted
by name below; none needs it today.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "boostpack"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
# Modules of pure data tables (e.g. the demo sample's word lists), path relative to src/.
DATA_TABLES: set[str] = set()

_SOURCES = sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.rglob("*.pyx"))


def _function_lengths(path: Path) -> list[tuple[str, int]]:
    return [(f"{path.relative_to(SRC)}:{node.lineno} {node.name}", node.end_lineno - node.lineno + 1)
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno]


def test_the_sources_are_found() -> None:
    assert PACKAGE / "cli.py" in _SOURCES and any(p.suffix == ".pyx" for p in _SOURCES)
    assert (DATA_TABLES - {str(p.relative_to(SRC)) for p in _SOURCES}) == set()


def test_no_module_over_500_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in _SOURCES
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
            and str(p.relative_to(SRC)) not in DATA_TABLES}
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_over_80_lines() -> None:
    long = {name: n for p in _SOURCES if p.suffix == ".py"
            for name, n in _function_lengths(p) if n > MAX_FUNCTION_LINES}
    assert long == {}, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
