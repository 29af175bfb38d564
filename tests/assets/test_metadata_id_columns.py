"""Which columns ``assets.metadata.masked`` treats as identity numbers."""

import polars as pl

from assets.metadata import is_id_column, masked

FULL = "41010319900307123X"


def test_id_columns_are_masked_and_provenance_columns_are_not():
    frame = pl.DataFrame({
        "id_number": [FULL], "id_number_l": [FULL], "id_raw_r": [FULL],
        "id_number_source": ["poverty_roster"], "id_masked": ["410103********123X"],
        "id_valid": ["true"],
    })
    out = masked(frame).row(0, named=True)
    assert out["id_number"] == out["id_number_l"] == out["id_raw_r"] == "410103********123X"
    assert out["id_number_source"] == "poverty_roster"  # provenance, not an ID
    assert out["id_masked"] == "410103********123X"
    assert out["id_valid"] == "true"


def test_strict_pattern():
    assert is_id_column("id_number_2") and is_id_column("id_r")
    assert not any(is_id_column(c) for c in ("id_number_source", "id_numbers", "valid_id_number",
                                             "id_valid_l", "id_number_l_source"))


def test_ids_in_free_text_are_scrubbed_but_record_keys_are_kept():
    key = "R1234567890123456"  # a hash that happens to be all digits: not an ID
    frame = pl.DataFrame({"detail": [f"证件号 {FULL} 不符"], "record_key_l": [key],
                          "name": ["张伟"]})
    out = masked(frame).row(0, named=True)
    assert out["detail"] == "证件号 410103********123X 不符"
    assert out["record_key_l"] == key and out["name"] == "张伟"
