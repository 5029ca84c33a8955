"""Monitoring forms of seed 001 and their scores (docs/methods.md M7; docs/data_contract.md).

The forms are the user's interface: ``shnor forms`` writes blank Excel workbooks (one per
block of seed 001: methodical help, МНЦ, МТКП, and the roadmap), the authority sends them
out, and the filled workbooks placed in ``data/raw/<m>/forms/`` are read back here with the
same validation standard as the other tables: every problem (a blank, a «2» in a 0/1 cell,
text in a count cell, a missing sheet …) names the file, the sheet row, the sheet and item,
the value and what was expected, in Russian and English, and all problems of all forms are
collected before :class:`~shnor_lib.errors.ValidationError` is raised.

Item definitions (ids, seed wording, kinds, indicator grouping, the seed's printed ranges)
live in ``shnor_lib/data/forms.yml``, not in this code.

Layouts (rows are 1-based sheet rows):

- «Методическая помощь» (``help``): one row per item as in the seed — № п/п, wording,
  «Баллы (наличие — 1, отсутствие — 0)», «Количественные показатели», item code. The cell
  that does not apply is grey with «*» (the seed's asterisk).
- «МНЦ», «МТКП» (``units``): one row per assessed unit (mentor × ШНОР management team;
  tutor × teacher), identified by pseudonymous codes and the school_id, one 0/1 column per
  sub-item. Rows 1–3: titles and wording; row 4: machine codes; data from row 5.
- «Дорожная карта» (``events``): the ``roadmap`` table contract (event_id, title, level,
  form, due, responsible, done, published_url). Row 2: Russian headers; row 3: codes; data
  from row 4.

Every workbook also has an «Инструкция» sheet with the municipality and the reporting year;
a filled form whose year differs from the reporting year is set aside with a warning.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import DATA_DIR, schema
from .errors import Problem, ValidationError

FORMS_SUBDIR = "forms"
INSTRUCTIONS_SHEET = "Инструкция"
BLOCKS = ("help", "mnc", "mtkp", "roadmap")
SCORED_BLOCKS = ("mnc", "mtkp")

# Sheet layout (1-based rows / columns)
HELP_HEADER_ROW = 2
HELP_FIRST_ITEM_ROW = 3
UNITS_CODE_ROW = 4
EVENTS_CODE_ROW = 3
BLANK_ROWS = {"mnc": 60, "mtkp": 200, "roadmap": 100}  # rows with borders
VALIDATED_ROWS = 1000  # data validation reaches this many rows below the header
YEAR_LABEL = "Отчётный год"
MUNI_LABEL = "Муниципальное образование"
COMMENT_ID = "comment"
# A row of a units / events sheet is unique on these columns.
ROW_KEYS = {
    "mnc": ("mentor_code", "school_id"),
    "mtkp": ("tutor_code", "teacher_code"),
    "roadmap": ("event_id",),
}
EXCEL_DATE_MIN = 36526  # 01.01.2000 as an Excel serial date
EXCEL_DATE_MAX = 73415  # 31.12.2100

SUPPORT_COLUMNS = [
    "block",
    "indicator_id",
    "unit",
    "score",
    "max_score",
    "share_of_max",
    "level",
    "school_id",
    "n",
    "score_kind",
    "name_ru",
    "seed_max",
    "report_date",
]
ROADMAP_SUMMARY_COLUMNS = [
    "report_date",
    "source",
    "n_events",
    "n_due",
    "n_done_by_date",
    "completeness",
    "n_done",
    "n_on_time",
    "n_done_late",
    "timeliness",
    "n_overdue",
    "n_not_yet_due",
    "n_published",
]
OVERDUE_COLUMNS = [
    "event_id",
    "title",
    "level",
    "form",
    "responsible",
    "due",
    "done",
    "status",
    "days_late",
]
STATUS_OVERDUE = "не выполнено, срок истёк"
STATUS_LATE = "выполнено с опозданием"
BLOCK_NAMES_RU = {
    "help": "Методическая помощь",
    "mnc": "МНЦ",
    "mtkp": "МТКП",
    "roadmap": "Дорожная карта",
}

# Russian headers and sheet names of the published tables (to merge into publish.RU_HEADERS
# and publish.SHEET_NAMES); the support.csv contract columns are already there.
RU_HEADERS = {
    "score_kind": "Тип значения",
    "name_ru": "Наименование",
    "seed_max": "Максимум в форме 001",
    "report_date": "Дата отчёта",
    "event_id": "Номер мероприятия",
    "title": "Мероприятие",
    "form": "Форма проведения",
    "responsible": "Ответственный",
    "due": "Срок исполнения",
    "done": "Дата выполнения",
    "status": "Состояние",
    "days_late": "Просрочка, дней",
    "section": "Раздел отчёта",
    "note_kind": "Вид примечания",
    "note_ru": "Примечание",
    "n_teachers": "Педагогов",
    "n_assessed": "Педагогов с оценкой",
    "n_a": "Уровень A",
    "n_b": "Уровень B",
    "n_c": "Уровень C",
    "n_d": "Уровень D",
    "share_a": "Доля A, %",
    "share_b": "Доля B, %",
    "share_c": "Доля C, %",
    "share_d": "Доля D, %",
    "share_ab": "Доля A+B, %",
    "share_ab_ci_low": "Доля A+B: нижняя граница",
    "share_ab_ci_high": "Доля A+B: верхняя граница",
}
SHEET_NAMES = {
    "teachers_by_school": "Педагоги по ОО",
    "teachers_distribution": "Уровни дефицитов",
    "roadmap_overdue": "Дорожная карта: просрочка",
    "support_notes": "Примечания (кадры, помощь)",
}

# ---------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Item:
    id: str
    block: str
    num: str  # as shown in the form: "8" (help) or "3.2" (МНЦ/МТКП)
    kind: str  # presence | count
    text_ru: str
    indicator: int | None = None
    unit_ru: str = ""


@dataclass(frozen=True)
class Indicator:
    block: str
    num: int
    title_ru: str
    items: tuple[Item, ...]
    seed_max: int | None

    @property
    def id(self) -> str:
        return f"{self.block}_{self.num}"

    @property
    def max_score(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Column:
    """A column of a units or events sheet (keys, items, roadmap fields)."""

    id: str
    label_ru: str
    kind: str  # key | presence | id | text | choice | date | comment
    required: bool = True
    hint_ru: str = ""
    choices: tuple[str, ...] = ()
    width: float = 14
    item: Item | None = None


@dataclass(frozen=True)
class Block:
    key: str
    file: str
    sheet: str
    title_ru: str
    short_ru: str
    layout: str  # items | units | events
    file_tokens: tuple[str, ...]
    items: tuple[Item, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    keys: tuple[Column, ...] = ()
    columns: tuple[Column, ...] = ()  # units: keys + items + comment; events: fields
    unit_ru: str = ""

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.keys)

    @property
    def max_total(self) -> int:
        return sum(i.max_score for i in self.indicators)


_FILE_TOKENS = {
    "help": ("metod", "method", "help", "помощ", "form1"),
    "mnc": ("mnc", "мнц", "form2"),
    "mtkp": ("mtkp", "мткп", "form3"),
    "roadmap": ("roadmap", "дорожн", "form4"),
}


@lru_cache(maxsize=1)
def _raw_forms() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((DATA_DIR / "forms.yml").read_text("utf-8"), Loader=loader)


@lru_cache(maxsize=1)
def load_forms() -> dict[str, Block]:
    """The four blocks of seed 001 as defined in ``shnor_lib/data/forms.yml``."""
    raw = _raw_forms()
    out: dict[str, Block] = {}
    for key, b in raw["blocks"].items():
        common = dict(
            key=key,
            file=b["file"],
            sheet=b["sheet"],
            title_ru=b["title_ru"],
            short_ru=b["short_ru"],
            layout=b["layout"],
            file_tokens=_FILE_TOKENS[key],
            unit_ru=b.get("unit_ru", ""),
        )
        if b["layout"] == "items":
            items = tuple(
                Item(
                    id=i["id"],
                    block=key,
                    num=str(i["num"]),
                    kind=i["kind"],
                    text_ru=i["text_ru"],
                    unit_ru=i.get("unit_ru", ""),
                )
                for i in b["items"]
            )
            out[key] = Block(**common, items=items)
        elif b["layout"] == "units":
            indicators = []
            for ind in b["indicators"]:
                items = tuple(
                    Item(
                        id=i["id"],
                        block=key,
                        num=f"{ind['num']}.{k + 1}" if len(ind["items"]) > 1 else str(ind["num"]),
                        kind="presence",
                        text_ru=i["text_ru"],
                        indicator=int(ind["num"]),
                    )
                    for k, i in enumerate(ind["items"])
                )
                indicators.append(
                    Indicator(key, int(ind["num"]), ind["title_ru"], items, ind.get("seed_max"))
                )
            keys = tuple(
                Column(k["id"], k["label_ru"], "key", True, k.get("hint_ru", ""), width=16)
                for k in b["keys"]
            )
            items = tuple(it for ind in indicators for it in ind.items)
            columns = (
                *keys,
                *(
                    Column(it.id, f"{it.num}. {it.text_ru}", "presence", True, item=it, width=22)
                    for it in items
                ),
                Column(COMMENT_ID, "Примечание", "comment", False, width=30),
            )
            out[key] = Block(
                **common, items=items, indicators=tuple(indicators), keys=keys, columns=columns
            )
        else:
            columns = tuple(
                Column(
                    c["id"],
                    c["label_ru"],
                    c["kind"],
                    bool(c.get("required", False)),
                    choices=tuple(c.get("choices", ())),
                    width=float(c.get("width", 14)),
                )
                for c in b["columns"]
            )
            out[key] = Block(**common, columns=columns)
    missing = set(BLOCKS) - set(out)
    if missing:
        raise RuntimeError(f"forms.yml lacks blocks {sorted(missing)}")
    return out


def range_notes() -> list[str]:
    """Russian notes where the seed's printed range differs from the number of sub-items."""
    notes = []
    for key in SCORED_BLOCKS:
        block = load_forms()[key]
        for ind in block.indicators:
            if ind.seed_max is None:
                notes.append(
                    f"{block.short_ru}, показатель {ind.num} «{ind.title_ru}»: диапазон балла в "
                    f"форме не указан; балл — от 0 до {ind.max_score} "
                    f"(подпунктов: {ind.max_score})."
                )
            elif ind.seed_max != ind.max_score:
                notes.append(
                    f"{block.short_ru}, показатель {ind.num} «{ind.title_ru}»: в форме указан "
                    f"диапазон «от 0 до {ind.seed_max}», но подпунктов {ind.max_score}; балл "
                    f"считается от 0 до {ind.max_score} (опечатка формы исправлена)."
                )
    return notes


