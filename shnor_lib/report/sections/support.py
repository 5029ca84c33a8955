"""Report views and figures: «Педагогические кадры», «Методическая помощь, МНЦ и МТКП»,
«Дорожная карта» (docs/methods.md M6, M7).

Presentation only: every number was computed by :mod:`shnor_lib.methods.teachers` and
:mod:`shnor_lib.methods.support` and published as tables — ``teachers_by_school``,
``teachers_distribution``, ``support``, ``roadmap_overdue`` and (optionally)
``support_notes``. Each function takes the report's ``Results`` (``res.tables``: the
published tables read back from CSV; ``res.params``) and returns a DataFrame for
``display.table``, a matplotlib Figure, or a ready display object (``*_chart``: the figure,
or a «нет данных» note). A missing table never raises: the section says «нет данных».

No teacher row exists in any of these tables; values from fewer than ``min_group_size``
teachers are already empty in them and shown as «н/д (мало участников)».
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from shnor_lib.fmt import fmt_number, fmt_percent
from shnor_lib.io import forms_spec
from shnor_lib.methods import support, teachers
from shnor_lib.report import display
from shnor_lib.report.display import SMALL_N
from shnor_lib.report.wording import ci_label, percent_adjective
from shnor_lib.tables import (
    ROADMAP_OVERDUE,
    SCHOOLS,
    SUPPORT,
    SUPPORT_NOTES,
    TEACHERS_BY_GROUP,
    TEACHERS_BY_SCHOOL,
    TEACHERS_DEFICITS,
    TEACHERS_DISTRIBUTION,
)

if TYPE_CHECKING:
    from shnor_lib.pipeline import Results

MISSING = "—"
NO_DATA = "нет данных"
MUNICIPALITY_ROW = "Все ОО муниципалитета"
LEVEL_COLORS = {"A": "#D55E00", "B": "#E69F00", "C": "#56B4E9", "D": "#009E73"}
BLOCK_COLORS = {"mnc": "#0072B2", "mtkp": "#009E73"}
SECTIONS = ("teachers", "support", "roadmap")


# ---------------------------------------------------------------------------- helpers


def _t(res: Results, name: str) -> pd.DataFrame:
    frame = res.tables.get(name) if hasattr(res, "tables") else None
    return frame if frame is not None else pd.DataFrame()


def _names(res: Results) -> dict[str, str]:
    s = _t(res, SCHOOLS)
    if s.empty or "school_name" not in s:
        return {}
    return dict(zip(s["school_id"].astype(str), s["school_name"], strict=True))


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _ci(value: Any, lo: Any, hi: Any, decimals: int = 1) -> str:
    if _missing(value):
        return MISSING
    return (
        f"{fmt_percent(value, decimals)} [{fmt_number(lo, decimals)}; {fmt_number(hi, decimals)}]"
    )


def _year(res: Results, frame: pd.DataFrame, year: int | None) -> int | None:
    if year is not None:
        return int(year)
    if frame.empty or "year" not in frame:
        return None
    years = sorted(int(y) for y in frame["year"].dropna().unique())
    wanted = int(res.params.year)
    return wanted if wanted in years else (years[-1] if years else None)


def _school_label(res: Results, sid: Any) -> str:
    if _missing(sid):
        return MUNICIPALITY_ROW
    return _names(res).get(str(sid), str(sid))


# ---------------------------------------------------------------------------- notes


def notes(res: Results, section: str) -> list[tuple[str, str, str]]:
    """(kind, title, text) notes of a section: the published ``support_notes`` table when
    there is one, else notes derived from the tables and params."""
    if section not in SECTIONS:
        raise ValueError(f"section must be one of {SECTIONS}")
    published = _t(res, SUPPORT_NOTES)
    if not published.empty and set(support.NOTES_COLUMNS) <= set(published.columns):
        sel = published[published["section"] == section]
        out = [
            (str(r.note_kind), display_title(str(r.note_kind)), str(r.note_ru))
            for r in sel.itertuples()
        ]
        if out:
            return out
    return _derived_notes(res, section)


def display_title(kind: str) -> str:
    return {"data": "Качество данных.", "warning": "Внимание."}.get(kind, "Примечание.")


def _derived_notes(res: Results, section: str) -> list[tuple[str, str, str]]:
    info = "info"
    if section == "teachers":
        if not teachers_available(res):
            return [(info, "Нет данных.", "Сведения о педагогических работниках не представлены.")]
        cuts = [float(c) for c in res.params.teachers.deficit_cuts]
        c1, c2, c3 = (fmt_number(c, 0 if float(c).is_integer() else 1) for c in cuts)
        return [
            (
                info,
                "Методика.",
                "Уровень дефицитов педагога — по среднему из имеющихся баллов экспертной и "
                f"тестовой оценки (0–100): A — менее {c1} (системные дефициты), B — не менее "
                f"{c1} и менее {c2} (локальные), C — не менее {c2} и менее {c3} "
                f"(несущественные), D — {c3} и более (дефицитов нет). Доли — с {percent_adjective(res.params.confidence, 'ным')} "
                "доверительным интервалом Уилсона; значения по менее чем "
                f"{res.params.min_group_size} педагогам не публикуются.",
            )
        ]
    sup = _t(res, SUPPORT)
    if section == "support":
        out = []
        blocks = set(sup["block"]) if not sup.empty else set()
        if not blocks & {"help", "mnc", "mtkp"}:
            return [(info, "Нет данных.", "Формы мониторинга методической помощи не представлены.")]
        for key in ("mnc", "mtkp"):
            if key in blocks:
                out += [
                    (info, "Диапазон баллов.", n)
                    for n in forms_spec.range_notes()
                    if n.startswith(forms_spec.load_forms()[key].short_ru + ",")
                ]
        return out
    rm = sup[sup["block"] == "roadmap"] if not sup.empty else sup
    if rm.empty:
        return [(info, "Нет данных.", "Дорожная карта не представлена.")]
    when = pd.Timestamp(str(rm["report_date"].dropna().iloc[0]))
    return [
        (
            info,
            "Методика.",
            f"Дата отчёта {when.strftime('%d.%m.%Y')}. Полнота — доля выполненных к дате "
            "отчёта мероприятий среди тех, срок которых наступил; своевременность — доля "
            "выполненных не позже срока среди выполненных.",
        )
    ]


# ---------------------------------------------------------------------------- teachers


def teachers_available(res: Results) -> bool:
    return not _t(res, TEACHERS_DISTRIBUTION).empty or not _t(res, TEACHERS_BY_SCHOOL).empty


def teachers_distribution(res: Results, year: int | None = None) -> pd.DataFrame:
    """A–D distribution by school (municipality first) for the reporting year."""
    d = _t(res, TEACHERS_DISTRIBUTION)
    year = _year(res, d, year)
    if d.empty or year is None:
        return pd.DataFrame()
    d = d[d["year"] == year].copy()
    d["_m"] = (d["level"] == "municipality").map({True: 0, False: 1})
    d["_name"] = [_school_label(res, s) for s in d["school_id"]]
    d = d.sort_values(["_m", "_name"])
    out = pd.DataFrame(
        {
            "ОО": d["_name"].to_numpy(),
            "Педагогов": d["n_teachers"].astype("Int64").to_numpy(),
            "С оценкой": d["n_assessed"].astype("Int64").to_numpy(),
        }
    )
    small = d["share_a"].isna() & (d["n_assessed"] > 0)
    for lv in ("a", "b", "c", "d"):
        out[lv.upper()] = [
            SMALL_N if s else (MISSING if _missing(n) else f"{int(n)} ({fmt_percent(p, 0)})")
            for s, n, p in zip(small, d[f"n_{lv}"], d[f"share_{lv}"], strict=True)
        ]
    out[f"A + B, % [{ci_label(res.params.confidence)}]"] = [
        SMALL_N if s else _ci(v, lo, hi)
        for s, v, lo, hi in zip(
            small, d["share_ab"], d["share_ab_ci_low"], d["share_ab_ci_high"], strict=True
        )
    ]
    return out


def teachers_levels_figure(res: Results, year: int | None = None):
    """Stacked bars: shares of A–D by school (published values only), municipality on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = _t(res, TEACHERS_DISTRIBUTION)
    year = _year(res, d, year)
    if d.empty or year is None:
        return None
    d = d[(d["year"] == year) & d["share_a"].notna()].copy()
    if d.empty:
        return None
    d["_m"] = (d["level"] == "municipality").astype(int)
    d["_name"] = [_school_label(res, s) for s in d["school_id"]]
    d = d.sort_values(["_m", "share_ab", "_name"], ascending=[True, True, False])
    fig, ax = plt.subplots(figsize=(7.5, max(2.6, 0.24 * len(d) + 1.3)))
    left = np.zeros(len(d))
    y = np.arange(len(d))
    for lv in ("A", "B", "C", "D"):
        vals = d[f"share_{lv.lower()}"].to_numpy(dtype=float)
        ax.barh(
            y,
            vals,
            left=left,
            color=LEVEL_COLORS[lv],
            label=f"{lv} — {teachers.LEVEL_LABELS[lv]}",
            height=0.72,
        )
        left += vals
    ax.set_yticks(y, d["_name"].tolist())
    for tick, is_muni in zip(ax.get_yticklabels(), d["_m"], strict=True):
        if is_muni:
            tick.set_fontweight("bold")
    ax.set_xlim(0, 100)
    ax.set_xlabel("Доля педагогов с оценкой, %")
    ax.set_title(f"Уровни профессиональных дефицитов педагогов, {year} г.")
    display.axis_format(ax, "x", decimals=0, percent=True)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 if len(d) > 8 else -0.25), ncol=2)
    return fig


