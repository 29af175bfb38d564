"""Record shapes agree with the grid reader: fields as written, quoted cells over lines."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.read.records import record_shapes
from pipelines.read.text import bare_cr_to_lf, text_grid

TEXT = ('h1,h2,h3\na,,c\nx,y\n\n1,2,3,4\n"q\nr",s,t\n"a,b","c""d",e\n王"五,1,2\n'
        '"王五,1,2\n李四,3,4",z\nlast')


def test_shapes_count_fields_and_lines_inside_quotes() -> None:
    assert record_shapes(TEXT.encode(), ",").rows() == [
        (1, 3, 0), (2, 3, 0), (3, 2, 0), (4, 1, 0), (5, 4, 0), (6, 3, 1), (7, 3, 0),
        (8, 3, 0), (9, 2, 3), (10, 1, 0)]


def test_without_quoting_every_line_is_a_record() -> None:
    assert record_shapes(TEXT.encode(), ",", quoting=False)["fields"].to_list() == [
        3, 3, 2, 1, 4, 1, 3, 4, 3, 3, 4, 1]


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_shapes_match_the_grid_rows(delimiter: str) -> None:
    text = TEXT.replace(",", delimiter).replace("\n", "\r\n")
    grid = text_grid("t.csv", text.encode("utf-8"))
    assert grid.shapes is not None and grid.shapes.height == grid.frame.height
    assert grid.frame.width - 1 == 4  # the widest record, not cut


def test_fully_quoted_exports_are_measured_without_python() -> None:
    text = "\n".join(['"a","b,c","d"'] * 5 + ['"x",""'])
    assert record_shapes(text.encode(), ",")["fields"].to_list() == [3, 3, 3, 3, 3, 2]


def test_bare_cr_line_ends_become_lf_only_when_they_end_lines() -> None:
    assert bare_cr_to_lf("a,b\rc,d\r") == "a,b\nc,d\n"
    assert bare_cr_to_lf("a,b\r\nc,d\r\n") == "a,b\r\nc,d\r\n"
    assert bare_cr_to_lf('a,"x\ry"\nc,d\n') == 'a,"x\ry"\nc,d\n'


def test_an_unclosed_quote_falls_back_to_lines_and_measures_them() -> None:
    grid = text_grid("t.csv", b'h1,h2,h3\n"a,b,c\nd,e,f\n')
    assert grid.frame.height == 3
    assert grid.shapes["fields"].to_list() == [3, 3, 3]
    assert grid.frame.filter(pl.col("row_number") == 3).row(0)[1:] == ("d", "e", "f")


def test_a_parser_message_quotes_no_cell() -> None:
    from pipelines.read.grid import safe_reason

    err = ValueError('could not parse `"王五,110105194912310021,参保缴费` as dtype str')
    assert safe_reason("text file", err) == (
        "cannot read text file: ValueError: could not parse … as dtype str")
    err = ValueError('could not parse `"王五,110105194912310021\n李四` as str')  # first line
    assert safe_reason("text file", err) == "cannot read text file: ValueError: could not parse …"
    err = ValueError("field \"张三 110105194912310021")  # an unclosed quote: cut to the end
    assert safe_reason("CSV", err) == "cannot read CSV: ValueError: field …"
