"""Canonical code lists: the categorical values the rules and rollups reason about.

The lists and their words are data (``values.yaml`` beside this module); this module loads them
into :class:`CodeList` objects (``CODE_LISTS``) and names the code tuples the rest of sanji
uses. Ingest maps every categorical cell to one of these codes
(``pipelines.ingest.values``); rules and rollups compare only codes, through the predicates of
:mod:`pipelines.domain.predicates`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.domain.vocabulary import load, normalise_header, normalise_value

TRUE_CODE, FALSE_CODE = "是", "否"


@dataclass(frozen=True)
class CodeList:
    """One list of canonical codes and the words for them.

    Attributes:
        name: the list's name (a key of ``values.yaml``).
        about: what the list is.
        codes: the canonical codes, in order.
        words: normalised word -> code (every code is a word for itself).
        groups: named subsets of the codes.
        digits: bare numeric codes valid in any column of this list.
        contextual: normalised header word -> {normalised value -> code}.
    """

    name: str
    about: str
    codes: tuple[str, ...]
    words: dict[str, str]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    digits: dict[str, str] = field(default_factory=dict)
    contextual: dict[str, dict[str, str]] = field(default_factory=dict)

    def group(self, name: str) -> tuple[str, ...]:
        """The codes of a named group.

        Args:
            name: the group.

        Returns:
            Its codes.

        Raises:
            KeyError: naming the list's groups when there is no such group.
        """
        if name not in self.groups:
            msg = f"code list {self.name!r} has no group {name!r}; groups: {sorted(self.groups)}"
            raise KeyError(msg)
        return self.groups[name]

    def lookup(self, value: str, header: str = "") -> str | None:
        """The code of one normalised value, in a column with the given header.

        Args:
            value: a value normalised with ``normalise_value``.
            header: the column's header, normalised with ``normalise_header``.

        Returns:
            The code, or None when the word is not in the list.
        """
        for word, table in self.contextual.items():
            if word in header and value in table:
                return table[value]
        return self.words.get(value) or self.digits.get(value)


def _words(name: str, codes: dict[str, list[str] | None], base: dict[str, str]) -> dict[str, str]:
    """Normalised word -> code; a word naming two codes is an error in the vocabulary."""
    words = dict(base)
    for code, synonyms in codes.items():
        for word in (code, *(synonyms or [])):
            key = normalise_value(word)
            if words.get(key, code) != code and key not in base:
                msg = f"values.yaml {name}: {word!r} names both {words[key]!r} and {code!r}"
                raise ValueError(msg)
            words[key] = code
    return words


def _code_list(name: str, raw: dict[str, Any], lists: dict[str, CodeList]) -> CodeList:
    base = lists[raw["extends"]].words if raw.get("extends") else {}
    codes = raw.get("codes") or {}
    groups = {g: tuple(v) for g, v in (raw.get("groups") or {}).items()}
    for group, members in groups.items():
        unknown = [c for c in members if c not in codes]
        if unknown:
            msg = f"values.yaml {name}: group {group} names unknown codes {unknown}"
            raise ValueError(msg)
    contextual = {
        normalise_header(h): {normalise_value(k): str(v) for k, v in table.items()}
        for h, table in (raw.get("contextual") or {}).items()
    }
    return CodeList(
        name=name,
        about=" ".join(str(raw.get("about", "")).split()),
        codes=tuple(str(c) for c in codes),
        words=_words(name, codes, base),
        groups=groups,
        digits={str(k): str(v) for k, v in (raw.get("digits") or {}).items()},
        contextual=contextual,
    )


def _load() -> tuple[dict[str, CodeList], frozenset[str]]:
    raw = load("values")
    lists: dict[str, CodeList] = {}
    for name, body in raw.items():
        if name != "null_words":
            lists[name] = _code_list(name, body, lists)
    return lists, frozenset(normalise_value(w) for w in raw.get("null_words") or ())


CODE_LISTS, NULL_WORDS = _load()

POPULATION_TYPES = CODE_LISTS["population_type"].group("registered")
MONITORING_CATEGORIES = CODE_LISTS["monitoring_category"].codes
RISK_CAUSES = CODE_LISTS["risk_cause"].group("reported")
CHRONIC_DISEASES = CODE_LISTS["chronic_disease"].group("managed")
ILLNESS_STATUSES = CODE_LISTS["treatment_status"].group("reported")
ASSISTANCE_TYPES = CODE_LISTS["assistance_type"].codes
ENROL_STATUSES = CODE_LISTS["enrolment_status"].codes
SUBSIDY_TYPES = CODE_LISTS["subsidy_type"].codes
# The 30 serious illnesses of 大病专项救治 (国卫办医函〔2019〕 30 种).
SERIOUS_ILLNESSES = CODE_LISTS["serious_illness"].codes
