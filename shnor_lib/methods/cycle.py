"""The management cycle: statuses over the years, who entered and left, and whether support
works (issue «the management cycle»).

Pure DataFrame-in → DataFrame-out functions; the stage in :mod:`shnor_lib.pipeline` is the glue.

- :func:`status_history` applies the M3 rules (ШНОР, leader, risk group) to EVERY year with an
  ИОР, each year with its own window of ``window`` years ending at it, and takes ШССУ from the
  per-year ИСБ table (M4 fits one model over the window, so ШССУ of the earlier years comes
  from the same model and is known only for the years of that window).
- ШНОР by the relative rule (ИОР in Q1, ≥ ``low_years`` of the window in Q1) is ~25 % of the
  schools every year by construction; the absolute rule (seed 000 §3.1: «высокий суммарный
  процент недостижения минимальных баллов … в течение трёх последних лет») is the ГИА
  below-minimum share pooled over the window ≥ a threshold, so the count can fall.
- :func:`support_effect` compares each entry cohort's change of ИОР with the change expected
  WITHOUT support from a model of change fitted on unsupported schools (not a before/after,
  which credits regression to the mean to the programme).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from shnor_lib.methods import results_index

RELATIVE = "relative"
ABSOLUTE = "absolute"
RULES = (RELATIVE, ABSOLUTE)
RULE_RU = {
    RELATIVE: "относительное: ИОР в 1-м квартиле",
    ABSOLUTE: "абсолютное: доля результатов ГИА ниже минимума за окно",
}
STATUS_LOW = "ШНОР"
STATUS_HARD = "ШССУ"
STATUS_LEADER = "школа-лидер"
STATUS_RISK = "группа риска"
STATUS_COLUMNS = {
    STATUS_LOW: "low_results",
    STATUS_HARD: "hard_context",
    STATUS_LEADER: "leader",
    STATUS_RISK: "risk_group",
}
ENTERED, LEFT, STAYED = "вошла", "вышла", "осталась"

HISTORY_COLUMNS = [
    "school_id",
    "year",
    "results_index",
    "results_quartile",
    "low_results",
    "hard_context",
    "leader",
    "risk_group",
    "rule",
]
TRANSITION_COLUMNS = ["school_id", "status", "from_year", "to_year", "change"]
COUNT_COLUMNS = ["year", "rule", "n_schools", "n_low_results", "share_low_results"]
EFFECT_COLUMNS = [
    "cohort",
    "group",
    "n_schools",
    "change",
    "expected_change",
    "effect",
    "ci_low",
    "ci_high",
    "method",
]
EFFECT_METHOD = (
    "ожидаемое изменение — регрессия изменения ИОР на ИОР года входа и предыдущих лет, "
    "оценённая по ОО, не бывшим ШНОР до года входа включительно; интервал — ошибка среднего отклонения "
    "и ошибка модели"
)


# Russian headers and sheet names of the published tables (merged into publish.RU_HEADERS and
# publish.SHEET_NAMES; columns already named there keep their label).
RU_HEADERS = {
    "hard_context": "ШССУ",
    "rule": "Правило ШНОР",
    "status": "Статус",
    "from_year": "С года",
    "to_year": "На год",
    "n_low_results": "Число ШНОР",
    "share_low_results": "Доля ШНОР, %",
    "cohort": "Год входа в ШНОР",
    "group": "Когорта",
    "n_schools": "Число ОО",
    "expected_change": "Ожидаемое изменение без поддержки",
    "effect": "Эффект поддержки",
    "method": "Метод",
    "target_year": "Год прогноза",
    "probability": "Вероятность войти в ШНОР",
    "signal": "Главный сигнал",
    "entered": "Вошла в ШНОР",
    "n_predictions": "Число прогнозов",
    "n_entries": "Число входов в ШНОР",
    "base_rate": "Доля входов",
    "mean_probability": "Средняя вероятность",
    "brier": "Оценка Брайера",
    "brier_base": "Оценка Брайера без модели",
    "top_decile_n": "ОО в верхних 10 %",
    "top_decile_hits": "Из них вошли в ШНОР",
    "top_decile_hit_rate": "Доля вошедших в верхних 10 %",
    "indicator": "Показатель",
    "value": "Значение",
    "ci_low": "Нижняя граница интервала",
    "ci_high": "Верхняя граница интервала",
    "n": "Число ОО",
    "check": "Проверка",
    "form_value": "По форме",
    "computed_value": "По расчёту",
    "source": "Источник",
    "item_id": "Номер решения",
    "control_indicator": "Контрольный показатель",
    "deadline": "Срок",
    "due": "Срок наступил",
    "previous_value": "Значение год назад",
    "current_value": "Значение сейчас",
    "moved": "Изменение",
    "target_value": "Целевое значение",
    "target_reached": "Цель достигнута",
}
TABLE_HEADERS = {
    "transitions": {"change": "Изменение статуса", "status": "Статус"},
    "support_effect": {"change": "Изменение ИОР"},
    "early_warning": {"kind": "Вид строки", "year": "Год данных"},
    "group_dynamics": {"group": "Группа ОО"},
}
SHEET_NAMES = {
    "status_history": "Статусы по годам",
    "status_counts": "Число ШНОР по правилам",
    "transitions": "Вошли и вышли",
    "support_effect": "Эффект поддержки",
    "early_warning": "Раннее предупреждение",
    "early_warning_check": "Проверка прогноза ШНОР",
    "group_dynamics": "Динамика групп ОО",
    "follow_up": "Контроль решений",
    "forms_crosscheck": "Сверка форм",
}


# ------------------------------------------------------------------------------ statuses


def absolute_low(index: pd.DataFrame, threshold: float) -> pd.Series:
    """Absolute ШНОР per school × year: ГИА below-minimum share pooled over the window ending
    at the year (``gia_below_min_value`` of the ИОР table) ≥ ``threshold`` %.

    NA where the school has no ГИА results in the window (the rule cannot be applied)."""
    if "gia_below_min_value" not in index:
        return pd.Series(pd.NA, index=index.index, dtype="boolean")
    share = index["gia_below_min_value"].astype(float)
    return pd.array(np.where(share.isna(), None, share >= threshold), dtype="boolean")


def _window(years: list[int], year: int, window: int) -> list[int]:
    return [y for y in years if year - window < y <= year]


def relative_history(
    index: pd.DataFrame,
    *,
    window: int,
    low_years: int,
    leader_years: int,
    risk: pd.DataFrame | None = None,
    exclusions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """M3 classes (ШНОР by the relative rule, leader, risk group) for every year of ``index``,
    each with the window of ``window`` years ending at it (``results_index.classify``)."""
    years = sorted(int(y) for y in index["year"].dropna().unique())
    parts = []
    for year in years:
        win = _window(years, year, window)
        cls = results_index.classify(
            index,
            year,
            win,
            low_years=min(low_years, len(win)),
            leader_years=min(leader_years, len(win)),
            risk=risk,
            excluded_schools=results_index.leader_disqualified(exclusions, win),
        )
        have = index.loc[index["year"] == year, "school_id"]
        cls = cls[cls["school_id"].isin(have)]
        parts.append(cls[["school_id", "low_results", "leader", "risk_group"]].assign(year=year))
    if not parts:
        return pd.DataFrame(columns=["school_id", "year", "low_results", "leader", "risk_group"])
    return pd.concat(parts, ignore_index=True)


def status_history(
    index: pd.DataFrame,
    *,
    window: int,
    low_years: int,
    leader_years: int,
    rule: str = RELATIVE,
    absolute_threshold: float = 30.0,
    risk: pd.DataFrame | None = None,
    exclusions: pd.DataFrame | None = None,
    social: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``status_history``: one row per school × year with an ИОР row; ``low_results`` (ШНОР)
    by ``rule``; ``hard_context`` (ШССУ) from the per-year ИСБ table (NA where unknown)."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    base = index[["school_id", "year", "results_index", "results_quartile"]].copy()
    if "gia_below_min_value" in index:
        base["gia_below_min_value"] = index["gia_below_min_value"]
    rel = relative_history(
        index,
        window=window,
        low_years=low_years,
        leader_years=leader_years,
        risk=risk,
        exclusions=exclusions,
    )
    out = base.merge(rel, on=["school_id", "year"], how="left")
    if rule == ABSOLUTE:
        out["low_results"] = absolute_low(out, absolute_threshold)
    out["low_results"] = out["low_results"].astype("boolean")
    for c in ("leader", "risk_group"):
        out[c] = out[c].fillna(False).astype(bool)
    if social is not None and not social.empty and "hard_context" in social:
        hc = social[["school_id", "year", "hard_context"]].drop_duplicates(["school_id", "year"])
        out = out.merge(hc, on=["school_id", "year"], how="left")
        out["hard_context"] = out["hard_context"].astype("boolean")
    else:
        out["hard_context"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out["rule"] = rule
    out["year"] = out["year"].astype("int64")
    return out[HISTORY_COLUMNS].sort_values(["year", "school_id"]).reset_index(drop=True)


def status_counts(
    index: pd.DataFrame,
    history: pd.DataFrame,
    *,
    window: int,
    low_years: int,
    absolute_threshold: float,
) -> pd.DataFrame:
    """Number of ШНОР per year by BOTH rules (the chosen one is in ``history``): the relative
    count stays near a quarter by construction, the absolute one can fall."""
    rel = relative_history(index, window=window, low_years=low_years, leader_years=window)
    rel = index[["school_id", "year", "results_index"]].merge(
        rel, on=["school_id", "year"], how="left"
    )
    rel = rel[rel["results_index"].notna()]
    ab = index.assign(low_results=absolute_low(index, absolute_threshold))
    ab = ab[ab["low_results"].notna()]
    rows = []
    for rule, frame in ((RELATIVE, rel), (ABSOLUTE, ab)):
        for year, g in frame.groupby("year"):
            n = len(g)
            k = int(g["low_results"].fillna(False).astype(bool).sum())
            rows.append((int(year), rule, n, k, 100.0 * k / n if n else np.nan))
    out = pd.DataFrame(rows, columns=COUNT_COLUMNS)
    return out.sort_values(["rule", "year"]).reset_index(drop=True)


def history_notes(history: pd.DataFrame, window: int) -> list[str]:
    """How the statuses of earlier years were obtained (Russian, for the report)."""
    if history.empty:
        return []
    years = sorted(int(y) for y in history["year"].unique())
    rule = str(history["rule"].iloc[0])
    out = [
        f"Статусы определены за каждый год с данными ({years[0]}–{years[-1]}) по тем же правилам, "
        f"что и в отчётном году; окно каждого года — {window} г. по этот год включительно. "
        f"ШНОР — правило «{RULE_RU[rule]}»."
    ]
    short = [y for y in years if len(_window(years, y, window)) < window]
    if short:
        out.append(
            "В первые годы данных (" + ", ".join(map(str, short)) + ") окно короче: статус ШНОР "
            "и школы-лидера там определён по меньшему числу лет и менее устойчив; кто «вошёл» "
            "в ШНОР в первый год данных, определить нельзя."
        )
    hc = history.dropna(subset=["hard_context"])
    known = sorted(int(y) for y in hc["year"].unique())
    missing = [y for y in years if y not in known]
    if missing:
        out.append(
            "ШССУ (ИСБ в нижнем квартиле) известен только за годы, по которым оценена модель ИСБ"
            + (f" ({', '.join(map(str, known))})" if known else "")
            + "; за "
            + ", ".join(map(str, missing))
            + " статус ШССУ не определён (пусто)."
        )
    return out


def transitions(history: pd.DataFrame) -> pd.DataFrame:
    """Who entered, left or stayed in each status between consecutive years with data.

    A school absent (or with an unknown status) in one of the two years gets no line for that
    pair: we cannot say whether it changed."""
    years = sorted(int(y) for y in history["year"].unique())
    rows = []
    for status, col in STATUS_COLUMNS.items():
        wide = history.pivot_table(
            index="school_id", columns="year", values=col, aggfunc="first", dropna=False
        )
        for a, b in zip(years, years[1:], strict=False):
            if a not in wide or b not in wide:
                continue
            pair = wide[[a, b]].dropna()
            was, now = pair[a].astype(bool), pair[b].astype(bool)
            change = np.select([was & now, ~was & now, was & ~now], [STAYED, ENTERED, LEFT], "")
            sel = change != ""
            rows.append(
                pd.DataFrame(
                    {
                        "school_id": pair.index[sel],
                        "status": status,
                        "from_year": a,
                        "to_year": b,
                        "change": change[sel],
                    }
                )
            )
    if not rows:
        return pd.DataFrame(columns=TRANSITION_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    order = {s: i for i, s in enumerate(STATUS_COLUMNS)}
    out = out.assign(_o=out["status"].map(order)).sort_values(
        ["_o", "from_year", "change", "school_id"]
    )
    return out[TRANSITION_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------------------ A42


def positive_dynamics(
    history: pd.DataFrame, year: int, *, min_gain_quartiles: int = 1
) -> pd.DataFrame:
    """A42: which ШНОР of the previous year show positive dynamics in ``year``.

    Criterion (stated in docs/methods_cycle.md): the school's ИОР quartile in ``year`` is at
    least ``min_gain_quartiles`` higher than in the previous year with data, OR it left the
    ШНОР status. The quartile (not the raw ИОР) is used because ИОР is rescaled each year.
    Returns school_id, prev_quartile, quartile, left_status, positive."""
    years = sorted(int(y) for y in history["year"].unique() if int(y) < year)
    cols = ["school_id", "prev_quartile", "quartile", "left_status", "positive"]
    if not years or year not in set(history["year"]):
        return pd.DataFrame(columns=cols)
    prev = history[(history["year"] == years[-1]) & history["low_results"].fillna(False)]
    cur = history[history["year"] == year].set_index("school_id")
    out = pd.DataFrame({"school_id": prev["school_id"].to_numpy()})
    out["prev_quartile"] = prev["results_quartile"].to_numpy()
    out["quartile"] = out["school_id"].map(cur["results_quartile"])
    now_low = out["school_id"].map(cur["low_results"])
    out["left_status"] = now_low.notna() & ~now_low.fillna(True).astype(bool)
    gain = (out["quartile"] - out["prev_quartile"]) >= min_gain_quartiles
    out["positive"] = gain.fillna(False) | out["left_status"]
    known = out["quartile"].notna() | now_low.notna()
    return out[known][cols].reset_index(drop=True)


# ------------------------------------------------------------------------------ support effect


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS with intercept: coefficients, their covariance, residual variance."""
    xm = np.column_stack([np.ones(len(x)), x])
    beta, *_ = np.linalg.lstsq(xm, y, rcond=None)
    resid = y - xm @ beta
    dof = max(len(y) - xm.shape[1], 1)
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.pinv(xm.T @ xm)
    return beta, cov, s2


