"""Report views for «Дефициты по заданиям» (methods/tasks.py) and for ВПР given only as
ФИС ОКО statistics (methods/vpr_counts.py).

Presentation only: the numbers come from the published tables ``task_results``,
``task_deficits`` and ``vpr_stats_shares``; a notebook cell calls one function here. Notes are
returned as (kind, title, text) triples for :func:`shnor_lib.report.display.notes` (nothing shown
when the list is empty).
"""

from __future__ import annotations

import pandas as pd

from shnor_lib.methods.tasks import LEVEL_MUNI
from shnor_lib.methods.vpr_counts import NEED_F1
from shnor_lib.report import wording
from shnor_lib.report.display import suppress_small

AGGREGATED = ("vpr_stats", "vpr_journal_stats")


def _t(res, name: str) -> pd.DataFrame:
    frame = (getattr(res, "tables", {}) or {}).get(name)
    return frame.copy() if frame is not None else pd.DataFrame()


def _names(res) -> dict[str, str]:
    s = _t(res, "schools")
    if s.empty or "school_name" not in s:
        return {}
    return dict(zip(s["school_id"].astype(str), s["school_name"], strict=True))


def _source_tables(res) -> set[str]:
    return {s.get("table") for s in (getattr(res, "manifest", {}) or {}).get("sources", [])}


def aggregated_only(res) -> bool:
    """ВПР came as ФИС ОКО statistics only: no pupil rows (Ф1, forms or a contract file)."""
    found = _source_tables(res)
    return "vpr" not in found and bool(found & set(AGGREGATED))


def pupil_rows_notes(res, what: str = "") -> list[tuple[str, str, str]]:
    """The «нужны индивидуальные результаты (Ф1)» note of a section (empty when pupil rows
    exist). ``what``: what the section cannot show without them."""
    if not aggregated_only(res):
        return []
    text = (
        f"{what + ': ' if what else ''}ВПР представлены только сводной статистикой ФИС ОКО "
        "(«Статистика по отметкам», «Сравнение отметок с отметками по журналу»). Эти расчёты "
        "требуют результатов каждого обучающегося. Добавьте в папку исходных данных файлы "
        "ФИС ОКО «Индивидуальные результаты» (Ф1) или формы сбора результатов — как "
        "выгружены — и повторите расчёт."
    )
    return [("warning", NEED_F1[0].upper() + NEED_F1[1:] + ".", text)]


def vpr_stats_table(res) -> pd.DataFrame:
    """Shares of «2» and «4»–«5» per school × grade × subject of the reporting year (counts
    rebuilt from the percent of «Статистика по отметкам»)."""
    t = _t(res, "vpr_stats_shares")
    if t.empty:
        return pd.DataFrame()
    t = t[t["year"] == res.params.year]
    names = _names(res)
    school = t["school_id"].astype(str).map(names).fillna(t["school_id"].astype(str))
    out = pd.DataFrame(
        {
            "ОО": school.where(t["level"] != LEVEL_MUNI, "Муниципалитет"),
            "Класс": t["grade"],
            "Предмет": t["subject"],
            "n": t["n"],
            "Доля «2», %": t["share_2"],
            "ДИ «2»": _ci(t, "share_2"),
            "Доля «4»–«5», %": t["share_4_5"],
            "ДИ «4»–«5»": _ci(t, "share_4_5"),
            "Средняя отметка": t["mean_mark"],
            "Числа точные": t["exact"].map({True: "да", False: "приблизительно"}),
        }
    ).reset_index(drop=True)
    values = ["Доля «2», %", "ДИ «2»", "Доля «4»–«5», %", "ДИ «4»–«5»", "Средняя отметка"]
    return suppress_small(out, "n", values, int(res.params.min_group_size))


def _ci(t: pd.DataFrame, name: str) -> pd.Series:
    lo, hi = t[f"{name}_ci_low"], t[f"{name}_ci_high"]
    text = (
        lo.map(lambda v: f"{v:.1f}".replace(".", ","))
        + "–"
        + hi.map(lambda v: f"{v:.1f}".replace(".", ","))
    )
    return text.where(lo.notna(), "")


def tasks_intro(res) -> str:
    p = res.params
    gap = float(p.tasks.deficit_gap)
    return (
        "Для каждого задания ВПР — доля от максимального балла за задание (в среднем по "
        "обучающимся) в ОО и в муниципалитете с "
        f"{wording.percent_adjective(p.confidence, 'ным')} доверительным интервалом. Дефицит — "
        f"задание, по которому результат не менее чем на {gap:g} п.п. ниже ориентира и "
        "отставание статистически значимо: для ОО ориентир — остальные ОО муниципалитета по "
        "тому же заданию, для муниципалитета — регион (если задан) или остальные задания той "
        f"же работы. Группы менее {p.min_group_size} обучающихся не оцениваются."
    )


def deficits_table(res) -> pd.DataFrame:
    """«Дефициты по заданиям»: the municipality's and the schools' deficit tasks."""
    d = _t(res, "task_deficits")
    if d.empty:
        return pd.DataFrame()
    names = _names(res)
    school = d["school_id"].astype(str).map(names).fillna(d["school_id"].astype(str))
    return pd.DataFrame(
        {
            "ОО": school.where(d["level"] != LEVEL_MUNI, "Муниципалитет"),
            "Класс": d["grade"],
            "Предмет": d["subject"],
            "Задание": d["task"],
            "Уровень": d.get("task_level", ""),
            "Макс. балл": d["max_task_score"],
            "n": d["n"],
            "% от максимума": d["share"],
            "ДИ": _ci(d.rename(columns={"ci_low": "x_ci_low", "ci_high": "x_ci_high"}), "x"),
            "Ориентир, %": d["reference"],
            "Ориентир": d["reference_kind"],
            "Отставание, п.п.": d["gap"],
        }
    ).reset_index(drop=True)


def deficits_summary(res) -> pd.DataFrame:
    """How many tasks were assessed and how many are deficits, per grade × subject."""
    r = _t(res, "task_results")
    if r.empty:
        return pd.DataFrame()
    r = r[r["share"].notna()]
    g = r.groupby(["grade", "subject", "level"], sort=True)
    out = g.agg(tasks=("task", "nunique"), cells=("task", "size"), deficits=("deficit", "sum"))
    out = out.reset_index()
    return pd.DataFrame(
        {
            "Класс": out["grade"],
            "Предмет": out["subject"],
            "Уровень": out["level"],
            "Заданий": out["tasks"],
            "Оценено (ОО × задание)": out["cells"],
            "Дефицитов": out["deficits"].astype(int),
        }
    )
