"""A municipality as exported: ВПР as Ф1 files, ГИА as РЦОИ protocols (.xls), the federal list
as the ФИОКО file, schools with three systems' codes — validate → compute → report unedited,
`shnor inspect` lists the protocols, and no pupil's name reaches any output."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from rcoi_fixtures import NAMES, PATRONYMICS, SURNAMES, ege_block, oge_block, write_protocol
from real_layouts import fioko_file
from test_layouts import LOGINS, _fioko_rows, f1_project  # noqa: F401 (fixture)

from shnor_lib.cli import main
from shnor_lib.io import pseudonym

RCOI = {"100001": "9306", "100002": "9307", "100003": "9308"}


@pytest.fixture
def rcoi_project(f1_project, monkeypatch):  # noqa: F811 (the fixture imported above)
    root, params, _ = f1_project
    raw = root / "data" / "raw" / "f1"
    monkeypatch.delenv(pseudonym.KEY_ENV, raising=False)
    schools = pd.read_csv(raw / "schools.csv", dtype=str)
    login = schools["school_id"]
    by_login = {v: k for k, v in LOGINS.items()}
    schools = schools.assign(school_id=login.map(by_login)).rename(
        columns={"school_id": "Код ОО", "school_name": "Наименование ОО"}
    )
    schools.insert(1, "Логин ОО", login)
    schools.insert(2, "Код ОО РЦОИ", schools["Код ОО"].map(RCOI))
    schools.to_csv(raw / "schools.csv", index=False)
    (raw / "gia.csv").unlink()
    oge = {
        "ОГЭ Русский": [
            oge_block(1, "Русский язык", "2026.05.27", {RCOI["100001"]: [25, 31, 14, 20]}),
            oge_block(1, "Русский язык", "2026.05.27", {RCOI["100002"]: [9, 18, 22]}, seed=1),
        ],
        "ОГЭ Математика": [
            oge_block(2, "Математика", "2026.06.02", {RCOI["100001"]: [12, 7, 20, 25]}, seed=2),
            oge_block(2, "Математика", "2026.06.02", {RCOI["100002"]: [5, 10, 15]}, seed=3),
        ],
    }
    write_protocol(raw / "gia" / "ОГЭ протокол.xls", oge)
    ege = [
        (RCOI["100001"], f"10{k:05d}", p, t)
        for k, (p, t) in enumerate([(23, 50), (40, 80), (12, 36), (30, 62)])
    ]
    write_protocol(
        raw / "gia" / "ЕГЭ" / "протокол ЕГЭ.xls",
        {"Лист1": [ege_block(1, "Русский язык", "2026.06.03", ege)]},
    )
    fioko_file(raw / "ФИОКО" / "перечень.xlsx", _fioko_rows())
    monkeypatch.chdir(root)
    return root, params, raw


def test_rcoi_municipality_validate_compute_report(rcoi_project, capsys):
    root, params, raw = rcoi_project
    assert main(["inspect", "--params", "params/f1.yml"]) == 0
    text = capsys.readouterr().out
    assert text.count("как: Протокол РЦОИ «Протокол проверки результатов» (ОГЭ/ЕГЭ)") == 2
    assert "→ gia: год 2026, предмет Математика" in text
    assert main(["validate", "--params", "params/f1.yml"]) == 0
    gia = pd.read_parquet(params.processed_dir() / "gia.parquet")
    assert len(gia) == 4 + 3 + 4 + 3 + 4
    assert set(gia["school_id"]) == {"100001", "100002"}  # РЦОИ codes → the one school_id
    ege = gia[gia["exam"] == "ЕГЭ"].sort_values("student_id")
    assert ege["score"].tolist() == [50.0, 80.0, 36.0, 62.0]  # «Итоговый балл», not primary
    assert ege["primary_score"].tolist() == [23.0, 40.0, 12.0, 30.0]
    oge = gia[gia["exam"] == "ОГЭ"]
    assert oge["student_id"].str.startswith("П").all() and oge["student_id"].is_unique
    assert (raw / ".shnor_key").is_file()  # created on first use, next to the raw data
    assert main(["report", "--params", "params/f1.yml"]) == 0
    html = (params.output_dir() / "report.html").read_text("utf-8")
    assert "Урус-Мартановский район" in html and "Traceback" not in html
    _no_names_anywhere(params)
    # the same files give the same pseudonyms on the next run (the key is kept)
    assert main(["validate", "--params", "params/f1.yml"]) == 0
    again = pd.read_parquet(params.processed_dir() / "gia.parquet")
    assert again["student_id"].tolist() == gia["student_id"].tolist()


def _no_names_anywhere(params) -> None:
    """Every file of data/processed and outputs, parquet and xlsx opened, has no name."""
    words = [w.encode("utf-8") for w in (*SURNAMES, *NAMES, *PATRONYMICS)]
    key = (params.raw_dir() / ".shnor_key").read_text("ascii").strip().encode()
    checked = 0
    for folder in (params.processed_dir(), params.output_dir()):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            if path.suffix == ".parquet":
                data = pd.read_parquet(path).to_csv().encode("utf-8")
            elif path.suffix in (".xlsx", ".ipynb") and zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as z:
                    data = b"".join(z.read(n) for n in z.namelist())
            found = [w.decode() for w in words if w in data]
            assert not found, (path, found)
            assert key not in data, path
            checked += 1
    assert checked > 20
