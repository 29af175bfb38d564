"""Where a run's steps execute, chosen when the definitions load (``SANJI_EXECUTOR``).

- unset or ``default``: Dagster's default (a process per step on the run's machine); the CLI
  runs in process whatever is set. The embedded one-machine setup stays as it is.
- ``celery``: each step is a Celery task on RabbitMQ (``dagster-celery``), run by any worker
  listening on the queue, on any machine (``deploy/README.md``). ``SANJI_CELERY_BROKER``
  (``pyamqp://user:pass@host:5672/vhost``), ``SANJI_CELERY_QUEUE`` (default ``sanji``),
  ``SANJI_CELERY_RESULT_EXPIRES`` (seconds an unread result is kept, default one day).
- ``k8s``: each step is a Kubernetes Job (``dagster-k8s``'s ``k8s_job_executor``), used with the
  Helm chart's ``K8sRunLauncher`` (``deploy/helm/values.yaml``). ``SANJI_K8S_MAX_STEPS``
  (default 8) steps of one run at a time.

The executors' packages are extras (``pip install sanji[celery]`` / ``sanji[k8s]``), imported
only when chosen.
"""

import os

from dagster import ExecutorDefinition

CHOICES = ("default", "celery", "k8s")


def celery_executor_def() -> ExecutorDefinition:
    """The dagster-celery executor on the deployment's broker and queue."""
    from dagster_celery import celery_executor

    return celery_executor.configured({
        "broker": {"env": "SANJI_CELERY_BROKER"},
        "backend": "rpc://",
        "config_source": {
            "task_default_queue": os.environ.get("SANJI_CELERY_QUEUE") or "sanji",
            # rpc:// reply queues outlive their run process by this long
            "result_expires": int(os.environ.get("SANJI_CELERY_RESULT_EXPIRES") or 86400),
            # a worker takes one step at a time, so a busy worker does not hoard the queue
            "worker_prefetch_multiplier": 1,
        },
    }, name="celery")


def k8s_executor_def() -> ExecutorDefinition:
    """``k8s_job_executor``: one Kubernetes Job per step, at most a few per run."""
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor.configured({
        "max_concurrent": int(os.environ.get("SANJI_K8S_MAX_STEPS") or 8),
        "step_k8s_config": {"container_config": {"resources": {
            "requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "16Gi"}}}},
    }, name="k8s")


def chosen_executor() -> ExecutorDefinition | None:
    """The executor ``SANJI_EXECUTOR`` names, or None for Dagster's default.

    Raises:
        ValueError: for a name that is not one of ``CHOICES``.
    """
    name = (os.environ.get("SANJI_EXECUTOR") or "default").strip().lower()
    if name not in CHOICES:
        msg = f"SANJI_EXECUTOR={name!r}: choose one of {', '.join(CHOICES)}"
        raise ValueError(msg)
    if name == "celery":
        return celery_executor_def()
    if name == "k8s":
        return k8s_executor_def()
    return None
