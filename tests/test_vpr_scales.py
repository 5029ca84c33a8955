"""ВПР scales: a year without a known scale is «шкала неизвестна», never a copy; user scales."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib.errors import ShnorError
from shnor_lib.io import ingest, reference
from shnor_lib.methods import objectivity


def _vpr(year: int, max_score: int, scores: list[int]) -> pd.DataFrame:
    n = len(scores)
    return pd.DataFrame(
        {
            "year": [year] * n,
            "school_id": ["100001"] * n,
            "student_id": [f"V{i}" for i in range(n)],
            "grade": [4] * n,
            "subject": ["Русский язык"] * n,
            "primary_score": scores,
            "max_score": [max_score] * n,
            "mark": [3] * n,
        }
    )


def _heaping(vpr: pd.DataFrame, scales: pd.DataFrame) -> pd.Series:
    rows = objectivity.heaping_checks(vpr, scales, delta=0.1, confidence=0.95, min_n=5)
    return rows[rows["grade"].notna()].iloc[0]


def test_a_year_without_scale_is_not_checked_against_an_older_one():
    # 2026 grade 4 Russian has 24 points; the package knows no 2026 scale (and 2019's had 38)
    assert reference.exact_year(reference.load_vpr_scales(), 2026).empty
    row = _heaping(_vpr(2026, 24, [10] * 12 + [9] * 3), reference.vpr_scales())
    assert "шкала перевода баллов ВПР" in row["reason"] and "неизвестна" in row["reason"]
    assert pd.isna(row["statistic"])
    # the same results in 2024, whose scale is known (max 38, «3» from 14), are checked
    row = _heaping(_vpr(2024, 38, [14] * 12 + [13] * 3), reference.vpr_scales())
    assert row["statistic"] == pytest.approx(80.0)


def test_user_scales_file_adds_a_year(tmp_path):
    folder = tmp_path / "scales"
    folder.mkdir()
    (folder / "vpr_scales.csv").write_text(
        "year,grade,subject,max_score,cut3,cut4,cut5\n2026,4,Русский язык,24,10,15,20\n", "utf-8"
    )
    scales = reference.vpr_scales(tmp_path)
    row = scales[(scales.year == 2026) & (scales.grade == 4)].iloc[0]
    assert (row.max_score, row.cut3, row.source) == (24, 10, str(folder / "vpr_scales.csv"))
    assert len(scales) == len(reference.load_vpr_scales()) + 1
    heap = _heaping(_vpr(2026, 24, [10] * 12 + [9] * 3), scales)
    assert heap["statistic"] == pytest.approx(80.0)
    (folder / "vpr_scales.csv").write_text("year,grade\n2026,x\n", "utf-8")
    with pytest.raises(ShnorError, match="vpr_scales.csv"):
        reference.vpr_scales(tmp_path)


def test_validate_warns_about_unknown_and_mismatched_scales(tiny_project):
    root, params = tiny_project
    raw = root / "data" / "raw" / "tiny"
    vpr = pd.read_csv(raw / "vpr.csv")
    extra = _vpr(2023, 24, list(np.arange(15) % 20))
    extra["school_id"] = "100003"
    extra["grade"] = 8
    extra["subject"] = "Химия"  # 2023 grade 8 chemistry has 33 points: mismatch
    pd.concat([vpr, extra]).to_csv(raw / "vpr.csv", index=False)
    warnings = ingest.ingest(params).warnings
    unknown = [w for w in warnings if "шкала отметок неизвестна" in w]
    # the tiny municipality's results have max 30 while the 2023–2024 scales say 38/45/…
    assert any(
        "5 кл. «Русский язык»: максимальный балл в файле 30, в шкале 45" in w for w in warnings
    )
    assert any("8 кл. «Химия»: максимальный балл в файле 24, в шкале 33" in w for w in warnings)
    assert not unknown  # 2023–2024 scales are known
    later = _vpr(2025, 24, [10] * 5)
    pd.concat([vpr, later]).to_csv(raw / "vpr.csv", index=False)
    assert not any("ВПР 2025" in w for w in ingest.ingest(params).warnings)  # after 2024
    warnings = ingest.ingest(params.replace(year=2025)).warnings
    assert any(
        w.startswith("ВПР 2025: шкала отметок неизвестна (4 кл. «Русский язык»)") for w in warnings
    )
