"""One school, several codes: ФИС ОКО logins and РЦОИ codes map to the one school_id."""

from __future__ import annotations

import pandas as pd
import pytest

from shnor_lib.errors import ValidationError
from shnor_lib.io import ingest

CODES = {  # school_id → (login, РЦОИ code, ОО-1 code)
    "100001": ("edu203389", "9306", "7001"),
    "100002": ("edu203390", "9307", "9306"),  # its ОО-1 code equals school 1's РЦОИ code
    "100003": ("edu203391", "9308", "7003"),
}


def _project(tiny_project, *, gia_codes: dict[str, str] | None = None):
    root, params = tiny_project
    raw = root / "data" / "raw" / "tiny"
    schools = pd.read_csv(raw / "schools.csv", dtype=str)
    schools = schools.rename(columns={"school_id": "Код ОО", "school_name": "Название ОО"})
    schools["Логин ОО"] = schools["Код ОО"].map(lambda s: CODES[s][0])
    schools["Код ОО РЦОИ"] = schools["Код ОО"].map(lambda s: CODES[s][1])
    schools["Код ОО (ОО-1)"] = schools["Код ОО"].map(lambda s: CODES[s][2])
    schools.to_csv(raw / "schools.csv", index=False)
    vpr = pd.read_csv(raw / "vpr.csv", dtype=str)
    vpr["school_id"] = vpr["school_id"].map(lambda s: CODES[s][0])  # logins, as in Ф1
    vpr.to_csv(raw / "vpr.csv", index=False)
    gia = pd.read_csv(raw / "gia.csv", dtype=str)
    gia["school_id"] = gia["school_id"].map(gia_codes or (lambda s: CODES[s][1]))
    gia.to_csv(raw / "gia.csv", index=False)
    return root, params


def test_each_table_may_use_another_system_s_code(tiny_project):
    _, params = _project(tiny_project)
    tables = ingest.ingest(params).tables
    assert set(tables["vpr"]["school_id"]) == {"100001", "100002", "100003"}
    # «9306» is school 1's РЦОИ code and school 2's ОО-1 code: the file's codes are all РЦОИ
    # codes, so they are read as such
    assert tables["gia"]["school_id"].tolist() == ["100001", "100001", "100002", "100002"]
    assert tables["schools"].set_index("school_id").at["100002", "rcoi_code"] == "9307"


def test_unknown_codes_are_one_error_with_the_nearest_known_codes(tiny_project):
    codes = {"100001": "edu203398", "100002": "edu999999"}  # a typo and a stranger
    _, params = _project(tiny_project, gia_codes=codes)
    with pytest.raises(ValidationError) as err:
        ingest.ingest(params)
    (problem,) = [p for p in err.value.problems if "gia.csv" in p.file]
    assert "edu203398" in problem.expected_ru and "edu999999" in problem.expected_ru
    hints = problem.expected_ru.split("Известные коды близких ОО — ")[1]
    assert hints.startswith("«edu203398»: рядом ")
    assert "МБОУ СОШ № 1, Код ОО 100001, Логин ОО edu203389, Код ОО РЦОИ 9306" in hints
    assert "«edu999999»" not in hints  # nothing near a stranger
    assert problem.row == 2


def test_a_code_two_schools_share_is_an_error(tiny_project):
    root, params = _project(tiny_project)
    path = root / "data" / "raw" / "tiny" / "schools.csv"
    schools = pd.read_csv(path, dtype=str)
    schools.loc[2, "Код ОО РЦОИ"] = "9306"
    schools.to_csv(path, index=False)
    with pytest.raises(ValidationError) as err:
        ingest.ingest(params)
    (problem,) = err.value.problems
    assert problem.column == "Код ОО РЦОИ" and problem.row == 4 and problem.value == "9306"
    assert "100001" in problem.expected_ru and "100003" in problem.expected_ru


def test_the_same_pupil_under_two_codes_is_a_duplicate(tiny_project):
    root, params = _project(tiny_project)
    raw = root / "data" / "raw" / "tiny"
    vpr = pd.read_csv(raw / "vpr.csv", dtype=str)
    again = vpr.head(1).assign(school_id=CODES["100003"][2])  # school 3 by its ОО-1 code
    first = vpr.head(1).assign(school_id=CODES["100003"][0])
    pd.concat([first, vpr.iloc[1:]]).to_csv(raw / "vpr.csv", index=False)
    again.to_csv(raw / "vpr_oo1.csv", index=False)
    with pytest.raises(ValidationError) as err:
        ingest.ingest(params)
    assert any("повторяет строку" in p.expected_ru for p in err.value.problems)


def test_a_list_with_only_logins_uses_them_as_school_id(tiny_project):
    root, params = tiny_project
    raw = root / "data" / "raw" / "tiny"
    schools = pd.read_csv(raw / "schools.csv", dtype=str)
    schools["school_id"] = schools["school_id"].map(lambda s: CODES[s][0])
    schools.rename(columns={"school_id": "Логин ОО"}).to_csv(raw / "schools.csv", index=False)
    for name in ("vpr", "gia", "context"):
        frame = pd.read_csv(raw / f"{name}.csv", dtype=str)
        frame["school_id"] = frame["school_id"].map(lambda s: CODES[s][0])
        frame.to_csv(raw / f"{name}.csv", index=False)
    tables = ingest.ingest(params).tables
    assert sorted(tables["schools"]["school_id"]) == ["edu203389", "edu203390", "edu203391"]
    assert set(tables["vpr"]["school_id"]) == set(tables["schools"]["school_id"])
    schools.drop(columns=["school_id"]).to_csv(raw / "schools.csv", index=False)
    with pytest.raises(ValidationError) as err:
        ingest.ingest(params)
    (problem,) = err.value.problems
    assert "«Код ОО», «Логин ОО», «Код ОО РЦОИ», «Код ОО (ОО-1)»" in problem.expected_ru
