"""No full resident ID reaches what the Dagster UI shows: metadata, descriptions, event logs.

The session's shared county (``sanji run`` into a temporary DAGSTER_HOME, the instance the
browser tests in ``tests/ui/`` browse) is read back through ``DagsterInstance``: every event
it stored is scanned for 18-character and old 15-digit identity numbers, and so are the run's
console output and compute logs. A positive control proves the scanner finds a planted one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import duckdb
import pytest
import sanji_tests_county as mc
from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetKey,
    AssetMaterialization,
    DagsterEventType,
    DagsterInstance,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
)
from dagster._serdes import serialize_value

pytestmark = pytest.mark.slow

PLANTED_18 = "41010319900307123X"
PLANTED_15 = "410103900307123"


def metadata_hits(metadata: Mapping[str, object], description: str | None = None) -> list[str]:
    """Scan one event's metadata (every key and serialised value) and description.

    Args:
        metadata: Metadata as stored on a materialisation or check evaluation.
        description: The event's description, if any.

    Returns:
        ``"key: masked id"`` for every full ID found.
    """
    hits = [f"description: {h}" for h in mc.find_full_ids(description or "")]
    for key, value in metadata.items():
        text = f"{key} {serialize_value(value)}"
        hits += [f"{key}: {h}" for h in mc.find_full_ids(text)]
    return hits


@pytest.fixture(scope="module")
def instance(county) -> Iterator[DagsterInstance]:
    """The instance holding the materialised demo county's events."""
    with county.instance() as opened:
        yield opened


@pytest.fixture(scope="module")
def events(instance) -> list:
    """Every event log entry of every run in the instance."""
    runs = instance.get_runs()
    assert runs, "sanji run left no run in DAGSTER_HOME"
    return [entry for run in runs for entry in instance.all_logs(run.run_id)]


def test_scanner_finds_planted_ids_and_passes_masked_ones():
    """Positive control: a full ID hidden in a table preview or a description is found."""
    preview = MetadataValue.table(
        records=[TableRecord({"name": "张伟", "id_number": PLANTED_18})],
        schema=TableSchema(columns=[TableColumn("name"), TableColumn("id_number")]),
    )
    hits = metadata_hits({"preview": preview, "rows": MetadataValue.int(1)})
    assert hits == ["preview: 410103********123X"]
    assert metadata_hits({}, f"old number {PLANTED_15} kept") == ["description: 410103*********"]
    assert metadata_hits({"x": MetadataValue.text(PLANTED_18.lower())})  # lower-case x too
    clean = MetadataValue.table(
        records=[TableRecord({"id_number": mc.mask_full_id(PLANTED_18), "p": 0.123456789012345})],
        schema=TableSchema(columns=[TableColumn("id_number"), TableColumn("p", "float")]),
    )
    assert metadata_hits({"preview": clean, "at": MetadataValue.float(1764044576.123456)}) == []
    event = AssetMaterialization("mismatch", metadata={"preview": preview})
    assert mc.find_full_ids(serialize_value(event)) == ["410103********123X"]


def test_materialisation_metadata_has_no_full_id(instance):
    """Every materialisation of every asset: metadata values and descriptions are masked."""
    keys = instance.get_asset_keys()
    assert AssetKey("mismatch") in keys, f"no mismatch asset among {len(keys)} materialised"
    hits, seen = [], 0
    for key in keys:
        for record in instance.fetch_materializations(key, limit=1000).records:
            materialization = record.asset_materialization
            seen += len(materialization.metadata)
            found = metadata_hits(materialization.metadata, materialization.description)
            hits += [f"{key.to_user_string()} {h}" for h in found]
    assert seen > 0, "no materialisation carried any metadata: nothing was scanned"
    assert hits == []


def test_check_evaluations_have_no_full_id(events):
    """Every asset check evaluation: metadata values and descriptions are masked."""
    evaluations = [
        e.dagster_event.event_specific_data
        for e in events
        if e.dagster_event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert evaluations, "no asset check was evaluated"
    hits = []
    for evaluation in evaluations:
        assert isinstance(evaluation, AssetCheckEvaluation)
        check = AssetCheckKey(evaluation.asset_key, evaluation.check_name).to_user_string()
        hits += [f"{check} {h}" for h in metadata_hits(evaluation.metadata, evaluation.description)]
    assert hits == []


def test_event_log_has_no_full_id(events, county):
    """Nothing stored for the UI (log messages, errors, metadata) or printed by ``sanji run``
    holds a published full ID."""
    with duckdb.connect(str(county.warehouse), read_only=True) as con:
        ids = [
            row[0]
            for row in con.execute(
                "SELECT DISTINCT id_number FROM person WHERE length(id_number) = 18 LIMIT 5000"
            ).fetchall()
        ]
    assert ids, "the published person table holds no full ID: the scan would prove nothing"
    stored = "\n".join([county.stdout, county.stderr,
                        *(serialize_value(entry) for entry in events)])
    compute_logs = county.dagster_home / "storage"
    if compute_logs.exists():
        stored += "\n".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in compute_logs.rglob("*")
            if p.suffix in {".out", ".err", ".complete"}
        )
    leaked = [mc.mask_full_id(i) for i in ids if i in stored]
    assert leaked == [], f"{len(leaked)} published IDs appear in the event log"
    assert mc.find_full_ids(stored) == []
