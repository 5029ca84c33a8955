"""Social wellbeing index (ИСБ), docs/methods.md M4: regression, LMG weights, ШССУ, expected
results and resilient schools.

The pipeline, after ИОР (M3, after the M5 exclusions):

1. **Candidates** (`candidate_frame`): per school × year, shares of `students_total` for the
   pupil counts of the social passport, staff shares of `teachers_total`, computers per
   pupil, and the school-level rural flag (locality «село»), distance_km and is_small.
2. **Fit sample**: school-years of the analysis window with an ИОР (the outcome) and the
   candidates, pooled; the outcome and every candidate are standardized over this sample
   (mean 0, SD 1 with ddof = 0).
3. **Degenerate candidates** are removed before any matrix is inverted, each with a note:
   missing for more than `max_missing_share` of the sample; constant; collinear — taken in
   the order of `candidates`, a candidate whose R² on the candidates already kept exceeds
   `max_abs_corr`² is dropped (for a pair this is «the later of two with |r| > 0.98»; it
   also catches exact linear combinations such as shares that add up to one).
4. **Too few schools**: with fewer than `min_fit_schools` schools no model is fitted and no
   ИСБ is computed; with fewer than `min_schools_per_term` schools per candidate the start
   model keeps the candidates most correlated with the outcome (|r|), and says so.
5. **Model**: OLS (statsmodels) of the standardized outcome on the standardized candidates
   with cluster-robust SEs by school (CR1, t with G − 1 df), HC1 without clusters.
   **Backward elimination**: drop the least significant term while p > α, then while more
   than `max_terms` remain; keep at least one. Then, with `drop_wrong_sign`, a term whose
   sign contradicts its expected one (data/social_expected_signs.csv) leaves and the
   elimination goes on. The final model is refitted on every school-year complete for the
   kept terms (the selection ran on the rows complete for every candidate).
6. **Weights**: exact LMG shares of R² of the selected terms (`stats.lmg`), normalized to
   sum to 1; sign s_j = sign of the coefficient.
7. **ИСБ** = Σ w_j·s_j·z_j (higher = more favourable), rescaled 0..1 by min–max across all
   school-years of the window that have the selected characteristics (one scale for the
   three years, so a school's ИСБ is comparable from year to year). Quartiles per year as in
   M3; ШССУ = quartile ≤ `hard_context_quartile`.
8. **Expected result** ŷ from the selected model (ИОР units), residual y − ŷ with a 95 %
   prediction interval ± t·s_pred, s_pred² = s²_resid + x'Vx (V the cluster-robust
   covariance of the coefficients, t with the model's inference df): «выше / ниже / на
   уровне ожидаемого».
9. **Resilient schools**, reporting year: strict — ИСБ in Q1 and ИОР in Q4; contextual —
   ИСБ below the median and the residual interval entirely above 0.

Bad input never raises a LinAlgError: the offending term is dropped (or no model is fitted)
and the report gets a note saying which and why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shnor_lib.io import schema
from shnor_lib.methods import results_index, stats

__all__ = [
    "ABOVE",
    "BELOW",
    "CANDIDATE_LABELS",
    "LEVEL",
    "SHORT_LABELS",
    "SocialFit",
    "SocialResult",
    "candidate_frame",
    "fit",
    "stage",
]

ABOVE = "выше ожидаемого"
BELOW = "ниже ожидаемого"
LEVEL = "на уровне ожидаемого"

# Pupil counts of the social passport: share of students_total.
STUDENT_SHARES = schema.CONTEXT_STUDENT_COUNTS
# Staff counts: share of teachers_total.
STAFF_SHARES = {
    "vacancies_share": "vacancies",
    "multi_subject_share": "teachers_multi_subject",
    "no_subject_degree_share": "teachers_no_subject_degree",
}
PER_STUDENT = {"computers_per_student": "computers"}
SCHOOL_LEVEL = ("rural", "distance_km", "is_small")
KNOWN_CANDIDATES = (*STUDENT_SHARES, *SCHOOL_LEVEL, *STAFF_SHARES, *PER_STUDENT)

CANDIDATE_LABELS: dict[str, str] = {
    "low_income": "Доля обучающихся из малообеспеченных семей",
    "single_parent": "Доля обучающихся из неполных семей",
    "large_family": "Доля обучающихся из многодетных семей",
    "disabled": "Доля обучающихся с ОВЗ",
    "non_native_russian": "Доля обучающихся, для которых русский язык неродной",
    "at_risk_registered": "Доля обучающихся, состоящих на учёте",
    "difficult_situation": "Доля обучающихся в трудной жизненной ситуации",
    "parents_higher_ed": "Доля обучающихся, родители которых имеют высшее образование",
    "parents_unemployed": "Доля обучающихся с безработными родителями",
    "rural": "Сельская местность",
    "distance_km": "Удалённость от районного центра, км",
    "is_small": "Малокомплектная школа",
    "vacancies_share": "Вакансии (доля от числа педагогов)",
    "multi_subject_share": "Доля учителей, ведущих несколько предметов",
    "no_subject_degree_share": "Доля учителей без профильного образования",
    "computers_per_student": "Компьютеров на одного обучающегося",
}
SHORT_LABELS: dict[str, str] = {
    "low_income": "Малообеспеченные семьи",
    "single_parent": "Неполные семьи",
    "large_family": "Многодетные семьи",
    "disabled": "Обучающиеся с ОВЗ",
    "non_native_russian": "Русский язык неродной",
    "at_risk_registered": "Состоят на учёте",
    "difficult_situation": "Трудная жизненная ситуация",
    "parents_higher_ed": "Родители с высшим образованием",
    "parents_unemployed": "Безработные родители",
    "rural": "Сельская местность",
    "distance_km": "Удалённость, км",
    "is_small": "Малокомплектная",
    "vacancies_share": "Вакансии",
    "multi_subject_share": "Учителя нескольких предметов",
    "no_subject_degree_share": "Учителя без профильного образования",
    "computers_per_student": "Компьютеров на обучающегося",
}


# Direction expected from the meaning of each characteristic (docs/indicators.md, F1): the sign
# of its association with results, kept as data (data/social_expected_signs.csv). With
# ``social_index.drop_wrong_sign`` a term whose fitted sign contradicts it is kept out of the
# model (docs/methods_choices.md); otherwise it only gets a note.
# (read by io.reference.load_social_expected_signs; the stage passes it as ``expected_signs``)

MODEL_COLUMNS = ["term", "coef", "se", "pvalue", "ci_low", "ci_high", "lmg", "weight", "sign"]
SELECTION_COLUMNS = ["term", "label", "status", "step", "pvalue", "reason"]
BY_YEAR_COLUMNS = [
    "school_id",
    "year",
    "social_index",
    "social_raw",
    "social_quartile",
    "social_level",
    "hard_context",
    "main_factor",
    "results_index",
    "results_quartile",
    "expected_result",
    "residual",
    "residual_ci_low",
    "residual_ci_high",
    "vs_expected",
    "resilient_strict",
    "resilient_contextual",
    "no_social_reason",
]
SCHOOL_COLUMNS = [
    "school_id",
    "social_index",
    "social_quartile",
    "social_level",
    "hard_context",
    "expected_result",
    "residual",
    "residual_ci_low",
    "residual_ci_high",
    "vs_expected",
    "resilient_strict",
    "resilient_contextual",
    "low_results_hard_context",
    "main_factor",
    "no_social_reason",
]
STATUS_IN = "в модели"
STATUS_OUT = "исключена"
SE_LABELS = {
    "cluster": "кластерно-устойчивые (по ОО, CR1)",
    "HC1": "устойчивые к гетероскедастичности (HC1)",
}

Note = tuple[str, str]  # (kind for display.note, Russian text)


def label(term: str) -> str:
    return CANDIDATE_LABELS.get(term, term)


def _f(x: float, digits: int = 2) -> str:
    """Russian decimal comma for notes."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}".replace(".", ",").replace("-", "−")


