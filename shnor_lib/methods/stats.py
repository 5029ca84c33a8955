"""Interval estimates, status labels and the LMG decomposition (docs/methods.md M1, M4).

All interval functions are vectorized: they accept scalars, numpy arrays or pandas Series,
broadcast their arguments, return ``float`` when every argument is a scalar and
``np.ndarray`` otherwise. Undefined cases (n = 0, n < 2 for t intervals, NaN inputs) give
NaN silently, without RuntimeWarnings. Proportions are in 0..1; multiply by 100 for
percentages.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MeanResult",
    "change_status",
    "lmg",
    "mean_ci",
    "mean_ci_from_stats",
    "newcombe_diff_ci",
    "r2_from_corr",
    "target_status",
    "weighted_mean",
    "welch_diff_ci",
    "wilson_ci",
]

ArrayLike = Any  # scalar, sequence, np.ndarray or pd.Series
Interval = tuple[np.ndarray | float, np.ndarray | float]

CHANGE_UP = "рост"
CHANGE_DOWN = "снижение"
CHANGE_NONE = "без значимых изменений"
TARGET_MET = "достигнут"
TARGET_NOT_MET = "не достигнут"
TARGET_UNDETERMINED = "не определён"
NO_DATA = "нет данных"

MAX_LMG_PREDICTORS = 15


# --------------------------------------------------------------------------- helpers


def _as_float(x: ArrayLike) -> np.ndarray:
    """Float array from a scalar / array / Series (pandas NA → NaN)."""
    if isinstance(x, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        return np.asarray(x.to_numpy(dtype=float, na_value=np.nan))
    return np.asarray(x, dtype=float)


def _all_scalar(*args: ArrayLike) -> bool:
    return all(np.ndim(a) == 0 for a in args)


def _out(x: np.ndarray, scalar: bool) -> np.ndarray | float:
    return float(x) if scalar else x


def _z(confidence: float) -> float:
    """Two-sided standard-normal quantile for a confidence level in (0, 1)."""
    from scipy import stats as sps  # imported when needed: report kernels start faster

    return float(sps.norm.ppf(0.5 + _check_confidence(confidence) / 2))


def _check_confidence(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return float(confidence)


def _t_quantile(confidence: float, df: np.ndarray) -> np.ndarray:
    """Two-sided t quantile; NaN where df is NaN or not positive."""
    from scipy import stats as sps

    df = np.where(df > 0, df, np.nan)
    return sps.t.ppf(0.5 + _check_confidence(confidence) / 2, df)


def _check_counts(k: np.ndarray, n: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):
        bad = (n < 0) | (k < 0) | (k > n)
    if np.any(bad):
        raise ValueError(
            f"counts must satisfy 0 <= k <= n; {int(np.sum(bad))} invalid pair(s), "
            f"first k={np.broadcast_to(k, bad.shape)[bad][0]}, "
            f"n={np.broadcast_to(n, bad.shape)[bad][0]}"
        )


# --------------------------------------------------------------------------- proportions


def wilson_ci(k: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Interval:
    """Wilson score interval for k/n, as proportions in 0..1. NaN where n == 0.

    Raises ValueError when k < 0, n < 0 or k > n (NaN inputs give NaN).
    """
    scalar = _all_scalar(k, n)
    k_, n_ = np.broadcast_arrays(_as_float(k), _as_float(n))
    _check_counts(k_, n_)
    z = _z(confidence)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        n_ok = np.where(n_ > 0, n_, np.nan)
        p = k_ / n_ok
        centre = (k_ + z2 / 2) / (n_ok + z2)
        half = z * np.sqrt(n_ok * p * (1 - p) + z2 / 4) / (n_ok + z2)
        lo = np.where(k_ == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        hi = np.where(k_ == n_, 1.0, np.clip(centre + half, 0.0, 1.0))
    lo = np.where(np.isnan(p), np.nan, lo)
    hi = np.where(np.isnan(p), np.nan, hi)
    return _out(lo, scalar), _out(hi, scalar)


def newcombe_diff_ci(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, confidence: float = 0.95
) -> Interval:
    """Newcombe (1998) hybrid score interval (method 10) for p1 - p2, proportions.

    NaN where either n == 0. Combines the two Wilson intervals by square-and-add.
    """
    scalar = _all_scalar(k1, n1, k2, n2)
    k1_, n1_, k2_, n2_ = np.broadcast_arrays(*map(_as_float, (k1, n1, k2, n2)))
    l1, u1 = wilson_ci(k1_, n1_, confidence)
    l2, u2 = wilson_ci(k2_, n2_, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = k1_ / np.where(n1_ > 0, n1_, np.nan)
        p2 = k2_ / np.where(n2_ > 0, n2_, np.nan)
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return _out(np.clip(lo, -1.0, 1.0), scalar), _out(np.clip(hi, -1.0, 1.0), scalar)


# --------------------------------------------------------------------------- means


@dataclass(frozen=True)
class MeanResult:
    """One-sample mean with its t interval (NaN interval when n < 2)."""

    mean: float
    sd: float
    n: int
    ci_low: float
    ci_high: float


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> MeanResult:
    """t interval for the mean of one sample; NaN values are dropped."""
    x = _as_float(values).ravel()
    x = x[~np.isnan(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    lo, hi = mean_ci_from_stats(mean, sd, n, confidence)
    return MeanResult(mean=mean, sd=sd, n=n, ci_low=lo, ci_high=hi)


def mean_ci_from_stats(
    mean: ArrayLike, sd: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> Interval:
    """Vectorized t interval from summary statistics (sample sd, ddof=1); NaN where n < 2."""
    scalar = _all_scalar(mean, sd, n)
    m, s, n_ = np.broadcast_arrays(*map(_as_float, (mean, sd, n)))
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(n_ >= 2, n_ - 1, np.nan)
        half = _t_quantile(confidence, df) * s / np.sqrt(df + 1)
    return _out(m - half, scalar), _out(m + half, scalar)


def welch_diff_ci(
    mean1: ArrayLike,
    sd1: ArrayLike,
    n1: ArrayLike,
    mean2: ArrayLike,
    sd2: ArrayLike,
    n2: ArrayLike,
    confidence: float = 0.95,
) -> Interval:
    """Welch–Satterthwaite t interval for mean1 - mean2, vectorized.

    NaN where either n < 2, or where both sd are 0 (no information on the variance).
    """
    scalar = _all_scalar(mean1, sd1, n1, mean2, sd2, n2)
    m1, s1, k1, m2, s2, k2 = np.broadcast_arrays(*map(_as_float, (mean1, sd1, n1, mean2, sd2, n2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        k1 = np.where(k1 >= 2, k1, np.nan)
        k2 = np.where(k2 >= 2, k2, np.nan)
        v1, v2 = s1**2 / k1, s2**2 / k2
        se2 = v1 + v2
        df = se2**2 / (v1**2 / (k1 - 1) + v2**2 / (k2 - 1))
        half = _t_quantile(confidence, df) * np.sqrt(se2)
    d = m1 - m2
    return _out(d - half, scalar), _out(d + half, scalar)


def weighted_mean(values: ArrayLike, weights: ArrayLike) -> float:
    """Weighted mean (e.g. by participants); pairs with a NaN are dropped; NaN if no weight."""
    x, w = np.broadcast_arrays(_as_float(values).ravel(), _as_float(weights).ravel())
    keep = ~(np.isnan(x) | np.isnan(w))
    x, w = x[keep], w[keep]
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    total = w.sum()
    return float(np.dot(x, w) / total) if total > 0 else math.nan


# --------------------------------------------------------------------------- statuses


def _labels(conds: list[np.ndarray], labels: list[str], default: str, scalar: bool):
    out = np.select(conds, labels, default=default).astype(object)
    return str(out.item()) if scalar else out


def change_status(lo: ArrayLike, hi: ArrayLike) -> np.ndarray | str:
    """Dynamics status from the interval of a difference (M1).

    «рост» if lo > 0, «снижение» if hi < 0, «без значимых изменений» otherwise,
    «нет данных» if either bound is NaN. Object array, or str for scalar input.
    """
    scalar = _all_scalar(lo, hi)
    lo_, hi_ = np.broadcast_arrays(_as_float(lo), _as_float(hi))
    missing = np.isnan(lo_) | np.isnan(hi_)
    with np.errstate(invalid="ignore"):
        conds = [missing, lo_ > 0, hi_ < 0]
    return _labels(conds, [NO_DATA, CHANGE_UP, CHANGE_DOWN], CHANGE_NONE, scalar)


def target_status(lo: ArrayLike, hi: ArrayLike, target: ArrayLike) -> np.ndarray | str:
    """Target check from an interval (M1); bounds and target in the same units.

    «достигнут» if lo >= target, «не достигнут» if hi < target, «не определён» otherwise,
    «нет данных» if any of lo, hi, target is NaN. Object array, or str for scalar input.
    """
    scalar = _all_scalar(lo, hi, target)
    lo_, hi_, t_ = np.broadcast_arrays(*map(_as_float, (lo, hi, target)))
    missing = np.isnan(lo_) | np.isnan(hi_) | np.isnan(t_)
    with np.errstate(invalid="ignore"):
        conds = [missing, lo_ >= t_, hi_ < t_]
    return _labels(conds, [NO_DATA, TARGET_MET, TARGET_NOT_MET], TARGET_UNDETERMINED, scalar)


# --------------------------------------------------------------------------- LMG


def r2_from_corr(corr: np.ndarray, y_index: int, subset) -> float:
    """OLS R² of variable ``y_index`` on ``subset`` from a correlation matrix.

    R²_S = r_S' R_SS⁺ r_S (pseudo-inverse, so collinear subsets are fine); 0 for an
    empty subset.
    """
    idx = np.asarray(list(subset), dtype=int)
    if idx.size == 0:
        return 0.0
    corr = np.asarray(corr, dtype=float)
    r = corr[idx, y_index]
    beta = np.linalg.lstsq(corr[np.ix_(idx, idx)], r, rcond=None)[0]
    return float(np.clip(r @ beta, 0.0, 1.0))


def _all_subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of every subset of predictors, indexed by bitmask (bit j = predictor j)."""
    p = rxy.size
    r2 = np.zeros(1 << p)
    for size in range(1, p + 1):
        idx = np.array(list(itertools.combinations(range(p), size)), dtype=int)
        sub = rxx[idx[:, :, None], idx[:, None, :]]  # (m, size, size)
        r = rxy[idx]  # (m, size)
        beta = np.einsum("mij,mj->mi", np.linalg.pinv(sub, rcond=1e-12, hermitian=True), r)
        masks = (1 << idx).sum(axis=1)
        r2[masks] = np.clip(np.einsum("mi,mi->m", r, beta), 0.0, 1.0)
    return r2


