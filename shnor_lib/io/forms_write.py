"""Writing the Excel monitoring forms: blank ones for schools (``shnor forms``) and
filled ones for the synthetic demo.

The forms are made to be filled and printed by people who never saw the program:

- every sheet is protected (no password: «Рецензирование → Снять защиту листа») except the
  input cells (white), so a heading or an item cannot be typed over by accident;
- the service codes the reader relies on (the item codes of «Методическая помощь», the code
  rows of МНЦ/МТКП/«Дорожная карта», the school list) sit in hidden columns, rows or a
  hidden sheet, at the positions :mod:`shnor_lib.io.forms_read` reads;
- with the municipality's schools (``shnor forms --params …``) the school of a МНЦ/МТКП row
  is chosen from a drop-down of school names (hidden sheet «Списки»: name, school_id); the
  reader maps the name back to the school_id;
- page setup: A4, one page wide (``fitToWidth=1, fitToHeight=0``), landscape for the wide
  sheets, the header rows repeated on every printed page;
- the instructions name no internal folder or file.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from copy import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnor_lib.io.forms_spec import (
    BLOCKS,
    EVENTS_CODE_ROW,
    EXCEL_DATE_MAX,
    EXCEL_DATE_MIN,
    HELP_HEADER_ROW,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    UNITS_CODE_ROW,
    YEAR_LABEL,
    Block,
    _raw_forms,
    load_forms,
    school_labels,
)

HELP_FIRST_ITEM_ROW = 3


BLANK_ROWS = {"mnc": 60, "mtkp": 200, "roadmap": 100}  # rows with borders


VALIDATED_ROWS = 1000  # data validation reaches this many rows below the header


MUNI_LABEL = "Муниципальное образование"


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


def _unlocked():
    from openpyxl.styles import Protection

    return Protection(locked=False)


def _protect(ws) -> None:
    """Protect the sheet (no password) except its unlocked cells; rows may be inserted,
    deleted and resized, columns resized (a school with more rows than the blank has)."""
    prot = ws.protection
    prot.sheet = True
    prot.formatColumns = False  # False = allowed
    prot.formatRows = False
    prot.insertRows = False
    prot.deleteRows = False


def _page_setup(ws, *, landscape: bool, title_rows: str | None) -> None:
    """A4, fit to one page wide (as many pages down as needed), header rows on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


def _school_list(wb, schools: Mapping[str, Any]) -> str:
    """The hidden sheet «Списки» (label, school_id per school); returns the list range the
    drop-down of the school column refers to."""
    labels = school_labels(schools)
    ws = wb.create_sheet(LISTS_SHEET)
    ws["A1"], ws["B1"] = "ОО", "school_id"
    for i, (sid, label) in enumerate(labels.items(), start=2):
        ws.cell(i, 1, label)
        ws.cell(i, 2, sid)
    ws.column_dimensions["A"].width = 60
    ws.sheet_state = "hidden"
    _protect(ws)
    return f"'{LISTS_SHEET}'!$A$2:$A${len(labels) + 1}"