def teachers_levels_chart(res: Results, year: int | None = None):
    fig = teachers_levels_figure(res, year)
    if fig is None:
        return display.note(
            "Нет данных для диаграммы: уровни дефицитов не рассчитаны или ни одна ОО не имеет "
            f"оценки не менее чем у {res.params.min_group_size} педагогов.",
            kind="info",
        )
    return display.figure(
        fig,
        alt="Горизонтальная диаграмма с накоплением: доли педагогов с уровнями дефицитов A, B, "
        "C и D в каждой ОО и в муниципалитете в целом",
    )


def teachers_shares(res: Results, year: int | None = None) -> pd.DataFrame:
    """Municipal shares (C2, A37–A40, A–D) with 95 % intervals: reporting and previous year."""
    b = _t(res, TEACHERS_BY_SCHOOL)
    year = _year(res, b, year)
    if b.empty or year is None:
        return pd.DataFrame()
    m = b[b["level"] == "municipality"]
    names = teachers.indicator_names()
    years = [y for y in (year - 1, year) if y in set(m["year"])]
    rows = []
    for ind in [*teachers.FLAG_SHARES, "teacher_deficit_ab_share"]:
        sel = m[m["indicator_id"] == ind].set_index("year")
        if sel.empty:
            continue
        row: dict[str, Any] = {"Показатель": names.get(ind, ind)}
        for y in years:
            if y in sel.index:
                r = sel.loc[y]
                row[f"{y}, % [{ci_label(res.params.confidence)}]"] = (
                    SMALL_N
                    if _missing(r["value"]) and r["n"] > 0
                    else _ci(r["value"], r["ci_low"], r["ci_high"])
                )
            else:
                row[f"{y}, % [{ci_label(res.params.confidence)}]"] = MISSING
        row[f"n ({year})"] = int(sel.loc[year, "n"]) if year in sel.index else pd.NA
        rows.append(row)
    out = pd.DataFrame(rows)
    by_group = teachers_shares_by_group(res, year)
    if out.empty or by_group.empty:
        return out
    # A37–A40 are shares of the teachers of ШНОР (C2: ШНОР and ШССУ): shown beside all teachers
    extra = [c for c in by_group.columns if c.startswith((teachers.SHNOR, "n (" + teachers.SHNOR))]
    extra = [c for c in extra if teachers.ALL_SCHOOLS not in c]
    renamed = {c: f"{c.split(',')[0]}, {year}, % [95 % ДИ]" for c in extra if "%" in c}
    merged = out.merge(by_group[["Показатель", *extra]], on="Показатель", how="outer", sort=False)
    # rows of one group only (tutor coverage of ШНОР): no value for all teachers
    merged[[c for c in out.columns if "%" in c]] = merged[
        [c for c in out.columns if "%" in c]
    ].fillna(MISSING)
    for c in [c for c in merged.columns if c.startswith("n (")]:
        merged[c] = merged[c].astype("Int64")
    return merged.rename(columns=renamed)


