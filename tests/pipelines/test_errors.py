"""User errors, transient errors and defects are told apart; messages are masked."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipelines.errors import (
    TransientError,
    UserInputError,
    classify,
    describe,
    masked_traceback,
)
from pipelines.extracts import HeaderMapping
from pipelines.link.decisions import read_decisions_csv
from pipelines.privacy import find_ids

ID = "110105194912310021"


class WarehouseBusy(RuntimeError):  # as pipelines.warehouse.lock names it
    pass


WarehouseBusy.__module__ = "pipelines.warehouse.lock"


@pytest.mark.parametrize(("error", "kind"), [
    (UserInputError("bad", file="a.csv"), "user"),
    (ValueError("bad month"), "user"),
    (csv.Error("field larger than field limit"), "user"),
    (yaml.YAMLError("bad"), "user"),
    (PermissionError("denied"), "user"),
    (ConnectionError("refused"), "transient"),
    (TimeoutError(), "transient"),
    (FileNotFoundError("gone"), "transient"),
    (TransientError("still being written"), "transient"),
    (WarehouseBusy("held by run x"), "transient"),
    (KeyError("x"), "defect"),
    (AttributeError("x"), "defect"),
    (pl.exceptions.ComputeError("x"), "defect"),
])
def test_classify(error: BaseException, kind: str) -> None:
    assert classify(error) == kind


def test_a_transient_cause_makes_the_error_transient() -> None:
    try:
        try:
            raise ConnectionError("database is starting up")
        except ConnectionError as exc:
            raise ValueError("could not read the warehouse") from exc
    except ValueError as exc:
        assert classify(exc) == "transient"


def test_user_input_error_names_where_and_masks() -> None:
    err = UserInputError(f"value {ID} is not a date", file=f"名单{ID}.csv", sheet="表1",
                         row=17, column="参保日期")
    assert str(err) == ("file '名单110105********0021.csv', sheet '表1', row 17, column 参保日期: "
                        "value 110105********0021 is not a date")
    assert (err.file, err.row, err.column) == ("名单110105********0021.csv", 17, "参保日期")
    assert isinstance(err, ValueError)


def test_describe_and_traceback_mask_every_id() -> None:
    try:
        raise KeyError(f"no record {ID}")
    except KeyError as exc:
        assert describe(exc) == "KeyError: 'no record 110105********0021'"
        text = masked_traceback(exc)
    assert "Traceback" in text and not find_ids(text)
    assert describe(ValueError("x" * 2000)).endswith("…")
    assert describe(ValueError("")) == "ValueError"


@pytest.mark.parametrize(("text", "row", "problem"), [
    ("poverty_roster:\n  id_number: [身份证号\n", 3, "not valid YAML"),
    ("poverty_roster:\n\tid_number: x\n", 2, "not valid YAML"),
    ("- just\n- a list\n", None, "expected sections"),
    ("poverty_roster: [身份证号]\n", None, "unexpected shape"),
    ("nonsense_extract:\n  name: [x]\n", None, "unknown extract"),
])
def test_a_malformed_mapping_is_a_user_error_naming_file_and_row(
        tmp_path: Path, text: str, row: int | None, problem: str) -> None:
    path = tmp_path / "sanji_mapping.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=problem) as err:
        HeaderMapping.from_yaml(path)
    assert classify(err.value) == "user"
    assert "sanji_mapping.yaml" in str(err.value)
    if row is not None:
        assert err.value.row == row and f"row {row}" in str(err.value)


def test_a_mapping_that_is_not_utf8_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "sanji_mapping.yaml"
    path.write_bytes("death:\n  id_number: [身份号]\n".encode("gbk"))
    with pytest.raises(UserInputError, match="not UTF-8"):
        HeaderMapping.from_yaml(path)


def test_an_unreadable_decisions_file_names_the_file_and_quotes_no_row(tmp_path: Path) -> None:
    path = tmp_path / "decisions.csv"
    path.write_text(f'record_key_l,record_key_r,decision\n"{ID},张三,link\nb,c,link\n',
                    encoding="utf-8")
    with pytest.raises(UserInputError, match=r"decisions\.csv") as err:
        read_decisions_csv(path)
    assert not find_ids(str(err.value)) and "张三" not in str(err.value)
    path.write_bytes(b"")
    assert read_decisions_csv(path).height == 0  # an empty file: no decisions
