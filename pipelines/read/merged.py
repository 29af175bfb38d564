"""Merged cell ranges of ``.xlsx`` workbooks, whoever wrote them.

fastexcel does not report merged cells, so they are read from the package itself: the
workbook part is found through ``_rels/.rels``, the sheets through the workbook and its
relationships (both parsed as XML, so attribute order, quoting and namespace prefixes do not
matter: openpyxl, LibreOffice, WPS, Excel and .NET writers differ in all three). In a sheet
only the small ``mergeCells`` block after the cell data is parsed, never the cells.

A sheet part is inflated with ISA-L (``isal``, about 2.5 times zlib's speed) when it is
installed; any part it does not take as it is (not deflated, encrypted, a header or size or
CRC-32 that does not fit) is read by ``zipfile``, which raises what it always raised.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree

try:
    from isal.isal_zlib import crc32 as _crc32
    from isal.isal_zlib import decompress as _inflate
    from isal.isal_zlib import error as _InflateError
except ImportError:  # pragma: no cover - isal is a dependency; zipfile reads without it
    _inflate = None

Range = tuple[int, int, int, int]
_LOCAL_HEADER = b"PK\x03\x04"

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOC = re.compile(r"/officeDocument$")
_BLOCK = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCells\b[^>]*?(?:/>|>.*?"
                    rb"</(?:[A-Za-z_][\w.-]*:)?mergeCells\s*>)", re.DOTALL)
_PREFIX = re.compile(rb"[\s<]/?([A-Za-z_][\w.-]*):[A-Za-z_]")
# A numeric cell value of 1e15 or more (16+ integer digits, or any exponent): the only kind
# whose text calamine shows as 16+ digits (see ``pipelines.read.workbook._show_big_numbers``).
_BIG_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v(?:\s[^>]*)?>\s*[+-]?(?:\d{16}|[\d.]*[eE])")
# Its tail from the tag name's ``v``: a literal start, which ``re`` scans for three times
# faster than a pattern starting with ``<`` (every tag of a 100 MB sheet).
_BIG_TAIL = re.compile(rb"v(?:\s[^>]*)?>\s*[+-]?(?:\d{16}|[\d.]*[eE])")
_REF = re.compile(r"^\$?([A-Z]+)\$?([0-9]+)(?::\$?([A-Z]+)\$?([0-9]+))?$")


def _local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _relationships(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part path) of a part's relationships ({} when it has none)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in z.namelist():
        return {}
    out = {}
    for el in ElementTree.fromstring(z.read(rels)).iter():
        if _local(el.tag) != "Relationship" or el.get("TargetMode") == "External":
            continue
        target = el.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out[el.get("Id", "")] = (el.get("Type", ""), path)
    return out


def _workbook_part(z: zipfile.ZipFile) -> str:
    """The workbook part named by the package relationships (usually xl/workbook.xml)."""
    for kind, path in _relationships(z, "").values():
        if _OFFICE_DOC.search(kind):
            return path
    return "xl/workbook.xml"


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part path, in workbook order.

    Args:
        z: the opened workbook package.

    Returns:
        The mapping (chart sheets and missing parts left out).
    """
    book = _workbook_part(z)
    rels = _relationships(z, book)
    names = set(z.namelist())
    out = {}
    for el in ElementTree.fromstring(z.read(book)).iter():
        if _local(el.tag) != "sheet":
            continue
        rid = el.get(f"{{{_REL_NS}}}id") or next(
            (v for k, v in el.attrib.items() if _local(k) == "id"), "")
        path = rels.get(rid, ("", ""))[1]
        if path in names:
            out[el.get("name", "")] = path
    return out


