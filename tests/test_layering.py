"""The engine runs without Dagster: arrows point from assets/ to pipelines/ and schemas/."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTS_DAGSTER = re.compile(r"^\s*(import dagster|from dagster)", re.MULTILINE)
IMPORTS_ASSETS = re.compile(r"^\s*(import assets|from assets)", re.MULTILINE)


def _offenders(package: str, pattern: re.Pattern[str]) -> list[str]:
    return [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]


def test_engine_and_schemas_never_import_dagster() -> None:
    assert _offenders("pipelines", IMPORTS_DAGSTER) == []
    assert _offenders("schemas", IMPORTS_DAGSTER) == []


def test_engine_and_schemas_never_import_assets() -> None:
    assert _offenders("pipelines", IMPORTS_ASSETS) == []
    assert _offenders("schemas", IMPORTS_ASSETS) == []


def test_the_layering_check_sees_an_offender(tmp_path: Path) -> None:
    sample = "x = 1\nfrom dagster import asset\n"
    assert IMPORTS_DAGSTER.search(sample)
    assert not IMPORTS_DAGSTER.search("# dagster is not imported here\n")
