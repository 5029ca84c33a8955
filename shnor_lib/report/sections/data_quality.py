"""Report section «Методика и данные»: data-quality notes, the input files (provenance)
and the parameters table."""

from __future__ import annotations

import pandas as pd

from shnor_lib.notes import select
from shnor_lib.pipeline import Results


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
