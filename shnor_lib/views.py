"""Report views: computed tables reshaped for reading (Russian headers, formatted values).

Presentation only: every number here was computed by the method modules and written to
`outputs/<m>/<year>/tables/`. A notebook cell calls one view and shows it with
`display.table`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import indicators, publish, results_index
from .display import fmt_number, fmt_percent
from .notes import select
from .pipeline import Results
from .tables import (
    INDICATORS,
    MIN_SCORES_WINDOW,
    OBJECTIVITY,
    PARTICIPANTS,
    RESULTS_INDEX,
    SCHOOLS,
)
from .wording import ci_label, percent_adjective, years

SMALL = publish.SMALL_CELL


def indicator_names() -> dict[str, str]:
    cat = indicators.load_catalog()
    names = {r.indicator_id: f"{r.ref}. {r.name_ru}" for r in cat.itertuples()}
    names.update({k: f"C1. {v}" for k, v in indicators.C1_LABELS.items()})
    return names


def school_names(res: Results) -> dict[str, str]:
    s = res.tables[SCHOOLS]
    return dict(zip(s["school_id"], s["school_name"], strict=True))


def _yesno(v: object) -> str:
    if v is True:
        return "да"
    if v is False:
        return "нет"
    return "—"


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


def schools_by_type(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    # «Тип ОО» is optional in the contract: schools without it are counted as «не указан»
    kind = s["school_type"] if "school_type" in s else pd.Series(pd.NA, index=s.index)
    s = s.assign(school_type=kind.astype(object).where(kind.notna(), "не указан"))
    g = s.groupby(["school_type", "locality"], dropna=False).size().unstack(fill_value=0)
    g.index.name = "Тип ОО"
    g.columns.name = None
    g["Всего"] = g.sum(axis=1)
    return g.reset_index()


def participants_pivot(res: Results) -> pd.DataFrame:
    p = res.tables[PARTICIPANTS]
    wide = p.pivot_table(
        index=["procedure", "grade", "subject"],
        columns="year",
        values="participants",
        aggfunc="sum",
    ).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    return wide.rename(columns={"procedure": "Процедура", "grade": "Класс", "subject": "Предмет"})


def data_warnings(res: Results) -> list[str]:
    """The run's data-quality warnings not shown with a table of their own (ingest, ГИА,
    forms), in stage order."""
    return [n.text_ru for n in select(res.notes, level="warning", table=None)]


def input_files(res: Results) -> pd.DataFrame:
    src = pd.DataFrame(res.manifest.get("sources", []))
    if src.empty:
        return src
    return pd.DataFrame(
        {
            "Таблица": src["table"],
            "Файл": src["file"],
            "Строк": src["rows"],
            "SHA-256": src["sha256"],
        }
    )


# ---------------------------------------------------------------------------- indicators


def _value_ci(value, lo, hi, unit: str = "%") -> str:
    if pd.isna(value):
        return "—"
    if unit == "%":
        return f"{fmt_percent(value)} [{fmt_number(lo)}; {fmt_number(hi)}]"
    return f"{fmt_number(value, 2)} [{fmt_number(lo, 2)}; {fmt_number(hi, 2)}]"


def _change_ci(change, lo, hi, unit: str = "п.п.") -> str:
    if pd.isna(change):
        return "—"
    d = 1 if unit == "п.п." else 2
    sign = "+" if change > 0 else ""
    return f"{sign}{fmt_number(change, d)} {unit} [{fmt_number(lo, d)}; {fmt_number(hi, d)}]"


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
    refs = indicators.load_catalog().set_index("indicator_id")["ref"]
    val = val.reindex(columns=list(ids)).fillna("—")
    st = st.reindex(index=val.index, columns=list(ids))
    val.index = val.index.map(lambda s: names.get(s, s))
    st.index = val.index
    rename = {i: f"{refs.get(i, i)}" for i in ids}
    return val.rename(columns=rename).rename_axis("ОО").reset_index(), st.rename(columns=rename)


def status_cell_class(status: pd.DataFrame):
    """A `display.table` cell_class callable colouring matrix cells by their target status."""
    from .display import STATUS_CLASSES

    def cls(col: str, _value: object, row: pd.Series) -> str | None:
        if col not in status.columns:
            return None
        return STATUS_CLASSES.get(str(status.iloc[row.name][col]))

    return cls


# ---------------------------------------------------------------------------- ИОР


def results_ranking(res: Results) -> pd.DataFrame:
    """Reporting-year ИОР ranking with quartile class and scaled components."""
    idx = res.tables[RESULTS_INDEX]
    cur = idx[(idx["year"] == res.params.year) & idx["results_index"].notna()]
    cur = cur.sort_values(["results_index", "school_id"], ascending=[False, True])
    names = school_names(res)
    out = pd.DataFrame(
        {
            "Место": np.arange(1, len(cur) + 1),
            "ОО": cur["school_id"].map(names),
            "ИОР": cur["results_index"],
            "Уровень": cur["results_level"],
        }
    )
    for comp, label in results_index.COMPONENT_SHORT.items():
        col = f"{comp}_scaled"
        if col in cur:
            out[label] = cur[col].to_numpy()
    return out.reset_index(drop=True)


def components_raw(res: Results) -> pd.DataFrame:
    """Reporting-year raw component values (before scaling) per school."""
    idx = res.tables[RESULTS_INDEX]
    cur = idx[idx["year"] == res.params.year].copy()
    names = school_names(res)
    out = pd.DataFrame({"ОО": cur["school_id"].map(names)})
    units = {
        "gia_below_min": " (%)",
        "ege_mean": " (балл)",
        "oge_mean_mark": "",
        "vpr_mean_mark": "",
        "vpr4_mean_mark": "",
    }
    for comp, label in results_index.COMPONENT_LABELS.items():
        col = f"{comp}_value"
        if col in cur:  # the gia window is the params' window, not the label's default
            label = label.replace("за 3 года", f"за {years(res.params.window)}")
            out[label + units[comp]] = cur[col].to_numpy()
    out["Доля веса компонентов"] = cur["weight_share"].to_numpy()
    return out.sort_values("ОО").reset_index(drop=True)


def no_index_list(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    sel = s[s["results_index"].isna()]
    return pd.DataFrame(
        {
            "ОО": sel["school_name"],
            "Тип": sel.get("school_type"),
            "Причина": sel.get("no_index_reason"),
        }
    ).reset_index(drop=True)


def low_results_list(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    sel = s[s["low_results"].astype("boolean").fillna(False).astype(bool)].sort_values(
        "results_index"
    )
    return pd.DataFrame(
        {
            "ОО": sel["school_name"],
            "ИОР": sel["results_index"],
            "Почему в списке ШНОР": sel["low_results_reason"],
            "Группа риска (М2)": sel["risk_group"].map(_yesno),
        }
    ).reset_index(drop=True)


def risk_group_list(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    sel = s[s["risk_group"].astype("boolean").fillna(False).astype(bool)]
    return pd.DataFrame(
        {
            "ОО": sel["school_name"],
            "ШНОР": sel["low_results"].map(_yesno),
            "Признак риска (доля ниже минимума)": sel["risk_reason"],
        }
    ).reset_index(drop=True)


def leaders_list(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    sel = s[s["leader"].astype("boolean").fillna(False).astype(bool)].sort_values(
        "results_index", ascending=False
    )
    return pd.DataFrame(
        {"ОО": sel["school_name"], "ИОР": sel["results_index"], "Основание": sel["leader_reason"]}
    ).reset_index(drop=True)


def trajectory(res: Results) -> pd.DataFrame:
    """ИОР level per school and year of the window (ШНОР first)."""
    idx = res.tables[RESULTS_INDEX]
    win = idx[idx["year"].isin(res.params.years)]
    wide = win.pivot_table(
        index="school_id", columns="year", values="results_level", aggfunc="first"
    ).reindex(columns=res.params.years)
    s = res.tables[SCHOOLS].set_index("school_id")
    wide = wide.reindex(s.index)
    order = s["low_results"].astype("boolean").fillna(False).astype(bool).map({True: 0, False: 1})
    wide = wide.assign(_o=order, _i=s["results_index"]).sort_values(["_o", "_i"])
    out = pd.DataFrame(
        {
            "ОО": s.loc[wide.index, "school_name"].to_numpy(),
            "ШНОР": s.loc[wide.index, "low_results"].map(_yesno).to_numpy(),
        }
    )
    for y in res.params.years:
        out[str(y)] = wide[y].fillna("—").to_numpy()
    return out


def min_scores_window(res: Results) -> pd.DataFrame:
    m = res.tables[MIN_SCORES_WINDOW]
    names = school_names(res)
    m = m.sort_values("share", ascending=False)
    return pd.DataFrame(
        {
            "ОО": m["school_id"].map(names),
            "Результатов ГИА": m["n"],
            "Ниже минимума": m["below"],
            f"Доля ниже минимума [{ci_label(res.params.confidence)}]": [
                SMALL if pd.isna(v) else _value_ci(v, lo, hi)
                for v, lo, hi in zip(m["share"], m["ci_low"], m["ci_high"], strict=True)
            ],
        }
    ).reset_index(drop=True)


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
    obj = res.tables.get(OBJECTIVITY)
    if obj is not None and "excluded" in obj:
        ex = obj[
            obj["excluded"].astype("boolean").fillna(False).astype(bool)
            & obj["year"].isin(res.params.years)
        ]
        out[f"Исключено единиц ВПР за {years(res.params.window)}"] = len(
            ex.drop_duplicates(["school_id", "year", "procedure", "grade", "subject"])
        )
    return out


PARAM_LABELS = {
    "year": "Отчётный год",
    "window": "Окно анализа, лет",
    "confidence": "Уровень доверия",
    "min_group_size": "Минимальный размер группы для публикации",
    "results_index.scaling": "Шкалирование компонентов ИОР",
    "results_index.min_weight_share": "Минимальная доля веса компонентов для ИОР",
    "results_index.low_results_years": "ШНОР: лет в 1-м квартиле из окна",
    "results_index.leader_years": "Школа-лидер: лет в 4-м квартиле из окна",
    "min_scores.risk_share": "Признак риска: доля ниже минимума, %",
    "min_scores.risk_procedures": "Признак риска: число процедур за год",
    "min_scores.min_results": "Признак риска: минимум результатов в процедуре",
}


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


def params_table(res: Results) -> pd.DataFrame:
    """Every parameter the report was computed with (package defaults merged with the file)."""
    rows = [
        (k, v)
        for k, v in _flatten(res.manifest.get("params", {}))
        if not k.startswith(("paths.", "report."))
    ]
    return pd.DataFrame(
        {
            "Параметр": [k for k, _ in rows],
            "Описание": [PARAM_LABELS.get(k, "") for k, _ in rows],
            "Значение": [
                ", ".join(map(str, v)) if isinstance(v, list) else str(v) for _, v in rows
            ],
        }
    )


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
    obj = res.tables.get(OBJECTIVITY)
    if obj is not None and "excluded" in obj:
        ex = obj[
            obj["excluded"].astype("boolean").fillna(False).astype(bool)
            & obj["year"].isin(res.params.years)
        ]
        units = ex.drop_duplicates(["school_id", "year", "procedure", "grade", "subject"])
        groups.append(
            (
                f"ОО с исключёнными результатами (необъективность), единиц: {len(units)}",
                s["school_id"].isin(set(ex["school_id"])),
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