def support_effect(
    history: pd.DataFrame,
    *,
    horizon: int = 2,
    confidence: float = 0.95,
    min_schools: int = 3,
    window: int | None = None,
) -> pd.DataFrame:
    """``support_effect``: for each cohort of schools that entered ШНОР in year t (ШНОР in t,
    not in t−1), the change of ИОР from t to t+``horizon`` (or the latest year with data),
    the change expected without support and the difference with an interval.

    Expected change: OLS of the change on ИОР in every year up to t, fitted on schools that
    were not ШНОР in any year up to t (never supported before the outcome period started),
    predicted at the cohort's own levels. All the past years enter the model because entry
    (and staying out of it) is decided on several years: two low years say more about a
    school's lasting level than one, so such a school regresses less to the mean than one low
    year predicts. Conditional on the same past results, selection no longer biases the
    comparison.
    ``window``: only the ``window`` + 1 years up to t enter the model (those that decide the
    status in t and t−1), less the earlier years in which a school of the cohort has no ИОР
    (the first years of data have fewer results); None: every year up to t, and a school
    without an ИОР in one of them is left out.
    Interval: the cohort's mean residual ± t·√(s²_cohort/n + x̄ᵀ V x̄) (V: the model's
    coefficient covariance)."""
    h = history[["school_id", "year", "results_index", "low_results"]].copy()
    h["low_results"] = h["low_results"].astype("boolean")
    wide_i = h.pivot_table(
        index="school_id", columns="year", values="results_index", aggfunc="first"
    )
    wide_l = h.pivot_table(
        index="school_id", columns="year", values="low_results", aggfunc="first", dropna=False
    )
    years = sorted(int(y) for y in h["year"].unique())
    rows = []
    for t in years[1:]:
        later = [y for y in years if y > t]
        if not later or (t - 1) not in years:
            continue
        within = [y for y in later if y <= t + horizon]
        end = within[-1] if within else later[0]  # two years on, or the latest year there is
        low_t = wide_l[t].astype("boolean")
        low_prev = wide_l[t - 1].astype("boolean")
        past = [y for y in years if y <= t and (window is None or y >= t - window)]
        ever = wide_l[[y for y in years if y <= t]].fillna(False).astype(bool).any(axis=1)
        x0, y1 = wide_i[t], wide_i[end]
        entered = low_t.fillna(False).astype(bool) & ~low_prev.fillna(True).astype(bool)
        entered &= x0.notna() & y1.notna()
        if window is not None:  # an earlier year where a school of the cohort has no ИОР
            past = [y for y in past if y == t or wide_i.loc[entered, y].notna().all()]
        ok = wide_i[past].notna().all(axis=1) & y1.notna()
        cohort = ok & entered
        control = ok & ~ever
        n_c, n_t = int(control.sum()), int(cohort.sum())
        if n_t < min_schools or n_c < min_schools + 3:
            continue
        if n_c < len(past) + 2 + min_schools:
            continue
        beta, cov, _ = _ols(
            wide_i.loc[control, past].to_numpy(float), (y1 - x0)[control].to_numpy(float)
        )
        xt = np.column_stack([np.ones(n_t), wide_i.loc[cohort, past].to_numpy(float)])
        change = (y1 - x0)[cohort].to_numpy(float)
        expected = xt @ beta
        resid = change - expected
        xbar = xt.mean(axis=0)
        var = (resid.var(ddof=1) if n_t > 1 else 0.0) / n_t + float(xbar @ cov @ xbar)
        q = sps.t.ppf(0.5 + confidence / 2, df=max(n_t - 1, 1))
        eff = float(resid.mean())
        rows.append(
            (
                t,
                f"ШНОР, вошедшие в {t} г. (итог {end} г.)",
                n_t,
                float(change.mean()),
                float(expected.mean()),
                eff,
                eff - q * np.sqrt(var),
                eff + q * np.sqrt(var),
                EFFECT_METHOD + f"; ОО сравнения: {n_c}",
            )
        )
    out = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    out["cohort"] = out["cohort"].astype("int64")
    out["n_schools"] = out["n_schools"].astype("int64")
    return out


