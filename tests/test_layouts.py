"""Real export layouts read unedited: ФИС ОКО Ф1, «Форма сбора результатов», the ФИОКО list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_tables, write_tables
from real_layouts import RU4_TASKS, School, f1_file, pupils

from shnor_lib.config import load_params
from shnor_lib.errors import ValidationError
from shnor_lib.io import ingest

LOGINS = {"100001": "edu203389", "100002": "edu203390", "100003": "edu203391"}
MA4_TASKS = (
    ("1", 1, "Б"),
    ("2", 1, "Б"),
    ("3", 2, "Б"),
    ("4", 1, "Б"),
    ("5", 2, "П"),
    ("6", 2, "П"),
)


def login_tables(year: int = 2026) -> dict[str, pd.DataFrame]:
    """The tiny municipality with ФИС ОКО logins as school codes, shifted to ``year``."""
    t = tiny_tables()
    out = {}
    for name, frame in t.items():
        frame = frame.copy()
        frame["school_id"] = frame["school_id"].map(LOGINS)
        if "year" in frame:
            frame["year"] = frame["year"] + (year - 2024)
        out[name] = frame
    return out


@pytest.fixture
def f1_project(tmp_path: Path):
    """Schools/context/gia as plain tables; ВПР as a folder of Ф1 files (3 schools × 2
    subjects × 2 grades, several schools' group rows in one file, «отсутствовал» rows)."""
    raw = tmp_path / "data" / "raw" / "f1"
    tables = login_tables()
    write_tables(raw, {k: v for k, v in tables.items() if k != "vpr"})
    n = 0
    for subject, tasks in (("Русский язык", RU4_TASKS), ("Математика", MA4_TASKS)):
        for grade in (4, 5):
            schools = [
                School(
                    login,
                    f"МБОУ «СОШ №{k + 1}»",
                    pupils(f"{grade}{k}", 6 + k, tasks, seed=k, absent=k % 2),
                )
                for k, login in enumerate(LOGINS.values())
            ]
            code = {"Русский язык": "РУ", "Математика": "МА"}[subject]
            # one file per school for grade 5, all schools in one file for grade 4
            if grade == 4:
                f1_file(
                    raw / "vpr" / f"{code}_{grade}.xlsx",
                    schools,
                    subject=subject,
                    grade=grade,
                    tasks=tasks,
                )
                n += 1
            else:
                for s in schools:
                    f1_file(
                        raw
                        / "vpr"
                        / f"{s.login}"
                        / f"{code} {grade} Индивидуальные результаты.xlsx",
                        [s],
                        subject=subject,
                        grade=grade,
                        tasks=tasks,
                        group_row_cells=2,
                    )
                    n += 1
    (tmp_path / "params").mkdir()
    path = tmp_path / "params" / "f1.yml"
    path.write_text(
        "municipality: f1\ntitle: Урус-Мартановский район\nyear: 2026\nwindow: 2\n", "utf-8"
    )
    return tmp_path, load_params(path), n


def test_f1_folder_read_unedited(f1_project):
    root, params, n_files = f1_project
    result = ingest.ingest(params)
    vpr, tasks = result.tables["vpr"], result.tables["vpr_tasks"]
    # 3 schools × (6, 7, 8 pupils) × 2 subjects × 2 grades; one «отсутствовал» pupil in the
    # second school of every file is dropped
    assert len(vpr) == (6 + 7 + 8) * 4
    assert set(vpr["school_id"]) == set(LOGINS.values())
    assert set(vpr["grade"]) == {4, 5} and set(vpr["year"]) == {2026}
    assert set(vpr["class_no"]) == {"1", "2"}  # «Класс» is the class ordinal, not the grade
    ru = vpr[vpr["subject"] == "Русский язык"]
    assert set(ru["max_score"]) == {24.0}  # R5 «Максимальный первичный балл:»
    assert vpr["journal_mark"].isna().sum() > 0  # «нет отметки»
    assert len([s for s in result.sources if s.table == "vpr"]) == n_files
    assert len(tasks) == len(ru) * len(RU4_TASKS) + (len(vpr) - len(ru)) * len(MA4_TASKS)
    assert set(tasks["level"]) == {"Б", "П"}
    one = tasks[(tasks["subject"] == "Русский язык") & (tasks["task"] == "9.1")]
    assert set(one["max_task_score"]) == {1.0} and one["score"].between(0, 1).all()
    # task scores add up to the primary score («Х» = 0 points)
    sums = tasks.groupby(["school_id", "student_id", "subject"])["score"].sum()
    prim = vpr.set_index(["school_id", "student_id", "subject"])["primary_score"]
    assert (sums.sort_index() == prim.sort_index()).all()
    notes = " ".join(result.warnings)
    assert "«отсутствовал»" in notes and "«Х» (не приступал к заданию)" in notes


def test_f1_bad_cell_names_file_sheet_row_and_user_column(f1_project):
    root, params, _ = f1_project
    path = root / "data" / "raw" / "f1" / "vpr" / "РУ_4.xlsx"
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[8]]
    ws.cell(row=11, column=header.index("Отметка") + 1, value=7)
    wb.save(path)
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    bad = [p for p in info.value.problems if p.value == "7"]
    assert len(bad) == 1
    assert bad[0].file == "data/raw/f1/vpr/РУ_4.xlsx, лист «РУ 4 Индивидуальные результаты»"
    assert (bad[0].row, bad[0].column) == (11, "Отметка")
    assert "от 2 до 5" in bad[0].expected_ru


