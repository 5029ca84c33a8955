"""ГИА scores mean what their headers say: ЕГЭ test score vs primary score, ОГЭ primary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib.errors import ValidationError
from shnor_lib.io import ingest, reference
from shnor_lib.methods import min_scores

# 20 ЕГЭ Russian results of one school: every test score passes the minimum (24) while
# nearly half the primary scores (0–50 scale) are below 24 — the case of the issue, where the
# primary score was read as the ЕГЭ score (before the fix this sample gave 45 % «below»).
TEST = np.array([30, 34, 38, 41, 44, 46, 48, 50, 52, 54, 55, 57, 59, 61, 63, 66, 70, 74, 78, 84])
PRIMARY = np.round(TEST * 0.45).astype(int)


def _gia(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(TEST)
    return pd.DataFrame(
        {
            "Год": [2024] * n,
            "Код ОО": ["100001"] * n,
            "Код участника": [f"E{i:03d}" for i in range(n)],
            "Экзамен": ["ЕГЭ"] * n,
            "Предмет": ["Русский язык"] * n,
            **columns,
        }
    )


def _below_share(project, frame: pd.DataFrame) -> float:
    root, params = project
    frame.to_csv(root / "data" / "raw" / "tiny" / "gia.csv", index=False, sep=";")
    gia = ingest.ingest(params).tables["gia"]
    marked = min_scores.mark_below_min(gia, reference.load_gia_min_scores())
    ege = marked[(marked["exam"] == "ЕГЭ") & (marked["school_id"] == "100001")]
    assert len(ege) == len(TEST)
    return 100 * ege["below_min"].astype(bool).mean()


def test_primary_share_would_be_wrong():
    """The sample reproduces the issue: read as the ЕГЭ score, primary gives 45 % «below»."""
    assert 100 * (PRIMARY < 24).mean() == pytest.approx(45.0)


def test_both_primary_and_final_score_use_the_final_score(tiny_project):
    share = _below_share(tiny_project, _gia({"Первичный балл": PRIMARY, "Итоговый балл": TEST}))
    assert share == 0.0
    gia = ingest.ingest(tiny_project[1]).tables["gia"]
    ege = gia[gia["student_id"].str.startswith("E")].sort_values("student_id")
    assert ege["primary_score"].tolist() == PRIMARY.astype(float).tolist()
    assert ege["score"].tolist() == TEST.astype(float).tolist()


def test_primary_and_test_score_headers_are_not_two_scores(tiny_project):
    assert _below_share(tiny_project, _gia({"Первичный балл": PRIMARY, "Тестовый балл": TEST})) == 0


def test_test_score_only(tiny_project):
    assert _below_share(tiny_project, _gia({"Тестовый балл": TEST})) == 0.0
    low = TEST.copy()
    low[:3] = [10, 15, 23]
    assert _below_share(tiny_project, _gia({"Тестовый балл": low})) == pytest.approx(15.0)


def test_primary_only_is_a_clear_error(tiny_project):
    with pytest.raises(ValidationError) as err:
        _below_share(tiny_project, _gia({"Первичный балл": PRIMARY}))
    text = err.value.format()
    assert "gia.csv" in text and "«Первичный балл»" in text
    assert "тестовый балл" in text.lower()


def test_a_score_column_on_the_primary_scale_is_an_error(tiny_project):
    with pytest.raises(ValidationError) as err:
        _below_share(tiny_project, _gia({"Балл": PRIMARY}))
    text = err.value.format()
    assert "похоже, это первичный балл" in text and "«Балл»" in text
    assert f"{PRIMARY.max()}" in text and "50" in text  # the column's maximum vs the scale's


def test_final_score_below_primary_is_an_error(tiny_project):
    with pytest.raises(ValidationError) as err:
        _below_share(tiny_project, _gia({"Первичный балл": TEST, "Итоговый балл": PRIMARY}))
    assert "перепутаны" in err.value.format()


def test_oge_primary_only_is_the_score(tiny_project):
    root, params = tiny_project
    oge = pd.DataFrame(
        {
            "Год": [2024] * 3,
            "Код ОО": ["100002"] * 3,
            "Код участника": ["O1", "O2", "O3"],
            "Экзамен": ["ОГЭ"] * 3,
            "Предмет": ["Математика"] * 3,
            "Первичный балл": [5, 12, 40],
            "Оценка": [2, 3, 5],
        }
    )
    oge.to_csv(root / "data" / "raw" / "tiny" / "gia.csv", index=False)
    with pytest.raises(ValidationError) as err:  # 40 > the ОГЭ maths maximum (31)
        ingest.ingest(params)
    (problem,) = err.value.problems
    assert problem.row == 4 and problem.column == "Первичный балл" and "31" in problem.expected_ru
    oge.loc[2, "Первичный балл"] = 25
    oge.to_csv(root / "data" / "raw" / "tiny" / "gia.csv", index=False)
    gia = ingest.ingest(params).tables["gia"]
    assert gia["score"].tolist() == [5.0, 12.0, 25.0]
    assert gia["primary_score"].tolist() == [5.0, 12.0, 25.0]