# ---------------------------------------------------------------------------- writing: styles


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="A6A6A6")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "head_fill": PatternFill("solid", fgColor="DDEBF7"),
        "group_fill": PatternFill("solid", fgColor="BDD7EE"),
        "na_fill": PatternFill("solid", fgColor="D9D9D9"),
        "input_fill": PatternFill("solid", fgColor="FFFFFF"),
        "meta_fill": PatternFill("solid", fgColor="FFF2CC"),
        "bold": Font(bold=True),
        "title": Font(bold=True, size=13),
        "code": Font(size=8, italic=True, color="7F7F7F"),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "wrap_center": Alignment(wrap_text=True, vertical="center", horizontal="center"),
        "center": Alignment(horizontal="center", vertical="center"),
    }


def _height(text: str, width_chars: float, line_pt: float = 13.0, min_pt: float = 15.0) -> float:
    """Row height that shows ``text`` wrapped in a column ``width_chars`` wide."""
    per_line = max(int(width_chars * 1.1) - 1, 1)
    lines = sum(max(1, -(-len(part) // per_line)) for part in str(text).split("\n"))
    return float(min(max(min_pt, lines * line_pt + 4), 409))


def _validation_presence():
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        type="list",
        formula1='"0,1"',
        allow_blank=True,
        showDropDown=False,  # False = show the in-cell drop-down arrow
        showErrorMessage=True,
        errorTitle="Допустимо 0 или 1",
        error="Введите 1 (наличие) или 0 (отсутствие).",
        showInputMessage=True,
        promptTitle="Балл 0/1",
        prompt="1 — есть (наличие), 0 — нет (отсутствие).",
    )


def _validation_count():
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Целое число не меньше 0",
        error="Введите целое неотрицательное число (0, если таких нет).",
        showInputMessage=True,
        promptTitle="Количество",
        prompt="Целое число, 0 или больше.",
    )


def _validation_date():
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        type="date",
        operator="between",
        formula1=str(EXCEL_DATE_MIN),
        formula2=str(EXCEL_DATE_MAX),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Нужна дата",
        error="Введите дату в формате ДД.ММ.ГГГГ.",
        showInputMessage=True,
        promptTitle="Дата",
        prompt="ДД.ММ.ГГГГ",
    )


def _validation_list(choices: Sequence[str]):
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Значение из списка",
        error="Выберите значение из списка: " + ", ".join(choices) + ".",
    )


def _validation_year():
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        type="whole",
        operator="between",
        formula1="2000",
        formula2="2100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Год",
        error="Введите год четырьмя цифрами, например 2024.",
    )


# ---------------------------------------------------------------------------- writing: sheets


def _instructions(wb, block: Block, year: int | None, municipality: str | None) -> None:
    st = _styles()
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 100
    ws["A1"] = "Мониторинг результативности системы методической помощи ШНОР"
    ws["A1"].font = st["title"]
    ws["A2"] = f"Форма «{block.title_ru}» (лист «{block.sheet}»)"
    ws["A2"].font = st["bold"]
    ws["A4"], ws["A5"] = MUNI_LABEL, YEAR_LABEL
    for ref in ("A4", "A5"):
        ws[ref].font = st["bold"]
    for ref in ("B4", "B5"):
        ws[ref].fill = st["meta_fill"]
        ws[ref].border = st["border"]
    ws["B4"] = municipality
    ws["B5"] = year
    dv = _validation_year()
    ws.add_data_validation(dv)
    dv.add("B5")
    lines = _instruction_lines(block)
    row = 7
    ws.cell(row, 1, "Как заполнять").font = st["bold"]
    for i, text in enumerate(lines, start=1):
        row += 1
        ws.cell(row, 1, f"{i}.").alignment = st["wrap"]
        c = ws.cell(row, 2, text)
        c.alignment = st["wrap"]
        ws.row_dimensions[row].height = _height(text, 100)
    if block.indicators:
        row += 2
        ws.cell(row, 1, "Показатели и диапазоны баллов").font = st["bold"]
        row += 1
        for col, head in enumerate(
            ("Показатель", "Подпункты (столбцы листа) и диапазон балла"), start=1
        ):
            c = ws.cell(row, col, head)
            c.font, c.fill, c.border = st["bold"], st["head_fill"], st["border"]
        for ind in block.indicators:
            row += 1
            subs = ", ".join(it.num for it in ind.items)
            text = f"подпункты {subs}; балл от 0 до {ind.max_score}"
            if ind.seed_max is not None and ind.seed_max != ind.max_score:
                text += (
                    f" (в исходной форме указано «от 0 до {ind.seed_max}» — опечатка: "
                    f"подпунктов {ind.max_score})"
                )
            elif ind.seed_max is None:
                text += " (в исходной форме диапазон не указан)"
            a = ws.cell(row, 1, f"{ind.num}. {ind.title_ru}")
            b = ws.cell(row, 2, text)
            for c in (a, b):
                c.alignment, c.border = st["wrap"], st["border"]
            ws.row_dimensions[row].height = max(_height(a.value, 34), _height(text, 100))
    row += 2
    ws.cell(row, 1, "Источник формы").font = st["bold"]
    src = ws.cell(row, 2, _source_ru())
    src.alignment = st["wrap"]
    ws.row_dimensions[row].height = _height(src.value, 100)


def _source_ru() -> str:
    return str(_raw_forms().get("source_ru", "")).strip()


def _instruction_lines(block: Block) -> list[str]:
    common_tail = [
        "Укажите муниципальное образование и отчётный год в жёлтых ячейках выше. Форма "
        "с другим годом не используется в отчёте за текущий год.",
        "Не переименовывайте лист формы и не удаляйте служебную строку с кодами (серый мелкий "
        "шрифт): по ним программа находит пункты.",
        "Не указывайте фамилии, имена и другие персональные данные: строки формы обозначаются "
        "условными кодами. Столбцы с ФИО при загрузке удаляются.",
        "Сохраните файл в формате .xlsx (Книга Excel) и поместите его в папку "
        "data/raw/<муниципалитет>/forms/. Программа проверит все формы и сообщит о каждой "
        "ошибке с указанием листа, строки и пункта.",
    ]
    if block.layout == "items":
        return [
            "В столбце «Баллы (наличие — 1, отсутствие — 0)» поставьте 1, если параметр есть, "
            "и 0, если его нет (выбор из списка).",
            "В столбце «Количественные показатели» укажите целое число (0, если таких нет).",
            "Серые ячейки со знаком «*» не заполняются (так в исходной форме). Пустые ячейки "
            "в остальных строках не допускаются.",
            *common_tail,
        ]
    if block.layout == "units":
        keys = "; ".join(f"«{k.label_ru}» — {k.hint_ru}" for k in block.keys)
        return [
            f"Одна строка — одна оцениваемая единица: {block.unit_ru}.",
            f"Идентификаторы строки: {keys}.",
            "По каждому подпункту поставьте 1 (есть, наличие) или 0 (нет, отсутствие); пустые "
            "ячейки не допускаются. Столбец «Примечание» — свободный текст, в расчёт не входит.",
            "Балл по показателю — сумма его подпунктов; «средний балл по показателю» программа "
            "рассчитывает по всем строкам формы и показывает также в % от максимума.",
            *common_tail,
        ]
    return [
        "Одна строка — одно мероприятие дорожной карты. Обязательны номер, наименование и срок "
        "исполнения.",
        "«Уровень» выбирается из списка (край, муниципалитет, ОО). Даты — в формате ДД.ММ.ГГГГ.",
        "«Дата выполнения» заполняется, когда мероприятие проведено; для невыполненных — пусто.",
        "«Ссылка на материалы» — адрес страницы с информацией о мероприятии на сайте УО.",
        "Если в папке данных есть и таблица roadmap.csv/roadmap.xlsx, и эта форма, "
        "используется форма (программа предупредит о расхождениях).",
        *common_tail,
    ]