def test_f1_without_title_row_asks_for_it(f1_project):
    root, params, _ = f1_project
    path = root / "data" / "raw" / "f1" / "vpr" / "РУ_4.xlsx"
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.active.cell(row=3, column=1, value="Всероссийские проверочные работы")
    wb.save(path)
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    (p,) = [p for p in info.value.problems if p.file.endswith("РУ_4.xlsx")]
    assert "ВПР 2026 Русский язык 4 класс" in p.expected_ru and p.row == 3


OWN = "Урус-Мартановский муниципальный район"
OTHER = "Грозненский муниципальный район"


def _fioko_rows() -> list[list[object]]:
    """2025 with blanks for «no marker», 2026 with zeros and its block carried twice, and rows
    of another municipality (one of them a conflicting duplicate, not ours to judge)."""
    y2025 = [
        [2025, "edu203389", OWN, "МБОУ «СОШ №1»", 1, None, None, 1, 2],
        [2025, "edu203390", OWN, "МБОУ «СОШ №2»", None, None, None, None, 0],
        [2025, "edu209999", OTHER, "МБОУ «СОШ №9»", None, 1, None, None, 1],
    ]
    y2026 = [
        [2026, "edu203389", OWN, "МБОУ «СОШ №1»", 0, 0, 1, 0, 1],
        [2026, "edu203391", OWN, "МБОУ «СОШ №3»", 1, 1, 0, 0, 2],
        [2026, "edu209999", OTHER, "МБОУ «СОШ №9»", 0, 0, 0, 1, 1],
        [2026, "edu209998", OTHER, "МБОУ «СОШ №8»", 1, 0, 0, 0, 1],
    ]
    conflict_elsewhere = [2026, "edu209998", OTHER, "МБОУ «СОШ №8»", 0, 0, 0, 0, 0]
    return y2026 + y2025 + y2026 + [conflict_elsewhere]


def test_fioko_list_melted_own_rows_only_duplicates_collapsed(f1_project):
    from real_layouts import fioko_file

    root, params, _ = f1_project
    raw = root / "data" / "raw" / "f1"
    fioko_file(raw / "ФИОКО" / "Перечень ОО с признаками необъективности.xlsx", _fioko_rows())
    result = ingest.ingest(params)
    ros = result.tables["rosobrnadzor"].sort_values(["year", "school_id", "grade", "subject"])
    got = [tuple(r) for r in ros[["year", "school_id", "procedure", "grade", "subject"]].values]
    assert got == [
        (2025, "edu203389", "ВПР", 4, "Русский язык"),
        (2025, "edu203389", "ВПР", 5, "Математика"),
        (2026, "edu203389", "ВПР", 5, "Русский язык"),
        (2026, "edu203391", "ВПР", 4, "Математика"),
        (2026, "edu203391", "ВПР", 4, "Русский язык"),
    ]
    text = " ".join(result.warnings)
    assert "4 повторяющихся строк" in text  # the 2026 block carried twice
    other = [w for w in result.warnings if "других муниципалитетов" in w]
    assert len(other) == 1 and other[0].split(": ", 1)[1].startswith("3 строк")


