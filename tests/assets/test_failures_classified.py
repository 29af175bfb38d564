"""User errors fail at once with one clear line; defects too; transient errors are retried.

Each run's Dagster event log is scanned for unmasked identity numbers
(``pipelines.privacy.event_log_ids``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from assets.failures import failing_clearly
from assets.ingest import ingest, landing_snapshot
from assets.io_managers import PolarsParquetIOManager, WarehouseIOManager
from assets.link import link, match_decision, person_records
from assets.resources import LandingFolder, WarehouseResource
from assets.settings import partition
from pipelines.errors import TransientError
from pipelines.privacy import event_log_ids, find_ids

ID = "110105194912310021"
ENROLMENT = f"姓名,身份证号,参保状态\n张三,{ID},参保缴费\n李四,11010519491231002X,参保缴费\n"


def _run(folder: Path, assets: list) -> tuple:
    """Materialise the landing snapshot and ``assets`` for the demo county's October."""
    instance = DagsterInstance.ephemeral()
    warehouse = WarehouseResource(url=str(folder / "w.duckdb"))
    result = materialize(
        [landing_snapshot, match_decision, *assets], instance=instance, raise_on_error=False,
        partition_key=partition("411421", "2026-10"),
        resources={"landing": LandingFolder(path=str(folder / "landing"), settle_seconds=0,
                                            archive=str(folder / "archive")),
                   "warehouse": warehouse,
                   "io_manager": PolarsParquetIOManager(base_dir=str(folder / "s"),
                                                        warehouse=warehouse),
                   "warehouse_io_manager": WarehouseIOManager(warehouse=warehouse)},
    )
    return result, instance


def _failure(result) -> tuple[str, object]:
    """The one step failure: its description and its error info."""
    failed = [e for e in result.all_events if e.is_step_failure]
    assert len(failed) == 1
    data = failed[0].step_failure_data
    assert data.error.message.strip() == f"dagster._core.definitions.events.Failure: " \
                                         f"{data.user_failure_data.description}"
    return data.user_failure_data.description, data.error


def _landing(tmp_path: Path, **files: str) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    for name, text in files.items():
        (landing / name).write_text(text, encoding="utf-8")
    return landing


def test_a_malformed_mapping_fails_once_naming_file_row_and_column(tmp_path: Path) -> None:
    _landing(tmp_path, **{"参保.csv": ENROLMENT,
                          "sanji_mapping.yaml": f"enrolment:\n  id_number: [{ID}\n"})
    result, instance = _run(tmp_path, [ingest])
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    message, error = _failure(result)
    assert message.startswith("reading the landing folder: file 'sanji_mapping.yaml', row 3, "
                              "column 1: not valid YAML")
    assert error.cause is None  # the parser's traceback is not chained into the event log
    assert event_log_ids(instance) == []


def test_a_broken_decisions_file_fails_the_link_step_once(tmp_path: Path) -> None:
    _landing(tmp_path, **{"参保.csv": ENROLMENT,
                          "decisions.csv": f'record_key_l,record_key_r,decision\n"{ID},x,link\n'})
    result, instance = _run(tmp_path, [ingest, person_records, link])
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    message, error = _failure(result)
    assert message.startswith("reading the steward's decisions: file 'decisions.csv': not a "
                              "readable CSV")
    assert error.cause is None and event_log_ids(instance) == []


def test_a_decision_holding_an_id_in_the_wrong_column_is_named_masked(tmp_path: Path) -> None:
    _landing(tmp_path, **{"参保.csv": ENROLMENT,
                          "decisions.csv": f"record_key_l,record_key_r,decision\nA,B,{ID}\n"})
    result, instance = _run(tmp_path, [ingest, person_records, link])
    message, _ = _failure(result)
    assert "decisions.csv, row 2, column decision: '110105********0021' is not link" in message
    assert event_log_ids(instance) == []


def test_a_defect_is_not_retried_and_its_traceback_is_masked(tmp_path, monkeypatch) -> None:
    import pipelines.ingest

    def broken(landing, mapping=None, as_of=None, cache=None):
        raise KeyError(f"record {ID}")

    monkeypatch.setattr(pipelines.ingest, "ingest_landing", broken)
    _landing(tmp_path, **{"参保.csv": ENROLMENT})
    result, instance = _run(tmp_path, [ingest])
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    message, _ = _failure(result)
    assert message.startswith("reading the landing folder: internal error, please report it: "
                              "KeyError: 'record 110105********0021'")
    failure = next(e for e in result.all_events if e.is_step_failure)
    trace = failure.step_failure_data.user_failure_data.metadata["traceback"].value
    assert "Traceback" in trace and not find_ids(trace)
    assert event_log_ids(instance) == []


def test_transient_errors_go_on_to_the_retry_policy_masked() -> None:
    with pytest.raises(TransientError, match=r"ConnectionError: no server at 110105\*"), \
            failing_clearly():
        raise ConnectionError(f"no server at {ID}")
