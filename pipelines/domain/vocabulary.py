"""The vocabulary files and the two ways words are compared: headers and values.

``headers.yaml`` (which column is which field) and ``values.yaml`` (the code lists) ship in this
package and are read once. Header cells and categorical values are compared after the same
normalisation everywhere: the loaders normalise the vocabulary with :func:`normalise_header` /
:func:`normalise_value`, and ingest normalises what it reads with the same functions (on unique
values only).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
# libyaml's parser when PyYAML has it (the wheels do): the same documents, ~10x less CPU (the
# two vocabularies cost ~0.09 CPU s of every process's start-up with the pure-Python one).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")"})
_INVISIBLE = r"[\s*＊\u200b-\u200f\u2028-\u202f\u2060\ufeff\u3000]+"
# (元) (必填) (万元) (单位:元) and a trailing 1-2 digit index (致贫/返贫风险1 .. 5).
_HEADER_TAIL = re.compile(r"(\((元|万元|必填|选填|单位:元|单位:万元)\))+$")
_HEADER_INDEX = re.compile(r"(?<=[^\d(])\d{1,2}$")
_GUARD = re.compile(r'^="(.*)"$|^\'(.*)$', re.S)
_CODE_SUFFIX = re.compile(r"(?<=[^\d\s])\s*[-－—_]\s*\d{2,6}$|\(\d{1,6}\)$")
_CODE_PREFIX = re.compile(r"^\d{1,6}\s*[-－—|:：]\s*(?=\D)")


@cache
def load(name: str) -> dict[str, Any]:
    """A vocabulary file of this package, parsed.

    Args:
        name: ``headers`` or ``values``.

    Returns:
        The YAML document.
    """
    path = HERE / f"{name}.yaml"
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def normalise_header(header: object) -> str:
    """Normalise a header cell for matching.

    NFKC, whitespace, ``*`` and zero-width characters removed, （）【】[] -> (), lower case, a
    trailing (元) / (万元) / (必填) dropped, and a trailing 1-2 digit index dropped (several
    columns of one field: 致贫/返贫风险1 … 致贫/返贫风险5).

    Args:
        header: the header cell (None for an empty cell).

    Returns:
        The normalised header ("" for an empty cell).

    Examples:
        >>> normalise_header(" 总费用（元） ")
        '总费用'
        >>> normalise_header("致贫/返贫风险3")
        '致贫/返贫风险'
    """
    if header is None:
        return ""
    text = unicodedata.normalize("NFKC", str(header)).translate(_BRACKETS)
    text = re.sub(_INVISIBLE, "", text).lower()
    text = _HEADER_TAIL.sub("", text)
    stripped = _HEADER_INDEX.sub("", text)
    return stripped or text


def strip_guard(text: str) -> str:
    """Remove Excel's text guards: ``="4101…"`` and a leading apostrophe.

    Args:
        text: a cell.

    Returns:
        The cell without the guard.
    """
    m = _GUARD.match(text)
    if not m:
        return text
    return m.group(1) if m.group(1) is not None else m.group(2)


def normalise_value(value: object) -> str:
    """Normalise a categorical cell for lookup in a code list.

    NFKC, whitespace and zero-width characters removed, Excel's ``="…"`` guard and a leading
    apostrophe removed, brackets made ASCII, a national code suffix or prefix removed
    (特困人员-7131, 390-城乡居民基本医疗保险, 男(1), 1|男), lower case.

    Args:
        value: the cell (None for empty).

    Returns:
        The normalised value ("" for an empty cell).

    Examples:
        >>> normalise_value(' ="特困人员-7131" ')
        '特困人员'
        >>> normalise_value("2型糖尿病")
        '2型糖尿病'
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_BRACKETS)
    text = strip_guard(re.sub(_INVISIBLE, "", text))
    text = re.sub(_INVISIBLE, "", text)
    bare = _CODE_PREFIX.sub("", _CODE_SUFFIX.sub("", text))
    return (bare or text).lower()
