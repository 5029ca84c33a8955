"""Ingestion: formats, aliases, personal data, and every bad-input case of the foundation issue."""

from __future__ import annotations

import functools

import pandas as pd
import pytest
from conftest import tiny_tables, write_tables

from shnor_lib import pipeline
from shnor_lib.cli import main
from shnor_lib.errors import ShnorError, ValidationError
from shnor_lib.io import ingest


def _problems(params) -> list:
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    return info.value.problems


def _raw(root):
    return root / "data" / "raw" / "tiny"


def test_valid_tiny_ingests_with_canonical_types(tiny_project):
    root, params = tiny_project
    result = ingest.ingest(params)
    vpr = result.tables["vpr"]
    assert set(result.tables) == {"schools", "context", "vpr", "gia"}
    assert vpr["mark"].dtype == "Int64" and vpr["grade"].between(4, 5).all()
    assert result.tables["schools"]["is_small"].tolist() == [False, True, True]
    assert {s.table for s in result.sources} == {"schools", "context", "vpr", "gia"}
    assert all(len(s.sha256) == 64 for s in result.sources)


def test_missing_required_file(tiny_project):
    root, params = tiny_project
    (_raw(root) / "gia.csv").unlink()
    problems = _problems(params)
    assert any("gia" in p.file and "обязательный файл" in p.expected_ru for p in problems)


def test_missing_column_names_column_and_file(tiny_project):
    root, params = tiny_project
    t = tiny_tables()
    write_tables(_raw(root), {"vpr": t["vpr"].drop(columns=["mark"])})
    problems = _problems(params)
    assert any(p.column == "mark" and p.file.endswith("vpr.csv") for p in problems)


def test_wrong_type_mark_6_score_above_max_collected_together(tiny_project):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    vpr["mark"] = vpr["mark"].astype(object)
    vpr.loc[0, "mark"] = "пять"  # wrong type → row 2
    vpr.loc[1, "mark"] = 6  # out of range → row 3
    vpr.loc[2, "primary_score"] = 31  # above max_score 30 → row 4
    write_tables(_raw(root), {"vpr": vpr})
    problems = _problems(params)
    got = {(p.row, p.column, str(p.value)) for p in problems}
    assert (2, "mark", "пять") in got
    assert (3, "mark", "6") in got
    assert (4, "primary_score", "31.0") in got or (4, "primary_score", "31") in got
    text = ValidationError(problems).format()
    assert "строка 3" in text and "row 3" in text and "от 2 до 5" in text


def test_gia_score_above_max(tiny_project):
    root, params = tiny_project
    gia = tiny_tables()["gia"]
    gia.loc[0, "score"] = 101  # ЕГЭ above 100
    write_tables(_raw(root), {"gia": gia})
    problems = _problems(params)
    assert any(p.row == 2 and p.column == "score" for p in problems)


def test_unknown_school_id(tiny_project):
    root, params = tiny_project
    ctx = tiny_tables()["context"]
    ctx.loc[4, "school_id"] = "999999"
    write_tables(_raw(root), {"context": ctx})
    problems = _problems(params)
    assert [(p.row, p.value) for p in problems if p.column == "school_id"] == [(6, "999999")]


@pytest.mark.parametrize("quoted", [False, True])
def test_csv_row_numbers_count_blank_lines(tiny_project, quoted):
    """Readers skip blank lines; messages still name the line of the file."""
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    vpr["mark"] = vpr["mark"].astype(object)
    vpr.loc[3, "mark"] = 7  # data row 4 → line 5 without blank lines
    path = _raw(root) / "vpr.csv"
    write_tables(_raw(root), {"vpr": vpr})
    lines = path.read_text("utf-8").splitlines()
    if quoted:  # a quoted cell, as Excel writes them
        lines[1] = lines[1].replace(lines[1].split(",")[0], '"' + lines[1].split(",")[0] + '"', 1)
    lines[2:2] = ["", "   "]  # two blank lines after the first data row
    path.write_text("\n".join(lines) + "\n\n", "utf-8")
    problems = [p for p in _problems(params) if p.column == "mark"]
    assert [(p.row, str(p.value)) for p in problems] == [(7, "7")]