def _sheet_help(wb, block: Block) -> None:
    st = _styles()
    ws = wb.create_sheet(block.sheet)
    widths = {"A": 7, "B": 90, "C": 17, "D": 17, "E": 40}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w
    ws.merge_cells("A1:D1")
    ws["A1"] = block.title_ru
    ws["A1"].font = st["title"]
    heads = (
        "№ п/п",
        "Наименование оцениваемого параметра (показателя результативности)",
        "Баллы (наличие — 1, отсутствие — 0)",
        "Количественные показатели",
        "Код пункта (служебный)",
    )
    for col, text in enumerate(heads, start=1):
        c = ws.cell(HELP_HEADER_ROW, col, text)
        c.font, c.fill, c.border, c.alignment = (
            st["bold"],
            st["head_fill"],
            st["border"],
            st["wrap_center"],
        )
    ws.row_dimensions[HELP_HEADER_ROW].height = 45
    presence, count = [], []
    for k, item in enumerate(block.items):
        r = HELP_FIRST_ITEM_ROW + k
        ws.cell(r, 1, item.num).alignment = st["center"]
        ws.cell(r, 2, item.text_ru).alignment = st["wrap"]
        score, qty = ws.cell(r, 3), ws.cell(r, 4)
        na, value = (qty, score) if item.kind == "presence" else (score, qty)
        na.value, na.fill, na.alignment = "*", st["na_fill"], st["center"]
        value.fill, value.alignment = st["input_fill"], st["center"]
        (presence if item.kind == "presence" else count).append(value.coordinate)
        code = ws.cell(r, 5, item.id)
        code.font = st["code"]
        for col in range(1, 6):
            ws.cell(r, col).border = st["border"]
        ws.row_dimensions[r].height = _height(item.text_ru, 90)
    dv_p, dv_c = _validation_presence(), _validation_count()
    for dv, cells in ((dv_p, presence), (dv_c, count)):
        ws.add_data_validation(dv)
        for ref in cells:
            dv.add(ref)
    ws.freeze_panes = f"A{HELP_FIRST_ITEM_ROW}"


def _sheet_units(wb, block: Block, n_rows: int) -> None:
    from openpyxl.utils import get_column_letter

    st = _styles()
    ws = wb.create_sheet(block.sheet)
    cols = block.columns
    n_keys = len(block.keys)
    last = get_column_letter(len(cols))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = f"{block.title_ru}. Одна строка — {block.unit_ru}."
    ws["A1"].font = st["title"]
    ws.row_dimensions[1].height = 20
    for j, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(j)].width = col.width
    # row 2: key labels (merged with row 3) and indicator titles (merged across sub-items)
    j = 1
    for col in block.keys:
        letter = get_column_letter(j)
        ws.merge_cells(f"{letter}2:{letter}3")
        c = ws.cell(2, j, col.label_ru)
        c.font, c.fill, c.alignment = st["bold"], st["group_fill"], st["wrap_center"]
        j += 1
    group_height = 30.0
    for ind in block.indicators:
        first, width = j, len(ind.items)
        text = f"{ind.num}. {ind.title_ru} (балл от 0 до {ind.max_score})"
        if width > 1:
            ws.merge_cells(start_row=2, start_column=first, end_row=2, end_column=first + width - 1)
        c = ws.cell(2, first, text)
        c.font, c.fill, c.alignment = st["bold"], st["group_fill"], st["wrap_center"]
        group_height = max(group_height, _height(text, 22 * width))
        j += width
    letter = get_column_letter(j)
    ws.merge_cells(f"{letter}2:{letter}3")
    c = ws.cell(2, j, "Примечание")
    c.font, c.fill, c.alignment = st["bold"], st["group_fill"], st["wrap_center"]
    ws.row_dimensions[2].height = group_height
    # row 3: sub-item wording; row 4: codes
    text_height = 30.0
    for j, col in enumerate(cols, start=1):
        if col.item is not None:
            c = ws.cell(3, j, col.label_ru)
            c.fill, c.alignment = st["head_fill"], st["wrap"]
            text_height = max(text_height, _height(col.label_ru, col.width))
        code = ws.cell(UNITS_CODE_ROW, j, col.id)
        code.font, code.alignment = st["code"], st["center"]
        for r in (2, 3, UNITS_CODE_ROW):
            ws.cell(r, j).border = st["border"]
    ws.row_dimensions[3].height = text_height
    first_data = UNITS_CODE_ROW + 1
    last_data = first_data + n_rows - 1
    template = ws.cell(first_data, 1)
    template.border = st["border"]
    for r in range(first_data, last_data + 1):
        for j in range(1, len(cols) + 1):
            ws.cell(r, j)._style = copy(template._style)  # fast: no style lookup per cell
    first_item = get_column_letter(n_keys + 1)
    last_item = get_column_letter(n_keys + len(block.items))
    dv = _validation_presence()
    ws.add_data_validation(dv)
    last_valid = first_data + max(n_rows, VALIDATED_ROWS) - 1
    dv.add(f"{first_item}{first_data}:{last_item}{last_valid}")
    ws.freeze_panes = f"{get_column_letter(n_keys + 1)}{first_data}"


def _sheet_events(wb, block: Block, n_rows: int) -> None:
    from openpyxl.utils import get_column_letter

    st = _styles()
    ws = wb.create_sheet(block.sheet)
    cols = block.columns
    last = get_column_letter(len(cols))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = block.title_ru
    ws["A1"].font = st["title"]
    first_data = EVENTS_CODE_ROW + 1
    last_data = first_data + n_rows - 1
    for j, col in enumerate(cols, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = col.width
        head = col.label_ru + (" *" if col.required else "")
        c = ws.cell(2, j, head)
        c.font, c.fill, c.border, c.alignment = (
            st["bold"],
            st["head_fill"],
            st["border"],
            st["wrap_center"],
        )
        code = ws.cell(EVENTS_CODE_ROW, j, col.id)
        code.font, code.border, code.alignment = st["code"], st["border"], st["center"]
        rng = f"{letter}{first_data}:{letter}{first_data + max(n_rows, VALIDATED_ROWS) - 1}"
        if col.kind == "date":
            dv = _validation_date()
        elif col.kind == "choice":
            dv = _validation_list(col.choices)
        else:
            dv = None
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(rng)
        template = ws.cell(first_data, j)
        template.border = st["border"]
        if col.kind == "date":
            template.number_format = "DD.MM.YYYY"
        elif col.kind == "text" and col.width >= 40:
            template.alignment = st["wrap"]
        for r in range(first_data + 1, last_data + 1):
            ws.cell(r, j)._style = copy(template._style)  # fast: no style lookup per cell
    ws.row_dimensions[2].height = 32
    ws.freeze_panes = f"B{first_data}"


def build_workbook(
    block_key: str,
    *,
    n_rows: int | None = None,
    year: int | None = None,
    municipality: str | None = None,
):
    """An openpyxl Workbook with the «Инструкция» sheet and the block's form sheet."""
    from openpyxl import Workbook

    block = load_forms()[block_key]
    wb = Workbook()
    wb.remove(wb.active)
    _instructions(wb, block, year, municipality)
    rows = BLANK_ROWS.get(block_key, 0) if n_rows is None else max(int(n_rows), 1)
    if block.layout == "items":
        _sheet_help(wb, block)
    elif block.layout == "units":
        _sheet_units(wb, block, rows)
    else:
        _sheet_events(wb, block, rows)
    wb.active = 0
    return wb


def save_workbook(wb, path: Path) -> Path:
    """Save with fixed timestamps (zip entries and document properties): byte-identical
    output for identical content."""
    fixed = datetime(2000, 1, 1)
    wb.properties.creator = "shnor"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"<dcterms:(created|modified)([^>]*)>[^<]*<",
                    rb"<dcterms:\1\2>2000-01-01T00:00:00Z<",
                    content,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, content)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(out.getvalue())
    tmp.replace(path)
    return path


def write_blank_forms(out_dir: Path) -> list[Path]:
    """Blank forms, one workbook per block of seed 001; returns the written paths."""
    out_dir = Path(out_dir)
    paths = []
    for key in BLOCKS:
        block = load_forms()[key]
        paths.append(save_workbook(build_workbook(key), out_dir / block.file))
    return paths


# ---------------------------------------------------------------------------- filling


def fill_workbook(wb, block_key: str, data: Any) -> None:
    """Write answers into a form workbook built by :func:`build_workbook`.

    ``data``: help — mapping item_id → value; МНЦ/МТКП — a DataFrame (or list of dicts) with
    the key columns and item ids; roadmap — a DataFrame with the roadmap columns (dates as
    dates or ISO strings; empty → blank cell).
    """
    block = load_forms()[block_key]
    ws = wb[block.sheet]
    if block.layout == "items":
        for k, item in enumerate(block.items):
            if item.id in data:
                col = 3 if item.kind == "presence" else 4
                ws.cell(HELP_FIRST_ITEM_ROW + k, col, _excel_value(data[item.id]))
        return
    frame = pd.DataFrame(data)
    code_row = UNITS_CODE_ROW if block.layout == "units" else EVENTS_CODE_ROW
    for j, col in enumerate(block.columns, start=1):
        if col.id not in frame:
            continue
        for i, v in enumerate(frame[col.id].tolist()):
            value = _excel_value(v)
            if col.kind == "date" and isinstance(value, str) and value:
                value = pd.Timestamp(value).to_pydatetime()
            ws.cell(code_row + 1 + i, j, value)


