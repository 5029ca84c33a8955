"""Report section «Методика и данные»: data-quality notes, the input files (provenance)
and the parameters table."""

from __future__ import annotations

from pathlib import PurePath

import pandas as pd

from shnor_lib.fmt import fmt_number
from shnor_lib.notes import select
from shnor_lib.pipeline import Results


def data_warnings(res: Results) -> list[str]:
    """The run's data-quality warnings not shown with a table of their own (ingest, ГИА,
    forms), in stage order."""
    return [n.text_ru for n in select(res.notes, level="warning", table=None)]


# What each source holds, as the reader knows it (the manifest names sources by code).
SOURCE_LABELS = {
    "schools": "Справочник ОО",
    "context": "Контекст ОО (социальные характеристики)",
    "vpr": "Результаты ВПР",
    "gia": "Результаты ГИА (ОГЭ, ЕГЭ)",
    "school_stats": "Статистика ОО",
    "teachers": "Педагоги",
    "rosobrnadzor": "Перечень Рособрнадзора (необъективность)",
    "roadmap": "Дорожная карта",
    "tasks": "Результаты по заданиям",
}


def _source_label(code: str) -> str:
    from shnor_lib.io.forms_spec import BLOCK_NAMES_RU

    kind, _, block = str(code).partition(":")
    if kind == "forms":
        return f"Форма мониторинга: {BLOCK_NAMES_RU.get(block, block)}"
    return SOURCE_LABELS.get(str(code), str(code))


def input_files(res: Results) -> pd.DataFrame:
    """The files the report was computed from: what each holds, its name (no folders: the
    published report carries no machine paths), rows read and its SHA-256."""
    src = pd.DataFrame(res.manifest.get("sources", []))
    if src.empty:
        return src
    return pd.DataFrame(
        {
            "Данные": [_source_label(t) for t in src["table"]],
            "Файл": [PurePath(str(f).replace("\\", "/")).name for f in src["file"]],
            "Строк": src["rows"],
            "SHA-256": src["sha256"],
        }
    )


def hash_cell(column: str, value: object, row: pd.Series) -> str | None:
    """A SHA-256 sum may wrap anywhere (64 characters are wider than a printed column)."""
    return "shnor-hash" if column == "SHA-256" else None


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


# Keys that name the municipality or where files live: not calculation parameters.
_NOT_PARAMS = ("municipality", "title", "region", "paths.", "report.")


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out += _flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


def _shown(v: object) -> str:
    if v is None:
        return "не задано"
    if isinstance(v, bool):
        return "да" if v else "нет"
    if isinstance(v, int | float):
        if float(v).is_integer():
            return fmt_number(v, 0)
        return fmt_number(v, 4).rstrip("0").rstrip(",")
    if isinstance(v, list | tuple):
        return "; ".join(_shown(x) for x in v) if v else "пусто"
    if isinstance(v, dict):
        return "пусто" if not v else "; ".join(f"{k}: {_shown(x)}" for k, x in v.items())
    return str(v)


def params_table(res: Results) -> pd.DataFrame:
    """Only the parameters that differ from the package defaults (defaults.yml), each with
    its default beside it: what a reader needs to repeat the calculation; an empty table
    means every parameter has its default value."""
    from shnor_lib.config import _load_defaults

    defaults = dict(_flatten(_load_defaults()))
    rows = [
        (k, v, defaults.get(k))
        for k, v in _flatten(res.manifest.get("params", {}))
        if not (k in _NOT_PARAMS or k.startswith(_NOT_PARAMS)) and defaults.get(k, object()) != v
    ]
    return pd.DataFrame(
        {
            "Параметр": [PARAM_LABELS.get(k, k) for k, _, _ in rows],
            "Значение": [_shown(v) for _, v, _ in rows],
            "По умолчанию": [_shown(d) for _, _, d in rows],
        },
        dtype=object,
    )