def part_bytes(z: zipfile.ZipFile, data: bytes, part: str) -> bytes:
    """A part of the package, inflated (see the module): what ``z.read(part)`` returns.

    Args:
        z: the package opened on ``data``.
        data: the package's bytes.
        part: the part's path.

    Returns:
        The part's bytes.
    """
    info = z.getinfo(part)
    if _inflate is None or info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
        return z.read(info)
    at = info.header_offset
    head = data[at:at + 30]
    if len(head) < 30 or not head.startswith(_LOCAL_HEADER):
        return z.read(info)
    size = int.from_bytes(head[26:28], "little")
    name = data[at + 30:at + 30 + size].decode("utf-8" if info.flag_bits & 0x800 else "cp437",
                                               "replace")
    if name != info.orig_filename:
        return z.read(info)
    start = at + 30 + size + int.from_bytes(head[28:30], "little")
    try:
        body = _inflate(memoryview(data)[start:start + info.compress_size], wbits=-15)
    except _InflateError:
        return z.read(info)
    if len(body) != info.file_size or _crc32(body) != info.CRC:
        return z.read(info)
    return body


def _col_index(letters: str) -> int:
    """0-based index of column letters (A -> 0, AA -> 26)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def parse_ref(ref: str) -> Range | None:
    """A cell range reference (``A1:C3``, ``$B$2``) as (row0, col0, row1, col1).

    Args:
        ref: the reference.

    Returns:
        Rows 1-based, columns 0-based (absolute), or None when it is not a reference.
    """
    m = _REF.match(ref.strip().upper())
    if not m:
        return None
    c0, r0, c1, r1 = m.groups()
    return int(r0), _col_index(c0), int(r1 or r0), _col_index(c1 or c0)


def sheet_merges(xml: bytes) -> list[Range]:
    """Merged ranges of one worksheet part, absolute columns.

    Args:
        xml: the worksheet XML.

    Returns:
        (first row, first col, last row, last col), rows 1-based, columns 0-based.
    """
    block = _BLOCK.search(xml, max(0, xml.rfind(b"sheetData") - 1))
    if block is None:
        return []
    text = block.group(0)
    prefixes = sorted(set(_PREFIX.findall(text)) - {b"xml", b"xmlns"})
    declared = b"".join(b' xmlns:%s="urn:%s"' % (p, p) for p in prefixes)
    root = ElementTree.fromstring(b"<root" + declared + b">" + text + b"</root>")
    out = []
    for el in root.iter():
        if _local(el.tag) == "mergeCell":
            rng = parse_ref(el.get("ref", ""))
            if rng:
                out.append(rng)
    return out


def xlsx_merged_ranges(data: bytes) -> dict[str, list[Range]]:
    """Merged cell ranges per sheet of an ``.xlsx`` (absolute columns).

    Args:
        data: the workbook's bytes.

    Returns:
        sheet name -> ranges (see :func:`sheet_merges`).
    """
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: sheet_merges(part_bytes(z, data, part))
                for name, part in sheet_parts(z).items()}


def xlsx_sheet_scan(data: bytes) -> tuple[dict[str, list[Range]], set[str]]:
    """Merged ranges per sheet, and the sheets that may hold a number of 16+ digits.

    One decompression of each sheet part serves both: the ranges as
    :func:`xlsx_merged_ranges`; a sheet is named in the set when any cell value (``<v>``)
    is written with 16 or more integer digits or an exponent (a shared-string index or a
    date never is), so a sheet left out holds no such number for sure.

    Args:
        data: the workbook's bytes.

    Returns:
        (sheet name -> ranges, names of sheets that may hold big numbers).
    """
    merges: dict[str, list[Range]] = {}
    big: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name, part in sheet_parts(z).items():
            xml = part_bytes(z, data, part)
            merges[name] = sheet_merges(xml)
            if has_big_value(xml):
                big.add(name)
    return merges, big


def has_big_value(xml: bytes) -> bool:
    """Whether ``_BIG_VALUE`` matches anywhere in a worksheet part (the same answer, faster).

    Every place ``_BIG_TAIL`` matches (overlapping ones too) is checked by ``_BIG_VALUE``
    from the last ``<`` before it: a match of ``_BIG_VALUE`` starts there (its tag name
    holds no ``<``) and its tail is such a place, so both find the same.
    """
    found = _BIG_TAIL.search(xml)
    while found is not None:
        start = xml.rfind(b"<", 0, found.start())
        if start >= 0 and _BIG_VALUE.match(xml, start):
            return True
        found = _BIG_TAIL.search(xml, found.start() + 1)
    return False
