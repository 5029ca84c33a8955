"""File recognition: every file under data/raw/<m>/ is previewed and given to one layout."""

from __future__ import annotations

import pandas as pd
from conftest import tiny_tables, write_tables

from shnor_lib.io import ingest, recognise


def _raw(root):
    return root / "data" / "raw" / "tiny"


def test_contract_tables_found_in_subfolders_by_header_whatever_the_name(tiny_project):
    """`vpr/ВПР итог.xlsx` is the vpr table by its header; sub-folders are walked."""
    root, params = tiny_project
    raw = _raw(root)
    vpr = tiny_tables()["vpr"].rename(
        columns={"year": "Год", "school_id": "Код ОО", "student_id": "Код участника"}
    )
    (raw / "vpr.csv").unlink()
    (raw / "vpr").mkdir()
    vpr.to_excel(raw / "vpr" / "ВПР итог.xlsx", index=False)
    result = ingest.ingest(params)
    assert len(result.tables["vpr"]) == len(vpr)
    assert [s.file for s in result.sources if s.table == "vpr"] == [
        "data/raw/tiny/vpr/ВПР итог.xlsx"
    ]
    lines = "\n".join(ingest.inspect(params))
    assert "data/raw/tiny/vpr/ВПР итог.xlsx\n    как: Таблица контракта" in lines
    assert "распознан по заголовку (строка 1)" in lines
    assert "→ schools: строк 3; распознан по имени файла и заголовку" in lines


def test_unrecognised_files_set_aside_with_reason_and_auxiliary_skipped(tiny_project):
    root, params = tiny_project
    raw = _raw(root)
    (raw / "заметки.csv").write_text("что-то;совсем;другое\n1;2;3\n", "utf-8")
    (raw / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (raw / "~$vpr.xlsx").write_bytes(b"lock")
    (raw / ".hidden.csv").write_text("x\n1\n", "utf-8")
    (raw / "README.md").write_text("о папке", "utf-8")
    (raw / "_truth.json").write_text("{}", "utf-8")
    result = ingest.ingest(params)
    # forms/ is not for the table recognition: the forms reader takes it (a broken form is an
    # input problem there, tests/test_forms_ingest.py)
    (raw / "forms").mkdir()
    (raw / "forms" / "form1.xlsx").write_bytes(b"not a table export")
    aside = [w for w in result.warnings if "отложен" in w]
    assert len(aside) == 2, aside
    assert any("заметки.csv" in w and "что-то | совсем | другое" in w for w in aside)
    assert any("photo.jpg" in w and "«.jpg» не читается" in w for w in aside)
    found = recognise.scan(raw, str)
    skipped = {r.path.name: r.set_aside for r in found if r.skipped}
    assert set(skipped) == {"~$vpr.xlsx", ".hidden.csv", "README.md", "_truth.json", "form1.xlsx"}


def test_missing_required_table_names_the_files_set_aside(tiny_project):
    root, params = tiny_project
    raw = _raw(root)
    (raw / "gia.csv").rename(raw / "итоги экзаменов.csv")  # no «exam» column: unknown table
    text = (raw / "итоги экзаменов.csv").read_text("utf-8").replace("exam,", "форма экзамена,")
    (raw / "итоги экзаменов.csv").write_text(text, "utf-8")
    problems = _problems(params)
    missing = [p for p in problems if "обязательный файл «gia»" in p.expected_ru]
    assert len(missing) == 1 and "итоги экзаменов.csv" in missing[0].expected_ru


def test_longest_table_name_wins_and_header_ties_recognise_nothing(tmp_path):
    from shnor_lib.io import contract

    assert contract.table_by_name(tmp_path / "vpr_2023.xlsx") == "vpr"
    assert contract.table_by_name(tmp_path / "school_stats.csv") == "school_stats"
    assert contract.table_by_name(tmp_path / "vpr_tasks_2026.csv") == "vpr_tasks"
    assert contract.table_by_name(tmp_path / "schools_2024.csv") == "schools"
    assert contract.table_by_header(["Код ОО", "Год"]) is None  # context? stats? too few
    assert contract.table_by_header(["Код ОО", "Год", "Численность обучающихся"]) == "context"


def test_data_on_the_second_sheet_is_found(tiny_project):
    root, params = tiny_project
    raw = _raw(root)
    (raw / "schools.csv").unlink()
    with pd.ExcelWriter(raw / "Перечень.xlsx") as xw:
        pd.DataFrame({"Пояснение": ["Перечень ОО на 01.09"]}).to_excel(
            xw, sheet_name="Титул", index=False
        )
        tiny_tables()["schools"].to_excel(xw, sheet_name="ОО", index=False)
    result = ingest.ingest(params)
    assert result.tables["schools"]["school_id"].tolist() == ["100001", "100002", "100003"]


def test_problem_in_a_subfolder_file_names_file_sheet_row_and_user_column(tiny_project):
    root, params = tiny_project
    raw = _raw(root)
    vpr = tiny_tables()["vpr"].rename(columns={"mark": "Отметка", "school_id": "Код ОО"})
    vpr["Отметка"] = vpr["Отметка"].astype(object)
    vpr.loc[2, "Отметка"] = "семь"
    (raw / "vpr.csv").unlink()
    (raw / "vpr").mkdir()
    with pd.ExcelWriter(raw / "vpr" / "итог.xlsx") as xw:
        pd.DataFrame({"x": [1]}).to_excel(xw, sheet_name="Титул", index=False)
        vpr.to_excel(xw, sheet_name="Данные", index=False)
    problems = _problems(params)
    bad = [p for p in problems if p.value == "семь"]
    assert len(bad) == 1
    assert bad[0].file == "data/raw/tiny/vpr/итог.xlsx, лист «Данные»"
    assert (bad[0].row, bad[0].column) == (4, "Отметка")


def _problems(params):
    import pytest

    from shnor_lib.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    return info.value.problems


def test_tiny_written_as_csv_still_identical(tiny_project):
    """The dispatcher reads the plain contract files exactly as before."""
    root, params = tiny_project
    before = ingest.ingest(params).tables
    write_tables(_raw(root) / "sub", {"extra_notes": pd.DataFrame({"a": [1]})})
    after = ingest.ingest(params)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after.tables[name])
    assert any("extra_notes.csv" in w for w in after.warnings)
