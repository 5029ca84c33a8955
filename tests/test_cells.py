"""Real cell values and file-level quirks: each read as meant, or explained."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import tiny_tables, write_tables

from shnor_lib.errors import ShnorError, ValidationError
from shnor_lib.io import ingest


def _raw(root):
    return root / "data" / "raw" / "tiny"


def _problems(params) -> list:
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    return info.value.problems


def test_no_mark_words_and_absent_pupils(tiny_project):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"].astype(object)
    vpr.loc[0, "journal_mark"] = "нет отметки"
    vpr.loc[1, "journal_mark"] = "Х"  # Cyrillic
    vpr.loc[2, "journal_mark"] = "X"  # Latin
    vpr.loc[3, "mark"] = "отсутствовал"
    vpr.loc[3, "primary_score"] = None
    vpr.loc[4, "mark"] = "пять"  # a real error stays an error
    write_tables(_raw(root), {"vpr": vpr})
    assert [(p.row, p.value) for p in _problems(params)] == [(6, "пять")]
    vpr.loc[4, "mark"] = 5
    write_tables(_raw(root), {"vpr": vpr})
    result = ingest.ingest(params)
    v = result.tables["vpr"]
    assert len(v) == len(vpr) - 1  # the absent pupil is not a participant
    assert v["journal_mark"].iloc[:3].isna().all()
    assert any("1 строк без результата" in w for w in result.warnings)


def test_school_years_numbers_with_spaces_and_ids(tiny_project):
    root, params = tiny_project
    t = tiny_tables()
    ctx = t["context"].astype(object)
    ctx["year"] = ["2022/2023", "2022-2023", "2022/23", "2023/2024", 2024, "2023-2024"]
    ctx["students_total"] = ["1\u202f500", "1\u00a0120", "1 040", "1\u2009510", "118", "38"]
    write_tables(_raw(root), {"context": ctx})
    c = ingest.ingest(params).tables["context"]
    assert c["year"].tolist() == [2023, 2023, 2023, 2024, 2024, 2024]
    assert c["students_total"].tolist() == [1500, 1120, 1040, 1510, 118, 38]
    # a span that is not one school year stays an error
    ctx.loc[0, "year"] = "2021/2023"
    write_tables(_raw(root), {"context": ctx})
    assert [(p.row, p.value) for p in _problems(params)] == [(2, "2021/2023")]


def test_leading_zeros_zero_width_and_look_alike_letters(tiny_project):
    root, params = tiny_project
    t = tiny_tables()
    ids = {"100001": "010001", "100002": "edu203390", "100003": "100003"}
    for name in ("schools", "context", "vpr", "gia"):
        t[name]["school_id"] = t[name]["school_id"].map(ids)
    ctx = t["context"].astype(object)
    ctx.loc[0, "school_id"] = "010001\u200b"  # a zero-width space after the code
    ctx.loc[1, "school_id"] = "еdu203390"  # a Cyrillic «е»
    ctx.loc[2, "school_id"] = "１００００３"  # full-width digits
    vpr = t["vpr"].astype(object)
    vpr.loc[0, "subject"] = "Pусский язык"  # a Latin P
    vpr.loc[1, "subject"] = "Мате\u200bматика"
    t["context"], t["vpr"] = ctx, vpr
    write_tables(_raw(root), t)
    result = ingest.ingest(params)
    assert result.tables["context"]["school_id"].tolist()[:3] == ["010001", "edu203390", "100003"]
    assert result.tables["schools"]["school_id"].tolist()[0] == "010001"
    assert result.tables["vpr"]["subject"].iloc[:2].tolist() == ["Русский язык", "Математика"]


def test_sep_line_and_utf16_and_zero_width_header(tiny_project):
    root, params = tiny_project
    t = tiny_tables()
    before = ingest.ingest(params).tables
    raw = _raw(root)
    # Excel's «sep=;» first line; row numbers still count it
    text = t["gia"].to_csv(index=False, sep=";")
    (raw / "gia.csv").write_text("sep=;\n" + text, "utf-8")
    # Excel's «Unicode text»: UTF-16 with BOM, tab-separated; a zero-width char in a header
    ctx = t["context"].rename(columns={"low_income": "мало\u200bобеспеченные"})
    (raw / "context.csv").write_bytes(ctx.to_csv(index=False, sep="\t").encode("utf-16"))
    after = ingest.ingest(params).tables
    for name in ("gia", "context"):
        pd.testing.assert_frame_equal(before[name], after[name])
    gia = t["gia"].copy()
    gia.loc[1, "score"] = -5  # data row 2 → line 4 after «sep=;» and the header
    (raw / "gia.csv").write_text("sep=;\n" + gia.to_csv(index=False, sep=";"), "utf-8")
    assert [(p.row, p.column) for p in _problems(params)] == [(4, "score")]


def test_mixed_encodings_are_explained(tiny_project):
    root, params = tiny_project
    raw = _raw(root)
    lines = tiny_tables()["schools"].to_csv(index=False).splitlines()
    data = ("\n".join(lines[:2]) + "\n").encode("utf-8")
    data += ("\n".join(lines[2:]) + "\n").encode("cp1251")
    (raw / "schools.csv").write_bytes(data)
    with pytest.raises(ShnorError) as info:
        ingest.ingest(params)
    assert "смешанной кодировке" in info.value.message_ru and "schools.csv" in info.value.message_ru


def test_formulas_without_cached_values_are_explained(tiny_project):
    from openpyxl import Workbook

    root, params = tiny_project
    raw = _raw(root)
    schools = tiny_tables()["schools"]
    wb = Workbook()
    ws = wb.active
    ws.title = "ОО"
    ws.append(list(schools.columns))
    for row in schools.itertuples(index=False):
        ws.append(list(row))
    ws["F2"] = "=10+15.5"  # distance_km as a formula never calculated
    (raw / "schools.csv").unlink()
    wb.save(raw / "schools.xlsx")
    problems = _problems(params)
    (p,) = [p for p in problems if p.file.endswith("schools.xlsx")]
    assert "ОО!F2" in p.expected_ru and "откройте и сохраните файл в Excel" in p.expected_ru


def test_xls_contract_table_read_with_calamine(tiny_project):
    """A contract table saved as .xls (BIFF8), by name or by header, reads as the CSV did."""
    from real_layouts import xls_table

    root, params = tiny_project
    raw = _raw(root)
    before = ingest.ingest(params).tables
    t = tiny_tables()
    schools = t["schools"].rename(columns={"school_id": "Код ОО", "school_name": "Наименование ОО"})
    (raw / "schools.csv").unlink()
    xls_table(raw / "schools.xls", list(schools.columns), schools.values.tolist(), sheet="ОО")
    ctx = t["context"].astype(object)
    (raw / "context.csv").unlink()
    xls_table(raw / "Соцпаспорт 2024.xls", list(ctx.columns), ctx.values.tolist())
    after = ingest.ingest(params).tables
    for name in ("schools", "context"):
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False)
    ctx.loc[2, "students_total"] = "сорок"
    xls_table(raw / "Соцпаспорт 2024.xls", list(ctx.columns), ctx.values.tolist())
    (p,) = _problems(params)
    assert (p.file, p.row, p.column, p.value) == (
        "data/raw/tiny/Соцпаспорт 2024.xls",
        4,
        "students_total",
        "сорок",
    )
