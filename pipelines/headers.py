"""Which header is which field: exact words first, then a principled fallback, every decision kept.

For one grid and one candidate extract, :func:`match_headers` decides for every header cell:

- ``builtin``: a header word of the vocabulary (``pipelines/domain/headers.yaml``);
- ``steward``: a header word of the steward's ``sanji_mapping.yaml``;
- ``unused``: a header sanji knows and does not read (序号, 民族, 个人账户支出 …);
- ``inferred``: an unseen header the fallback (:func:`infer`) maps to one field, unambiguously;
- ``duplicate``: a second column for a field already read (not a list field);
- ``unmapped``: nothing applies, or the fallback refused (the note says why).

The fallback, for headers never seen, in order:

1. a header that looks like data (a run of digits, a date) or is one character is refused;
2. a money header (a money word, no ratio or count word) is the money field its most specific
   qualifier names (大病 before 统筹; 先行自付 is self pay, never out of pocket); a money field
   this extract does not have is refused;
3. otherwise the candidates are the fields one of whose words the header contains, the person
   fields whose base word it contains (身份证 / 证件号 -> ID, 姓名 -> name …), and the date
   fields whose word stem it contains (签约生效时间 -> 签约 -> contract_date); role words decide
   whose name or ID it is: 户主 makes a name the head's, 监护人 / 家属 / 医生 … (other party)
   make it nobody's, a subject role before a base word is only the role (签约居民身份证号 is an
   ID); a place word in a facility name (乡镇卫生院) is no place; a date with 下次 / 预约 / 截止 …
   is a plan, not the event;
4. exactly one candidate field not yet read: accepted as ``inferred``; none: ``unmapped``;
   several, or a field already read: refused, naming the candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.domain.extracts import DATE_FIELDS, FALLBACK, ExtractSpec
from pipelines.mapping import HeaderMapping, header_word

PERSON_FIELDS = ("name", "id_number", "sex", "birth_date")
PLACE_FIELDS = ("township", "village", "village_code")
_DATE_LIKE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}")


@dataclass(frozen=True)
class Decision:
    """What sanji made of one header cell.

    Attributes:
        column: the grid column (c0, c1 …).
        header: the header as written.
        field: the canonical field, or None.
        how: builtin, steward, inferred, unused, duplicate or unmapped; derived (a field
            worked out from others) or absent (a person field with no column).
        note: why (the rule that inferred it, the reason it was refused).
    """

    column: str
    header: str
    field: str | None
    how: str
    note: str = ""


def _role(header: str) -> tuple[str | None, str]:
    """('other' | 'head' | 'subject' | None, the role word) of a header."""
    for role, key in (("other", "other_party"), ("head", "head"), ("subject", "subject")):
        for word in sorted(FALLBACK.roles[key], key=len, reverse=True):
            if word in header:
                return role, word
    return None, ""


def _money_kind(header: str) -> tuple[str, str] | None:
    """(money field or "", qualifier) for a money header; None when it is not money."""
    if not any(w in header for w in FALLBACK.money_words):
        return None
    if any(w in header for w in FALLBACK.not_money):
        return None
    for name, words in FALLBACK.money_qualifiers:
        for word in words:
            if word in header:
                return name, word
    return "", ""


def _date_stem(text: str) -> str:
    for word in sorted(FALLBACK.date_words, key=len, reverse=True):
        text = text.replace(word, "")
    return text


def _person_candidates(header: str, spec: ExtractSpec) -> tuple[dict[str, str], str]:
    """Base-word candidates for the person fields, with the role decision."""
    role, word = _role(header)
    out: dict[str, str] = {}
    for name in (*PERSON_FIELDS, *PLACE_FIELDS):
        hit = next((w for w in FALLBACK.base_words.get(name, ()) if w in header), None)
        if hit and name in spec.fields:
            out[name] = f"contains {hit}"
    if role == "other":
        return {}, f"other party ({word}): not the row's person"
    if role == "head":
        head = {"head_name": f"contains {word}+姓名"} if (
            "name" in out and "head_name" in spec.fields) else {}
        return head, f"household head ({word})"
    return out, ""


def _word_candidates(header: str, spec: ExtractSpec, variants: dict[str, list[str]]
                     ) -> dict[str, str]:
    """Fields one of whose words (2+ characters) the header contains; date fields by stem."""
    out: dict[str, str] = {}
    stem = _date_stem(header) if any(w in header for w in FALLBACK.date_words) else None
    for name, words in variants.items():
        hit = max((w for w in words if len(w) >= 2 and w in header), key=len, default=None)
        if hit:
            out[name] = f"contains {hit}"
        elif stem and name in DATE_FIELDS and name in spec.fields:
            stems = {_date_stem(w) for w in words} - {""}
            near = max((s for s in stems if len(s) >= 2 and s in stem), key=len, default=None)
            if near:
                out[name] = f"date, contains {near}"
    return out


def infer(header: str, spec: ExtractSpec, variants: dict[str, list[str]]
          ) -> tuple[dict[str, str], str]:
    """Candidate fields of an unseen (normalised) header, and a note when refused.

    Args:
        header: the normalised header.
        spec: the extract.
        variants: field -> normalised header words (built-in and steward).

    Returns:
        (field -> the rule that names it, note); an empty dict with a note when refused.
    """
    if len(header) < 2 or _DATE_LIKE.search(header) or re.search(
            rf"\d{{{FALLBACK.data_digits},}}", header):
        return {}, "looks like data, not a header"
    money = _money_kind(header)
    if money is not None and money[0]:
        name, word = money
        if name not in spec.fields:
            return {}, f"money column of kind {name} ({word}), not read from this extract"
        return {name: f"money, qualifier {word}"}, ""
    people, note = _person_candidates(header, spec)
    words = _word_candidates(header, spec, variants)
    if note:  # a role decided: person fields only as the role allows
        words = {k: v for k, v in words.items() if k not in (*PERSON_FIELDS, "head_name")}
    if "name" in words and set(people) - {"name"}:  # 签约居民身份证号: 签约居民 is the role
        words.pop("name")
    if any(w in header for w in FALLBACK.not_event):  # 下次随访日期: a plan, not the event
        words = {k: v for k, v in words.items() if k not in DATE_FIELDS}
        people.pop("birth_date", None)
    if any(w in header for w in FALLBACK.not_place):
        people = {k: v for k, v in people.items() if k not in PLACE_FIELDS}
        words = {k: v for k, v in words.items() if k not in PLACE_FIELDS}
    found = {**words, **people}
    if not found:
        reason = note or ("money column, kind not told" if money is not None else "")
        return {}, reason or "no rule applies"
    return found, ""


def _exact(headers: list[str], spec: ExtractSpec, mapping: HeaderMapping,
           variants: dict[str, list[str]]) -> tuple[dict[int, tuple[str, str]], set[str]]:
    """Exact matches: position -> (field, how); and the headers that are known, unused."""
    lookup: dict[str, str] = {}
    for name, words in variants.items():
        for w in words:
            lookup.setdefault(w, name)
    builtin = {header_word(w) for words in spec.fields.values() for w in words}
    out = {i: (lookup[h], "builtin" if h in builtin else "steward")
           for i, h in enumerate(headers) if h in lookup}
    return out, set(spec.unused) | mapping.unused(spec.name)


def match_headers(headers: list[str], raw: list[str], spec: ExtractSpec,
                  mapping: HeaderMapping) -> list[Decision]:
    """Decide every header of a grid for one extract.

    Args:
        headers: the normalised header cells, one per grid column.
        raw: the same cells as written.
        spec: the candidate extract.
        mapping: the steward's mapping.

    Returns:
        One :class:`Decision` per non-empty header cell, in column order.
    """
    variants = mapping.variants(spec.name)
    exact, unused = _exact(headers, spec, mapping, variants)
    decided: dict[int, Decision] = {}
    taken: dict[str, str] = {}
    for i, (name, how) in sorted(exact.items()):
        col = f"c{i}"
        if name in taken and name not in spec.multi:
            decided[i] = Decision(col, raw[i], None, "duplicate", f"{name} already read from "
                                  f"{taken[name]!r}")
            continue
        taken.setdefault(name, raw[i])
        decided[i] = Decision(col, raw[i], name, how)
    guesses: dict[int, tuple[dict[str, str], str]] = {}
    for i, h in enumerate(headers):
        if not h or i in decided:
            continue
        if h in unused:
            decided[i] = Decision(f"c{i}", raw[i], None, "unused", "known, not read")
            continue
        guesses[i] = infer(h, spec, variants)
    decided.update(_resolve(guesses, raw, taken, spec))
    return [decided[i] for i in sorted(decided)]


def _resolve(guesses: dict[int, tuple[dict[str, str], str]], raw: list[str],
             taken: dict[str, str], spec: ExtractSpec) -> dict[int, Decision]:
    """Accept a guess only when it names one free field no other guess names."""
    wanted: dict[str, list[int]] = {}
    for i, (cands, _) in guesses.items():
        if len(cands) == 1:
            wanted.setdefault(next(iter(cands)), []).append(i)
    out: dict[int, Decision] = {}
    for i, (cands, note) in guesses.items():
        col = f"c{i}"
        if not cands:
            out[i] = Decision(col, raw[i], None, "unmapped", note)
            continue
        names = sorted(cands)
        if len(names) > 1:
            out[i] = Decision(col, raw[i], None, "unmapped",
                              f"ambiguous: {', '.join(f'{n} ({cands[n]})' for n in names)}")
            continue
        name = names[0]
        if name in taken and name not in spec.multi:
            out[i] = Decision(col, raw[i], None, "unmapped",
                              f"{name} ({cands[name]}) already read from {taken[name]!r}")
        elif len(wanted[name]) > 1 and name not in spec.multi:
            others = [raw[j] for j in wanted[name] if j != i]
            out[i] = Decision(col, raw[i], None, "unmapped",
                              f"ambiguous: {name} also inferred from {others}")
        else:
            out[i] = Decision(col, raw[i], name, "inferred", cands[name])
    return out
