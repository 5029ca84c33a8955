"""The monitoring forms as schools get them and as ingest reads them back.

- ``shnor validate`` (ingest) reads and validates the filled forms: a real form written by
  ``io.forms_write``, broken as people break them (text in a number cell, a date that is not
  a date, a school that is not in the list, a deleted sheet), makes validate exit 2 naming
  the file, sheet, cell and value; the same forms unbroken pass.
- The forms schools fill and print: sheets protected except the input cells, service codes
  hidden, the school chosen from a drop-down of the municipality's schools (read back to
  its school_id), one page wide, instructions without internal paths, byte-identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_tables
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from shnor_lib import cli
from shnor_lib.config import load_params
from shnor_lib.io import forms_spec, forms_write, ingest
from shnor_lib.io.forms_spec import (
    EVENTS_CODE_ROW,
    HELP_HEADER_ROW,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    UNITS_CODE_ROW,
)

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2024
# Two schools share a name (a real municipality has «МБОУ СОШ № 1» in two villages)
SCHOOLS = pd.DataFrame(
    {
        "school_id": ["100001", "100002", "100003", "100004"],
        "school_name": ["МБОУ СОШ № 1", "МБОУ ООШ № 2", "МБОУ НОШ № 3", "МБОУ СОШ № 1"],
        "locality": ["город", "село", "село", "хутор"],
        "school_type": ["СОШ", "ООШ", "НОШ", "СОШ"],
        "is_small": [0, 1, 1, 1],
        "distance_km": [0, 25.5, 40, 12],
    }
)
NAMES = dict(zip(SCHOOLS["school_id"], SCHOOLS["school_name"], strict=True))
ROADMAP = pd.DataFrame(
    {
        "event_id": ["1", "2"],
        "title": ["Семинар для управленческих команд ШНОР", "Совещание руководителей"],
        "level": ["муниципалитет", "ОО"],
        "form": ["семинар", "совещание"],
        "due": ["2024-03-01", "2024-10-01"],
        "responsible": ["УО", "ИМЦ"],
        "done": ["2024-02-20", None],
        "published_url": ["https://uo.example/1", None],
    }
)


def _project(root: Path) -> Path:
    """A project (params/tiny.yml, data/raw/tiny) with four schools and the forms of
    ``shnor forms`` filled by the demo writer (the school chosen from the drop-down)."""
    raw = root / "data" / "raw" / "tiny"
    raw.mkdir(parents=True)
    tables = tiny_tables()
    context = tables["context"]
    extra = context[context["school_id"] == "100003"].assign(school_id="100004")
    tables.update(schools=SCHOOLS, context=pd.concat([context, extra], ignore_index=True))
    for name, frame in tables.items():
        frame.to_csv(raw / f"{name}.csv", index=False)
    (root / "params").mkdir()
    (root / "params" / "tiny.yml").write_text(
        f"municipality: tiny\ntitle: Тестовый район\nyear: {YEAR}\nwindow: 2\n", "utf-8"
    )
    teachers = pd.DataFrame(
        {
            "year": [YEAR] * 6,
            "school_id": ["100002"] * 3 + ["100004"] * 3,
            "teacher_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
        }
    )
    forms_write.write_filled_forms(
        raw / forms_spec.FORMS_SUBDIR,
        seed=7,
        year=YEAR,
        schools=["100002", "100004"],
        teachers=teachers,
        roadmap=ROADMAP,
        municipality="Тестовый район",
        school_names=NAMES,
    )
    return raw / forms_spec.FORMS_SUBDIR


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("forms_good")
    _project(root)
    return root


@pytest.fixture
def project(good, tmp_path) -> tuple[Path, Path]:
    """A fresh copy of the good project: (root, forms folder)."""
    import shutil

    root = tmp_path / "p"
    shutil.copytree(good, root)
    return root, root / "data" / "raw" / "tiny" / forms_spec.FORMS_SUBDIR


def _validate(root: Path, capsys) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(root)
    try:
        code = cli.main(["validate", "--params", "params/tiny.yml"])
    finally:
        os.chdir(old)
    return code, capsys.readouterr().err


def _col(block: str, col_id: str) -> str:
    cols = [c.id for c in forms_spec.load_forms()[block].columns]
    return get_column_letter(cols.index(col_id) + 1)


def _help_row(item_id: str) -> int:
    ids = [i.id for i in forms_spec.load_forms()["help"].items]
    return forms_write.HELP_FIRST_ITEM_ROW + ids.index(item_id)


# ---------------------------------------------------------------------------- validate


def test_validate_passes_correct_forms_and_ingest_holds_them(good, capsys):
    code, err = _validate(good, capsys)
    assert code == 0, err
    assert "Проверка пройдена" in err
    params = load_params(good / "params" / "tiny.yml")
    forms = ingest.ingest(params).forms
    # the school chosen by name from the drop-down is read back as its school_id; the two
    # schools named «МБОУ СОШ № 1» stay apart (their labels carry the code)
    assert sorted(forms.mnc["school_id"].unique()) == ["100002", "100004"]
    assert set(forms.mtkp["school_id"]) == {"100002", "100004"}
    assert forms.help is not None and len(forms.help) == 13
    assert forms.roadmap["event_id"].tolist() == ["1", "2"]
    tables = [s.table for s in ingest.ingest(params).sources]
    assert tables.count("forms:mnc") == 1 and "schools" in tables


def test_validate_lists_every_problem_of_broken_forms(project, capsys):
    root, forms = project
    # text in a number cell (methodical help, item 8: a count)
    help_ref = f"D{_help_row('b1_08_n_schools_in_events')}"
    wb = load_workbook(forms / "form1_metod_pomosch.xlsx")
    wb["Методическая помощь"][help_ref] = "пять"
    wb.save(forms / "form1_metod_pomosch.xlsx")
    # a date that is not a date (roadmap, first event's due date)
    due_ref = f"{_col('roadmap', 'due')}{EVENTS_CODE_ROW + 1}"
    wb = load_workbook(forms / "form4_roadmap.xlsx")
    wb["Дорожная карта"][due_ref] = "31.02.2024"
    wb.save(forms / "form4_roadmap.xlsx")
    # a school that is not in the list (typed over the drop-down)
    school_ref = f"{_col('mnc', 'school_id')}{UNITS_CODE_ROW + 1}"
    wb = load_workbook(forms / "form2_mnc.xlsx")
    wb["МНЦ"][school_ref] = "МБОУ СОШ № 99"
    wb.save(forms / "form2_mnc.xlsx")
    # a deleted sheet
    wb = load_workbook(forms / "form3_mtkp.xlsx")
    del wb["МТКП"]
    wb.save(forms / "form3_mtkp.xlsx")

    code, err = _validate(root, capsys)
    assert code == 2, err
    prefix = "data/raw/tiny/forms/"
    expected = [
        (f"{prefix}form1_metod_pomosch.xlsx", 'лист "Методическая помощь"', help_ref, "«пять»"),
        (f"{prefix}form4_roadmap.xlsx", 'лист "Дорожная карта"', due_ref, "«31.02.2024»"),
        (f"{prefix}form2_mnc.xlsx", 'лист "МНЦ"', school_ref, "«МБОУ СОШ № 99»"),
    ]
    blocks = err.split("\n  - ")
    for file, sheet, ref, value in expected:
        hit = [b for b in blocks if file in b and sheet in b and f"ячейка {ref}" in b]
        assert hit, (file, ref, err)
        assert value in hit[0], hit[0]
    assert "целое число не меньше 0" in err and "дата (ДД.ММ.ГГГГ)" in err
    assert "раскрывающегося списка" in err
    assert f"{prefix}form3_mtkp.xlsx" in err and "лист «МТКП»" in err and "не найден" in err
    assert "whole number" in err and "a date" in err  # English beside the Russian


def test_validate_reports_forms_together_with_table_problems(project, capsys):
    root, forms = project
    ctx = root / "data" / "raw" / "tiny" / "context.csv"
    frame = pd.read_csv(ctx, dtype=str)
    frame.loc[0, "students_total"] = "много"
    frame.to_csv(ctx, index=False)
    wb = load_workbook(forms / "form1_metod_pomosch.xlsx")
    wb["Методическая помощь"][f"C{_help_row('b1_01_mgmt_competence_assessment_events')}"] = 2
    wb.save(forms / "form1_metod_pomosch.xlsx")
    code, err = _validate(root, capsys)
    assert code == 2
    assert "context.csv" in err and "много" in err
    assert "form1_metod_pomosch.xlsx" in err and "значение «2»" in err


def test_cli_module_validate_names_the_broken_form(project):
    root, forms = project
    wb = load_workbook(forms / "form2_mnc.xlsx")
    wb["МНЦ"][f"{_col('mnc', 'mnc_1_documentation')}{UNITS_CODE_ROW + 1}"] = "да-да"
    wb.save(forms / "form2_mnc.xlsx")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run(
        [sys.executable, "-m", "shnor_lib", "validate", "--params", "params/tiny.yml"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 2, run.stderr
    ref = f"{_col('mnc', 'mnc_1_documentation')}{UNITS_CODE_ROW + 1}"
    assert "form2_mnc.xlsx" in run.stderr and 'лист "МНЦ"' in run.stderr
    assert f"ячейка {ref}" in run.stderr and "«да-да»" in run.stderr
    assert "Traceback" not in run.stderr


# ---------------------------------------------------------------------------- fill and print


@pytest.fixture(scope="module")
def municipal_forms(good, tmp_path_factory) -> Path:
    """``shnor forms --params`` for the municipality: its schools in the drop-down."""
    out = tmp_path_factory.mktemp("municipal_forms")
    old = Path.cwd()
    os.chdir(good)
    try:
        assert cli.main(["forms", "--params", "params/tiny.yml", "--out", str(out / "a")]) == 0
        assert cli.main(["forms", "--params", "params/tiny.yml", "--out", str(out / "b")]) == 0
    finally:
        os.chdir(old)
    return out


def test_forms_are_protected_except_the_input_cells(municipal_forms):
    forms = forms_spec.load_forms()
    wb = load_workbook(municipal_forms / "a" / forms["mnc"].file)
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password  # no password: documented in the instructions
    ws = wb["МНЦ"]
    first = UNITS_CODE_ROW + 1
    assert ws["A1"].protection.locked and ws["C3"].protection.locked  # title, item wording
    assert ws[f"{_col('mnc', 'school_id')}{UNITS_CODE_ROW}"].protection.locked
    for col in forms["mnc"].columns:
        assert not ws[f"{_col('mnc', col.id)}{first}"].protection.locked, col.id
        # rows beyond the blank's (a school with more units): the column style is unlocked
        assert not ws.column_dimensions[_col("mnc", col.id)].protection.locked, col.id
    help_ws = load_workbook(municipal_forms / "a" / forms["help"].file)["Методическая помощь"]
    row = _help_row("b1_08_n_schools_in_events")
    assert not help_ws[f"D{row}"].protection.locked  # the count cell is an input
    assert help_ws[f"C{row}"].protection.locked  # «*»: not filled
    assert help_ws[f"B{row}"].protection.locked  # the item's wording
    instr = wb[INSTRUCTIONS_SHEET]
    assert not instr["B4"].protection.locked and not instr["B5"].protection.locked
    assert instr["B4"].value == "Тестовый район" and instr["B5"].value == YEAR


def test_service_codes_are_hidden(municipal_forms):
    forms = forms_spec.load_forms()
    help_ws = load_workbook(municipal_forms / "a" / forms["help"].file)["Методическая помощь"]
    assert help_ws.column_dimensions["E"].hidden
    assert help_ws.cell(HELP_HEADER_ROW + 1, 5).value == forms["help"].items[0].id
    for key, row in (("mnc", UNITS_CODE_ROW), ("mtkp", UNITS_CODE_ROW)):
        wb = load_workbook(municipal_forms / "a" / forms[key].file)
        ws = wb[forms[key].sheet]
        assert ws.row_dimensions[row].hidden
        assert ws.cell(row, 1).value == forms[key].columns[0].id  # still where the reader looks
        assert wb[LISTS_SHEET].sheet_state == "hidden"
    ws = load_workbook(municipal_forms / "a" / forms["roadmap"].file)["Дорожная карта"]
    assert ws.row_dimensions[EVENTS_CODE_ROW].hidden
    assert ws.cell(EVENTS_CODE_ROW, 1).value == "event_id"


def test_school_is_chosen_from_the_municipality_schools(municipal_forms):
    forms = forms_spec.load_forms()
    for key in ("mnc", "mtkp"):
        wb = load_workbook(municipal_forms / "a" / forms[key].file)
        ws = wb[forms[key].sheet]
        letter = _col(key, "school_id")
        dvs = [dv for dv in ws.data_validations.dataValidation if letter in str(dv.sqref)]
        assert len(dvs) == 1 and dvs[0].type == "list"
        ref = dvs[0].formula1.split("!")[1].replace("$", "")
        cells = wb[LISTS_SHEET][ref]
        labels = [c[0].value for c in cells]
        assert labels == [
            "МБОУ НОШ № 3",
            "МБОУ ООШ № 2",
            "МБОУ СОШ № 1 (код 100001)",
            "МБОУ СОШ № 1 (код 100004)",
        ]
    # the roadmap and methodical-help forms have no school column
    assert LISTS_SHEET not in load_workbook(municipal_forms / "a" / forms["help"].file).sheetnames


def test_a_name_chosen_from_the_drop_down_reads_back_as_school_id(municipal_forms, tmp_path):
    from shnor_lib.io import forms_read

    forms = forms_spec.load_forms()
    path = tmp_path / forms["mnc"].file
    wb = load_workbook(municipal_forms / "a" / forms["mnc"].file)
    ws = wb["МНЦ"]
    first = UNITS_CODE_ROW + 1
    for i, label in enumerate(["МБОУ ООШ № 2", "МБОУ СОШ № 1 (код 100004)"]):
        row = {c.id: 1 for c in forms["mnc"].columns if c.kind == "presence"}
        row.update(mentor_code=f"Н-0{i + 1}", school_id=label)
        for col in forms["mnc"].columns:
            if col.id in row:
                ws[f"{_col('mnc', col.id)}{first + i}"] = row[col.id]
    wb.save(path)
    data = forms_read.read_forms(tmp_path, year=YEAR, school_ids=list(NAMES), school_names=NAMES)
    assert data.mnc["school_id"].tolist() == ["100002", "100004"]


def test_forms_print_one_page_wide(municipal_forms):
    forms = forms_spec.load_forms()
    for block in forms.values():
        wb = load_workbook(municipal_forms / "a" / block.file)
        for name in (INSTRUCTIONS_SHEET, block.sheet):
            ws = wb[name]
            assert ws.sheet_properties.pageSetUpPr.fitToPage, (block.file, name)
            assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
            assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        ws = wb[block.sheet]
        assert ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows  # the header repeats on every page


def test_instructions_name_no_internal_path(municipal_forms):
    for path in sorted((municipal_forms / "a").glob("*.xlsx")):
        ws = load_workbook(path)[INSTRUCTIONS_SHEET]
        text = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
        for internal in ("data/raw", "outputs/", ".csv", "roadmap", "shnor ", "forms/"):
            assert internal not in text, (path.name, internal)


def test_municipal_forms_are_byte_identical_across_runs(municipal_forms):
    names = sorted(p.name for p in (municipal_forms / "a").glob("*.xlsx"))
    assert len(names) == 4
    for name in names:
        a = (municipal_forms / "a" / name).read_bytes()
        assert a == (municipal_forms / "b" / name).read_bytes(), name


def test_forms_for_a_municipality_without_schools_table_say_what_to_fix(tmp_path, capsys):
    (tmp_path / "data" / "raw" / "x").mkdir(parents=True)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "x.yml").write_text("municipality: x\ntitle: X\nyear: 2024\n", "utf-8")
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        code = cli.main(["forms", "--params", "params/x.yml"])
    finally:
        os.chdir(old)
    err = capsys.readouterr().err
    assert code == 2 and "schools" in err and "Traceback" not in err
    assert not (tmp_path / "outputs" / "forms" / "x").exists()
