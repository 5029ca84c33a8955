"""«Аналитическая справка» at the top of the report: the numbered conclusions (each with a link
to the section behind it) and the table of proposed management decisions, from the published
tables ``conclusions`` and ``management_decisions``. The same views feed ``spravka.docx``
(:mod:`shnor_lib.report.spravka`), so the report and the Word document say the same."""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from shnor_lib.methods.conclusions import num
from shnor_lib.pipeline import Results
from shnor_lib.report.display import _Html
from shnor_lib.tables import CONCLUSIONS, MANAGEMENT_DECISIONS, SCHOOLS

TITLE = "Аналитическая справка"
INTRO = (
    "Выводы и предлагаемые управленческие решения сформированы по правилам из рассчитанных "
    "таблиц (правила решений — справочник decisions.yml, его можно изменить). Ссылка после вывода "
    "ведёт к разделу отчёта с подробными данными; отчёт — приложение к справке."
)
HEADERS = {
    "school": "ОО",
    "decision": "Решение",
    "basis": "Основание",
    "risk_category": "Категория риска",
    "manageability": "Управляемость",
    "horizon": "Горизонт",
    "owner": "Ответственный",
    "deadline": "Срок",
    "control": "Контрольный показатель",
    "target_value": "Целевое значение",
}
# control_indicator codes of decisions.yml → Russian names (others are shown as they are)
CONTROL_LABELS = {
    "schools.results_index": "ИОР",
    "schools.social_index": "ИСБ",
    "schools.hard_context": "число ШССУ",
    "pairs.low_results_school_id": "число школ-лидеров в паре",
    "objectivity_exclusions": "исключённые результаты ВПР",
    "teachers_distribution.share_ab": "доля педагогов с дефицитами A–B, %",
    "indicators.target_status": "число недостигнутых целей",
    "min_scores.share": "доля результатов ГИА ниже минимума, %",
    "roadmap_overdue.status": "просроченные мероприятия дорожной карты",
    "support_effect.effect": "эффект поддержки (изменение ИОР)",
}
MUNICIPALITY = "муниципалитет"


def _value(x: object) -> str:
    """A control or target value: whole numbers without decimals, small ones with two."""
    if x is None or pd.isna(x):
        return ""
    v = float(x)
    return num(v, 0 if v.is_integer() else (2 if abs(v) < 10 else 1))


def section_title(anchor: str) -> str:
    """The report section an anchor points to, in words (anchors are heading texts)."""
    return anchor.replace("-", " ")


def conclusion_items(tables: Mapping[str, pd.DataFrame]) -> list[tuple[int, str, str]]:
    """(number, text, section anchor) of each conclusion, in order."""
    c = tables.get(CONCLUSIONS)
    if c is None or c.empty:
        return []
    return [(int(r.no), str(r.text), str(r.section)) for r in c.sort_values("no").itertuples()]


def decisions_frame(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The decisions with Russian headers and values as the справка prints them."""
    d = tables.get(MANAGEMENT_DECISIONS)
    if d is None or d.empty:
        return pd.DataFrame(columns=list(HEADERS.values()))
    s = tables.get(SCHOOLS)
    names = (
        {} if s is None else dict(zip(s["school_id"].astype(str), s["school_name"], strict=True))
    )
    sid = d["school_id"].map(lambda v: "" if pd.isna(v) else str(v))

    def control(row: pd.Series) -> str:
        label = CONTROL_LABELS.get(row["control_indicator"], row["control_indicator"])
        now = _value(row["control_value"])
        return f"{label} (сейчас {now})" if now else label

    deadline = pd.to_datetime(d["deadline"]).dt.strftime("%d.%m.%Y")
    out = pd.DataFrame(
        {
            HEADERS["school"]: [names.get(i, i) if i else MUNICIPALITY for i in sid],
            HEADERS["decision"]: d["decision"],
            HEADERS["basis"]: d["basis"],
            HEADERS["risk_category"]: d["risk_category"],
            HEADERS["manageability"]: d["manageability"],
            HEADERS["horizon"]: d["horizon"],
            HEADERS["owner"]: d["owner"],
            HEADERS["deadline"]: deadline,
            HEADERS["control"]: d.apply(control, axis=1),
            HEADERS["target_value"]: d["target_value"].map(_value),
        }
    )
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------- the report


def intro(res: Results) -> str:
    return INTRO


def conclusions_html(res: Results) -> _Html:
    """The numbered conclusions as an HTML list, each with a link to its section."""
    items = conclusion_items(res.tables)
    if not items:
        return _Html(
            '<p class="spravka-empty">Выводы не сформированы: нет рассчитанных таблиц.</p>'
        )
    lis = "".join(
        f'<li>{html.escape(text)} <a href="#{html.escape(anchor, quote=True)}">'
        f"Подробнее: {html.escape(section_title(anchor))}</a></li>"
        for _, text, anchor in items
    )
    return _Html(f'<ol class="spravka-conclusions">{lis}</ol>')


# In the report the three short codes share one cell: ten columns do not fit a landscape A4
# page at 9 pt (the browser test measures it); the CSV and spravka.docx keep them apart.
KIND = "Категория риска; управляемость; горизонт"
_KIND_PARTS = [HEADERS["risk_category"], HEADERS["manageability"], HEADERS["horizon"]]


def decisions(res: Results) -> pd.DataFrame:
    """The decisions table of the report: :func:`decisions_frame` with the risk category,
    manageability and horizon in one column."""
    frame = decisions_frame(res.tables)
    kind = frame[_KIND_PARTS].astype(str).agg("; ".join, axis=1)
    at = frame.columns.get_loc(_KIND_PARTS[0])
    frame = frame.drop(columns=_KIND_PARTS)
    frame.insert(at, KIND, kind if len(frame) else pd.Series(dtype=str))
    return frame
