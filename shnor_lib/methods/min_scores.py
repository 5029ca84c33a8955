"""ГИА minimum scores (M2): results below the minimum, per year and over the window, and the
Rosobrnadzor risk sign.

A result is below the minimum when the ЕГЭ test score or the ОГЭ primary score is below the
reference threshold for that exam × subject × year (`data/gia_min_scores.csv`). A
"procedure" is one exam × subject.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor_lib.methods.stats import wilson_ci


def mark_below_min(gia: pd.DataFrame, thresholds: pd.DataFrame) -> pd.DataFrame:
    """gia rows with `min_score` and `below_min` (NA where no threshold is known).

    An ОГЭ row with a mark and no threshold falls back to mark «2» = below the minimum.
    """
    thr = thresholds[["exam", "subject", "year", "min_score"]]
    out = gia.merge(thr, on=["exam", "subject", "year"], how="left")
    below = pd.Series(pd.NA, index=out.index, dtype="boolean")
    known = out["min_score"].notna()
    below[known] = out.loc[known, "score"] < out.loc[known, "min_score"]
    if "mark" in out:
        fallback = ~known & (out["exam"] == "ОГЭ") & out["mark"].notna()
        below[fallback] = out.loc[fallback, "mark"] == 2
    out["below_min"] = below
    return out


def unknown_thresholds(marked: pd.DataFrame) -> list[str]:
    """Russian warnings for results that could not be compared with a minimum score."""
    unknown = marked[marked["below_min"].isna()]
    if unknown.empty:
        return []
    counts = unknown.groupby(["exam", "subject", "year"]).size()
    return [
        f"ГИА: нет минимального балла в справочнике для {exam}, «{subject}», {year} г. — "
        f"{n} результатов не учтены в доле ниже минимума (справочник: "
        "shnor_lib/data/gia_min_scores.csv)"
        for (exam, subject, year), n in counts.items()
    ]


def shares(marked: pd.DataFrame, keys: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """Share of results below the minimum per group, in percent with a Wilson interval."""
    known = marked[marked["below_min"].notna()]
    agg = known.groupby(keys, observed=True)["below_min"].agg(below="sum", n="size").reset_index()
    agg["below"] = agg["below"].astype("int64")
    lo, hi = wilson_ci(agg["below"].to_numpy(float), agg["n"].to_numpy(float), confidence)
    agg["share"] = 100 * agg["below"] / agg["n"]
    agg["ci_low"] = 100 * np.asarray(lo)
    agg["ci_high"] = 100 * np.asarray(hi)
    return agg


def by_procedure(marked: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per school × year × exam × subject."""
    return shares(marked, ["school_id", "year", "exam", "subject"], confidence)


def pooled_window(
    marked: pd.DataFrame,
    years: list[int],
    confidence: float = 0.95,
    keys: tuple[str, ...] = ("school_id",),
) -> pd.DataFrame:
    """Per school, pooled over the window years (all ГИА procedures together)."""
    sel = marked[marked["year"].isin(years)]
    return shares(sel, list(keys), confidence)


def risk_sign(
    per_procedure: pd.DataFrame, *, share: float = 30.0, procedures: int = 2, min_results: int = 1
) -> pd.DataFrame:
    """M2 Rosobrnadzor risk sign per school × year.

    Risk in year t: ≥ `share` % below the minimum in ≥ `procedures` procedures in t, or in
    the same procedure in t−1 and t. A procedure counts only with ≥ `min_results` results
    (one failure out of two takers is not a 50 % failure rate). Returns school_id, year,
    risk (bool), reason (Russian).
    """
    if per_procedure.empty:
        return pd.DataFrame(columns=["school_id", "year", "risk", "reason"])
    p = per_procedure.assign(
        high=(per_procedure["share"] >= share)
        & (per_procedure.get("n", min_results) >= min_results)
    )
    many = p.groupby(["school_id", "year"])["high"].sum().rename("n_high")
    prev = p[["school_id", "year", "exam", "subject", "high"]].copy()
    prev["year"] += 1
    both = p.merge(prev, on=["school_id", "year", "exam", "subject"], suffixes=("", "_prev"))
    both = both[both["high"] & both["high_prev"]]
    repeat = (
        both.assign(proc=both["exam"] + " " + both["subject"])
        .sort_values("proc")
        .groupby(["school_id", "year"])["proc"]
        .agg(", ".join)
        .rename("repeat")
    )
    out = many.to_frame().join(repeat, how="outer").reset_index()
    out["n_high"] = out["n_high"].fillna(0).astype(int)
    out["risk"] = (out["n_high"] >= procedures) | out["repeat"].notna()
    reasons = []
    for r in out.itertuples():
        parts = []
        if r.n_high >= procedures:
            parts.append(f"не менее {share:g} % ниже минимума в {r.n_high} процедурах за год")
        if isinstance(r.repeat, str):
            parts.append(f"два года подряд: {r.repeat}")
        reasons.append("; ".join(parts))
    out["reason"] = reasons
    return out[["school_id", "year", "risk", "reason"]]