# ------------------------------------------------------------------------------ early warning

EW_FEATURES = {
    "level": "низкий ИОР в этом году",
    "trend": "снижение ИОР за год",
    "q1_years": "годы в 1-м квартиле в окне",
    "risk": "признак риска Рособрнадзора",
}
EW_COLUMNS = ["school_id", "year", "target_year", "probability", "signal", "entered", "kind"]
EW_CHECK_COLUMNS = [
    "n_predictions",
    "n_entries",
    "base_rate",
    "mean_probability",
    "brier",
    "brier_base",
    "top_decile_n",
    "top_decile_hits",
    "top_decile_hit_rate",
]
EW_FORECAST, EW_BACKTEST = "прогноз", "проверка на прошлых годах"


def _ew_features(history: pd.DataFrame, t: int, years: list[int], window: int) -> pd.DataFrame:
    """Per school not ШНОР in ``t`` (with an ИОР): the signals of entering next year."""
    h = history.set_index(["school_id", "year"])
    cur = history[history["year"] == t].set_index("school_id")
    low = cur["low_results"].astype("boolean")
    cur = cur[cur["results_index"].notna() & ~low.fillna(True).astype(bool)]
    prev_year = max((y for y in years if y < t), default=None)
    out = pd.DataFrame(index=cur.index)
    out["level"] = -cur["results_index"].astype(float)
    if prev_year is None:
        out["trend"] = 0.0
    else:
        prev = h["results_index"].reindex(pd.MultiIndex.from_product([cur.index, [prev_year]]))
        out["trend"] = (prev.to_numpy(float) - cur["results_index"].to_numpy(float)).clip(min=0)
        out["trend"] = out["trend"].fillna(0.0)
    win = [y for y in _window(years, t, window)]
    q = history[history["year"].isin(win)].pivot_table(
        index="school_id", columns="year", values="results_quartile", aggfunc="first"
    )
    out["q1_years"] = (q == 1).sum(axis=1).reindex(out.index).fillna(0).astype(float)
    out["risk"] = cur["risk_group"].fillna(False).astype(bool).astype(float)
    return out


