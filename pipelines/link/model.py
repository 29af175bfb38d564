"""Fellegi-Sunter model: u from random pairs (or name holders), m by EM on the candidates.

A pair's match weight is ``prior + sum_c log2(m_c[level] / u_c[level])`` where the prior is
the log2 odds that two random records are one person. Every comparison's levels and priors
come from ``LinkSettings.comparisons``; the priors act as Dirichlet pseudo-counts so tiny
inputs fall back on sensible values.

``name_frequency`` takes its u from the holders of each name rather than from random pairs:
among people with a valid ID, a name held by ``H`` people gives about ``K (K - 1)`` pairs of
different people with that name, ``K = H (1 + unheld_share)`` (``unheld_share``: people
carrying the name who hold no valid ID anywhere). A name held by exactly one person thus
says much more than 王芳: two records agreeing on it are different people only when one of
them belongs to such an unheld person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.link.coding import Coded
from pipelines.link.comparisons import NULL, compare, holder_level
from pipelines.link.runs import runs, sorted_values
from pipelines.link.settings import Comparison

U_PSEUDO = 1_000.0  # pseudo random pairs behind the u priors
M_PSEUDO = 20.0  # pseudo matches behind the m priors
FLOOR = 1e-9


@dataclass
class Model:
    """Fitted parameters.

    Attributes:
        comparisons: the comparisons, in order.
        m: comparison -> P(level | match), one value per level.
        u: comparison -> P(level | non-match).
        prior: log2 odds that two random records are the same person.
    """

    comparisons: tuple[Comparison, ...]
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float

    def weights(self) -> dict[str, np.ndarray]:
        """Return comparison -> log2(m/u) per level, never increasing from strong to weak."""
        return {
            c.name: np.minimum.accumulate(
                np.log2(np.maximum(self.m[c.name], FLOOR) / np.maximum(self.u[c.name], FLOOR))
            )
            for c in self.comparisons
        }

    def describe(self) -> dict[str, dict[str, dict[str, float]]]:
        """Return comparison -> level -> {m, u, weight} for ``stats``."""
        w = self.weights()
        return {
            c.name: {
                lv: {"m": float(self.m[c.name][k]), "u": float(self.u[c.name][k]),
                     "weight": float(w[c.name][k])}
                for k, lv in enumerate(c.level_names)
            }
            for c in self.comparisons
        }


def _frequencies(levels: np.ndarray, weights: np.ndarray | None, k: int) -> np.ndarray:
    """Return weighted counts of each level 0..k-1, ignoring nulls."""
    ok = levels != NULL
    w = None if weights is None else weights[ok]
    return np.bincount(levels[ok].astype(np.int64), weights=w, minlength=k)[:k].astype(float)


def _smooth(counts: np.ndarray, prior: np.ndarray, pseudo: float) -> np.ndarray:
    """Return counts blended with a prior distribution worth ``pseudo`` observations."""
    p = (counts + pseudo * prior) / (counts.sum() + pseudo)
    return p / p.sum()


def _prior(c: Comparison, which: str) -> np.ndarray:
    """Return the normalised m or u priors of a comparison's levels."""
    p = np.array([getattr(lv, which) for lv in c.levels], dtype=float)
    return p / p.sum()


def holder_u(coded: Coded, c: Comparison) -> np.ndarray:
    """Return the u of ``name_frequency``'s levels from the holders of each name."""
    eps = float(c.params.get("unheld_share", 0.05))
    few, some = float(c.params.get("few_max", 5)), float(c.params.get("some_max", 20))
    held = coded.name_holders[coded.name_holders > 0].astype(float)
    if not len(held):
        return _prior(c, "u")
    k = held * (1.0 + eps)
    pairs = k * (k - 1.0)
    level = holder_level(held, few, some)
    u = np.bincount(level, weights=pairs, minlength=len(c.levels))[: len(c.levels)]
    return _smooth(u / u.sum(), _prior(c, "u"), 1e-3)


def exact_name_u(coded: Coded) -> float:
    """Return P(names agree exactly | different people) counted from the names themselves.

    Pairs of records sharing a name, less pairs of records of one person (the same valid
    ID and name); a random sample of 400,000 pairs sees only a handful of exact agreements in
    a county of a million records, too few to estimate this rare level.
    """
    n = len(coded.name)
    named = coded.name[coded.name >= 0]
    if n < 2 or not len(named):
        return 0.0
    c = np.bincount(named).astype(float)
    own = coded.id_valid & (coded.name >= 0) & (coded.id >= 0)
    key = coded.id[own].astype(np.int64) * (len(c) + 1) + coded.name[own]
    r = runs(sorted_values(key))[1].astype(float)
    return float(max((c * (c - 1)).sum() - (r * (r - 1)).sum(), 0.0) / (n * (n - 1)))


