"""The style limits the codebase keeps: modules of at most 400 lines, functions of at most 60.

Short modules and functions are what lets the next engineer find a concept in one place; the
test names every offender, so a change that grows one past the limit says where to split.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipelines", "schemas", "assets", "benchmarks")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                  if ".cache" not in p.parts)


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}::{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_there_are_modules_to_measure():
    assert len(_modules()) > 50


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_are_short(package):
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in _modules()
            if p.relative_to(ROOT).parts[0] == package
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert long == []


@pytest.mark.parametrize("package", PACKAGES)
def test_functions_are_short(package):
    long = [f for p in _modules() if p.relative_to(ROOT).parts[0] == package
            for f in _long_functions(p)]
    assert long == []
