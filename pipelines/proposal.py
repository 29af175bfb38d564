"""The proposed ``sanji_mapping.yaml`` that ``sanji check`` writes, and the report as text.

The proposal is the steward's own mapping (kept as it is) plus what the check found:

- every header the fallback inferred, written as a steward header word (keeping it confirms
  the guess, deleting it refuses it); headers nothing read, as commented lines to fill in;
- a commented pin line for each file or sheet no extract fits, with the closest headers;
- every unknown value, as a commented line under its code list with a guessed code (the code
  one of whose words the value contains, or the nearest word), its row and file counts.

It is written as ``<landing>/sanji_mapping.yaml`` when the steward has none, else as
``sanji_mapping.proposed.yaml`` beside it; the steward's file is replaced only when asked
(``force``).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipelines.domain.codes import CODE_LISTS
from pipelines.domain.vocabulary import normalise_value
from pipelines.mapping import MAPPING_FILE, UNUSED, HeaderMapping

if TYPE_CHECKING:
    from pipelines.check import CheckReport

PROPOSED_FILE = "sanji_mapping.proposed.yaml"


def _q(text: object) -> str:
    """A YAML scalar (JSON strings are YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def guess_code(code_list: str, value: str) -> tuple[str, str] | None:
    """The code an unknown value most likely means, and why (None when nothing is close).

    Args:
        code_list: the code list.
        value: the value as read.

    Returns:
        (code, reason) or None.
    """
    codes = CODE_LISTS.get(code_list)
    norm = normalise_value(value)
    if codes is None or not norm:
        return None
    inside = {code: w for w, code in codes.words.items() if len(w) >= 2 and w in norm}
    if inside:
        best = max(inside.items(), key=lambda kv: len(kv[1]))
        if sum(len(w) == len(best[1]) for w in inside.values()) == 1:
            return best[0], f"contains {best[1]}"
    words = [w for w in codes.words if len(w) >= 2]
    near = difflib.get_close_matches(norm, words, n=1, cutoff=0.6)
    return (codes.words[near[0]], f"close to {near[0]}") if near else None


def _header_lines(report: CheckReport, mapping: HeaderMapping) -> list[str]:
    """Per extract: the steward's words, the inferred ones, the unread headers (commented)."""
    rec = report.recognition.filter(pl.col("column").is_not_null())
    blocks: dict[str, list[str]] = {}
    for extract, fields in mapping.extra.items():
        for name, words in fields.items():
            blocks.setdefault(extract, []).append(
                f"  {name}: [{', '.join(_q(w) for w in words)}]")
    for extract, name, header, note, file in rec.filter(pl.col("how") == "inferred").select(
            "extract", "field", "header", "note", "source_file").unique().sort("extract",
                                                                                "field").iter_rows():
        blocks.setdefault(extract, []).append(
            f"  {name}: [{_q(header)}]  # inferred ({note}) in {file}: keep to confirm")
    for extract, header, note, file in rec.filter(pl.col("how") == "unmapped").select(
            "extract", "header", "note", "source_file").unique().sort("extract",
                                                                      "header").iter_rows():
        blocks.setdefault(extract, []).append(
            f"  # <field or {UNUSED}>: [{_q(header)}]  # not read ({note}) in {file}")
    lines = ["# Header words per extract and field (see pipelines/mapping.example.yaml)."]
    for extract in sorted(blocks):
        lines += [f"{extract}:", *blocks[extract]]
    return lines


def _pin_lines(report: CheckReport, mapping: HeaderMapping) -> list[str]:
    lines = ["", "# Files (and file#sheet globs) that always hold one extract.", "pin:"]
    lines += [f"  {_q(glob)}: {extract}" for glob, extract in mapping.pin.items()]
    readable = report.unrecognised.filter(
        pl.col("check").is_in(["sheet_unrecognised", "sheet_invalid"]))
    for file, sheet, check, closest in readable.select(
            "source_file", "sheet", "check", "closest").iter_rows():
        glob = f"{file}#{sheet}" if sheet else file
        near = f"; closest: {closest}" if closest else ""
        lines.append(f"  # {_q(glob)}: <extract>  # {check}{near}")
    return lines


def _value_lines(report: CheckReport, mapping: HeaderMapping) -> list[str]:
    lines = ["", "# Value words per code list and canonical code (see values.yaml).", "values:"]
    lists: dict[str, list[str]] = {}
    for name, codes in mapping.values.items():
        for code, words in codes.items():
            lists.setdefault(name, []).append(
                f"    {code}: [{', '.join(_q(w) for w in words)}]")
    for name, value, rows, files in report.values.select(
            "code_list", "value", "rows", "files").iter_rows():
        guess = guess_code(name, value)
        code, why = guess if guess else ("<code>", "no guess")
        lists.setdefault(name, []).append(
            f"    # {code}: [{_q(value)}]  # unknown, {rows} rows in {files} file(s); {why}")
    for name in sorted(lists):
        lines += [f"  {name}:", *lists[name]]
    return lines


def proposed_mapping(report: CheckReport) -> str:
    """The proposed mapping file's text (valid YAML: every guess is a commented line).

    Args:
        report: a check report.

    Returns:
        The YAML text.
    """
    mapping = report.mapping
    head = [f"# sanji_mapping.yaml proposed by `sanji check {report.landing}`.",
            "# Review every line: keep what is right, delete what is wrong, fill in the",
            "# commented lines you can answer, then run. Codes of each list: values.yaml."]
    body = [*_header_lines(report, mapping), *_pin_lines(report, mapping),
            *_value_lines(report, mapping)]
    return "\n".join([*head, "", *body, ""])


def proposal_path(landing: Path, out: Path | None = None, force: bool = False) -> Path:
    """Where the proposal goes: never over the steward's own mapping unless ``force``.

    Args:
        landing: the landing folder.
        out: an explicit path, or None.
        force: allow replacing ``<landing>/sanji_mapping.yaml``.

    Returns:
        The path.

    Raises:
        FileExistsError: when ``out`` is an existing steward mapping and ``force`` is not set.
    """
    steward = Path(landing) / MAPPING_FILE
    if out is not None:
        path = Path(out)
        if path.exists() and path.name == MAPPING_FILE and not force:
            msg = f"{path} is a steward's mapping: pass --force to replace it"
            raise FileExistsError(msg)
        return path
    return steward if force or not steward.exists() else Path(landing) / PROPOSED_FILE


def write_proposal(report: CheckReport, out: Path | None = None, force: bool = False) -> Path:
    """Write the proposed mapping (see :func:`proposal_path` for where).

    Args:
        report: a check report.
        out: an explicit path, or None.
        force: allow replacing the steward's ``sanji_mapping.yaml``.

    Returns:
        The path written.
    """
    path = proposal_path(report.landing, out, force)
    path.write_text(proposed_mapping(report), encoding="utf-8")
    return path
