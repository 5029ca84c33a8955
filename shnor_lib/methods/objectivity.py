"""Objectivity of school-marked results (docs/methods.md M5): the exclusion test, the signs, the
exclusion rule and the effect of exclusions on ИОР.

Unit: school × year × procedure (ВПР) × grade × subject. Stage order (no cycle):
ГИА components (M3, before any exclusion) → this module → exclusions → ИОР → ИСБ.

1. Exclusion test («превышение над независимыми данными»), check ``share_4_5``.
   For each unit with at least ``min_group_size`` participants the share of marks «4»–«5»
   is compared with the share expected from the school's independent evidence:

   - ГИА evidence, per school × year t (``gia_evidence``): the school's mean standardized
     score in the compulsory ГИА exams — ОГЭ Russian and maths, ЕГЭ Russian — over the
     window t − window + 1 … t, each result standardized within exam × subject × year
     across the municipality. These are the results behind the ОГЭ/ЕГЭ components of M3,
     marked by regional commissions and taken before any exclusion, but not the M3
     components themselves: M3's ЕГЭ mean pools Russian with profile maths (so it moves
     with the share of profile takers), its ОГЭ mean uses the coarse 2–5 mark and the share
     below the minimum is sparse; averaging their z-scores gave 90 % recall of gross
     inflation against 93 % for the standardized scores at the same false-positive rate
     (16 synthetic municipalities). Elective exams are left out: their takers select
     themselves. Plus the context shares of ``objectivity.context_predictors``
     (count ÷ students_total).
   - Model, per year × grade × subject: statsmodels ``RLM`` with Huber's T on the variance-
     stabilized share ``y = arcsin √((k + 3/8)/(n + 3/4))`` (Anscombe; sampling variance
     ``v = 1/(4n + 2)`` whatever the share), rows weighted by ``1/(τ² + κ·v)``, predictors
     1 + ГИА score + context shares. Huber bounds the pull of inflated units; each unit's
     expected value is its leave-one-out prediction (exact for the IRLS weights:
     ``ŷ₋ᵢ = y − r/(1 − h)``), so a unit is never compared with a line it helped to draw;
     units above the upper control limit after the first fit are left out of the final
     fit (their expected value is then the prediction from the others), which removes the
     upward pull that Huber only bounds.
   - A school with no ГИА results in the window (a НОШ, or no ГИА file at all) is predicted
     from a second model with the context shares only; a group with fewer than
     ``objectivity.min_schools`` tested units with ГИА falls back to the context model and,
     with fewer than ``min_schools`` tested units at all, to the municipal mean of the other
     units (precision-weighted, same leave-one-out rule); ``basis`` says which. A unit with
     fewer than ``min_group_size`` participants is not tested («недостаточно участников»),
     a unit alone in its group is «не оценивался».
   - Interval of the excess. The variance of an honest unit around its expected value is
     ``V = τ² + κ·v + se²_pred``: the binomial sampling variance ``v``, the error of the
     leave-one-out prediction ``se²_pred = h/((1 − h)·w)``, and overdispersion — true
     differences between schools that the predictors do not explain (τ²) and extra noise
     that grows as classes get smaller (κ ≥ 1 multiplies the sampling variance; small
     schools also have fewer ГИА results behind their prediction). τ² and κ are estimated
     per model from the leave-one-out residuals of all its year × grade × subject fits
     pooled (``_estimate_variance``: τ² makes the median absolute standardized residual
     equal the normal 0.6745, κ makes it equal in the smaller and the larger half of the
     units; medians, so inflated units barely move them), then the groups are refitted with
     the new weights. Without τ² and κ the interval is too narrow: on the synthetic
     benchmark a binomial-only interval flags 4.7 % of honest units against the nominal
     2.5 %, and real schools differ far more than the generator's. Control limits for the
     observed share: ``sin²(ŷ ± z·√V)`` (a funnel in n, asymmetric near 0 and 100 %);
     interval of the excess: ``observed − [upper, lower limit]``; z from ``confidence``.
     Flag: the interval lies above 0 **and** the excess ``observed − expected`` is at
     least ``objectivity.min_excess`` (10 points). A calibrated two-sided 95 % interval
     flags at most 2.5 % of honest units; ``python -m shnor_lib.devtools.bench_objectivity``
     measures false exclusions and the power by scenario × lift × size (docs/validation.md).

   The mean mark (check ``mean_mark``) is tested in the same way on the mark scale
   (``v = s²/n`` with the pooled within-unit variance of marks); it is a reported sign:
   flag when the interval lies above 0 and the excess is at least ``min_excess_mark``.
   Exclusion rests on the share test by default because the share is the quantity the
   inflation changes most directly (pupils lifted over the «4» cut) and its sampling
   variance is known exactly (binomial), while the mark variance must be estimated.

2. Heaping at the «3» cut score (check ``heaping_3``, reported sign): with the ВПР mark
   scale of the year × grade × subject (``data/vpr_scales.csv``; «не оценивался» when the
   scale is unknown or its maximum differs from the data), ``at`` = pupils exactly at the
   cut, ``below`` = one point below; flag when the Wilson interval of ``at/(at + below)``
   lies above ``0.5 + heaping_delta``. Computed per unit and per school × year (pooled over
   grades and subjects; grade and subject empty), since a single class rarely has enough
   pupils at the cut.
3. Journal agreement (checks ``journal_confirmed`` / ``journal_raised``, reported signs):
   shares of pupils whose ВПР mark is lower than / equal to / higher than the class-register
   mark, with Wilson intervals and the targets of docs/indicators.md A26–A36 («не менее 75 %»
   confirmed, «не менее 10 %» raised), with the two meanings of «подтвердили» kept: equal
   marks for Russian and maths (A26, A28), «не ниже, чем в журнале» (confirmed + raised)
   for the other subjects (A30–A36); subject and grade scope from the indicator catalog.
   Flag: target «не достигнут» (the interval lies below the target).
4. Federal list (check ``federal_list``): units on the Rosobrnadzor list.

5. School × procedure × year (check ``school_share_4_5``, table ``objectivity_schools``;
   :func:`school_tests`). Lenient marking is usually a school's decision for the whole ВПР of
   a year, and a lift spread over many small classes hides in each class's noise. All tested
   units of the school-year are pooled (precision-weighted mean of their leave-one-out
   residuals); the variance of the pooled residual is ``τ²_s + κ_s/Σw``, estimated over all
   school-years by the median rule above, because honest schools differ from their expected
   value in all their classes at once. Flag at ``objectivity.school_confidence`` and
   ``min_excess``; at least ``objectivity.school_min_units`` tested units.

The unit test's interval uses ``objectivity.unit_confidence`` (0.99), not the report's
``confidence``: a unit is excluded on it alone, among dozens per school; on the simulated
municipalities of bench_objectivity (honest schools of persistently different quality, drift,
small classes) 0.95 excluded about 3 % of honest units, 0.99 about 1 %.

Exclusion rule (``objectivity.exclusion_rule``, default ``[excess, school, federal_list]``):
a unit is excluded when it is flagged itself, when its school × year is flagged (then every
ВПР unit of the school in that year, small classes included) or when it is on the federal
list. An excluded unit is dropped from every ИОР component, the ИСБ fit and the result
indicators (A11–A15, C1-2: methods/indicators.py); the journal agreement stays on all data.
Every count of exclusions comes from :func:`exclusion_counts` over :func:`exclusion_window`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shnor_lib.errors import ShnorError
from shnor_lib.methods import indicators, results_index
from shnor_lib.methods.stats import target_status, wilson_ci

PROCEDURE = "ВПР"
GIA_COMPULSORY = (("ОГЭ", "Русский язык"), ("ОГЭ", "Математика"), ("ЕГЭ", "Русский язык"))
KEYS = ["school_id", "year", "grade", "subject"]
COLUMNS = [
    "school_id",
    "year",
    "procedure",
    "grade",
    "subject",
    "check",
    "n",
    "statistic",
    "expected",
    "ci_low",
    "ci_high",
    "flagged",
    "excluded",
    "reason",
]
EXTRA_COLUMNS = [
    "school_flagged",
    "observed",
    "observed_ci_low",
    "observed_ci_high",
    "z",
    "adjusted",
    "basis",
    "definition",
    "target_status",
    "participants",
    "note",
]
CHECK_LABELS = {
    "share_4_5": "Превышение доли «4»–«5» над ожидаемой",
    "mean_mark": "Превышение средней отметки над ожидаемой",
    "heaping_3": "Скопление баллов на пороге «3»",
    "journal_confirmed": "Подтверждение отметок в журнале",
    "journal_raised": "Повышение отметки по сравнению с журналом",
    "federal_list": "Перечень Рособрнадзора",
    "school_share_4_5": "Превышение доли «4»–«5» во всей ВПР ОО за год",
}
SCHOOL_CHECK = "school_share_4_5"  # the pooled school × procedure × year test
SCHOOL_KEYS = ["school_id", "year", "procedure"]
SCHOOL_COLUMNS = [
    "school_id",
    "year",
    "procedure",
    "units",
    "units_tested",
    "units_flagged",
    "n",
    "observed",
    "expected",
    "statistic",
    "ci_low",
    "ci_high",
    "z",
    "flagged",
    "excluded",
    "excluded_units",
    "reason",
]
# exclusion_rule values → the check whose flag excludes the unit
RULES = {
    "excess": "share_4_5",
    "school": SCHOOL_CHECK,
    "mean_mark": "mean_mark",
    "heaping": "heaping_3",
    "journal": "journal_confirmed",
    "federal_list": "federal_list",
}
RULE_LABELS = {
    "excess": "превышение доли «4»–«5» над ожидаемой по данным ГИА и контексту",
    "school": "превышение доли «4»–«5» во всей ВПР ОО за год (проверка на уровне ОО)",
    "mean_mark": "превышение средней отметки над ожидаемой",
    "heaping": "скопление баллов на пороге «3»",
    "journal": "низкая доля подтверждения отметок в журнале",
    "federal_list": "перечень Рособрнадзора",
}

BASIS_GIA = "регрессия по ГИА и контексту"
BASIS_CONTEXT = "только контекст: у ОО нет результатов ГИА"
BASIS_CONTEXT_FEW = "только контекст: мало ОО с результатами ГИА для регрессии"
BASIS_MEAN = "среднее остальных ОО муниципалитета: мало ОО для регрессии"
NOT_ENOUGH = "недостаточно участников"
NOT_ASSESSED = "не оценивался"

MEANING_EQUAL = "равна отметке в журнале"
MEANING_NOT_LOWER = "не ниже отметки в журнале (подтвердили или повысили)"

_MODELS = ("A", "B", "M")  # ГИА + context; context only; municipal mean (intercept only)
_ROUNDS = 2  # fit → estimate τ², κ (and the units above the limit) → final fit
_HUBER_T = 1.345  # statsmodels' default tuning constant of Huber's T
_RLM_MAXITER, _RLM_TOL = 50, 1e-5  # RLM.fit(maxiter=50, tol=1e-5, conv="coefs")
_THETA0 = {"A": (0.003, 1.0), "B": (0.01, 1.0), "M": (0.015, 1.0)}  # first-round τ², κ
_MIN_RESID_KAPPA = 40  # residuals needed to estimate κ (else κ = 1)
_KAPPA_MAX = 16.0


# ============================================================================ result


@dataclass
class ObjectivityResult:
    """Everything M5 produces; ``tables()`` gives the frames to publish."""

    table: pd.DataFrame  # objectivity.csv: one row per unit × check
    exclusions: pd.DataFrame  # school_id, year, procedure, grade, subject, reason
    schools: pd.DataFrame  # objectivity_schools.csv: the pooled test per school × procedure × year
    journal: pd.DataFrame  # per indicator × school (or municipality) × year
    heaping: pd.DataFrame  # the heaping_3 rows of `table` (per unit and per school × year)
    models: pd.DataFrame  # per check × model: τ², κ, units, groups
    funnel: pd.DataFrame  # control limits of the funnel plot per year × n
    params: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "objectivity": self.table,
            "objectivity_exclusions": self.exclusions,
            "objectivity_schools": self.schools,
            "objectivity_journal": self.journal,
            "objectivity_models": self.models,
            "objectivity_funnel": self.funnel,
        }


# ============================================================================ inputs


def _int(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("int64")


def unit_stats(vpr: pd.DataFrame) -> pd.DataFrame:
    """Per unit: n (pupils with a mark), k45 (marks 4–5), mean mark, variance of marks."""
    v = vpr[vpr["mark"].notna() & vpr["grade"].notna()]
    m = v["mark"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "school_id": v["school_id"].astype(str).to_numpy(),
            "year": _int(v["year"]).to_numpy(),
            "grade": _int(v["grade"]).to_numpy(),
            "subject": v["subject"].astype(str).to_numpy(),
            "m": m,
            "m2": m * m,
            "h": (m >= 4).astype(float),
        }
    )
    g = frame.groupby(KEYS, sort=True)
    out = g.agg(n=("m", "size"), k45=("h", "sum"), s1=("m", "sum"), s2=("m2", "sum"))
    out = out.reset_index()
    out["k45"] = out["k45"].astype("int64")
    out["mean"] = out["s1"] / out["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (out["s2"] - out["n"] * out["mean"] ** 2) / (out["n"] - 1)
    out["var"] = np.where(out["n"] > 1, np.maximum(var, 0.0), np.nan)
    return out.drop(columns=["s1", "s2"])


def count_units(stats: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`unit_stats` from the counts of marks per unit (``vpr_stats``: n2…n5), for
    municipalities that have ФИС ОКО statistics instead of pupil rows: n, k45, the mean mark
    and the variance of marks follow from the counts exactly."""
    cols = [*KEYS, "n", "k45", "mean", "var"]
    if stats is None or stats.empty:
        return pd.DataFrame(columns=cols)
    c = {m: stats[f"n{m}"].astype(float).to_numpy() for m in (2, 3, 4, 5)}
    n = c[2] + c[3] + c[4] + c[5]
    s1 = sum(m * c[m] for m in c)
    s2 = sum(m * m * c[m] for m in c)
    out = pd.DataFrame(
        {
            "school_id": stats["school_id"].astype(str).to_numpy(),
            "year": _int(stats["year"]).to_numpy(),
            "grade": _int(stats["grade"]).to_numpy(),
            "subject": stats["subject"].astype(str).to_numpy(),
            "n": n.astype("int64"),
            "k45": (c[4] + c[5]).astype("int64"),
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean"] = s1 / n
        var = (s2 - n * (s1 / n) ** 2) / (n - 1)
    out["var"] = np.where(n > 1, np.maximum(var, 0.0), np.nan)
    return out[out["n"] > 0].sort_values(KEYS).reset_index(drop=True)


def _with_counts(pupil: pd.DataFrame, counted: pd.DataFrame) -> pd.DataFrame:
    """Pupil-row units, plus the units only the aggregated statistics give."""
    if counted.empty:
        return pupil
    if pupil.empty:
        return counted
    known = pd.MultiIndex.from_frame(pupil[KEYS])
    extra = counted[~pd.MultiIndex.from_frame(counted[KEYS]).isin(known)]
    return pd.concat([pupil, extra], ignore_index=True).sort_values(KEYS).reset_index(drop=True)


def journal_unit_counts(vpr: pd.DataFrame | None, stats: pd.DataFrame | None) -> pd.DataFrame:
    """Lowered / confirmed / raised per unit (:data:`indicators.JOURNAL_UNIT`): from the pupil
    rows, plus the units only «Сравнение отметок с отметками по журналу» gives."""
    parts = []
    if vpr is not None and "journal_mark" in vpr and vpr["journal_mark"].notna().any():
        v = vpr[vpr["mark"].notna() & vpr["journal_mark"].notna() & vpr["grade"].notna()]
        v = v.assign(
            school_id=v["school_id"].astype(str),
            year=_int(v["year"]),
            grade=_int(v["grade"]),
            subject=v["subject"].astype(str),
        )
        parts.append(indicators.journal_agreement(v, indicators.JOURNAL_UNIT))
    if stats is not None and not stats.empty:
        j = indicators.journal_units_from_stats(stats)
        if parts:
            known = pd.MultiIndex.from_frame(parts[0][indicators.JOURNAL_UNIT])
            j = j[~pd.MultiIndex.from_frame(j[indicators.JOURNAL_UNIT]).isin(known)]
        parts.append(j)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def gia_evidence(gia_marked: pd.DataFrame | None, years: list[int], window: int) -> pd.DataFrame:
    """Per school × year t: the school's mean standardized score in the compulsory ГИА exams
    (ОГЭ Russian and maths, ЕГЭ Russian) over the window t − window + 1 … t.

    Each result is standardized within exam × subject × year across the municipality, so
    exams and years on different scales add up; compulsory exams only, because elective
    takers (profile maths included) select themselves. Results are taken as marked by the
    regional commissions, before any exclusion. Columns: school_id, year, gia_score,
    gia_results, gia_exams.
    """
    cols = ["school_id", "year", "gia_score", "gia_results", "gia_exams"]
    if gia_marked is None or gia_marked.empty or "score" not in gia_marked:
        return pd.DataFrame(columns=cols)
    g = gia_marked
    pair = g["exam"].astype(str) + "|" + g["subject"].astype(str)
    sel = pair.isin([f"{e}|{s}" for e, s in GIA_COMPULSORY]) & g["score"].notna()
    g = pd.DataFrame(
        {
            "school_id": g.loc[sel, "school_id"].astype(str).to_numpy(),
            "year": _int(g.loc[sel, "year"]).to_numpy(),
            "exam": g.loc[sel, "exam"].astype(str).to_numpy(),
            "pair": pair[sel].to_numpy(),
            "score": pd.to_numeric(g.loc[sel, "score"], errors="coerce").to_numpy(float),
        }
    )
    if g.empty:
        return pd.DataFrame(columns=cols)
    grp = g.groupby(["pair", "year"])["score"]
    sd = grp.transform("std")
    g["z"] = (g["score"] - grp.transform("mean")) / sd.where(sd > 0)
    g = g[g["z"].notna()]
    parts = []
    for t in years:
        win = g[g["year"].between(t - window + 1, t)]
        if win.empty:
            continue
        agg = win.groupby("school_id").agg(
            gia_score=("z", "mean"),
            gia_results=("z", "size"),
            gia_exams=("exam", lambda e: ", ".join(sorted(set(e), reverse=True))),
        )
        parts.append(agg.reset_index().assign(year=int(t)))
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("int64")
    return out[cols]


def context_shares(context: pd.DataFrame | None, names: list[str]) -> tuple[pd.DataFrame, list]:
    """Per school × year: count ÷ students_total for each usable name; the names used."""
    if context is None or context.empty or "students_total" not in context:
        return pd.DataFrame(columns=["school_id", "year"]), []
    total = pd.to_numeric(context["students_total"], errors="coerce").astype(float)
    out = pd.DataFrame(
        {"school_id": context["school_id"].astype(str), "year": _int(context["year"])}
    )
    used = []
    for name in names:
        if name not in context:
            continue
        x = pd.to_numeric(context[name], errors="coerce").astype(float)
        share = (x / total.where(total > 0)).to_numpy(dtype=float)
        if np.isfinite(share).sum() == 0:
            continue
        out[name] = share
        used.append(name)
    return out, used


# ============================================================================ the robust fit


def _hat_loo(y, X, w, params, wr):
    """Leave-one-out prediction and its variance for a weighted fit with robust weights.

    Rows with zero weight (rejected outliers) get the plain prediction and the variance of
    a prediction for a new unit."""
    wr = np.clip(np.asarray(wr, dtype=float), 1e-6, None)
    ww = w * wr
    Xw = X * np.sqrt(ww)[:, None]
    inv = np.linalg.pinv(Xw.T @ Xw)
    xix = np.einsum("ij,jk,ik->i", X, inv, X)  # x'(X'WX)⁻¹x
    h = np.clip(ww * xix, 0.0, 0.995)
    r = y - X @ params
    out = ww > 0
    loo = np.where(out, y - r / (1 - h), X @ params)
    with np.errstate(divide="ignore", invalid="ignore"):
        sp2 = np.where(out, h / ((1 - h) * np.where(out, ww, 1.0)), xix)
    return loo, sp2, h


def _rlm(y: np.ndarray, X: np.ndarray, w: np.ndarray, start: np.ndarray | None = None):
    """Huber RLM on rows scaled by √w (rows with w = 0 left out); returns params and the
    robust weights of all rows (WLS fallback). `start`: parameters of the previous round."""
    keep = w > 0
    wr = np.ones_like(y)
    sw = np.sqrt(w[keep])
    ys, Xs = y[keep] * sw, X[keep] * sw[:, None]
    start = start if start is not None and start.size > 1 else None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fit = _huber_irls(ys, Xs, start)
            if fit is None:  # outside the fast path's domain: statsmodels itself
                fit = _rlm_statsmodels(ys, Xs, start)
        params, wk = fit
        if np.all(np.isfinite(params)) and np.all(np.isfinite(wk)):
            wr[keep] = wk
            return params, wr
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, IndexError):
        pass
    params = np.linalg.lstsq(Xs, ys, rcond=None)[0]
    return params, wr


def _rlm_statsmodels(ys: np.ndarray, Xs: np.ndarray, start: np.ndarray | None):
    """statsmodels ``RLM(ys, Xs, HuberT).fit(conv="coefs")``: params and final weights."""
    from statsmodels.robust.norms import HuberT
    from statsmodels.robust.robust_linear_model import RLM

    fit = RLM(ys, Xs, M=HuberT(t=_HUBER_T)).fit(
        maxiter=_RLM_MAXITER, tol=_RLM_TOL, conv="coefs", start_params=start
    )
    return np.asarray(fit.params), np.asarray(fit.weights)


@functools.lru_cache(maxsize=1)
def _mad_constant() -> float:
    import inspect

    from statsmodels.robust.scale import mad

    return float(inspect.signature(mad).parameters["c"].default)


def _mad0(resid: np.ndarray) -> float:
    """statsmodels.robust.scale.mad(resid, center=0): the median of |resid| / c.

    The median as numpy computes it (the middle order statistic, or the mean of the two
    middle ones), from one partition instead of ``np.median``'s general machinery."""
    err = np.abs(resid - 0.0) / _mad_constant()
    n = err.shape[0]
    k = n // 2
    if n % 2:
        return np.partition(err, k)[k]
    part = np.partition(err, [k - 1, k])
    return (part[k - 1] + part[k]) / 2.0


_PINV_RCOND = np.asarray(1e-15)


def _pinv(a: np.ndarray) -> np.ndarray:
    """``np.linalg.pinv(a)`` for a real 2-D array: its operations, without its wrappers."""
    u, s, vt = np.linalg.svd(a.conjugate(), full_matrices=False, hermitian=False)
    cutoff = _PINV_RCOND[..., np.newaxis] * np.amax(s, axis=-1, keepdims=True)
    large = s > cutoff
    s = np.divide(1, s, where=large, out=s)
    s[~large] = 0
    return np.matmul(np.transpose(vt), np.multiply(s[..., np.newaxis], np.transpose(u)))


def _huber_irls(ys: np.ndarray, Xs: np.ndarray, start: np.ndarray | None):
    """The iterations of statsmodels' ``RLM.fit`` (Huber's T, MAD scale, ``conv="coefs"``)
    without its model and results objects — the same floating-point operations in the same
    order, so params and weights are bit-identical (tests/test_objectivity.py checks this on
    thousands of fits); ~8× faster, which matters with ~1 300 fits per municipality.

    Returns None outside the domain where that equivalence is established (non-finite
    data, no residual degrees of freedom, a zero scale before the first iteration): the
    caller then runs statsmodels itself."""
    n, p = Xs.shape
    if n <= p or not (np.isfinite(ys).all() and np.isfinite(Xs).all()):
        return None
    if start is None:  # lm.WLS(ys, Xs).fit(): unit weights, statsmodels' pinv
        from statsmodels.tools.tools import pinv_extended

        params = np.dot(pinv_extended(Xs)[0], ys)
    else:
        params = np.asarray(start, dtype=np.double).squeeze()
        if params.shape != (p,) or not np.isfinite(params).all():
            return None
    resid = ys - Xs.dot(params)
    scale = _mad0(resid)
    t = _HUBER_T
    prev, weights, iteration = params, None, 1
    while True:
        if scale == 0.0:
            break
        z = resid / scale
        test = np.less_equal(np.abs(z), t)
        absz = np.abs(z)
        absz[test] = 1.0
        weights = test + (1 - test) * t / absz
        w_half = np.sqrt(weights)
        if not np.all(np.isfinite(w_half)):
            raise ValueError("weights")
        params = _pinv(np.asarray(w_half)[:, None] * Xs).dot(w_half * ys)
        resid = ys - Xs.dot(params)
        scale = _mad0(resid)
        iteration += 1
        if not (np.any(np.abs(params - prev) > _RLM_TOL) and iteration < _RLM_MAXITER):
            break
        prev = params
    if weights is None:
        return None
    return params, weights


def _estimate_variance(d, v, sp2) -> tuple[float, float]:
    """Robust (τ², κ) of ``var(d) = τ² + κ·v + sp2`` from leave-one-out residuals d.

    τ² makes the median absolute standardized residual ``|d|/√(τ² + κv + sp2)`` equal to
    the normal 0.6745; κ >= 1 (the binomial variance is the least an honest unit varies)
    makes that median the same for the smaller and the larger half of the units (split at
    the median v), so the interval is calibrated for small and large classes alike. Medians
    rather than means: inflated units, one-sided outliers, barely move them. With fewer
    than 40 residuals κ = 1.
    """
    from scipy import optimize
    from scipy import stats as sps

    q = sps.norm.ppf(0.75)
    ok = np.isfinite(d) & np.isfinite(v) & np.isfinite(sp2)
    d, v, sp2 = np.abs(d[ok]), v[ok], sp2[ok]
    if d.size < 3:
        return np.nan, 1.0

    def tau2_given(kappa: float) -> float:
        def f(t2):
            return np.median(d / np.sqrt(t2 + kappa * v + sp2)) - q

        if f(0.0) <= 0:
            return 0.0
        hi = max(float(np.median(d)) ** 2 * 4, 1e-8)
        while f(hi) > 0:
            hi *= 4
        return float(optimize.brentq(f, 0.0, hi, xtol=1e-12))

    if d.size < _MIN_RESID_KAPPA:
        return tau2_given(1.0), 1.0
    small = v > np.median(v)  # the smaller units (larger sampling variance)
    if small.all() or not small.any():
        return tau2_given(1.0), 1.0

    def gap(kappa: float) -> float:
        u = d / np.sqrt(tau2_given(kappa) + kappa * v + sp2)
        return float(np.log(np.median(u[small]) / np.median(u[~small])))

    # the largest κ with τ² >= 0: median |d|/√(κv + sp2) = 0.6745
    def f0(kappa):
        return np.median(d / np.sqrt(kappa * v + sp2)) - q

    if f0(1.0) <= 0:  # even τ² = 0, κ = 1 leaves the residuals too small
        return 0.0, 1.0
    k_top = _KAPPA_MAX if f0(_KAPPA_MAX) > 0 else float(optimize.brentq(f0, 1.0, _KAPPA_MAX))
    if gap(1.0) <= 0:
        return tau2_given(1.0), 1.0
    if gap(k_top) > 0:
        return tau2_given(k_top), k_top
    kappa = float(optimize.brentq(gap, 1.0, k_top, xtol=1e-4))
    return tau2_given(kappa), kappa


def _assign_models(units: pd.DataFrame, min_schools: int, context: bool = True) -> pd.Series:
    """Model per tested unit: A (ГИА + context), B (context), M (municipal mean), '' none."""
    key = [units["year"], units["grade"], units["subject"]]
    n_all = units.groupby(key)["n"].transform("size")
    n_gia = units["has_gia"].groupby(key).transform("sum")
    model = np.select(
        [
            units["has_gia"] & (n_gia >= min_schools),
            (n_all >= min_schools) & context,
            n_all >= 2,
        ],
        ["A", "B", "M"],
        default="",
    )
    return pd.Series(model, index=units.index)


def robust_expected(
    units: pd.DataFrame,
    y: np.ndarray,
    v: np.ndarray,
    predictors: Mapping[str, list[str]],
    min_schools: int,
    rounds: int | None = None,
    z_reject: float | None = None,
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Leave-one-out expected value (fit scale) and its variance for every tested unit.

    `units` carries year, grade, subject, has_gia and the predictor columns; `predictors`
    maps models A and B to their columns (M is intercept-only). Each round fits every
    needed model in every year × grade × subject group with weights 1/(τ² + κv); between
    rounds τ² and κ of each model are re-estimated from the pooled leave-one-out residuals
    of all its fits, and units whose residual exceeds `z_reject` standard deviations are
    left out of the next fit (Huber bounds their pull, leaving them out removes it; their
    expected value is then the plain prediction of the others). Returns per unit: model,
    expected, var (τ² + κv + se²_pred), and the per-model parameters of the final fit.
    """
    rounds = rounds or _ROUNDS
    units = units.reset_index(drop=True)
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    n_par = {m: len(predictors.get(m, [])) + 1 for m in _MODELS}
    min_schools = max(int(min_schools), n_par["A"] + 2, n_par["B"] + 2)
    model = _assign_models(units, min_schools, context=bool(predictors.get("B"))).to_numpy()
    has_gia = units["has_gia"].to_numpy(dtype=bool)
    groups = [np.asarray(i) for i in units.groupby(["year", "grade", "subject"]).indices.values()]
    # the fits each model needs: where it predicts a unit; when those give too few
    # residuals to estimate its variance, every group where it can be fitted
    fits: dict[str, list[np.ndarray]] = {}
    for m in _MODELS:

        def fit_set(idx, m=m):
            if m == "A":
                sub = idx[has_gia[idx]]
                return sub if sub.size >= min_schools else None
            if m == "B":
                return idx if idx.size >= min_schools else None
            return idx if idx.size >= 2 else None

        possible = [f for f in (fit_set(g) for g in groups) if f is not None]
        used = [f for f in possible if (model[f] == m).any()]
        if used and sum(f.size for f in used) < _MIN_RESID_KAPPA:
            used = possible
        if used:
            fits[m] = used
    theta = dict(_THETA0)
    n = len(units)
    out_exp = np.full(n, np.nan)
    out_sp2 = np.full(n, np.nan)
    info: dict[str, dict] = {}
    rejected = {m: np.zeros(n, dtype=bool) for m in fits}
    starts: dict[tuple[str, int], np.ndarray] = {}
    for rnd in range(rounds):
        for m, sets in fits.items():
            t2, kappa = theta[m]
            new_rej = np.zeros(n, dtype=bool)
            cols = predictors.get(m, [])
            pred = units[cols].to_numpy(dtype=float) if cols else np.zeros((n, 0))
            d_all, v_all, s_all = [], [], []
            for j, fit_idx in enumerate(sets):
                X = np.column_stack([np.ones(fit_idx.size), pred[fit_idx]])
                w = 1.0 / (t2 + kappa * v[fit_idx])
                if m == "M":  # the municipal mean of the other units: plain weighted mean
                    params = np.array([np.sum(w * y[fit_idx]) / np.sum(w)])
                    wr = np.ones(fit_idx.size)
                else:
                    w = np.where(rejected[m][fit_idx], 0.0, w)
                    params, wr = _rlm(y[fit_idx], X, w, starts.get((m, j)))
                starts[(m, j)] = params
                loo, sp2, _h = _hat_loo(y[fit_idx], X, w, params, wr)
                d = y[fit_idx] - loo
                if z_reject is not None and m != "M":
                    new_rej[fit_idx] = d / np.sqrt(t2 + kappa * v[fit_idx] + sp2) > z_reject
                d_all.append(d)
                v_all.append(v[fit_idx])
                s_all.append(sp2)
                mine = model[fit_idx] == m
                out_exp[fit_idx[mine]] = loo[mine]
                out_sp2[fit_idx[mine]] = sp2[mine]
            rejected[m] = new_rej
            info[m] = {
                "tau2": t2,
                "kappa": kappa,
                "rejected": int(new_rej.sum()),
                "residuals": int(sum(x.size for x in d_all)),
                "fits": len(sets),
            }
            if rnd < rounds - 1:
                est = _estimate_variance(
                    np.concatenate(d_all), np.concatenate(v_all), np.concatenate(s_all)
                )
                if np.isfinite(est[0]):
                    theta[m] = est
    t2 = np.array([theta[m][0] if m else np.nan for m in model], dtype=float)
    kappa = np.array([theta[m][1] if m else np.nan for m in model], dtype=float)
    var = t2 + kappa * v + out_sp2
    res = pd.DataFrame(
        {"model": model, "expected": out_exp, "var": var, "tau2": t2, "kappa": kappa}
    )
    res.loc[res["model"] == "", ["expected", "var"]] = np.nan
    return res, info


# ============================================================================ checks


def _z(confidence: float) -> float:
    from scipy import stats as sps

    return float(sps.norm.ppf(0.5 + confidence / 2))


def _asin(p):
    return np.arcsin(np.sqrt(np.clip(p, 0.0, 1.0)))


def _sin2(eta):
    return 100.0 * np.sin(np.clip(eta, 0.0, np.pi / 2)) ** 2


def excess_tests(
    units: pd.DataFrame,
    evidence: pd.DataFrame,
    ctx: pd.DataFrame,
    ctx_names: list[str],
    *,
    min_n: int,
    min_schools: int,
    confidence: float,
    min_excess: float,
    min_excess_mark: float,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The share and mean-mark tests for every unit: two long frames of check rows (share,
    mean) and the fitted model parameters."""
    u = units.merge(evidence, on=["school_id", "year"], how="left")
    u = u.merge(ctx, on=["school_id", "year"], how="left") if ctx_names else u
    u["has_gia"] = u["gia_score"].notna() if "gia_score" in u else False
    notes = pd.Series("", index=u.index, dtype=object)
    for c in ctx_names:  # a missing context value: the school's mean over years, else median
        miss = u[c].isna()
        if miss.any():
            u[c] = u[c].fillna(u.groupby("school_id")[c].transform("mean"))
            u[c] = u[c].fillna(u.groupby(["year", "grade", "subject"])[c].transform("median"))
            u[c] = u[c].fillna(u[c].median())
            notes[miss] = "нет данных о контексте за год: подставлено значение ОО или медиана"
    u["note"] = notes
    tested = u["n"] >= min_n
    t = u[tested].reset_index(drop=True)
    preds = {"A": ["gia_score", *ctx_names], "B": list(ctx_names), "M": []}
    z = _z(confidence)

    # -- share of «4»–«5» on the arcsine scale
    k, n = t["k45"].to_numpy(float), t["n"].to_numpy(float)
    y_fit = _asin((k + 3 / 8) / (n + 3 / 4))
    v = 1.0 / (4 * n + 2)
    fit, info_share = robust_expected(t, y_fit, v, preds, min_schools, z_reject=z)
    obs = 100 * k / n
    eta = fit["expected"].to_numpy()
    sd = np.sqrt(fit["var"].to_numpy())
    lcl, ucl = _sin2(eta - z * sd), _sin2(eta + z * sd)
    expected = _sin2(eta)
    zstat = (_asin(k / n) - eta) / sd
    lo_w, hi_w = wilson_ci(k, n, confidence)
    share = t[[*KEYS, "n", "has_gia", "gia_exams", "gia_results", "note"]].copy()
    share["check"] = "share_4_5"
    share["model"] = fit["model"].to_numpy()
    share["observed"] = obs
    share["observed_ci_low"] = 100 * np.asarray(lo_w)
    share["observed_ci_high"] = 100 * np.asarray(hi_w)
    share["expected"] = expected
    share["statistic"] = obs - expected
    share["ci_low"] = obs - ucl
    share["ci_high"] = obs - lcl
    share["z"] = zstat
    share["control_low"] = lcl
    share["control_high"] = ucl
    share["var"] = fit["var"].to_numpy()
    share["tau2"] = fit["tau2"].to_numpy()
    share["kappa"] = fit["kappa"].to_numpy()
    share["eta"] = eta
    share["flagged"] = (zstat > z) & (share["statistic"] >= min_excess)
    share["threshold"] = min_excess

    # -- mean mark on the mark scale
    key = [t["year"], t["grade"], t["subject"]]
    dfree = (t["n"] - 1).clip(lower=0).astype(float)
    pooled = (t["var"].fillna(0) * dfree).groupby(key).transform("sum") / dfree.groupby(
        key
    ).transform("sum").replace(0, np.nan)
    pooled = pooled.fillna(float(np.nanmedian(t["var"])) if t["var"].notna().any() else 1.0)
    vm = (pooled / t["n"]).to_numpy(float)
    ym = t["mean"].to_numpy(float)
    fit_m, info_mean = robust_expected(t, ym, vm, preds, min_schools, z_reject=z)
    e_m = fit_m["expected"].to_numpy()
    sd_m = np.sqrt(fit_m["var"].to_numpy())
    mean = t[[*KEYS, "n", "has_gia", "gia_exams", "gia_results", "note"]].copy()
    mean["check"] = "mean_mark"
    mean["model"] = fit_m["model"].to_numpy()
    mean["observed"] = ym
    se_obs = np.sqrt(t["var"].to_numpy(float) / n)
    from scipy import stats as sps

    tq = sps.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
    mean["observed_ci_low"] = ym - tq * se_obs
    mean["observed_ci_high"] = ym + tq * se_obs
    mean["expected"] = e_m
    mean["statistic"] = ym - e_m
    mean["ci_low"] = ym - e_m - z * sd_m
    mean["ci_high"] = ym - e_m + z * sd_m
    mean["z"] = (ym - e_m) / sd_m
    mean["var"] = fit_m["var"].to_numpy()
    mean["tau2"] = fit_m["tau2"].to_numpy()
    mean["kappa"] = fit_m["kappa"].to_numpy()
    mean["flagged"] = (mean["z"] > z) & (mean["statistic"] >= min_excess_mark)
    mean["threshold"] = min_excess_mark

    small = u[~tested][[*KEYS, "n", "has_gia", "gia_exams", "gia_results", "note"]]
    frames = []
    for frame, check in ((share, "share_4_5"), (mean, "mean_mark")):
        rest = small.assign(check=check, model="")
        frames.append(pd.concat([frame, rest], ignore_index=True))
    info = {"share_4_5": info_share, "mean_mark": info_mean}
    return frames[0], frames[1], info


def school_tests(
    share: pd.DataFrame,
    units: pd.DataFrame,
    *,
    procedure: str,
    confidence: float,
    min_excess: float,
    min_units: int,
) -> tuple[pd.DataFrame, dict]:
    """The pooled test of a school × procedure × year: all its tested units together.

    Lenient marking is usually decided for a whole procedure, so the evidence of all units is
    pooled. Per unit the residual ``r = y − ŷ`` (variance-stabilized share minus its
    leave-one-out expected value from the unit test) gets the weight ``w = 1/V`` of the unit
    test; the school's pooled excess is ``r̄ = Σwr/Σw``. Honest schools differ in ways the
    predictors miss (a strong primary school, a good year), and that difference is shared by
    all units of the school, so ``r̄`` does not shrink like ``1/Σw``: its variance is
    ``τ²_s + κ_s/Σw``, with τ²_s and κ_s estimated from all school-years by the median rule of
    :func:`_estimate_variance` (robust to the inflating minority). Flag: ``r̄`` above
    ``z·√(τ²_s + κ_s/Σw)`` at ``confidence`` (one-sided, z of the two-sided level) and the
    pooled excess at least ``min_excess`` points; at least ``min_units`` tested units.
    Shares are reported on the percent scale: expected ``sin²(η̄)`` with η̄ the weighted mean of
    the expected values, observed ``sin²(η̄ + r̄)``; the interval of the excess is
    ``observed − sin²(η̄ ± z·sd)``. Returns the table (:data:`SCHOOL_COLUMNS`, without the
    exclusion columns) and the variance parameters.
    """
    cols = [c for c in SCHOOL_COLUMNS if c not in ("excluded", "excluded_units")]
    all_units = units.groupby(["school_id", "year"]).size().rename("units")
    t = share[(share["model"] != "") & share["eta"].notna() & share["var"].notna()]
    info = {"tau2": np.nan, "kappa": np.nan, "residuals": 0}
    if t.empty:
        return pd.DataFrame(columns=cols), info
    k = t["observed"].to_numpy(float) * t["n"].to_numpy(float) / 100
    n = t["n"].to_numpy(float)
    y = _asin((k + 3 / 8) / (n + 3 / 4))
    w = 1.0 / t["var"].to_numpy(float)
    frame = pd.DataFrame(
        {
            "school_id": t["school_id"].to_numpy(),
            "year": t["year"].to_numpy(),
            "w": w,
            "wr": w * (y - t["eta"].to_numpy(float)),
            "we": w * t["eta"].to_numpy(float),
            "n": n,
            "flag": t["flagged"].fillna(False).astype(bool).to_numpy(),
        }
    )
    g = frame.groupby(["school_id", "year"], sort=True).agg(
        W=("w", "sum"),
        WR=("wr", "sum"),
        WE=("we", "sum"),
        n=("n", "sum"),
        units_tested=("w", "size"),
        units_flagged=("flag", "sum"),
    )
    g["rbar"] = g["WR"] / g["W"]
    g["eta"] = g["WE"] / g["W"]
    pooled = g["units_tested"] >= max(int(min_units), 1)
    d, v = g.loc[pooled, "rbar"].to_numpy(), 1.0 / g.loc[pooled, "W"].to_numpy()
    tau2, kappa = _estimate_variance(d, v, np.zeros_like(d)) if d.size else (np.nan, 1.0)
    tau2 = 0.0 if not np.isfinite(tau2) else tau2
    info = {"tau2": float(tau2), "kappa": float(kappa), "residuals": int(d.size)}
    z = _z(confidence)
    sd = np.sqrt(tau2 + kappa / g["W"])
    obs = _sin2(g["eta"] + g["rbar"])
    out = pd.DataFrame(
        {
            "units_tested": g["units_tested"].astype("int64"),
            "units_flagged": g["units_flagged"].astype("int64"),
            "n": g["n"].round().astype("int64"),
            "observed": obs,
            "expected": _sin2(g["eta"]),
            "statistic": obs - _sin2(g["eta"]),
            "ci_low": obs - _sin2(g["eta"] + z * sd),
            "ci_high": obs - _sin2(g["eta"] - z * sd),
            "z": g["rbar"] / sd,
        }
    )
    out["flagged"] = pd.array((out["z"] > z) & (out["statistic"] >= min_excess), dtype="boolean")
    out.loc[~pooled, ["observed", "expected", "statistic", "ci_low", "ci_high", "z"]] = np.nan
    out.loc[~pooled, "flagged"] = pd.NA
    out = out.join(all_units, how="outer").reset_index()
    out["units"] = out["units"].fillna(0).astype("int64")
    for c in ("units_tested", "units_flagged", "n"):
        out[c] = out[c].fillna(0).astype("int64")
    out["flagged"] = pd.array(out["flagged"], dtype="boolean")
    out["procedure"] = procedure
    out["reason"] = _school_reason(out, min_units, min_excess)
    out["school_id"] = out["school_id"].astype(str)
    out["year"] = out["year"].astype("int64")
    return out[cols].sort_values(["year", "school_id"]).reset_index(drop=True), info


def _school_reason(frame: pd.DataFrame, min_units: int, min_excess: float) -> pd.Series:
    out = []
    for r in frame.itertuples(index=False):
        if r.units_tested < max(min_units, 1):
            out.append(f"{NOT_ASSESSED}: проверено единиц {int(r.units_tested)} < {int(min_units)}")
        elif bool(r.flagged):
            out.append(
                f"превышение по всей ВПР ОО за год {_fmt(r.statistic)} п.п. "
                f"({int(r.units_tested)} единиц, {int(r.n)} участников), интервал "
                f"[{_fmt(r.ci_low)}; {_fmt(r.ci_high)}] выше 0, не менее {_fmt(min_excess)} п.п."
            )
        elif r.ci_low > 0:
            out.append(
                f"превышение {_fmt(r.statistic)} п.п. значимо, но меньше порога "
                f"{_fmt(min_excess)} п.п."
            )
        else:
            out.append("не выявлено: интервал превышения включает 0 или ниже 0")
    return pd.Series(out, index=frame.index, dtype=object)


def _excess_reason(frame: pd.DataFrame, min_n: int, unit: str, fmt) -> pd.Series:
    out = []
    for r in frame.itertuples(index=False):
        if r.n < min_n:
            out.append(f"{NOT_ENOUGH} (n = {int(r.n)} < {min_n}): не проверялось")
        elif not r.model:
            out.append(f"{NOT_ASSESSED}: единственная ОО в параллели, сравнивать не с кем")
        elif r.flagged:
            out.append(
                f"превышение {fmt(r.statistic)} {unit} над ожидаемым, интервал "
                f"[{fmt(r.ci_low)}; {fmt(r.ci_high)}] выше 0, не менее {fmt(r.threshold)} {unit}"
            )
        elif r.ci_low > 0:
            out.append(
                f"превышение {fmt(r.statistic)} {unit} значимо, но меньше порога "
                f"{fmt(r.threshold)} {unit}"
            )
        else:
            out.append("не выявлено: интервал превышения включает 0 или ниже 0")
    return pd.Series(out, index=frame.index, dtype=object)


def _basis(frame: pd.DataFrame) -> pd.Series:
    basis = np.select(
        [
            frame["model"] == "A",
            (frame["model"] == "B") & ~frame["has_gia"].astype(bool),
            frame["model"] == "B",
            frame["model"] == "M",
        ],
        [BASIS_GIA, BASIS_CONTEXT, BASIS_CONTEXT_FEW, BASIS_MEAN],
        default="",
    )
    exams = frame["gia_exams"].astype(object).where(frame["gia_exams"].notna(), "").astype(str)
    n_res = pd.to_numeric(frame["gia_results"], errors="coerce").fillna(0).astype(int)
    extra = np.where(
        (frame["model"] == "A") & (exams != ""),
        " (" + exams + ": " + n_res.astype(str) + " результатов за окно)",
        "",
    )
    return pd.Series(basis, index=frame.index, dtype=object) + extra


def heaping_checks(
    vpr: pd.DataFrame,
    scales: pd.DataFrame,
    *,
    delta: float,
    confidence: float,
    min_n: int,
) -> pd.DataFrame:
    """heaping_3 rows per unit and per school × year (grade, subject empty)."""
    v = vpr[vpr["mark"].notna() & vpr["grade"].notna()]
    frame = pd.DataFrame(
        {
            "school_id": v["school_id"].astype(str).to_numpy(),
            "year": _int(v["year"]).to_numpy(),
            "grade": _int(v["grade"]).to_numpy(),
            "subject": v["subject"].astype(str).to_numpy(),
            "score": pd.to_numeric(v["primary_score"], errors="coerce").to_numpy(float)
            if "primary_score" in v
            else np.nan,
            "max_score": pd.to_numeric(v.get("max_score"), errors="coerce").to_numpy(float)
            if "max_score" in v
            else np.nan,
        }
    )
    years = sorted(frame["year"].unique().tolist())
    sc = (
        scales[scales["year"].isin(years)]  # exact years only: no other year's scale
        if years and not scales.empty
        else pd.DataFrame(columns=["year", "grade", "subject", "max_score", "cut3"])
    )
    sc = sc[["year", "grade", "subject", "max_score", "cut3"]].rename(
        columns={"max_score": "scale_max"}
    )
    sc = sc.astype({"year": "int64", "grade": "int64"})
    frame = frame.merge(sc, on=["year", "grade", "subject"], how="left")
    frame["at"] = (frame["score"] == frame["cut3"]).astype(int)
    frame["below"] = (frame["score"] == frame["cut3"] - 1).astype(int)
    frame["mismatch"] = (
        frame["cut3"].notna()
        & frame["max_score"].notna()
        & (frame["max_score"] != frame["scale_max"])
    ).astype(int)
    frame["known"] = frame["cut3"].notna().astype(int)
    frame["noscore"] = frame["score"].isna().astype(int)
    agg = {
        "n": ("at", "size"),
        "at": ("at", "sum"),
        "below": ("below", "sum"),
        "known": ("known", "sum"),
        "mismatch": ("mismatch", "sum"),
        "noscore": ("noscore", "sum"),
    }
    per_unit = frame.groupby(KEYS).agg(**agg).reset_index()
    ok = frame[(frame["known"] == 1) & (frame["mismatch"] == 0) & (frame["noscore"] == 0)]
    pooled = ok.groupby(["school_id", "year"]).agg(**agg).reset_index()
    pooled["grade"] = pd.NA
    pooled["subject"] = pd.NA
    participants = frame.groupby(["school_id", "year"]).size()
    pooled["participants"] = (
        pooled.set_index(["school_id", "year"]).index.map(participants).to_numpy()
    )
    per_unit["participants"] = per_unit["n"]
    rows = pd.concat([per_unit, pooled], ignore_index=True)
    m = (rows["at"] + rows["below"]).to_numpy(float)
    at = rows["at"].to_numpy(float)
    lo, hi = wilson_ci(at, m, confidence)
    thr = 100 * (0.5 + delta)
    rows["statistic"] = np.where(m > 0, 100 * at / np.where(m > 0, m, 1), np.nan)
    rows["ci_low"] = 100 * np.asarray(lo)
    rows["ci_high"] = 100 * np.asarray(hi)
    rows["expected"] = 50.0
    unknown = (rows["known"] < rows["n"]) | (rows["mismatch"] > 0) | (rows["noscore"] > 0)
    unknown &= rows["grade"].notna()
    few_part = rows["participants"] < min_n
    few_cut = m < min_n
    blank = unknown | few_part | few_cut
    rows.loc[blank, ["statistic", "ci_low", "ci_high"]] = np.nan
    rows["flagged"] = pd.array(
        np.where(blank, False, rows["ci_low"].fillna(-1) > thr), dtype="boolean"
    )
    rows.loc[blank, "flagged"] = pd.NA
    reasons = []
    for r, unk, fp, fc in zip(
        rows.itertuples(index=False), unknown, few_part, few_cut, strict=True
    ):
        if unk:
            if r.known < r.n:
                reasons.append(
                    f"{NOT_ASSESSED}: шкала перевода баллов ВПР для этого года, "
                    "класса и предмета неизвестна"
                )
            elif r.mismatch:
                reasons.append(
                    f"{NOT_ASSESSED}: максимальный балл в данных не совпадает со шкалой справочника"
                )
            else:
                reasons.append(f"{NOT_ASSESSED}: нет первичных баллов")
        elif fp:
            reasons.append(f"{NOT_ENOUGH} (n = {int(r.participants)} < {min_n}): не проверялось")
        elif fc:
            reasons.append(
                f"мало результатов у порога «3» ({int(r.at + r.below)} < {min_n}): не проверялось"
            )
        elif r.flagged:
            reasons.append(
                f"на пороге «3» {int(r.at)} из {int(r.at + r.below)} (порог и балл ниже); "
                f"интервал выше {thr:g} %"
            )
        else:
            reasons.append(f"не выявлено: интервал не выше {thr:g} %")
    rows["reason"] = reasons
    rows["check"] = "heaping_3"
    rows["n"] = (rows["at"] + rows["below"]).astype("int64")
    rows["definition"] = np.where(
        rows["grade"].isna(),
        "по всем классам и предметам ВПР ОО за год",
        "класс × предмет",
    )
    return rows


def journal_units(
    vpr: pd.DataFrame | None,
    catalog: pd.DataFrame,
    *,
    targets,
    confidence: float,
    min_n: int,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """journal_confirmed / journal_raised rows per unit (with the meaning of «подтвердили»);
    ``units``: the counts per unit (:func:`journal_unit_counts`) instead of pupil rows."""
    agg = journal_unit_counts(vpr, None) if units is None else units
    if agg.empty:
        return pd.DataFrame()
    agg = agg.sort_values(KEYS).reset_index(drop=True)
    scope = _journal_scope(catalog)
    rows = []
    for r in agg.itertuples(index=False):
        sc = _scope_of(scope, r.subject, r.grade)
        not_lower = sc is not None and sc["meaning"] == "not_lower"
        conf_k = r.confirmed + r.raised if not_lower else r.confirmed
        rows.append(
            {
                "school_id": r.school_id,
                "year": r.year,
                "grade": r.grade,
                "subject": r.subject,
                "check": "journal_confirmed",
                "n": r.n,
                "k": conf_k,
                "target": targets.confirmed if sc is not None else np.nan,
                "definition": MEANING_NOT_LOWER if not_lower else MEANING_EQUAL,
                "ref": sc["ref"] if sc is not None else "",
            }
        )
        raise_sc = _scope_of(scope, r.subject, r.grade, what="raised")
        rows.append(
            {
                "school_id": r.school_id,
                "year": r.year,
                "grade": r.grade,
                "subject": r.subject,
                "check": "journal_raised",
                "n": r.n,
                "k": r.raised,
                "target": targets.raised if raise_sc is not None else np.nan,
                "definition": "выше отметки в журнале",
                "ref": raise_sc["ref"] if raise_sc is not None else "",
            }
        )
    out = pd.DataFrame(rows)
    k, n = out["k"].to_numpy(float), out["n"].to_numpy(float)
    lo, hi = wilson_ci(k, n, confidence)
    out["statistic"] = 100 * k / n
    out["ci_low"] = 100 * np.asarray(lo)
    out["ci_high"] = 100 * np.asarray(hi)
    out["expected"] = out["target"]
    status = target_status(out["ci_low"], out["ci_high"], out["target"])
    out["target_status"] = np.where(out["target"].isna(), "цель не установлена", status)
    small = out["n"] < min_n
    out.loc[small, ["statistic", "ci_low", "ci_high"]] = np.nan
    out.loc[small, "target_status"] = "н/д (мало участников)"
    out["flagged"] = pd.array(out["target_status"] == "не достигнут", dtype="boolean")
    out.loc[small | out["target"].isna(), "flagged"] = pd.NA
    reasons = []
    for r in out.itertuples(index=False):
        if r.n < min_n:
            reasons.append(f"{NOT_ENOUGH} (n = {int(r.n)} < {min_n}): не проверялось")
        elif np.isnan(r.target):
            reasons.append("цель не установлена (вне показателей A26–A36)")
        else:
            reasons.append(f"{r.ref}: цель не менее {r.target:g} % — {r.target_status}")
    out["reason"] = reasons
    out["participants"] = out["n"]
    return out


def _journal_scope(catalog: pd.DataFrame) -> list[dict]:
    scope = []
    for row in catalog[catalog["source"] == "vpr_journal"].itertuples():
        flt = dict(p.split("=", 1) for p in str(row.filter).split(";") if p)
        lo, hi = (int(x) for x in flt["grades"].split("-"))
        scope.append(
            {
                "indicator_id": row.indicator_id,
                "ref": row.ref,
                "subjects": set(flt["subject"].split("|")),
                "grades": (lo, hi),
                "meaning": row.numerator,  # confirmed | not_lower | raised
                "name": row.name_ru,
            }
        )
    return scope


def _scope_of(scope: list[dict], subject: str, grade: int, what: str = "confirm"):
    for s in scope:
        if subject not in s["subjects"] or not s["grades"][0] <= grade <= s["grades"][1]:
            continue
        if what == "raised" and s["meaning"] == "raised":
            return s
        if what == "confirm" and s["meaning"] in ("confirmed", "not_lower"):
            return s
    return None


def journal_table(
    vpr: pd.DataFrame | None,
    catalog: pd.DataFrame,
    *,
    targets,
    confidence: float,
    min_n: int,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Journal agreement per A26–A36 indicator × school (and municipality) × year: shares
    lowered / confirmed / raised with Wilson intervals, the indicator's meaning of
    «подтвердили», its value, target and status."""
    cols = [
        "indicator_id",
        "ref",
        "level",
        "school_id",
        "year",
        "subject",
        "grades",
        "definition",
        "n",
        "lowered",
        "confirmed",
        "raised",
        "lowered_share",
        "lowered_ci_low",
        "lowered_ci_high",
        "confirmed_share",
        "confirmed_ci_low",
        "confirmed_ci_high",
        "raised_share",
        "raised_ci_low",
        "raised_ci_high",
        "value",
        "ci_low",
        "ci_high",
        "target",
        "target_status",
    ]
    # counts per school × year × grade × subject once; each indicator sums its scope
    units = journal_unit_counts(vpr, None) if units is None else units
    if units.empty:
        return pd.DataFrame(columns=cols)
    parts = []
    for s in _journal_scope(catalog):
        sel = indicators.journal_scope(units, s["subjects"], s["grades"])
        if sel.empty:
            continue
        school = indicators.journal_regroup(sel, ["school_id", "year"]).assign(level="school")
        muni = indicators.journal_regroup(sel, ["year"]).assign(
            level="municipality", school_id=pd.NA
        )
        frame = pd.concat([school, muni], ignore_index=True)
        numerator = frame[s["meaning"]]
        target = targets.raised if s["meaning"] == "raised" else targets.confirmed
        frame = frame.assign(
            indicator_id=s["indicator_id"],
            ref=s["ref"],
            subject=" / ".join(sorted(s["subjects"])),
            grades=f"{s['grades'][0]}–{s['grades'][1]}"
            if s["grades"][0] != s["grades"][1]
            else str(s["grades"][0]),
            definition={
                "confirmed": "подтвердили: " + MEANING_EQUAL,
                "not_lower": "подтвердили: " + MEANING_NOT_LOWER,
                "raised": "повысили: выше отметки в журнале",
            }[s["meaning"]],
            _k=numerator,
            target=float(target),
        )
        parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    n = out["n"].to_numpy(float)
    for name in ("lowered", "confirmed", "raised", "_k"):
        k = out[name].to_numpy(float)
        lo, hi = wilson_ci(k, n, confidence)
        label = "value" if name == "_k" else f"{name}_share"
        lo_name = "ci_low" if name == "_k" else f"{name}_ci_low"
        hi_name = "ci_high" if name == "_k" else f"{name}_ci_high"
        out[label] = 100 * k / n
        out[lo_name] = 100 * np.asarray(lo)
        out[hi_name] = 100 * np.asarray(hi)
    out["target_status"] = target_status(out["ci_low"], out["ci_high"], out["target"])
    small = out["n"] < min_n
    share_cols = [c for c in cols if c.endswith(("_share", "_ci_low", "_ci_high"))]
    out.loc[
        small, [*share_cols, "value", "ci_low", "ci_high", "lowered", "confirmed", "raised"]
    ] = np.nan
    out.loc[small, "target_status"] = "н/д (мало участников)"
    out["year"] = out["year"].astype("int64")
    out["_ref"] = out["ref"].str.extract(r"(\d+)")[0].astype(float)
    out = out.sort_values(["_ref", "year", "level", "school_id"], na_position="first")
    return out[cols].reset_index(drop=True)


def federal_checks(
    federal: pd.DataFrame | None, units: pd.DataFrame, procedure: str
) -> pd.DataFrame:
    """federal_list rows: one per listed unit of the procedure (grade/subject may be empty)."""
    if federal is None or federal.empty:
        return pd.DataFrame(columns=[*KEYS, "check", "n"])
    f = federal.copy()
    if "procedure" not in f:
        f["procedure"] = procedure
    f["procedure"] = f["procedure"].fillna(procedure).astype(str)
    f = f[f["procedure"] == procedure]
    out = pd.DataFrame(
        {
            "school_id": f["school_id"].astype(str).to_numpy(),
            "year": _int(f["year"]).to_numpy(),
            "grade": pd.to_numeric(f.get("grade"), errors="coerce").astype("Int64").to_numpy()
            if "grade" in f
            else pd.array([pd.NA] * len(f), dtype="Int64"),
            "subject": f["subject"].astype(object).to_numpy()
            if "subject" in f
            else np.full(len(f), None, dtype=object),
        }
    ).drop_duplicates()
    u = units[[*KEYS, "n"]]
    exact = out.dropna(subset=["grade", "subject"]).astype({"grade": "int64"})
    exact = exact.merge(u, on=KEYS, how="left")
    rest = out[out["grade"].isna() | out["subject"].isna()].assign(n=np.nan)
    out = pd.concat([exact, rest], ignore_index=True)
    out["check"] = "federal_list"
    out["flagged"] = pd.array([True] * len(out), dtype="boolean")
    out["reason"] = "в перечне Рособрнадзора ОО с признаками необъективных результатов"
    return out


# ============================================================================ stage


def _validate(params) -> tuple[str, list[str]]:
    obj = params.objectivity
    proc = str(obj.procedure)
    if proc != PROCEDURE:
        raise ShnorError(
            f"Параметр objectivity.procedure: поддерживается только «{PROCEDURE}» "
            f"(ОГЭ и ЕГЭ служат независимыми данными), указано «{proc}»",
            f"Key objectivity.procedure: only '{PROCEDURE}' is supported, got '{proc}'",
        )
    rules = list(obj.exclusion_rule)
    bad = [r for r in rules if r not in RULES]
    if bad:
        raise ShnorError(
            f"Параметр objectivity.exclusion_rule: неизвестные значения {bad}; "
            f"допустимы: {', '.join(RULES)}",
            f"Key objectivity.exclusion_rule: unknown values {bad}; allowed: {', '.join(RULES)}",
        )
    return proc, rules


def _years(data: dict[str, pd.DataFrame], year: int) -> list[int]:
    years: set[int] = set()
    for name in ("vpr", "gia", "vpr_stats"):
        if name in data and data[name] is not None:
            years |= {int(y) for y in data[name]["year"].dropna().unique()}
    return sorted(y for y in years if y <= year) or [year]


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:.1f}".replace(".", ",").replace("-", "−")


def _fmt2(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:.2f}".replace(".", ",").replace("-", "−")


def _empty_result(params) -> ObjectivityResult:
    table = pd.DataFrame(columns=COLUMNS + EXTRA_COLUMNS)
    ex = pd.DataFrame(columns=[*results_index.EXCLUSION_KEYS, "reason"])
    return ObjectivityResult(
        table=table,
        exclusions=ex,
        schools=pd.DataFrame(columns=SCHOOL_COLUMNS),
        journal=pd.DataFrame(),
        heaping=pd.DataFrame(),
        models=pd.DataFrame(),
        funnel=pd.DataFrame(),
        params={"procedure": PROCEDURE},
    )


def _funnel_model(info: dict) -> str:
    """The model whose variance draws the funnel: the ГИА model when there is one."""
    return next(m for m in _MODELS if m in info)


def funnel_limits(
    share: pd.DataFrame, info: dict, confidence: float, n_max: int | None = None
) -> pd.DataFrame:
    """Control limits of the funnel plot per year: centre = the municipal share of «4»–«5»
    among tested units; limits sin²(η̄ ± z√(τ² + κ/(4n + 2))) with τ², κ of the ГИА model."""
    z = _z(confidence)
    t = share[share["model"] != ""]
    if t.empty:
        return pd.DataFrame(columns=["year", "n", "centre", "lcl", "ucl"])
    m = _funnel_model(info)
    tau2, kappa = info[m]["tau2"], info[m]["kappa"]
    n_max = n_max or int(t["n"].max())
    lo = int(t["n"].min())
    grid = np.unique(
        np.r_[np.arange(lo, max(lo, 40)), np.linspace(max(lo, 40), max(n_max, 41), 60).round()]
    )
    rows = []
    for year, g in t.groupby("year"):
        centre = float((g["observed"] * g["n"]).sum() / g["n"].sum())
        eta = _asin(centre / 100)
        sd = np.sqrt(tau2 + kappa / (4 * grid + 2))
        rows.append(
            pd.DataFrame(
                {
                    "year": int(year),
                    "n": grid.astype(int),
                    "centre": centre,
                    "lcl": _sin2(eta - z * sd),
                    "ucl": _sin2(eta + z * sd),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def index_effect(
    before: pd.DataFrame | None, after: pd.DataFrame, exclusions: pd.DataFrame
) -> pd.DataFrame:
    """ИОР without (``before``) and with (``after``) the exclusions, for the schools whose ИОР
    components change (``results_index.compute_index`` frames; M3 computes both, after this
    stage). ``before=None`` or no exclusions: an empty table."""
    cols = [
        "school_id",
        "year",
        "excluded_units",
        "vpr_mean_mark_before",
        "vpr_mean_mark_after",
        "results_index_before",
        "results_index_after",
        "change",
        "results_level_before",
        "results_level_after",
        "rank_before",
        "rank_after",
    ]
    if before is None or exclusions.empty:
        return pd.DataFrame(columns=cols)
    b = before.set_index(["school_id", "year"])
    a = after.set_index(["school_id", "year"]).reindex(b.index)
    vb = b.get("vpr_mean_mark_value", pd.Series(np.nan, index=b.index))
    va = a.get("vpr_mean_mark_value", pd.Series(np.nan, index=b.index))
    out = pd.DataFrame(
        {
            "vpr_mean_mark_before": vb,
            "vpr_mean_mark_after": va,
            "results_index_before": b["results_index"],
            "results_index_after": a["results_index"],
            "results_level_before": b["results_level"],
            "results_level_after": a["results_level"],
        }
    )
    out["change"] = out["results_index_after"] - out["results_index_before"]
    for when, frame in (("before", b), ("after", a)):
        out[f"rank_{when}"] = (
            frame["results_index"]
            .groupby(level="year")
            .rank(ascending=False, method="min")
            .astype("Int64")
        )
    counts = exclusions.groupby(["school_id", "year"]).size().rename("excluded_units")
    out = out.join(counts, how="left")
    out["excluded_units"] = out["excluded_units"].fillna(0).astype("int64")
    same_idx = np.isclose(
        out["results_index_before"].fillna(-9), out["results_index_after"].fillna(-9)
    )
    same_vpr = np.isclose(
        out["vpr_mean_mark_before"].fillna(-9), out["vpr_mean_mark_after"].fillna(-9)
    )
    out = out[(out["excluded_units"] > 0) & ~(same_idx & same_vpr)].reset_index()
    out["school_id"] = out["school_id"].astype(str)
    return out[cols].sort_values(["year", "school_id"]).reset_index(drop=True)


def stage(
    data: dict[str, pd.DataFrame],
    gia_marked: pd.DataFrame | None,
    params,
    *,
    vpr_scales: pd.DataFrame,
    catalog: pd.DataFrame,
) -> ObjectivityResult:
    """M5 for the municipality: all checks and the exclusion set (``vpr_scales``:
    ``io.reference.vpr_scales(raw_dir)``; ``catalog``: ``io.reference.load_indicator_catalog()``).

    Call after M2 (``gia_marked`` = ``min_scores.mark_below_min(gia,
    reference.load_gia_min_scores())``) and before ИОР: M3 passes ``result.exclusions`` to
    ``results_index.components(..., exclusions=...)`` and compares ИОР with and without them
    (:func:`index_effect`).
    """
    proc, rules = _validate(params)
    obj = params.objectivity
    conf = float(params.confidence)
    unit_conf = float(obj.unit_confidence)  # the unit test's interval (it alone excludes a unit)
    min_n = int(params.min_group_size)
    vpr = data.get("vpr")
    counted = count_units(data.get("vpr_stats"))  # ФИС ОКО statistics instead of pupil rows
    pupils = vpr is not None and not vpr.empty
    if not pupils and counted.empty:
        return _empty_result(params)
    if pupils:
        vpr = vpr[pd.to_numeric(vpr["year"], errors="coerce") <= params.year]
    years = _years(data, params.year)
    units = _with_counts(unit_stats(vpr) if pupils else counted.iloc[:0], counted)
    units = units[units["year"].isin(years)].reset_index(drop=True)
    j_units = journal_unit_counts(vpr, data.get("vpr_journal_stats"))
    if not j_units.empty:
        j_units = j_units[j_units["year"].isin(years)].reset_index(drop=True)
    evidence = gia_evidence(gia_marked, sorted(units["year"].unique().tolist()), params.window)
    ctx, ctx_names = context_shares(data.get("context"), list(obj.context_predictors))
    share, mean, info = excess_tests(
        units,
        evidence,
        ctx,
        ctx_names,
        min_n=min_n,
        min_schools=int(obj.min_schools),
        confidence=unit_conf,
        min_excess=float(obj.min_excess),
        min_excess_mark=float(obj.min_excess_mark),
    )
    for frame in (share, mean):
        frame["basis"] = _basis(frame)
        frame["participants"] = frame["n"]
        small = frame["n"] < min_n
        frame["flagged"] = pd.array(
            frame["flagged"].to_numpy(dtype=bool, na_value=False), dtype="boolean"
        )
        frame.loc[small | (frame["model"] == ""), "flagged"] = pd.NA
    schools, school_info = school_tests(
        share,
        units,
        procedure=proc,
        confidence=float(obj.school_confidence),
        min_excess=float(obj.min_excess),
        min_units=int(obj.school_min_units),
    )
    info["share_4_5"] = dict(info["share_4_5"])
    share["reason"] = _excess_reason(share, min_n, "п.п.", _fmt)
    mean["reason"] = _excess_reason(mean, min_n, "балла", _fmt2)
    share["adjusted"] = np.nan
    tested = share["model"] != ""
    if tested.any() and info["share_4_5"]:
        # funnel position: the unit's standardized excess placed on the reference funnel
        par = info["share_4_5"][_funnel_model(info["share_4_5"])]
        cen = (
            share[tested]
            .groupby("year")
            .apply(
                lambda g: float((g["observed"] * g["n"]).sum() / g["n"].sum()), include_groups=False
            )
        )
        eta_c = _asin(share.loc[tested, "year"].map(cen).to_numpy() / 100)
        sd_ref = np.sqrt(par["tau2"] + par["kappa"] / (4 * share.loc[tested, "n"] + 2))
        share.loc[tested, "adjusted"] = _sin2(eta_c + share.loc[tested, "z"] * sd_ref)

    heap = pd.DataFrame()  # needs pupils' scores: not from counts
    if pupils:
        heap = heaping_checks(
            vpr,
            vpr_scales,  # exact year only; user scales added
            delta=float(obj.heaping_delta),
            confidence=conf,
            min_n=min_n,
        )
        heap = heap[heap["year"].isin(years)]
    journal_u = journal_units(
        None, catalog, targets=obj.targets, confidence=conf, min_n=min_n, units=j_units
    )
    if not journal_u.empty:
        journal_u = journal_u[journal_u["year"].isin(years)]
    fed = federal_checks(data.get("rosobrnadzor"), units, proc)
    if not fed.empty:
        fed = fed[fed["year"].isin(years)]

    table = pd.concat(
        [f for f in (share, mean, heap, journal_u, fed) if not f.empty], ignore_index=True
    )
    table["procedure"] = proc
    table["excluded"] = False
    # -- exclusion rule
    ex_parts = []
    for rule in rules:
        check = RULES[rule]
        if check == SCHOOL_CHECK:
            hit = schools[schools["flagged"].fillna(False).astype(bool)][["school_id", "year"]]
            hit = units[KEYS].merge(hit, on=["school_id", "year"], how="inner")
            if not hit.empty:
                ex_parts.append(hit.assign(rule=RULE_LABELS[rule]))
            continue
        flagged = table["flagged"].astype("boolean").fillna(False).astype(bool)
        hit = table[(table["check"] == check) & flagged]
        if check == "heaping_3":
            hit = hit[hit["grade"].notna()]
        if hit.empty:
            continue
        ex_parts.append(
            hit[["school_id", "year", "grade", "subject"]].assign(rule=RULE_LABELS[rule])
        )
    if ex_parts:
        ex = pd.concat(ex_parts, ignore_index=True)
        ex["grade"] = pd.array(pd.to_numeric(ex["grade"], errors="coerce"), dtype="Int64")
        ex["subject"] = ex["subject"].astype(object).where(ex["subject"].notna(), None)
        ex = (
            ex.groupby(["school_id", "year", "grade", "subject"], dropna=False, sort=True)["rule"]
            .agg(lambda s: "; ".join(dict.fromkeys(s)))
            .reset_index()
            .rename(columns={"rule": "reason"})
        )
        ex.insert(2, "procedure", proc)
    else:
        ex = pd.DataFrame(columns=[*results_index.EXCLUSION_KEYS, "reason"])
    ex = _expand_to_units(ex[[*results_index.EXCLUSION_KEYS, "reason"]], units)
    if not ex.empty:
        table = _mark_excluded(table, ex)

    # -- tidy table
    for c in EXTRA_COLUMNS:
        if c not in table:
            table[c] = np.nan if c not in ("basis", "definition", "target_status", "note") else ""
    table["grade"] = pd.array(pd.to_numeric(table["grade"], errors="coerce"), dtype="Int64")
    table["year"] = table["year"].astype("int64")
    table["n"] = pd.array(pd.to_numeric(table["n"], errors="coerce"), dtype="Int64")
    table["participants"] = pd.array(
        pd.to_numeric(table["participants"], errors="coerce"), dtype="Int64"
    )
    table["flagged"] = pd.array(table["flagged"], dtype="boolean")
    table["excluded"] = table["excluded"].astype(bool)
    for c in ("basis", "definition", "target_status", "note"):
        table[c] = table[c].fillna("").astype(object)
    order = {c: i for i, c in enumerate(CHECK_LABELS)}
    table = table.assign(_o=table["check"].map(order), _g=table["grade"].fillna(0))
    table = table.sort_values(["year", "school_id", "_g", "subject", "_o"], na_position="first")
    table = table[COLUMNS + EXTRA_COLUMNS].reset_index(drop=True)

    schools = _school_exclusions(schools, ex, rules)
    table["school_flagged"] = _school_flag_of(table, schools)
    models = _models_table(info, share, mean)
    models = pd.concat([models, _school_model_row(school_info, schools)], ignore_index=True)
    funnel = funnel_limits(share, info["share_4_5"], unit_conf)
    heaping = table[table["check"] == "heaping_3"].reset_index(drop=True)
    journal = journal_table(
        None, catalog, targets=obj.targets, confidence=conf, min_n=min_n, units=j_units
    )
    return ObjectivityResult(
        table=table,
        exclusions=ex,
        schools=schools,
        journal=journal,
        heaping=heaping,
        models=models,
        funnel=funnel,
        params={
            "procedure": proc,
            "rules": rules,
            "context_predictors": ctx_names,
            "min_excess": float(obj.min_excess),
            "confidence": conf,
            "min_group_size": min_n,
            "min_schools": int(obj.min_schools),
            "school_confidence": float(obj.school_confidence),
            "school_min_units": int(obj.school_min_units),
        },
    )


def _expand_to_units(ex: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Exclusion rows with an empty grade or subject (a federal-list entry for a whole school
    or subject) become one row per unit of the data they cover, so that every row of
    ``objectivity_exclusions`` is one unit and counting rows counts units; an entry that
    matches no unit stays as it is. Reasons of the same unit are joined."""
    if ex.empty:
        return ex.reset_index(drop=True)
    whole = ex["grade"].isna() | ex["subject"].isna()
    if not whole.any():
        return ex.reset_index(drop=True)
    u = units[KEYS].astype({"school_id": str})
    parts, rest = [ex[~whole]], []
    for r in ex[whole].itertuples(index=False):
        sel = u[(u["school_id"] == str(r.school_id)) & (u["year"] == int(r.year))]
        if not pd.isna(r.grade):
            sel = sel[sel["grade"] == int(r.grade)]
        if not pd.isna(r.subject):
            sel = sel[sel["subject"] == r.subject]
        if sel.empty:
            rest.append(r._asdict())
        else:
            parts.append(sel.assign(procedure=r.procedure, reason=r.reason))
    out = pd.concat([*parts, pd.DataFrame(rest, columns=ex.columns)], ignore_index=True)
    out["grade"] = pd.array(pd.to_numeric(out["grade"], errors="coerce"), dtype="Int64")
    out["subject"] = out["subject"].astype(object).where(out["subject"].notna(), None)
    out = (
        out.groupby(results_index.EXCLUSION_KEYS, dropna=False, sort=True)["reason"]
        .agg(lambda s: "; ".join(dict.fromkeys("; ".join(s).split("; "))))
        .reset_index()
    )
    return out[[*results_index.EXCLUSION_KEYS, "reason"]]


def _school_exclusions(schools: pd.DataFrame, ex: pd.DataFrame, rules: list[str]) -> pd.DataFrame:
    """excluded / excluded_units of each school-year: the units the rule excludes there (by
    any check), and whether the school-level test itself excluded the whole school-year."""
    out = schools.copy()
    per = ex.groupby(["school_id", "year"]).size() if not ex.empty else pd.Series(dtype="int64")
    idx = pd.MultiIndex.from_frame(out[["school_id", "year"]])
    out["excluded_units"] = pd.Series(per.reindex(idx).to_numpy(), index=out.index)
    out["excluded_units"] = out["excluded_units"].fillna(0).astype("int64")
    by_school = "school" in rules
    out["excluded"] = out["flagged"].fillna(False).astype(bool) & by_school
    return out[SCHOOL_COLUMNS].reset_index(drop=True)


def _school_flag_of(table: pd.DataFrame, schools: pd.DataFrame) -> pd.Series:
    """Per row of the unit table: whether its school × procedure × year is flagged."""
    flag = schools.set_index(["school_id", "year"])["flagged"]
    idx = pd.MultiIndex.from_arrays([table["school_id"].astype(str), table["year"]])
    return pd.Series(pd.array(flag.reindex(idx).to_numpy(), dtype="boolean"), index=table.index)


def _school_model_row(info: dict, schools: pd.DataFrame) -> pd.DataFrame:
    tested = schools[schools["statistic"].notna()]
    return pd.DataFrame(
        [
            {
                "check": SCHOOL_CHECK,
                "model": "S",
                "basis": "объединение единиц ОО за год",
                "units": int(tested["units_tested"].sum()),
                "groups": int(len(tested)),
                "tau2": info["tau2"],
                "tau": float(np.sqrt(info["tau2"])) if np.isfinite(info["tau2"]) else np.nan,
                "kappa": info["kappa"],
                "residuals": info["residuals"],
                "scale": "арксинус √доли",
                "flagged": int(schools["flagged"].fillna(False).astype(bool).sum()),
            }
        ]
    )


# ============================================================================ exclusion counts


@dataclass(frozen=True)
class ExclusionCounts:
    """The one definition of «how many results were excluded» that every section, the
    recommendations and the справка quote (:func:`exclusion_counts`)."""

    years: tuple[int, ...]  # the analysis window, oldest first
    units: int  # excluded ВПР units (school × year × grade × subject), each counted once
    schools: int  # schools with at least one excluded unit
    school_years: int  # school × year with at least one excluded unit
    school_years_flagged: int  # school × year excluded as a whole by the school-level test
    units_total: int | None  # ВПР units in the window (None: the unit table was not given)

    @property
    def share(self) -> float | None:
        """Excluded units as a percentage of all ВПР units of the window."""
        return 100.0 * self.units / self.units_total if self.units_total else None

    def window_text(self) -> str:
        """«2022–2024 гг.» (or «2024 г.»): the period the counts cover, for the texts."""
        if not self.years:
            return ""
        if len(self.years) == 1:
            return f"{self.years[0]} г."
        return f"{self.years[0]}–{self.years[-1]} гг."


def exclusion_window(params) -> list[int]:
    """The years over which exclusions are counted: the analysis window ``params.years``
    (``window`` years ending at the reporting year), as ИОР and the leaders use them."""
    return list(params.years)


def exclusions_in_window(exclusions: pd.DataFrame | None, years) -> pd.DataFrame:
    """The exclusion rows (``objectivity_exclusions``) of the window's years, one per unit."""
    cols = [*results_index.EXCLUSION_KEYS, "reason"]
    if exclusions is None or exclusions.empty:
        return pd.DataFrame(columns=cols)
    ex = exclusions[pd.to_numeric(exclusions["year"], errors="coerce").isin(list(years))]
    ex = ex.assign(school_id=ex["school_id"].astype(str))
    return ex.drop_duplicates(results_index.EXCLUSION_KEYS).reset_index(drop=True)


def exclusion_counts(
    exclusions: pd.DataFrame | None,
    years,
    *,
    table: pd.DataFrame | None = None,
    schools: pd.DataFrame | None = None,
) -> ExclusionCounts:
    """Counts of excluded ВПР results over ``years`` (use :func:`exclusion_window`).

    ``exclusions``: the ``objectivity_exclusions`` table; ``table`` (``objectivity``, optional):
    gives the number of ВПР units of the window (the denominator of the share); ``schools``
    (``objectivity_schools``, optional): the school-years excluded as a whole. Every report
    section, the recommendations and the справка take their numbers from here, so they
    agree: one window (the analysis window, not every year in the data) and one unit."""
    years = tuple(int(y) for y in years)
    ex = exclusions_in_window(exclusions, years)
    total = None
    if table is not None and not table.empty:
        t = table[(table["check"] == "share_4_5") & table["year"].isin(years)]
        total = int(len(t.drop_duplicates(KEYS)))
    flagged = 0
    if schools is not None and not schools.empty and "excluded" in schools:
        s = schools[schools["year"].isin(years)]
        flagged = int(s["excluded"].astype("boolean").fillna(False).astype(bool).sum())
    return ExclusionCounts(
        years=years,
        units=int(len(ex)),
        schools=int(ex["school_id"].nunique()),
        school_years=int(len(ex.drop_duplicates(["school_id", "year"]))),
        school_years_flagged=flagged,
        units_total=total,
    )


def _mark_excluded(table: pd.DataFrame, ex: pd.DataFrame) -> pd.DataFrame:
    """excluded = the row's unit is covered by an exclusion (empty grade/subject = all)."""
    table = table.reset_index(drop=True)
    hit = np.zeros(len(table), dtype=bool)
    why = np.full(len(table), "", dtype=object)
    tk = table[KEYS].assign(
        grade=pd.array(pd.to_numeric(table["grade"], errors="coerce"), dtype="Int64"),
        subject=table["subject"].astype(object),
        _i=np.arange(len(table)),
    )
    exk = ex.assign(grade=pd.array(pd.to_numeric(ex["grade"], errors="coerce"), dtype="Int64"))
    for cols in (
        KEYS,
        ["school_id", "year", "subject"],
        ["school_id", "year", "grade"],
        ["school_id", "year"],
    ):
        sel = exk
        for c in {"grade", "subject"} - set(cols):
            sel = sel[sel[c].isna()]
        for c in cols:
            sel = sel[sel[c].notna()]
        if sel.empty:
            continue
        m = tk.dropna(subset=cols).merge(sel[[*cols, "reason"]], on=cols, how="inner")
        hit[m["_i"].to_numpy()] = True
        why[m["_i"].to_numpy()] = m["reason"].to_numpy()
    # a row of the whole school-year (grade and subject empty: pooled heaping, a federal entry
    # without grade) is excluded when every unit of that school-year is
    whole = tk["grade"].isna().to_numpy() & table["subject"].isna().to_numpy()
    if whole.any():
        unit_rows = ~tk["grade"].isna().to_numpy()
        sy = table["school_id"].astype(str) + "|" + table["year"].astype(str)
        all_out = pd.Series(hit[unit_rows]).groupby(sy[unit_rows].to_numpy()).all()
        done = sy[whole].map(all_out).fillna(False).astype(bool).to_numpy()
        idx = np.flatnonzero(whole)[done & ~hit[whole]]
        hit[idx] = True
        why[idx] = "все единицы ОО за год исключены"
    table["excluded"] = hit
    table["reason"] = np.where(
        hit, table["reason"].astype(str) + "; результаты исключены: " + why, table["reason"]
    )
    return table


def _models_table(info: dict, share: pd.DataFrame, mean: pd.DataFrame) -> pd.DataFrame:
    rows = []
    names = {"A": BASIS_GIA, "B": "только контекст", "M": "среднее по муниципалитету"}
    for check, frame in (("share_4_5", share), ("mean_mark", mean)):
        for m, par in info[check].items():
            sel = frame[frame["model"] == m]
            rows.append(
                {
                    "check": check,
                    "model": m,
                    "basis": names[m],
                    "units": int(len(sel)),
                    "groups": int(sel.groupby(["year", "grade", "subject"]).ngroups),
                    "tau2": par["tau2"],
                    "tau": float(np.sqrt(par["tau2"])),
                    "kappa": par["kappa"],
                    "residuals": par["residuals"],
                    "scale": "арксинус √доли" if check == "share_4_5" else "отметка",
                    "flagged": int(sel["flagged"].fillna(False).astype(bool).sum()),
                }
            )
    return pd.DataFrame(rows)
