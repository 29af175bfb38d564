"""The extracts a county lands: who sends each, its fields, and the header words for them.

The words are data (``headers.yaml`` beside this module); this module builds from them:

- ``EXTRACTS``: each extract sanji recognises, the department that sends it, its canonical
  fields with the header variants the departments' systems use, the code list each
  categorical field is mapped to, the headers sanji knows and does not read, and the headers
  that identify it (its signature).
- ``CLINIC_LIST``: the village clinic list (村卫生室), recognised like the region table.
- ``REGION_FIELDS``: the columns of the county's division table (统计用区划代码).
- ``DATE_FIELDS``, ``MONEY_FIELDS`` and ``BOOL_FIELDS`` say how an extract's own fields are
  typed (:func:`field_type`). The columns every accepted record carries are the contract
  ``schemas.canonical.PersonRecords``.
- ``FALLBACK``: the role, base and money words of the fallback for unseen headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipelines.domain.codes import CODE_LISTS
from pipelines.domain.vocabulary import load, normalise_header

PERSON_FIELDS = ("name", "id_number", "sex", "birth_date", "township", "village", "village_code")
CLINICS = "village_clinic"


@dataclass(frozen=True)
class ExtractSpec:
    """One kind of extract: who sends it, which fields it has, how to recognise it.

    Attributes:
        name: canonical extract name, also the Dagster asset and table stem.
        department: key of ``DEPARTMENTS``.
        title: Chinese name stewards use for it.
        fields: canonical field -> header variants (first is canonical).
        required: fields that must be present among the headers.
        signature: headers (canonical field names) whose joint presence identifies it.
        sheet_hints: sheet names that identify it in a workbook.
        one_row_per_person: True when the extract lists each person once, so two of its
            records are two different people (a cannot-link constraint in linkage).
        codes: categorical field -> the code list (``CODE_LISTS``) its values map to.
        multi: fields read from several columns, several values per cell (a list of codes).
        unused: headers (normalised) of this extract's systems that sanji does not read.
    """

    name: str
    department: str
    title: str
    fields: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    signature: tuple[str, ...]
    sheet_hints: tuple[str, ...] = ()
    one_row_per_person: bool = False
    person_fields: tuple[str, ...] = PERSON_FIELDS
    codes: dict[str, str] = field(default_factory=dict)
    multi: frozenset[str] = frozenset()
    unused: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FallbackWords:
    """The words of the fallback for headers never seen (all normalised).

    Attributes:
        roles: subject / head / other_party -> role words (患者, 户主, 监护人 …).
        base_words: person field -> words naming it inside a longer header (身份证 …).
        date_words: words that make a header a date (日期, 时间 …).
        not_event: words that make a date a plan or deadline, not the event (下次, 预约 …).
        money_words: words that make a header money (费用, 金额 …).
        not_money: words that make it a ratio, count or label instead (比例, 次数 …).
        money_qualifiers: (money field, qualifier words), most specific first.
        not_place: words that make a place word name a facility (乡镇卫生院).
        data_digits: a header cell with a run of this many digits is data, not a header.
    """

    roles: dict[str, tuple[str, ...]]
    base_words: dict[str, tuple[str, ...]]
    date_words: tuple[str, ...]
    not_event: tuple[str, ...]
    money_words: tuple[str, ...]
    not_money: tuple[str, ...]
    money_qualifiers: tuple[tuple[str, tuple[str, ...]], ...]
    not_place: tuple[str, ...]
    data_digits: int


def _norm(words: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise_header(w) for w in words or ()))


_RAW = load("headers")
PERSON_HEADERS: dict[str, tuple[str, ...]] = {
    name: tuple(str(h) for h in words) for name, words in _RAW["person"].items()
}
UNUSED_HEADERS: frozenset[str] = frozenset(_norm(_RAW["unused"]))


def _field(name: str, body: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """A field's header words (person words first for a person field) and its options."""
    options = body if isinstance(body, dict) else {"headers": body}
    own = tuple(str(h) for h in options.get("headers") or ())
    words = (*PERSON_HEADERS.get(name, ()), *own)
    return tuple(dict.fromkeys(words)), options


