"""Scoring a linkage against truth: pairwise precision / recall / F1, twin merges, recall per
hard class and per department pair. Used by ``benchmarks/link.py``; works on unique
(person, cluster) groups, never on the pairs themselves, so 1M records score in a second.

Truth is a frame ``record_id, person_key, twin_of`` plus one boolean column per hard class
(``HARD_CLASSES``) saying whether the record belongs to it. A pair belongs to a class when
at least one of its two records does.
"""

from __future__ import annotations

import polars as pl

# class -> dirt kinds (truth/dirt.csv) that put a record in it; "minority_name" is decided on
# the person's true name (a middle dot), "no_usable_id" / "typo_id" also from the record.
HARD_CLASSES: dict[str, tuple[str, ...]] = {
    "no_usable_id": ("id_missing", "id_scientific", "infant_no_id"),
    "typo_id": ("id_typo", "id_swap"),
    "changed_name": ("name_changed",),
    "name_typo": ("name_homophone", "name_lookalike"),
    "minority_name": (),
    "traditional_form": ("name_traditional",),
}
DEPARTMENT_ORDER = ("poverty", "health", "civil", "insurance")
# no-usable-ID records by how many people (distinct valid IDs) hold their written name: what
# decides whether such a record can be placed at all (docs/linkage.md, "Scale")
NAME_HOLDER_CLASSES: dict[str, tuple[int, int]] = {
    "no_id_name_held_0_1": (0, 1), "no_id_name_held_2_5": (2, 5),
    "no_id_name_held_6_plus": (6, 1 << 30),
}


def _pairs(n: pl.Expr) -> pl.Expr:
    """Number of unordered pairs among ``n`` items."""
    return n * (n - 1) // 2


