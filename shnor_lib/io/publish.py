"""Published tables: contract columns, small-cell suppression (M11), CSV and Excel writing.

CSV files follow docs/data_contract.md (outputs): UTF-8, `,` separator, booleans as `true`/`false`, empty
cells for missing or suppressed values. `tables.xlsx` (docs/data_contract.md, «tables.xlsx») has
a contents sheet, then one sheet per table in Russian: headers, words for codes, the school's
name beside its code, number formats by column (:mod:`shnor_lib.io.xlsx_labels`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from shnor_lib.errors import ShnorError
from shnor_lib.io import reference, xlsx, xlsx_labels
from shnor_lib.methods import indicators, objectivity, pooled
from shnor_lib.tables import (
    CLUSTERS,
    INDICATORS,
    INDICATORS_POOLED,
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
    ROADMAP_OVERDUE,
    SCHOOLS,
    SOCIAL_FIT,
    SOCIAL_INDEX,
    SOCIAL_MODEL,
    SOCIAL_NOTES,
    SOCIAL_SELECTION,
    SUPPORT,
    TASK_DEFICITS,
    TASK_RESULTS,
    VPR_STATS_SHARES,
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
    "year_first": "Первый год",
    "year_last": "Последний год",
    "years": "Лет с данными",
}

SHEET_NAMES = {
    SCHOOLS: "ОО",
    INDICATORS: "Показатели",
    INDICATORS_POOLED: "Показатели за окно лет",
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
    ROADMAP_OVERDUE: "Просрочка дорожной карты",
    VPR_STATS_SHARES: "Доли отметок ВПР",
    TASK_RESULTS: "ВПР по заданиям",
    TASK_DEFICITS: "Дефициты по заданиям",
    "management_decisions": "Управленческие решения",
    "objectivity_schools": "Объективность по ОО",
    "indicators_exclusions": "Исключения и показатели",
}

# Per-table headers that override RU_HEADERS (table → column → label), filled by stage modules.
TABLE_HEADERS: dict[str, dict[str, str]] = {}

SMALL_CELL = "н/д (мало участников)"


def _register_stage_labels() -> None:
    """Stage modules keep the Russian names of their own columns and sheets."""
    from shnor_lib.methods import (
        conclusions,
        cycle,
        decisions,
        pairing,
        risk_profile,
        support,
        teachers,
    )

    for module in (support, teachers, cycle, conclusions, decisions, risk_profile, pairing):
        for key, value in module.RU_HEADERS.items():
            RU_HEADERS.setdefault(key, value)
        SHEET_NAMES.update({k: v for k, v in module.SHEET_NAMES.items() if k not in SHEET_NAMES})
    for module in (cycle, conclusions, risk_profile, pairing):
        TABLE_HEADERS.update(module.TABLE_HEADERS)


_register_stage_labels()


def for_publication(tables: dict[str, pd.DataFrame], min_n: int) -> dict[str, pd.DataFrame]:
    """Apply M11 to every table that carries an `n` of people."""
    out = dict(tables)
    if INDICATORS in out:
        out[INDICATORS] = indicators.suppress_small(out[INDICATORS], min_n)
    if INDICATORS_POOLED in out:
        out[INDICATORS_POOLED] = pooled.suppress(out[INDICATORS_POOLED], min_n)
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


CONTENTS_SHEET = "Содержание"


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """A contents sheet, then one sheet per table: Russian headers and words for codes, the
    school's name beside every school code, number formats by column, dates as dates,
    autofilter and a frozen header (docs/data_contract.md, «tables.xlsx»). The CSV files keep
    the contract's names and codes.

    Written by :mod:`shnor_lib.io.xlsx` (SpreadsheetML built column by column): pandas'
    ``to_excel`` spent ~30 µs a cell, most of `shnor compute` on a large municipality.
    """
    names = _school_names(tables)
    catalog = _indicator_names()
    sheets: dict[str, xlsx.Sheet] = {}
    contents: list[dict[str, object]] = []
    taken = {CONTENTS_SHEET}
    for name, frame in tables.items():
        title = _sheet_title(SHEET_NAMES.get(name, name), taken)
        taken.add(title)
        sheets[title] = xlsx_sheet(name, frame, names, catalog)
        heading, about = xlsx_labels.CONTENTS.get(name, (SHEET_NAMES.get(name, name), ""))
        contents.append(
            {
                "Лист": title,
                "Таблица": heading,
                "Строк": len(frame),
                "Описание": about,
                "Файл CSV": f"tables/{name}.csv",
            }
        )
    index = xlsx.Sheet(
        pd.DataFrame(contents, columns=["Лист", "Таблица", "Строк", "Описание", "Файл CSV"]),
        formats={"Строк": "int"},
        link_column=0,
    )
    xlsx.write({CONTENTS_SHEET: index, **sheets}, path)


def xlsx_sheet(
    name: str,
    frame: pd.DataFrame,
    school_names: dict[str, str] | None = None,
    indicator_names: dict[str, str] | None = None,
) -> xlsx.Sheet:
    """The sheet of table ``name``: codes in Russian, names beside codes, dates as dates,
    Russian headers and the number format of each column (:mod:`shnor_lib.io.xlsx_labels`)."""
    if len(frame.columns) == 0:  # a stage with nothing to report
        return xlsx.Sheet(pd.DataFrame(columns=["Нет данных"]))
    out = frame.copy()
    values = {
        "check": {k: v[:1].lower() + v[1:] for k, v in objectivity.CHECK_LABELS.items()},
        **xlsx_labels.VALUES,
        **xlsx_labels.TABLE_VALUES.get(name, {}),
    }
    for col in out.columns:
        if col in values and not pd.api.types.is_numeric_dtype(out[col]):
            words = values[col]
            out[col] = out[col].map(lambda v, w=words: w.get(v, v) if isinstance(v, str) else v)
    if "key_features" in out and out["key_features"].dtype == object:
        out["key_features"] = out["key_features"].map(_features)
    kinds = {col: column_kind(name, col, out[col]) for col in out.columns}
    for col, kind in kinds.items():
        if kind == "date":
            out[col] = _as_dates(out[col])
    out, extra = _with_names(name, out, school_names or {}, indicator_names or {})
    labels = {
        **RU_HEADERS,
        **xlsx_labels.LABELS,
        **TABLE_HEADERS.get(name, {}),
        **xlsx_labels.TABLE_LABELS.get(name, {}),
        **extra,
    }
    headers = _unique([labels.get(c, c) for c in out.columns])
    formats = {h: kinds[c] for h, c in zip(headers, out.columns, strict=True) if kinds.get(c)}
    out.columns = headers
    return xlsx.Sheet(out, formats=formats)


def column_kind(table: str, column: str, series: pd.Series) -> str | None:
    """The number format of ``table.column`` (a key of ``xlsx.FORMATS``) or None (General).

    A column declared a 0–1 share with a value outside −1…1 stops the writing: shown as a
    share it would read 100 times too large, so the declaration is wrong, not the data."""
    declared = xlsx_labels.TABLE_KINDS.get(table, {}).get(column) or xlsx_labels.KINDS.get(column)
    if declared is None:
        declared = next(
            (k for p, k in xlsx_labels.KIND_PREFIXES.items() if column.startswith(p)), None
        )
    if declared in (None, "text"):
        return None
    if declared == "date":
        return "date"
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    vals = series.to_numpy(dtype="float64", na_value=np.nan)
    vals = vals[np.isfinite(vals)]
    if declared == "share" and vals.size and np.abs(vals).max() > 1:
        bad = float(vals[np.abs(vals) > 1][0])
        raise ShnorError(
            f"tables.xlsx: столбец «{column}» таблицы «{table}» описан как доля 0–1 (формат %), "
            f"но в нём значение {bad:g}. Исправьте вид столбца в shnor_lib/io/xlsx_labels.py "
            "(проценты 0–100 — «dec1»).",
            f"tables.xlsx: column {table}.{column} is declared a 0–1 share but holds {bad:g}; "
            "fix its kind in shnor_lib/io/xlsx_labels.py (0–100 percents are 'dec1').",
        )
    if declared == "int" and vals.size and not np.all(np.floor(vals) == vals):
        return None  # a fractional value would be shown rounded: leave it General
    return declared


def _features(text: object) -> object:
    """«below_min_share; results_index» → «ГИА ниже минимума; ИОР» (unknown codes kept)."""
    if not isinstance(text, str):
        return text
    names = xlsx_labels.FEATURES
    return "; ".join(names.get(t.strip(), t.strip()) for t in text.split(";"))


def _as_dates(series: pd.Series) -> pd.Series:
    """ISO dates (``2024-12-31``) as dates; a column with any other text stays as it is."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    text = series.astype("string")
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    if (parsed.isna() & text.notna() & (text != "")).any():
        return series
    return parsed