def _excel_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v).to_pydatetime()
    if isinstance(v, str) and v == "":
        return None
    return v


def write_filled_forms(
    out_dir: Path,
    *,
    seed: int,
    year: int,
    schools: Sequence[str],
    teachers: Mapping[str, Any] | pd.DataFrame | None = None,
    roadmap: Mapping[str, Any] | pd.DataFrame | None = None,
    municipality: str | None = None,
) -> list[Path]:
    """Synthetic filled forms for the demo (deterministic for a seed; used by ``synth``).

    ``schools``: the ШНОР whose management teams (МНЦ) and teachers (МТКП) are assessed;
    ``teachers``: the teachers table (columns year, school_id, teacher_id) to draw the
    МТКП teachers from; ``roadmap``: the roadmap table, copied into the roadmap form.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1001]))
    schools = sorted(str(s) for s in schools)
    n = len(schools)
    out_dir = Path(out_dir)
    forms = load_forms()
    paths: list[Path] = []

    # methodical help: one answer per item
    help_values: dict[str, int] = {}
    for item in forms["help"].items:
        if item.kind == "presence":
            help_values[item.id] = int(rng.random() < 0.8)
    counts = {
        "b1_08_n_schools_in_events": int(rng.integers(max(n - 2, 0), n + 1)),
        "b1_09_n_leader_schools_in_network": int(rng.integers(1, 5)),
        "b1_10_n_lowres_schools_in_network": int(rng.integers(max(n - 3, 0), n + 1)),
        "b1_11_n_schools_targeted_help": int(rng.integers(max(n - 1, 0), n + 1)),
        "b1_12_n_participants_events": int(rng.integers(20, 121)),
    }
    help_values.update(counts)
    wb = build_workbook("help", year=year, municipality=municipality)
    fill_workbook(wb, "help", help_values)
    paths.append(save_workbook(wb, out_dir / forms["help"].file))

    # МНЦ: one row per ШНОР management team; a mentor may lead two teams
    n_mentors = max(1, -(-n // 2)) if n else 0
    mentor_of = [f"Н-{(i % n_mentors) + 1:02d}" for i in range(n)] if n else []
    p_by_indicator = {1: 0.95, 2: 0.85, 3: 0.8, 4: 0.65, 5: 0.45, 6: 0.5}
    rows = []
    for i, sid in enumerate(schools):
        team = rng.normal(0, 0.12)
        row: dict[str, Any] = {"mentor_code": mentor_of[i], "school_id": sid}
        for ind in forms["mnc"].indicators:
            p = float(np.clip(p_by_indicator[ind.num] + team, 0.02, 0.98))
            for item in ind.items:
                row[item.id] = int(rng.random() < p)
        rows.append(row)
    wb = build_workbook("mnc", n_rows=len(rows), year=year, municipality=municipality)
    fill_workbook(wb, "mnc", pd.DataFrame(rows))
    paths.append(save_workbook(wb, out_dir / forms["mnc"].file))

    # МТКП: tutor × teacher pairs, 2–4 teachers per ШНОР in the reporting year
    t = pd.DataFrame(teachers) if teachers is not None else pd.DataFrame()
    rows = []
    p_by_indicator = {1: 0.95, 2: 0.8, 3: 0.85, 4: 0.6, 5: 0.45, 6: 0.55}
    tutor = 0
    for sid in schools:
        pool: list[str] = []
        if not t.empty:
            sel = t[(t["school_id"].astype(str) == sid) & (t["year"].astype(int) == int(year))]
            pool = sorted(sel["teacher_id"].astype(str).unique())
        if not pool:
            pool = [f"П-{sid}-{k + 1}" for k in range(4)]
        k = int(rng.integers(2, 5))
        picked = [
            pool[i] for i in sorted(rng.choice(len(pool), size=min(k, len(pool)), replace=False))
        ]
        for tid in picked:
            tutor += 1
            teacher_eff = rng.normal(0, 0.15)
            row = {
                "tutor_code": f"Т-{(tutor - 1) // 2 + 1:02d}",
                "teacher_code": tid,
                "school_id": sid,
            }
            for ind in forms["mtkp"].indicators:
                p = float(np.clip(p_by_indicator[ind.num] + teacher_eff, 0.02, 0.98))
                for item in ind.items:
                    row[item.id] = int(rng.random() < p)
            rows.append(row)
    wb = build_workbook("mtkp", n_rows=len(rows), year=year, municipality=municipality)
    fill_workbook(wb, "mtkp", pd.DataFrame(rows))
    paths.append(save_workbook(wb, out_dir / forms["mtkp"].file))

    # roadmap: the same events as roadmap.csv
    rm = pd.DataFrame(roadmap) if roadmap is not None else pd.DataFrame()
    wb = build_workbook("roadmap", n_rows=len(rm), year=year, municipality=municipality)
    if not rm.empty:
        fill_workbook(wb, "roadmap", rm)
    paths.append(save_workbook(wb, out_dir / forms["roadmap"].file))
    return paths


# ---------------------------------------------------------------------------- reading helpers


def _rel(path: Path, root: Path | None) -> str:
    if root is None:
        return str(path)
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _norm(text: Any) -> str:
    return schema.norm_key(text) if text is not None else ""


def _text(v: Any) -> str | None:
    """A cell as stripped text (integral floats without «.0»); None when blank."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, float):
        if np.isnan(v):
            return None
        if v.is_integer():
            return str(int(v))
    if isinstance(v, datetime | date):
        return v.strftime("%Y-%m-%d")
    s = str(v).replace("\u00a0", " ").strip()
    return s or None


_BOOL01 = {"0": 0, "1": 1, "да": 1, "нет": 0}
_NA_MARKS = {"*", "-", "—", "–", "х", "x"}


def _presence(v: Any) -> tuple[int | None, str | None]:
    """(value, error) for a 0/1 cell: error is 'blank' or 'bad'."""
    if isinstance(v, bool):
        return int(v), None
    if isinstance(v, int | float) and not (isinstance(v, float) and np.isnan(v)):
        return (int(v), None) if v in (0, 1) else (None, "bad")
    s = _text(v)
    if s is None:
        return None, "blank"
    s = s.lower().replace(",", ".")
    if s in ("0.0", "1.0"):
        s = s[0]
    if s in _BOOL01:
        return _BOOL01[s], None
    return None, "bad"


def _count(v: Any) -> tuple[int | None, str | None]:
    """(value, error) for a non-negative integer cell: error is 'blank', 'text' or 'range'."""
    if isinstance(v, bool):
        return None, "text"
    if isinstance(v, int | float) and not (isinstance(v, float) and np.isnan(v)):
        num = float(v)
    else:
        s = _text(v)
        if s is None:
            return None, "blank"
        s = s.replace(" ", "").replace("\u202f", "").replace(",", ".")
        try:
            num = float(s)
        except ValueError:
            return None, "text"
        if not np.isfinite(num):
            return None, "text"
    if not num.is_integer():
        return None, "text"
    if num < 0:
        return None, "range"
    return int(num), None


def _date(v: Any) -> pd.Timestamp | None | str:
    """A date cell → Timestamp; None when blank; the string 'bad' when not a date."""
    if v is None:
        return None
    if isinstance(v, datetime | date):
        return pd.Timestamp(v).normalize()
    if isinstance(v, int | float) and not isinstance(v, bool):
        if np.isnan(v):
            return None
        if EXCEL_DATE_MIN <= v <= EXCEL_DATE_MAX:
            return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(v))).normalize()
        return "bad"
    s = _text(v)
    if s is None:
        return None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return pd.Timestamp(datetime.strptime(s, fmt)).normalize()
        except ValueError:
            continue
    return "bad"


_NAME_RE = re.compile(
    r"^[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?\s+(?:[А-ЯЁ]\.\s*[А-ЯЁ]?\.?|[А-ЯЁ][а-яё]+(?:\s+[А-ЯЁ][а-яё]+)?)$"
)


def looks_like_name(value: str) -> bool:
    """«Иванова И.И.», «Иванова Ирина Петровна»: a person's name, not a pseudonymous code."""
    return bool(_NAME_RE.match(str(value).strip()))


_INITIALS_RE = re.compile(
    r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?\s+[А-ЯЁ]\.\s*(?:[А-ЯЁ]\.)?|[А-ЯЁ]\.\s*(?:[А-ЯЁ]\.\s*)?[А-ЯЁ][а-яё]+"
)


def mask_names(value: Any) -> Any:
    """«Симоненко Л.И., главный специалист УО» → «(ФИО скрыто), главный специалист УО»:
    surnames with initials are not published (M11); organisations and posts stay."""
    if not isinstance(value, str):
        return value
    from .io.personal import hide_names  # full names, Latin names and contacts as well

    return hide_names(_INITIALS_RE.sub("(ФИО скрыто)", value))


