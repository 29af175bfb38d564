"""Many counties on many machines: two Celery workers, one PostgreSQL instance and warehouse.

The deployment of ``deploy/`` on one host: ``deploy/dagster.yaml`` (queued runs, one run per
county), a code server, the daemon and two Celery workers on RabbitMQ, every step of every run
a Celery task. Two tiny counties' ``nightly`` runs are queued at once and run side by side on
both workers, each publishing into its own schema of one PostgreSQL warehouse; a third run for
a county already running waits in the queue until that county's run is over; the province's
run then finds the people the two counties share.
"""

import time
from dataclasses import replace

import pytest
import sanji_tests_stack as stack_lib
import sanji_tests_tiny as tiny

from pipelines.warehouse import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]
MONTH = "2026-10"
A, B = "411421", "411422"
WORKERS = ("w1", "w2")
DEADLINE_S = 150  # runs and province, from the first submission (~40-80 s on 2 busy cores)
PUBLISHED = ("person", "person_source", "mismatch", "county_monthly", "landing_snapshot")
# The county graph up to publication (the exchange's four steps left out to save time).
TO_PUBLICATION = {"landing_snapshot", "ingest_accounting", "person_records", "person_links",
                  "person", "person_source", "mismatch", "mismatch_case", "village_monthly",
                  "township_monthly",
                  "county_monthly"}


def _counties(root, warehouse: str):
    """Two tiny counties sharing three people, in one warehouse, each in its own schema."""
    a, b = tiny.people_of(A, 6), tiny.people_of(B, 4, first=6)
    only_registered = replace(a[0], roles={"registered"})  # insured only in B
    in_b = [replace(a[0], roles={"insured"}), replace(a[1], roles={"dead"}),
            replace(a[2], roles={"registered", "insured"})]
    tiny.write_county(root / A / "landing", A, "清河县", MONTH, [only_registered, *a[1:]])
    tiny.write_county(root / B / "landing", B, "柳河县", MONTH, [*b, *in_b])
    uid = root.name[-8:]
    entries = [{"code": code, "name": name, "landing": f"{code}/landing",
                "warehouse": warehouse, "schema": f"c{code}_{uid}",
                "outbox": f"{code}/outbox", "inbox": f"{code}/inbox"}
               for code, name in ((A, "清河县"), (B, "柳河县"))]
    province = {"code": "41", "name": "河南省", "warehouse": warehouse,
                "schema": f"province_{uid}"}
    return tiny.counties_yaml(root / "counties.yaml", entries, "2026-01", province), \
        {c["code"]: c["schema"] for c in entries}, province["schema"]


def _to_publication() -> set[str]:
    """Every asset of the steps up to publication (a multi-asset's outputs come together)."""
    from dagster import AssetSelection

    from assets.definitions import defs

    selection = AssetSelection.assets(*TO_PUBLICATION).required_multi_asset_neighbors()
    return {key.path[-1] for key in selection.resolve(defs.resolve_asset_graph())}


def _tags(key: str) -> dict[str, str]:
    if "|" not in key:
        return {"dagster/partition": key}
    county, month = key.split("|")
    return {"dagster/partition": key, "dagster/partition/county": county,
            "dagster/partition/month": month}


@pytest.fixture
def stack(postgres_url, tmp_path, monkeypatch):
    """The running stack (code server, daemon, two workers) and its instance; torn down after."""
    reason = stack_lib.broker_reachable()
    if reason:
        pytest.skip(reason)
    from dagster import DagsterInstance

    stack = stack_lib.Stack(tmp_path / f"stack-{tmp_path.name[-8:]}")
    stack.root.mkdir()
    stack.create_databases()
    try:
        counties, schemas, province = _counties(stack.root, stack.warehouse_url)
        stack.write_config()
        env = stack.env(counties)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        instance = DagsterInstance.get()  # creates the schema before the others race for it
        stack.start(env, WORKERS)
        stack.wait_code_server(60)
        stack.start_daemon(env)
        stack.wait_workers(WORKERS, 60)
        stack.wait_daemon(instance, 60)
        yield stack, instance, schemas, province
        instance.dispose()
    finally:
        stack.stop()
        stack.delete_queue()
        stack.drop_databases()