def teachers_shares_by_group(res: Results, year: int | None = None) -> pd.DataFrame:
    """The shares of the reporting year over the teachers of all schools, of ШНОР (A37–A40)
    and of ШНОР and ШССУ together (C2): «value [CI]» and n per group."""
    b = _t(res, TEACHERS_BY_GROUP)
    year = _year(res, b, year)
    if b.empty or year is None:
        return pd.DataFrame()
    cur = b[b["year"] == year]
    names = teachers.indicator_names()
    groups = [g for g in teachers.SHARE_GROUPS if g in set(cur["group"])]
    rows = []
    for ind in [*teachers.FLAG_SHARES, *teachers.EXTRA_SHARES, "teacher_deficit_ab_share"]:
        sel = cur[cur["indicator_id"] == ind].set_index("group")
        if sel.empty:
            continue
        row: dict[str, Any] = {"Показатель": names.get(ind, ind)}
        for g in groups:
            if g not in sel.index:
                row[f"{g}, % [95 % ДИ]"], row[f"n ({g})"] = MISSING, pd.NA
                continue
            r = sel.loc[g]
            small = _missing(r["value"]) and r["n"] > 0
            row[f"{g}, % [95 % ДИ]"] = (
                SMALL_N if small else _ci(r["value"], r["ci_low"], r["ci_high"])
            )
            row[f"n ({g})"] = int(r["n"])
        rows.append(row)
    return pd.DataFrame(rows)