def _validation_school(list_range: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        type="list",
        formula1=list_range,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="ОО из списка",
        error="Выберите образовательную организацию из раскрывающегося списка.",
        showInputMessage=True,
        promptTitle="ОО",
        prompt="Выберите ОО из списка.",
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
        ws[ref].protection = _unlocked()
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
    _protect(ws)
    _page_setup(ws, landscape=False, title_rows=None)


def _source_ru() -> str:
    return str(_raw_forms().get("source_ru", "")).strip()


def _instruction_lines(block: Block) -> list[str]:
    common_tail = [
        "Укажите муниципальное образование и отчётный год в жёлтых ячейках выше. Форма "
        "с другим годом не используется в отчёте за текущий год.",
        "Листы защищены от случайных изменений (без пароля): заполняются только белые "
        "ячейки. Не переименовывайте листы и не снимайте защиту: по скрытым служебным кодам "
        "программа находит пункты формы. Строки можно добавлять и удалять.",
        "Не указывайте фамилии, имена и другие персональные данные: строки формы обозначаются "
        "условными кодами. Столбцы с ФИО при загрузке удаляются.",
        "Сохраните файл в формате .xlsx (Книга Excel) под тем же именем и отправьте его в "
        "управление образования. При загрузке все формы проверяются; о каждой ошибке "
        "сообщается с указанием листа, ячейки и пункта.",
        "Форма печатается по ширине на одну страницу (А4).",
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
        "Если дорожная карта загружена и отдельной таблицей, в отчёте используется эта форма "
        "(о расхождениях программа предупредит).",
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
        value.protection = _unlocked()
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
    ws.column_dimensions["E"].hidden = True  # the item codes the reader finds rows by
    _protect(ws)
    _page_setup(ws, landscape=True, title_rows=f"{HELP_HEADER_ROW}:{HELP_HEADER_ROW}")


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
        # rows added below the blank's bordered ones are input cells too (column style)
        ws.column_dimensions[get_column_letter(j)].protection = _unlocked()
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
    template.protection = _unlocked()
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
    ws.row_dimensions[UNITS_CODE_ROW].hidden = True  # the column codes the reader relies on
    _protect(ws)
    _page_setup(ws, landscape=True, title_rows=f"2:{UNITS_CODE_ROW}")


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
        ws.column_dimensions[letter].protection = _unlocked()  # rows added below: inputs
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
        template.protection = _unlocked()
        if col.kind == "date":
            template.number_format = "DD.MM.YYYY"
        elif col.kind == "text" and col.width >= 40:
            template.alignment = st["wrap"]
        for r in range(first_data + 1, last_data + 1):
            ws.cell(r, j)._style = copy(template._style)  # fast: no style lookup per cell
    ws.row_dimensions[2].height = 32
    ws.freeze_panes = f"B{first_data}"
    ws.row_dimensions[EVENTS_CODE_ROW].hidden = True  # the column codes the reader relies on
    _protect(ws)
    _page_setup(ws, landscape=True, title_rows=f"2:{EVENTS_CODE_ROW}")


def build_workbook(
    block_key: str,
    *,
    n_rows: int | None = None,
    year: int | None = None,
    municipality: str | None = None,
    schools: Mapping[str, Any] | None = None,
):
    """An openpyxl Workbook with the «Инструкция» sheet and the block's form sheet.

    ``schools`` (school_id → name): the municipality's schools; a МНЦ/МТКП form then
    chooses the school of a row from a drop-down of their names."""
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
        if schools:
            _add_school_dropdown(wb, block, rows, _school_list(wb, schools))
    else:
        _sheet_events(wb, block, rows)
    wb.active = 0
    return wb


def _add_school_dropdown(wb, block: Block, n_rows: int, list_range: str) -> None:
    """The school column of a units sheet: a drop-down of the school names."""
    from openpyxl.utils import get_column_letter

    ws = wb[block.sheet]
    first = UNITS_CODE_ROW + 1
    letter = get_column_letter(1 + block.key_ids.index("school_id"))
    ws.column_dimensions[letter].width = 40
    dv = _validation_school(list_range)
    ws.add_data_validation(dv)
    dv.add(f"{letter}{first}:{letter}{first + max(n_rows, VALIDATED_ROWS) - 1}")


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


def write_blank_forms(
    out_dir: Path,
    *,
    schools: Mapping[str, Any] | None = None,
    municipality: str | None = None,
    year: int | None = None,
) -> list[Path]:
    """Blank forms, one workbook per block of seed 001; returns the written paths.

    ``schools`` (school_id → name), ``municipality`` (its title) and ``year``: the forms of
    one municipality (``shnor forms --params …``): the school drop-down and the header
    cells filled in."""
    out_dir = Path(out_dir)
    paths = []
    for key in BLOCKS:
        block = load_forms()[key]
        wb = build_workbook(key, year=year, municipality=municipality, schools=schools)
        paths.append(save_workbook(wb, out_dir / block.file))
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
    labels = _list_labels(wb)
    for j, col in enumerate(block.columns, start=1):
        if col.id not in frame:
            continue
        for i, v in enumerate(frame[col.id].tolist()):
            value = _excel_value(v)
            if col.id == "school_id" and labels:
                value = labels.get(str(value), value)  # as chosen from the drop-down
            if col.kind == "date" and isinstance(value, str) and value:
                value = pd.Timestamp(value).to_pydatetime()
            ws.cell(code_row + 1 + i, j, value)


def _list_labels(wb) -> dict[str, str]:
    """school_id → drop-down label from the hidden «Списки» sheet (empty without one)."""
    if LISTS_SHEET not in wb.sheetnames:
        return {}
    ws = wb[LISTS_SHEET]
    return {
        str(sid): str(label)
        for label, sid in ws.iter_rows(min_row=2, max_col=2, values_only=True)
        if sid is not None
    }


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
    school_names: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Synthetic filled forms for the demo (deterministic for a seed; used by ``synth``).

    ``schools``: the ШНОР whose management teams (МНЦ) and teachers (МТКП) are assessed;
    ``teachers``: the teachers table (columns year, school_id, teacher_id) to draw the
    МТКП teachers from; ``roadmap``: the roadmap table, copied into the roadmap form;
    ``school_names`` (school_id → name, every school of the municipality): the МНЦ/МТКП
    forms get the school drop-down and their rows name the school as chosen from it.
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
    wb = build_workbook(
        "mnc", n_rows=len(rows), year=year, municipality=municipality, schools=school_names
    )
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
    wb = build_workbook(
        "mtkp", n_rows=len(rows), year=year, municipality=municipality, schools=school_names
    )
    fill_workbook(wb, "mtkp", pd.DataFrame(rows))
    paths.append(save_workbook(wb, out_dir / forms["mtkp"].file))

    # roadmap: the same events as roadmap.csv
    rm = pd.DataFrame(roadmap) if roadmap is not None else pd.DataFrame()
    wb = build_workbook("roadmap", n_rows=len(rm), year=year, municipality=municipality)
    if not rm.empty:
        fill_workbook(wb, "roadmap", rm)
    paths.append(save_workbook(wb, out_dir / forms["roadmap"].file))
    return paths
