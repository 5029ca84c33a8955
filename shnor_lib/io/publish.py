"""Published tables: contract columns, small-cell suppression (M11), CSV and Excel writing.

CSV files follow docs/data_contract.md (outputs): UTF-8, `,` separator, booleans as `true`/`false`, empty
cells for missing or suppressed values. `tables.xlsx` has one sheet per table with Russian
headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from shnor_lib.methods import indicators
from shnor_lib.tables import (
    CLUSTERS,
    INDICATORS,
    MIN_SCORES,
    MIN_SCORES_WINDOW,
    OBJECTIVITY,
    OBJECTIVITY_EFFECT,
    OBJECTIVITY_EXCLUSIONS,
    OBJECTIVITY_FUNNEL,
    OBJECTIVITY_JOURNAL,
    OBJECTIVITY_MODELS,
    PAIRS,
    PAIRS_UNPAIRED,
    PARTICIPANTS,
    RECOMMENDATIONS,
    RESULTS_INDEX,
    RISK,
    RISK_LEVELS,
    SCHOOLS,
    SOCIAL_FIT,
    SOCIAL_INDEX,
    SOCIAL_MODEL,
    SOCIAL_NOTES,
    SOCIAL_SELECTION,
    SUPPORT,
)

SCHOOLS_COLUMNS = [
    "school_id",
    "school_name",
    "results_index",
    "results_quartile",
    "low_results",
    "risk_group",
    "leader",
    "social_index",
    "social_quartile",
    "hard_context",
    "expected_result",
    "residual",
    "residual_ci_low",
    "residual_ci_high",
    "vs_expected",
    "resilient_strict",
    "resilient_contextual",
    "cluster",
    "top_risks",
]

# Russian headers for tables.xlsx (and for report tables).
RU_HEADERS = {
    "school_id": "Код ОО",
    "school_name": "ОО",
    "results_index": "ИОР",
    "results_quartile": "Уровень ИОР",
    "low_results": "ШНОР",
    "risk_group": "Группа риска",
    "leader": "Школа-лидер",
    "social_index": "ИСБ",
    "social_quartile": "Квартиль ИСБ",
    "hard_context": "ШССУ",
    "expected_result": "Ожидаемый ИОР",
    "residual": "Отклонение от ожидаемого",
    "residual_ci_low": "Отклонение: нижняя граница",
    "residual_ci_high": "Отклонение: верхняя граница",
    "vs_expected": "Относительно ожидаемого",
    "resilient_strict": "Резильентная (строго)",
    "resilient_contextual": "Резильентная (с учётом контекста)",
    "cluster": "Кластер",
    "top_risks": "Основные риски",
    "municipality": "Муниципалитет",
    "locality": "Местность",
    "school_type": "Тип ОО",
    "is_small": "Малокомплектная",
    "distance_km": "Удалённость, км",
    "students_total": "Обучающихся",
    "indicator_id": "Показатель",
    "level": "Уровень",
    "year": "Год",
    "value": "Значение, %",
    "ci_low": "ДИ: нижняя граница",
    "ci_high": "ДИ: верхняя граница",
    "numerator": "Числитель",
    "n": "Число участников (n)",
    "change": "Динамика, п.п.",
    "change_ci_low": "Динамика: нижняя граница",
    "change_ci_high": "Динамика: верхняя граница",
    "change_status": "Статус динамики",
    "target": "Целевое значение",
    "target_status": "Статус цели",
    "target_confirmed": "Подтверждение интервалом",
    "procedure": "Процедура",
    "grade": "Класс",
    "subject": "Предмет",
    "participants": "Участников",
    "check": "Проверка",
    "statistic": "Статистика",
    "expected": "Ожидаемое",
    "flagged": "Признак",
    "excluded": "Исключено",
    "reason": "Причина",
    "term": "Характеристика",
    "coef": "Коэффициент",
    "se": "Ст. ошибка",
    "pvalue": "p-значение",
    "lmg": "Вклад в R² (LMG)",
    "weight": "Вес",
    "sign": "Знак",
    "low_results_school_id": "Код ШНОР",
    "leader_school_id": "Код школы-лидера",
    "model": "Модель",
    "social_distance": "Различие по ИСБ",
    "block": "Блок",
    "unit": "Единица",
    "score": "Балл",
    "max_score": "Максимум",
    "share_of_max": "Доля от максимума, %",
    "observed": "Наблюдаемое",
    "basis": "Основа ожидаемого",
    "addressee": "Адресат",
    "kind": "Направление",
    "text": "Рекомендация",
    "evidence": "Основание",
}

SHEET_NAMES = {
    SCHOOLS: "ОО",
    INDICATORS: "Показатели",
    PARTICIPANTS: "Участники",
    OBJECTIVITY: "Объективность",
    SOCIAL_MODEL: "Модель ИСБ",
    PAIRS: "Пары",
    SUPPORT: "Методическая помощь",
    OBJECTIVITY_EXCLUSIONS: "Исключения",
    RESULTS_INDEX: "ИОР по годам",
    MIN_SCORES: "Ниже минимума ГИА",
    MIN_SCORES_WINDOW: "Ниже минимума за 3 года",
    RISK: "Признак риска",
    SOCIAL_SELECTION: "Отбор характеристик ИСБ",
    SOCIAL_FIT: "Качество модели ИСБ",
    SOCIAL_NOTES: "Примечания ИСБ",
    SOCIAL_INDEX: "ИСБ по годам",
    RISK_LEVELS: "Риски",
    CLUSTERS: "Кластеры",
    PAIRS_UNPAIRED: "ШНОР без пары",
    OBJECTIVITY_JOURNAL: "Журнал и ВПР",
    OBJECTIVITY_MODELS: "Модель объективности",
    OBJECTIVITY_FUNNEL: "Воронка",
    OBJECTIVITY_EFFECT: "Исключения и ИОР",
    RECOMMENDATIONS: "Рекомендации",
}

# Per-table headers that override RU_HEADERS (table → column → label), filled by stage modules.
TABLE_HEADERS: dict[str, dict[str, str]] = {}

SMALL_CELL = "н/д (мало участников)"


def _register_stage_labels() -> None:
    """Stage modules keep the Russian names of their own columns and sheets."""
    from shnor_lib.methods import cycle, pairing, risk_profile, support, teachers

    for module in (support, teachers, cycle, risk_profile, pairing):
        for key, value in module.RU_HEADERS.items():
            RU_HEADERS.setdefault(key, value)
        SHEET_NAMES.update({k: v for k, v in module.SHEET_NAMES.items() if k not in SHEET_NAMES})
    for module in (cycle, risk_profile, pairing):
        TABLE_HEADERS.update(module.TABLE_HEADERS)


_register_stage_labels()


def for_publication(tables: dict[str, pd.DataFrame], min_n: int) -> dict[str, pd.DataFrame]:
    """Apply M11 to every table that carries an `n` of people."""
    out = dict(tables)
    if INDICATORS in out:
        out[INDICATORS] = indicators.suppress_small(out[INDICATORS], min_n)
    for name in (MIN_SCORES, MIN_SCORES_WINDOW):
        if name in out and not out[name].empty:
            frame = out[name].copy()
            small = frame["n"] < min_n
            frame.loc[small, ["below", "share", "ci_low", "ci_high"]] = np.nan
            out[name] = frame
    return out


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as true/false and floats pre-formatted as `%.6g` text (what pandas' to_csv
    would write with that float_format, without its per-cell formatter overhead)."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or (
            s.dtype == object and s.notna().any() and pd.api.types.infer_dtype(s) == "boolean"
        ):
            out[col] = s.map(lambda v: "" if pd.isna(v) else ("true" if v else "false"))
        elif s.dtype == np.float64:
            out[col] = np.array(
                [_FLOAT_FORMAT % x if x == x else "" for x in s.to_numpy().tolist()], dtype=object
            )
    return out


_FLOAT_FORMAT = "%.6g"

# OWASP «CSV injection»: a cell Excel/LibreOffice would read as a formula starts with one of
# these. Text cells that do are written with a leading apostrophe (also before apostrophes
# already leading such a text, so reading back is exact); numbers are not text and stay.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")


def neutralise_text(value: object) -> object:
    """A text cell made inert for spreadsheets (``=HYPERLINK(…)`` → ``'=HYPERLINK(…)``).

    A text that is a plain number (``-5``, ``+3,5``) is left alone: a spreadsheet reads it
    as that number, which executes nothing.
    """
    if isinstance(value, str) and _FORMULA_START.match(value) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def restore_text(value: object) -> object:
    """The inverse of :func:`neutralise_text` (for reading published tables back)."""
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return value[1:]
    return value


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with formula-like cells prefixed; the frame itself when none is."""
    out = frame
    for col in frame.columns:
        s = frame[col]
        if s.dtype != object and not isinstance(s.dtype, pd.StringDtype):
            continue
        text = s.astype("string")
        risky = text.str.match(_FORMULA_START.pattern, na=False) & ~text.str.match(
            _PLAIN_NUMBER.pattern, na=False
        )
        bare_cr = text.str.contains("\r", regex=False, na=False)
        if risky.any() or bare_cr.any():
            if out is frame:
                out = frame.copy()
            col_out = s.astype(object).where(~risky, "'" + text.astype(object))
            # a bare CR is not quoted by the CSV writer (its line end is LF) and would
            # split the row: a line break inside a cell is written as LF (then quoted)
            out[col] = col_out.where(
                ~bare_cr,
                col_out.astype("string").str.replace("\r\n?", "\n", regex=True).astype(object),
            )
    if any(isinstance(c, str) and neutralise_text(c) != c for c in frame.columns):
        out = out.rename(columns=neutralise_text)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A published table (docs/data_contract.md, output tables) with formula-like text neutralised (OWASP)."""
    _csv_ready(_neutralised(frame)).to_csv(
        path, index=False, float_format=_FLOAT_FORMAT, lineterminator="\n"
    )


def read_csv(path: Path, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A published table as written by :func:`write_csv` (ids as text, true/false as
    booleans); ``columns``: read only these (those absent are left out)."""
    id_cols = {"school_id": str, "low_results_school_id": str, "leader_school_id": str}
    if Path(path).stat().st_size < 64 and not Path(path).read_text("utf-8").strip():
        return pd.DataFrame()  # a stage with nothing to report (e.g. a tiny municipality)
    usecols = None if columns is None else set(columns).__contains__
    frame = pd.read_csv(path, dtype=id_cols, keep_default_na=False, na_values=[""], usecols=usecols)
    frame = frame.rename(columns=restore_text)
    for col in frame.columns:
        if frame[col].dtype == object and any(
            isinstance(v, str) and v[:1] == "'" for v in frame[col].tolist()
        ):
            frame[col] = frame[col].map(restore_text)
        vals = set(frame[col].dropna().unique()) if frame[col].dtype == object else set()
        if vals and vals <= {"true", "false"}:
            frame[col] = frame[col].map({"true": True, "false": False}).astype("boolean")
    return frame


def _sheet_title(title: str, taken: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    clean = re.sub(r"[\[\]:*?/\\]", "-", title)[:31]
    out, k = clean, 2
    while out in taken:
        out = f"{clean[:28]}-{k}"
        k += 1
    return out


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table, Russian headers, frozen header row, sensible widths.

    Written by :mod:`shnor_lib.io.xlsx` (SpreadsheetML built column by column): pandas'
    ``to_excel`` spent ~30 µs a cell, most of `shnor compute` on a large municipality.
    """
    from shnor_lib.io import xlsx

    sheets: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        sheet = _sheet_title(SHEET_NAMES.get(name, name), set(sheets))
        # a column whose meaning differs in this table has its own label
        labels = {**RU_HEADERS, **TABLE_HEADERS.get(name, {})}
        sheets[sheet] = frame.rename(columns={c: labels.get(c, c) for c in frame.columns})
    xlsx.write(sheets, path)