def _p(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p не определено"
    return "p < 0,001" if p < 0.001 else f"p = {_f(p, 3)}"


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


# --------------------------------------------------------------------------- candidates


def candidate_frame(
    data: Mapping[str, pd.DataFrame], candidates: Iterable[str] | None = None
) -> pd.DataFrame:
    """Candidates of M4 per school × year (one row per `context` row).

    Pupil counts → share of `students_total`; `vacancies_share`, `multi_subject_share`,
    `no_subject_degree_share` → share of `teachers_total`; `computers_per_student`; from
    `schools`: `rural` (1 if locality is «село»), `distance_km`, `is_small` (0/1). A zero or
    missing denominator gives NaN. Any other requested name that is a numeric column of
    `context` (e.g. `internet_mbps`) or `schools` is taken as it is. Shares are in 0..1.
    """
    ctx = data.get("context")
    schools = data.get("schools")
    wanted = list(dict.fromkeys([*KNOWN_CANDIDATES, *(candidates or [])]))
    if ctx is None or ctx.empty:
        return pd.DataFrame(columns=["school_id", "year", *wanted])
    ctx = ctx.reset_index(drop=True)
    out = pd.DataFrame(
        {"school_id": ctx["school_id"].astype(str).to_numpy(), "year": _num(ctx["year"])}
    )
    out = out[~np.isnan(out["year"].to_numpy())].copy()
    ctx = ctx.loc[out.index]
    out["year"] = out["year"].astype(int)

    def col(frame: pd.DataFrame, name: str) -> np.ndarray:
        if name not in frame.columns:
            return np.full(len(frame), np.nan)
        return _num(frame[name])

    with np.errstate(divide="ignore", invalid="ignore"):
        students = col(ctx, "students_total")
        students = np.where(students > 0, students, np.nan)
        teachers = col(ctx, "teachers_total")
        teachers = np.where(teachers > 0, teachers, np.nan)
        for name in STUDENT_SHARES:
            out[name] = col(ctx, name) / students
        for name, src in STAFF_SHARES.items():
            out[name] = col(ctx, src) / teachers
        for name, src in PER_STUDENT.items():
            out[name] = col(ctx, src) / students
    sch = (
        schools.assign(school_id=schools["school_id"].astype(str)).drop_duplicates("school_id")
        if schools is not None
        else pd.DataFrame({"school_id": []})
    ).set_index("school_id")
    ids = out["school_id"]
    if "locality" in sch.columns:
        loc = ids.map(sch["locality"].astype(object))
        rural = np.where(loc.isna(), np.nan, (loc.astype(str).str.strip().str.lower() == "село"))
        out["rural"] = rural.astype(float)
    else:
        out["rural"] = np.nan
    for name in ("distance_km", "is_small"):
        out[name] = _num(ids.map(sch[name].astype(object))) if name in sch.columns else np.nan
    for name in wanted:
        if name in out.columns:
            continue
        if name in ctx.columns:
            out[name] = col(ctx, name)
        elif name in sch.columns:
            out[name] = _num(ids.map(sch[name].astype(object)))
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- the model


def _robust_ols(y: np.ndarray, X: np.ndarray, groups: np.ndarray | None):
    """OLS with an intercept; cluster-robust (CR1, t with G − 1 df) or HC1 covariance."""
    exog = np.column_stack([np.ones(len(y)), X])
    import statsmodels.api as sm  # imported when needed: report kernels start faster

    model = sm.OLS(y, exog)
    if groups is not None:
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    return model.fit(cov_type="HC1", use_t=True)


def _inference_df(res) -> float:
    df = getattr(res, "df_resid_inference", None)
    return float(df if df is not None else res.df_resid)


@dataclass
class SocialFit:
    """A fitted M4 model (standardized), its LMG weights and how to score new rows.

    `coef` is indexed by term (selected terms, in order of weight): coef, se, pvalue,
    ci_low, ci_high. `selection` lists every candidate with its status and the reason.
    `ok` is False when no model could be fitted (then `terms` is empty and scores are NaN).
    """

    outcome: str
    candidates: list[str]
    terms: list[str] = field(default_factory=list)
    coef: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["coef", "se", "pvalue", "ci_low", "ci_high"])
    )
    intercept: float = math.nan
    r2: float = math.nan
    r2_adj: float = math.nan
    lmg: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    weights: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    signs: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    means: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    sds: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    cov: pd.DataFrame = field(default_factory=pd.DataFrame)
    sigma2: float = math.nan  # residual variance of the standardized model (df n − k)
    df_inference: float = math.nan
    n_obs: int = 0
    n_clusters: int = 0
    se_type: str = ""
    alpha: float = 0.05
    max_terms: int = 6
    confidence: float = 0.95
    selection: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SELECTION_COLUMNS))
    notes: list[Note] = field(default_factory=list)
    ok: bool = False
    result: Any = None  # the final statsmodels results object (None when not ok)

    # ---------------------------------------------------------------- scoring
    def _z(self, frame: pd.DataFrame) -> pd.DataFrame:
        cols = {}
        for t in self.terms:
            x = _num(frame[t]) if t in frame.columns else np.full(len(frame), np.nan)
            cols[t] = (x - self.means[t]) / self.sds[t]
        return pd.DataFrame(cols, index=frame.index)

    def raw_score(self, frame: pd.DataFrame) -> pd.Series:
        """ИСБ_raw = Σ w_j·s_j·z_j (higher = more favourable); NaN if a selected term is missing."""
        if not self.ok:
            return pd.Series(np.nan, index=frame.index, name="social_raw")
        z = self._z(frame)
        w = (self.weights * self.signs).reindex(self.terms)
        raw = z.mul(w, axis=1).sum(axis=1, min_count=len(self.terms))
        raw[z.isna().any(axis=1)] = np.nan
        return raw.rename("social_raw")

    def score(self, frame: pd.DataFrame) -> pd.Series:
        """ИСБ in 0..1: `raw_score` rescaled by min–max across the rows of `frame` (the
        population); 0.5 when all rows are equal; NaN where a selected term is missing."""
        return minmax(self.raw_score(frame)).rename("social_index")

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """w_j·s_j·z_j per selected term (what pushes a school's ИСБ up or down)."""
        z = self._z(frame)
        return z.mul((self.weights * self.signs).reindex(self.terms), axis=1)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Expected outcome (original units) with its prediction interval, and — where the
        frame has the outcome — the residual y − ŷ with the same interval around it."""
        out = pd.DataFrame(index=frame.index)
        cols = [
            "expected",
            "se_pred",
            "pi_low",
            "pi_high",
            "residual",
            "residual_ci_low",
            "residual_ci_high",
        ]
        if not self.ok:
            for c in cols:
                out[c] = np.nan
            return out
        z = self._z(frame)
        Xc = np.column_stack([np.ones(len(z)), z[self.terms].to_numpy()])
        b = np.r_[self.intercept, self.coef.loc[self.terms, "coef"].to_numpy()]
        V = self.cov.loc[["const", *self.terms], ["const", *self.terms]].to_numpy()
        yz = Xc @ b
        var = self.sigma2 + np.einsum("ij,jk,ik->i", Xc, V, Xc)
        sd_y, mean_y = float(self.sds[self.outcome]), float(self.means[self.outcome])
        from scipy import stats as sps

        tq = float(sps.t.ppf(0.5 + self.confidence / 2, self.df_inference))
        out["expected"] = mean_y + sd_y * yz
        out["se_pred"] = sd_y * np.sqrt(var)
        out["pi_low"] = out["expected"] - tq * out["se_pred"]
        out["pi_high"] = out["expected"] + tq * out["se_pred"]
        y = (
            _num(frame[self.outcome])
            if self.outcome in frame.columns
            else np.full(len(frame), np.nan)
        )
        out["residual"] = y - out["expected"].to_numpy()
        out["residual_ci_low"] = out["residual"] - tq * out["se_pred"]
        out["residual_ci_high"] = out["residual"] + tq * out["se_pred"]
        return out[cols]

    def model_table(self) -> pd.DataFrame:
        """social_model.csv: one row per selected term, in order of weight."""
        if not self.ok:
            return pd.DataFrame(columns=[*MODEL_COLUMNS, "label"])
        t = self.coef.loc[self.terms].copy()
        t["lmg"] = self.lmg.reindex(self.terms)
        t["weight"] = self.weights.reindex(self.terms)
        t["sign"] = self.signs.reindex(self.terms).astype(int)
        t = t.rename_axis("term").reset_index()
        t["label"] = t["term"].map(label)
        return t[[*MODEL_COLUMNS, "label"]]


def minmax(x: pd.Series) -> pd.Series:
    lo, hi = x.min(skipna=True), x.max(skipna=True)
    if pd.isna(lo):
        return x * np.nan
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        return x.where(x.isna(), 0.5)
    return (x - lo) / (hi - lo)


def _sequential_r2(corr: np.ndarray, j: int, kept: Sequence[int]) -> float:
    """R² of variable j on the variables `kept`, from a correlation matrix."""
    return stats.r2_from_corr(corr, j, kept) if kept else 0.0


def _refit_complete(
    frame: pd.DataFrame,
    outcome: str,
    terms: list[str],
    y_all: np.ndarray,
    groups_all: np.ndarray | None,
    current: tuple,
    notes: list[Note],
) -> tuple:
    """The final model on every row with the outcome and the kept ``terms`` (the selection
    ran on the rows complete for every candidate, fewer when some candidate has gaps).
    Returns (res, data, y, Zs, zy, groups); ``current`` when no row is added."""
    _res, data, _y, _Zs, _zy, _groups = current
    cols = pd.DataFrame({t: _num(frame[t]) for t in terms}, index=frame.index)
    rows = ~np.isnan(y_all) & ~cols.isna().any(axis=1).to_numpy()
    if int(rows.sum()) <= len(data):
        return current
    full = cols[rows].assign(**{outcome: y_all[rows]})
    y = full[outcome].to_numpy()
    zy = (y - y.mean()) / y.std()
    Zs = (full[terms] - full[terms].mean()) / full[terms].std(ddof=0)
    groups = groups_all[rows] if groups_all is not None else None
    res = _robust_ols(zy, Zs.to_numpy(), groups)
    notes.append(
        (
            "info",
            f"Характеристики отбирались на {len(data)} наблюдениях (ОО × год), полных по всем "
            f"кандидатам; итоговая модель оценена заново на {int(rows.sum())} наблюдениях, "
            "полных по отобранным характеристикам.",
        )
    )
    return res, full, y, Zs, zy, groups


def fit(
    frame: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    alpha: float = 0.05,
    max_terms: int = 6,
    cluster: str | Sequence | np.ndarray | pd.Series | None = None,
    confidence: float = 0.95,
    max_abs_corr: float = 0.98,
    max_missing_share: float = 0.2,
    min_units: int = 10,
    min_units_per_term: float = 2,
    expected_signs: Mapping[str, int] | None = None,
) -> SocialFit:
    """Fit M4: standardized OLS, robust SEs, backward elimination, exact LMG weights.

    ``expected_signs`` (term → −1 / +1): when the elimination would stop, a term whose fitted
    sign contradicts its expected one is dropped (the least significant of them) and the
    elimination goes on. The
    selection runs on the rows complete for every usable candidate; the final model is then
    refitted on every row complete for its kept terms.

    `frame` holds the outcome and the candidate columns (one row per school-year);
    `cluster` is a column name of `frame` or an array of cluster labels (school ids) —
    cluster-robust SEs by it, else HC1. Never raises on degenerate data: candidates that
    are missing, constant or collinear are dropped with a note; too few units give a fit
    with ``ok = False`` and a note.
    """
    candidates = list(dict.fromkeys(candidates))
    max_terms = max(1, min(int(max_terms), stats.MAX_LMG_PREDICTORS))  # exact LMG: ≤ 15 terms
    notes: list[Note] = []
    sel = {t: {"term": t, "status": STATUS_OUT, "step": 0, "pvalue": np.nan} for t in candidates}

    def out_(t: str, reason: str, step: int = 0, p: float = np.nan) -> None:
        sel[t].update(status=STATUS_OUT, step=step, pvalue=p, reason=reason)

    result = SocialFit(
        outcome=outcome,
        candidates=candidates,
        alpha=alpha,
        max_terms=int(max_terms),
        confidence=confidence,
    )

    def finish(fit_: SocialFit) -> SocialFit:
        """Selection table: selected terms by weight, then the terms eliminated last to
        first (the last one was closest to entering), then those dropped before the fit."""
        rows = [{"reason": "", **sel[t], "label": label(t)} for t in candidates]
        s = pd.DataFrame(rows, columns=SELECTION_COLUMNS)
        rank = {t: i for i, t in enumerate(fit_.terms)}
        s["_in"] = s["term"].map(rank)
        s["_step"] = np.where(s["step"] > 0, -s["step"], 0)
        s = s.sort_values(["_in", "_step"], kind="stable", na_position="last")
        s["step"] = s["step"].astype("int64")
        fit_.selection = s[SELECTION_COLUMNS].reset_index(drop=True)
        fit_.notes = notes
        return fit_

    # -- the sample: rows with the outcome ------------------------------------------------
    if isinstance(cluster, str):
        labels_ = frame[cluster].astype(str).to_numpy() if cluster in frame.columns else None
    elif cluster is not None:
        labels_ = pd.Series(np.asarray(cluster)).astype(str).to_numpy()
    else:
        labels_ = None
    groups_all = pd.factorize(labels_)[0] if labels_ is not None else None
    y_all = _num(frame[outcome]) if outcome in frame.columns else np.full(len(frame), np.nan)
    has_y = ~np.isnan(y_all)
    present = []
    for t in candidates:
        if t not in frame.columns:
            out_(t, "нет данных: характеристика отсутствует во входных таблицах")
            continue
        x = _num(frame[t])[has_y]
        miss = float(np.mean(np.isnan(x))) if x.size else 1.0
        if miss >= 1.0:
            out_(t, "нет данных ни по одной ОО")
        elif miss > max_missing_share:
            out_(
                t,
                f"пропуски у {_f(100 * miss, 0)} % наблюдений (больше допустимых "
                f"{_f(100 * max_missing_share, 0)} %)",
            )
        else:
            present.append(t)
    dropped = [t for t in candidates if t not in present]
    if dropped:
        notes.append(
            (
                "data",
                "Не вошли в расчёт из-за отсутствия или неполноты данных: "
                + "; ".join(f"«{label(t)}» — {sel[t]['reason']}" for t in dropped)
                + ".",
            )
        )
    data = pd.DataFrame({t: _num(frame[t]) for t in present}, index=frame.index)
    data[outcome] = y_all
    keep = has_y & ~data[present].isna().any(axis=1).to_numpy()
    n_incomplete = int(has_y.sum() - keep.sum())
    if n_incomplete:
        notes.append(
            (
                "data",
                f"{n_incomplete} наблюдений (ОО × год) с ИОР не вошли в отбор характеристик: "
                "в социальном паспорте нет части характеристик.",
            )
        )
    data = data[keep]
    groups = groups_all[keep] if groups_all is not None else None
    n = len(data)
    n_units = int(len(np.unique(groups))) if groups is not None else n
    result.n_obs, result.n_clusters = n, n_units
    unit = "ОО" if groups is not None else "наблюдений"

    if n_units < max(min_units, 3) or n < 3:
        notes.append(
            (
                "warning",
                f"В выборке модели {n_units} {unit} (нужно не менее {max(min_units, 3)}): "
                "регрессионная модель не оценивается, ИСБ не рассчитан.",
            )
        )
        for t in present:
            out_(t, "модель не оценивалась: слишком мало ОО")
        return finish(result)
    y = data[outcome].to_numpy()
    if np.ptp(y) <= 0:
        notes.append(("warning", "ИОР одинаков у всех ОО выборки: модель не оценивается."))
        for t in present:
            out_(t, "модель не оценивалась: ИОР не различается")
        return finish(result)

    # -- degenerate candidates: constant, collinear ---------------------------------------
    X = data[present].to_numpy()
    sd = X.std(axis=0)
    scale = np.maximum(np.abs(X).max(axis=0), 1.0)
    usable = []
    for j, t in enumerate(present):
        if sd[j] <= 1e-12 * scale[j]:
            out_(t, "не различается между ОО выборки (постоянная)")
            notes.append(("data", f"«{label(t)}» исключена: одинакова у всех ОО выборки."))
        else:
            usable.append(t)
    Z = (data[usable] - data[usable].mean()) / data[usable].std(ddof=0)
    corr = np.corrcoef(Z.to_numpy(), rowvar=False) if usable else np.zeros((0, 0))
    corr = np.atleast_2d(corr)
    kept_idx: list[int] = []
    r2_lim = max_abs_corr**2
    for j, t in enumerate(usable):
        r2 = _sequential_r2(corr, j, kept_idx)
        if r2 > r2_lim:
            rs = [(abs(corr[j, k]), usable[k], corr[j, k]) for k in kept_idx]
            best = max(rs)
            if best[0] > max_abs_corr:
                why = f"почти совпадает с «{label(best[1])}» (r = {_f(best[2], 3)})"
            else:
                top = [name for _a, name, _r in sorted(rs, reverse=True)[:3]]
                why = (
                    "почти линейно выражается через другие характеристики "
                    f"(R² = {_f(r2, 3)}; прежде всего {', '.join('«' + label(s) + '»' for s in top)})"
                )
            out_(t, why)
            notes.append(("data", f"«{label(t)}» исключена из-за коллинеарности: {why}."))
        else:
            kept_idx.append(j)
    start = [usable[k] for k in kept_idx]
    if not start:
        notes.append(
            ("warning", "Не осталось ни одной пригодной характеристики: ИСБ не рассчитан.")
        )
        return finish(result)

    # -- too few schools per candidate: pre-screen by |r| ----------------------------------
    max_start = int(max(1, min(n_units // max(min_units_per_term, 1), n_units - 2, n - 2)))
    zy = (y - y.mean()) / y.std()
    if len(start) > max_start:
        r = {t: abs(float(np.corrcoef(Z[t].to_numpy(), zy)[0, 1])) for t in start}
        ranked = sorted(start, key=lambda t: -r[t])
        kept, set_aside = ranked[:max_start], ranked[max_start:]
        for t in set_aside:
            out_(t, f"предварительный отбор: слабее связана с ИОР (|r| = {_f(r[t], 2)})")
        notes.append(
            (
                "warning",
                f"В выборке {n_units} {unit} — мало для {len(start)} характеристик "
                f"(нужно не менее {_f(min_units_per_term, 0)} на характеристику). В исходную "
                f"модель взяты {max_start} характеристик, сильнее других связанных с ИОР; "
                "не вошли: " + ", ".join(f"«{label(t)}»" for t in set_aside) + ".",
            )
        )
        start = [t for t in start if t in kept]

    # -- backward elimination ---------------------------------------------------------------
    Zs = Z[start]
    terms = list(start)
    step = 0
    expected = dict(expected_signs or {})
    while terms:
        res = _robust_ols(zy, Zs[terms].to_numpy(), groups)
        p = pd.Series(np.asarray(res.pvalues)[1:], index=terms).fillna(1.0)
        b = pd.Series(np.asarray(res.params)[1:], index=terms)
        worst = p[::-1].idxmax()  # ties: the later candidate goes first
        if len(terms) > 1 and p[worst] > alpha:
            step += 1
            out_(worst, f"незначима: {_p(p[worst])} > α = {_f(alpha, 2)}", step, float(p[worst]))
            terms.remove(worst)
            continue
        if len(terms) > max_terms:
            step += 1
            out_(
                worst,
                f"наименее значима при превышении предела в {max_terms} характеристик "
                f"({_p(p[worst])})",
                step,
                float(p[worst]),
            )
            terms.remove(worst)
            continue
        # the model the elimination would stop at: a term reading against its meaning leaves
        # it (the least significant such term first) and the elimination goes on
        wrong = [t for t in terms if expected.get(t, 0) * b[t] < 0]
        if not wrong:
            break
        worst = p[wrong][::-1].idxmax()
        step += 1
        how = "чем больше, тем выше" if b[worst] > 0 else "чем больше, тем ниже"
        out_(
            worst,
            f"знак связи противоположен ожидаемому по смыслу ({how} ИОР; {_p(p[worst])})",
            step,
            float(p[worst]),
        )
        terms.remove(worst)
    if not terms:
        notes.append(
            (
                "warning",
                "Ни одна характеристика не связана с ИОР в ожидаемом по смыслу направлении: "
                "ИСБ не рассчитан.",
            )
        )
        return finish(result)
    res, data, y, Zs, zy, groups = _refit_complete(
        frame, outcome, terms, y_all, groups_all, (res, data, y, Zs, zy, groups), notes
    )
    p = pd.Series(np.asarray(res.pvalues)[1:], index=terms).fillna(1.0)
    result.n_obs = len(data)
    result.n_clusters = int(len(np.unique(groups))) if groups is not None else len(data)
    if p.iloc[0] > alpha and len(terms) == 1:
        notes.append(
            (
                "warning",
                f"Ни одна характеристика не значима на уровне α = {_f(alpha, 2)}; в модели "
                f"оставлена наиболее значимая — «{label(terms[0])}» ({_p(p.iloc[0])}). ИСБ "
                "опирается на слабую связь и требует осторожной интерпретации.",
            )
        )

    # -- the final model ----------------------------------------------------------------------
    names = ["const", *terms]
    params_ = pd.Series(np.asarray(res.params), index=names)
    bse = pd.Series(np.asarray(res.bse), index=names)
    ci = np.asarray(res.conf_int(alpha=1 - confidence))
    coef = pd.DataFrame(
        {
            "coef": params_[terms],
            "se": bse[terms],
            "pvalue": p[terms],
            "ci_low": pd.Series(ci[1:, 0], index=terms),
            "ci_high": pd.Series(ci[1:, 1], index=terms),
        }
    )
    lmg = stats.lmg(
        pd.concat([Zs[terms], pd.Series(zy, index=Zs.index, name="__y")], axis=1), "__y", terms
    )
    total = float(lmg.sum())
    weights = lmg / total if total > 0 else pd.Series(1.0 / len(terms), index=terms)
    order = sorted(terms, key=lambda t: (-weights[t], terms.index(t)))
    for t in terms:
        sel[t].update(
            status=STATUS_IN,
            step=0,
            pvalue=float(p[t]),
            reason=(
                f"{_p(p[t])}; вклад в R² (LMG) {_f(float(lmg[t]), 3)}, вес {_f(float(weights[t]), 2)}"
            ),
        )
    result.terms = order
    result.coef = coef.loc[order]
    result.intercept = float(params_["const"])
    result.r2 = float(res.rsquared)
    result.r2_adj = float(res.rsquared_adj)
    result.lmg = lmg.reindex(order).rename("lmg")
    result.weights = weights.reindex(order).rename("weight")
    result.signs = pd.Series(np.sign(params_[order]).replace(0, 1.0), index=order, name="sign")
    cols = data[terms]
    result.means = pd.concat([cols.mean(), pd.Series({outcome: float(y.mean())})])
    result.sds = pd.concat([cols.std(ddof=0), pd.Series({outcome: float(y.std())})])
    result.cov = pd.DataFrame(np.asarray(res.cov_params()), index=names, columns=names)
    result.sigma2 = float(res.ssr / res.df_resid) if res.df_resid > 0 else 0.0
    result.df_inference = _inference_df(res)
    result.se_type = "cluster" if groups is not None else "HC1"
    result.ok = True
    result.result = res
    return finish(result)


# --------------------------------------------------------------------------- the stage


@dataclass
class SocialResult:
    """What the pipeline publishes for M4 (see `tables`)."""

    fit: SocialFit
    model_table: pd.DataFrame  # social_model.csv
    schools: pd.DataFrame  # the ИСБ columns of schools.csv (reporting year)
    by_year: pd.DataFrame  # ИСБ etc. per school × year of the window
    messages: list[Note]
    summary: dict[str, Any]

    @property
    def notes(self) -> list[str]:
        return [text for _kind, text in self.messages]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table to publish: social_model (contract), social_selection (each
        candidate and why it is in or out), social_fit (one row: sample, R², scope, …),
        social_notes (kind, text for the report), social_index (per school × year)."""
        fit_row = pd.DataFrame([self.summary])
        notes = pd.DataFrame(self.messages, columns=["kind", "text"])
        return {
            "social_model": self.model_table,
            "social_selection": self.fit.selection,
            "social_fit": fit_row,
            "social_notes": notes,
            "social_index": self.by_year,
        }


