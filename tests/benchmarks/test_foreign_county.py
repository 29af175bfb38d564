"""The foreign-county generator writes files that open and a truth that matches them.

The generator is run the way its users run it (``python -m benchmarks.foreign_county`` from the
repository root). Nothing here asserts how sanji reads the county: only that the truth is
complete and consistent with the files.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import fastexcel
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "benchmarks" / "foreign_county"
PEOPLE = 500
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
HAS_LIBREOFFICE = shutil.which("soffice") is not None


def _generate(out: Path, *extra: str) -> None:
    cmd = [sys.executable, "-m", "benchmarks.foreign_county", "--people", str(PEOPLE),
           "--seed", "11", "--out", str(out), *extra]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("foreign")
    _generate(out, *([] if HAS_LIBREOFFICE else ["--no-libreoffice"]))
    return out


@pytest.fixture(scope="module")
def truth(county: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_csv(county / "truth" / f"{name}.csv", infer_schema=False)
            for name in ("persons", "records", "words", "headers")}


def _text_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
    delimiter = "\t" if "\t" in text.splitlines()[0] else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _sheets(path: Path) -> dict[str, list[list[str]]]:
    """Every sheet of a file as rows of text cells ('' for empty), row 1 first."""
    if path.suffix in (".csv", ".txt"):
        return {"": _text_rows(path)}
    reader = fastexcel.read_excel(path)
    sheets = {}
    for name in reader.sheet_names:
        frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        sheets[name] = [["" if v is None else v for v in row] for row in frame.rows()]
    return sheets


def _header_row(rows: list[list[str]], headers: list[str]) -> int:
    for i, row in enumerate(rows):
        if [c.strip() for c in row[: len(headers)]] == headers:
            return i + 1
    pytest.fail(f"header row {headers[:3]}… not found")


def _imports(path: Path) -> set[str]:
    """Top-level packages a module imports, wherever the import stands."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_generator_imports_nothing_of_sanji() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 10
    offenders = {p.name: _imports(p) & {"pipelines", "schemas", "assets"} for p in modules}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_landing_has_every_kind_of_file(county: Path) -> None:
    names = [p.name for p in (county / "landing").iterdir()]
    suffixes = {Path(n).suffix for n in names}
    assert {".xls", ".xlsx", ".csv", ".txt"} <= suffixes
    assert len(names) >= 10
    encodings = {_encoding(county / "landing" / n) for n in names if n.endswith((".csv", ".txt"))}
    assert {"utf-16", "gbk-family"} <= encodings