class _Problems:
    """Problems of one form file, with locations «лист "…", ячейка …, пункт …»."""

    LABEL = ("место", "location")

    def __init__(self, file: str, sheet: str) -> None:
        self.file = file
        self.sheet = sheet
        self.items: list[Problem] = []

    def where(self, coord: str | None = None, what: str | None = None) -> str:
        parts = [f'лист "{self.sheet}"']
        if coord:
            parts.append(f"ячейка {coord}")
        if what:
            parts.append(what)
        return ", ".join(parts)

    def add(
        self,
        ru: str,
        en: str,
        *,
        row: int | None = None,
        coord: str | None = None,
        what: str | None = None,
        value: Any = None,
    ) -> None:
        self.items.append(
            Problem(
                self.file,
                ru,
                en,
                row=row,
                column=self.where(coord, what),
                value=value,
                column_label=self.LABEL,
            )
        )


def _item_label(item: Item) -> str:
    return f"пункт {item.num} ({item.id})"


# ---------------------------------------------------------------------------- reading forms


@dataclass
class FormsData:
    """Parsed filled forms (rows of the forms: stay in memory / data/processed only)."""

    help: pd.DataFrame | None = None  # item_id, kind, value
    mnc: pd.DataFrame | None = None  # keys + item ids (0/1), _file, _row
    mtkp: pd.DataFrame | None = None
    roadmap: pd.DataFrame | None = None  # the roadmap table contract
    files: dict[str, list[str]] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def get(self, key: str) -> pd.DataFrame | None:
        return getattr(self, key)


def _sheet_rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _cell(rows: list[tuple], r: int, c: int) -> Any:
    """Value at 1-based (row, col); None outside the used range."""
    if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
        return rows[r - 1][c - 1]
    return None


def _coord(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c)}{r}"


def _form_year(wb, out: _Problems) -> int | None:
    if INSTRUCTIONS_SHEET not in wb.sheetnames:
        return None
    rows = _sheet_rows(wb[INSTRUCTIONS_SHEET])
    for r in range(1, min(len(rows), 20) + 1):
        if _norm(_cell(rows, r, 1)) == _norm(YEAR_LABEL):
            v = _cell(rows, r, 2)
            if v is None or _text(v) is None:
                return None
            num, err = _count(v)
            if err or not 2000 <= (num or 0) <= 2100:
                p = _Problems(out.file, INSTRUCTIONS_SHEET)
                p.add(
                    "отчётный год четырьмя цифрами (например, 2024)",
                    "the reporting year as four digits (e.g. 2024)",
                    row=r,
                    coord=_coord(r, 2),
                    what=f"«{YEAR_LABEL}»",
                    value=v,
                )
                out.items.extend(p.items)
                return None
            return num
    return None


def _read_help(rows: list[tuple], block: Block, out: _Problems) -> pd.DataFrame:
    by_id = {it.id: it for it in block.items}
    by_num = {it.num: it for it in block.items}
    # header row: the columns «Баллы» and «Количественные показатели»
    score_col, count_col, num_col, code_col, header_row = 3, 4, 1, None, HELP_HEADER_ROW
    for r in range(1, min(len(rows), 10) + 1):
        found = {}
        for c, v in enumerate(rows[r - 1], start=1):
            t = _norm(v)
            if t.startswith("баллы"):
                found["score"] = c
            elif t.startswith("количеств"):
                found["count"] = c
            elif t.startswith("№"):
                found["num"] = c
            elif t.startswith("код пункта"):
                found["code"] = c
        if "score" in found and "count" in found:
            score_col, count_col = found["score"], found["count"]
            num_col = found.get("num", num_col)
            code_col = found.get("code")
            header_row = r
            break
    seen: dict[str, int] = {}
    values = []
    for r in range(header_row + 1, len(rows) + 1):
        row = rows[r - 1]
        item = None
        if code_col is not None and _text(_cell(rows, r, code_col)) in by_id:
            item = by_id[_text(_cell(rows, r, code_col))]
        else:
            for v in row:
                if _text(v) in by_id:
                    item = by_id[_text(v)]
                    break
            if item is None and _text(_cell(rows, r, num_col)) in by_num:
                item = by_num[_text(_cell(rows, r, num_col))]
        if item is None:
            continue
        if item.id in seen:
            out.add(
                f"одна строка на пункт; пункт уже есть в строке {seen[item.id]}",
                f"one row per item; the item is already in row {seen[item.id]}",
                row=r,
                what=_item_label(item),
            )
            continue
        seen[item.id] = r
        value_col, na_col = (
            (score_col, count_col) if item.kind == "presence" else (count_col, score_col)
        )
        raw = _cell(rows, r, value_col)
        if item.kind == "presence":
            value, err = _presence(raw)
            if err == "blank":
                out.add(
                    "заполненная ячейка «Баллы»: 1 (наличие) или 0 (отсутствие); пустая ячейка "
                    "не допускается",
                    "a filled score cell: 1 (present) or 0 (absent); a blank is not allowed",
                    row=r,
                    coord=_coord(r, value_col),
                    what=_item_label(item),
                )
            elif err:
                out.add(
                    "1 (наличие) или 0 (отсутствие)",
                    "1 (present) or 0 (absent)",
                    row=r,
                    coord=_coord(r, value_col),
                    what=_item_label(item),
                    value=raw,
                )
        else:
            value, err = _count(raw)
            _count_problem(out, err, r, _coord(r, value_col), _item_label(item), raw)
        other = _text(_cell(rows, r, na_col))
        if other is not None and other not in _NA_MARKS:
            col_ru = "Количественные показатели" if item.kind == "presence" else "Баллы"
            out.add(
                f"пустая ячейка или «*»: для этого пункта столбец «{col_ru}» не заполняется "
                "(значение, возможно, введено не в тот столбец)",
                "an empty cell or «*»: this column does not apply to the item "
                "(the value may be in the wrong column)",
                row=r,
                coord=_coord(r, na_col),
                what=_item_label(item),
                value=_cell(rows, r, na_col),
            )
        if value is not None:
            values.append({"item_id": item.id, "kind": item.kind, "value": int(value), "_row": r})
    for item in block.items:
        if item.id not in seen:
            out.add(
                "строка пункта формы (не найдена: пункт удалён или изменён его код/номер)",
                "the item's row (not found: deleted, or its code/number changed)",
                what=_item_label(item),
            )
    return pd.DataFrame(values, columns=["item_id", "kind", "value", "_row"])


def _count_problem(out: _Problems, err: str | None, r: int, coord: str, what: str, raw) -> None:
    if err == "blank":
        out.add(
            "заполненная ячейка: целое число не меньше 0 (0, если таких нет); пустая ячейка не "
            "допускается",
            "a filled cell: a whole number >= 0 (0 if none); a blank is not allowed",
            row=r,
            coord=coord,
            what=what,
        )
    elif err == "text":
        out.add(
            "целое число не меньше 0 (цифрами, без текста)",
            "a whole number >= 0 (digits, no text)",
            row=r,
            coord=coord,
            what=what,
            value=raw,
        )
    elif err == "range":
        out.add(
            "целое число не меньше 0",
            "a whole number >= 0",
            row=r,
            coord=coord,
            what=what,
            value=raw,
        )


def _find_code_row(rows: list[tuple], lookup: dict[str, str], need: int) -> int | None:
    best, best_n = None, 0
    for r in range(1, min(len(rows), 12) + 1):
        n = sum(1 for v in rows[r - 1] if _norm(v) in lookup)
        if n >= best_n and n >= need:
            best, best_n = r, n
    return best


def _header_text(rows: list[tuple], code_row: int, c: int) -> str:
    parts = [_text(_cell(rows, r, c)) for r in range(2, code_row + 1)]
    return " ".join(p for p in parts if p)


