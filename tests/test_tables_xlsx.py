"""tables.xlsx an analyst can use: Russian headers and words, number formats by column kind,
dates as dates, autofilter and frozen header on every sheet, a contents sheet first, the
school's name beside every school code, byte-identical output (docs/data_contract.md)."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pandas as pd
import pytest

from shnor_lib.errors import ShnorError
from shnor_lib.io import publish
from shnor_lib.tables import PUBLISHED

# Latin tokens a Russian header may carry: the CSV file name, LMG, R², levels A–D, p, n, z
ALLOWED_LATIN = {"CSV", "LMG", "R", "A", "B", "C", "D", "p", "n", "z"}


@pytest.fixture(scope="module")
def workbook(demo_computed):
    root, params, truth = demo_computed
    path = params.output_dir() / "tables.xlsx"
    return openpyxl.load_workbook(path), params


def _headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def _column(ws, header: str) -> list:
    j = _headers(ws).index(header)
    return [row[j] for row in ws.iter_rows(min_row=2)]


def test_no_english_header_on_any_sheet(workbook):
    wb, _ = workbook
    bad = []
    for ws in wb:
        for h in _headers(ws):
            latin = set(re.findall(r"[A-Za-z][A-Za-z0-9]*", str(h)))
            if latin - ALLOWED_LATIN:
                bad.append((ws.title, h))
    assert bad == []
    assert sum(len(_headers(ws)) for ws in wb) > 300


def test_sheet_names_short_unique_and_russian(workbook):
    wb, _ = workbook
    names = wb.sheetnames
    assert len(names) == len(set(names)) and all(len(n) <= 31 for n in names)
    assert not [n for n in names if re.search("[A-Za-z]{2,}", n)]


def test_every_sheet_has_autofilter_over_all_rows_and_a_frozen_header(workbook):
    wb, _ = workbook
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        last = openpyxl.utils.get_column_letter(len(_headers(ws)))
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", ws.title


def test_contents_first_links_every_sheet_with_its_row_count(workbook):
    wb, params = workbook
    contents = wb.worksheets[0]
    assert contents.title == "Содержание"
    assert _headers(contents)[:4] == ["Лист", "Таблица", "Строк", "Описание"]
    links = {}
    for row in contents.iter_rows(min_row=2):
        cell = row[0]
        assert cell.hyperlink is not None, cell.value
        links[cell.value] = (cell.hyperlink.location, row[2].value, row[1].value, row[3].value)
    assert list(links) == wb.sheetnames[1:]
    for name, (location, rows, title, about) in links.items():
        assert location == f"'{name}'!A1"
        assert rows == wb[name].max_row - 1 or (rows == 0 and wb[name].max_row == 1), name
        assert title and about, name  # a Russian title and a description for every table
    # the row count is the CSV's
    schools = pd.read_csv(params.output_dir() / "tables" / "schools.csv")
    assert links["ОО"][1] == len(schools)


def test_school_name_beside_every_school_code(workbook):
    wb, params = workbook
    schools = publish.read_csv(params.output_dir() / "tables" / "schools.csv")
    names = dict(zip(schools["school_id"], schools["school_name"], strict=True))
    pairs = {
        "Код ОО": ("Наименование ОО", "ОО"),
        "Код ШНОР": ("ШНОР (наименование)",),
        "Код школы-лидера": ("Школа-лидер (наименование)",),
    }
    checked = 0
    for ws in wb.worksheets[1:]:
        heads = _headers(ws)
        for code, beside in pairs.items():
            if code not in heads:
                continue
            j = heads.index(code)
            assert heads[j + 1] in beside, (ws.title, heads[j + 1])
            for row in ws.iter_rows(min_row=2, max_row=min(ws.max_row, 50)):
                if row[j].value is not None:
                    assert row[j + 1].value == names[row[j].value], ws.title
            checked += 1
    assert checked >= 15  # every school-level table of the demo


def test_share_is_a_percent_number_and_a_percent_0_100_is_not_a_share(workbook):
    wb, _ = workbook
    ws = wb["Раннее предупреждение"]
    probs = [c for c in _column(ws, "Вероятность войти в ШНОР") if c.value is not None]
    assert probs and all(c.number_format == "0.0%" for c in probs)
    assert all(isinstance(c.value, float) and 0 <= c.value <= 1 for c in probs)
    # ГИА below the minimum: a percent on 0–100 (up to 70 in the demo), shown as it is
    ws = wb["Ниже минимума ГИА"]
    shares = [c for c in _column(ws, "Доля, %") if c.value is not None]
    assert max(c.value for c in shares) > 1
    assert {c.number_format for c in shares} == {"0.0"}
    # every 0–100 «…, %» column: never a % format (that would show 6 180 %)
    for sheet in wb.worksheets[1:]:
        for h in _headers(sheet):
            if str(h).endswith(", %"):
                fmts = {c.number_format for c in _column(sheet, h) if c.value is not None}
                assert not any("%" in f for f in fmts), (sheet.title, h)


def test_counts_years_and_means_have_their_formats(workbook):
    wb, _ = workbook
    ws = wb["Показатели"]
    years = [c for c in _column(ws, "Год") if c.value is not None]
    assert {c.number_format for c in years} == {"0"} and years[0].value > 2000
    assert {c.number_format for c in _column(ws, "Знаменатель (n)")} == {"0"}
    ws = wb["ИОР по годам"]
    marks = [c for c in _column(ws, "Средняя отметка ОГЭ") if c.value is not None]
    assert {c.number_format for c in marks} == {"0.00"}
    ws = wb["ОО"]
    index = [c for c in _column(ws, "ИОР") if c.value is not None]
    assert {c.number_format for c in index} == {"0.00"}
    assert all(isinstance(c.value, float) for c in index)  # the full value, only shown rounded


def test_every_number_has_a_format_chosen_for_its_column(workbook):
    """No number is left General (0.6182412318013801): each numeric column of the demo has
    its kind in shnor_lib/io/xlsx_labels.py."""
    wb, _ = workbook
    general = set()
    for ws in wb:
        heads = _headers(ws)
        for row in ws.iter_rows(min_row=2, max_row=min(ws.max_row, 300)):
            for h, cell in zip(heads, row, strict=False):
                v, fmt = cell.value, cell.number_format
                if isinstance(v, int | float) and not isinstance(v, bool) and fmt == "General":
                    general.add((ws.title, h))
    assert general == set()


def test_a_table_without_columns_still_gets_a_sheet_with_a_filter(tmp_path):
    path = tmp_path / "t.xlsx"
    publish.write_xlsx({"support_effect": pd.DataFrame(), "schools": pd.DataFrame()}, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Содержание", "Эффект поддержки", "ОО"]
    assert all(ws.auto_filter.ref and ws.freeze_panes == "A2" for ws in wb)
    assert _headers(wb["ОО"]) == ["Нет данных"]


def test_dates_are_dates(workbook):
    wb, _ = workbook
    ws = wb["Просрочка дорожной карты"]
    due = [c for c in _column(ws, "Срок исполнения") if c.value is not None]
    assert due and all(isinstance(c.value, dt.datetime) for c in due)
    assert all(c.is_date and "dd" in c.number_format for c in due)


def test_codes_shown_as_russian_words(workbook):
    wb, _ = workbook
    levels = {c.value for c in _column(wb["Показатели"], "Уровень")}
    assert levels == {"ОО", "муниципалитет"}
    assert {c.value for c in _column(wb["ОО"], "ШНОР")} == {"да", "нет"}
    checks = {c.value for c in _column(wb["Объективность"], "Проверка")}
    assert "скопление баллов на пороге «3»" in checks and "heaping_3" not in checks
    blocks = {c.value for c in _column(wb["Методическая помощь"], "Блок")}
    assert blocks <= {"методическая помощь", "МНЦ", "МТКП", "дорожная карта"}


def test_a_column_is_labelled_by_its_meaning_in_each_table(workbook):
    """`value` is a percent, a mean or a factor's raw value; `n` counts pupils, results or
    teachers: each table says which."""
    wb, _ = workbook
    assert "Значение фактора" in _headers(wb["Риски"])
    assert "Педагогов (n)" in _headers(wb["Педагоги по ОО"])
    assert "Результатов ГИА (n)" in _headers(wb["Ниже минимума ГИА"])
    assert "Наименование показателя" in _headers(wb["Показатели"])
    for ws in wb:
        heads = _headers(ws)
        assert len(heads) == len(set(heads)), ws.title


def test_two_writes_are_byte_identical(workbook, tmp_path):
    _, params = workbook
    folder = params.output_dir() / "tables"
    tables = {
        n: publish.read_csv(folder / f"{n}.csv")
        for n in PUBLISHED
        if (folder / f"{n}.csv").exists()
    }
    publish.write_xlsx(tables, tmp_path / "a.xlsx")
    publish.write_xlsx(tables, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_a_share_column_holding_percents_stops_with_a_message():
    frame = pd.DataFrame({"probability": [0.2, 61.8]})
    with pytest.raises(ShnorError) as info:
        publish.xlsx_sheet("early_warning", frame)
    text = str(info.value)
    assert "probability" in text and "early_warning" in text and "61.8" in text


def test_fractional_counts_stay_general_and_odd_dates_stay_text():
    frame = pd.DataFrame(
        {"n": [1.0, 2.5], "due": ["2024-06-10", "к 1 июня"], "done": ["2024-06-10", None]}
    )
    sheet = publish.xlsx_sheet("roadmap_overdue", frame)
    assert "Число участников (n)" not in sheet.formats  # 2.5 would show as «3»
    assert sheet.frame["Срок исполнения"].tolist() == ["2024-06-10", "к 1 июня"]
    assert sheet.formats["Дата выполнения"] == "date"
    assert sheet.frame["Дата выполнения"].iloc[0] == pd.Timestamp("2024-06-10")
    assert pd.isna(sheet.frame["Дата выполнения"].iloc[1])
