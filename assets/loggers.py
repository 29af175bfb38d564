"""``progress``: the quiet console of a ``sanji`` run, one line per finished step.

A run started by the CLI configures this logger alone (``-v`` adds Dagster's console logger):
each step that succeeds prints ``ingest … done in 3.1 s`` and each warning the assets log
(``context.log.warning``) prints one ``warning:`` line, IDs masked, all on stderr. Failures
are summed up by the CLI after the run, without stack traces.
"""

import logging
import sys
import time

from dagster import InitLoggerContext, logger

from pipelines.domain.identity import mask_ids_in_text

SKIPPED = "Not executing."  # Dagster's note on a step skipped after a failed one


class StepProgress(logging.Handler):
    """Prints step durations and asset warnings to ``stream`` (stderr by default)."""

    def __init__(self, stream=None) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.started: dict[str, float] = {}

    def _print(self, text: str) -> None:
        print(text, file=self.stream or sys.stderr, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        """Time STEP_START .. STEP_SUCCESS; print warnings that are not Dagster events."""
        meta = record.__dict__.get("dagster_meta") or {}
        event = meta.get("dagster_event")
        if event is None:
            message = meta.get("orig_message") or ""
            if record.levelno >= logging.WARNING and message and not message.endswith(SKIPPED):
                step = f"{meta['step_key']}: " if meta.get("step_key") else ""
                self._print(f"warning: {step}{mask_ids_in_text(message)}")
            return
        if not event.step_key:
            return
        if event.event_type_value == "STEP_START":
            self.started[event.step_key] = time.perf_counter()
        elif event.event_type_value == "STEP_SUCCESS" and event.step_key in self.started:
            seconds = time.perf_counter() - self.started.pop(event.step_key)
            self._print(f"{event.step_key} … done in {seconds:.1f} s")


@logger(description="sanji: one line per finished step and per warning, on stderr")
def progress(init_context: InitLoggerContext) -> logging.Logger:
    """A logger printing step durations and warnings (see :class:`StepProgress`)."""
    log = logging.getLogger(f"sanji.progress.{init_context.run_id}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.handlers = [StepProgress()]
    return log
