"""School indicators pooled over the analysis window (for the school cards).

A small school rarely has ``min_group_size`` pupils in one year's procedure, so its yearly
values are suppressed (M11) and its card would show nothing. Pooling the window's years
gives a publishable figure for most of them. It must be done on the unsuppressed
indicators (the published ones have no numerator for small years), hence at compute time.

- shares (a numerator over ``n``): Σ numerator / Σ n, Wilson interval;
- means (no numerator, e.g. C1 mean scores): the n-weighted mean of the yearly means; its
  standard error combines the yearly ones, recovered from each year's t interval
  (independent cohorts: Var = Σ n_i² se_i² / (Σ n_i)²).

Counts of schools (``NOT_PEOPLE``) are not pooled. The table is suppressed for publication
by :func:`suppress`, like the yearly one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from shnor_lib.methods.stats import wilson_ci

COLUMNS = [
    "indicator_id",
    "school_id",
    "year_first",
    "year_last",
    "years",
    "value",
    "ci_low",
    "ci_high",
    "numerator",
    "n",
]


def _se_from_ci(frame: pd.DataFrame, confidence: float) -> pd.Series:
    """The standard error behind a yearly t interval (NaN where it had none)."""
    df = (frame["n"] - 1).where(frame["n"] >= 2)
    t = pd.Series(sps.t.ppf(0.5 + confidence / 2, df.to_numpy(float)), index=frame.index)
    return (frame["ci_high"] - frame["ci_low"]) / (2 * t)


def window(
    indicators: pd.DataFrame,
    years: list[int],
    confidence: float,
    exclude: frozenset[str] | set[str] = frozenset(),
) -> pd.DataFrame:
    """One row per school × indicator: the window's years pooled (see the module doc)."""
    if indicators is None or indicators.empty:
        return pd.DataFrame(columns=COLUMNS)
    sel = indicators[
        indicators["level"].eq("school")
        & indicators["year"].isin(years)
        & ~indicators["indicator_id"].isin(exclude)
        & indicators["value"].notna()
        & indicators["n"].gt(0)
    ].copy()
    if sel.empty:
        return pd.DataFrame(columns=COLUMNS)
    sel["is_share"] = sel["numerator"].notna()
    sel["_wn"] = sel["value"] * sel["n"]
    se = _se_from_ci(sel, confidence)
    sel["_var"] = (sel["n"] ** 2) * se**2
    keys = ["indicator_id", "school_id"]
    g = sel.groupby(keys, sort=True)
    out = g.agg(
        year_first=("year", "min"),
        year_last=("year", "max"),
        years=("year", "nunique"),
        numerator=("numerator", lambda s: s.sum(min_count=len(s))),
        n=("n", "sum"),
        wn=("_wn", "sum"),
        var=("_var", lambda s: s.sum(min_count=len(s))),
        is_share=("is_share", "all"),
    ).reset_index()
    share = out["is_share"] & out["numerator"].notna()
    lo, hi = wilson_ci(out["numerator"].where(share, 0), out["n"], confidence)
    out["value"] = np.where(share, 100 * out["numerator"] / out["n"], out["wn"] / out["n"])
    z = sps.norm.ppf(0.5 + confidence / 2)
    half = z * np.sqrt(out["var"]) / out["n"]
    out["ci_low"] = np.where(share, 100 * np.asarray(lo), out["value"] - half)
    out["ci_high"] = np.where(share, 100 * np.asarray(hi), out["value"] + half)
    out["numerator"] = out["numerator"].where(share)
    return out[COLUMNS].reset_index(drop=True)


def suppress(frame: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """M11: pooled values from fewer than ``min_n`` people left empty (n kept)."""
    if frame.empty:
        return frame
    out = frame.copy()
    small = out["n"].fillna(0) < min_n
    out.loc[small, ["value", "ci_low", "ci_high", "numerator"]] = np.nan
    return out