def _reference(params: Any) -> str:
    ri = getattr(params, "results_index", None)
    try:
        return str(ri["reference"]) if ri is not None else "municipality"
    except (KeyError, TypeError):
        return "municipality"


def _resolve_scope(params: Any, n_schools: int, has_region: bool) -> tuple[str, list[Note]]:
    scope = params.social_index["scope"]
    min_schools = int(params.social_index["min_schools"])
    region = params.region
    notes: list[Note] = []
    want_region = scope == "region" or (scope == "auto" and n_schools < min_schools and region)
    # ИОР over the region (results_index.reference: region): the ИСБ quartiles over it too
    want_region = want_region or bool(region and _reference(params) == "region")
    if want_region and has_region:
        return "region", [
            ("info", f"Модель ИСБ оценена по ОО региона «{region}» (муниципалитет и регион).")
        ]
    if want_region:
        why = (
            f"в муниципалитете {n_schools} ОО с данными (меньше {min_schools})"
            if scope == "auto"
            else "так задано в параметрах (social_index.scope: region)"
        )
        notes.append(
            (
                "warning",
                f"Модель ИСБ следовало оценить по региону ({why}), но данных других "
                "муниципалитетов региона в этом расчёте нет: модель оценивается по ОО "
                "муниципалитета; оценки коэффициентов менее точны.",
            )
        )
    elif scope == "auto" and n_schools < min_schools:
        notes.append(
            (
                "warning",
                f"В муниципалитете {n_schools} ОО с данными (меньше {min_schools}), регион в "
                "параметрах не задан: модель ИСБ оценивается по муниципалитету; оценки "
                "коэффициентов менее точны, чем по региону.",
            )
        )
    return "municipality", notes