def _standardized_corr(data: np.ndarray) -> np.ndarray:
    """Correlation matrix; a constant column gets zero correlations (and 1 on the diagonal)."""
    centred = data - data.mean(axis=0)
    scale = np.sqrt((centred**2).sum(axis=0))
    z = np.divide(centred, scale, out=np.zeros_like(centred), where=scale > 0)
    corr = z.T @ z
    np.fill_diagonal(corr, 1.0)
    return corr


def lmg(frame: pd.DataFrame, outcome: str, predictors: list[str]) -> pd.Series:
    """Exact LMG (Lindeman–Merenda–Gold) decomposition of the OLS R².

    Shapley values over all 2^p subsets with weights |S|!(p-|S|-1)!/p!. Rows with a NaN in
    the used columns are dropped. Returns a Series indexed by predictor (given order)
    summing to the full-model R²; ``attrs['r2']`` = full R², ``attrs['n']`` = rows used.
    A constant predictor gets 0. Raises ValueError for p = 0, p > 15, duplicated or
    missing columns, a constant outcome, or fewer than p + 2 usable rows.
    """
    predictors = list(predictors)
    p = len(predictors)
    if p == 0 or p > MAX_LMG_PREDICTORS:
        raise ValueError(f"lmg needs 1..{MAX_LMG_PREDICTORS} predictors, got {p}")
    cols = [*predictors, outcome]
    if len(set(cols)) != len(cols):
        raise ValueError("outcome and predictors must be distinct columns")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"columns not in frame: {missing}")
    data = frame[cols].apply(pd.to_numeric, errors="raise").astype(float).dropna().to_numpy()
    n = data.shape[0]
    if n < p + 2:
        raise ValueError(f"lmg needs at least p + 2 = {p + 2} complete rows, got {n}")
    if np.ptp(data[:, -1]) == 0:
        raise ValueError(f"outcome {outcome!r} is constant")
    corr = _standardized_corr(data)
    r2 = _all_subset_r2(corr[:p, :p], corr[:p, p])

    masks = np.arange(1 << p)
    sizes = np.zeros(1 << p, dtype=int)
    for j in range(p):
        sizes += (masks >> j) & 1
    fact = np.array([math.factorial(s) for s in range(p + 1)], dtype=float)
    shapley_w = fact[:p] * fact[p - 1 :: -1] / fact[p]  # weight for |S| = 0..p-1
    shares = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        gain = r2[without | (1 << j)] - r2[without]
        shares[j] = np.dot(shapley_w[sizes[without]], gain)

    out = pd.Series(shares, index=pd.Index(predictors, name="predictor"), name="lmg")
    out.attrs.update(r2=float(r2[-1]), n=int(n))
    return out