def teachers_deficits(res: Results, year: int | None = None) -> pd.DataFrame:
    """Deficit levels A–D by school group × subject (the ДПП plan and the tutors need them),
    with the expert and test scores apart and their mean."""
    d = _t(res, TEACHERS_DEFICITS)
    year = _year(res, d, year)
    if d.empty or year is None:
        return pd.DataFrame()
    d = d[d["year"] == year]
    small = d["share_a"].isna() & (d["n_assessed"] > 0)

    def count(lv: str) -> list[str]:
        return [
            SMALL_N if s else (MISSING if _missing(n) else f"{int(n)} ({fmt_percent(p, 0)})")
            for s, n, p in zip(small, d[f"n_{lv}"], d[f"share_{lv}"], strict=True)
        ]

    def score(col: str) -> list[str]:
        return [MISSING if _missing(v) else fmt_number(v, 1) for v in d[col]]

    out = pd.DataFrame(
        {
            "Группа ОО": d["group"].to_numpy(),
            "Предмет": d["subject"].to_numpy(),
            "Педагогов": d["n_teachers"].astype("Int64").to_numpy(),
            "С оценкой": d["n_assessed"].astype("Int64").to_numpy(),
        }
    )
    for lv in ("a", "b", "c", "d"):
        out[lv.upper()] = count(lv)
    out["A + B, % [95 % ДИ]"] = [
        SMALL_N if s else _ci(v, lo, hi)
        for s, v, lo, hi in zip(
            small, d["share_ab"], d["share_ab_ci_low"], d["share_ab_ci_high"], strict=True
        )
    ]
    out["Экспертная оценка, средний балл"] = score("expert_mean")
    out["Тестовая оценка, средний балл"] = score("test_mean")
    out["Среднее двух оценок"] = score("score_mean")
    return out