def _read_table_sheet(
    rows: list[tuple],
    block: Block,
    out: _Problems,
    warnings: list[str],
    *,
    school_ids: set[str] | None,
) -> pd.DataFrame:
    """МНЦ, МТКП (units) and roadmap (events) sheets: one row per unit / event."""
    lookup: dict[str, str] = {}
    for col in block.columns:
        lookup[_norm(col.id)] = col.id
        lookup[_norm(col.label_ru)] = col.id
        lookup[_norm(col.label_ru + " *")] = col.id
    if block.layout == "events":
        for alias, canon in schema.header_map(schema.TABLES["roadmap"]).items():
            lookup.setdefault(alias, canon)
    need = len(block.keys) + 1 if block.layout == "units" else 2
    code_row = _find_code_row(rows, lookup, need)
    code_row_default = UNITS_CODE_ROW if block.layout == "units" else EVENTS_CODE_ROW
    if code_row is None:
        out.add(
            f"служебная строка с кодами столбцов (строка {code_row_default} бланка: "
            f"{', '.join(c.id for c in block.columns[:3])}, …); заполните бланк, выданный "
            "командой shnor forms",
            f"the row of column codes (row {code_row_default} of the blank form); use the blank "
            "written by shnor forms",
            row=code_row_default,
        )
        return pd.DataFrame()
    width = max((len(r) for r in rows), default=0)
    col_of: dict[str, int] = {}
    dropped_personal, unknown = [], []
    for c in range(1, width + 1):
        key = lookup.get(_norm(_cell(rows, code_row, c)))
        header = _header_text(rows, code_row, c)
        if key is None:
            if header and schema.is_personal(header):
                dropped_personal.append(header)
                continue
            has_data = any(_text(_cell(rows, r, c)) for r in range(code_row + 1, len(rows) + 1))
            if has_data or header:
                unknown.append(header or _coord(code_row, c))
            continue
        if key in col_of:
            out.add(
                f"один столбец «{key}», а найдены два: {_coord(code_row, col_of[key])} и "
                f"{_coord(code_row, c)}",
                f"one column '{key}', found two",
                row=code_row,
                coord=_coord(code_row, c),
                value=key,
            )
            continue
        col_of[key] = c
    if dropped_personal:
        warnings.append(
            f"{out.file}, лист «{out.sheet}»: удалены столбцы с персональными данными (не "
            "используются и не сохраняются): "
            + ", ".join(f"«{h}»" for h in dropped_personal)
            + " (personal-data columns dropped)"
        )
    if unknown:
        warnings.append(
            f"{out.file}, лист «{out.sheet}»: неизвестные столбцы отложены и не используются: "
            + ", ".join(f"«{u[:60]}»" for u in unknown)
            + " (unknown columns set aside)"
        )
    missing = [c for c in block.columns if c.id not in col_of and c.kind != "comment"]
    for col in missing:
        if col.item is None and not col.required:
            continue  # an optional roadmap column (level, form, done, …) may be left out
        what = _item_label(col.item) if col.item else f"столбец «{col.label_ru}» ({col.id})"
        out.add(
            "столбец формы (не найден: удалён или изменён его код в служебной строке)",
            "the form's column (not found: deleted, or its code changed)",
            row=code_row,
            what=what,
        )
    if any(c.item is None and c.required for c in missing):
        return pd.DataFrame()  # rows cannot be identified
    used = [c for c in block.columns if c.id in col_of and c.kind != "comment"]
    records = []
    for r in range(code_row + 1, len(rows) + 1):
        cells = {c.id: _cell(rows, r, col_of[c.id]) for c in used}
        if all(_text(v) is None for v in cells.values()):
            continue
        rec: dict[str, Any] = {"_row": r}
        for col in used:
            v = cells[col.id]
            coord = _coord(r, col_of[col.id])
            rec[col.id] = _parse_cell(col, v, r, coord, out, school_ids)
        records.append(rec)
    frame = pd.DataFrame(records, columns=["_row", *[c.id for c in used]])
    key = list(ROW_KEYS[block.key])
    key = [k for k in key if k in frame]
    if key and not frame.empty:
        ok = frame[key].notna().all(axis=1)
        dup = frame[ok].duplicated(subset=key, keep="first")
        first = frame[ok].groupby(key, dropna=False)["_row"].transform("min")
        for idx in frame[ok].index[dup.to_numpy()]:
            keyval = ", ".join(f"{k}={frame.at[idx, k]}" for k in key)
            out.add(
                f"уникальная строка; повторяет строку {int(first[idx])} ({keyval})",
                f"a unique row; repeats row {int(first[idx])} ({keyval})",
                row=int(frame.at[idx, "_row"]),
                what=" + ".join(key),
                value=keyval,
            )
    return frame


def _parse_cell(
    col: Column, v: Any, r: int, coord: str, out: _Problems, school_ids: set[str] | None
) -> Any:
    what = _item_label(col.item) if col.item else f"столбец «{col.label_ru}» ({col.id})"
    if col.kind == "presence":
        value, err = _presence(v)
        if err == "blank":
            out.add(
                "заполненная ячейка: 1 (наличие) или 0 (отсутствие); пустая ячейка не допускается",
                "a filled cell: 1 (present) or 0 (absent); a blank is not allowed",
                row=r,
                coord=coord,
                what=what,
            )
        elif err:
            out.add(
                "1 (наличие) или 0 (отсутствие)",
                "1 (present) or 0 (absent)",
                row=r,
                coord=coord,
                what=what,
                value=v,
            )
        return value
    if col.kind == "date":
        d = _date(v)
        if isinstance(d, str):
            out.add(
                "дата (ДД.ММ.ГГГГ)",
                "a date (DD.MM.YYYY)",
                row=r,
                coord=coord,
                what=what,
                value=v,
            )
            return None
        if d is None and col.required:
            out.add(
                "обязательная дата (ячейка пуста)",
                "a required date (the cell is empty)",
                row=r,
                coord=coord,
                what=what,
            )
        return d
    s = _text(v)
    if s is None:
        if col.required:
            out.add(
                f"обязательное значение (ячейка пуста){': ' + col.hint_ru if col.hint_ru else ''}",
                "a required value (the cell is empty)",
                row=r,
                coord=coord,
                what=what,
            )
        return None
    if col.kind == "key" and col.id != "school_id" and looks_like_name(s):
        out.add(
            "условный код (например, Н-01), а не фамилия и инициалы: персональные данные в "
            "формах не допускаются",
            "a pseudonymous code (e.g. Н-01), not a person's name: no personal data in forms",
            row=r,
            coord=coord,
            what=what,
            value="(скрыто: похоже на ФИО)",
        )
        return None
    if col.id == "school_id" and school_ids is not None and s not in school_ids:
        out.add(
            "код ОО из перечня schools",
            "a school_id listed in the schools table",
            row=r,
            coord=coord,
            what=what,
            value=s,
        )
    if col.kind == "choice":
        lookup = {_norm(c): c for c in col.choices}
        lookup.update({"муниципальный": "муниципалитет", "краевой": "край", "региональный": "край"})
        mapped = lookup.get(_norm(s))
        if mapped is None:
            out.add(
                "одно из: " + ", ".join(col.choices),
                "one of: " + ", ".join(col.choices),
                row=r,
                coord=coord,
                what=what,
                value=s,
            )
        return mapped
    return s


def _block_by_sheet(sheetnames: Sequence[str]) -> dict[str, str]:
    """block key → the sheet name in this workbook."""
    names = {_norm(s): s for s in sheetnames}
    out = {}
    for key, block in load_forms().items():
        if _norm(block.sheet) in names:
            out[key] = names[_norm(block.sheet)]
    return out


def _block_by_file(path: Path) -> str | None:
    stem = path.stem.lower()
    for key, block in load_forms().items():
        if stem == Path(block.file).stem.lower() or any(t in stem for t in block.file_tokens):
            return key
    return None


def form_files(forms_dir: Path) -> list[Path]:
    """Candidate form files in ``forms_dir`` (Excel lock files and hidden files skipped)."""
    if not Path(forms_dir).is_dir():
        return []
    return [
        p
        for p in sorted(Path(forms_dir).iterdir())
        if p.is_file() and not p.name.startswith(("~$", ".", "_"))
    ]


def read_forms(
    forms_dir: Path,
    *,
    year: int | None = None,
    school_ids: Iterable[str] | None = None,
    root: Path | None = None,
) -> FormsData:
    """Parse every filled form in ``forms_dir``; raise ValidationError with all problems.

    A form whose «Отчётный год» (sheet «Инструкция») is filled and differs from ``year`` is
    set aside with a warning. ``school_ids``: the known schools (codes are checked).
    """
    from openpyxl import load_workbook

    known = {str(s) for s in school_ids} if school_ids is not None else None
    forms = load_forms()
    result = FormsData()
    problems: list[Problem] = []
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in BLOCKS}
    for path in form_files(forms_dir):
        rel = _rel(path, root)
        suffix = path.suffix.lower()
        if suffix not in (".xlsx", ".xlsm"):
            if suffix in (".xls", ".ods", ".csv"):
                problems.append(
                    Problem(
                        rel,
                        "файл формы в формате .xlsx (сохраните его как «Книга Excel (.xlsx)»)",
                        "a form file in .xlsx format (save it as an Excel workbook .xlsx)",
                    )
                )
            else:
                result.warnings.append(
                    f"{rel}: не форма Excel, файл не используется (not an .xlsx form, ignored)"
                )
            continue
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            problems.append(
                Problem(
                    rel,
                    f"файл Excel (.xlsx), который открывается ({type(exc).__name__})",
                    f"an Excel file (.xlsx) that opens ({type(exc).__name__}: {exc})",
                )
            )
            continue
        try:
            out = _Problems(rel, INSTRUCTIONS_SHEET)
            form_year = _form_year(wb, out)
            problems.extend(out.items)
            found = _block_by_sheet(wb.sheetnames)
            if not found:
                guess = _block_by_file(path)
                if guess is not None:
                    block = forms[guess]
                    p = _Problems(rel, block.sheet)
                    p.add(
                        f"лист «{block.sheet}» с формой «{block.title_ru}» (лист не найден; "
                        f"листы в файле: {', '.join(wb.sheetnames)})",
                        f"a sheet named '{block.sheet}' (not found; sheets in the file: "
                        f"{', '.join(wb.sheetnames)})",
                        value=", ".join(wb.sheetnames),
                    )
                    problems.extend(p.items)
                else:
                    expected = ", ".join(f"«{b.sheet}»" for b in forms.values())
                    problems.append(
                        Problem(
                            rel,
                            f"форма мониторинга с листом {expected} (такого листа нет; листы в "
                            f"файле: {', '.join(wb.sheetnames)})",
                            "a monitoring form with one of the sheets "
                            f"{', '.join(b.sheet for b in forms.values())}",
                            value=", ".join(wb.sheetnames),
                        )
                    )
                continue
            if year is not None and form_year is not None and form_year != int(year):
                result.warnings.append(
                    f"{rel}: форма за {form_year} год отложена — отчётный год {year} "
                    f"(form for another year set aside)"
                )
                continue
            n_rows = 0
            for key, sheet in found.items():
                block = forms[key]
                out = _Problems(rel, sheet)
                rows = _sheet_rows(wb[sheet])
                if block.layout == "items":
                    frame = _read_help(rows, block, out)
                else:
                    frame = _read_table_sheet(rows, block, out, result.warnings, school_ids=known)
                problems.extend(out.items)
                if not frame.empty:
                    parts[key].append(frame.assign(_file=rel))
                n_rows += len(frame)
                result.files.setdefault(key, []).append(rel)
                if block.layout != "items" and frame.empty and not out.items:
                    result.warnings.append(
                        f"{rel}, лист «{sheet}»: форма не заполнена (нет строк с данными)"
                    )
            result.sources.append(
                {
                    "table": "forms:" + ",".join(found),
                    "file": rel,
                    "sha256": _sha256(path),
                    "rows": n_rows,
                }
            )
        finally:
            wb.close()
    if len(result.files.get("help", [])) > 1:
        problems.append(
            Problem(
                ", ".join(result.files["help"]),
                "одна форма «Методическая помощь» на муниципалитет (найдено несколько файлов)",
                "one methodical-help form per municipality (several files found)",
            )
        )
    problems.extend(_cross_file_duplicates(parts))
    if problems:
        raise ValidationError(problems)
    for key in BLOCKS:
        if parts[key]:
            frame = pd.concat(parts[key], ignore_index=True)
            setattr(result, key, frame)
    return result