def test_fioko_conflicting_duplicate_of_own_school_is_an_error(f1_project):
    from real_layouts import fioko_file

    root, params, _ = f1_project
    rows = _fioko_rows()
    rows.append([2026, "edu203391", OWN, "МБОУ «СОШ №3»", 1, 0, 0, 0, 1])  # row 14
    path = fioko_file(root / "data" / "raw" / "f1" / "fioko.xlsx", rows)
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    (p,) = info.value.problems
    assert p.file == f"data/raw/f1/{path.name}, лист «Лист1»"
    assert "строки 3 и 14" in p.expected_ru and "«4 МА»" in p.expected_ru
    assert (p.row, p.column, p.value) == (14, "Логин", "edu203391")


def test_fioko_marker_other_than_0_1_blank_is_named(f1_project):
    from real_layouts import fioko_file

    root, params, _ = f1_project
    rows = _fioko_rows()
    rows[1][5] = "да!"
    fioko_file(root / "data" / "raw" / "f1" / "fioko.xlsx", rows)
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    (p,) = info.value.problems
    assert p.row == 3 and p.value == "да!" and "«4 МА»" in p.expected_ru


RU5_FORM_TASKS = (
    ("1", 9),
    ("2", 6),
    ("3", 3),
    ("4К1", 3),
    ("4К2", 3),
    ("5", 6),
    ("6", 5),
    ("7", 5),
    ("8", 5),
)


def _form_rows() -> list[list[object]]:
    """Pupils as a school fills the form: «Х» tasks, «нет отметки», an absent pupil."""
    rows = []
    for i in range(6):
        tasks = [min(m, (i * 3 + k) % (m + 1)) for k, (_, m) in enumerate(RU5_FORM_TASKS)]
        if i == 2:
            tasks[3] = "Х"  # Cyrillic Х: not attempted
        if i == 4:
            tasks[5] = "X"  # Latin X
        total = sum(t for t in tasks if isinstance(t, int))
        prev = "нет отметки" if i == 1 else 3 + i % 3
        rows.append([f"5{i:04d}", 1 + i % 2, *tasks, 1 + i % 2, prev, total])
    rows.append(["50099", "отсутствовал", *[None] * len(RU5_FORM_TASKS), 1, 4, None])
    return rows


@pytest.fixture
def form_project(tmp_path: Path):
    raw = tmp_path / "data" / "raw" / "forms24"
    tables = login_tables(2024)
    # the forms bring 2024 grade 5 Russian with its real maximum (45): the fixture's own rows
    # of that work (maximum 30) would be two maxima of one ВПР, which ingest refuses
    vpr = tables["vpr"]
    own = (vpr["year"] == 2024) & (vpr["grade"] == 5) & (vpr["subject"] == "Русский язык")
    tables["vpr"] = vpr[~own]
    write_tables(raw, tables)
    (tmp_path / "params").mkdir()
    path = tmp_path / "params" / "forms24.yml"
    path.write_text("municipality: forms24\ntitle: Тест\nyear: 2024\nwindow: 2\n", "utf-8")
    return tmp_path, load_params(path)


def test_collection_form_by_file_name(form_project):
    from real_layouts import collection_form

    root, params = form_project
    raw = root / "data" / "raw" / "forms24"
    collection_form(raw / "ВПР" / "ВПР_2024_РУ_5_edu203389.xlsx", _form_rows(), RU5_FORM_TASKS)
    result = ingest.ingest(params)
    vpr = result.tables["vpr"]
    mine = vpr[vpr["student_id"].str.startswith("5")].sort_values("student_id")
    assert len(mine) == 6  # the absent pupil is not a participant
    assert set(mine["school_id"]) == {"edu203389"} and set(mine["grade"]) == {5}
    assert set(mine["max_score"]) == {45.0}
    # 2024 grade 5 Russian scale: 3 from 18, 4 from 29, 5 from 39
    expected = [2 if p < 18 else 3 if p < 29 else 4 if p < 39 else 5 for p in mine["primary_score"]]
    assert mine["mark"].tolist() == expected
    assert mine["journal_mark"].isna().sum() == 1  # «нет отметки»
    tasks = result.tables["vpr_tasks"]
    assert len(tasks) == 6 * len(RU5_FORM_TASKS)
    assert set(tasks["task"]) == {t for t, _ in RU5_FORM_TASKS}
    assert (
        tasks.groupby("student_id")["score"].sum().sort_index().to_numpy()
        == mine["primary_score"].to_numpy()
    ).all()
    text = " ".join(result.warnings)
    assert "из имени файла" in text and "«Х» (не приступал к заданию) считается 0 баллов: 2" in text


