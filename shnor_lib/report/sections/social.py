"""Report views and figures for «Индекс социального благополучия и ШССУ» (docs/methods.md M4).

Presentation only: every number was computed by `shnor_lib.methods.social_index` and published as
tables (`social_model`, `social_selection`, `social_fit`, `social_notes`, `social_index`,
and the ИСБ columns of `schools`). Each function takes the report's `Results` and returns
a DataFrame (for `display.table`), a Figure (for `display.figure`), text or notes. A missing
table gives an empty result, never an exception: the section then says «нет данных».
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from shnor_lib.fmt import fmt_number, fmt_percent
from shnor_lib.methods import social_index
from shnor_lib.report.display import axis_format
from shnor_lib.report.wording import ci_label, percent_level
from shnor_lib.tables import (
    SCHOOLS,
    SOCIAL_FIT,
    SOCIAL_INDEX,
    SOCIAL_MODEL,
    SOCIAL_NOTES,
    SOCIAL_SELECTION,
)

if TYPE_CHECKING:
    from shnor_lib.pipeline import Results

MISSING = "—"
QUARTILE_NAMES = {4: "Q4 высокий", 3: "Q3 выше среднего", 2: "Q2 ниже среднего", 1: "Q1 низкий"}
QUARTILE_COLORS = {1: "#D55E00", 2: "#E69F00", 3: "#56B4E9", 4: "#009E73"}
FAVOURABLE, UNFAVOURABLE = "#009E73", "#D55E00"
VS_COLORS = {
    social_index.ABOVE: "#009E73",
    social_index.BELOW: "#D55E00",
    social_index.LEVEL: "#888888",
}
VS_CELL = {social_index.ABOVE: "cell-good", social_index.BELOW: "cell-bad"}
SE_TEXT = {
    "cluster": "кластерно-устойчивые стандартные ошибки (кластер — ОО, поправка CR1, "
    "t-распределение с G − 1 степенями свободы)",
    "HC1": "стандартные ошибки, устойчивые к гетероскедастичности (HC1)",
}
KIND_TITLES = {"data": "Качество данных.", "warning": "Внимание.", "info": "Примечание."}


# ---------------------------------------------------------------------------- helpers


def _t(res: Results, name: str) -> pd.DataFrame | None:
    frame = res.tables.get(name)
    return frame if frame is not None else None


def _bool(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def _yesno(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return MISSING
    return "да" if bool(v) else "нет"


def _p_text(p: float) -> str:
    if pd.isna(p):
        return MISSING
    return "< 0,001" if p < 0.001 else fmt_number(p, 3)


def _interval(lo: float, hi: float, d: int = 2) -> str:
    if pd.isna(lo) or pd.isna(hi):
        return MISSING
    return f"[{fmt_number(lo, d)}; {fmt_number(hi, d)}]"


def _signed(x: float, d: int = 2) -> str:
    if pd.isna(x):
        return MISSING
    text = fmt_number(x, d)
    return ("+" if x > 0 and text.strip("0,") != "" else "") + text


def short_name(name: str) -> str:
    """«МБОУ СОШ № 35 ст. Ясенская» → «СОШ № 35» (figure labels)."""
    m = re.search(r"(НОШ|ООШ|СОШ с УИОП|СОШ|лицей|гимназия) № \d+", str(name))
    return m.group(0) if m else str(name)


def fit_info(res: Results) -> dict[str, Any]:
    """The one-row social_fit table as a dict (empty when absent)."""
    f = _t(res, SOCIAL_FIT)
    if f is None or f.empty:
        return {}
    return {k: (None if pd.isna(v) else v) for k, v in f.iloc[0].to_dict().items()}


def available(res: Results) -> bool:
    """True when the ИСБ model was fitted (the section has results to show)."""
    info = fit_info(res)
    ok = info.get("ok")
    return bool(ok) and ok is not pd.NA


def current(res: Results) -> pd.DataFrame:
    """Reporting-year schools: names, ИОР and classes from schools.csv, ИСБ columns from
    social_index.csv (falling back to the ИСБ columns of schools.csv)."""
    s = res.tables[SCHOOLS].copy()
    base_cols = [
        c
        for c in (
            "school_id",
            "school_name",
            "school_type",
            "results_index",
            "results_quartile",
            "low_results",
            "leader",
        )
        if c in s.columns
    ]
    base = s[base_cols].copy()
    si = _t(res, SOCIAL_INDEX)
    if si is not None and not si.empty:
        cur = si[si["year"] == res.params.year].drop(
            columns=["year", "results_index", "results_quartile"], errors="ignore"
        )
        out = base.merge(cur, on="school_id", how="left")
    else:
        social = [c for c in s.columns if c not in base_cols]
        out = base.join(s[social])
    for c in (*social_index.SCHOOL_COLUMNS[1:], "results_index", "results_quartile", "leader"):
        if c not in out:
            out[c] = pd.NA
    if "school_name" not in out:
        out["school_name"] = out["school_id"]
    if "low_results" not in out:
        out["low_results"] = pd.NA
    out["priority"] = _bool(out["low_results"]) & _bool(out["hard_context"])
    return out


def notes(res: Results) -> list[tuple[str, str, str]]:
    """(kind, title, text) for each note of the ИСБ stage, for `display.note`."""
    n = _t(res, SOCIAL_NOTES)
    if n is None or n.empty:
        return []
    return [(k, KIND_TITLES.get(k, ""), str(t)) for k, t in zip(n["kind"], n["text"], strict=True)]


# ---------------------------------------------------------------------------- text


def fit_summary(res: Results) -> str:
    """A Russian paragraph: sample, scope, selection rule, R²."""
    info = fit_info(res)
    if not info:
        return "Модель ИСБ не рассчитана: нет данных."
    if not available(res):
        return (
            "Модель ИСБ не оценена (причины — в примечаниях ниже), поэтому ИСБ, ШССУ и "
            "ожидаемые результаты в этом отчёте не определены."
        )
    scope = "ОО муниципалитета" if info.get("scope") == "municipality" else "ОО региона"
    conf = float(info.get("confidence") or 0.95)
    return (
        f"Модель оценена по {int(info['n_obs'])} наблюдениям «ОО × год» ({int(info['n_schools'])} "
        f"ОО; {info['years']} гг.; {scope}). Зависимая переменная — ИОР (после исключения "
        "необъективных результатов), кандидаты — "
        f"{int(info['n_candidates'])} характеристик социального паспорта, местности и кадровых "
        "и ресурсных условий; все переменные стандартизованы по выборке модели (среднее 0, "
        "стандартное отклонение 1). Отбор — последовательное исключение наименее значимой "
        f"характеристики, пока её p-значение больше α = {fmt_number(info['alpha'], 2)}, и далее "
        f"до не более чем {int(info['max_terms'])} характеристик; "
        f"{SE_TEXT.get(str(info.get('se_type')), '')}. В модели {int(info['n_terms'])} "
        f"характеристик; R² = {fmt_number(info['r2'], 3)} (скорректированный "
        f"{fmt_number(info['r2_adj'], 3)}): столько вариации ИОР между ОО и годами объясняют "
        "внешние условия. Уровень доверия интервалов (доверительных и интервалов прогноза) — "
        f"{fmt_percent(100 * conf, 0)}."
    )


def key_numbers(res: Results) -> dict[str, Any]:
    cur = current(res)
    info = fit_info(res)
    out: dict[str, Any] = {
        "ОО с ИСБ": int(cur["social_index"].notna().sum()) if "social_index" in cur else 0,
        "ШССУ": int(_bool(cur["hard_context"]).sum()),
        "ШНОР и ШССУ": int(cur["priority"].sum()),
        "Резильентные (строго)": int(_bool(cur["resilient_strict"]).sum()),
        "Резильентные (с учётом условий)": int(_bool(cur["resilient_contextual"]).sum()),
    }
    if available(res):
        out["R² модели ИСБ"] = fmt_number(float(info["r2"]), 2)
    return out


# ---------------------------------------------------------------------------- model


def model_table(res: Results) -> pd.DataFrame:
    """The selected characteristics: coefficient with its interval, p, LMG, weight."""
    m = _t(res, SOCIAL_MODEL)
    conf = fit_info(res).get("confidence") or 0.95
    ci_col = f"{fmt_percent(100 * float(conf), 0)} ДИ"
    cols = [
        "Характеристика",
        "Коэффициент (в ст. отклонениях)",
        ci_col,
        "p-значение",
        "Вклад в R² (LMG)",
        "Вес в ИСБ",
        "Влияние на результаты",
    ]
    if m is None or m.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(
        {
            "Характеристика": m["term"].map(social_index.label),
            "Коэффициент (в ст. отклонениях)": [_signed(v, 3) for v in m["coef"]],
            ci_col: [_interval(a, b, 3) for a, b in zip(m["ci_low"], m["ci_high"], strict=True)],
            "p-значение": [_p_text(p) for p in m["pvalue"]],
            "Вклад в R² (LMG)": [fmt_number(v, 3) for v in m["lmg"]],
            "Вес в ИСБ": [fmt_percent(100 * v, 1) for v in m["weight"]],
            "Влияние на результаты": [
                "благоприятное (чем больше, тем выше ИОР)"
                if s > 0
                else "неблагоприятное (чем больше, тем ниже ИОР)"
                for s in m["sign"]
            ],
        }
    )


def selection_table(res: Results) -> pd.DataFrame:
    """Every candidate: in the model or not, at which step, and why."""
    s = _t(res, SOCIAL_SELECTION)
    if s is None or s.empty:
        return pd.DataFrame(columns=["Характеристика", "Решение", "Шаг исключения", "Основание"])
    return pd.DataFrame(
        {
            "Характеристика": s["term"].map(social_index.label),
            "Решение": s["status"],
            "Шаг исключения": [
                str(int(v)) if pd.notna(v) and int(v) > 0 else MISSING for v in s["step"]
            ],
            "Основание": s["reason"].fillna(""),
        }
    )


def weights_figure(res: Results):
    """Left: standardized coefficients with intervals; right: LMG weights of the ИСБ."""
    import matplotlib.pyplot as plt

    m = _t(res, SOCIAL_MODEL)
    fig, (ax1, ax2) = plt.subplots(
        1,
        2,
        figsize=(9.0, max(2.4, 0.5 * (0 if m is None else len(m)) + 1.4)),
        sharey=True,
        gridspec_kw={"wspace": 0.12},
    )
    if m is None or m.empty:
        ax1.text(0.5, 0.5, "нет данных", ha="center", va="center", transform=ax1.transAxes)
        return fig
    m = m.iloc[::-1].reset_index(drop=True)  # largest weight on top
    y = np.arange(len(m))
    colors = [FAVOURABLE if s > 0 else UNFAVOURABLE for s in m["sign"]]
    ax1.errorbar(
        m["coef"],
        y,
        xerr=np.vstack([m["coef"] - m["ci_low"], m["ci_high"] - m["coef"]]),
        fmt="none",
        ecolor="#555555",
        capsize=3,
        zorder=1,
    )
    ax1.scatter(m["coef"], y, c=colors, zorder=2, s=36)
    ax1.axvline(0, color="black", linewidth=0.8)
    ax1.set_yticks(y, [social_index.SHORT_LABELS.get(t, t) for t in m["term"]])
    ax1.set_xlabel(f"Коэффициент, ст. откл. ({ci_label(res.params.confidence)})")
    ax1.set_title("Связь с ИОР")
    axis_format(ax1, "x", decimals=1)
    ax2.barh(y, 100 * m["weight"], color=colors)
    for yi, w in zip(y, m["weight"], strict=True):
        ax2.text(100 * w + 1, yi, fmt_percent(100 * w, 0), va="center", fontsize=8)
    ax2.set_xlim(0, max(100 * m["weight"].max() * 1.25, 10))
    ax2.set_xlabel("Вес в ИСБ (доля R², LMG), %")
    ax2.set_title("Веса характеристик")
    ax2.grid(axis="y", visible=False)
    axis_format(ax2, "x", decimals=0)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in (FAVOURABLE, UNFAVOURABLE)]
    ax2.legend(
        handles,
        ["благоприятная характеристика", "неблагоприятная характеристика"],
        loc="upper center",
        ncol=2,
        bbox_to_anchor=(-0.1, -0.22),
    )
    return fig


# ---------------------------------------------------------------------------- ranking


def ranking_table(res: Results) -> pd.DataFrame:
    """Reporting-year ИСБ ranking (most favourable first) with ШССУ, ИОР and ШНОР."""
    cur = current(res)
    cur = cur[cur["social_index"].notna()].sort_values(
        ["social_index", "school_id"], ascending=[False, True]
    )
    return pd.DataFrame(
        {
            "Место": np.arange(1, len(cur) + 1),
            "ОО": cur["school_name"],
            "ИСБ": cur["social_index"],
            "Уровень ИСБ": cur["social_level"],
            "ШССУ": cur["hard_context"].map(_yesno),
            "Главный неблагоприятный фактор": cur["main_factor"].fillna("").replace("", MISSING),
            "ИОР": cur["results_index"],
            "ШНОР": cur["low_results"].map(_yesno),
        }
    ).reset_index(drop=True)


def ranking_figure(res: Results):
    import matplotlib.pyplot as plt

    cur = current(res)
    cur = cur[cur["social_index"].notna()].sort_values(["social_index", "school_id"])
    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.22 * len(cur) + 1)))
    colors = [
        QUARTILE_COLORS.get(int(q), "#999999") if pd.notna(q) else "#999999"
        for q in cur["social_quartile"]
    ]
    ax.barh(np.arange(len(cur)), cur["social_index"], color=colors)
    ax.set_yticks(np.arange(len(cur)), list(cur["school_name"]), fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("ИСБ (0 — наименее благоприятные условия, 1 — наиболее благоприятные)")
    ax.set_title(f"Индекс социального благополучия, {res.params.year} г.")
    handles = [plt.Rectangle((0, 0), 1, 1, color=QUARTILE_COLORS[q]) for q in (4, 3, 2, 1)]
    ax.legend(
        handles,
        [QUARTILE_NAMES[q] + (" (ШССУ)" if q == 1 else "") for q in (4, 3, 2, 1)],
        loc="lower right",
    )
    ax.grid(axis="y", visible=False)
    axis_format(ax, "x", decimals=1)
    return fig


def scatter_figure(res: Results):
    """ИОР × ИСБ with the quadrants: ШНОР, ШССУ, резильентные, лидеры, ШНОР ∩ ШССУ."""
    import matplotlib.pyplot as plt

    cur = current(res)
    d = cur[cur["social_index"].notna() & cur["results_index"].notna()].copy()
    fig, ax = plt.subplots(figsize=(7.5, 5.6))
    if d.empty:
        ax.text(0.5, 0.5, "нет данных", ha="center", va="center", transform=ax.transAxes)
        return fig
    x_cut = float(np.nanquantile(cur["social_index"].astype(float), 0.25))
    y_lo, y_hi = np.nanquantile(cur["results_index"].astype(float), [0.25, 0.75])
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.08)
    ax.axvline(x_cut, color="#444444", linestyle="--", linewidth=0.9)
    ax.axhline(y_lo, color="#444444", linestyle="--", linewidth=0.9)
    ax.axhline(y_hi, color="#444444", linestyle=":", linewidth=0.9)
    ax.axvspan(-0.03, x_cut, color="#E69F00", alpha=0.08, zorder=0)
    ax.axhspan(-0.03, y_lo, color="#D55E00", alpha=0.06, zorder=0)
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "edgecolor": "none"}
    kw = {"fontsize": 8, "bbox": box, "zorder": 5}
    ax.text(x_cut / 2, 1.05, "резильентные (строго)", ha="center", va="top", color="#009E73", **kw)
    ax.text((x_cut + 1.03) / 2, 1.05, "лидеры", ha="center", va="top", color="#0072B2", **kw)
    ax.text(x_cut / 2, (y_lo + y_hi) / 2, "ШССУ", ha="center", va="center", color="#B36B00", **kw)
    ax.text(x_cut / 2, -0.01, "ШНОР ∩ ШССУ", ha="center", va="bottom", color="#8B0000", **kw)
    ax.text((x_cut + 1.03) / 2, -0.01, "ШНОР", ha="center", va="bottom", color="#D55E00", **kw)

    low, hard = _bool(d["low_results"]), _bool(d["hard_context"])
    res_any = _bool(d["resilient_strict"]) | _bool(d["resilient_contextual"])
    lead = _bool(d["leader"])
    groups = [
        ("ШНОР и ШССУ (приоритет)", d["priority"], "#8B0000", "s", 60),
        ("ШНОР", low & ~hard, "#D55E00", "v", 50),
        ("ШССУ", hard & ~low & ~res_any, "#E69F00", "o", 40),
        ("резильентные (по любому определению)", res_any, "#009E73", "*", 140),
        ("школы-лидеры", lead & ~res_any, "#0072B2", "^", 50),
    ]
    used = pd.Series(False, index=d.index)
    for name, mask, color, marker, size in groups:
        mask = mask & ~used
        used |= mask
        if mask.any():
            ax.scatter(
                d.loc[mask, "social_index"],
                d.loc[mask, "results_index"],
                c=color,
                marker=marker,
                s=size,
                label=name,
                zorder=3,
                edgecolors="white",
                linewidths=0.5,
            )
    rest = ~used
    if rest.any():
        ax.scatter(
            d.loc[rest, "social_index"],
            d.loc[rest, "results_index"],
            c="#AAAAAA",
            s=25,
            label="остальные ОО",
            zorder=2,
        )
    for i in d.index[d["priority"] | res_any]:
        ax.annotate(
            short_name(d.at[i, "school_name"]),
            (d.at[i, "social_index"], d.at[i, "results_index"]),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
            zorder=6,
        )
    ax.set_xlabel("ИСБ (выше — благоприятнее условия)")
    ax.set_ylabel("ИОР (выше — лучше результаты)")
    ax.set_title(f"Результаты и социальные условия ОО, {res.params.year} г.")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axis_format(ax, "both", decimals=1)
    return fig


def priority_table(res: Results) -> pd.DataFrame:
    """ШНОР ∩ ШССУ: low results in difficult social conditions (first priority for help)."""
    cur = current(res)
    d = cur[cur["priority"]].sort_values("social_index")
    return pd.DataFrame(
        {
            "ОО": d["school_name"],
            "ИСБ": d["social_index"],
            "Главный неблагоприятный фактор": d["main_factor"].fillna("").replace("", MISSING),
            "ИОР": d["results_index"],
            "Ожидаемый ИОР": d["expected_result"],
            "Относительно ожидаемого": d["vs_expected"].fillna(MISSING),
        }
    ).reset_index(drop=True)


# ---------------------------------------------------------------------------- expected


def expected_table(res: Results) -> pd.DataFrame:
    """Actual vs expected ИОР with the prediction interval of the difference."""
    cur = current(res)
    d = cur[cur["expected_result"].notna()].sort_values(["residual", "school_id"], ascending=False)
    return pd.DataFrame(
        {
            "ОО": d["school_name"],
            "ИСБ": d["social_index"],
            "ИОР": d["results_index"],
            "Ожидаемый ИОР": d["expected_result"],
            "Отклонение": [_signed(v, 2) for v in d["residual"]],
            f"{percent_level(res.params.confidence)} % интервал отклонения": [
                _interval(a, b, 2)
                for a, b in zip(d["residual_ci_low"], d["residual_ci_high"], strict=True)
            ],
            "Относительно ожидаемого": d["vs_expected"].fillna("нет ИОР"),
        }
    ).reset_index(drop=True)


def expected_cell_class():
    """`display.table` cell_class colouring «выше / ниже ожидаемого»."""
    return {"Относительно ожидаемого": VS_CELL}


def expected_figure(res: Results):
    """Residual (actual − expected ИОР) per school with its 95 % prediction interval."""
    import matplotlib.pyplot as plt

    cur = current(res)
    d = cur[cur["residual"].notna()].sort_values(["residual", "school_id"])
    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.22 * len(d) + 1.2)))
    if d.empty:
        ax.text(0.5, 0.5, "нет данных", ha="center", va="center", transform=ax.transAxes)
        return fig
    y = np.arange(len(d))
    for status, color in VS_COLORS.items():
        m = (d["vs_expected"] == status).to_numpy()
        if not m.any():
            continue
        ax.errorbar(
            d["residual"].to_numpy()[m],
            y[m],
            xerr=np.vstack(
                [
                    (d["residual"] - d["residual_ci_low"]).to_numpy()[m],
                    (d["residual_ci_high"] - d["residual"]).to_numpy()[m],
                ]
            ),
            fmt="o",
            color=color,
            ecolor=color,
            capsize=2,
            markersize=4,
            label=status,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, list(d["school_name"]), fontsize=7)
    ax.set_xlabel(
        f"ИОР минус ожидаемый ИОР ({percent_level(res.params.confidence)} % интервал прогноза)"
    )
    ax.set_title(f"Фактические и ожидаемые результаты с учётом условий, {res.params.year} г.")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    axis_format(ax, "x", decimals=2)
    return fig


def resilient_table(res: Results) -> pd.DataFrame:
    """Schools resilient under either definition, both definitions side by side."""
    cur = current(res)
    strict, ctx = _bool(cur["resilient_strict"]), _bool(cur["resilient_contextual"])
    d = cur[strict | ctx].sort_values(["social_index", "school_id"])
    return pd.DataFrame(
        {
            "ОО": d["school_name"],
            "ИСБ": d["social_index"],
            "Уровень ИСБ": d["social_level"],
            "ИОР": d["results_index"],
            "Уровень ИОР": d["results_quartile"].map(
                lambda q: QUARTILE_NAMES.get(int(q), MISSING) if pd.notna(q) else MISSING
            ),
            f"Отклонение от ожидаемого [{percent_level(res.params.confidence)} % интервал]": [
                f"{_signed(r)} {_interval(a, b)}"
                for r, a, b in zip(
                    d["residual"], d["residual_ci_low"], d["residual_ci_high"], strict=True
                )
            ],
            "Строгое определение (ИСБ Q1 и ИОР Q4)": d["resilient_strict"].map(_yesno),
            "С учётом условий (ИСБ ниже медианы, результат выше ожидаемого)": d[
                "resilient_contextual"
            ].map(_yesno),
        }
    ).reset_index(drop=True)


def no_social_table(res: Results) -> pd.DataFrame:
    """Schools without ИСБ (or without a residual) in the reporting year, with the reason."""
    cur = current(res)
    if "no_social_reason" not in cur:
        return pd.DataFrame(columns=["ОО", "Причина"])
    d = cur[cur["no_social_reason"].fillna("") != ""]
    return pd.DataFrame({"ОО": d["school_name"], "Причина": d["no_social_reason"]}).reset_index(
        drop=True
    )