def test_title_row_above_header_is_pointed_out(tiny_project):
    root, params = tiny_project
    path = _raw(root) / "context.csv"
    write_tables(_raw(root), {"context": tiny_tables()["context"]})
    path.write_text("Социальный паспорт ОО, 2024 год\n" + path.read_text("utf-8"), "utf-8")
    problems = [p for p in _problems(params) if p.file.endswith("context.csv")]
    hint = [p for p in problems if "похоже, он в строке 2" in p.expected_ru]
    assert len(hint) == 1 and hint[0].row == 2 and "row 2" in hint[0].expected_en
    # a title exported as «Результаты ВПР;;;» makes «;» look like the separator
    path = _raw(root) / "vpr.csv"
    path.write_text("Результаты ВПР;;;\n" + path.read_text("utf-8"), "utf-8")
    problems = [p for p in _problems(params) if p.file.endswith("vpr.csv")]
    assert any("похоже, он в строке 2" in p.expected_ru for p in problems)


def test_ids_saved_by_excel_as_decimals_are_the_same_codes(tiny_project):
    """A CSV that went through Excel writes codes as 230101.0: read as 230101."""
    root, params = tiny_project
    t = tiny_tables()
    ctx = t["context"].copy()
    ctx["school_id"] = ctx["school_id"].astype(str) + ".0"
    write_tables(_raw(root), {"context": ctx})
    result = ingest.ingest(params)
    assert (
        result.tables["context"]["school_id"].tolist()
        == t["context"]["school_id"].astype(str).tolist()
    )
    # a real typo is still an unknown id
    ctx.loc[0, "school_id"] = "230101.5"
    write_tables(_raw(root), {"context": ctx})
    assert [p.value for p in _problems(params) if p.column == "school_id"] == ["230101.5"]


def test_duplicate_student_rows(tiny_project):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    vpr = pd.concat([vpr, vpr.iloc[[3]]], ignore_index=True)
    write_tables(_raw(root), {"vpr": vpr})
    problems = _problems(params)
    dup = [p for p in problems if "повторяет строку 5" in p.expected_ru]
    assert len(dup) == 1 and dup[0].row == len(vpr) + 1


def test_empty_file(tiny_project):
    root, params = tiny_project
    (_raw(root) / "context.csv").write_text("", "utf-8")
    problems = _problems(params)
    assert any(p.file.endswith("context.csv") and "непустая" in p.expected_ru for p in problems)


def test_cp1251_semicolon_decimal_comma_russian_headers(tiny_project):
    root, params = tiny_project
    ctx = tiny_tables()["context"].rename(
        columns={
            "school_id": "Код ОО",
            "year": "Год",
            "students_total": "Численность обучающихся",
            "low_income": "Малообеспеченные",
        }
    )
    ctx["Скорость интернета"] = ["10,5", "2,25", "0,5", "11", "3", "1"]
    text = ctx.to_csv(index=False, sep=";")
    (_raw(root) / "context.csv").write_bytes(text.encode("cp1251"))
    result = ingest.ingest(params)
    c = result.tables["context"]
    assert c["internet_mbps"].tolist()[:3] == [10.5, 2.25, 0.5]
    assert c["students_total"].iloc[0] == 500


def test_xlsx_with_russian_headers_and_subject_aliases(tiny_project):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"].rename(
        columns={
            "year": "Год",
            "school_id": "Код ОО",
            "student_id": "Код участника",
            "grade": "Класс",
            "subject": "Предмет",
            "primary_score": "Первичный балл",
            "max_score": "Максимальный балл",
            "mark": "Отметка",
            "journal_mark": "Отметка по журналу",
        }
    )
    vpr["Предмет"] = vpr["Предмет"].replace({"Русский язык": "Рус. яз."})
    (_raw(root) / "vpr.csv").unlink()
    vpr.to_excel(_raw(root) / "vpr.xlsx", index=False)
    result = ingest.ingest(params)
    v = result.tables["vpr"]
    assert set(v["subject"]) == {"Русский язык", "Математика"}
    assert v["journal_mark"].notna().all()


