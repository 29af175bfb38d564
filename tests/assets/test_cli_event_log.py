"""The CLI's Dagster storage: Dagster's own SQLite files, one connection kept per file.

A run recorded through :func:`assets.event_log.cli_instance` must leave what Dagster's stock
storage would (what ``dagster dev`` shows: runs, events, materialisations with their metadata
and data-version tags, asset checks), readable by the stock storage on the same folder.
"""

import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from assets import event_log, runs
from assets.event_log import NIGHT_STORAGE, NightSqliteEventLogStorage, cli_instance, night_ref

PARTS = dg.StaticPartitionsDefinition(["411421|2026-09", "411421|2026-10"])


@dg.asset(partitions_def=PARTS)
def extract(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """An upstream table."""
    return dg.MaterializeResult(metadata={"rows": 3, "partition": context.partition_key})


@dg.asset(partitions_def=PARTS, deps=[extract])
def person() -> dg.MaterializeResult:
    """A downstream table (its data version comes from ``extract``'s)."""
    return dg.MaterializeResult(metadata={"rows": 2})


@dg.asset_check(asset=person)
def person_has_rows() -> dg.AssetCheckResult:
    """A check beside its asset."""
    return dg.AssetCheckResult(passed=True, metadata={"rows": 2})


DEFS = dg.Definitions(assets=[extract, person], asset_checks=[person_has_rows],
                      jobs=[dg.define_asset_job("night")])


def _home(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    return path


def _nights(instance: dg.DagsterInstance) -> None:
    job = DEFS.resolve_job_def("night")
    for key in PARTS.get_partition_keys():  # the second night reads the first's records
        assert job.execute_in_process(instance=instance, partition_key=key).success


def _seen(home: Path) -> list:
    """What Dagster's stock storage reads in ``home``, without ids and times."""
    stock = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    assert type(stock.event_log_storage) is SqliteEventLogStorage
    seen = []
    for run in sorted(stock.get_runs(), key=lambda r: r.tags["dagster/partition"]):
        events = stock.all_logs(run.run_id)
        kinds = [e.dagster_event_type.value for e in events if e.dagster_event_type]
        stored = [e.asset_materialization for e in events if e.asset_materialization]
        checks = [e.dagster_event.event_specific_data for e in events
                  if e.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
        seen.append((run.status, run.tags["dagster/partition"], Counter(kinds),
                     [(m.asset_key, m.partition, {k: v.value for k, v in m.metadata.items()},
                       sorted(m.tags)) for m in stored],
                     [(c.passed, {k: v.value for k, v in c.metadata.items()}) for c in checks]))
    records = stock.get_asset_records()
    seen.append(sorted((r.asset_entry.asset_key.to_user_string(),
                        r.asset_entry.last_materialization_record.partition_key) for r in records))
    stock.dispose()
    return seen


def test_a_night_leaves_what_dagsters_storage_leaves(tmp_path):
    stock_home, night_home = _home(tmp_path / "stock"), _home(tmp_path / "night")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(stock_home))) as stock:
        _nights(stock)
    instance = cli_instance(night_home)
    assert isinstance(instance.event_log_storage, NightSqliteEventLogStorage)
    _nights(instance)
    read_while_open = _seen(night_home)  # another process's view while the CLI holds its files
    assert read_while_open == _seen(stock_home)
    assert read_while_open[0][2]["ASSET_MATERIALIZATION"] == 2
    shards = night_home / "history" / "runs"
    files = sorted(p.name for p in shards.glob("*.db"))
    assert "index.db" in files and len(files) == 3  # the index and one file per run
    # a run's file is checkpointed at each transaction's end, as Dagster's own storage does:
    # `dagster dev` shows a running run's new events when that file changes
    assert [p.name for p in shards.glob("*.db-wal")] in ([], ["index.db-wal"])
    instance.dispose()
    assert not list((night_home / "history").rglob("*.db-wal"))  # checkpointed and closed
    assert _seen(night_home) == read_while_open


def test_the_table_check_is_asked_once(tmp_path, monkeypatch):
    asked = []
    real = SqliteEventLogStorage.has_table
    monkeypatch.setattr(SqliteEventLogStorage, "has_table",
                        lambda self, name: asked.append(name) or real(self, name))
    instance = cli_instance(_home(tmp_path / "home"))
    _nights(instance)
    assert asked and len(asked) == len(set(asked))  # each table once, not once per check event
    instance.dispose()


def test_only_dagsters_default_sqlite_storage_is_replaced(tmp_path):
    default = night_ref(_home(tmp_path / "default"))
    assert (default.storage_data.module_name, default.storage_data.class_name) == NIGHT_STORAGE
    assert str(tmp_path / "default") in default.storage_data.config_yaml
    named = _home(tmp_path / "named")
    (named / "dagster.yaml").write_text(
        f"storage:\n  sqlite:\n    base_dir: {tmp_path / 'elsewhere'}\n", encoding="utf-8")
    assert str(tmp_path / "elsewhere") in night_ref(named).storage_data.config_yaml
    postgres = _home(tmp_path / "postgres")
    (postgres / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_url: postgresql://x@localhost/d\n", encoding="utf-8")
    assert night_ref(postgres).storage_data.module_name == "dagster_postgres"


def test_one_instance_per_home_and_process(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(_home(tmp_path / "a")))
    first = runs.cli_instance()
    assert runs.cli_instance() is first  # the run lock's sweep and the run share it
    assert cli_instance(tmp_path / "a" / ".." / "a") is first
    monkeypatch.setenv("DAGSTER_HOME", str(_home(tmp_path / "b")))
    second = runs.cli_instance()
    assert second is not first
    first.dispose()
    second.dispose()


def test_a_wipe_closes_the_kept_connections_first(tmp_path):
    instance = cli_instance(_home(tmp_path / "home"))
    _nights(instance)
    instance.event_log_storage.wipe()
    assert not [p for p in (tmp_path / "home" / "history" / "runs").glob("*.db")
                if p.name != "index.db"]
    assert instance.get_runs() and not instance.get_asset_records()
    instance.dispose()



def test_a_running_runs_file_is_checkpointed_at_step_boundaries_not_every_event(
        tmp_path, monkeypatch):
    instance = cli_instance(_home(tmp_path / "home"))
    storage = instance.event_log_storage
    stored, checkpoints, synchronous = [], [], []
    real_store, real_checkpoint = storage.store_event, storage._checkpoint

    def store(event):
        stored.append((event.run_id, event.dagster_event_type))
        real_store(event)

    def checkpoint(shard):
        real_checkpoint(shard)
        path = Path(storage.path_for_shard(shard))
        wal = path.with_name(path.name + "-wal").exists()
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            in_file = con.execute("SELECT count(*) FROM event_logs").fetchone()[0]
        so_far = sum(run == shard for run, _ in stored)
        with storage.run_connection(shard) as conn:  # reopened after the checkpoint
            synchronous.append(conn.exec_driver_sql("PRAGMA synchronous").scalar())
        checkpoints.append((stored[-1][1], in_file == so_far, wal))

    monkeypatch.setattr(storage, "store_event", store)
    monkeypatch.setattr(storage, "_checkpoint", checkpoint)
    monkeypatch.setattr(event_log, "CHECKPOINT_SECONDS", 3600.0)  # step boundaries only
    _nights(instance)
    boundaries = [kind for _, kind in stored if kind in event_log.CHECKPOINT_AT]
    assert boundaries and [kind for kind, _, _ in checkpoints] == boundaries
    assert len(checkpoints) < len(stored) / 2  # not a checkpoint (three fsyncs) per event
    # each checkpoint leaves every event of the run so far in its file, and no WAL beside it
    assert all(complete and not wal for _, complete, wal in checkpoints), checkpoints
    with storage.index_connection() as conn:
        synchronous.append(conn.exec_driver_sql("PRAGMA synchronous").scalar())
    assert set(synchronous) == {1}  # NORMAL, in WAL mode
    instance.dispose()
