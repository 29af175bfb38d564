"""Person names: NFKC, no spaces or invisible characters, one middle dot, simplified
characters, toneless pinyin.

Invisible characters (zero-width spaces and joiners, BOMs, soft hyphens, bidirectional marks,
control characters, variation selectors) are dropped. Pinyin covers every CJK ideograph
block (the extensions beyond U+9FFF too, as far as pypinyin knows them), and a name that
starts with a polyphonic surname gets the surname's reading (单 shan, 曾 zeng, 解 xie …; see
:data:`SURNAME_READINGS`), not the word's. All work is done on the unique raw names (and
their unique characters), then joined back; a raw name is worked out once per process (the
same person is in several extracts: the 500k demo county's eight grids hold 442k unique raw
names per grid, 226k in all), the answer kept in :class:`_Known`; the ingest cache keeps
them for the next night (:func:`known_names`, :func:`learn_names`), whose changed files
mostly hold known names: pypinyin and zhconv are then not even imported.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import polars as pl

# the differing phrase prefixes of the installed pypinyin, one a line under a version line
PHRASE_PREFIXES = Path(__file__).resolve().parents[1] / "data" / "pinyin_phrase_prefixes.txt"
# zhconv's one-character zh-cn conversions (traditional, tab, simplified) under a version line
SIMPLIFIED = Path(__file__).resolve().parents[1] / "data" / "zhconv_simplified.txt"
MIDDLE_DOTS = r"[·•.・‧･∙⋅･]+"
INVISIBLE = r"[\p{Cc}\p{Cf}\x{FE00}-\x{FE0F}\x{E0100}-\x{E01EF}]"
_BLANK = r"[\s\p{Cc}\p{Cf}\x{FE00}-\x{FE0F}\x{E0100}-\x{E01EF}]+"  # spaces and invisibles
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))
_HAN = "".join(f"{chr(a)}-{chr(b)}" for a, b in _HAN_RANGES)
_HAN_ONLY = re.compile(f"[{_HAN}]+")
# Surnames whose reading as a surname is not the character's common reading (toneless).
# Compound surnames come first: 单于 is chanyu, not shan + yu.
SURNAME_READINGS = {
    "单于": "chanyu", "尉迟": "yuchi", "万俟": "moqi", "长孙": "zhangsun", "澹台": "tantai",
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "查": "zha", "朴": "piao",
    "覃": "qin", "翟": "zhai", "缪": "miao", "盖": "ge", "乐": "yue", "召": "shao", "秘": "bi",
    "宓": "fu", "繁": "po", "员": "yun", "黑": "he", "种": "chong", "折": "she", "句": "gou",
    "隗": "wei", "洗": "xian", "能": "nai", "都": "du", "阚": "kan", "藏": "zang",
}


def is_han(char: str) -> bool:
    """True for a CJK ideograph of any block (basic, extension A, B … , compatibility).

    Args:
        char: one character.

    Returns:
        Whether it is a Chinese character.
    """
    return any(a <= ord(char) <= b for a, b in _HAN_RANGES)


def _toneless(syllable: str) -> str:
    """A pinyin syllable without tone marks, ü written v (as lazy_pinyin writes it)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ü", "v")


@lru_cache(maxsize=1)
def _phrases() -> list[str]:
    """Two-character prefixes of the pypinyin phrases that read differently from their
    characters' own readings (重庆 chongqing, not zhongqing).

    Only a name holding one of them can get other pinyin from the phrase-aware pass than from
    the per-character map, so only those names take that (slow) pass. They depend only on
    pypinyin's dictionaries: read from :data:`PHRASE_PREFIXES` when it was written for the
    installed pypinyin (:func:`write_phrase_prefixes`), else worked out (~0.3 CPU s).
    """
    from importlib.metadata import version

    try:
        head, *prefixes = PHRASE_PREFIXES.read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError):
        head, prefixes = "", []
    if head == f"# pypinyin {version('pypinyin')}":
        return prefixes
    return differing_prefixes()


def write_phrase_prefixes() -> None:
    """Write :func:`differing_prefixes` of the installed pypinyin to :data:`PHRASE_PREFIXES`
    (after a pypinyin upgrade: ``python -c "from pipelines.normalise.names import
    write_phrase_prefixes as w; w()"``)."""
    from importlib.metadata import version

    lines = [f"# pypinyin {version('pypinyin')}", *differing_prefixes()]
    PHRASE_PREFIXES.write_text("\n".join(lines) + "\n", encoding="utf-8")


