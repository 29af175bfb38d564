"""Fellegi-Sunter model: u from random pairs, m by EM on the candidates, name term frequency.

A pair's match weight is ``prior + sum_f log2(m_f[level] / u_f[level])`` where the prior is
the log2 odds that two random records are one person. The name's exact-agreement u is the
name's own frequency in the records (term-frequency adjustment): 张伟 agreeing is weaker
evidence than 欧阳娜娜 agreeing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.link.comparisons import FIELDS, LEVELS, NULL, Coded, compare

# Domain defaults, used as Dirichlet priors so tiny inputs fall back on sensible values.
DEFAULT_M: dict[str, tuple[float, ...]] = {
    "name": (0.85, 0.05, 0.06, 0.025, 0.015),
    "id": (0.88, 0.05, 0.03, 0.04),
    "birth": (0.94, 0.01, 0.03, 0.02),
    "sex": (0.98, 0.02),
    "place": (0.88, 0.07, 0.04, 0.01),
    "household": (0.97, 0.03),
}
DEFAULT_U: dict[str, tuple[float, ...]] = {
    "name": (2e-4, 5e-5, 3e-3, 0.08, 0.91675),
    "id": (2e-6, 2e-7, 2e-8, 0.9999978),
    "birth": (4e-5, 5e-6, 3e-3, 0.996955),
    "sex": (0.5, 0.5),
    "place": (3e-3, 6e-2, 0.837, 0.1),
    "household": (1e-3, 0.999),
}
U_PSEUDO = 1_000.0  # pseudo random pairs behind DEFAULT_U
M_PSEUDO = 20.0  # pseudo matches behind DEFAULT_M
FLOOR = 1e-9


@dataclass
class Model:
    """Fitted parameters.

    Attributes:
        m: field -> P(level | match), one value per level of ``LEVELS[field]``.
        u: field -> P(level | non-match), from random pairs.
        prior: log2 odds that two random records are the same person.
        name_u_pseudo: pseudo count for smoothing name term frequencies.
    """

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float

    def weights(self) -> dict[str, np.ndarray]:
        """Return field -> log2(m/u) per level."""
        # levels are ordered: a weaker agreement never weighs more than a stronger one
        return {
            f: np.minimum.accumulate(
                np.log2(np.maximum(self.m[f], FLOOR) / np.maximum(self.u[f], FLOOR))
            )
            for f in FIELDS
        }

    def describe(self) -> dict[str, dict[str, dict[str, float]]]:
        """Return field -> level -> {m, u, weight} for ``stats``."""
        w = self.weights()
        return {
            f: {
                lv: {"m": float(self.m[f][k]), "u": float(self.u[f][k]), "weight": float(w[f][k])}
                for k, lv in enumerate(LEVELS[f])
            }
            for f in FIELDS
        }


def _level_frequencies(levels: np.ndarray, weights: np.ndarray | None, k: int) -> np.ndarray:
    """Return weighted counts of each level 0..k-1, ignoring nulls."""
    ok = levels != NULL
    w = None if weights is None else weights[ok]
    return np.bincount(levels[ok].astype(np.int64), weights=w, minlength=k)[:k].astype(float)


def _smooth(counts: np.ndarray, default: tuple[float, ...], pseudo: float) -> np.ndarray:
    """Return counts blended with a default distribution worth ``pseudo`` observations."""
    p = (counts + pseudo * np.asarray(default)) / (counts.sum() + pseudo)
    return p / p.sum()


def estimate_u(coded: Coded, n: int, n_pairs: int, seed: int) -> dict[str, np.ndarray]:
    """Estimate u probabilities from a sample of random record pairs.

    Args:
        coded: coded records.
        n: number of records.
        n_pairs: number of random pairs to draw (fewer when the input is small).
        seed: random seed.

    Returns:
        field -> u per level.
    """
    if n < 2:
        return {f: np.asarray(DEFAULT_U[f]) for f in FIELDS}
    rng = np.random.default_rng(seed)
    size = int(min(n_pairs, n * (n - 1) // 2 * 4))
    a = rng.integers(0, n, size, dtype=np.int64)
    b = rng.integers(0, n - 1, size, dtype=np.int64)
    b = np.where(b >= a, b + 1, b)
    lv = compare(coded, a, b)
    return {
        f: _smooth(_level_frequencies(lv[f], None, len(LEVELS[f])), DEFAULT_U[f], U_PSEUDO)
        for f in FIELDS
    }


def _log_lik(levels: dict[str, np.ndarray], probs: dict[str, np.ndarray]) -> np.ndarray:
    """Return sum over fields of log(prob[level]) per pair (null levels add 0)."""
    total = np.zeros(len(next(iter(levels.values()))), dtype=float)
    for f, lv in levels.items():
        table = np.append(np.log(np.maximum(probs[f], FLOOR)), 0.0)  # index -1 -> 0
        total += table[lv.astype(np.int64)]
    return total


def estimate_m(
    levels: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
    iterations: int,
    anchor: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], float]:
    """Estimate m probabilities by EM over the candidate pairs' level matrix.

    Pairs whose match status is known (``anchor`` 1 or 0: both IDs valid, equal or not)
    keep that status in every E-step; they pin the latent classes so that, say, two
    same-named neighbours do not become the "match" class.

    Args:
        levels: field -> level array over the candidate pairs.
        u: random-pair u probabilities (the EM's starting non-match distribution).
        iterations: EM iterations.
        anchor: per pair 1.0 (known match), 0.0 (known non-match) or NaN (unknown).

    Returns:
        field -> m per level, and the expected number of matches among the candidates.
    """
    n = len(next(iter(levels.values())))
    m = {f: np.asarray(DEFAULT_M[f], dtype=float) for f in FIELDS}
    uc = {f: np.asarray(u[f], dtype=float) for f in FIELDS}
    lam, p = 0.5, np.zeros(n)
    for _ in range(iterations if n else 0):
        logit = np.log(lam / (1 - lam)) + _log_lik(levels, m) - _log_lik(levels, uc)
        p = 1.0 / (1.0 + np.exp(-np.clip(logit, -60, 60)))
        if anchor is not None:
            p = np.where(np.isnan(anchor), p, anchor)
        lam = float(np.clip(p.mean(), 1e-6, 1 - 1e-6))
        for f in FIELDS:
            k = len(LEVELS[f])
            m[f] = _smooth(_level_frequencies(levels[f], p, k), DEFAULT_M[f], M_PSEUDO)
            uc[f] = _smooth(_level_frequencies(levels[f], 1 - p, k), u[f], M_PSEUDO)
    return m, float(p.sum())


def name_term_frequency(rec: pl.DataFrame, u_exact: float) -> pl.Series:
    """Return per record the frequency of its name among the records (Splink's tf).

    Args:
        rec: prepared records with ``name``.
        u_exact: used for records without a name.

    Returns:
        Float64 series aligned with ``rec``.
    """
    tf = pl.len().over("name").cast(pl.Float64) / rec.height
    return rec.select(tf=pl.when(pl.col("name").is_null()).then(u_exact).otherwise(tf))["tf"]


def fit(
    coded: Coded,
    n: int,
    levels: dict[str, np.ndarray],
    u_pairs: int,
    iterations: int,
    seed: int,
    anchor: np.ndarray | None = None,
) -> Model:
    """Fit u (random pairs), m (EM) and the prior.

    Args:
        coded: coded records.
        n: number of records.
        levels: field -> level array over the candidate pairs.
        u_pairs: random pairs for u.
        iterations: EM iterations.
        seed: random seed.
        anchor: per pair known match status (1, 0) or NaN, see ``estimate_m``.

    Returns:
        The fitted model.
    """
    u = estimate_u(coded, n, u_pairs, seed)
    m, matches = estimate_m(levels, u, iterations, anchor)
    total = max(n * (n - 1) / 2, 1.0)
    lam = float(np.clip(matches / total, 1e-12, 0.5))
    return Model(m=m, u=u, prior=float(np.log2(lam / (1 - lam))))


def field_weights(
    model: Model, levels: dict[str, np.ndarray], name_tf_l: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Return field -> per-pair weight, with the name-exact weight adjusted by frequency.

    Args:
        model: fitted model.
        levels: field -> level array over the pairs.
        name_tf_l: per pair, the left name's term frequency (None: no adjustment).

    Returns:
        field -> float array of log2 Bayes factors (0 for null levels).
    """
    out = {}
    for f, w in model.weights().items():
        table = np.append(w, 0.0)
        out[f] = table[levels[f].astype(np.int64)]
    if name_tf_l is not None:
        exact = levels["name"] == 0
        m0 = max(model.m["name"][0], FLOOR)
        tf_w = np.log2(m0 / np.maximum(name_tf_l, FLOOR))
        out["name"] = np.where(exact, tf_w, out["name"])
        # a homophone of a common name is no rarer than the name itself
        homophone = levels["name"] == 1
        out["name"] = np.where(homophone, np.minimum(out["name"], tf_w), out["name"])
    return out