def _reason_frame(
    schools: pd.Series, years: list[int], cand: pd.DataFrame, fit_: SocialFit
) -> pd.DataFrame:
    """Why a school × year has no ИСБ (empty string when it has one)."""
    grid = pd.MultiIndex.from_product([schools, years], names=["school_id", "year"]).to_frame(
        index=False
    )
    have = cand.assign(_ctx=True)
    g = grid.merge(have, on=["school_id", "year"], how="left")
    reasons = []
    for i in range(len(g)):
        row = g.iloc[i]
        if not fit_.ok:
            reasons.append("модель ИСБ не оценена (см. примечания к разделу)")
        elif pd.isna(row.get("_ctx")):
            reasons.append(f"нет данных социального паспорта за {int(row['year'])} г.")
        else:
            miss = [t for t in fit_.terms if pd.isna(row.get(t))]
            reasons.append(
                "в социальном паспорте нет: " + ", ".join(f"«{label(t)}»" for t in miss)
                if miss
                else ""
            )
    g["no_social_reason"] = reasons
    return g


def _own_population(
    data: Mapping[str, pd.DataFrame], index: pd.DataFrame, params: Any
) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """The municipality's schools, candidate rows (window years) and ИОР rows."""
    years = [int(y) for y in params.years]
    cand_names = list(params.social_index["candidates"])
    schools = data["schools"]["school_id"].astype(str).drop_duplicates().sort_values()
    cand = candidate_frame(data, cand_names)
    cand = cand[cand["year"].isin(years) & cand["school_id"].isin(set(schools))]
    idx = index[["school_id", "year", "results_index", "results_quartile"]].copy()
    idx["school_id"] = idx["school_id"].astype(str)
    idx["year"] = _num(idx["year"]).astype(int)
    idx = idx[idx["year"].isin(years)]
    return schools, cand, idx