def test_collection_form_by_mapping_and_missing_identity_asked_for(form_project):
    from real_layouts import collection_form

    root, params = form_project
    folder = root / "data" / "raw" / "forms24" / "формы"
    collection_form(folder / "Протокол 5а.xlsx", _form_rows(), RU5_FORM_TASKS)
    collection_form(folder / "Протокол 5б.xlsx", _form_rows(), RU5_FORM_TASKS)
    (folder / "_mapping.csv").write_text(
        "файл;год;предмет;класс;ОО\nПротокол 5а.xlsx;2024;Русский язык;5;edu203390\n", "utf-8"
    )
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    (p,) = info.value.problems
    assert p.file.endswith("Протокол 5б.xlsx")
    assert "ВПР_2026_РУ_5_edu203389.xlsx" in p.expected_ru and "_mapping.csv" in p.expected_ru
    assert "не хватает: год, предмет, класс, ОО" in p.expected_ru
    (folder / "Протокол 5б.xlsx").unlink()
    result = ingest.ingest(params)
    assert set(result.tables["vpr"].query("student_id.str.startswith('5')")["school_id"]) == {
        "edu203390"
    }
    lines = "\n".join(ingest.inspect(params))
    assert "из _mapping.csv" in lines


def test_collection_form_without_a_known_scale_says_so(form_project):
    from real_layouts import collection_form

    root, params = form_project
    raw = root / "data" / "raw" / "forms24"
    collection_form(raw / "ВПР_2024_МА_5_edu203389.xlsx", _form_rows(), RU5_FORM_TASKS)
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    (p,) = info.value.problems
    assert "ВПР 2024, 5 класс, Математика с максимумом 45" in p.expected_ru
    assert "в ней максимум 20" in p.expected_ru


def test_inspect_lists_every_file_and_what_it_became(f1_project, capsys, monkeypatch):
    from real_layouts import fioko_file

    from shnor_lib.cli import main

    root, params, n_files = f1_project
    raw = root / "data" / "raw" / "f1"
    fioko_file(raw / "ФИОКО" / "перечень.xlsx", _fioko_rows())
    (raw / "vpr" / "пояснение.docx").write_bytes(b"PK")
    (raw / "vpr" / "~$РУ_4.xlsx").write_bytes(b"lock")
    monkeypatch.chdir(root)
    assert main(["inspect", "--params", "params/f1.yml"]) == 0
    text = capsys.readouterr().out
    assert "Папка исходных данных: data/raw/f1 — файлов: " in text
    assert text.count("как: ФИС ОКО Ф1 «Индивидуальные результаты» (ВПР)") == n_files
    assert (
        "→ vpr: год 2026, предмет Русский язык, класс 4, строк 21; "
        "лист «РУ 4 Индивидуальные результаты»; год, предмет и класс — из строки 3 "
        "«ВПР 2026 Русский язык 4 класс»" in text
    )
    assert (
        f"→ vpr_tasks: год 2026, предмет Русский язык, класс 4, строк {21 * len(RU4_TASKS)}" in text
    )
    assert "как: ФИОКО: перечень ОО с признаками необъективности ВПР" in text
    assert "data/raw/f1/vpr/пояснение.docx — формат «.docx» не читается" in text
    assert "data/raw/f1/vpr/~$РУ_4.xlsx — временный файл Excel" in text
    assert "Таблицы найдены: schools, context, vpr, vpr_tasks, gia, rosobrnadzor" in text


