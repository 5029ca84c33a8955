"""Report views and figures for the section «Объективность результатов» (M5).

Presentation only: every number was computed by `shnor_lib.methods.objectivity` and published as
`tables/objectivity*.csv`; a notebook cell calls one function here and shows the result
with `display.table`, `display.figure` or `display.note`. Every function accepts a
`pipeline.Results`-like object (``res.tables``, ``res.params``) and copes with absent
tables (the section then says «нет данных»).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from shnor_lib.fmt import fmt_number, fmt_percent
from shnor_lib.methods import objectivity as m_objectivity
from shnor_lib.report.display import SMALL_N, axis_format  # noqa: E402
from shnor_lib.report.wording import ci_label, number, percent_adjective, percent_level, years  # noqa: E402
from shnor_lib.tables import (  # noqa: E402
    INDICATORS_EXCLUSIONS,  # noqa: E402
    OBJECTIVITY,
    OBJECTIVITY_EFFECT,
    OBJECTIVITY_EXCLUSIONS,
    OBJECTIVITY_FUNNEL,
    OBJECTIVITY_JOURNAL,
    OBJECTIVITY_MODELS,
    OBJECTIVITY_SCHOOLS,
    SCHOOLS,
)

COLORS = {"flag": "#D55E00", "ok": "#56B4E9", "fed": "#000000", "line": "#0072B2"}
QUARTILE_LEVELS = ("низкий", "ниже среднего", "выше среднего", "высокий")


def _t(res, name: str) -> pd.DataFrame:
    tables = getattr(res, "tables", {}) or {}
    frame = tables.get(name)
    return frame.copy() if frame is not None else pd.DataFrame()


def _names(res) -> dict[str, str]:
    s = _t(res, SCHOOLS)
    if s.empty or "school_name" not in s:
        return {}
    return dict(zip(s["school_id"].astype(str), s["school_name"], strict=True))


def _flag(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def _year(res, year: int | None) -> int:
    return int(year if year is not None else res.params.year)


def _checks(res, check: str) -> pd.DataFrame:
    t = _t(res, OBJECTIVITY)
    if t.empty:
        return t
    t = t[t["check"] == check].copy()
    t["school_id"] = t["school_id"].astype(str)
    t["grade"] = pd.array(pd.to_numeric(t["grade"], errors="coerce"), dtype="Int64")
    return t


def _interval(value, lo, hi, unit: str = "п.п.", decimals: int = 1) -> str:
    if pd.isna(value):
        return "—"
    sign = "+" if value > 0 else ""
    return (
        f"{sign}{fmt_number(value, decimals)} {unit} "
        f"[{fmt_number(lo, decimals)}; {fmt_number(hi, decimals)}]"
    )


def _share_ci(value, lo, hi) -> str:
    if pd.isna(value):
        return "—"
    return f"{fmt_percent(value)} [{fmt_number(lo)}; {fmt_number(hi)}]"


# ----------------------------------------------------------------------------- summary


def _counts(res, years_: list[int]) -> m_objectivity.ExclusionCounts:
    """The one definition of the exclusion counts (methods.objectivity.exclusion_counts)."""
    return m_objectivity.exclusion_counts(
        _t(res, OBJECTIVITY_EXCLUSIONS),
        years_,
        table=_t(res, OBJECTIVITY),
        schools=_t(res, OBJECTIVITY_SCHOOLS),
    )


def key_numbers(res, year: int | None = None) -> dict[str, object]:
    """Key figures of the reporting year, and the exclusions of the analysis window."""
    year = _year(res, year)
    share = _checks(res, "share_4_5")
    if share.empty:
        return {"Единиц ВПР (класс × предмет)": 0}
    cur = share[share["year"] == year]
    fed = _checks(res, "federal_list")
    fed_cur = fed[fed["year"] == year] if not fed.empty else fed
    now = _counts(res, [year])
    window = _counts(res, m_objectivity.exclusion_window(res.params))
    return {
        "Единиц ВПР (ОО × класс × предмет)": int(len(cur)),
        f"Проверено (не менее {int(res.params.min_group_size)} участников)": int(
            cur["statistic"].notna().sum()
        ),
        "Выявлено завышение в классе": int(_flag(cur["flagged"]).sum()),
        "ОО, где завышение выявлено по всей ВПР года": now.school_years_flagged,
        "В перечне Рособрнадзора": int(len(fed_cur)),
        "Исключено единиц": now.units,
        "ОО с исключениями": now.schools,
        f"Исключено единиц за {window.window_text()}": window.units,
    }


def summary_by_year(res) -> pd.DataFrame:
    """Per year: units, tested, flagged by the unit and the school test, federal list,
    excluded units and schools (counts of :func:`_counts`)."""
    share = _checks(res, "share_4_5")
    if share.empty:
        return pd.DataFrame()
    fed = _checks(res, "federal_list")
    rows = []
    for year, g in share.groupby("year"):
        c = _counts(res, [int(year)])
        rows.append(
            {
                "Год": int(year),
                "Единиц ВПР": int(len(g)),
                "Проверено": int(g["statistic"].notna().sum()),
                "Не проверено: мало участников": int(
                    g["reason"].astype(str).str.startswith("недостаточно").sum()
                ),
                "Выявлено завышение в классе": int(_flag(g["flagged"]).sum()),
                "ОО с завышением по всей ВПР года": c.school_years_flagged,
                "Без ГИА: ожидаемое по контексту": int(
                    g["basis"].astype(str).str.startswith("только контекст").sum()
                ),
                "Без ГИА и контекста: среднее МО": int(
                    g["basis"].astype(str).str.startswith("среднее").sum()
                ),
                "В перечне Рособрнадзора": int((fed["year"] == year).sum()) if not fed.empty else 0,
                "Исключено единиц": c.units,
                "ОО с исключениями": c.schools,
            }
        )
    return pd.DataFrame(rows)


def school_tests(res, year: int | None = None) -> pd.DataFrame:
    """The school × procedure × year test of the reporting year: every school whose pooled
    excess is flagged or whose classes were flagged, with the pooled excess and interval."""
    year = _year(res, year)
    s = _t(res, OBJECTIVITY_SCHOOLS)
    ci = ci_label(res.params.objectivity.school_confidence)
    cols = [
        "ОО",
        "Проверено единиц",
        "Из них с завышением в классе",
        "Участников",
        "Доля «4»–«5» (все классы)",
        "Ожидаемая доля",
        f"Превышение [{ci}]",
        "Вывод",
    ]
    if s.empty:
        return pd.DataFrame(columns=cols)
    s = s[(s["year"] == year) & (_flag(s["flagged"]) | (s["units_flagged"] > 0))]
    names = _names(res)
    verdict = np.where(
        _flag(s["flagged"]),
        np.where(
            s["excluded"].astype(bool),
            "завышение по всей ВПР: исключены все единицы ОО за год",
            "завышение по всей ВПР (правило исключения его не использует)",
        ),
        "по ОО в целом не выявлено: исключаются только отмеченные классы",
    )
    out = pd.DataFrame(
        {
            "ОО": s["school_id"].astype(str).map(lambda x: names.get(x, x)),
            "Проверено единиц": s["units_tested"].astype(int),
            "Из них с завышением в классе": s["units_flagged"].astype(int),
            "Участников": s["n"].astype(int),
            "Доля «4»–«5» (все классы)": s["observed"].map(fmt_percent),
            "Ожидаемая доля": s["expected"].map(fmt_percent),
            f"Превышение [{ci}]": [
                _interval(v, lo, hi)
                for v, lo, hi in zip(s["statistic"], s["ci_low"], s["ci_high"], strict=True)
            ],
            "Вывод": verdict,
        }
    )
    return out.sort_values(["Вывод", "ОО"]).reset_index(drop=True)


def indicator_effect(res) -> pd.DataFrame:
    """Municipal result indicators (A11–A15, C1-2) before and after the exclusions."""
    e = _t(res, INDICATORS_EXCLUSIONS)
    cols = ["Показатель", "Год", "Участников до", "после", "Значение до", "после "]
    if e.empty:
        return pd.DataFrame(columns=cols)
    e = e[e["level"] == "municipality"]
    from shnor_lib.report.sections.common import indicator_names

    names = indicator_names()
    mean = e["indicator_id"].astype(str).str.startswith("c1_")
    fmt = [(lambda v: fmt_number(v, 2)) if m else fmt_percent for m in mean]
    return pd.DataFrame(
        {
            "Показатель": e["indicator_id"].map(lambda i: names.get(i, i)),
            "Год": e["year"].astype(int),
            "Участников до": e["n_before"].astype(int),
            "после": e["n_after"].astype(int),
            "Значение до": [f(v) for f, v in zip(fmt, e["value_before"], strict=True)],
            "после ": [f(v) for f, v in zip(fmt, e["value_after"], strict=True)],
        }
    ).reset_index(drop=True)


def funnel_plot(res, year: int | None = None):
    """Funnel plot of the reporting year: share of «4»–«5» placed against the number of
    participants, the municipal line and the 95 % control limits; flagged units marked.

    Each unit is compared with its own expected share (ГИА and context); to show all units
    on one funnel its standardized excess is placed around the municipal share, so a point
    lies above the upper limit exactly when the unit's interval of the excess lies above 0.
    """
    year = _year(res, year)
    share = _checks(res, "share_4_5")
    limits = _t(res, OBJECTIVITY_FUNNEL)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    ax.set_title(f"ВПР {year}: доля отметок «4»–«5» с поправкой на ожидаемый уровень ОО")
    ax.set_xlabel("Число участников (n)")
    ax.set_ylabel("Доля «4»–«5» относительно ожидаемой, %")
    if share.empty or limits.empty or (limits["year"] == year).sum() == 0:
        ax.text(0.5, 0.5, "нет данных", ha="center", va="center", transform=ax.transAxes)
        return fig
    lim = limits[limits["year"] == year].sort_values("n")
    cur = share[(share["year"] == year) & share["adjusted"].notna()]
    fed = _checks(res, "federal_list")
    fed_keys = (
        set(zip(fed["school_id"], fed["year"], fed["grade"], fed["subject"], strict=True))
        if not fed.empty
        else set()
    )
    on_list = np.array(
        [
            k in fed_keys
            for k in zip(cur["school_id"], cur["year"], cur["grade"], cur["subject"], strict=True)
        ],
        dtype=bool,
    )
    flagged = _flag(cur["flagged"]).to_numpy()
    ax.fill_between(lim["n"], lim["lcl"], lim["ucl"], color=COLORS["line"], alpha=0.08, lw=0)
    ax.plot(
        lim["n"],
        lim["centre"],
        color=COLORS["line"],
        lw=1.5,
        label="Средняя доля по муниципалитету",
    )
    ax.plot(
        lim["n"],
        lim["ucl"],
        color=COLORS["line"],
        lw=1,
        ls="--",
        label=f"Контрольные границы ({percent_level(res.params.objectivity.unit_confidence)} %)",
    )
    ax.plot(lim["n"], lim["lcl"], color=COLORS["line"], lw=1, ls="--")
    ok = ~flagged
    ax.scatter(
        cur["n"][ok],
        cur["adjusted"][ok],
        s=12,
        color=COLORS["ok"],
        alpha=0.6,
        lw=0,
        label="Класс × предмет ОО",
    )
    ax.scatter(
        cur["n"][flagged],
        cur["adjusted"][flagged],
        s=26,
        color=COLORS["flag"],
        label="Выявлено завышение (интервал выше 0, ≥ порога)",
        zorder=3,
    )
    if on_list.any():
        ax.scatter(
            cur["n"][on_list],
            cur["adjusted"][on_list],
            s=60,
            facecolors="none",
            edgecolors=COLORS["fed"],
            lw=1.0,
            marker="D",
            label="В перечне Рособрнадзора",
            zorder=4,
        )
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max(float(cur["n"].max()) * 1.05, 20) if len(cur) else 100)
    axis_format(ax, "y", decimals=0, percent=True)
    axis_format(ax, "x", decimals=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def excess_scatter(res, year: int | None = None):
    """Observed against expected share of «4»–«5» in the reporting year (diagonal = as
    expected); flagged units marked."""
    year = _year(res, year)
    share = _checks(res, "share_4_5")
    fig, ax = plt.subplots(figsize=(6.0, 5.0))
    ax.set_title(f"ВПР {year}: наблюдаемая и ожидаемая доля «4»–«5»")
    ax.set_xlabel("Ожидаемая доля (по ГИА и контексту), %")
    ax.set_ylabel("Доля «4»–«5» на ВПР, %")
    cur = share[(share["year"] == year) & share["statistic"].notna()] if not share.empty else share
    if cur.empty:
        ax.text(0.5, 0.5, "нет данных", ha="center", va="center", transform=ax.transAxes)
        return fig
    flagged = _flag(cur["flagged"]).to_numpy()
    ax.plot([0, 100], [0, 100], color="#777777", lw=1, label="Как ожидалось")
    ax.scatter(
        cur["expected"][~flagged],
        cur["observed"][~flagged],
        s=10,
        alpha=0.5,
        color=COLORS["ok"],
        lw=0,
        label="Класс × предмет ОО",
    )
    ax.scatter(
        cur["expected"][flagged],
        cur["observed"][flagged],
        s=24,
        color=COLORS["flag"],
        label="Выявлено завышение",
        zorder=3,
    )
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    axis_format(ax, "both", decimals=0, percent=True)
    ax.legend(loc="lower right", fontsize=8)
    return fig


# ----------------------------------------------------------------------------- tables


def exclusions_list(res, year: int | None = None, *, all_years: bool = False) -> pd.DataFrame:
    """Excluded units with the statistic and its interval (reporting year, or the window)."""
    ex = _t(res, OBJECTIVITY_EXCLUSIONS)
    cols = [
        "ОО",
        "Год",
        "Класс",
        "Предмет",
        "n",
        "Доля «4»–«5»",
        "Ожидаемая доля",
        f"Превышение [{ci_label(res.params.objectivity.unit_confidence)}]",
        "Основа ожидаемого",
        "Основание исключения",
    ]
    if ex.empty:
        return pd.DataFrame(columns=cols)
    ex["school_id"] = ex["school_id"].astype(str)
    ex["grade"] = pd.array(pd.to_numeric(ex["grade"], errors="coerce"), dtype="Int64")
    if all_years:
        years = set(getattr(res.params, "years", [])) or set(ex["year"])
        ex = ex[ex["year"].isin(years)]
    else:
        ex = ex[ex["year"] == _year(res, year)]
    share = _checks(res, "share_4_5")
    keys = ["school_id", "year", "grade", "subject"]
    ex["subject"] = ex["subject"].astype(object)  # a school-level federal list: all empty
    if not share.empty:
        share = share.assign(subject=share["subject"].astype(object))
    m = ex.merge(share, on=keys, how="left", suffixes=("", "_s")) if not share.empty else ex
    names = _names(res)
    out = pd.DataFrame(
        {
            "ОО": m["school_id"].map(lambda s: names.get(s, s)),
            "Год": m["year"].astype(int),
            "Класс": m["grade"],
            "Предмет": m["subject"].fillna("все"),
            "n": pd.array(pd.to_numeric(m.get("n"), errors="coerce"), dtype="Int64"),
            "Доля «4»–«5»": [
                SMALL_N if pd.isna(v) and pd.notna(n) else fmt_percent(v)
                for v, n in zip(m.get("observed"), m.get("n"), strict=True)
            ],
            "Ожидаемая доля": m.get("expected").map(fmt_percent),
            f"Превышение [{ci_label(res.params.objectivity.unit_confidence)}]": [
                _interval(v, lo, hi)
                for v, lo, hi in zip(
                    m.get("statistic"), m.get("ci_low"), m.get("ci_high"), strict=True
                )
            ],
            "Основа ожидаемого": m.get("basis").fillna(""),
            "Основание исключения": m["reason"],
        }
    )
    return out.sort_values(
        ["Год", "ОО", "Класс", "Предмет"], ascending=[False, True, True, True], na_position="last"
    ).reset_index(drop=True)


def flagged_not_excluded(res, year: int | None = None) -> pd.DataFrame:
    """Reported signs (mean mark, heaping) flagged in the reporting year that do not exclude."""
    year = _year(res, year)
    t = _t(res, OBJECTIVITY)
    if t.empty:
        return pd.DataFrame()
    sel = t[
        (t["year"] == year)
        & t["check"].isin(["mean_mark", "heaping_3"])
        & _flag(t["flagged"])
        & ~_flag(t["excluded"])
    ]
    names = _names(res)
    labels = {"mean_mark": "Средняя отметка выше ожидаемой", "heaping_3": "Скопление на пороге «3»"}
    return pd.DataFrame(
        {
            "ОО": sel["school_id"].astype(str).map(lambda s: names.get(s, s)),
            "Класс": pd.array(pd.to_numeric(sel["grade"], errors="coerce"), dtype="Int64"),
            "Предмет": sel["subject"].fillna("все"),
            "Признак": sel["check"].map(labels),
            "Пояснение": sel["reason"],
        }
    ).reset_index(drop=True)


def effect_table(res, *, all_years: bool = False) -> pd.DataFrame:
    """ИОР before and after the exclusions for the schools whose own ИОР component (mean ВПР
    mark, grades 5–6) changed: value, place in the ranking and level."""
    e = _t(res, OBJECTIVITY_EFFECT)
    cols = [
        "ОО",
        "Год",
        "Исключено единиц ВПР у ОО",
        "Средняя отметка ВПР 5–6 кл.: до → после",
        "ИОР: до → после",
        "Изменение ИОР",
        "Место в рейтинге: до → после",
        "Уровень ИОР: до → после",
    ]
    if e.empty:
        return pd.DataFrame(columns=cols)
    if not all_years:
        e = e[e["year"] == res.params.year]
    names = _names(res)
    e["school_id"] = e["school_id"].astype(str)

    def arrow(a, b, d=2):
        if pd.isna(a) and pd.isna(b):
            return "—"
        return f"{fmt_number(a, d)} → {fmt_number(b, d)}"

    def level(a, b):
        a = a if isinstance(a, str) else "—"
        b = b if isinstance(b, str) else "—"
        return a if a == b else f"{a} → {b}"

    def signed(x):
        return "—" if pd.isna(x) else ("+" if x > 0 else "") + fmt_number(x, 3)

    rank_b = e.get("rank_before", pd.Series(np.nan, index=e.index))
    rank_a = e.get("rank_after", pd.Series(np.nan, index=e.index))
    out = pd.DataFrame(
        {
            "ОО": e["school_id"].map(lambda s: names.get(s, s)),
            "Год": e["year"].astype(int),
            "Исключено единиц ВПР у ОО": e["excluded_units"].astype(int),
            "Средняя отметка ВПР 5–6 кл.: до → после": [
                arrow(a, b)
                for a, b in zip(e["vpr_mean_mark_before"], e["vpr_mean_mark_after"], strict=True)
            ],
            "ИОР: до → после": [
                arrow(a, b, 3)
                for a, b in zip(e["results_index_before"], e["results_index_after"], strict=True)
            ],
            "Изменение ИОР": e["change"].map(signed),
            "Место в рейтинге: до → после": [
                arrow(a, b, 0) for a, b in zip(rank_b, rank_a, strict=True)
            ],
            "Уровень ИОР: до → после": [
                level(a, b)
                for a, b in zip(e["results_level_before"], e["results_level_after"], strict=True)
            ],
            "_change": e["change"],
        }
    )
    out = out.sort_values(["Год", "_change"], ascending=[False, True])
    return out.drop(columns="_change").reset_index(drop=True)


def journal_municipal(res, year: int | None = None) -> pd.DataFrame:
    """A26–A36 for the municipality: понизили / подтвердили / повысили with intervals, the
    indicator's meaning of «подтвердили», its value against the target."""
    j = _t(res, OBJECTIVITY_JOURNAL)
    if j.empty:
        return pd.DataFrame()
    year = _year(res, year)
    m = j[(j["level"] == "municipality") & (j["year"] == year)]
    return pd.DataFrame(
        {
            "Показатель": m["ref"],
            "Предмет, классы": m["subject"] + ", " + m["grades"].astype(str) + " кл.",
            "Что считается": m["definition"],
            "n": m["n"].astype("Int64"),
            f"Понизили [{ci_label(res.params.confidence)}]": [
                _share_ci(*x)
                for x in zip(
                    m["lowered_share"], m["lowered_ci_low"], m["lowered_ci_high"], strict=True
                )
            ],
            f"Подтвердили (=) [{ci_label(res.params.confidence)}]": [
                _share_ci(*x)
                for x in zip(
                    m["confirmed_share"], m["confirmed_ci_low"], m["confirmed_ci_high"], strict=True
                )
            ],
            f"Повысили [{ci_label(res.params.confidence)}]": [
                _share_ci(*x)
                for x in zip(
                    m["raised_share"], m["raised_ci_low"], m["raised_ci_high"], strict=True
                )
            ],
            f"Значение показателя [{ci_label(res.params.confidence)}]": [
                _share_ci(*x) for x in zip(m["value"], m["ci_low"], m["ci_high"], strict=True)
            ],
            "Цель": m["target"].map(lambda v: f"не менее {fmt_number(v, 0)} %"),
            "Статус цели": m["target_status"],
        }
    ).reset_index(drop=True)


