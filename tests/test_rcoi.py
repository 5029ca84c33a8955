"""РЦОИ protocols: blocks, spacer columns, «Средние», ОГЭ pseudonyms, .xls and .xlsx."""

from __future__ import annotations

from pathlib import Path

import pytest
from rcoi_fixtures import ege_block, oge_block, write_protocol

from shnor_lib.io import layouts, pseudonym, rcoi
from shnor_lib.io.layouts import ReadProblem


@pytest.fixture(autouse=True)
def fixed_key(tmp_path, monkeypatch):
    key = tmp_path / "key"
    key.write_text("00" * 32, "ascii")
    monkeypatch.setenv(pseudonym.KEY_ENV, str(key))
    return key


def _protocol(path: Path) -> Path:
    return write_protocol(
        path,
        {
            "ОГЭ": [
                oge_block(12, "Обществознание", "2026.07.03", {"9306": [10, 20, 5], "9307": [30]}),
                oge_block(2, "Математика", "2026.06.10", {"9306": [11, 3]}, seed=1),
            ],
            "ЕГЭ": [
                ege_block(1, "Русский язык", "2026.06.03", [("9306", "1000001", 23, 50)]),
                ege_block(
                    22, "Математика", "2026.06.07", [("9307", "1000002", 15, 4)], "Тестовый балл"
                ),
            ],
        },
    )


@pytest.mark.parametrize("suffix", [".xls", ".xlsx"])
def test_blocks_of_every_sheet_become_gia_extracts(tmp_path, suffix):
    path = _protocol(tmp_path / f"protocol{suffix}")
    pv = layouts.preview(path)
    assert rcoi.sniff(pv)
    got = rcoi.read(pv)
    assert [(e.sheet, e.meta["exam"], e.meta["subject"], e.meta["year"]) for e in got] == [
        ("ОГЭ", "ОГЭ", "Обществознание", 2026),
        ("ОГЭ", "ОГЭ", "Математика", 2026),
        ("ЕГЭ", "ЕГЭ", "Русский язык", 2026),
        ("ЕГЭ", "ЕГЭ", "Математика (базовый уровень)", 2026),
    ]
    oge, math, rus, base = got
    # title rows 1–2, blank 3, block title 4, blank 5, header 6, pupils from row 7
    assert oge.rows.tolist() == [7, 8, 9, 10]
    assert math.rows.tolist() == [16, 17]  # «Средние» 11, blank, title 13, blank, header 15
    assert list(oge.frame.columns[:3]) == ["Код ОО", "Первичный балл", "Оценка"]
    assert oge.frame["Первичный балл"].tolist() == ["10", "20", "5", "30"]
    assert oge.frame["Код ОО"].tolist() == ["9306", "9306", "9306", "9307"]
    assert "Итоговый балл" in rus.frame and "Тестовый балл" in base.frame
    assert rus.frame["Код участника"].tolist() == ["1000001"]
    assert all(not e.notes for e in got)


def test_names_never_leave_the_reader_and_ids_are_stable(tmp_path, fixed_key):
    path = _protocol(tmp_path / "p.xls")
    first = rcoi.read(layouts.preview(path))
    cells = {str(v) for e in first for v in e.frame.to_numpy().ravel()}
    headers = {h for e in first for h in e.frame.columns}
    assert not headers & {"Фамилия", "Имя", "Отчество", "Класс"}
    assert not {"Алиев", "Умаров", "Ахмед", "Русланович"} & cells
    ids = first[0].frame["student_id"].tolist()
    assert len(set(ids)) == len(ids) and all(i.startswith("П") for i in ids)
    assert rcoi.read(layouts.preview(path))[0].frame["student_id"].tolist() == ids
    fixed_key.write_text("11" * 32, "ascii")  # another key: other ids
    assert rcoi.read(layouts.preview(path))[0].frame["student_id"].tolist() != ids


def test_block_without_closing_row_is_pointed_out(tmp_path):
    path = _protocol(tmp_path / "p.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["ЕГЭ"]
    last = max(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Средние")
    ws.cell(last, 1).value = None
    wb.save(path)
    got = rcoi.read(layouts.preview(path))
    assert "нет строки «Средние»" in got[-1].notes[0]


def test_unknown_subject_and_header_are_errors_naming_row(tmp_path):
    path = write_protocol(
        tmp_path / "p.xlsx",
        {"Л": [oge_block(99, "Черчение", "2026.06.01", {"9306": [3]})]},
    )
    with pytest.raises(ReadProblem) as err:
        rcoi.read(layouts.preview(path))
    assert err.value.row == 4 and "Черчение" in str(err.value.value)
    assert err.value.ru.startswith("лист «Л»: название предмета")


def test_other_files_are_not_sniffed(tmp_path):
    path = tmp_path / "gia.csv"
    path.write_text("year;school_id;student_id\n2026;1;2\n", "utf-8")
    assert not rcoi.sniff(layouts.preview(path))