def _encoding(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith(b"\xff\xfe"):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gbk-family"


def _filled_rows(rows: list[list[str]], top: int) -> set[int]:
    """Row numbers below the header row holding anything."""
    return {i + 1 for i, row in enumerate(rows) if i + 1 > top and any(c.strip() for c in row)}


def _kind_of(written: str, true_id: str) -> str:
    if written == true_id:
        return "clean"
    return "missing" if not written.strip() else "spoiled"


def test_every_row_of_every_file_is_in_records(county: Path, truth: dict) -> None:
    records, headers = truth["records"], truth["headers"]
    for path in sorted((county / "landing").iterdir()):
        for sheet, rows in _sheets(path).items():
            cols = headers.filter((pl.col("source_file") == path.name) & (pl.col("sheet") == sheet))
            assert cols.height, f"{path.name}/{sheet} has no headers in the truth"
            top = _header_row(rows, cols["header"].to_list())
            mine = records.filter((pl.col("source_file") == path.name) & (pl.col("sheet") == sheet))
            kinds = dict(zip(mine["row_number"].cast(int), mine["row_kind"], strict=True))
            assert _filled_rows(rows, top) == {r for r, k in kinds.items() if k != "blank"}, (
                f"{path.name}/{sheet}")
            assert min(kinds) == top + 1


def test_person_rows_point_to_known_people(truth: dict) -> None:
    records, persons = truth["records"], truth["persons"]
    person_rows = records.filter(pl.col("row_kind") == "person")
    assert person_rows["person_key"].null_count() == 0
    assert set(person_rows["person_key"]) <= set(persons["person_key"])
    others = records.filter(pl.col("row_kind") != "person")
    assert others["person_key"].null_count() == others.height
    assert {"total", "blank", "note", "place"} <= set(records["row_kind"])


def _check_char(body: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def test_persons_are_consistent(truth: dict) -> None:
    persons = truth["persons"]
    assert persons.height == PEOPLE
    assert persons["person_key"].n_unique() == persons["id_number"].n_unique() == PEOPLE
    for row in persons.iter_rows(named=True):
        ident = row["id_number"]
        assert ident[17] == _check_char(ident[:17])
        assert ident[6:14] == row["birth_date"].replace("-", "")
        assert (int(ident[16]) % 2 == 1) == (row["sex"] == "M")
    twins = persons.filter(pl.col("twin_of").is_not_null())
    pairs = twins.join(persons, left_on="twin_of", right_on="person_key", suffix="_other")
    assert (pairs["twin_of_other"] == pairs["person_key"]).all()
    assert (pairs["birth_date"] == pairs["birth_date_other"]).all()
    assert (pairs["household_key"] == pairs["household_key_other"]).all()


def test_villages_are_in_the_division_table(county: Path, truth: dict) -> None:
    table = next(p for p in (county / "landing").iterdir() if p.name.endswith("区划代码.xlsx"))
    rows = _sheets(table)["Sheet1"]
    codes = {row[0] for row in rows if re.fullmatch(r"\d{12}", row[0])}
    assert set(truth["persons"]["village_code"]) <= codes
    names = [row[2] for row in rows]
    assert any(n.endswith("村民委员会") for n in names)
    assert any(n.endswith("居民委员会") for n in names)
    villages = pl.read_csv(county / "truth" / "villages.csv", infer_schema=False)
    assert set(villages["village_code"]) <= codes
    renamed = villages.filter(pl.col("former_core").is_not_null())
    assert renamed.height == 1  # the table knows only the new name
    assert not any(n.startswith(renamed["former_core"][0]) for n in names)


def test_words_and_headers_carry_meanings(truth: dict) -> None:
    words = truth["words"]
    assert words["meaning"].null_count() == 0
    insured = words.filter((pl.col("concept") == "enrolment_status")
                           & (pl.col("meaning") == "insured"))
    assert set(insured["word"]) >= {"正常参保", "参保缴费", "正常"}
    assert words.filter(pl.col("concept") == "population_type").height >= 3
    assert words["concept"].n_unique() >= 20
    headers = truth["headers"]
    ids = headers.filter(pl.col("meaning") == "identity number")["header"]
    assert ids.n_unique() >= 3  # 证件号码, 身份证号, 身份证号码 …


def test_identity_numbers_are_dirty_as_found(county: Path, truth: dict) -> None:
    persons = dict(zip(truth["persons"]["person_key"], truth["persons"]["id_number"], strict=True))
    records, headers = truth["records"], truth["headers"]
    seen = {"clean": 0, "missing": 0, "spoiled": 0}
    for path in sorted((county / "landing").iterdir()):
        for sheet, rows in _sheets(path).items():
            cols = headers.filter((pl.col("source_file") == path.name) & (pl.col("sheet") == sheet))
            if "identity number" not in cols["meaning"].to_list():
                continue
            at = cols["meaning"].to_list().index("identity number")
            mine = records.filter((pl.col("source_file") == path.name) & (pl.col("sheet") == sheet)
                                  & (pl.col("row_kind") == "person"))
            for number, key in zip(mine["row_number"].cast(int), mine["person_key"], strict=True):
                seen[_kind_of(rows[number - 1][at], persons[key])] += 1
    assert seen["clean"] > 10 * (seen["missing"] + seen["spoiled"])
    assert seen["missing"] > 0 and seen["spoiled"] > 0


@pytest.mark.skipif(not HAS_LIBREOFFICE, reason="LibreOffice (soffice) is not installed")
def test_one_file_is_written_by_libreoffice(county: Path) -> None:
    summary = "SummaryInformation".encode("utf-16-le")  # xlwt writes no such stream
    written = [p for p in (county / "landing").glob("*.xls") if summary in p.read_bytes()]
    assert len(written) == 1
    assert fastexcel.read_excel(written[0]).sheet_names


def test_the_same_seed_gives_the_same_county(tmp_path: Path, county: Path) -> None:
    _generate(tmp_path / "again", "--no-libreoffice", "--jobs", "1")
    for name in ("persons", "records", "words", "headers"):
        first = (county / "truth" / f"{name}.csv").read_bytes()
        assert (tmp_path / "again" / "truth" / f"{name}.csv").read_bytes() == first
    for path in (county / "landing").iterdir():
        if path.suffix in (".csv", ".txt"):
            assert (tmp_path / "again" / "landing" / path.name).read_bytes() == path.read_bytes()