def test_personal_data_column_dropped_and_never_persisted(tiny_project):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    vpr.insert(3, "ФИО", "Иванов Иван Иванович")
    vpr.insert(4, "Дата рождения", "01.01.2012")
    write_tables(_raw(root), {"vpr": vpr})
    result = ingest.run(params)
    assert "ФИО" in result.warnings[0] and "Дата рождения" in result.warnings[0]
    pipeline.compute(params)
    for path in list(params.processed_dir().rglob("*")) + list(params.output_dir().rglob("*")):
        if path.is_file():
            assert b"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2" not in path.read_bytes(), (
                path
            )  # «Иванов»
    assert "ФИО" not in pd.read_parquet(params.processed_dir() / "vpr.parquet").columns


def test_unknown_columns_reported_not_used(tiny_project):
    root, params = tiny_project
    ctx = tiny_tables()["context"].assign(Примечание="x")
    write_tables(_raw(root), {"context": ctx})
    result = ingest.ingest(params)
    assert any("«Примечание»" in w for w in result.warnings)
    assert "Примечание" not in result.tables["context"].columns


def test_count_above_total(tiny_project):
    root, params = tiny_project
    ctx = tiny_tables()["context"]
    ctx.loc[0, "low_income"] = 600
    write_tables(_raw(root), {"context": ctx})
    problems = _problems(params)
    assert any(p.row == 2 and p.column == "low_income" for p in problems)


def test_per_year_files_are_concatenated(tiny_project):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    (_raw(root) / "vpr.csv").unlink()
    for year, part in vpr.groupby("year"):
        part.to_csv(_raw(root) / f"vpr_{year}.csv", index=False)
    result = ingest.ingest(params)
    assert len(result.tables["vpr"]) == len(vpr)


