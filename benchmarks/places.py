"""Place resolution on the statistics bureau's names and every form departments write.

Usage: ``.venv/bin/python benchmarks/places.py [--seed N] [--townships N]``; with
``PYTHONPATH=<older checkout>`` it measures that checkout instead. A synthetic county is
built the way the bureau publishes it (villages in the committee forms of several provinces,
a 居委会 and a 村委会 of one name, villages whose own name ends in 村, names repeated across
townships, 街道办事处 and 民族乡 townships); every village is then written in each department
form, beside its township written in each form. A mention is *unambiguous* when its township
and form single out one village (known from how the county was built, not from the
resolver). Printed per form: mentions, resolved among the unambiguous, wrong codes, and
ambiguous ones reported (never guessed).
"""

from __future__ import annotations

import argparse
import random

import polars as pl

from pipelines.normalise.places import build_regions, resolve_places

FIRST = "虹金银新大东西南北上下前后王李刘陈杨赵黄周吴高马孙朱胡郭何林罗梁宋郑谢韩唐冯"
SECOND = "光庄寨岗集河湾桥店楼营屯坡沟园林山岭湖塘台坪铺圩洼堡"
VILLAGE_OFFICIAL = {"村": ["{c}村民委员会", "{c}村村民委员会", "{c}村委会", "{c}村"],
                    "居": ["{c}社区居民委员会", "{c}居民委员会", "{c}社区居委会", "{c}社区"]}
DEPARTMENT_FORMS = {
    "村": ["{c}村民委员会", "{c}村", "{c}", "{c}村委会", "{c}村村委会", "{c}行政村"],
    "居": ["{c}社区居民委员会", "{c}居民委员会", "{c}社区", "{c}社区居委会", "{c}居委会", "{c}"],
}
OFFICIAL_FORMS = {"{c}村民委员会", "{c}社区居民委员会", "{c}居民委员会"}
TOWN_KINDS = [("镇", "{c}镇", "{c}镇人民政府"), ("乡", "{c}乡", "{c}乡人民政府"),
              ("街道", "{c}街道办事处", "{c}街道办事处"), ("乡", "{c}回族乡", "{c}回族乡人民政府")]


def build_county(seed: int, townships: int) -> tuple[pl.DataFrame, list[dict]]:
    """The bureau-style table (with a level column, so older code can read it) and villages."""
    rng = random.Random(seed)
    cores = list(dict.fromkeys(a + b for a in FIRST for b in SECOND))
    rng.shuffle(cores)
    rows = [("411421000000", "清河县", "县")]
    villages: list[dict] = []
    for t in range(townships):
        kind, official, _ = TOWN_KINDS[t % len(TOWN_KINDS)]
        seg = {"街道": 1 + t, "镇": 100 + t, "乡": 200 + t}[kind]
        tcode, tcore = f"411421{seg:03d}000", cores.pop()
        rows.append((tcode, official.format(c=tcore), "乡镇"))
        own = [(cores.pop(), "村") for _ in range(14)] + [(cores.pop(), "居") for _ in range(3)]
        own += [(cores[-1 - t % 3][0] + "村", "村")]  # a village whose own name ends in 村
        own += [("王湾", "村")]  # the same name in every township
        pair = cores.pop()
        own += [(pair, "村"), (pair, "居")]  # a 居委会 and a 村委会 of one name
        n_ju, n_cun = 0, 0
        for core, vkind in own:
            n_ju, n_cun = n_ju + (vkind == "居"), n_cun + (vkind == "村")
            code = f"{tcode[:9]}{n_ju if vkind == '居' else 199 + n_cun:03d}"
            form = rng.choice(VILLAGE_OFFICIAL[vkind])
            rows.append((code, form.format(c=core), "村"))
            villages.append({"code": code, "core": core, "kind": vkind, "tcode": tcode,
                             "tcore": tcore, "tkind": t % len(TOWN_KINDS)})
    table = pl.DataFrame(rows, schema=["code", "name", "level"], orient="row", strict=False)
    table = table.with_columns(parent_code=pl.lit(None, pl.String),
                               former_name=pl.lit(None, pl.String))
    return table, villages


def mentions(villages: list[dict]) -> pl.DataFrame:
    """Every village in every department form, beside its township in every form."""
    out = []
    for v in villages:
        _, official, body = TOWN_KINDS[v["tkind"]]
        towns = {"official": body.format(c=v["tcore"]), "short": official.format(c=v["tcore"]),
                 "bare": v["tcore"], "none": None}
        for form in DEPARTMENT_FORMS[v["kind"]]:
            for tform, town in towns.items():
                scope = [w for w in villages if w["core"] == v["core"]
                         and (town is None or w["tcode"] == v["tcode"])]
                written_kind = None if form == "{c}" else v["kind"]
                fits = [w for w in scope if written_kind in (None, w["kind"])]
                out.append({"township_in": town, "village_in": form.format(c=v["core"]),
                            "code_in": None, "truth": v["code"], "form": form,
                            "town_form": tform, "unambiguous": len(fits) == 1,
                            "official": form in OFFICIAL_FORMS and tform == "official"})
    return pl.DataFrame(out).with_columns(pl.col("township_in", "village_in", "code_in")
                                          .cast(pl.String))


def measure(seed: int = 1, townships: int = 12) -> pl.DataFrame:
    """Resolve every mention and summarise per village form."""
    table, villages = build_county(seed, townships)
    regions = build_regions(table)
    frame = resolve_places(mentions(villages), regions)
    right = pl.col("village_code") == pl.col("truth")
    summary = frame.group_by("form").agg(
        pl.len().alias("mentions"),
        pl.col("unambiguous").sum().alias("unambiguous"),
        (right & pl.col("unambiguous")).sum().alias("resolved"),
        (pl.col("village_code").is_not_null() & ~right.fill_null(False)).sum().alias("wrong"),
        (~pl.col("unambiguous") & pl.col("village_code").is_null()).sum()
        .alias("ambiguous_reported"),
    ).sort("form")
    official = frame.filter(pl.col("official") & pl.col("unambiguous"))
    print(summary)
    total = frame.filter(pl.col("unambiguous"))
    for label, part in (("official committee forms", official), ("all forms", total)):
        ok = part.filter(right).height
        print(f"{label:<26} resolved {ok}/{part.height} = {ok / max(part.height, 1):.1%}")
    wrong = frame.filter(pl.col("village_code").is_not_null() & ~right.fill_null(False)).height
    print(f"wrong codes: {wrong} of {frame.height} mentions")
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--townships", type=int, default=12)
    args = parser.parse_args()
    measure(args.seed, args.townships)
