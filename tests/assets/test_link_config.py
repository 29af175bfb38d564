"""The link asset's configuration: a county's linkage settings over the defaults."""

import pytest

from assets.link import LinkConfig
from pipelines.link import LinkSettings


def test_no_configuration_means_the_defaults():
    assert LinkConfig().settings() == LinkSettings()


def test_a_settings_file_then_the_thresholds_given_in_config(tmp_path):
    path = tmp_path / "link.yaml"
    path.write_text("accept_weight: 6.5\nreview_weight: -1.0\n", encoding="utf-8")
    from_file = LinkConfig(settings_file=str(path)).settings()
    assert (from_file.accept_weight, from_file.review_weight) == (6.5, -1.0)
    both = LinkConfig(settings_file=str(path), review_weight=0.5).settings()
    assert (both.accept_weight, both.review_weight) == (6.5, 0.5)


def test_a_wrong_setting_names_what_exists(tmp_path):
    path = tmp_path / "link.yaml"
    path.write_text("accept_wieght: 6.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="accept_weight"):
        LinkConfig(settings_file=str(path)).settings()



@pytest.mark.parametrize("statuses", [["linked"] * 3 + ["rejected"] * 5 + ["uncertain"], []])
def test_pairs_by_status_from_the_linkers_count_is_counting_the_pairs(statuses):
    """match_pairs' by_status metadata from ``stats["status_counts"]`` (the linker's
    ``group_by("status").len()`` of the pairs it returns) is what counting them shows."""
    import polars as pl

    from assets.metadata import counts, tallies

    pairs = pl.DataFrame({"status": statuses}, schema={"status": pl.String})
    linker = dict(pairs.group_by("status").len().iter_rows())
    assert tallies(linker, "status") == counts(pairs, "status")