SHORT_SHARES = {
    "teacher_diagnostics_share": "Диагностика (A37)",
    "teacher_pd_last_year_share": "КПК за год (C2.3)",
    "teacher_category_share": "Высшая/первая (C2.4)",
    "teacher_advanced_share": "Углублённый (C2.5)",
    "teacher_postcourse_support_share": "Посткурсовое (A38)",
    "teacher_network_share": "Сеть (A39)",
    "teacher_iom_share": "ИОМ (A40)",
}


def teachers_shares_by_school(res: Results, year: int | None = None) -> pd.DataFrame:
    """School × share matrix for the reporting year: «value [CI]» or «н/д (мало участников)»."""
    b = _t(res, TEACHERS_BY_SCHOOL)
    year = _year(res, b, year)
    if b.empty or year is None:
        return pd.DataFrame()
    s = b[(b["level"] == "school") & (b["year"] == year)]
    if s.empty:
        return pd.DataFrame()
    cells = s.assign(
        text=[
            SMALL_N if _missing(v) and n > 0 else _ci(v, lo, hi, 0)
            for v, lo, hi, n in zip(s["value"], s["ci_low"], s["ci_high"], s["n"], strict=True)
        ]
    )
    wide = cells.pivot_table(
        index="school_id", columns="indicator_id", values="text", aggfunc="first"
    )
    n = s[s["indicator_id"].isin(list(teachers.FLAG_SHARES))].groupby("school_id")["n"].max()
    cols = [c for c in SHORT_SHARES if c in wide.columns]
    out = pd.DataFrame(
        {
            "ОО": [_school_label(res, i) for i in wide.index],
            "Педагогов": n.reindex(wide.index).astype("Int64").to_numpy(),
        }
    )
    for c in cols:
        out[SHORT_SHARES[c]] = wide[c].fillna(MISSING).to_numpy()
    return out.sort_values("ОО").reset_index(drop=True)


# ---------------------------------------------------------------------------- support


def _support(res: Results, block: str, level: str = "municipality") -> pd.DataFrame:
    sup = _t(res, SUPPORT)
    if sup.empty or not {"block", "level"} <= set(sup.columns):
        return pd.DataFrame(columns=support.SUPPORT_COLUMNS)
    return sup[(sup["block"] == block) & (sup["level"] == level)]


def support_available(res: Results) -> bool:
    sup = _t(res, SUPPORT)
    return not sup.empty and bool(set(sup["block"]) & {"help", "mnc", "mtkp"})


def help_table(res: Results) -> pd.DataFrame:
    """Methodical help (13 items): presence 1/0 and counts, with the presence total."""
    h = _support(res, "help")
    if h.empty:
        return pd.DataFrame()
    units = {i.id: i.unit_ru for i in forms_spec.load_forms()["help"].items}
    rows = []
    for r in h.itertuples():
        if r.score_kind == "presence":
            value = "1 (есть)" if r.score == 1 else "0 (нет)"
        elif r.score_kind == "count":
            value = fmt_number(r.score, 0)
        else:
            value = f"{fmt_number(r.score, 0)} из {fmt_number(r.max_score, 0)} ({fmt_percent(r.share_of_max)})"
        rows.append(
            {
                "Параметр": r.name_ru,
                "Тип": (
                    "наличие (0/1)"
                    if r.score_kind == "presence"
                    else f"количество, {units.get(r.indicator_id) or 'ед.'}"
                    if r.score_kind == "count"
                    else "итого"
                ),
                "Значение": value,
            }
        )
    return pd.DataFrame(rows)


