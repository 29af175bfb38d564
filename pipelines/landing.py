"""What a landing folder holds: data files, steward files, and everything else with a reason.

The folder is listed here ONCE for every user: ingest reads :attr:`Landing.data`, the landing
sensor watches :attr:`Landing.watched`, the settle check waits on it, and whatever is neither
is reported in :attr:`Landing.skipped` with the reason and what to do, never dropped silently.

Examples:
    >>> from pathlib import Path
    >>> landing = list_landing(Path("demo/landing"))  # doctest: +SKIP
    >>> [p.name for p in landing.data], [str(s) for s in landing.skipped]  # doctest: +SKIP
    (['参保名单.xlsx', …], ['_draft.csv: name starts with "_" (a draft) - rename it to be read'])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.domain.identity import mask_ids_in_text

# Files the readers in ``pipelines.read`` turn into grids.
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
DATA_SUFFIXES = TEXT_SUFFIXES + WORKBOOK_SUFFIXES
# The steward's own files in the landing folder (header mapping, match decisions).
MAPPING_FILE = "sanji_mapping.yaml"
DECISIONS_FILE = "decisions.csv"
STEWARD_FILES = (MAPPING_FILE, DECISIONS_FILE)
# Extract formats a department may send that are not read (yet): the fix to give.
UNREAD_FORMATS = {
    ".et": "WPS spreadsheet (.et) is not read - save it as .xlsx",
    ".ods": "OpenDocument spreadsheet (.ods) is not read - save it as .xlsx",
    ".xlsb": "binary Excel workbook (.xlsb) is not read - save it as .xlsx",
}


@dataclass(frozen=True)
class Skipped:
    """A landing entry that is not read, and why.

    Attributes:
        name: the file or folder name.
        reason: why it is skipped and what to do to have it read.
    """

    name: str
    reason: str

    def __str__(self) -> str:
        """``name: reason``, ID-like runs of the name masked."""
        return str(mask_ids_in_text(f"{self.name}: {self.reason}"))


@dataclass(frozen=True)
class Landing:
    """A landing folder, listed.

    Attributes:
        folder: the folder.
        data: the extracts to read (``DATA_SUFFIXES``), sorted by name.
        steward: the steward files present (``sanji_mapping.yaml``, ``decisions.csv``).
        skipped: everything else at the top of the folder, each with its reason.
    """

    folder: Path
    data: tuple[Path, ...]
    steward: tuple[Path, ...]
    skipped: tuple[Skipped, ...]

    @property
    def watched(self) -> tuple[Path, ...]:
        """The files whose change means a new run: the extracts and the steward files."""
        return tuple(sorted(self.data + self.steward, key=lambda p: p.name))

    def file(self, name: str) -> Path | None:
        """The steward file called ``name``, if present."""
        return next((p for p in self.steward if p.name == name), None)


def skip_reason(path: Path, folder: Path) -> str | None:
    """Why an entry of the landing folder is not read, or None when it is data or steward's.

    Args:
        path: an entry at the top of ``folder``.
        folder: the landing folder.

    Returns:
        The reason with the fix, or None.
    """
    name, suffix = path.name, path.suffix.lower()
    if name.startswith("~$"):
        return "Office lock file (the workbook is open in Excel or WPS) - close it"
    if name.startswith("."):
        return "hidden file"
    if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
        return "link to a file outside the landing folder - copy the file in instead"
    if path.is_dir():
        return "folder - only files at the top of the landing folder are read"
    if not path.is_file():
        return "not a regular file"
    if name in STEWARD_FILES:
        return None
    if name.startswith("_"):
        return 'name starts with "_" (a draft) - rename it to be read'
    if path.stem.lower() == Path(DECISIONS_FILE).stem:
        return f"steward decisions are read from {DECISIONS_FILE} only - save it as CSV"
    if suffix in DATA_SUFFIXES:
        return None
    return UNREAD_FORMATS.get(
        suffix, "not an extract (.csv, .txt, .tsv, .xlsx, .xls) or a steward file")


def list_landing(folder: Path) -> Landing:
    """List the top of a landing folder: data files, steward files, skipped entries.

    Args:
        folder: the landing folder (a missing folder lists as empty).

    Returns:
        The listing; every entry is in exactly one of ``data``, ``steward``, ``skipped``.
    """
    folder = Path(folder)
    entries = sorted(folder.iterdir(), key=lambda p: p.name) if folder.is_dir() else []
    data, steward, skipped = [], [], []
    for path in entries:
        reason = skip_reason(path, folder)
        if reason is not None:
            skipped.append(Skipped(path.name, reason))
        elif path.name in STEWARD_FILES:
            steward.append(path)
        else:
            data.append(path)
    return Landing(folder, tuple(data), tuple(steward), tuple(skipped))
