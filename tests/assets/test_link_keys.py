"""The link asset computes record keys before the linker only when the decisions.csv check
reads them (``assets.link._keys_needed``)."""

import polars as pl
import pytest

from assets.link import _keys_needed
from pipelines.landing import DECISIONS_FILE

LOG = pl.DataFrame({"record_key_l": ["Ra"], "record_key_r": ["Rb"], "decision": ["link"]})
CSV = pl.DataFrame({"file_name": [DECISIONS_FILE, "enrolment.csv"]})
NO_CSV = pl.DataFrame({"file_name": ["enrolment.csv"]})


@pytest.mark.parametrize(("log", "snapshot", "needed"), [
    (LOG, CSV, True), (None, CSV, False), (LOG.head(0), CSV, False), (LOG, NO_CSV, False)])
def test_keys_are_needed_only_for_a_decisions_csv_over_a_log(log, snapshot, needed) -> None:
    assert _keys_needed(log, snapshot) is needed