def differing_prefixes() -> list[str]:
    """:func:`_phrases` worked out from pypinyin's phrase dictionary. Readings lose their
    tone marks through one translation table (``_toneless`` of each marked letter)."""
    from pypinyin.phrases_dict import phrases_dict

    marked = {c for readings in phrases_dict.values() for r in readings for c in r[0]}
    table = str.maketrans({c: _toneless(c) for c in marked if not c.isascii()})
    differing = set()
    for phrase, readings in phrases_dict.items():
        if len(phrase) >= 2 and [_own_pinyin(c) for c in phrase] != [
                r[0].translate(table) for r in readings]:
            differing.add(phrase[:2])
    return sorted(differing)


@cache
def _own_pinyin(char: str) -> str:
    """A character's own (first, toneless) pinyin reading."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


@lru_cache(maxsize=1)
def _simplified_table() -> dict[str, str] | None:
    """:func:`simplified_pairs` as :data:`SIMPLIFIED` holds them when it was written for the
    installed zhconv (:func:`write_simplified`), else None: then zhconv is asked."""
    from importlib.metadata import version

    try:
        head, *lines = SIMPLIFIED.read_text(encoding="utf-8").split("\n")
    except (OSError, ValueError):
        return None
    if head != f"# zhconv {version('zhconv')}":
        return None
    return dict(line.split("\t") for line in lines if line)


def simplified_pairs() -> dict[str, str]:
    """Every character zhconv's zh-cn conversion turns into one other character.

    ``zhconv.convert(char, "zh-cn")`` of one character is its entry in zhconv's merged zh-cn
    dictionary, or the character itself (the longest match from a single character is that
    character's own entry), so these pairs are all that :func:`_simplified` needs.
    """
    from zhconv import zhconv

    return {c: v for c, v in zhconv.getdict("zh-cn").items()
            if len(c) == 1 and len(v) == 1 and v != c}


def write_simplified() -> None:
    """Write :func:`simplified_pairs` of the installed zhconv to :data:`SIMPLIFIED` (after a
    zhconv upgrade: ``python -c "from pipelines.normalise.names import write_simplified as
    w; w()"``)."""
    from importlib.metadata import version

    lines = [f"# zhconv {version('zhconv')}",
             *(f"{c}\t{v}" for c, v in sorted(simplified_pairs().items()))]
    SIMPLIFIED.write_text("\n".join(lines) + "\n", encoding="utf-8")


@cache
def _simplified(char: str) -> str:
    """A character's simplified form (itself when it has none of one character); zhconv is
    imported only when :data:`SIMPLIFIED` was written for another zhconv."""
    table = _simplified_table()
    if table is not None:
        return table.get(char, char)
    import zhconv

    s = zhconv.convert(char, "zh-cn")
    return s if len(s) == 1 else char


def _char_maps(chars: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Traditional→simplified and char→pinyin maps for the given characters (each
    character's forms are looked up once per process)."""
    simp = {c: s for c in chars if (s := _simplified(c)) != c}
    han = [simp.get(c, c) for c in chars]
    pinyin = {c: _own_pinyin(c) for c in set(han) if len(c) == 1 and is_han(c)}
    return simp, pinyin


def clean_name(raw: pl.Expr) -> pl.Expr:
    """NFKC, strip all whitespace and invisible characters, unify middle dots (before
    simplification).

    Args:
        raw: the name as read.

    Returns:
        The cleaned name, null when empty.
    """
    text = (
        raw.str.normalize("NFKC")
        .str.replace_all(_BLANK, "")
        .str.normalize("NFKC")  # a dropped space can leave a mark that composes (R¸ → Ŗ)
        .str.replace_all(MIDDLE_DOTS, "·")
        .str.strip_chars("·")
    )
    return pl.when(text.str.len_chars() > 0).then(text)


# A name of basic-block ideographs only is its own clean form: they have no (compatibility)
# decomposition and none is a space, dot or invisible character.
_PLAIN = r"^[\x{4E00}-\x{9FFF}]+$"


def _clean_names(raw: pl.Series) -> pl.Series:
    """:func:`clean_name` of each name, worked out only for the names that are not plain."""
    rows = (~raw.str.contains(_PLAIN)).fill_null(True).arg_true()
    if rows.len() == 0:
        return raw.alias("_clean")
    fixed = raw.gather(rows).to_frame("v").select(clean_name(pl.col("v")))["v"]
    return raw.scatter(rows, fixed).alias("_clean")


def _unique_names(raw: pl.Series) -> pl.DataFrame:
    """name_raw -> name, name_pinyin for each unique raw name."""
    names = raw.unique().alias("name_raw")
    uniq = pl.DataFrame([names, _clean_names(names.clone())])
    chars = uniq["_clean"].drop_nulls().str.split("").explode().unique().to_list()
    simp, pinyin = _char_maps([c for c in chars if c])
    name = pl.col("_clean")
    if simp:
        name = name.str.replace_many(list(simp), list(simp.values()))
    uniq = uniq.with_columns(name.alias("name"))
    per_char = pl.col("name")
    if pinyin:
        per_char = per_char.str.replace_many(list(pinyin), list(pinyin.values()))
    uniq = uniq.with_columns(
        per_char.str.normalize("NFD").str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
        .alias("name_pinyin")
    )
    uniq = _with_surnames(uniq)
    names = uniq["name"].drop_nulls().unique()
    special = names.filter(names.str.contains_any(_phrases())).to_list()
    if special:
        fix = pl.DataFrame({"name": special, "_py": _special_pinyin(special)})
        uniq = uniq.join(fix, on="name", how="left").with_columns(
            pl.coalesce("_py", "name_pinyin").alias("name_pinyin")
        ).drop("_py")
    return uniq.drop("_clean")


@lru_cache(maxsize=1)
def _surname_defaults() -> dict[str, str]:
    """Each polyphonic surname's per-character (non-surname) pinyin, as names first get it."""
    from pypinyin import lazy_pinyin

    return {s: "".join(lazy_pinyin(c)[0] for c in s) for s in SURNAME_READINGS}


def _with_surnames(uniq: pl.DataFrame) -> pl.DataFrame:
    """:func:`_surname_fix`, worked out only for names starting as such a surname does."""
    starts = sorted({surname[0] for surname in SURNAME_READINGS})
    rows = uniq["name"].str.slice(0, 1).is_in(starts).fill_null(False).arg_true()
    if rows.len() == 0:
        return uniq
    fixed = uniq.select("name", "name_pinyin").gather(rows).select(_surname_fix()).to_series()
    return uniq.with_columns(uniq["name_pinyin"].scatter(rows, fixed))


def _surname_fix() -> pl.Expr:
    """name_pinyin with a leading polyphonic surname's reading put in place of its
    per-character pinyin (compound surnames first); names with a middle dot are left."""
    name = pl.col("name")
    key = (pl.when(name.str.slice(0, 2).is_in(list(SURNAME_READINGS))).then(name.str.slice(0, 2))
           .when(name.str.slice(0, 1).is_in(list(SURNAME_READINGS))).then(name.str.slice(0, 1)))
    default = key.replace_strict(_surname_defaults(), default=None, return_dtype=pl.String)
    reading = key.replace_strict(SURNAME_READINGS, default=None, return_dtype=pl.String)
    py = pl.col("name_pinyin")
    fits = (key.is_not_null() & ~name.str.contains("·", literal=True)
            & py.str.starts_with(default).fill_null(False))
    return pl.when(fits).then(reading + py.str.slice(default.str.len_chars())).otherwise(py)


def _special_pinyin(names: list[str]) -> list[str]:
    """Pinyin of names the per-character map may get wrong: phrase-aware, and a leading
    polyphonic surname (compound ones first) read as a surname."""
    split = []
    for n in names:
        if "·" in n:
            split.append(("", n))
        elif n[:2] in SURNAME_READINGS:
            split.append((SURNAME_READINGS[n[:2]], n[2:]))
        elif n[:1] in SURNAME_READINGS:
            split.append((SURNAME_READINGS[n[:1]], n[1:]))
        else:
            split.append(("", n))
    rests = _phrase_pinyin([rest for _, rest in split])
    return [head + rest for (head, _), rest in zip(split, rests, strict=True)]


def _phrase_pinyin(names: list[str]) -> list[str]:
    """Phrase-aware toneless pinyin (letters and digits only, lower case) per name.

    Names made only of CJK ideographs go through pypinyin in one call, joined by newlines:
    pypinyin segments each run of Han characters on its own, so the result per name is the
    same as one call per name (checked: any surprise falls back to one call per name).
    """
    from pypinyin import lazy_pinyin

    def one(items: list[str]) -> str:
        return "".join(p for p in items if p.isascii() and p.isalnum()).lower()

    han = [n for n in names if _HAN_ONLY.fullmatch(n)]
    out: dict[str, str] = {}
    if han:
        groups: list[list[str]] = [[]]
        for item in lazy_pinyin("\n".join(han)):
            if item == "\n":
                groups.append([])
            else:
                groups[-1].append(item)
        if len(groups) == len(han):
            out = {n: one(g) for n, g in zip(han, groups, strict=True)}
    return [out[n] if n in out else one(lazy_pinyin(n)) for n in names]


class _Known:
    """Raw names worked out so far in this process (``name_raw``, ``name``, ``name_pinyin``,
    one row per raw name, null included): what a name gives depends on nothing else.
    Grids may be normalised on several threads at once: new names are worked out outside the
    lock and added under it (a name another thread added meanwhile is kept once)."""

    LIMIT = 2_000_000  # rows kept at most (a long-lived process starts again past it)
    frame: pl.DataFrame | None = None
    lock = threading.Lock()

    @classmethod
    def mapping(cls, raw: pl.Series) -> pl.DataFrame:
        """The rows of every value of ``raw`` and only those (the grid's names, not all the
        process knows), the new ones worked out now and known from now on."""
        uniq, known, found = raw.rename("name_raw").unique().to_frame(), cls.frame, None
        if known is not None:
            found = known.join(uniq, on="name_raw", how="semi", nulls_equal=True)
            if found.height == uniq.height:
                return found
            uniq = uniq.join(found.select("name_raw"), on="name_raw", how="anti",
                             nulls_equal=True)
        restart = known is not None and known.height + uniq.height > cls.LIMIT
        new = _unique_names(raw.rename("name_raw") if restart else uniq["name_raw"])
        with cls.lock:
            now = cls.frame
            if now is not None and not restart:  # the known rows, and those added meanwhile
                added = new if now is known else new.join(
                    now.select("name_raw"), on="name_raw", how="anti", nulls_equal=True)
                cls.frame = pl.concat([now, added], rechunk=True)
            else:
                cls.frame = new
        return new if found is None or restart else pl.concat([found, new])


NAME_SCHEMA = {"name_raw": pl.String, "name": pl.String, "name_pinyin": pl.String}


def names_version() -> str:
    """What a name's answer depends on beyond this code: the pypinyin and zhconv versions."""
    from importlib.metadata import version

    return f"pypinyin {version('pypinyin')}, zhconv {version('zhconv')}"


def known_names() -> pl.DataFrame | None:
    """The raw names worked out in this process so far (``NAME_SCHEMA``), or None."""
    return _Known.frame


def learn_names(frame: pl.DataFrame) -> None:
    """Take names an earlier process worked out (:func:`known_names`, with the same code and
    :func:`names_version`) as known; a name known already keeps its row.

    Args:
        frame: ``name_raw``, ``name``, ``name_pinyin`` rows.
    """
    frame = frame.select(list(NAME_SCHEMA)).cast(NAME_SCHEMA).unique(
        "name_raw", keep="first", maintain_order=True)
    known = _Known.frame
    if known is not None:
        frame = pl.concat([known, frame.join(known.select("name_raw"), on="name_raw",
                                             how="anti", nulls_equal=True)], rechunk=True)
    if frame.height <= _Known.LIMIT:
        _Known.frame = frame


def normalise_names(frame: pl.DataFrame, column: str = "name_raw") -> pl.DataFrame:
    """Add ``name`` and ``name_pinyin`` from the raw name column.

    Args:
        frame: frame with the raw names (String).
        column: raw column name.

    Returns:
        The frame with ``name`` (null when empty) and ``name_pinyin``.
    """
    mapping = _Known.mapping(frame[column]).rename({"name_raw": column})
    if {"name", "name_pinyin"} & set(frame.columns):
        return frame.join(mapping, on=column, how="left", nulls_equal=True,
                          maintain_order="left")
    looked_up = frame.select(column).join(
        mapping, on=column, how="left", nulls_equal=True, maintain_order="left"
    )
    return frame.with_columns(looked_up["name"], looked_up["name_pinyin"])