def _wait(stack, instance, ids: dict[str, str], deadline: float, submit_province) -> dict:
    """Poll the runs to the end; note whether A's second run was seen waiting for the first."""
    seen = {"waited": False, "province": None}
    while True:
        runs = {key: instance.get_run_by_id(run_id) for key, run_id in ids.items()}
        status = {key: run.status.value for key, run in runs.items()}
        if status["A"] == "STARTED" and status["A2"] == "QUEUED":
            seen["waited"] = True
        if seen["province"] is None and status["A"] == status["B"] == "SUCCESS":
            seen["province"] = ids["P"] = submit_province()
        if seen["province"] and all(run.is_finished for run in runs.values()) and "P" in runs:
            return runs, seen["waited"]
        assert time.monotonic() < deadline, f"runs not finished in time: {status}"
        stack.check_alive()
        time.sleep(0.5)


def test_two_counties_run_at_once_on_two_workers_one_run_per_county(stack):
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import GrpcServerTarget

    stack, instance, schemas, province = stack
    target = GrpcServerTarget(host="127.0.0.1", port=stack.port, socket=None,
                              location_name=stack_lib.LOCATION)
    started = time.monotonic()
    with WorkspaceProcessContext(instance, target, read_only=False) as process:
        ctx = process.create_request_context()
        ids = {county: stack_lib.submit(ctx, "nightly", f"{code}|{MONTH}",
                                        _tags(f"{code}|{MONTH}"), assets=_to_publication())
               for county, code in (("A", A), ("B", B))}
        ids.update({
            "A2": stack_lib.submit(ctx, "nightly", f"{A}|{MONTH}", _tags(f"{A}|{MONTH}"),
                                   assets={"landing_snapshot"})})
        runs, waited = _wait(stack, instance, ids, started + DEADLINE_S,
                     lambda: stack_lib.submit(process.create_request_context(), "province",
                                              MONTH, _tags(MONTH)))
    print(f"\nruns done in {time.monotonic() - started:.1f} s")
    base = min(instance.get_run_record_by_id(i).create_timestamp.timestamp() for i in ids.values())
    for key, run_id in ids.items():
        rec = instance.get_run_record_by_id(run_id)
        print(f"  {key}: started +{rec.start_time - base:.1f} s, "
              f"ended +{rec.end_time - base:.1f} s")
    assert {k: r.status.value for k, r in runs.items()} == dict.fromkeys(runs, "SUCCESS")
    record = {k: instance.get_run_record_by_id(ids[k]) for k in ids}
    assert record["B"].start_time < record["A"].end_time  # two counties at once ...
    assert waited and record["A2"].start_time >= record["A"].end_time  # one run per county
    assert stack.procs and all(_tasks_done(stack, w) > 0 for w in WORKERS)  # both worked
    _assert_published(stack, schemas, ids)
    _assert_province(stack, province)


def _tasks_done(stack, worker: str) -> int:
    """How many step tasks a worker's log says it finished."""
    return (stack.root / f"{worker}.log").read_text(errors="replace").count("succeeded in")


def _assert_published(stack, schemas: dict[str, str], ids: dict[str, str]) -> None:
    """Each county's tables hold its own rows only, all from its own nightly run."""
    people = {A: 6, B: 7}
    for county, run in ((A, ids["A"]), (B, ids["B"])):
        store = Warehouse.from_url(stack.warehouse_url, schema=schemas[county])
        for table in PUBLISHED:
            rows = store.read(table)
            assert rows.height > 0, (county, table)
            assert set(rows["county"]) == {county}, (county, table)
            assert set(rows["month"]) == {MONTH}, (county, table)
            expected = {ids["A2"]} if (county, table) == (A, "landing_snapshot") else {run}
            assert set(rows["run_id"]) == expected, (county, table)
        assert store.read("person").height == people[county]
        assert list((stack.root / "shared" / "storage").glob(
            f"runs/{run}/person_links/{county}/{MONTH}.parquet"))


def _assert_province(stack, schema: str) -> None:
    """The province found the three shared people and the four cases for stewards."""
    store = Warehouse.from_url(stack.warehouse_url, schema=schema)
    cross = store.read("cross_county_person")
    assert cross["id_number"].n_unique() == 3 and cross.height == 6
    cases = store.read("cross_county_mismatch").sort("county", "detail")
    kinds = [(c, d.split(" / ")[1].split(" 4")[0]) for c, d in cases.select(
        "county", "detail").iter_rows()]
    assert sorted(kinds) == sorted([(A, "also registered in"), (A, "dead in"),
                                    (A, "insured only in"), (B, "also registered in")])
    totals = store.read("province_monthly").row(0, named=True)
    assert (totals["counties_reported"], totals["counties_missing"]) == (2, "")
    assert totals["registered_total"] == 6 + 5  # B registered A's third person too
