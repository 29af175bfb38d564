"""Merged cell ranges of legacy ``.xls`` workbooks (Excel 97-2003, BIFF8).

calamine reads the cells of an ``.xls`` but fastexcel does not report its merged cells; they
are read here from the file itself. An ``.xls`` is a compound file (OLE2): the ``Workbook``
stream is found through the sector allocation table and the directory, then its records are
walked: ``BOUNDSHEET`` (0x0085) gives each sheet's name and where its records start, and
``MERGEDCELLS`` (0x00E5) in a sheet's records lists its merged ranges. Nothing else of the
file is decoded.
"""

from __future__ import annotations

import struct

Range = tuple[int, int, int, int]

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
END_OF_CHAIN = 0xFFFFFFFE
_BOUNDSHEET, _MERGEDCELLS, _EOF, _BOF = 0x0085, 0x00E5, 0x000A, 0x0809
_FILEPASS = 0x002F


class NotCompoundFile(ValueError):
    """The bytes are not an OLE2 compound file (or are damaged)."""


def _chain(table: list[int], start: int, limit: int) -> list[int]:
    """The sector numbers of a chain, guarded against loops and bad pointers."""
    out: list[int] = []
    sector = start
    while sector != END_OF_CHAIN and sector < limit:
        out.append(sector)
        if len(out) > limit:
            msg = "sector chain loops"
            raise NotCompoundFile(msg)
        sector = table[sector] if sector < len(table) else END_OF_CHAIN
    return out


class _Compound:
    """Just enough of an OLE2 compound file to read one stream by name."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(MAGIC):
            msg = "not an OLE2 compound file"
            raise NotCompoundFile(msg)
        self.data = data
        self.size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        self.mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
        n_fat, self.dir_start = struct.unpack_from("<II", data, 0x2C)
        self.cutoff, self.minifat_start, _, difat_start, n_difat = struct.unpack_from(
            "<IIIII", data, 0x38)
        self.limit = max(1, (len(data) - 512) // self.size + 1)
        difat = list(struct.unpack_from("<109I", data, 0x4C))
        sector = difat_start
        for _ in range(n_difat):
            if sector >= self.limit:
                break
            entries = struct.unpack_from(f"<{self.size // 4}I", data, self._offset(sector))
            difat.extend(entries[:-1])
            sector = entries[-1]
        fat: list[int] = []
        for s in difat[:n_fat]:
            if s < self.limit:
                fat.extend(struct.unpack_from(f"<{self.size // 4}I", data, self._offset(s)))
        self.fat = fat

    def _offset(self, sector: int) -> int:
        return (sector + 1) * self.size

    def _read(self, start: int, length: int | None = None) -> bytes:
        parts = [self.data[self._offset(s):self._offset(s) + self.size]
                 for s in _chain(self.fat, start, self.limit)]
        blob = b"".join(parts)
        return blob if length is None else blob[:length]

    def entries(self) -> dict[str, tuple[int, int, int]]:
        """Directory entry name -> (kind: 2 stream, 5 root; start sector; size)."""
        directory = self._read(self.dir_start)
        entries = {}
        for off in range(0, len(directory) - 127, 128):
            n = struct.unpack_from("<H", directory, off + 0x40)[0]
            name = directory[off:off + max(0, min(n, 64) - 2)].decode("utf-16-le", "replace")
            kind = directory[off + 0x42]
            start, size = struct.unpack_from("<IQ", directory, off + 0x74)
            entries[name] = (kind, start, size & 0xFFFFFFFF)
        return entries

    def stream(self, names: tuple[str, ...]) -> bytes:
        """The bytes of the first stream found under one of ``names``."""
        entries = self.entries()
        root = next((e for e in entries.values() if e[0] == 5), None)
        for name in names:
            if name in entries and entries[name][0] == 2:
                _, start, size = entries[name]
                if size >= self.cutoff or root is None:
                    return self._read(start, size)
                return self._mini(root, start, size)
        msg = f"no {' or '.join(names)} stream"
        raise NotCompoundFile(msg)

    def _mini(self, root: tuple[int, int, int], start: int, size: int) -> bytes:
        """A small stream, held in the mini stream (64-byte sectors)."""
        ministream = self._read(root[1], root[2])
        raw = self._read(self.minifat_start) if self.minifat_start < self.limit else b""
        minifat = list(struct.unpack_from(f"<{len(raw) // 4}I", raw))
        limit = max(1, len(ministream) // self.mini_size)
        parts = [ministream[s * self.mini_size:(s + 1) * self.mini_size]
                 for s in _chain(minifat, start, limit)]
        return b"".join(parts)[:size]


def _records(book: bytes, pos: int):
    """(type, body) of each record from ``pos`` to the end of its substream."""
    while pos + 4 <= len(book):
        kind, length = struct.unpack_from("<HH", book, pos)
        yield kind, book[pos + 4:pos + 4 + length]
        pos += 4 + length
        if kind == _EOF:
            return


def _sheet_name(body: bytes) -> tuple[int, int, str]:
    """(stream offset, sheet type, name) of a BOUNDSHEET record (BIFF8 short string)."""
    offset, _state, kind, count, flags = struct.unpack_from("<IBBBB", body)
    raw = body[8:]
    name = raw[:count * 2].decode("utf-16-le", "replace") if flags & 1 else \
        raw[:count].decode("latin-1")
    return offset, kind, name


def xls_merged_ranges(data: bytes) -> dict[str, list[Range]]:
    """Merged cell ranges per worksheet of an ``.xls``.

    Args:
        data: the workbook's bytes.

    Returns:
        sheet name -> (first row, first col, last row, last col), rows 1-based, columns
        0-based and absolute.

    Raises:
        NotCompoundFile: when the bytes are not a BIFF8 workbook.
    """
    book = _Compound(data).stream(("Workbook", "Book"))
    sheets = [_sheet_name(body) for kind, body in _records(book, 0) if kind == _BOUNDSHEET]
    out: dict[str, list[Range]] = {}
    for offset, kind, name in sheets:
        if kind != 0 or offset >= len(book):
            continue
        ranges: list[Range] = []
        for rec, body in _records(book, offset):
            if rec == _MERGEDCELLS and len(body) >= 2:
                count = min(struct.unpack_from("<H", body)[0], (len(body) - 2) // 8)
                for i in range(count):
                    r0, r1, c0, c1 = struct.unpack_from("<HHHH", body, 2 + 8 * i)
                    ranges.append((r0 + 1, c0, r1 + 1, c1))
        out[name] = ranges
    return out


def password_protected(data: bytes) -> bool:
    """Whether an OLE2 file is a password-protected workbook.

    An encrypted ``.xlsx`` (Excel, WPS) is a compound file holding an ``EncryptedPackage``
    stream; an encrypted ``.xls`` has a ``FILEPASS`` record in its workbook globals.

    Args:
        data: the file's bytes.

    Returns:
        True when it is encrypted; False for anything else (also for damaged bytes).
    """
    try:
        compound = _Compound(data)
        if "EncryptedPackage" in compound.entries():
            return True
        book = compound.stream(("Workbook", "Book"))
    except (NotCompoundFile, struct.error, IndexError):
        return False
    for kind, _ in _records(book, 0):
        if kind == _FILEPASS:
            return True
        if kind == _BOUNDSHEET:
            return False
    return False
