"""Names: NFKC, spaces, middle dots, traditional→simplified, pinyin."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.normalise.names import normalise_names


@pytest.mark.parametrize(
    ("raw", "name", "pinyin"),
    [
        ("张伟", "张伟", "zhangwei"),
        (" 张 伟 ", "张伟", "zhangwei"),
        ("陳小華", "陈小华", "chenxiaohua"),
        ("买买提•艾力", "买买提·艾力", "maimaitiaili"),
        ("买买提.艾力", "买买提·艾力", "maimaitiaili"),
        ("买买提・艾力", "买买提·艾力", "maimaitiaili"),
        ("买买提‧艾力", "买买提·艾力", "maimaitiaili"),
        ("买买提艾力", "买买提艾力", "maimaitiaili"),
        ("ＡＢ张", "AB张", "abzhang"),
        ("  ", None, None),
        (None, None, None),
    ],
)
def test_name_table(raw: str | None, name: str | None, pinyin: str | None) -> None:
    frame = pl.DataFrame({"name_raw": [raw]}, schema={"name_raw": pl.String})
    row = normalise_names(frame).row(0, named=True)
    assert (row["name"], row["name_pinyin"]) == (name, pinyin)


def test_rows_keep_order_and_duplicates() -> None:
    raw = ["陳五", "张三", "陳五", None, "张三", "陈五"]
    out = normalise_names(pl.DataFrame({"name_raw": raw}, schema={"name_raw": pl.String}))
    assert out["name_raw"].to_list() == raw
    assert out["name"].to_list() == ["陈五", "张三", "陈五", None, "张三", "陈五"]


def test_pinyin_uses_phrases_for_polyphones() -> None:
    out = normalise_names(pl.DataFrame({"name_raw": ["重庆", "重量"]}))
    assert out["name_pinyin"].to_list() == ["chongqing", "zhongliang"]


@pytest.mark.parametrize("limit", [2_000_000, 3])
def test_names_known_from_an_earlier_frame_give_the_same_answer(monkeypatch, limit) -> None:
    # a raw name is worked out once per process: a later frame takes the known answer (or,
    # past the limit, works everything out again), its new names are worked out then
    from pipelines.normalise import names

    monkeypatch.setattr(names._Known, "LIMIT", limit)
    monkeypatch.setattr(names._Known, "frame", None)
    normalise_names(pl.DataFrame({"name_raw": ["陳五", "重庆", None]}))
    raw = ["重庆", "張三", "陳五", None, "\uf900三", "王\u200b五", "重庆"]
    out = normalise_names(pl.DataFrame({"name_raw": raw}, schema={"name_raw": pl.String}))
    assert out["name_raw"].to_list() == raw
    assert out["name"].to_list() == ["重庆", "张三", "陈五", None, "岂三", "王五", "重庆"]
    assert out["name_pinyin"].to_list() == ["chongqing", "zhangsan", "chenwu", None, "qisan",
                                            "wangwu", "chongqing"]


def test_a_frames_names_are_looked_up_among_its_own_and_all_are_known(monkeypatch) -> None:
    """A frame is joined to the rows of its own names only (not every name known), and its
    new names are known from then on, each once."""
    from pipelines.normalise import names

    monkeypatch.setattr(names._Known, "frame", None)
    normalise_names(pl.DataFrame({"name_raw": ["陳五", "重庆", None]}))
    got = names._Known.mapping(pl.Series(["張三", "陳五", "張三", None]))
    assert sorted(got["name_raw"].to_list(), key=str) == [None, "張三", "陳五"]
    assert got.filter(pl.col("name_raw") == "張三")["name"].to_list() == ["张三"]
    known = names.known_names()["name_raw"].to_list()
    assert sorted(known, key=str) == [None, "張三", "重庆", "陳五"]
    assert names._Known.mapping(pl.Series(["重庆"]))["name_raw"].to_list() == ["重庆"]


def test_the_phrase_prefixes_in_use_are_the_installed_pypinyins() -> None:
    """The shipped phrase prefixes are what the pypinyin they name gives; under another
    pypinyin (a release newer than the file) they are worked out, never read from the file."""
    from importlib.metadata import version

    from pipelines.normalise.names import PHRASE_PREFIXES, _phrases, differing_prefixes

    head, *shipped = PHRASE_PREFIXES.read_text(encoding="utf-8").splitlines()
    worked_out = differing_prefixes()
    if head == f"# pypinyin {version('pypinyin')}":
        assert shipped == worked_out, "stale: run write_phrase_prefixes()"
    assert _phrases.__wrapped__() == worked_out


@pytest.mark.parametrize(("installed", "read"), [("0.1.0", True), ("0.2.0", False)])
def test_the_prefixes_file_is_read_only_for_the_pypinyin_it_names(
        monkeypatch, tmp_path, installed: str, read: bool) -> None:
    """A file written for another pypinyin (an upgrade since) is not read: the prefixes are
    worked out from the installed dictionary."""
    import importlib.metadata

    from pipelines.normalise import names

    shipped = tmp_path / "prefixes.txt"
    shipped.write_text("# pypinyin 0.1.0\n假的\n", encoding="utf-8")
    monkeypatch.setattr(names, "PHRASE_PREFIXES", shipped)
    monkeypatch.setattr(importlib.metadata, "version", lambda name: installed)
    got = names._phrases.__wrapped__()
    assert got == (["假的"] if read else names.differing_prefixes())


def test_the_shipped_simplified_forms_are_the_installed_zhconvs() -> None:
    """The shipped one-character conversions are what the zhconv they name gives, read back
    exactly; under another zhconv the file is not read."""
    from importlib.metadata import version

    from pipelines.normalise.names import SIMPLIFIED, _simplified_table, simplified_pairs

    head = SIMPLIFIED.read_text(encoding="utf-8").split("\n", 1)[0]
    if head == f"# zhconv {version('zhconv')}":
        assert _simplified_table.__wrapped__() == simplified_pairs(), \
            "stale: run write_simplified()"


@pytest.mark.parametrize("chars", [
    pytest.param("張國榮體內學習們說話", id="traditional"),
    pytest.param("张国荣体内学习们说话", id="simplified"),
    pytest.param("「」乾後於著麼", id="punctuation and context words"),
    pytest.param("AZaz09·・ 𠀀𪚥", id="other characters"),
    pytest.param("".join(chr(c) for c in range(0x4E00, 0x9FFF, 7)), id="every 7th basic"),
])
def test_simplified_is_what_zhconv_converts(chars: str) -> None:
    """Each character's simplified form from the shipped table is zhconv's answer."""
    import zhconv

    from pipelines.normalise.names import _simplified

    for c in chars:
        s = zhconv.convert(c, "zh-cn")
        assert _simplified.__wrapped__(c) == (s if len(s) == 1 else c), c


def test_every_zhconv_entry_of_one_character_is_answered_alike() -> None:
    import zhconv
    from zhconv import zhconv as conv

    from pipelines.normalise.names import _simplified

    for c in (k for k in conv.getdict("zh-cn") if len(k) == 1):
        s = zhconv.convert(c, "zh-cn")
        assert _simplified.__wrapped__(c) == (s if len(s) == 1 else c), c


def test_the_simplified_file_is_read_only_for_the_zhconv_it_names(monkeypatch,
                                                                   tmp_path) -> None:
    import importlib.metadata

    from pipelines.normalise import names

    shipped = tmp_path / "simplified.txt"
    shipped.write_text("# zhconv 0.1.0\n張\t假\n", encoding="utf-8")
    monkeypatch.setattr(names, "SIMPLIFIED", shipped)
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.1.0")
    assert names._simplified_table.__wrapped__() == {"張": "假"}
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.2.0")
    assert names._simplified_table.__wrapped__() is None