def _cross_file_duplicates(parts: dict[str, list[pd.DataFrame]]) -> list[Problem]:
    keys = ROW_KEYS
    problems = []
    for block, frames in parts.items():
        if block not in keys or len(frames) < 2:
            continue
        frame = pd.concat(frames, ignore_index=True)
        k = [c for c in keys[block] if c in frame]
        if not k:
            continue
        dup = frame[frame[k].notna().all(axis=1)].duplicated(subset=k, keep="first")
        files = frame.loc[dup[dup].index]
        for _, r in files.iterrows():
            keyval = ", ".join(f"{c}={r[c]}" for c in k)
            problems.append(
                Problem(
                    str(r["_file"]),
                    f"уникальная строка: такая же строка есть в другом файле формы ({keyval})",
                    f"a unique row: the same row is in another form file ({keyval})",
                    row=int(r["_row"]),
                    column=f'лист "{load_forms()[block].sheet}"',
                    value=keyval,
                    column_label=_Problems.LABEL,
                )
            )
    return problems


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------- scores


def _row(block: str, indicator_id: str, **kw: Any) -> dict[str, Any]:
    base = {c: np.nan for c in SUPPORT_COLUMNS}
    base.update(block=block, indicator_id=indicator_id, unit="municipality", level="municipality")
    base["school_id"] = pd.NA
    base["report_date"] = pd.NA
    base.update(kw)
    return base


def _share(score: float, max_score: float) -> float:
    if max_score is None or not np.isfinite(max_score) or max_score <= 0 or not np.isfinite(score):
        return np.nan
    return 100.0 * score / max_score