def _with_exact(u: np.ndarray, exact: float) -> np.ndarray:
    """Return u with its first (exact) level set to ``exact`` and the rest rescaled."""
    if exact <= 0 or exact >= 1:
        return u
    rest = u[1:] / max(u[1:].sum(), FLOOR) * (1.0 - exact)
    return np.concatenate([[exact], rest])


def estimate_u(
    coded: Coded, n: int, n_pairs: int, seed: int, comparisons: tuple[Comparison, ...]
) -> dict[str, np.ndarray]:
    """Estimate u probabilities from a sample of random record pairs (and name holders).

    Random pairs known to be one person (the same valid ID) are left out. A comparison
    with the parameter ``exact_u_from_counts`` (the name) takes the u of its exact level
    from the names' counts (``exact_name_u``).

    Args:
        coded: coded records.
        n: number of records.
        n_pairs: number of random pairs to draw (fewer when the input is small).
        seed: random seed.
        comparisons: the comparisons.

    Returns:
        comparison -> u per level.
    """
    out = {c.name: _prior(c, "u") for c in comparisons}
    sampled = [c for c in comparisons if c.u_from == "random_pairs"]
    if n >= 2 and sampled:
        rng = np.random.default_rng(seed)
        size = int(min(n_pairs, n * (n - 1) // 2 * 4))
        a = rng.integers(0, n, size, dtype=np.int64)
        b = rng.integers(0, n - 1, size, dtype=np.int64)
        b = np.where(b >= a, b + 1, b)
        # a random pair that is one person (same valid ID) is not a non-match: drop it, or a
        # small county's u (where 1 random pair in 2,000 is a match) is inflated
        same = coded.id_valid[a] & coded.id_valid[b] & (coded.id[a] == coded.id[b])
        a, b = a[~same], b[~same]
        lv = compare(coded, a, b, tuple(sampled))
        for c in sampled:
            counts = _frequencies(lv[c.name], None, len(c.levels))
            out[c.name] = _smooth(counts, _prior(c, "u"), U_PSEUDO)
    for c in comparisons:
        if c.u_from == "holders":
            out[c.name] = holder_u(coded, c)
        if c.params.get("exact_u_from_counts", 0):
            out[c.name] = _with_exact(out[c.name], exact_name_u(coded))
    return out


class _LevelMatrix:
    """All comparisons' levels as one flat index (pairs x comparisons) into a joint table of
    levels, so an EM step is one gather and two bincounts instead of one per comparison."""

    def __init__(self, levels: dict[str, np.ndarray], comparisons: tuple[Comparison, ...]):
        sizes = [len(c.levels) for c in comparisons]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.names = [c.name for c in comparisons]
        self.total = int(self.offsets[-1])
        cols = [
            np.where(levels[c.name] == NULL, self.total, levels[c.name] + self.offsets[k])
            for k, c in enumerate(comparisons)
        ]
        self.index = np.stack(cols, axis=1).astype(np.int64) if cols else np.zeros((0, 0))
        self.n = len(self.index)

    def flat(self, probs: dict[str, np.ndarray]) -> np.ndarray:
        """Return the log probabilities of every level, joint, with 0 for the null slot."""
        logs = [np.log(np.maximum(probs[f], FLOOR)) for f in self.names]
        return np.concatenate([*logs, [0.0]])

    def log_lik(self, probs: dict[str, np.ndarray]) -> np.ndarray:
        """Return per pair the sum over comparisons of log(prob[level]) (nulls add 0)."""
        return self.flat(probs)[self.index].sum(axis=1)

    def counts(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Return per comparison the weighted counts of its levels (nulls ignored)."""
        w = np.repeat(weights, self.index.shape[1])
        joint = np.bincount(self.index.ravel(), weights=w, minlength=self.total + 1)
        return {f: joint[self.offsets[k]: self.offsets[k + 1]] for k, f in enumerate(self.names)}


def _patterns(
    levels: dict[str, np.ndarray], comparisons: tuple[Comparison, ...], anchor: np.ndarray | None
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Return the distinct (level vector, anchor) patterns of the pairs and their counts.

    Millions of candidate pairs share a few thousand patterns, so EM runs on those.

    Returns:
        (comparison -> level per pattern, anchor per pattern (NaN unknown), count per
        pattern).
    """
    n = len(next(iter(levels.values()))) if levels else 0
    state = np.zeros(n, dtype=np.int64)
    if anchor is not None:
        state = np.where(np.isnan(anchor), 0, np.where(anchor > 0.5, 1, 2))
    sizes = [len(c.levels) + 1 for c in comparisons] + [3]
    if float(np.prod(np.array(sizes, dtype=float))) < 2.0**62:
        # one comparison's int64 levels alive at a time (all of them: 0.4 GB at 3.3M pairs)
        key = np.zeros(n, dtype=np.int64)
        for c, size in zip(comparisons, sizes[:-1], strict=True):
            key = key * size + (levels[c.name].astype(np.int64) + 1)
        key = sorted_values(key * sizes[-1] + state)
        start, counts = runs(key)
        key = key[start]  # the distinct patterns, ascending (as ``np.unique``), decoded
        pattern_state = key % sizes[-1]
        key = key // sizes[-1]
        pattern_levels = {}
        for c, size in zip(comparisons[::-1], sizes[-2::-1], strict=True):
            pattern_levels[c.name] = (key % size - 1).astype(levels[c.name].dtype)
            key = key // size
        pattern_levels = {c.name: pattern_levels[c.name] for c in comparisons}
    else:  # too many comparisons for one int64 key
        cols = [levels[c.name].astype(np.int64) + 1 for c in comparisons] + [state]
        _, first, counts = np.unique(np.stack(cols, axis=1), axis=0, return_index=True,
                                     return_counts=True)
        pattern_levels = {c.name: levels[c.name][first] for c in comparisons}
        pattern_state = state[first]
    pattern_anchor = np.where(pattern_state == 0, np.nan, (pattern_state == 1).astype(float))
    return pattern_levels, pattern_anchor, counts.astype(float)


def estimate_m(
    levels: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
    iterations: int,
    comparisons: tuple[Comparison, ...],
    anchor: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], float]:
    """Estimate m probabilities by EM over the candidate pairs' level patterns.

    Pairs whose match status is known (``anchor`` 1 or 0: both IDs valid, equal or not)
    keep that status in every E-step; they pin the latent classes so that, say, two
    same-named neighbours do not become the "match" class. A comparison with
    ``fit_m=False`` keeps its priors. EM runs on the distinct patterns (``_patterns``),
    each weighted by its number of pairs: the same result as on every pair.

    Args:
        levels: comparison -> level array over the candidate pairs.
        u: random-pair u probabilities (the EM's starting non-match distribution).
        iterations: EM iterations.
        comparisons: the comparisons (level counts, m priors, fit_m).
        anchor: per pair 1.0 (known match), 0.0 (known non-match) or NaN (unknown).

    Returns:
        comparison -> m per level, and the expected number of matches among the candidates.
    """
    m = {c.name: _prior(c, "m") for c in comparisons}
    if not levels or not len(next(iter(levels.values()))):
        return m, 0.0
    pattern_levels, pattern_anchor, count = _patterns(levels, comparisons, anchor)
    grid = _LevelMatrix(pattern_levels, comparisons)
    uc = {c.name: np.asarray(u[c.name], dtype=float) for c in comparisons}
    lam, p = 0.5, np.zeros(grid.n)
    for _ in range(iterations):
        logit = np.log(lam / (1 - lam)) + grid.log_lik(m) - grid.log_lik(uc)
        p = 1.0 / (1.0 + np.exp(-np.clip(logit, -60, 60)))
        p = np.where(np.isnan(pattern_anchor), p, pattern_anchor)
        lam = float(np.clip((p * count).sum() / count.sum(), 1e-6, 1 - 1e-6))
        on, off = grid.counts(p * count), grid.counts((1 - p) * count)
        for c in comparisons:
            if c.fit_m:
                m[c.name] = _smooth(on[c.name], _prior(c, "m"), M_PSEUDO)
            uc[c.name] = _smooth(off[c.name], u[c.name], M_PSEUDO)
    return m, float((p * count).sum())


def fit(
    coded: Coded,
    n: int,
    levels: dict[str, np.ndarray],
    comparisons: tuple[Comparison, ...],
    settings: tuple[int, int, int],
    anchor: np.ndarray | None = None,
    u: dict[str, np.ndarray] | None = None,
) -> Model:
    """Fit u (random pairs, name holders), m (EM) and the prior.

    Args:
        coded: coded records.
        n: number of records.
        levels: comparison -> level array over the candidate pairs.
        comparisons: the comparisons.
        settings: (random pairs for u, EM iterations, seed).
        anchor: per pair known match status (1, 0) or NaN, see ``estimate_m``.
        u: ``estimate_u``'s result when worked out already (``ahead``), else estimated.

    Returns:
        The fitted model.
    """
    u_pairs, iterations, seed = settings
    u = estimate_u(coded, n, u_pairs, seed, comparisons) if u is None else u
    m, matches = estimate_m(levels, u, iterations, comparisons, anchor)
    total = max(n * (n - 1) / 2, 1.0)
    lam = float(np.clip(matches / total, 1e-12, 0.5))
    return Model(comparisons=comparisons, m=m, u=u, prior=float(np.log2(lam / (1 - lam))))
