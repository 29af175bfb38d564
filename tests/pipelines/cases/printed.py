"""A workbook as LibreOffice prints it: PDF pages, and whether each row's text is all there.

``to_pdf`` converts with ``libreoffice --headless --convert-to pdf`` (a private profile per
call, so parallel tests do not share one). ``rows_missing_text`` reads the words of the PDF with
their positions (``pdftotext -bbox``) and compares, row by row, the characters printed in each
row's band with the characters of the row's cells: LibreOffice leaves text it cuts off (a column
too narrow beside a filled cell, a row too low for its wrapped lines) out of the PDF, so a cut
cell shows as missing characters, and text spilling into the next row as extra ones.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")
A4_LANDSCAPE = (841.89, 595.30)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                   r"(.*?)</word>")


def to_pdf(xlsx: Path, work: Path) -> Path:
    """Convert a workbook to PDF with LibreOffice; skip when LibreOffice is not installed."""
    if LIBREOFFICE is None:
        pytest.skip("libreoffice is not installed (Debian: apt-get install libreoffice-calc)")
    profile = work / "lo_profile"
    subprocess.run([LIBREOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(work), str(xlsx)],
                   check=True, capture_output=True, timeout=180,
                   env={**os.environ, "HOME": str(work)})
    pdf = work / (xlsx.stem + ".pdf")
    assert pdf.is_file(), f"LibreOffice wrote no PDF for {xlsx.name}"
    return pdf


def pages(pdf: Path) -> list[dict]:
    """Each page's size and its words (text, x0, y0, x1, y1), via ``pdftotext -bbox``."""
    out = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    result = []
    for body in out.split("<page ")[1:]:
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', body)
        words = [(html.unescape(m[5]), *map(float, m.groups()[:4])) for m in _WORD.finditer(body)]
        result.append({"width": float(size[1]), "height": float(size[2]), "words": words})
    return result


def page_text(page: dict) -> str:
    """All words of a page joined without spaces."""
    return "".join(w[0] for w in page["words"])


def _chars(text: str) -> Counter:
    return Counter(re.sub(r"\s+", "", text))


def rows_missing_text(pdf_pages: list[dict], rows: list[list[str]], anchor: str) -> list[str]:
    """Rows whose printed characters differ from their cells' (empty when all is there).

    Args:
        pdf_pages: :func:`pages`.
        rows: the cells of each data row as printed, in sheet order; the first cell is the
            row's anchor (a unique-looking id printed on one line).
        anchor: a regex matching the anchors.

    Returns:
        One line per row that lost or gained characters.
    """
    problems, expected = [], iter(rows)
    for number, page in enumerate(pdf_pages, 1):
        words = [w for w in page["words"] if w[2] < page["height"] - 45]  # footer left out
        tops = sorted((w[2], w[0]) for w in words if re.fullmatch(anchor, w[0]))
        for i, (top, text) in enumerate(tops):
            bottom = tops[i + 1][0] if i + 1 < len(tops) else page["height"]
            band = "".join(w[0] for w in words if top - 3 <= w[2] < bottom - 3)
            cells = next(expected, None)
            if cells is None or cells[0] != text:
                problems.append(f"page {number}: row {text} out of order")
                continue
            want, got = _chars("".join(cells)), _chars(band)
            if want != got:
                problems.append(f"page {number}, row {text}: missing {dict(want - got)}, "
                                f"extra {dict(got - want)}")
    problems += [f"row {cells[0]} not printed" for cells in expected]
    return problems