def region_rows(data: Mapping[str, pd.DataFrame], index: pd.DataFrame, params: Any) -> pd.DataFrame:
    """This municipality's share of a region sample for :func:`stage` (``region_sample=``):
    its school-years of the window with the candidates and ИОР (after its exclusions)."""
    _, cand, idx = _own_population(data, index, params)
    rows = cand.merge(idx.drop(columns="results_quartile"), on=["school_id", "year"], how="left")
    return rows.reset_index(drop=True)


def fit_population(
    pop: pd.DataFrame, cand_names: list[str], params: Any, *, expected_signs: Mapping[str, int]
) -> SocialFit:
    """:func:`fit` of ИОР on the candidates over ``pop`` with the params of M4
    (``expected_signs``: :func:`shnor_lib.io.reference.load_social_expected_signs`)."""
    return fit(
        pop,
        "results_index",
        cand_names,
        alpha=float(params.social_index["alpha"]),
        max_terms=int(params.social_index["max_terms"]),
        cluster="school_id",
        confidence=float(params.confidence),
        max_abs_corr=float(params.social_index["max_abs_corr"]),
        max_missing_share=float(params.social_index["max_missing_share"]),
        min_units=int(params.social_index["min_fit_schools"]),
        min_units_per_term=float(params.social_index["min_schools_per_term"]),
        expected_signs=expected_signs if params.social_index["drop_wrong_sign"] else None,
    )