def help_scores(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Methodical help: presence items 0/1 (max 1), counts as counts, and the presence total."""
    if frame is None or frame.empty:
        return []
    block = load_forms()["help"]
    values = dict(zip(frame["item_id"], frame["value"], strict=True))
    rows = []
    for item in block.items:
        if item.id not in values:
            continue
        v = float(values[item.id])
        if item.kind == "presence":
            rows.append(
                _row(
                    "help",
                    item.id,
                    score=v,
                    max_score=1.0,
                    share_of_max=_share(v, 1.0),
                    n=1,
                    score_kind="presence",
                    name_ru=f"{item.num}. {item.text_ru}",
                )
            )
        else:
            rows.append(
                _row(
                    "help",
                    item.id,
                    score=v,
                    n=1,
                    score_kind="count",
                    name_ru=f"{item.num}. {item.text_ru}",
                )
            )
    presence = [it for it in block.items if it.kind == "presence" and it.id in values]
    if presence:
        total = float(sum(values[it.id] for it in presence))
        mx = float(len(presence))
        rows.append(
            _row(
                "help",
                "help_presence_total",
                score=total,
                max_score=mx,
                share_of_max=_share(total, mx),
                n=1,
                score_kind="total",
                name_ru="Сумма баллов по пунктам наличия (1–7, 13)",
            )
        )
    return rows


def unit_scores(frame: pd.DataFrame | None, block_key: str) -> pd.DataFrame:
    """Per assessed unit: the indicator sums and the block total (stays in memory)."""
    block = load_forms()[block_key]
    if frame is None or frame.empty:
        return pd.DataFrame()
    out = frame[[k for k in block.key_ids if k in frame]].copy()
    for ind in block.indicators:
        out[ind.id] = frame[[it.id for it in ind.items]].astype("float64").sum(axis=1)
    out[f"{block_key}_total"] = out[[i.id for i in block.indicators]].sum(axis=1)
    return out


def block_scores(frame: pd.DataFrame | None, block_key: str, min_n: int) -> list[dict[str, Any]]:
    """МНЦ / МТКП: «средний балл по показателю» over the assessed units and % of maximum;
    sub-item shares; the block total; per school with small-cell suppression (M11)."""
    block = load_forms()[block_key]
    units = unit_scores(frame, block_key)
    if units.empty:
        return []
    rows = []
    n = len(units)
    total_id = f"{block_key}_total"
    for ind in block.indicators:
        mean = float(units[ind.id].mean())
        rows.append(
            _row(
                block_key,
                ind.id,
                score=mean,
                max_score=float(ind.max_score),
                share_of_max=_share(mean, ind.max_score),
                n=n,
                score_kind="indicator",
                name_ru=f"{ind.num}. {ind.title_ru}",
                seed_max=np.nan if ind.seed_max is None else float(ind.seed_max),
            )
        )
        if len(ind.items) > 1:
            for item in ind.items:
                share = float(frame[item.id].astype("float64").mean())
                rows.append(
                    _row(
                        block_key,
                        item.id,
                        score=share,
                        max_score=1.0,
                        share_of_max=_share(share, 1.0),
                        n=n,
                        score_kind="sub_item",
                        name_ru=f"{item.num}. {item.text_ru}",
                    )
                )
    mean = float(units[total_id].mean())
    rows.append(
        _row(
            block_key,
            total_id,
            score=mean,
            max_score=float(block.max_total),
            share_of_max=_share(mean, block.max_total),
            n=n,
            score_kind="total",
            name_ru=f"Сумма баллов по показателям 1–{len(block.indicators)}",
        )
    )
    if "school_id" in units:
        for sid, grp in units.groupby("school_id", sort=True):
            k = len(grp)
            small = k < min_n
            for ind_id, mx, name in [
                *((i.id, i.max_score, f"{i.num}. {i.title_ru}") for i in block.indicators),
                (
                    total_id,
                    block.max_total,
                    f"Сумма баллов по показателям 1–{len(block.indicators)}",
                ),
            ]:
                mean = np.nan if small else float(grp[ind_id].mean())
                rows.append(
                    _row(
                        block_key,
                        ind_id,
                        unit=str(sid),
                        level="school",
                        school_id=str(sid),
                        score=mean,
                        max_score=float(mx),
                        share_of_max=_share(mean, mx),
                        n=k,
                        score_kind="total" if ind_id == total_id else "indicator",
                        name_ru=name,
                    )
                )
    return rows


def report_date(params) -> pd.Timestamp:
    """``support.report_date`` (ГГГГ-ММ-ДД) or 31 December of the reporting year."""
    value = params.support.report_date
    if value is None or (isinstance(value, str) and not value.strip()):
        return pd.Timestamp(int(params.year), 12, 31)
    d = _date(value)
    if not isinstance(d, pd.Timestamp):
        raise ValidationError(
            [
                Problem(
                    getattr(params, "source", "<params>"),
                    "дата отчёта в формате ГГГГ-ММ-ДД (в кавычках) или null",
                    "a report date as YYYY-MM-DD (quoted) or null",
                    column="support.report_date",
                    value=value,
                    column_label=("параметр", "key"),
                )
            ]
        )
    return d


def roadmap_status(roadmap: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Per event: due_by_date, done_by_date, on_time, late, overdue (events stay in memory)."""
    rm = roadmap.copy()
    due = pd.to_datetime(rm["due"], errors="coerce")
    done = (
        pd.to_datetime(rm["done"], errors="coerce")
        if "done" in rm
        else pd.Series(pd.NaT, index=rm.index)
    )
    rm["due"], rm["done"] = due, done
    done_by = done.notna() & (done <= when)
    rm["due_by_date"] = due <= when
    rm["done_by_date"] = done_by
    rm["on_time"] = done_by & (done <= due)
    rm["late"] = done_by & (done > due)
    rm["overdue"] = rm["due_by_date"] & ~done_by
    url = rm["published_url"] if "published_url" in rm else pd.Series(pd.NA, index=rm.index)
    rm["published"] = done_by & url.notna() & (url.astype("string").str.strip() != "")
    return rm


def roadmap_scores(
    roadmap: pd.DataFrame | None, when: pd.Timestamp, source: str
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    """Completeness, timeliness, overdue (M7): support rows, the summary, the late list."""
    if roadmap is None or roadmap.empty:
        return (
            [],
            pd.DataFrame(columns=ROADMAP_SUMMARY_COLUMNS),
            pd.DataFrame(columns=OVERDUE_COLUMNS),
        )
    rm = roadmap_status(roadmap, when)
    n_events = len(rm)
    n_due = int(rm["due_by_date"].sum())
    n_done_due = int((rm["due_by_date"] & rm["done_by_date"]).sum())
    n_done = int(rm["done_by_date"].sum())
    n_on_time = int(rm["on_time"].sum())
    n_late = int(rm["late"].sum())
    n_overdue = int(rm["overdue"].sum())
    n_future = int((~rm["due_by_date"]).sum())
    n_pub = int(rm["published"].sum())
    iso = when.strftime("%Y-%m-%d")
    summary = pd.DataFrame(
        [
            {
                "report_date": iso,
                "source": source,
                "n_events": n_events,
                "n_due": n_due,
                "n_done_by_date": n_done_due,
                "completeness": _share(n_done_due, n_due),
                "n_done": n_done,
                "n_on_time": n_on_time,
                "n_done_late": n_late,
                "timeliness": _share(n_on_time, n_done),
                "n_overdue": n_overdue,
                "n_not_yet_due": n_future,
                "n_published": n_pub,
            }
        ],
        columns=ROADMAP_SUMMARY_COLUMNS,
    )
    spec = [
        (
            "roadmap_completeness",
            n_done_due,
            n_due,
            "Полнота: выполнено мероприятий из тех, срок которых наступил",
        ),
        (
            "roadmap_timeliness",
            n_on_time,
            n_done,
            "Своевременность: выполнено в срок из выполненных",
        ),
        ("roadmap_overdue", n_overdue, n_due, "Просрочено (срок истёк, не выполнено)"),
        ("roadmap_done_late", n_late, n_done, "Выполнено с опозданием"),
        ("roadmap_published", n_pub, n_done, "Выполненные мероприятия со ссылкой на материалы"),
        ("roadmap_not_yet_due", n_future, n_events, "Срок ещё не наступил"),
    ]
    rows = [
        _row(
            "roadmap",
            ind,
            score=float(k),
            max_score=float(m),
            share_of_max=_share(k, m),
            n=n_events,
            score_kind="share",
            name_ru=name,
            report_date=iso,
        )
        for ind, k, m, name in spec
    ]
    late = rm[rm["overdue"] | rm["late"]].copy()
    late["status"] = np.where(late["overdue"], STATUS_OVERDUE, STATUS_LATE)
    end = late["done"].where(~late["overdue"], when)
    late["days_late"] = (end - late["due"]).dt.days.astype("int64")
    late["_o"] = late["overdue"].map({True: 0, False: 1})
    late = late.sort_values(["_o", "due", "event_id"])
    for c in OVERDUE_COLUMNS:
        if c not in late:
            late[c] = pd.NA
    late["due"] = late["due"].dt.strftime("%Y-%m-%d")
    late["done"] = late["done"].dt.strftime("%Y-%m-%d").where(late["done"].notna(), pd.NA)
    late["event_id"] = late["event_id"].astype(str)
    if "responsible" in late:
        late["responsible"] = late["responsible"].map(mask_names)
    return rows, summary, late[OVERDUE_COLUMNS].reset_index(drop=True)


def _same_roadmap(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    def norm(f: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "event_id": f["event_id"].astype(str).str.strip(),
                "title": f["title"].astype(str).str.strip(),
                "due": pd.to_datetime(f["due"], errors="coerce"),
                "done": pd.to_datetime(f.get("done"), errors="coerce") if "done" in f else pd.NaT,
            }
        )
        return out.sort_values("event_id").reset_index(drop=True)

    try:
        return norm(a).equals(norm(b))
    except (KeyError, TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------- stage


@dataclass
class SupportResult:
    """Published-ready tables of M7 (nothing finer than a school).

    - ``table``: SUPPORT_COLUMNS — publish as ``support.csv``;
    - ``roadmap``: one-row completeness/timeliness summary (ROADMAP_SUMMARY_COLUMNS);
    - ``overdue``: overdue and late roadmap events (OVERDUE_COLUMNS) — publish as
      ``roadmap_overdue.csv``;
    - ``notes``: Russian notes (method, the МНЦ indicator 3 range correction, «нет данных»);
    - ``warnings``: data-quality warnings (for the manifest's warnings);
    - ``sources``: form files read (table, file, sha256, rows) for the provenance list.
    """

    table: pd.DataFrame
    roadmap: pd.DataFrame
    overdue: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=SUPPORT_COLUMNS)
    for c in ("score", "max_score", "share_of_max", "seed_max"):
        frame[c] = frame[c].astype("float64")
    frame["n"] = frame["n"].astype("Int64")
    for c in ("block", "indicator_id", "unit", "level", "score_kind", "name_ru"):
        frame[c] = frame[c].astype(object)
    return frame


def stage(raw_dir: Path, data: dict[str, pd.DataFrame], params) -> SupportResult:
    """M7: read data/raw/<m>/forms/*.xlsx (ValidationError with all problems) and score.

    The roadmap comes from the filled roadmap form when there is one, else from the
    ``roadmap`` table (``data["roadmap"]``); when both exist the form is used, with a
    warning if they differ.
    """
    when = report_date(params)
    root = getattr(params, "root", None)
    forms_dir = Path(raw_dir) / FORMS_SUBDIR
    schools = data.get("schools")
    known = set(schools["school_id"].astype(str)) if schools is not None else None
    forms = read_forms(forms_dir, year=int(params.year), school_ids=known, root=root)
    min_n = int(params.min_group_size)
    notes: list[str] = []
    warnings = list(forms.warnings)

    rows = help_scores(forms.help)
    if forms.help is None:
        notes.append(
            "Методическая помощь: нет данных (форма «Методическая помощь» не представлена)."
        )
    for key in SCORED_BLOCKS:
        frame = forms.get(key)
        rows += block_scores(frame, key, min_n)
        block = load_forms()[key]
        if frame is None or frame.empty:
            notes.append(
                f"{block.short_ru}: нет данных (форма «{block.sheet}» не представлена или не заполнена)."
            )
    if forms.mnc is not None and not forms.mnc.empty:
        notes += [n for n in range_notes() if n.startswith("МНЦ")]
    if forms.mtkp is not None and not forms.mtkp.empty:
        notes += [n for n in range_notes() if n.startswith("МТКП")]
    if (forms.mnc is not None and not forms.mnc.empty) or (
        forms.mtkp is not None and not forms.mtkp.empty
    ):
        notes.append(
            "Балл по показателю МНЦ/МТКП — сумма его подпунктов (наличие — 1, отсутствие — 0); "
            "«средний балл по показателю» — среднее по всем оценённым единицам формы (наставник "
            "и управленческая команда ШНОР; тьютор и педагог), также в % от максимума. Значения "
            f"по отдельной ОО публикуются, если по ней оценено не менее {min_n} единиц."
        )

    table_rm = data.get("roadmap")
    form_rm = forms.roadmap
    roadmap, source = None, ""
    if form_rm is not None and not form_rm.empty:
        roadmap = form_rm.drop(columns=["_row", "_file"], errors="ignore")
        source = "форма «Дорожная карта», " + ", ".join(forms.files.get("roadmap", []))
        if table_rm is not None and not table_rm.empty:
            if _same_roadmap(roadmap, table_rm):
                notes.append(
                    "Дорожная карта: таблица roadmap и форма «Дорожная карта» совпадают; "
                    "используется форма."
                )
            else:
                warnings.append(
                    "Дорожная карта: найдены и таблица roadmap (roadmap.csv/.xlsx), и форма "
                    "«Дорожная карта», они различаются; используется форма "
                    "(both the roadmap table and the roadmap form exist and differ; the form wins)"
                )
    elif table_rm is not None and not table_rm.empty:
        roadmap, source = table_rm, "таблица roadmap"
    rm_rows, summary, overdue = roadmap_scores(roadmap, when, source)
    rows += rm_rows
    if roadmap is None:
        notes.append("Дорожная карта: нет данных (ни таблица roadmap, ни форма не представлены).")
    else:
        notes.append(
            f"Дорожная карта — источник: {source}; дата отчёта {when.strftime('%d.%m.%Y')}. Полнота — доля "
            "выполненных к дате отчёта мероприятий среди тех, срок которых наступил; "
            "своевременность — доля выполненных не позже срока среди выполненных."
        )
    table = _table(rows)
    return SupportResult(
        table=table,
        roadmap=summary,
        overdue=overdue,
        notes=notes,
        warnings=warnings,
        sources=list(forms.sources),
    )


NOTES_COLUMNS = ["section", "note_kind", "note_ru"]


def notes_table(
    result: SupportResult | None = None, teacher_notes: Sequence[str] = ()
) -> pd.DataFrame:
    """The notes of M6 (``teacher_notes``) and M7 as a small table (publish as
    ``support_notes.csv``) so the report shows them: section (teachers | support | roadmap),
    note_kind (info | data), note_ru."""
    rows = []
    for text in teacher_notes:
        kind = "data" if text.startswith("Качество данных") else "info"
        rows.append(("teachers", kind, text))
    if result is not None:
        for text in result.notes:
            section = "roadmap" if text.startswith("Дорожная карта") else "support"
            rows.append((section, "info", text))
        for text in result.warnings:
            section = "roadmap" if text.startswith("Дорожная карта") else "support"
            rows.append((section, "data", text))
    return pd.DataFrame(rows, columns=NOTES_COLUMNS)
