"""What ВПР counts allow when pupil rows are missing (ФИС ОКО «Статистика по отметкам»), and
the stage that adds the ВПР-statistics and task tables to `shnor compute`.

``mark_shares``: per school × year × grade × subject and for the municipality, the shares of
«2» and of «4»–«5» with Wilson intervals and the mean mark, from the counts n2…n5. Pupils are
independent draws for a school's share; the municipal share pools the schools' counts, as the
municipal indicators of M1 do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor_lib.io import schema
from shnor_lib.methods import tasks
from shnor_lib.methods.stats import wilson_ci

UNIT = ["year", "grade", "subject"]
SHARE_COLUMNS = [
    "year",
    "grade",
    "subject",
    "level",
    "school_id",
    "n",
    "exact",
    "share_2",
    "share_2_ci_low",
    "share_2_ci_high",
    "share_4_5",
    "share_4_5_ci_low",
    "share_4_5_ci_high",
    "mean_mark",
]
NEED_F1 = "нужны индивидуальные результаты (Ф1)"


def mark_shares(stats: pd.DataFrame, *, confidence: float, min_n: int) -> pd.DataFrame:
    """vpr_stats_shares.csv: shares of «2» and «4»–«5» (in %, Wilson) and the mean mark."""
    if stats is None or stats.empty:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    s = stats.assign(
        school_id=stats["school_id"].astype(str),
        exact=stats["exact"].fillna(1).astype(bool) if "exact" in stats else True,
    )
    cnt = ["n2", "n3", "n4", "n5"]
    school = s[[*UNIT, "school_id", *cnt, "exact"]].assign(level=tasks.LEVEL_SCHOOL)
    muni = (
        s.groupby(UNIT, sort=True)
        .agg(**{c: (c, "sum") for c in cnt}, exact=("exact", "all"))
        .reset_index()
        .assign(level=tasks.LEVEL_MUNI, school_id=pd.NA)
    )
    out = pd.concat([muni, school], ignore_index=True)
    c = {m: out[f"n{m}"].to_numpy(float) for m in (2, 3, 4, 5)}
    n = c[2] + c[3] + c[4] + c[5]
    out["n"] = n.astype("int64")
    for name, k in (("share_2", c[2]), ("share_4_5", c[4] + c[5])):
        lo, hi = wilson_ci(k, n, confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = 100 * k / n
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = 100 * lo, 100 * hi
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_mark"] = (2 * c[2] + 3 * c[3] + 4 * c[4] + 5 * c[5]) / n
    small = out["n"] < min_n
    out.loc[small, [col for col in SHARE_COLUMNS if col.startswith(("share", "mean"))]] = np.nan
    out = out.assign(_lvl=(out["level"] == tasks.LEVEL_SCHOOL).astype(int))
    out = out.sort_values([*UNIT, "_lvl", "school_id"], na_position="first")
    return out[SHARE_COLUMNS].reset_index(drop=True)


def pupil_rows_missing(data: dict[str, pd.DataFrame], year: int) -> list[str]:
    """The message when ВПР of the reporting year comes only as aggregated statistics."""
    vpr = data.get("vpr")
    has_pupils = vpr is not None and (vpr["year"] == year).any()
    has_counts = any(
        data.get(name) is not None and (data[name]["year"] == year).any()
        for name in schema.VPR_AGGREGATED
    )
    if has_pupils or not has_counts:
        return []
    return [
        f"ВПР {year} г. представлены только сводной статистикой ФИС ОКО («Статистика по "
        "отметкам», «Сравнение отметок с отметками по журналу»): рассчитаны доли отметок с "
        "интервалами, подтверждение отметок журналом и проверка превышения доли «4»–«5» по "
        "ОО × класс × предмет. Не рассчитаны (" + NEED_F1 + "): скопление баллов на пороге "
        "«3», средняя отметка ВПР в ИОР, показатели ВПР по обучающимся и дефициты по заданиям. "
        "Чтобы получить их, положите в data/raw/<муниципалитет>/ файлы ФИС ОКО "
        "«Индивидуальные результаты» (Ф1, по одному на ОО × предмет × класс) или формы сбора "
        "результатов — как выгружены, без правок."
    ]


def stage(data: dict[str, pd.DataFrame], params) -> dict[str, pd.DataFrame]:
    """The tables of this module and of methods.tasks for `shnor compute` (the message of
    :func:`pupil_rows_missing` is given by ingest, so `shnor validate` says it too)."""
    conf, min_n = float(params.confidence), int(params.min_group_size)
    out: dict[str, pd.DataFrame] = {}
    stats = data.get("vpr_stats")
    if stats is not None and not stats.empty:
        out["vpr_stats_shares"] = mark_shares(
            stats[stats["year"] <= params.year], confidence=conf, min_n=min_n
        )
    scores = data.get("vpr_tasks")
    if scores is not None and not scores.empty:
        cur = scores[scores["year"] == params.year]
        res = tasks.task_results(
            cur,
            confidence=conf,
            min_n=min_n,
            gap=float(params.tasks.deficit_gap),
            deficit_confidence=float(params.tasks.deficit_confidence),
        )
        out["task_results"] = res
        out["task_deficits"] = tasks.task_deficits(res)
    return out
