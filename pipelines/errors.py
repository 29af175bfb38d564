"""What went wrong, told apart: the user's input, a passing condition, or sanji itself.

- **User errors** (:func:`classify` -> ``"user"``): something a person supplied is wrong: a
  landing file, the steward's ``sanji_mapping.yaml`` or ``decisions.csv``, a month. Trying
  again cannot help: the run stops at once with one line naming the file, sheet, row and column
  and the fix (:class:`UserInputError`), never a traceback.
- **Transient errors** (``"transient"``): the world is not ready yet: a landing file still
  being written, the database not up, a file moved away while being read, another run holding
  the warehouse. These are tried again (Dagster's ``RetryPolicy``).
- **Defects** (``"defect"``): anything else is sanji's own fault. Trying again would fail the
  same way and bury the cause, so it is not retried either; it is reported with its type.

Every message made here passes through the ID masker (:func:`describe`), whatever it quotes.

Examples:
    >>> err = UserInputError("not a date", file="参保.csv", row=3, column="参保日期")
    >>> str(err)
    "file '参保.csv', row 3, column 参保日期: not a date"
    >>> classify(err), classify(ConnectionError("refused")), classify(KeyError("x"))
    ('user', 'transient', 'defect')
"""

from __future__ import annotations

import csv
import traceback
from typing import Literal

from pipelines.domain.identity import mask_ids_in_text

Kind = Literal["user", "transient", "defect"]
MAX_MESSAGE = 600  # characters of a message shown; the rest is cut
# Errors of the world, not of the input: tried again.
TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError, TimeoutError, BlockingIOError, InterruptedError, FileNotFoundError)
# Errors of libraries sanji does not import here, by (top-level module, class name).
TRANSIENT_NAMES = frozenset({
    ("psycopg", "OperationalError"), ("psycopg", "InterfaceError"),
    ("psycopg_pool", "PoolTimeout"), ("duckdb", "IOException"),
    ("pipelines", "WarehouseBusy"),
})
USER_TYPES: tuple[type[BaseException], ...] = (
    ValueError, csv.Error, PermissionError, IsADirectoryError, NotADirectoryError)
USER_NAMES = frozenset({("yaml", "YAMLError"), ("yaml", "MarkedYAMLError"),
                        ("yaml", "ScannerError"), ("yaml", "ParserError"),
                        ("yaml", "ConstructorError"), ("yaml", "ComposerError"),
                        ("yaml", "ReaderError")})


class UserInputError(ValueError):
    """A problem in what a person supplied, located and with the fix (message IDs masked).

    Attributes:
        problem: what is wrong (and what to do), without the location.
        file: the file's name (None when no file is concerned).
        sheet: the sheet ("" or None for a text file).
        row: the row as the person sees it (1-based, header included).
        column: the column as the person sees it (its header, or a field name).
    """

    def __init__(self, problem: str, *, file: str | None = None, sheet: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        """Keep the parts; the message is ``where: problem``, IDs masked."""
        self.problem = str(mask_ids_in_text(problem))
        self.file = None if file is None else str(mask_ids_in_text(str(file)))
        self.sheet = None if sheet is None else str(mask_ids_in_text(str(sheet)))
        self.row = row
        self.column = None if column is None else str(mask_ids_in_text(str(column)))
        super().__init__(f"{self.where}: {self.problem}" if self.where else self.problem)

    @property
    def where(self) -> str:
        """``file 'a.csv', sheet 'S', row 3, column 姓名`` (the parts that are known)."""
        parts = [f"file {self.file!r}" if self.file else "",
                 f"sheet {self.sheet!r}" if self.sheet else "",
                 f"row {self.row}" if self.row is not None else "",
                 f"column {self.column}" if self.column else ""]
        return ", ".join(p for p in parts if p)


class TransientError(RuntimeError):
    """A condition that passes (a file still being written, a service starting): retry."""


def _named(exc: BaseException, names: frozenset[tuple[str, str]]) -> bool:
    """Whether the error's class or one of its bases is in ``names`` (module, class)."""
    return any((cls.__module__.split(".")[0], cls.__name__) in names
               for cls in type(exc).__mro__)


def classify(exc: BaseException) -> Kind:
    """Whether an error is the user's, transient, or a defect of sanji (see the module).

    A transient error anywhere in the chain of causes makes the error transient (a reader
    that failed because the file vanished); otherwise the error itself decides.

    Args:
        exc: the error.

    Returns:
        ``"user"``, ``"transient"`` or ``"defect"``.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (TransientError, *TRANSIENT_TYPES)) or _named(seen, TRANSIENT_NAMES):
            return "transient"
        seen = seen.__cause__
    if isinstance(exc, USER_TYPES) or _named(exc, USER_NAMES):
        return "user"
    return "defect"


def is_transient(exc: BaseException) -> bool:
    """Whether trying again may help (see :func:`classify`)."""
    return classify(exc) == "transient"


def is_user_error(exc: BaseException) -> bool:
    """Whether the error is in what a person supplied (see :func:`classify`)."""
    return classify(exc) == "user"


def describe(exc: BaseException) -> str:
    """The error as a message a person may read: IDs masked, at most ``MAX_MESSAGE`` characters.

    User errors are their message as written (one line per problem); transient errors and
    defects are led by their type (``ConnectionError: …``).

    Args:
        exc: the error.

    Returns:
        The message (never empty).
    """
    text = " ".join(str(exc).split()) if not isinstance(exc, UserInputError) else str(exc)
    if classify(exc) != "user" or not text:
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    text = str(mask_ids_in_text(text))
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def masked_traceback(exc: BaseException) -> str:
    """The error's traceback (causes included) with every ID-like run masked, for a defect."""
    return str(mask_ids_in_text("".join(traceback.format_exception(exc))))