WRONG_SIGN_REASON = "знак связи противоположен ожидаемому"


def sign_rule_notes(model: SocialFit, active: bool) -> list[Note]:
    """An info note on the expected-sign rule: which characteristics it kept out, or none."""
    if not active or not model.ok:
        return []
    sel = model.selection
    out = sel[sel["reason"].fillna("").str.startswith(WRONG_SIGN_REASON)]
    which = (
        "исключены: " + ", ".join(f"«{label(t)}»" for t in out["term"])
        if len(out)
        else "таких характеристик в этой модели не было"
    )
    return [
        (
            "info",
            "Характеристика, связь которой с ИОР противоположна ожидаемой по смыслу (например, "
            "«больше обучающихся на учёте — выше результаты»), в ИСБ не включается; " + which + ".",
        )
    ]


def fit_region(
    region_sample: pd.DataFrame, params: Any, *, expected_signs: Mapping[str, int]
) -> SocialFit:
    """The ИСБ model of the region: fitted once on the pooled sample (every municipality's
    school-years), shared by the municipalities whose fit scope is the region — their own
    fits would be on the same rows in another order."""
    years = [int(y) for y in params.years]
    cand_names = list(params.social_index["candidates"])
    pop = region_sample.copy()
    pop["school_id"] = pop["school_id"].astype(str)
    pop = pop[pop["year"].isin(years)].reset_index(drop=True)
    cands = [t for t in cand_names if t in pop.columns]
    return fit_population(pop, cands, params, expected_signs=expected_signs)


