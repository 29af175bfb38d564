"""Delimited text files (``.csv``, ``.txt``, ``.tsv``) to grids: encoding and delimiter.

The encoding is told from the bytes (a BOM, UTF-16 without one, strict UTF-8, GBK, GB18030),
the delimiter from the first records (comma, tab, semicolon or bar: the one that splits most
lines into the same number of fields). The first line is row 1; blank lines count, a quoted
newline stays inside its record, as a spreadsheet shows it. A file whose quotes do not close
is read again without quoting, one record per line.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from pipelines.read.grid import Grid, numbered, safe_reason, sha256, trimmed
from pipelines.read.records import record_shapes

DELIMITERS = (",", "\t", ";", "|")
SAMPLE_LINES = 60


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when every other byte of the start is NUL (ASCII as UTF-16)."""
    head = data[:2000]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Decode text bytes: BOMs first, then UTF-16 by its NUL bytes, UTF-8, GBK, GB18030.

    Args:
        data: the file's bytes.

    Returns:
        (encoding, text); the encoding is "utf-8-sig", "utf-16", "utf-8", "gbk" or "gb18030".

    Raises:
        ValueError: when the bytes are none of these.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:].decode("utf-8")
    utf16 = ("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff"))
             else _utf16_without_bom(data))
    if utf16:
        try:
            text = data.decode(utf16).lstrip("\ufeff")
        except UnicodeDecodeError:
            text = ""
        if any(c in text[:4000] for c in ("\n", *DELIMITERS)):  # a table has some
            return "utf-16", text
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return encoding, data.decode(encoding)
        except UnicodeDecodeError:
            continue
    msg = "bytes are neither UTF-8, UTF-16 nor GBK/GB18030"
    raise ValueError(msg)


def detect_encoding(data: bytes) -> str:
    """Tell the text encoding of a file from its bytes (see :func:`decode`).

    Args:
        data: the file's bytes.

    Returns:
        The encoding name.

    Raises:
        ValueError: when the bytes are none of the known encodings.
    """
    return decode(data)[0]


def _sample(text: str) -> str:
    """The first SAMPLE_LINES lines of the text (at most 200,000 characters)."""
    head = text[:200_000]
    cut = 0
    for _ in range(SAMPLE_LINES):
        nxt = head.find("\n", cut)
        if nxt < 0:
            return head
        cut = nxt + 1
    return head[:cut]


def detect_delimiter(text: str, prefer: str = ",") -> str:
    """The field delimiter of delimited text, from its first lines.

    Each candidate splits the sample into records; the winner puts the most records into
    one common width of at least two fields (a title line above the header does not count
    against it), then the widest such width, then ``prefer``.

    Args:
        text: the decoded text (only its start is read).
        prefer: the delimiter to choose on a tie (tab for ``.tsv``).

    Returns:
        One of ``DELIMITERS``; ``prefer`` when none splits anything.
    """
    sample = _sample(text)
    best, best_score = prefer, (0, 0, 1)
    for delim in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delim) if r]
        except csv.Error:
            continue
        common = Counter(w for w in widths if w >= 2).most_common(1)
        if not common:
            continue
        width, count = common[0]
        score = (count, width, int(delim == prefer))
        if score > best_score:
            best, best_score = delim, score
    return best


def _width(sample: str, delimiter: str, quoting: bool) -> int:
    """Most fields in any of the first records (a title row above the header has fewer)."""
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE)
    try:
        return max((len(r) for r in reader), default=1) or 1
    except csv.Error:
        return 1


def _head(width: int, delimiter: str) -> bytes:
    """The synthetic header line c0,c1,… of ``width`` columns."""
    return delimiter.join(f"c{i}" for i in range(width)).encode() + b"\n"


def _parse(blob: bytes, delimiter: str, quoting: bool) -> pl.DataFrame:
    """Read UTF-8 bytes that start with the synthetic header line."""
    return pl.read_csv(
        blob,
        has_header=True,
        separator=delimiter,
        quote_char='"' if quoting else None,
        infer_schema=False,
        truncate_ragged_lines=True,
    )


def bare_cr_to_lf(text: str) -> str:
    """Text whose lines end in a bare CR (classic Mac, some exporters) with LF line ends.

    Only when bare CRs outnumber LFs: a CR inside a cell of an LF file stays as it is.

    Args:
        text: decoded text.

    Returns:
        The text with ``\r\n`` and bare ``\r`` as ``\n`` when bare CRs end its lines, else
        the text as given.
    """
    if "\r" not in text:
        return text
    crlf = text.count("\r\n")
    if text.count("\r") - crlf <= text.count("\n") - crlf:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


MAX_EXTRA_WIDTH = 64  # columns beyond the widest of the first lines the grid may grow by


def _shapes(body: bytes, delimiter: str, quoting: bool, sample: str) -> tuple[pl.DataFrame, int]:
    """The records' shapes and the grid width that holds every field (at most
    ``MAX_EXTRA_WIDTH`` beyond the first lines': a longer record shows in its shape)."""
    shapes = record_shapes(body, delimiter, quoting)
    base = _width(sample, delimiter, quoting)
    widest = int(shapes["fields"].max() or 1) if shapes.height else 1
    return shapes, max(base, min(widest, base + MAX_EXTRA_WIDTH))


def read_text_grid(path: Path) -> Grid:
    """Read a delimited text file as a grid.

    Args:
        path: the file (``.csv``, ``.txt`` or ``.tsv``).

    Returns:
        The grid; the first line is row 1; ``shapes`` holds each record's field count.

    Raises:
        ValueError: when the file cannot be decoded or parsed, naming the file but no content.
    """
    return text_grid(path.name, path.read_bytes(), path.suffix.lower() == ".tsv")


def text_grid(name: str, data: bytes, tabs: bool = False, digest: str | None = None) -> Grid:
    """A grid from the bytes of a delimited text file (see :func:`read_text_grid`).

    Args:
        name: the file's name (for the grid and messages).
        data: its bytes.
        tabs: prefer tab as the delimiter on a tie (a ``.tsv``).
        digest: the bytes' SHA-256 when known (else computed beside the decoding).

    Returns:
        The grid.

    Raises:
        ValueError: when the bytes cannot be decoded or parsed, naming the file, no content.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(sha256, data) if digest is None else None  # beside decode
        try:
            encoding, text = decode(data)
        except ValueError as exc:
            msg = f"{name}: {exc}"
            raise ValueError(msg) from None
        fixed = bare_cr_to_lf(text)
        sample = _sample(fixed)
        delimiter = detect_delimiter(sample, "\t" if tabs else ",")
        body = data if encoding == "utf-8" and fixed is text else fixed.encode("utf-8")
        del text, fixed  # the decoded text is large: free it before parsing
        shapes, width = _shapes(body, delimiter, True, sample)
        try:
            frame = _parse(_head(width, delimiter) + body, delimiter, quoting=True)
        except pl.exceptions.PolarsError:
            try:  # an unclosed quote: one record per line
                shapes, width = _shapes(body, delimiter, False, sample)
                frame = _parse(_head(width, delimiter) + body, delimiter, quoting=False)
            except pl.exceptions.PolarsError as exc:
                msg = f"{name}: {safe_reason('text file', exc)}"
                raise ValueError(msg) from None
        sha = hashing.result() if hashing is not None else str(digest)
    frame = numbered(frame, 1)
    known = shapes if shapes.height == frame.height else None  # the parser read otherwise
    return Grid(name, "", encoding, sha, trimmed(frame), shapes=known)


read_csv_grid = read_text_grid