def _check_words(where: str, fields: dict[str, tuple[str, ...]], unused: frozenset[str]) -> None:
    """A normalised header names one field of an extract, and no unused header names one."""
    seen: dict[str, str] = {}
    for name, words in fields.items():
        for word in _norm(words):
            if seen.setdefault(word, name) != name:
                msg = f"headers.yaml {where}: {word!r} names both {seen[word]!r} and {name!r}"
                raise ValueError(msg)
            if word in unused:
                msg = f"headers.yaml {where}: {word!r} is both field {name!r} and unused"
                raise ValueError(msg)


def _spec(name: str, raw: dict[str, Any], department: str = "",
          person_fields: tuple[str, ...] = PERSON_FIELDS) -> ExtractSpec:
    fields, codes, multi, types = {}, {}, set(), {}
    for fname, body in raw["fields"].items():
        fields[fname], options = _field(fname, body)
        if options.get("codes"):
            codes[fname] = CODE_LISTS[options["codes"]].name
        if options.get("multi"):
            multi.add(fname)
        if options.get("type"):
            types[fname] = options["type"]
    own_unused = frozenset(_norm(raw.get("unused")))
    _check_words(name, fields, own_unused)
    field_words = {w for words in fields.values() for w in _norm(words)}
    unused = own_unused | (UNUSED_HEADERS - field_words)
    _TYPES.update(types)
    return ExtractSpec(
        name=name, department=raw.get("department", department), title=raw.get("title", name),
        fields=fields, required=tuple(raw["required"]), signature=tuple(raw["signature"]),
        sheet_hints=tuple(raw.get("sheet_hints") or ()),
        one_row_per_person=bool(raw.get("one_row_per_person")), person_fields=person_fields,
        codes=codes, multi=frozenset(multi), unused=unused,
    )


_TYPES: dict[str, str] = {}
EXTRACTS: dict[str, ExtractSpec] = {
    name: _spec(name, raw) for name, raw in _RAW["extracts"].items()
}
CLINIC_LIST: ExtractSpec = _spec(CLINICS, {"title": "村卫生室名单", **_RAW["clinics"]},
                                 department="health", person_fields=())


def _fallback(raw: dict[str, Any]) -> FallbackWords:
    return FallbackWords(
        roles={k: _norm(v) for k, v in raw["roles"].items()},
        base_words={k: _norm(v) for k, v in raw["base_words"].items()},
        date_words=_norm(raw["date_words"]),
        not_event=_norm(raw["not_event"]),
        money_words=_norm(raw["money_words"]),
        not_money=_norm(raw["not_money"]),
        money_qualifiers=tuple((str(f), _norm(w)) for f, w in raw["money_qualifiers"]),
        not_place=_norm(raw["not_place"]),
        data_digits=int(raw["data_digits"]),
    )


FALLBACK = _fallback(_RAW["recognition"])

# The county's statistical division table (统计用区划代码), read from the landing folder.
REGION_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("区划代码", "统计用区划代码", "代码", "code"),
    "name": ("名称", "区划名称", "单位名称", "name"),
    "level": ("级别", "层级", "level"),
    "parent_code": ("上级代码", "上级区划代码", "parent_code"),
    "former_name": ("曾用名", "原名称"),
}
REGION_LEVELS = {"县": "county", "乡镇": "township", "村": "village"}

DATE_FIELDS = frozenset(f for f, t in _TYPES.items() if t == "date")
MONEY_FIELDS = frozenset(f for f, t in _TYPES.items() if t == "money")
BOOL_FIELDS = frozenset(f for f, t in _TYPES.items() if t == "bool")


def field_type(name: str) -> pl.DataType:
    """The polars type of an extract field.

    Args:
        name: canonical field name.

    Returns:
        Date, Float64, Boolean or String.
    """
    if name in DATE_FIELDS:
        return pl.Date()
    if name in MONEY_FIELDS:
        return pl.Float64()
    if name in BOOL_FIELDS:
        return pl.Boolean()
    return pl.String()
