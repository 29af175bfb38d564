"""Arrows point one way: pipelines.domain -> schemas -> pipelines (engine) -> assets.

Imports are read from each module's syntax tree (every ``import`` and ``from … import``,
wherever it stands, also inside functions), so a lazy import cannot hide an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(source: str) -> set[str]:
    """Every module a source file imports (absolute names; relative imports are not used)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def violations(layer: str, imports: set[str]) -> list[str]:
    """The imports a module of ``layer`` must not make.

    Layers: ``domain`` (pipelines/domain), ``schemas``, ``engine`` (the rest of pipelines),
    ``assets`` (Dagster wiring, which must import dagster).
    """
    forbidden = {
        "domain": lambda top, domain: top in ("dagster", "assets", "schemas")
        or (top == "pipelines" and not domain),
        "schemas": lambda top, domain: top in ("dagster", "assets")
        or (top == "pipelines" and not domain),
        "engine": lambda top, domain: top in ("dagster", "assets"),
        "assets": lambda top, domain: False,
    }[layer]
    bad = [name for name in sorted(imports)
           if forbidden(_top(name), name == "pipelines.domain"
                        or name.startswith("pipelines.domain."))]
    if layer == "assets" and not any(_top(n) == "dagster" for n in imports):
        bad.append("(no dagster import: not Dagster wiring)")
    return bad


def _layer(path: Path) -> str | None:
    rel = path.relative_to(ROOT).parts
    if rel[0] == "pipelines":
        return "domain" if rel[1] == "domain" else "engine"
    if rel[0] in ("schemas", "assets"):
        return None if rel[0] == "assets" and rel[-1] == "__init__.py" else rel[0]
    return None


def test_every_module_keeps_its_layer() -> None:
    offenders = {}
    for package in ("pipelines", "schemas", "assets"):
        for path in sorted((ROOT / package).rglob("*.py")):
            layer = _layer(path)
            if layer is None:
                continue
            bad = violations(layer, imported_modules(path.read_text(encoding="utf-8")))
            if bad:
                offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


@pytest.mark.parametrize(
    ("layer", "source", "expected"),
    [
        ("engine", "import polars\nfrom pipelines.rules import RULES\n", []),
        ("engine", "def f():\n    from dagster import asset\n", ["dagster"]),
        ("engine", "import assets.cli\n", ["assets.cli"]),
        ("domain", "from pipelines.domain.months import Month\n", []),
        ("domain", "from pipelines.golden import person\n", ["pipelines.golden"]),
        ("domain", "from schemas.contract import columns\n", ["schemas.contract"]),
        ("schemas", "from pipelines.domain.rules import RULE_IDS\n", []),
        ("schemas", "from pipelines.rollup import RATES\n", ["pipelines.rollup"]),
        ("schemas", "import pipelines.domain\n", []),
        ("assets", "import polars\n", ["(no dagster import: not Dagster wiring)"]),
        ("assets", "from dagster import asset\nfrom pipelines.golden import x\n", []),
    ],
)
def test_the_layering_check_sees_each_kind_of_offender(layer, source, expected) -> None:
    assert violations(layer, imported_modules(source)) == expected