def test_cli_bad_input_exits_nonzero_and_writes_nothing(tiny_project, capsys, monkeypatch):
    root, params = tiny_project
    monkeypatch.chdir(root)
    assert main(["compute", "--params", "params/tiny.yml"]) == 0
    before = (params.output_dir() / "tables" / "indicators.csv").read_bytes()
    processed_before = (params.processed_dir() / "vpr.parquet").read_bytes()
    vpr = tiny_tables()["vpr"]
    vpr.loc[0, "mark"] = 7
    write_tables(_raw(root), {"vpr": vpr})
    capsys.readouterr()
    assert main(["compute", "--params", "params/tiny.yml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "vpr.csv" in err and "строка 2" in err
    assert (params.output_dir() / "tables" / "indicators.csv").read_bytes() == before
    assert (params.processed_dir() / "vpr.parquet").read_bytes() == processed_before
    leftovers = [p.name for p in params.output_dir().iterdir() if p.name.startswith(".")]
    assert leftovers == []


_READ_RAW = ingest.read_raw


def _ingest_with(params, monkeypatch, engine: str):
    """ingest() with the given CSV reader: ("ok", tables) or ("problems", [...]) or error."""
    monkeypatch.setattr(ingest, "read_raw", functools.partial(_READ_RAW, engine=engine))
    try:
        return "ok", ingest.ingest(params).tables
    except ValidationError as exc:
        return "problems", [p.__dict__ for p in exc.problems]
    except ShnorError as exc:
        return "error", exc.format()
    finally:
        monkeypatch.setattr(ingest, "read_raw", _READ_RAW)


@pytest.mark.parametrize("case", ["clean", "messy", "bad", "ragged", "cp1251"])
def test_arrow_and_pandas_csv_readers_agree(tiny_project, monkeypatch, case):
    """The fast (Arrow) CSV path gives the same tables and the same problems as pandas."""
    root, params = tiny_project
    t = tiny_tables()
    raw = _raw(root)
    if case == "messy":  # decimal commas, thousands spaces, padded cells, blank lines, quotes
        ctx = t["context"].astype(object)
        ctx["students_total"] = ["500", " 120 ", "40", "5 10", "118", "38"]
        ctx["internet_mbps"] = ["10,5", "", "  ", "11", "3.5", "1"]
        ctx.to_csv(raw / "context.csv", index=False)
        s = t["schools"].astype(object)
        s["school_name"] = ['МБОУ "СОШ № 1", корпус 2', "МБОУ ООШ № 2", " МБОУ НОШ № 3 "]
        s["is_small"] = ["нет", "Да", "1"]
        s["locality"] = ["Город", "сельская", "село"]
        s.to_csv(raw / "schools.csv", index=False)
        text = (raw / "gia.csv").read_text("utf-8").replace("\n", "\n\n", 2)
        (raw / "gia.csv").write_text("\ufeff" + text, "utf-8")
    if case == "bad":  # wrong types, out of range, unknown subject, empty required cell
        vpr = t["vpr"].astype(object)
        vpr.loc[0, "mark"] = "пять"
        vpr.loc[1, "mark"] = 6
        vpr.loc[2, "subject"] = "Астрология"
        vpr.loc[3, "student_id"] = ""
        vpr.loc[4, "primary_score"] = "1,5"
        vpr.to_csv(raw / "vpr.csv", index=False)
    if case == "ragged":  # a row with a missing field and one with an extra field
        lines = (raw / "gia.csv").read_text("utf-8").splitlines()
        lines[2] = lines[2].rsplit(",", 1)[0]
        (raw / "gia.csv").write_text("\n".join(lines) + "\n", "utf-8")
        lines = (raw / "context.csv").read_text("utf-8").splitlines()
        lines[3] += ",7"
        (raw / "context.csv").write_text("\n".join(lines) + "\n", "utf-8")
    if case == "cp1251":
        text = t["vpr"].to_csv(index=False, sep=";")
        (raw / "vpr.csv").write_bytes(text.encode("cp1251"))
    fast = _ingest_with(params, monkeypatch, "auto")
    slow = _ingest_with(params, monkeypatch, "pandas")
    assert fast[0] == slow[0] == {"bad": "problems", "ragged": "error"}.get(case, "ok")
    if fast[0] != "ok":
        assert fast[1] == slow[1]
        return
    assert fast[1].keys() == slow[1].keys()
    for name in fast[1]:
        pd.testing.assert_frame_equal(fast[1][name], slow[1][name], check_exact=True)


def test_arrow_reader_is_used_for_clean_csv(tiny_project):
    root, _ = tiny_project
    frame = ingest.read_raw(_raw(root) / "vpr.csv")
    assert all(isinstance(frame[c].dtype, pd.StringDtype) for c in frame.columns)
    assert frame["school_id"].dtype.storage == "pyarrow"


def test_reporting_year_without_results_is_an_error(tiny_project, capsys, monkeypatch):
    root, params = tiny_project
    monkeypatch.chdir(root)
    assert main(["compute", "--params", "params/tiny.yml", "--year", "2030"]) == 2
    err = capsys.readouterr().err
    assert "2030" in err and "2023, 2024" in err and "Traceback" not in err


def test_federal_list_procedure_spellings(tiny_project):
    root, params = tiny_project
    ros = pd.DataFrame(
        {
            "year": [2024, 2024, 2024],
            "school_id": ["100001"] * 3,
            "procedure": ["ВПР-2024", "впр", "ВсОКО"],
            "grade": [5, 5, 5],
            "subject": ["Математика", "Русский язык", "Математика"],
        }
    )
    write_tables(_raw(root), {"rosobrnadzor": ros})
    problems = _problems(params)
    assert [(p.row, p.column, p.value) for p in problems] == [(4, "procedure", "ВсОКО")]
    ros = ros.iloc[:2]
    write_tables(_raw(root), {"rosobrnadzor": ros})
    assert ingest.ingest(params).tables["rosobrnadzor"]["procedure"].tolist() == ["ВПР", "ВПР"]


def test_xlsx_row_numbers_count_blank_rows(tiny_project):
    root, params = tiny_project
    schools = tiny_tables()["schools"].astype(object)
    blank = pd.DataFrame([[None] * schools.shape[1]] * 2, columns=schools.columns)
    schools = pd.concat([schools.iloc[:1], blank, schools.iloc[1:]], ignore_index=True)
    schools.loc[3, "locality"] = "луна"  # sheet row 5 (header 1, data 2, blanks 3–4)
    (_raw(root) / "schools.csv").unlink()
    schools.to_excel(_raw(root) / "schools.xlsx", index=False)
    problems = _problems(params)
    assert [(p.row, p.column) for p in problems] == [(5, "locality")]