def _with_person(clusters: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Join predicted clusters to truth; records without a person are their own person."""
    return clusters.join(truth, on="record_id", how="left").with_columns(
        pl.col("person_key").fill_null(pl.col("record_id"))
    )


def pairwise(df: pl.DataFrame) -> dict[str, float]:
    """Return pairwise precision, recall and F1 of ``cluster`` against ``person_key``."""
    def count(keys: list[str]) -> int:
        return int(df.group_by(keys).len().select(_pairs(pl.col("len")).sum()).item())

    predicted, actual = count(["cluster"]), count(["person_key"])
    tp = count(["cluster", "person_key"])
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": actual,
            "false_pairs": predicted - tp}


def twin_merges(df: pl.DataFrame, truth: pl.DataFrame) -> dict[str, int]:
    """Return the number of twin pairs and of twin pairs put into one cluster."""
    owners = df.select("cluster", "person_key").unique()
    twins = truth.drop_nulls("twin_of").select("person_key", "twin_of").unique()
    merged = (
        twins.join(owners, on="person_key")
        .join(owners.rename({"person_key": "twin_of"}), on=["twin_of", "cluster"])
        .select("person_key")
        .n_unique()
    )
    return {"twin_pairs": twins.height, "twin_merges": merged}


def class_recall(df: pl.DataFrame, classes: list[str]) -> dict[str, dict[str, float]]:
    """Return per class: true pairs touching the class, and the share kept together.

    Pairs with at least one class record = all pairs - pairs among the non-class records,
    counted per person (truth) and per (person, cluster) (found).
    """
    out = {}
    for c in classes:
        if c not in df.columns:
            continue
        k = pl.col(c).cast(pl.Int64).sum()
        touching = _pairs(pl.len()) - _pairs(pl.len() - k)
        total = df.group_by("person_key").agg(t=touching)["t"].sum()
        kept = df.group_by("person_key", "cluster").agg(t=touching)["t"].sum()
        records = int(df[c].sum())
        out[c] = {"records": records, "pairs": int(total),
                  "recall": kept / total if total else float("nan")}
    return out


def department_pair_recall(df: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Return per department pair (a <= b): true pairs and the share kept together."""
    depts = [d for d in DEPARTMENT_ORDER if d in set(df["department"].unique().to_list())]
    counts = {d: (pl.col("department") == d).sum().cast(pl.Int64) for d in depts}
    aggs = []
    for i, a in enumerate(depts):
        for b in depts[i:]:
            expr = _pairs(counts[a]) if a == b else counts[a] * counts[b]
            aggs.append(expr.alias(f"{a}-{b}"))
    total = df.group_by("person_key").agg(aggs).drop("person_key").sum()
    kept = df.group_by("person_key", "cluster").agg(aggs).drop("person_key", "cluster").sum()
    out = {}
    for col in total.columns:
        t = int(total[col][0])
        if t:
            out[col] = {"pairs": t, "recall": int(kept[col][0]) / t}
    return out


def evaluate(clusters: pl.DataFrame, truth: pl.DataFrame, records: pl.DataFrame) -> dict:
    """Return every figure of a linkage: pairwise, twins, per class, per department pair.

    Args:
        clusters: record_id, cluster.
        truth: record_id, person_key, twin_of, and a boolean column per hard class.
        records: record_id, department.

    Returns:
        precision, recall, f1, true_pairs, false_pairs, twin_pairs, twin_merges,
        per_class, per_department_pair.
    """
    df = _with_person(clusters, truth).join(
        records.select("record_id", "department"), on="record_id", how="left"
    )
    classes = [c for c in (*HARD_CLASSES, *NAME_HOLDER_CLASSES) if c in truth.columns]
    return {
        **pairwise(df),
        **twin_merges(df, truth),
        "per_class": class_recall(df, classes),
        "per_department_pair": department_pair_recall(df),
    }


def record_classes(records: pl.DataFrame, dirt: pl.DataFrame | None,
                   true_names: pl.DataFrame | None) -> pl.DataFrame:
    """Return record_id and one boolean column per hard class.

    Args:
        records: person_records (record_id, source_file, sheet, row_number, id_number,
            id_valid, name).
        dirt: truth/dirt.csv (source_file, sheet, row_number, kind), or None: the classes
            are then read off the records (no ID, an ID failing its checksum, a dotted name).
        true_names: record_id, true_name (the person's true name), or None.

    Returns:
        The class flags, aligned with ``records``.
    """
    key = ["source_file", "sheet", "row_number"]
    flags = records.select("record_id", *key)
    if dirt is not None:
        kinds = dirt.select(*key, "kind")
        for c, ks in HARD_CLASSES.items():
            if ks:
                hit = kinds.filter(pl.col("kind").is_in(ks)).select(*key).unique()
                flags = flags.join(hit.with_columns(**{c: pl.lit(True)}), on=key, how="left")
    else:
        flags = flags.with_columns(
            no_usable_id=records["id_number"].is_null(),
            typo_id=records["id_number"].is_not_null() & ~records["id_valid"],
        )
    name = true_names["true_name"] if true_names is not None else records["name"]
    flags = flags.with_columns(minority_name=name.str.contains("·").fill_null(False))
    flags = flags.with_columns(
        pl.col(c).fill_null(False) for c in HARD_CLASSES if c in flags.columns
    )
    return _name_holder_classes(records, flags).drop(key)


def _name_holder_classes(records: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
    """Add one flag per ``NAME_HOLDER_CLASSES`` bin to the no-usable-ID records.

    A record's holders are the distinct valid IDs whose records carry its written name.
    """
    if "no_usable_id" not in flags.columns:
        return flags
    holders = (
        records.filter(pl.col("id_valid").fill_null(False))
        .group_by("name").agg(h=pl.col("id_number").n_unique())
    )
    h = (records.select("record_id", "name").join(holders, on="name", how="left")
         .select("record_id", h=pl.col("h").fill_null(0)))
    flags = flags.join(h, on="record_id", how="left")
    return flags.with_columns(
        (pl.col("no_usable_id") & pl.col("h").is_between(lo, hi)).alias(c)
        for c, (lo, hi) in NAME_HOLDER_CLASSES.items()
    ).drop("h")