def journal_schools(res, year: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """School × indicator values (A26–A36) of the reporting year and their target statuses
    (for colouring with `views.status_cell_class`-style callables)."""
    j = _t(res, OBJECTIVITY_JOURNAL)
    if j.empty:
        return pd.DataFrame(), pd.DataFrame()
    year = _year(res, year)
    s = j[(j["level"] == "school") & (j["year"] == year)].copy()
    s["school_id"] = s["school_id"].astype(str)
    s["text"] = [
        SMALL_N if st == SMALL_N else (fmt_percent(v) if pd.notna(v) else "—")
        for st, v in zip(s["target_status"], s["value"], strict=True)
    ]
    order = list(dict.fromkeys(j.sort_values("ref", key=_ref_key)["ref"]))
    val = s.pivot_table(index="school_id", columns="ref", values="text", aggfunc="first")
    st = s.pivot_table(index="school_id", columns="ref", values="target_status", aggfunc="first")
    cols = [c for c in order if c in val.columns]
    names = _names(res)
    order_rows = sorted(val.index, key=lambda i: names.get(i, i))
    val = val.reindex(index=order_rows, columns=cols).fillna("—")
    st = st.reindex(index=order_rows, columns=cols)
    val.index = [names.get(i, i) for i in val.index]
    st.index = range(len(st))
    return val.rename_axis("ОО").reset_index(), st


def status_cell_class(status: pd.DataFrame):
    """A `display.table` cell_class callable colouring the matrix by target status."""
    from shnor_lib.report.display import STATUS_CLASSES

    def cls(col: str, _value: object, row: pd.Series) -> str | None:
        if status.empty or col not in status.columns:
            return None
        return STATUS_CLASSES.get(str(status.iloc[row.name][col]))

    return cls


def _ref_key(s: pd.Series) -> pd.Series:
    return s.astype(str).str.extract(r"(\d+)")[0].astype(float)


def heaping_table(res, year: int | None = None) -> pd.DataFrame:
    """Heaping at the «3» cut per school (all ВПР of the year pooled)."""
    h = _checks(res, "heaping_3")
    if h.empty:
        return pd.DataFrame()
    year = _year(res, year)
    pooled = h[(h["year"] == year) & h["grade"].isna()].copy()
    units = h[(h["year"] == year) & h["grade"].notna()]
    unit_flags = units.assign(f=_flag(units["flagged"])).groupby("school_id")["f"].sum()
    names = _names(res)
    out = pd.DataFrame(
        {
            "ОО": pooled["school_id"].map(lambda s: names.get(s, s)),
            "Результатов ВПР": pooled["participants"].astype("Int64"),
            "На пороге «3» и баллом ниже": pooled["n"].astype("Int64"),
            f"Доля на пороге [{ci_label(res.params.confidence)}]": [
                SMALL_N if pd.isna(v) else _share_ci(v, lo, hi)
                for v, lo, hi in zip(
                    pooled["statistic"], pooled["ci_low"], pooled["ci_high"], strict=True
                )
            ],
            "Признак скопления": [
                "не проверялось" if pd.isna(f) else ("да" if f else "нет")
                for f in pooled["flagged"].astype("boolean")
            ],
            "Классов × предметов с признаком": pooled["school_id"]
            .map(unit_flags)
            .fillna(0)
            .astype(int),
        }
    )
    return out.sort_values("ОО").reset_index(drop=True)


def heaping_note(res, year: int | None = None) -> str:
    """Which units could not be checked for heaping (unknown scales) and the rule."""
    h = _checks(res, "heaping_3")
    delta = float(res.params.objectivity.heaping_delta)
    rule = (
        "Признак: среди участников, набравших пороговый балл отметки «3» или на балл меньше, "
        "доля набравших ровно порог значимо больше "
        f"{fmt_number(100 * (0.5 + delta), 0)} % (нижняя граница {ci_label(res.params.confidence)} выше). При "
        "естественном распределении баллов эти две группы примерно равны. Признак показывается "
        "в отчёте и не служит основанием исключения."
    )
    if h.empty:
        return rule
    year = _year(res, year)
    units = h[(h["year"] == year) & h["grade"].notna()]
    unknown = units["reason"].astype(str).str.startswith("не оценивался")
    if unknown.any():
        which = (
            units[unknown][["grade", "subject"]].drop_duplicates().sort_values(["grade", "subject"])
        )
        listed = "; ".join(
            f"{int(g)} кл. — {s}" for g, s in zip(which["grade"], which["subject"], strict=True)
        )
        rule += (
            f" Не оценивался для {int(unknown.sum())} классов × предметов: шкала перевода "
            f"баллов неизвестна или не совпадает с данными ({listed})."
        )
    return rule


def models_table(res) -> pd.DataFrame:
    """The fitted variance components (methods appendix)."""
    m = _t(res, OBJECTIVITY_MODELS)
    if m.empty:
        return m
    checks = {
        "share_4_5": "Доля «4»–«5»",
        "mean_mark": "Средняя отметка",
        "school_share_4_5": "Доля «4»–«5» по всей ВПР ОО за год",
    }
    return pd.DataFrame(
        {
            "Проверка": m["check"].map(checks),
            "Ожидаемое значение": m["basis"],
            "Единиц": m["units"].astype(int),
            "Групп (год × класс × предмет; для ОО — ОО × год)": m["groups"].astype(int),
            "τ (разброс между ОО, не объяснённый моделью)": m["tau"].map(
                lambda x: fmt_number(x, 3)
            ),
            "κ (множитель выборочной дисперсии)": m["kappa"].map(lambda x: fmt_number(x, 2)),
            "Шкала": m["scale"],
            "Выявлено": m["flagged"].astype(int),
        }
    )


# ----------------------------------------------------------------------------- texts


def intro_text(res) -> str:
    obj = res.params.objectivity
    return (
        "ВПР проверяет и оценивает сама школа, поэтому её результаты могут быть завышены "
        "(мягкая проверка, подсказки). ОГЭ и ЕГЭ проверяют региональные комиссии: эти "
        "результаты служат независимыми данными. Для каждого класса × предмета ВПР доля "
        "отметок «4» и «5» сравнивается с долей, которую можно ожидать у этой школы по её "
        f"результатам ОГЭ и ЕГЭ за {years(res.params.window)} и по социальному составу обучающихся (устойчивая "
        "регрессия по всем школам муниципалитета того же года, класса и предмета). Результаты "
        f"признаются необъективными, если весь {percent_adjective(res.params.objectivity.unit_confidence, 'ный')} доверительный интервал превышения "
        f"лежит выше нуля и превышение не меньше {fmt_number(obj.min_excess, 0)} процентных "
        "пунктов. Интервал учитывает случайные колебания (чем меньше участников, тем он шире), "
        "погрешность ожидаемого значения и обычные различия между школами, которые модель не "
        "объясняет. Классы с числом участников меньше "
        f"{int(res.params.min_group_size)} не проверяются («недостаточно участников»). "
        "Решение о мягкой проверке обычно принимает школа для всей ВПР года, поэтому вторая "
        "проверка объединяет все классы и предметы ВПР школы за год: если всё превышение "
        "школы вместе (с учётом того, что и честные школы стабильно отличаются от ожидаемого) "
        f"выше нуля с уровнем доверия {percent_level(obj.school_confidence)} % и не меньше "
        f"{fmt_number(obj.min_excess, 0)} п.п., исключаются все результаты ВПР школы за этот "
        "год, включая малые классы."
    )


def plain_note(res) -> str:
    """What exclusion means for the school (plain language)."""
    rules = list(res.params.objectivity.exclusion_rule)
    basis = []
    if "excess" in rules:
        basis.append("выявленное завышение доли «4»–«5» в классе")
    if "school" in rules:
        basis.append("завышение доли «4»–«5» по всей ВПР школы за год (исключаются все её классы)")
    if "federal_list" in rules:
        basis.append("включение в перечень Рособрнадзора")
    extra = [r for r in rules if r not in ("excess", "school", "federal_list")]
    if extra:
        basis.append("другие признаки, указанные в параметрах")
    return (
        "Исключение означает, что результаты ВПР этой школы в данном классе и предмете за этот "
        "год не учитываются при расчёте индекса образовательных результатов (ИОР), индекса "
        "социального благополучия (ИСБ) и показателей результатов (доли справившихся с ВПР по "
        "всем предметам A11–A15, средние отметки ВПР C1-2): школа не выглядит сильнее, чем "
        "показывают независимые данные. Показатели подтверждения отметок журналом (A26–A36) "
        "считаются по всем данным: они сами проверяют объективность. Это статистический "
        "сигнал, а не доказательство нарушения: при уровне доверия "
        f"{percent_level(res.params.objectivity.unit_confidence)} % около "
        f"{number(50 * (1 - res.params.objectivity.unit_confidence))} % честно проверенных "
        "классов могут попасть в список случайно, поэтому "
        "исключение — повод для разговора со школой и перепроверки работ, а не для санкций. "
        f"ИОР школы рассчитывается по остальным компонентам. Школа, у которой за "
        f"{years(res.params.window)} "
        "исключены результаты, входящие в ИОР (ВПР 5–6 классов по русскому языку и математике), "
        "или класс попал в перечень Рособрнадзора, не признаётся школой-лидером; единичное "
        "исключение в других классах и предметах само по себе статуса лидера не снимает, "
        "потому что при десятках проверяемых классов случайный сигнал почти неизбежен. "
        "Основания исключения: " + "; ".join(basis) + "."
    )


def journal_text(res) -> str:
    t = res.params.objectivity.targets
    return (
        "Сравнение отметки за ВПР с отметкой в журнале: «понизили» — на ВПР ниже, "
        "«подтвердили» — равна, «повысили» — выше. Цели показателей: подтвердили не менее "
        f"{fmt_number(t.confirmed, 0)} %, повысили не менее {fmt_number(t.raised, 0)} %. "
        "В показателях по русскому языку и математике (A26, A28) «подтвердили» означает "
        "совпадение отметок, в показателях по остальным предметам (A30–A36) — «не ниже, чем в "
        "журнале» (подтвердили или повысили); в таблице указано, какой смысл использован. "
        "«Достигнут» — весь доверительный интервал не ниже цели, «не достигнут» — интервал ниже "
        "цели, «не определён» — интервал включает цель."
    )
