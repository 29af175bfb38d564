"""Published frames are validated with ``schemas.published`` before they reach the warehouse."""

import polars as pl
from dagster import Failure


def validated(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Validate a frame against its published schema; a failure is final (no retry).

    Args:
        table: the published table name (a key of ``schemas.published.MODELS``).
        frame: the frame to publish.

    Returns:
        The validated frame.

    Raises:
        Failure: listing the failures (values masked by the schema module), not retried.
    """
    from schemas.published import PublishedTableError, validate_published

    try:
        return validate_published(table, frame)
    except PublishedTableError as exc:
        raise Failure(description=str(exc), allow_retries=False) from exc