def scores_table(res: Results, block: str) -> pd.DataFrame:
    """МНЦ / МТКП: «средний балл по показателю» against its maximum, % of maximum, n."""
    s = _support(res, block)
    s = s[s["score_kind"].isin(["indicator", "total"])]
    if s.empty:
        return pd.DataFrame()
    rng = []
    for mx, seed in zip(s["max_score"], s["seed_max"], strict=True):
        text = f"0–{fmt_number(mx, 0)}"
        if not _missing(seed) and seed != mx:
            text += f" (в форме: 0–{fmt_number(seed, 0)})"
        rng.append(text)
    return pd.DataFrame(
        {
            "Показатель": [
                n if k == "indicator" else f"Итого: {n.lower()}"
                for n, k in zip(s["name_ru"], s["score_kind"], strict=True)
            ],
            "Средний балл": [fmt_number(v, 2) for v in s["score"]],
            "Диапазон": rng,
            "% от максимума": [fmt_percent(v) for v in s["share_of_max"]],
            "Оценено единиц": s["n"].astype("Int64").to_numpy(),
        }
    )


def subitems_table(res: Results, block: str) -> pd.DataFrame:
    """Sub-items of МНЦ / МТКП: share of assessed units scored «1»."""
    s = _support(res, block)
    s = s[s["score_kind"] == "sub_item"]
    if s.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "Подпункт": s["name_ru"].to_numpy(),
            "Доля единиц с «1», %": s["share_of_max"].to_numpy(dtype=float),
            "Оценено единиц": s["n"].astype("Int64").to_numpy(),
        }
    )


def support_coverage(res: Results) -> pd.DataFrame:
    """Assessed units per ОО (МНЦ, МТКП): who is covered by the forms."""
    sup = _t(res, SUPPORT)
    if sup.empty:
        return pd.DataFrame()
    s = sup[
        (sup["level"] == "school")
        & sup["block"].isin(["mnc", "mtkp"])
        & sup["score_kind"].eq("total")
    ]
    if s.empty:
        return pd.DataFrame()
    wide = s.pivot_table(index="school_id", columns="block", values="n", aggfunc="first")
    out = pd.DataFrame({"ОО": [_school_label(res, i) for i in wide.index]})
    for key, label in (("mnc", "МНЦ: оценено команд"), ("mtkp", "МТКП: оценено педагогов")):
        out[label] = wide[key].astype("Int64").to_numpy() if key in wide else pd.NA
    return out.sort_values("ОО").reset_index(drop=True)


