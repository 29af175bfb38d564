"""Tiny handmade extract tables for the published-table tests (golden, rules, rollup)."""

from __future__ import annotations

from typing import Any

import polars as pl

from pipelines.domain.extracts import EXTRACTS
from schemas.canonical import table_schema

DEPT = {name: spec.department for name, spec in EXTRACTS.items()}
TOWN = "410100001000"
VILLAGE_A = "410100001001"
VILLAGE_B = "410100001002"
TOWN2 = "410100002000"
VILLAGE_C = "410100002001"


def table(extract: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """An extract table from short row dicts; missing columns are nulls.

    ``record_id`` defaults to ``<extract>|<i>``; ``department``/``extract`` are filled in and
    ``township_code`` is derived from ``village_code`` when not given.
    """
    schema = table_schema(extract)
    filled = []
    for i, row in enumerate(rows):
        r = {"record_id": f"{extract}|{i}", "department": DEPT[extract], "extract": extract,
             "source_file": f"{extract}.csv", "sheet": "", "row_number": i + 2, **row}
        if r.get("village_code") and "township_code" not in row:
            r["township_code"] = r["village_code"][:9] + "000"
        filled.append(r)
    return pl.DataFrame(filled, schema=schema) if filled else pl.DataFrame(schema=schema)


def links_for(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Links taking the person id from a test-only ``pid`` key: record_id -> person_id.

    Tables are built with ``record_id`` values of the form ``<extract>|<i>|<pid>``.
    """
    ids = pl.concat([t.select("record_id") for t in tables.values()])
    return ids.with_columns(
        record_key=pl.col("record_id"),
        person_id=pl.col("record_id").str.split("|").list.get(-1),
    ).with_columns(cluster_size=pl.len().over("person_id").cast(pl.Int64))


def build(spec: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Tables and links from ``{extract: [row, ...]}`` where each row has a ``pid`` key.

    Returns:
        (tables for all extracts, links).
    """
    tables = {}
    for extract in EXTRACTS:
        rows = [
            {"record_id": f"{extract}|{i}|{r['pid']}", **{k: v for k, v in r.items() if k != "pid"}}
            for i, r in enumerate(spec.get(extract, []))
        ]
        tables[extract] = table(extract, rows)
    return tables, links_for(tables)


def regions() -> pl.DataFrame:
    """A county with two townships and three villages (A, B in town 1; C in town 2)."""
    rows = [
        ("410100000000", "样县", "county", None, None),
        (TOWN, "一镇", "township", "410100000000", TOWN),
        (TOWN2, "二镇", "township", "410100000000", TOWN2),
        (VILLAGE_A, "甲村", "village", TOWN, TOWN),
        (VILLAGE_B, "乙村", "village", TOWN, TOWN),
        (VILLAGE_C, "丙村", "village", TOWN2, TOWN2),
    ]
    return pl.DataFrame(
        [(*r, None) for r in rows],
        schema=["code", "name", "level", "parent_code", "township_code", "former_name"],
        orient="row",
    )
