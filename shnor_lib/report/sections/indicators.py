"""Report section «Образовательные результаты»: the indicator table and matrix, the
target statuses and how to read them.
"""

from __future__ import annotations

import pandas as pd

from shnor_lib.fmt import fmt_number, fmt_percent
from shnor_lib.io import reference
from shnor_lib.methods import indicators
from shnor_lib.pipeline import Results
from shnor_lib.report.sections.common import (
    SMALL,
    _change_ci,
    _value_ci,
    indicator_names,
    school_names,
)
from shnor_lib.report.wording import ci_label, percent_adjective
from shnor_lib.tables import (
    INDICATORS,
)


def _is_mean(ids: pd.Series) -> pd.Series:
    return ids.str.startswith("c1_")


def indicator_table(
    res: Results,
    *,
    level: str = "municipality",
    school_id: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Indicators of one unit and year: value with CI, n, change with CI, statuses."""
    year = year or res.params.year
    ind = res.tables[INDICATORS]
    sel = ind[(ind["level"] == level) & (ind["year"] == year)]
    if school_id is not None:
        sel = sel[sel["school_id"] == school_id]
    names = indicator_names()
    mean = _is_mean(sel["indicator_id"])
    small = sel["target_status"] == SMALL
    value = [
        SMALL
        if s
        else (
            f"{fmt_number(v, 0)} обращ."
            if c and pd.notna(v)
            else _value_ci(v, lo, hi, "" if m else "%")
        )
        for s, m, c, v, lo, hi in zip(
            small,
            mean,
            sel["indicator_id"].isin(indicators.COUNT_INDICATORS),
            sel["value"],
            sel["ci_low"],
            sel["ci_high"],
            strict=True,
        )
    ]
    change = [
        SMALL if s else _change_ci(c, lo, hi, "балла" if m else "п.п.")
        for s, m, c, lo, hi in zip(
            small, mean, sel["change"], sel["change_ci_low"], sel["change_ci_high"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "Показатель": sel["indicator_id"].map(names).fillna(sel["indicator_id"]),
            f"Значение [{ci_label(res.params.confidence)}]": value,
            "n": sel["n"].astype("Int64"),
            f"Динамика к прошлому году [{ci_label(res.params.confidence)}]": change,
            "Статус динамики": sel["change_status"].fillna("нет данных"),
            "Цель": sel["target"].fillna(""),
            "Статус цели": sel["target_status"].fillna("нет данных"),
            "Подтверждение интервалом": _confirmed(sel),
        }
    ).reset_index(drop=True)


def target_rule_note(res: Results) -> str:
    """How the «Статус цели» and «Подтверждение интервалом» columns read (the sentence under
    the indicator tables; the rule is in docs/methods_choices.md)."""
    level = percent_adjective(res.params.confidence, "ный")
    return (
        "«Статус цели» — вердикт по фактическому значению: «достигнут», если значение не ниже "
        "цели (цель 100 % — когда охвачены все), а для цели «положительная динамика» — если "
        "значение выросло к прошлому году; иначе «не достигнут». «Подтверждение интервалом» "
        f"показывает, подтверждает ли этот вердикт {level} доверительный интервал (весь "
        "интервал по ту же сторону от цели или от нуля); «не подтверждено» — значение близко "
        "к границе, и при выборочных данных вердикт мог бы быть другим."
    )


def _confirmed(sel: pd.DataFrame) -> pd.Series:
    """Whether the interval confirms the target verdict («» for tables computed before the
    column existed)."""
    if "target_confirmed" not in sel:
        return pd.Series("", index=sel.index)
    return sel["target_confirmed"].fillna("").replace(SMALL, "")


KEY_SCHOOL_INDICATORS = (
    "vpr5_passed_all_share",
    "vpr6_passed_all_share",
    "vpr7_passed_all_share",
    "vpr_confirm_rus_share",
    "vpr_confirm_math_share",
    "ooo_certificate_share",
    "ege_80_100_share",
)


def indicator_matrix(
    res: Results, ids: tuple[str, ...] = KEY_SCHOOL_INDICATORS, year: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """School × indicator values (strings) and the matching target statuses (for colour)."""
    year = year or res.params.year
    ind = res.tables[INDICATORS]
    sel = ind[(ind["level"] == "school") & (ind["year"] == year) & ind["indicator_id"].isin(ids)]
    ids = tuple(i for i in ids if i in set(sel["indicator_id"]))
    sel = sel.assign(
        text=[
            SMALL if s == SMALL else (fmt_percent(v) if pd.notna(v) else "—")
            for s, v in zip(sel["target_status"], sel["value"], strict=True)
        ]
    )
    names = school_names(res)
    val = sel.pivot_table(index="school_id", columns="indicator_id", values="text", aggfunc="first")
    st = sel.pivot_table(
        index="school_id", columns="indicator_id", values="target_status", aggfunc="first"
    )
    refs = reference.load_indicator_catalog().set_index("indicator_id")["ref"]
    val = val.reindex(columns=list(ids)).fillna("—")
    st = st.reindex(index=val.index, columns=list(ids))
    val.index = val.index.map(lambda s: names.get(s, s))
    st.index = val.index
    rename = {i: f"{refs.get(i, i)}" for i in ids}
    return val.rename(columns=rename).rename_axis("ОО").reset_index(), st.rename(columns=rename)


def status_cell_class(status: pd.DataFrame):
    """A `display.table` cell_class callable colouring matrix cells by their target status."""
    from shnor_lib.report.display import STATUS_CLASSES

    def cls(col: str, _value: object, row: pd.Series) -> str | None:
        if col not in status.columns:
            return None
        return STATUS_CLASSES.get(str(status.iloc[row.name][col]))

    return cls
