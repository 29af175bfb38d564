"""The steward's mapping (``sanji_mapping.yaml``): header words, pins and value words.

A county's steward adds what the built-in vocabulary (``pipelines/domain/*.yaml``) lacks::

    # sanji_mapping.yaml
    poverty_roster:                 # header variants per extract and field
      id_number: [身份证号(新), 证件号码1]
      unused: [备用列]              # headers never to be read (stops an inferred guess)
    regions:
      name: [村名]
    pin:                            # a file (and sheet) glob that always holds one extract
      "扶贫*.csv": poverty_roster
      "卫健*.xlsx#随访*": chronic_followup
    values:                         # value words per code list and canonical code
      enrolment_status:
        参保缴费: [正常在保]
      risk_cause:
        因病: [病]

``sanji check`` writes a proposed file of this shape (``pipelines.check``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from pipelines.domain.codes import CODE_LISTS
from pipelines.domain.extracts import CLINIC_LIST, CLINICS, EXTRACTS, REGION_FIELDS
from pipelines.domain.identity import mask_ids_in_text
from pipelines.domain.vocabulary import normalise_header, normalise_value
from pipelines.errors import UserInputError

REGIONS = "regions"
UNUSED = "unused"
MAPPING_FILE = "sanji_mapping.yaml"


def fields_of(extract: str) -> dict[str, tuple[str, ...]] | None:
    """The built-in fields and header words of an extract, the region table or clinic list.

    Args:
        extract: an extract name, ``regions`` or ``village_clinic``.

    Returns:
        field -> header words, or None for an unknown name.
    """
    if extract == REGIONS:
        return REGION_FIELDS
    if extract == CLINICS:
        return CLINIC_LIST.fields
    spec = EXTRACTS.get(extract)
    return spec.fields if spec else None


def _fail(msg: str) -> NoReturn:
    """Raise ValueError with every ID-like run of the message masked."""
    raise ValueError(mask_ids_in_text(msg))


def _load_yaml(path: Path) -> dict[str, Any]:
    """The parsed mapping file, or a UserInputError naming the file, row and column."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        msg = "not UTF-8 text: save it as UTF-8"
        raise UserInputError(msg, file=path.name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        msg = f"not valid YAML: {problem} (see pipelines/mapping.example.yaml)"
        raise UserInputError(msg, file=path.name, row=mark.line + 1 if mark else None,
                             column=str(mark.column + 1) if mark else None) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        msg = (f"expected sections like `poverty_roster:`, found a {type(raw).__name__} "
               "(see pipelines/mapping.example.yaml)")
        raise UserInputError(msg, file=path.name)
    return raw


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(value)] if isinstance(value, str | int | float) else [str(v) for v in value]


def _values(path: Path, raw: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """The ``values`` section, checked against the code lists."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, codes in (raw or {}).items():
        if name not in CODE_LISTS:
            _fail(f"{path}: values: unknown code list {name!r}; known: {sorted(CODE_LISTS)}")
        known = CODE_LISTS[name].codes
        for code, words in (codes or {}).items():
            if str(code) not in known:
                _fail(f"{path}: values: {name} has no code {code!r}; codes: {list(known)}")
            out.setdefault(name, {})[str(code)] = _as_list(words)
    return out



@lru_cache(maxsize=1 << 14, typed=True)
def header_word(word: object) -> str:
    """:func:`normalise_header` of a vocabulary word, worked out once per process: recognising
    the demo county's eight files asked for the same few hundred words 40,000 times."""
    return normalise_header(word)


@dataclass
class HeaderMapping:
    """The steward's words: header variants, pins and value words.

    Attributes:
        extra: extract (or "regions", "village_clinic") -> field (or "unused") -> header words.
        pin: file glob (optionally ``glob#sheet-glob``) -> extract name.
        values: code list -> canonical code -> value words.
    """

    extra: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    pin: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path) -> HeaderMapping:
        """Load a steward mapping file.

        Args:
            path: the YAML file (see the module docstring for its shape).

        Returns:
            The mapping.

        Raises:
            UserInputError: (a ValueError) when the file is not UTF-8 YAML of this shape (with
                the row and column of a YAML syntax error), or names an unknown extract,
                field, code list or code.
        """
        raw = _load_yaml(Path(path))
        try:
            return cls.from_dict(raw, str(path))
        except (AttributeError, TypeError) as exc:  # a list or text where sections belong
            msg = (f"unexpected shape ({type(exc).__name__}: {exc}): write sections like "
                   "`poverty_roster:` holding `field: [header, ...]` (see "
                   "pipelines/mapping.example.yaml)")
            raise UserInputError(msg, file=Path(path).name) from None

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "mapping") -> HeaderMapping:
        """A mapping from its parsed YAML (see :meth:`from_yaml`)."""
        raw = dict(raw)
        pin = {str(k): str(v) for k, v in (raw.pop("pin", None) or {}).items()}
        values = _values(Path(where), raw.pop("values", None))
        extra: dict[str, dict[str, list[str]]] = {}
        for extract, fields in raw.items():
            known = fields_of(extract)
            if known is None:
                _fail(f"{where}: unknown extract {extract!r}; known: {sorted(EXTRACTS)} + "
                      f"{REGIONS}, {CLINICS}")
            for name, variants in (fields or {}).items():
                if name not in known and name != UNUSED:
                    _fail(f"{where}: extract {extract!r} has no field {name!r}; known: "
                          f"{list(known)}")
                extra.setdefault(extract, {})[name] = _as_list(variants)
        for glob, extract in pin.items():
            if fields_of(extract) is None:
                _fail(f"{where}: pin {glob!r} names unknown extract {extract!r}")
        return cls(extra=extra, pin=pin, values=values)

    def variants(self, extract: str) -> dict[str, list[str]]:
        """Header variants per field of an extract, normalised, built-in ones first.

        Args:
            extract: extract name, "regions" or "village_clinic".

        Returns:
            field -> normalised header variants.
        """
        base = fields_of(extract) or {}
        out = {f: [header_word(v) for v in vs] for f, vs in base.items()}
        for name, values in self.extra.get(extract, {}).items():
            if name != UNUSED:
                out[name] = [*out[name], *(header_word(v) for v in values)]
        return out

    def steward_headers(self, extract: str) -> dict[str, str]:
        """Normalised header -> field for the steward's own header words of an extract."""
        return {normalise_header(v): name for name, values in self.extra.get(extract, {}).items()
                if name != UNUSED for v in values}

    def unused(self, extract: str) -> set[str]:
        """Normalised headers the steward says never to read in an extract."""
        return {normalise_header(v) for v in self.extra.get(extract, {}).get(UNUSED, [])}

    def value_words(self, code_list: str) -> dict[str, str]:
        """Normalised value word -> code, the steward's words for a code list."""
        return {normalise_value(w): code for code, words in self.values.get(code_list, {}).items()
                for w in words}

    def pinned(self, source_file: str, sheet: str) -> str | None:
        """The extract pinned to a file (and sheet), if any.

        Args:
            source_file: file name.
            sheet: sheet name ("" for CSV).

        Returns:
            The extract name or None.
        """
        glob = self.pin_glob(source_file, sheet)
        return None if glob is None else self.pin[glob]

    def pin_glob(self, source_file: str, sheet: str) -> str | None:
        """The pin glob that names a file (and sheet), if any (for reporting)."""
        for glob in self.pin:
            file_glob, _, sheet_glob = glob.partition("#")
            if fnmatch.fnmatch(source_file, file_glob) and (
                not sheet_glob or fnmatch.fnmatch(sheet, sheet_glob)
            ):
                return glob
        return None