def test_f1_municipality_validate_compute_report(f1_project, monkeypatch):
    """A municipality whose ВПР is a folder of Ф1 files and whose federal list is the ФИОКО
    file builds its report with no hand edits."""
    from real_layouts import fioko_file

    from shnor_lib.cli import main

    root, params, _ = f1_project
    fioko_file(root / "data" / "raw" / "f1" / "ФИОКО" / "перечень.xlsx", _fioko_rows())
    monkeypatch.chdir(root)
    assert main(["validate", "--params", "params/f1.yml"]) == 0
    processed = pd.read_parquet(params.processed_dir() / "vpr.parquet")
    assert len(processed) == (6 + 7 + 8) * 4 and "class_no" in processed
    assert (params.processed_dir() / "vpr_tasks.parquet").exists()
    assert main(["report", "--params", "params/f1.yml"]) == 0
    html = (params.output_dir() / "report.html").read_text("utf-8")
    assert "Урус-Мартановский район" in html


def test_f1_task_score_above_its_maximum_is_named(f1_project):
    root, params, _ = f1_project
    path = root / "data" / "raw" / "f1" / "vpr" / "РУ_4.xlsx"
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[8]]
    ws.cell(row=12, column=header.index("9.1 (1б)") + 1, value=3)
    wb.save(path)
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    (p,) = info.value.problems
    assert p.file == "data/raw/f1/vpr/РУ_4.xlsx, лист «РУ 4 Индивидуальные результаты»"
    assert (p.row, p.column, float(p.value)) == (12, "Балл за задание", 3.0)
    assert "не больше максимального за задание" in p.expected_ru


def test_f1_subject_row_disagreeing_with_title_and_shifted_sums(f1_project):
    from openpyxl import load_workbook

    root, params, _ = f1_project
    path = root / "data" / "raw" / "f1" / "vpr" / "РУ_4.xlsx"
    wb = load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[8]]
    total = header.index("Первичный балл") + 1
    ws.cell(row=11, column=total, value=ws.cell(row=11, column=total).value + 1)
    wb.save(path)
    result = ingest.ingest(params)
    assert any(
        "РУ_4.xlsx" in w and "в 1 строках сумма баллов за задания" in w for w in result.warnings
    )
    ws.cell(row=4, column=2, value="Математика")
    wb.save(path)
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    (p,) = info.value.problems
    assert (
        p.row == 4 and p.value == "Математика" and "ВПР 2026 Русский язык 4 класс" in p.expected_ru
    )


def test_same_participant_code_in_two_grades_of_a_school_is_not_a_duplicate(f1_project):
    root, params, _ = f1_project
    raw = root / "data" / "raw" / "f1" / "vpr"
    school = School("edu203389", "МБОУ «СОШ №1»", pupils("7", 4))
    f1_file(raw / "РУ_6.xlsx", [school], grade=6)
    f1_file(raw / "РУ_7.xlsx", [school], grade=7)
    vpr = ingest.ingest(params).tables["vpr"]
    assert len(vpr[vpr["student_id"] == "7001"]) == 2
    # the same grade twice: a duplicate (one more pupil, so the file is not byte-identical —
    # an identical file is set aside as a copy, see test_hardening)
    f1_file(raw / "РУ_7.xlsx", [School("edu203389", "МБОУ «СОШ №1»", pupils("7", 5))], grade=6)
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    dup = [
        p
        for p in info.value.problems
        if "повторяет строку" in p.expected_ru and "task" not in str(p.column)
    ]
    assert len(dup) == 4
    assert dup[0].file == "data/raw/f1/vpr/РУ_7.xlsx, лист «РУ 6 Индивидуальные результаты»"
    assert "повторяет строку 10 файла data/raw/f1/vpr/РУ_6.xlsx" in dup[0].expected_ru


def test_f1_blank_task_cell_is_left_out_and_counted(f1_project):
    from openpyxl import load_workbook

    root, params, _ = f1_project
    before = len(ingest.ingest(params).tables["vpr_tasks"])
    path = root / "data" / "raw" / "f1" / "vpr" / "РУ_4.xlsx"
    wb = load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[8]]
    ws.cell(row=11, column=header.index("5 (2б)") + 1).value = None
    wb.save(path)
    result = ingest.ingest(params)
    assert len(result.tables["vpr_tasks"]) == before - 1
    assert any("РУ_4.xlsx" in w and "1 пустых ячеек заданий" in w for w in result.warnings)