def social_key(params: Any) -> str:
    """What a shared regional fit depends on: the M4 params, confidence and window."""
    import json

    section = params["social_index"]
    section = section.to_dict() if hasattr(section, "to_dict") else dict(section)
    return json.dumps(
        {"si": section, "confidence": params.confidence, "years": list(params.years)},
        sort_keys=True,
        default=str,
    )


def fit_scope(params: Any, n_schools: int, has_region: bool) -> str:
    """«municipality» or «region»: where :func:`stage` fits the model (see ``scope``)."""
    return _resolve_scope(params, n_schools, has_region)[0]


def fit_schools(index: pd.DataFrame, data: Mapping[str, pd.DataFrame], params: Any) -> int:
    """Schools of the municipality with ИОР and a context row in the window (the count that
    ``scope: auto`` compares with ``min_schools``)."""
    _, cand, idx = _own_population(data, index, params)
    pop = cand.merge(idx, on=["school_id", "year"], how="left")
    return int(pop.loc[pop["results_index"].notna(), "school_id"].nunique())


def stage(
    data: Mapping[str, pd.DataFrame],
    index: pd.DataFrame,
    classes: pd.DataFrame | None,
    params: Any,
    *,
    region_sample: pd.DataFrame | None = None,
    region_fit: SocialFit | None = None,
    expected_signs: Mapping[str, int],
) -> SocialResult:
    """M4 for the pipeline, after ИОР (``expected_signs``: term → expected sign, from
    :func:`shnor_lib.io.reference.load_social_expected_signs`).

    `index` is `results_index.compute_index` output (school × year, after exclusions);
    `classes` is `results_index.classify` output (for ШНОР ∩ ШССУ). `region_sample` —
    optional school-years of other municipalities of the region (school_id, year,
    results_index and the candidate columns) used when the fit scope resolves to the region;
    `region_fit` — the model already fitted on that pooled sample (:func:`fit_region`), used
    instead of fitting it again.
    """
    years = [int(y) for y in params.years]
    year = int(params.year)
    cand_names = list(params.social_index["candidates"])
    alpha = float(params.social_index["alpha"])
    max_terms = int(params.social_index["max_terms"])
    hard_q = int(params.social_index["hard_context_quartile"])
    conf = float(params.confidence)
    messages: list[Note] = []

    schools, cand, idx = _own_population(data, index, params)
    unknown = [t for t in cand_names if t not in cand.columns]
    if unknown:
        messages.append(
            (
                "data",
                "Неизвестные характеристики в параметрах social_index.candidates (нет такой "
                "графы ни в social passport, ни в перечне ОО): "
                + ", ".join(unknown)
                + ". Они не используются.",
            )
        )
    cand_names = [t for t in cand_names if t in cand.columns]
    pop = cand.merge(idx, on=["school_id", "year"], how="left")
    pop["_own"] = True

    with_y = pop[pop["results_index"].notna()]
    n_fit_schools = int(with_y["school_id"].nunique())
    has_region = region_sample is not None and not region_sample.empty
    scope, scope_notes = _resolve_scope(params, n_fit_schools, has_region)
    messages += scope_notes
    if scope == "region":
        reg = region_sample.copy()
        reg["school_id"] = reg["school_id"].astype(str)
        reg = reg[~reg["school_id"].isin(set(schools)) & reg["year"].isin(years)]
        reg["_own"] = False
        pop = pd.concat([pop, reg], ignore_index=True)

    if scope == "region" and region_fit is not None:
        model = region_fit  # fitted once on the same pooled rows (compute_region)
    else:
        model = fit_population(pop, cand_names, params, expected_signs=expected_signs)
    messages += model.notes
    messages += sign_rule_notes(model, bool(params.social_index["drop_wrong_sign"]))
    against = [t for t in model.terms if expected_signs.get(t, 0) * float(model.signs[t]) < 0]
    if against:
        messages.append(
            (
                "warning",
                "Знак связи с ИОР противоположен ожидаемому по смыслу для: "
                + ", ".join(
                    f"«{label(t)}» ({'чем больше, тем выше' if model.signs[t] > 0 else 'чем больше, тем ниже'} ИОР)"
                    for t in against
                )
                + ". Обычно это следствие взаимной связи характеристик (при равных прочих "
                "условиях) или особенностей данных; вес такой характеристики в ИСБ учтён с "
                "её фактическим знаком — проверьте данные социального паспорта.",
            )
        )

    # -- ИСБ, quartiles, expected results over the population --------------------------------
    pop = pop.reset_index(drop=True)
    pop["social_raw"] = model.raw_score(pop)
    pop["social_index"] = minmax(pop["social_raw"])
    pop["social_quartile"] = pop.groupby("year", group_keys=False)["social_index"].apply(
        results_index.quartile
    )
    pop["social_level"] = pop["social_quartile"].map(results_index.QUARTILE_LABELS)
    q = pop["social_quartile"]
    pop["hard_context"] = pd.array(np.where(q.isna(), None, q <= hard_q), dtype="boolean")
    pred = model.predict(pop)
    pop["expected_result"] = pred["expected"]
    for c in ("residual", "residual_ci_low", "residual_ci_high"):
        pop[c] = pred[c]
    pop["vs_expected"] = np.select(
        [pop["residual"].isna(), pop["residual_ci_low"] > 0, pop["residual_ci_high"] < 0],
        [None, ABOVE, BELOW],
        default=LEVEL,
    )
    pop["vs_expected"] = pop["vs_expected"].astype(object).where(pop["residual"].notna(), None)
    contrib = model.contributions(pop) if model.ok else pd.DataFrame(index=pop.index)
    if model.ok and not contrib.empty:
        worst = contrib.idxmin(axis=1, skipna=True)
        low = contrib.min(axis=1, skipna=True)
        lower = pop["social_raw"] < pop.groupby("year")["social_raw"].transform("median")
        pop["main_factor"] = [
            SHORT_LABELS.get(w, w) if pd.notna(v) and v < 0 and below else ""
            for w, v, below in zip(worst, low, lower, strict=True)
        ]
        pop.loc[pop["social_raw"].isna(), "main_factor"] = None
    else:
        pop["main_factor"] = None
    # resilience, per year (the reporting year goes to schools.csv)
    med = pop.groupby("year")["social_index"].transform("median")
    has_si = pop["social_index"].notna()
    has_y = pop["results_index"].notna() & pop["results_quartile"].notna()
    strict = (pop["social_quartile"] == 1) & (pop["results_quartile"] == 4)
    ctxl = (pop["social_index"] < med) & (pop["residual_ci_low"] > 0)
    pop["resilient_strict"] = pd.array(np.where(has_si & has_y, strict, None), dtype="boolean")
    pop["resilient_contextual"] = pd.array(
        np.where(has_si & pop["residual"].notna(), ctxl, None), dtype="boolean"
    )

    own = pop[pop["_own"].astype(bool)].drop(columns="_own")
    reasons = _reason_frame(schools, years, cand, model)[["school_id", "year", "no_social_reason"]]
    by_year = reasons.merge(own, on=["school_id", "year"], how="left")
    # rows without a context row: results_index from the index all the same
    by_year = by_year.drop(columns=["results_index", "results_quartile"]).merge(
        idx, on=["school_id", "year"], how="left"
    )
    for c in ("hard_context", "resilient_strict", "resilient_contextual"):
        by_year[c] = by_year[c].astype("boolean")
    by_year = by_year[BY_YEAR_COLUMNS].sort_values(["year", "school_id"]).reset_index(drop=True)
    by_year["year"] = by_year["year"].astype("int64")

    cur = by_year[by_year["year"] == year].set_index("school_id")
    sch = pd.DataFrame({"school_id": schools.to_numpy()})
    for c in SCHOOL_COLUMNS[1:]:
        if c in cur.columns:
            sch[c] = sch["school_id"].map(cur[c])
    for c in ("hard_context", "resilient_strict", "resilient_contextual"):
        sch[c] = sch[c].astype("boolean")
    low = set()
    if classes is not None and not classes.empty and "low_results" in classes:
        cl = classes.assign(school_id=classes["school_id"].astype(str))
        low = set(cl.loc[cl["low_results"].fillna(False).astype(bool), "school_id"])
    sch["low_results_hard_context"] = pd.array(
        np.where(
            sch["hard_context"].isna(),
            None,
            sch["school_id"].isin(low) & sch["hard_context"].fillna(False),
        ),
        dtype="boolean",
    )
    sch["no_social_reason"] = sch["no_social_reason"].fillna("")
    no_res = sch["social_index"].notna() & sch["residual"].isna()
    sch["no_social_reason"] = sch["no_social_reason"].where(
        ~no_res, "нет ИОР: ожидаемый результат рассчитан, отклонение не определено"
    )
    sch = sch[SCHOOL_COLUMNS]

    missing_now = sch[sch["social_index"].isna() & model.ok]
    if len(missing_now):
        messages.append(
            (
                "data",
                f"ИСБ за {year} г. не рассчитан для {len(missing_now)} ОО (причины — в "
                "таблице «ОО без ИСБ»).",
            )
        )
    summary = {
        "outcome": "results_index",
        "scope": scope,
        "years": ", ".join(map(str, years)),
        "year": year,
        "n_obs": model.n_obs,
        "n_schools": model.n_clusters,
        "n_candidates": len(cand_names),
        "n_terms": len(model.terms),
        "r2": model.r2,
        "r2_adj": model.r2_adj,
        "se_type": model.se_type,
        "df_inference": model.df_inference,
        "alpha": alpha,
        "max_terms": max_terms,
        "confidence": conf,
        "residual_sd": (
            math.sqrt(model.sigma2) * float(model.sds["results_index"]) if model.ok else np.nan
        ),
        "outcome_mean": float(model.means["results_index"]) if model.ok else np.nan,
        "outcome_sd": float(model.sds["results_index"]) if model.ok else np.nan,
        "hard_context_quartile": hard_q,
        "ok": model.ok,
    }
    return SocialResult(
        fit=model,
        model_table=model.model_table(),
        schools=sch.reset_index(drop=True),
        by_year=by_year,
        messages=messages,
        summary=summary,
    )
