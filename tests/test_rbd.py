"""RBD-style ГИА CSV: personal fields only feed the pseudonym; exam/subject/year from the name."""

from __future__ import annotations

from pathlib import Path

import pytest
from rcoi_fixtures import oge_block, write_protocol

from shnor_lib.io import layouts, pseudonym, rbd, rcoi
from shnor_lib.io.layouts import ReadProblem

HEADER = ";".join(rbd.COLUMNS)
ROWS = [
    "9306;9А;4510;123456;20;Алиев;Ахмед;Русланович;++-+--+;1(2)0(2);10;3",
    "9306;9Б;4510;123457;20;Умаров;Макка;Адамович;+++++--;2(2)2(2);20;4",
    "9307;9А;4511;654321;20;Исаев;Хеда;Султановна;-------;0(2)0(2);5;2",
]


@pytest.fixture(autouse=True)
def fixed_key(tmp_path, monkeypatch):
    key = tmp_path / "key"
    key.write_text("ab" * 32, "ascii")
    monkeypatch.setenv(pseudonym.KEY_ENV, str(key))


def _write(path: Path, rows: list[str] = ROWS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")
    return path


def test_rbd_file_becomes_gia_rows_without_personal_data(tmp_path):
    path = _write(tmp_path / "gia" / "ОГЭ_2026_Математика.csv")
    pv = layouts.preview(path)
    assert rbd.sniff(pv) and not rcoi.sniff(pv)
    (ext,) = rbd.read(pv)
    assert ext.meta == {"exam": "ОГЭ", "procedure": "ОГЭ", "subject": "Математика", "year": 2026}
    assert list(ext.frame.columns) == [
        "SchoolCode",
        "PrimaryMark",
        "Mark5",
        "student_id",
        "exam",
        "subject",
        "year",
    ]
    assert ext.frame["PrimaryMark"].tolist() == ["10", "20", "5"]
    assert ext.rows.tolist() == [2, 3, 4]
    cells = " ".join(map(str, ext.frame.to_numpy().ravel()))
    for personal in ("Алиев", "Ахмед", "Русланович", "123456", "4510", "9А"):
        assert personal not in cells


def test_same_pupil_same_id_in_rbd_and_rcoi_protocol(tmp_path):
    """«Алиев Ахмед Русланович», 9А, school 9306 is one pupil in both exports."""
    protocol = write_protocol(
        tmp_path / "p.xlsx", {"Л": [oge_block(2, "Математика", "2026.06.10", {"9306": [10]})]}
    )
    (from_rcoi,) = rcoi.read(layouts.preview(protocol))
    (from_rbd,) = rbd.read(layouts.preview(_write(tmp_path / "ОГЭ_2026_2.csv")))
    assert from_rbd.meta["subject"] == "Математика"  # ФЦТ code 2 in the name
    assert from_rcoi.frame["student_id"].iloc[0] == from_rbd.frame["student_id"].iloc[0]
    assert from_rbd.frame["student_id"].nunique() == 3


def test_missing_exam_subject_year_are_asked_for(tmp_path):
    path = _write(tmp_path / "export_2026.csv")
    with pytest.raises(ReadProblem) as err:
        rbd.read(layouts.preview(path))
    assert err.value.ru.startswith("экзамен (ОГЭ или ЕГЭ), предмет в имени файла")
    assert "_mapping.csv" in err.value.ru
    (tmp_path / "_mapping.csv").write_text(
        "файл;экзамен;предмет;год\nexport_2026.csv;ЕГЭ;Математика базовая;2026\n", "utf-8"
    )
    (ext,) = rbd.read(layouts.preview(path))
    assert ext.meta["exam"] == "ЕГЭ" and ext.meta["subject"] == "Математика (базовый уровень)"


def test_ege_mathematics_needs_its_level(tmp_path):
    with pytest.raises(ReadProblem, match="уровень"):
        rbd.read(layouts.preview(_write(tmp_path / "ЕГЭ_2026_Математика.csv")))
