"""The report's opening: schools overview, key numbers, the summary and the target
statuses in short."""

from __future__ import annotations

import pandas as pd

from shnor_lib.methods import indicators, objectivity
from shnor_lib.pipeline import Results
from shnor_lib.report.sections.common import _yesno, indicator_names
from shnor_lib.report.sections.indicators import _confirmed
from shnor_lib.report.wording import years
from shnor_lib.tables import (
    INDICATORS,
    OBJECTIVITY_EXCLUSIONS,
    SCHOOLS,
)


# ---------------------------------------------------------------------------- schools
def schools_overview(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    return pd.DataFrame(
        {
            "ОО": s["school_name"],
            "Тип": s.get("school_type"),
            "Местность": s.get("locality"),
            "Малокомплектная": s.get("is_small", pd.Series(dtype=object)).map(_yesno),
            "Обучающихся": s.get("students_total"),
            "Удалённость, км": s.get("distance_km"),
        }
    )


def key_numbers(res: Results) -> dict[str, object]:
    s = res.tables[SCHOOLS]

    def flag(col: str) -> pd.Series:  # an all-empty column (a stage without data) reads as float
        if col not in s:
            return pd.Series(False, index=s.index)
        return s[col].astype("boolean").fillna(False).astype(bool)

    def count(col: str) -> int:
        return int(flag(col).sum())

    out: dict[str, object] = {
        "ОО": len(s),
        "ОО с ИОР": int(s["results_index"].notna().sum()),
        "ШНОР": count("low_results"),
        "ШССУ": count("hard_context"),
        "ШНОР и ШССУ": int((flag("low_results") & flag("hard_context")).sum()),
        "Школы-лидеры": count("leader"),
    }
    ex_table = res.tables.get(OBJECTIVITY_EXCLUSIONS)
    if ex_table is not None:
        counts = objectivity.exclusion_counts(ex_table, objectivity.exclusion_window(res.params))
        out[f"Исключено единиц ВПР за {years(res.params.window)}"] = counts.units
    return out


def _names(s: pd.DataFrame, mask: pd.Series, limit: int = 12) -> str:
    names = s.loc[mask.astype("boolean").fillna(False).astype(bool), "school_name"].tolist()
    if len(names) > limit:
        return "; ".join(names[:limit]) + f" и ещё {len(names) - limit}"
    return "; ".join(names) if names else "—"


def summary(res: Results) -> pd.DataFrame:
    """Краткие выводы: every group of schools with its count and names, on one screen."""
    s = res.tables[SCHOOLS]

    def col(name: str) -> pd.Series:
        if name not in s:
            return pd.Series(False, index=s.index)
        return s[name].astype("boolean").fillna(False).astype(bool)  # no object downcast

    groups = [
        ("ШНОР (низкие образовательные результаты)", col("low_results")),
        ("ШССУ (сложные социальные условия)", col("hard_context")),
        (
            "ШНОР и ШССУ одновременно — приоритет адресной помощи",
            col("low_results") & col("hard_context"),
        ),
        ("Группа риска (признак Рособрнадзора по минимальным баллам)", col("risk_group")),
        ("Школы-лидеры", col("leader")),
        (
            "Резильентные (результаты выше ожидаемых при неблагоприятных условиях)",
            col("resilient_contextual"),
        ),
        ("Резильентные в строгом смысле (ИСБ в 1-м и ИОР в 4-м квартиле)", col("resilient_strict")),
    ]
    ex_table = res.tables.get(OBJECTIVITY_EXCLUSIONS)
    if ex_table is not None:
        window = objectivity.exclusion_window(res.params)
        counts = objectivity.exclusion_counts(ex_table, window)
        ex = objectivity.exclusions_in_window(ex_table, window)
        groups.append(
            (
                "ОО с исключёнными результатами (необъективность) за "
                f"{counts.window_text()}, единиц: {counts.units}",
                s["school_id"].astype(str).isin(set(ex["school_id"])),
            )
        )
    return pd.DataFrame(
        {
            "Группа": [g for g, _ in groups],
            "Число ОО": [int(m.sum()) for _, m in groups],
            "ОО": [_names(s, m) for _, m in groups],
        }
    )


def targets_summary(res: Results) -> pd.DataFrame:
    """Municipal indicators of the reporting year by target status."""
    ind = res.tables[INDICATORS]
    cur = ind[(ind["level"] == "municipality") & (ind["year"] == res.params.year)]
    names = indicator_names()
    order = ["достигнут", "не достигнут", "не определён", "нет данных", "цель не установлена"]
    confirmed = _confirmed(cur) == indicators.CONFIRMED
    rows = []
    for status in order:
        is_status = cur["target_status"] == status
        ids = cur.loc[is_status, "indicator_id"]
        shown = [indicators.C1_SHORT.get(i) or names.get(i, i).split(". ", 1)[0] for i in ids]
        if status not in order[:2] and ids.empty:
            continue  # only the statuses that occur, besides met / not met
        n_conf = int((is_status & confirmed).sum()) if status in order[:2] else None
        rows.append((status, len(ids), n_conf, ", ".join(shown) if shown else "—"))
    out = pd.DataFrame(
        rows,
        columns=[
            "Статус цели",
            "Показателей",
            "Из них подтверждено интервалом",
            "Показатели (номера)",
        ],
    )
    out["Из них подтверждено интервалом"] = out["Из них подтверждено интервалом"].astype("Int64")
    return out
