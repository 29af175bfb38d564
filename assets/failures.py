"""Engine errors as Dagster failures: user errors and defects at once, transient ones retried.

The classification is the engine's (:mod:`pipelines.errors`); this is its Dagster wiring. A
user error (bad file, mapping, decisions file, month) becomes ``Failure(allow_retries=False)``
with the engine's one-line message and no traceback; a defect of sanji too (retrying would only
bury the cause), with its masked traceback as metadata; a transient error (a file still being
written, the database not up) goes on to the asset's ``RetryPolicy``, its message masked.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Failure, MetadataValue

from pipelines.errors import TransientError, classify, describe, masked_traceback


@contextmanager
def failing_clearly(what: str = "") -> Iterator[None]:
    """Turn an engine error raised inside the block into what Dagster should do with it.

    Args:
        what: what the block does, leading the message (e.g. "reading the landing folder").

    Raises:
        Failure: for a user error or a defect (not retried), message masked.
        TransientError: for a transient error (retried by the RetryPolicy), message masked.
    """
    try:
        yield
    except Failure:
        raise
    except Exception as exc:  # every error is classified below, none is swallowed
        kind = classify(exc)
        lead = f"{what}: " if what else ""
        if kind == "transient":
            raise TransientError(f"{lead}{describe(exc)} (will try again)") from None
        if kind == "user":
            raise Failure(description=f"{lead}{describe(exc)}", allow_retries=False) from None
        raise Failure(
            description=f"{lead}internal error, please report it: {describe(exc)}",
            metadata={"traceback": MetadataValue.text(masked_traceback(exc))},
            allow_retries=False,
        ) from None
