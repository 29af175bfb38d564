"""The Dagster side of the in-memory handoff (``pipelines.warehouse.handoff``): how many reads
a run's plan will make of an output, and holding its frame for them."""

from pathlib import Path

import polars as pl
from dagster import DagsterInvariantViolationError, OutputContext
from dagster._core.execution.plan.outputs import StepOutputHandle

from pipelines.warehouse.handoff import HANDOFF


def readers_in_run(context: OutputContext) -> int:
    """How many inputs of the run's steps (asset checks included) read this output; 0 for a
    context built outside a run."""
    try:
        plan = context.step_context.execution_plan
    except DagsterInvariantViolationError:
        return 0
    handle = StepOutputHandle(context.step_key, context.name, context.mapping_key)
    return sum(handle in step_input.get_step_output_handle_dependencies()
               for step in plan.get_steps_to_execute_in_topo_order()
               for step_input in step.step_inputs)


def hold_for_run(context: OutputContext, path: Path, frame: pl.DataFrame | None,
                 source: Path | None = None) -> bool:
    """Hold the output's frame, just written as ``path``, for the run's reads of it; ``None``:
    the frame a step offered for that file (it wrote the file ``source`` itself, which
    ``path`` links: a ``FrameFile``)."""
    readers = readers_in_run(context)
    if frame is None:
        return HANDOFF.claim(path, readers, context.run_id, source)
    return HANDOFF.hold(path, frame, readers, context.run_id)