def _school_names(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    schools = tables.get(SCHOOLS)
    if schools is None or "school_name" not in schools:
        return {}
    pairs = schools[["school_id", "school_name"]].dropna()
    return dict(zip(pairs["school_id"].astype(str), pairs["school_name"].astype(str), strict=True))


def _indicator_names() -> dict[str, str]:
    """indicator_id → its Russian name: the catalogue, the C1 means, the teachers' shares."""
    from shnor_lib.methods import teachers

    cat = reference.load_indicator_catalog()
    names = dict(zip(cat["indicator_id"], cat["name_ru"], strict=True))
    names.update(indicators.C1_LABELS)
    for shares in (teachers.FLAG_SHARES, teachers.LEVEL_SHARES):
        names.update({k: v[1] for k, v in shares.items()})
    names.update({k: v[0] for k, v in teachers.EXTRA_SHARES.items()})
    return names


def _with_names(
    table: str, frame: pd.DataFrame, schools: dict[str, str], catalog: dict[str, str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The frame with a school's name after each school code column and an indicator's name
    after ``indicator_id`` (when the table has no name column of its own); the headers of
    the added columns."""
    out, headers = frame, {}
    cols = list(frame.columns)
    for col in cols:
        if col in xlsx_labels.NAME_COLUMNS and not (col == "school_id" and "school_name" in cols):
            new, mapping = f"{col}__name", schools
            headers[new] = xlsx_labels.NAME_COLUMNS[col]
        elif col == "indicator_id" and "name_ru" not in cols and "label" not in cols:
            new, mapping = "indicator_id__name", catalog
            headers[new] = "Наименование показателя"
        else:
            continue
        ids = out[col].astype("string")
        names = ids.map(lambda v, m=mapping: m.get(v) if isinstance(v, str) else None)
        at = list(out.columns).index(col) + 1
        out = out.copy() if out is frame else out
        out.insert(at, new, names.astype(object).where(names.notna(), None))
    return out, headers


def _unique(headers: list[str]) -> list[str]:
    """Headers made unique (Excel's autofilter and readers need that): a repeat gets « (2)»."""
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        k = seen.get(h, 0) + 1
        seen[h] = k
        out.append(h if k == 1 else f"{h} ({k})")
    return out