def scores_figure(res: Results):
    """Compact chart: % of maximum per indicator 1–6, МНЦ and МТКП side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blocks = [b for b in forms_spec.SCORED_BLOCKS if not _support(res, b).empty]
    if not blocks:
        return None
    fig, axes = plt.subplots(
        1, len(blocks), figsize=(7.5 if len(blocks) == 2 else 5.2, 3.4), sharey=False, squeeze=False
    )
    for ax, key in zip(axes[0], blocks, strict=True):
        s = _support(res, key)
        s = s[s["score_kind"] == "indicator"].iloc[::-1]
        y = np.arange(len(s))
        vals = s["share_of_max"].to_numpy(dtype=float)
        ax.barh(y, vals, color=BLOCK_COLORS[key], height=0.65)
        ax.barh(y, 100 - vals, left=vals, color="#DDDDDD", height=0.65)
        for yi, v, sc, mx in zip(y, vals, s["score"], s["max_score"], strict=True):
            ax.text(
                1.5,
                yi,
                f"{fmt_number(sc, 1)} из {fmt_number(mx, 0)}",
                va="center",
                fontsize=8,
                color="white" if v >= 25 else "black",
            )
        labels = [str(n).split(".")[0] for n in s["name_ru"]]
        ax.set_yticks(y, [f"Показатель {lab}" for lab in labels])
        ax.set_xlim(0, 100)
        ax.set_title(forms_spec.load_forms()[key].short_ru + ": средний балл, % от максимума")
        display.axis_format(ax, "x", decimals=0, percent=True)
        ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def scores_chart(res: Results):
    fig = scores_figure(res)
    if fig is None:
        return display.note("Формы МНЦ и МТКП не представлены: нет данных для диаграммы.")
    return display.figure(
        fig,
        alt="Горизонтальные столбцы: средний балл по каждому показателю МНЦ и МТКП в процентах "
        "от максимума; подписи — средний балл и максимум",
    )


# ---------------------------------------------------------------------------- roadmap


ROADMAP_LABELS = {
    "roadmap_completeness": "Полнота: выполнено из мероприятий, срок которых наступил",
    "roadmap_timeliness": "Своевременность: выполнено в срок из выполненных",
    "roadmap_overdue": "Просрочено: срок истёк, не выполнено",
    "roadmap_done_late": "Выполнено с опозданием (из выполненных)",
    "roadmap_published": "Выполненные с материалами на сайте (ссылка)",
    "roadmap_not_yet_due": "Срок ещё не наступил (из всех мероприятий)",
}


def roadmap_available(res: Results) -> bool:
    return not _support(res, "roadmap").empty


def roadmap_table(res: Results) -> pd.DataFrame:
    """Completeness, timeliness, overdue (counts and shares) at the report date."""
    r = _support(res, "roadmap")
    if r.empty:
        return pd.DataFrame()
    r = r.set_index("indicator_id")
    rows = []
    for ind, label in ROADMAP_LABELS.items():
        if ind not in r.index:
            continue
        x = r.loc[ind]
        rows.append(
            {
                "Показатель": label,
                "Мероприятий": int(x["score"]),
                "Из": int(x["max_score"]),
                "Доля": fmt_percent(x["share_of_max"]),
            }
        )
    return pd.DataFrame(rows)


def roadmap_report_date(res: Results) -> str:
    r = _support(res, "roadmap")
    if r.empty or r["report_date"].dropna().empty:
        return MISSING
    return pd.Timestamp(str(r["report_date"].dropna().iloc[0])).strftime("%d.%m.%Y")


def _late(res: Results, status: str) -> pd.DataFrame:
    o = _t(res, ROADMAP_OVERDUE)
    if o.empty:
        return pd.DataFrame()
    return o[o["status"] == status]


def _date(v: Any) -> str:
    if _missing(v):
        return MISSING
    return pd.Timestamp(str(v)).strftime("%d.%m.%Y")


def roadmap_overdue(res: Results) -> pd.DataFrame:
    """Events whose due date has passed and which are not done by the report date."""
    o = _late(res, support.STATUS_OVERDUE)
    if o.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "№": o["event_id"].astype(str).to_numpy(),
            "Мероприятие": o["title"].to_numpy(),
            "Уровень": o["level"].fillna(MISSING).to_numpy(),
            "Ответственный": o["responsible"].fillna(MISSING).to_numpy(),
            "Срок": [_date(v) for v in o["due"]],
            "Просрочено, дней": o["days_late"].astype("Int64").to_numpy(),
        }
    )


def roadmap_done_late(res: Results) -> pd.DataFrame:
    """Events done after their due date."""
    o = _late(res, support.STATUS_LATE)
    if o.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "№": o["event_id"].astype(str).to_numpy(),
            "Мероприятие": o["title"].to_numpy(),
            "Ответственный": o["responsible"].fillna(MISSING).to_numpy(),
            "Срок": [_date(v) for v in o["due"]],
            "Выполнено": [_date(v) for v in o["done"]],
            "Опоздание, дней": o["days_late"].astype("Int64").to_numpy(),
        }
    )
