"""Which runs' stages the county's next run may sweep: never a run still queued or running (nor
the parent of a running re-execution, whose stage it reads); a killed ``sanji run`` only once the
sweeper holds the county's run lock."""

from dagster import DagsterInstance, DagsterRunStatus

from assets.definitions import defs
from assets.publication import stage_is_live


def test_live_and_dead_stages():
    with DagsterInstance.ephemeral() as instance:
        job = defs.resolve_job_def("nightly")

        def run(status, **tags):
            return instance.create_run_for_job(job, status=status, tags=tags).run_id

        cli = run(DagsterRunStatus.STARTED, **{"sanji/trigger": "cli"})  # killed, or live
        daemon = run(DagsterRunStatus.STARTED, **{"sanji/trigger": "nightly"})
        failed = run(DagsterRunStatus.FAILURE, **{"sanji/trigger": "nightly"})
        parent = run(DagsterRunStatus.FAILURE, **{"sanji/trigger": "nightly"})
        run(DagsterRunStatus.STARTED, **{"dagster/parent_run_id": parent,
                                         "dagster/root_run_id": parent})
        for holding in (True, False):
            assert stage_is_live(instance, daemon, holding)
            assert stage_is_live(instance, parent, holding)  # its re-execution reads it
            assert not stage_is_live(instance, failed, holding)
        assert not stage_is_live(instance, cli, holding_lock=True)
        assert stage_is_live(instance, cli, holding_lock=False)
        assert not stage_is_live(instance, "never-seen", holding_lock=True)
        assert stage_is_live(instance, "never-seen", holding_lock=False)