def _logit_fit(x: np.ndarray, y: np.ndarray, ridge: float = 1.0) -> tuple:
    """Logistic regression by Newton steps with a small ridge (standardised features), so a
    municipality with few entries still gets finite, shrunk coefficients."""
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = np.column_stack([np.ones(len(x)), (x - mu) / sd])
    beta = np.zeros(z.shape[1])
    pen = np.full(z.shape[1], ridge)
    pen[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        grad = z.T @ (y - p) - pen * beta
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return mu, sd, beta


def _logit_predict(model: tuple, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd, beta = model
    zc = (x - mu) / sd
    p = 1.0 / (1.0 + np.exp(-(beta[0] + zc @ beta[1:])))
    return p, zc * beta[1:]


def _ew_pairs(history: pd.DataFrame, years: list[int], window: int) -> list[pd.DataFrame]:
    """For each pair of consecutive years: features in t and whether the school entered ШНОР
    in t+1 (schools without a status in t+1 left out)."""
    out = []
    for t, nxt in zip(years, years[1:], strict=False):
        if len(_window(years, t, window)) < window:
            continue  # statuses under a shortened window follow other rules: not for training
        f = _ew_features(history, t, years, window)
        nxt_low = history[history["year"] == nxt].set_index("school_id")["low_results"]
        y = nxt_low.astype("boolean").reindex(f.index)
        f = f[y.notna()].assign(entered=y[y.notna()].astype(bool), year=t, target_year=nxt)
        out.append(f)
    return out


def early_warning(
    history: pd.DataFrame, *, window: int, top_share: float = 0.1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """«Группа раннего предупреждения»: for schools not ШНОР now, the probability of entering
    ШНОР next year, from a logistic model of entry on four signals (low ИОР, its fall over the
    year, years in Q1 in the window, the Rosobrnadzor risk sign) fitted on the earlier years.

    Back-test: each earlier year's entries are predicted by a model fitted only on the years
    before it; the check table gives the Brier score (vs the constant base rate) and the hit
    rate of the top ``top_share`` of probabilities. Returns (early_warning, check)."""
    years = sorted(int(y) for y in history["year"].unique())
    pairs = _ew_pairs(history, years, window)
    cols = list(EW_FEATURES)
    rows = []

    def predict(train: list[pd.DataFrame], target: pd.DataFrame, kind: str) -> None:
        tr = pd.concat(train)
        if tr.empty or tr["entered"].sum() < 2 or target.empty:
            return
        model = _logit_fit(tr[cols].to_numpy(float), tr["entered"].to_numpy(float))
        p, contrib = _logit_predict(model, target[cols].to_numpy(float))
        signal = [EW_FEATURES[cols[i]] for i in contrib.argmax(axis=1)]
        rows.append(
            pd.DataFrame(
                {
                    "school_id": target.index,
                    "year": target["year"].to_numpy(),
                    "target_year": target["target_year"].to_numpy(),
                    "probability": p,
                    "signal": signal,
                    "entered": target["entered"].to_numpy() if "entered" in target else None,
                    "kind": kind,
                }
            )
        )

    for k in range(1, len(pairs)):
        predict(pairs[:k], pairs[k], EW_BACKTEST)
    if years and pairs:
        last = _ew_features(history, years[-1], years, window)
        last = last.assign(year=years[-1], target_year=years[-1] + 1)
        predict(pairs, last, EW_FORECAST)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=EW_COLUMNS)
    table["entered"] = table["entered"].astype("boolean")
    table = table[EW_COLUMNS].sort_values(
        ["year", "probability", "school_id"], ascending=[True, False, True]
    )
    return table.reset_index(drop=True), ew_check(table, top_share)


def ew_check(table: pd.DataFrame, top_share: float = 0.1) -> pd.DataFrame:
    """Brier score and top-decile hit rate of the back-test rows (one row; empty if none)."""
    bt = table[(table["kind"] == EW_BACKTEST) & table["entered"].notna()]
    if bt.empty:
        return pd.DataFrame(columns=EW_CHECK_COLUMNS)
    y = bt["entered"].astype(bool).to_numpy(float)
    p = bt["probability"].to_numpy(float)
    base = float(y.mean())
    top_hits, top_n = 0, 0
    for _, g in bt.groupby("year"):
        k = max(1, int(round(top_share * len(g))))
        top = g.nlargest(k, "probability")
        top_n += k
        top_hits += int(top["entered"].astype(bool).sum())
    return pd.DataFrame(
        [
            {
                "n_predictions": len(bt),
                "n_entries": int(y.sum()),
                "base_rate": base,
                "mean_probability": float(p.mean()),
                "brier": float(np.mean((p - y) ** 2)),
                "brier_base": float(np.mean((base - y) ** 2)),
                "top_decile_n": top_n,
                "top_decile_hits": top_hits,
                "top_decile_hit_rate": top_hits / top_n,
            }
        ],
        columns=EW_CHECK_COLUMNS,
    )


# ------------------------------------------------------------------------------ group dynamics

GROUP_COLUMNS = ["year", "group", "indicator", "value", "ci_low", "ci_high", "n"]
GROUP_LOW, GROUP_HARD, GROUP_LEADER, GROUP_OTHER = "ШНОР", "ШССУ", "школы-лидеры", "остальные"
GROUP_GAP = "разрыв: лидеры − ШНОР"
GROUP_INDICATORS = {
    "C1-1": "Средний балл ЕГЭ (русский язык, математика профильная)",
    "C1-2": "Средняя отметка ВПР 5–6 кл. (русский язык, математика)",
    "below_min": "Доля результатов ГИА ниже минимального балла за год, %",
}
# the ИОР table's raw component behind each indicator (below_min comes per year, not pooled)
_GROUP_SOURCE = {"C1-1": "ege_mean_value", "C1-2": "vpr_mean_mark_value"}


def below_min_by_year(gia_marked: pd.DataFrame | None) -> pd.DataFrame:
    """school_id, year, value: the ГИА below-minimum share (%) of each school-year alone
    (the ИОР component pools the window; group dynamics need the year itself)."""
    if gia_marked is None or gia_marked.empty or "below_min" not in gia_marked:
        return pd.DataFrame(columns=["school_id", "year", "value"])
    known = gia_marked[gia_marked["below_min"].notna()]
    agg = known.groupby(["school_id", "year"], observed=True)["below_min"].agg(["sum", "size"])
    out = agg.reset_index()
    out["value"] = 100.0 * out["sum"].astype(float) / out["size"].astype(float)
    return out[["school_id", "year", "value"]]


def _school_groups(history: pd.DataFrame) -> pd.DataFrame:
    """school_id, year, group — a school-year may be in several groups (ШНОР and ШССУ);
    «остальные»: none of ШНОР, ШССУ, leader, with a known ШНОР status."""
    h = history.copy()
    flags = {
        GROUP_LOW: h["low_results"].astype("boolean").fillna(False).astype(bool),
        GROUP_HARD: h["hard_context"].astype("boolean").fillna(False).astype(bool),
        GROUP_LEADER: h["leader"].astype(bool),
    }
    any_flag = flags[GROUP_LOW] | flags[GROUP_HARD] | flags[GROUP_LEADER]
    flags[GROUP_OTHER] = ~any_flag & h["low_results"].notna()
    parts = [h.loc[f, ["school_id", "year"]].assign(group=g) for g, f in flags.items()]
    return pd.concat(parts, ignore_index=True)


def _mean_ci(x: np.ndarray, confidence: float) -> tuple[float, float, float]:
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    m = float(x.mean())
    if n < 2:
        return m, np.nan, np.nan
    half = sps.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return m, m - half, m + half


def _gap_ci(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Difference of means a − b with a Welch interval."""
    if len(a) < 2 or len(b) < 2:
        d = float(a.mean() - b.mean()) if len(a) and len(b) else np.nan
        return d, np.nan, np.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else 1.0
    d = float(a.mean() - b.mean())
    half = sps.t.ppf(0.5 + confidence / 2, dof) * se
    return d, d - half, d + half


def group_dynamics(
    history: pd.DataFrame,
    index: pd.DataFrame,
    below_min: pd.DataFrame | None = None,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """``group_dynamics``: ШНОР, ШССУ, leaders and all others over the years, for C1-1 (ЕГЭ
    mean), C1-2 (ВПР 5–6 mean mark) and the ГИА below-minimum share: the mean over the
    group's schools (each school counts once, as the programme is about schools) with a
    t-interval, and per year the gap leaders − ШНОР with a Welch interval. A school's group
    is its status in that year (the cohort changes as schools enter and leave)."""
    values = []
    for code, col in _GROUP_SOURCE.items():
        if col in index:
            v = index[["school_id", "year", col]].rename(columns={col: "value"})
            values.append(v.assign(indicator=code))
    if below_min is not None and not below_min.empty:
        values.append(below_min[["school_id", "year", "value"]].assign(indicator="below_min"))
    if not values or history.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    val = pd.concat(values, ignore_index=True).dropna(subset=["value"])
    val["school_id"] = val["school_id"].astype(str)
    groups = _school_groups(history).assign(school_id=lambda f: f["school_id"].astype(str))
    data = groups.merge(val, on=["school_id", "year"])
    rows = []
    order = [GROUP_LOW, GROUP_HARD, GROUP_LEADER, GROUP_OTHER]
    for (year, code), g in data.groupby(["year", "indicator"], sort=True):
        by = {k: s["value"].to_numpy(float) for k, s in g.groupby("group")}
        for name in order:
            x = by.get(name, np.array([]))
            if len(x):
                rows.append((int(year), name, code, *_mean_ci(x, confidence), len(x)))
        if GROUP_LEADER in by and GROUP_LOW in by:
            a, b = by[GROUP_LEADER], by[GROUP_LOW]
            rows.append((int(year), GROUP_GAP, code, *_gap_ci(a, b, confidence), len(a) + len(b)))
    out = pd.DataFrame(rows, columns=GROUP_COLUMNS)
    ind_order = {c: i for i, c in enumerate(GROUP_INDICATORS)}
    grp_order = {g: i for i, g in enumerate([*order, GROUP_GAP])}
    out = out.assign(_i=out["indicator"].map(ind_order), _g=out["group"].map(grp_order))
    out = out.sort_values(["_i", "year", "_g"]).drop(columns=["_i", "_g"])
    out["n"] = out["n"].astype("int64")
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------ forms cross-check

CROSSCHECK_COLUMNS = ["check", "unit", "form_value", "computed_value", "status", "text"]
CHECK_OK, CHECK_MISMATCH = "совпадает", "расхождение"
# help-form counts (item id → what they are checked against)
_HELP_COUNTS = {
    "b1_08_n_schools_in_events": "n_schools",
    "b1_09_n_leader_schools_in_network": "n_pair_leaders",
    "b1_10_n_lowres_schools_in_network": "n_paired_low",
    "b1_11_n_schools_targeted_help": "n_low",
}
_HELP_TEXT = {
    "n_schools": "п. 8 формы «Методическая помощь» (ОО в мероприятиях) не больше числа ОО",
    "n_pair_leaders": "п. 9 (школы-лидеры в сетевом взаимодействии) против школ-лидеров в парах",
    "n_paired_low": "п. 10 (ШНОР в сетевом взаимодействии) против ШНОР, у которых есть пара",
    "n_low": "п. 11 (ШНОР с адресной помощью) не больше числа ШНОР",
}


def forms_crosscheck(
    support: pd.DataFrame | None, low: set[str], n_schools: int, pairs: pd.DataFrame | None
) -> pd.DataFrame:
    """The forms against the computed lists: a unit named in МНЦ/МТКП that is not ШНОР; a
    ШНОР without a mentor (МНЦ) or a tutor (МТКП); the counts of items 8–11 of the
    methodical-help form against the number of schools, the ШНОР list and the pairs."""
    if support is None or support.empty:
        return pd.DataFrame(columns=CROSSCHECK_COLUMNS)
    rows = []
    sup = support.assign(unit=support["unit"].astype(str))
    for block, who in (("mnc", "наставник (МНЦ)"), ("mtkp", "тьютор (МТКП)")):
        units = set(sup.loc[(sup["block"] == block) & (sup["unit"] != "municipality"), "unit"])
        if not units and not (sup["block"] == block).any():
            continue  # no such form: nothing to compare
        for u in sorted(units - low):
            rows.append(
                (
                    f"{block}: ОО не ШНОР",
                    u,
                    1.0,
                    0.0,
                    CHECK_MISMATCH,
                    f"ОО указана в форме «{block.upper()}», но не ШНОР по расчёту",
                )
            )
        for u in sorted(low - units):
            rows.append(
                (
                    f"{block}: ШНОР без сопровождения",
                    u,
                    0.0,
                    1.0,
                    CHECK_MISMATCH,
                    f"ШНОР, для которой в форме не указан {who}",
                )
            )
    help_ = sup[(sup["block"] == "help") & (sup["unit"] == "municipality")]
    score = dict(
        zip(help_["indicator_id"], pd.to_numeric(help_["score"], errors="coerce"), strict=True)
    )
    p = pairs if pairs is not None else pd.DataFrame()
    computed = {
        "n_schools": float(n_schools),
        "n_low": float(len(low)),
        "n_pair_leaders": float(p["leader_school_id"].nunique())
        if "leader_school_id" in p
        else np.nan,
        "n_paired_low": float(p["low_results_school_id"].nunique())
        if "low_results_school_id" in p
        else np.nan,
    }
    for item, key in _HELP_COUNTS.items():
        v, c = score.get(item, np.nan), computed[key]
        if pd.isna(v) or pd.isna(c):
            continue
        bound = key in ("n_schools", "n_low")  # an upper bound, not an equality
        ok = v <= c if bound else v == c
        rows.append(
            (item, "municipality", float(v), c, CHECK_OK if ok else CHECK_MISMATCH, _HELP_TEXT[key])
        )
    rows += _roadmap_item_check(sup, score.get(HELP_ROADMAP_ITEM, np.nan))
    out = pd.DataFrame(rows, columns=CROSSCHECK_COLUMNS)
    return out.sort_values(["check", "unit"], kind="stable").reset_index(drop=True)


# item 6 of the methodical-help form: «полнота и своевременность выполнения мероприятий
# Дорожной карты» (1 = yes), against the computed completeness and timeliness of the roadmap
HELP_ROADMAP_ITEM = "b1_06_roadmap_execution"
_ROADMAP_SHARES = ("roadmap_completeness", "roadmap_timeliness")


def _roadmap_item_check(sup: pd.DataFrame, claimed: float) -> list[tuple]:
    """One row: the form's «yes/no» of item 6 against the roadmap's computed completeness and
    timeliness (both 100 % ⇔ «yes»); none when either side is missing.

    Example: the form says 1 (complete and timely) while 20 of 25 due events were done →
    «расхождение» with computed value 80 (the lower of the two shares, %).
    """
    road = sup[
        (sup["block"] == "roadmap")
        & (sup["unit"] == "municipality")
        & sup["indicator_id"].isin(_ROADMAP_SHARES)
    ]
    shares = pd.to_numeric(road.get("share_of_max", road["score"]), errors="coerce").dropna()
    if pd.isna(claimed) or shares.empty:
        return []
    lowest = float(shares.min())
    ok = bool(claimed >= 1) == (lowest >= 100)
    text = (
        "п. 6 формы «Методическая помощь» (полнота и своевременность выполнения дорожной "
        "карты: 1 — да) против рассчитанных полноты и своевременности (меньшая из двух, %)"
    )
    return [
        (
            HELP_ROADMAP_ITEM,
            "municipality",
            float(claimed),
            lowest,
            CHECK_OK if ok else CHECK_MISMATCH,
            text,
        )
    ]


# ------------------------------------------------------------------------------ follow-up

FOLLOW_COLUMNS = [
    "source",
    "item_id",
    "school_id",
    "control_indicator",
    "deadline",
    "due",
    "previous_value",
    "current_value",
    "ci_low",
    "ci_high",
    "change",
    "moved",
    "target_value",
    "target_reached",
]
MOVED_UP, MOVED_DOWN, MOVED_NONE, MOVED_NA = (
    "вырос",
    "снизился",
    "без значимого изменения",
    "нет данных",
)


def _current(
    indicators: pd.DataFrame, code: str, school: str, year: int
) -> tuple[float, float, float]:
    """This year's value and interval of an indicator (school level when ``school``)."""
    ind = indicators[(indicators["indicator_id"] == code) & (indicators["year"] == year)]
    sid = ind["school_id"].fillna("").astype(str)
    ind = ind[sid == school] if school else ind[ind["level"] == "municipality"]
    if ind.empty:
        return np.nan, np.nan, np.nan
    r = ind.iloc[0]
    return float(r["value"]), float(r.get("ci_low", np.nan)), float(r.get("ci_high", np.nan))


def follow_up(
    decisions: pd.DataFrame | None, indicators: pd.DataFrame, year: int, report_date: str
) -> pd.DataFrame:
    """``follow_up``: each of last year's management decisions with a control indicator — was
    it due by ``report_date``, its value then and now (with this year's interval), whether it
    moved (last year's value outside this year's interval) and whether the target is met."""
    if decisions is None or decisions.empty or "control_indicator" not in decisions:
        return pd.DataFrame(columns=FOLLOW_COLUMNS)
    d = decisions[decisions["control_indicator"].fillna("").astype(str) != ""]
    rows = []
    for _, r in d.iterrows():
        school = "" if pd.isna(r.get("school_id")) else str(r.get("school_id"))
        code = str(r["control_indicator"])
        prev = pd.to_numeric(pd.Series([r.get("control_value")]), errors="coerce").iloc[0]
        cur, lo, hi = _current(indicators, code, school, year)
        deadline = "" if pd.isna(r.get("deadline")) else str(r.get("deadline"))[:10]
        due = bool(deadline) and deadline <= report_date
        if pd.isna(cur) or pd.isna(prev):
            moved = MOVED_NA
        elif not pd.isna(lo) and lo <= prev <= hi:
            moved = MOVED_NONE
        else:
            moved = MOVED_UP if cur > prev else (MOVED_DOWN if cur < prev else MOVED_NONE)
        target = pd.to_numeric(pd.Series([r.get("target_value")]), errors="coerce").iloc[0]
        reached = (
            pd.NA
            if pd.isna(target) or pd.isna(cur)
            else bool(cur >= target if pd.isna(prev) or target >= prev else cur <= target)
        )
        rows.append(
            (
                "управленческое решение",
                str(r.get("decision_id", "")),
                school,
                code,
                deadline,
                due,
                prev,
                cur,
                lo,
                hi,
                cur - prev if not (pd.isna(cur) or pd.isna(prev)) else np.nan,
                moved,
                target,
                reached,
            )
        )
    out = pd.DataFrame(rows, columns=FOLLOW_COLUMNS)
    out["target_reached"] = out["target_reached"].astype("boolean")
    return out
