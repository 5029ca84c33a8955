"""Shared fixtures: a tiny valid municipality written as raw files, and its params."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shnor_lib.config import load_params


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Three schools, two years, a few pupils: small enough to compute by hand."""
    schools = pd.DataFrame(
        {
            "school_id": ["100001", "100002", "100003"],
            "school_name": ["МБОУ СОШ № 1", "МБОУ ООШ № 2", "МБОУ НОШ № 3"],
            "locality": ["город", "село", "село"],
            "school_type": ["СОШ", "ООШ", "НОШ"],
            "is_small": [0, 1, 1],
            "distance_km": [0, 25.5, 40],
        }
    )
    context = pd.DataFrame(
        {
            "school_id": ["100001", "100002", "100003"] * 2,
            "year": [2023] * 3 + [2024] * 3,
            "students_total": [500, 120, 40, 510, 118, 38],
            "low_income": [50, 40, 20, 52, 41, 19],
        }
    )
    vpr_rows = []
    for year in (2023, 2024):
        for i, (sid, marks) in enumerate(
            {"100001": [5, 4, 3, 2], "100002": [3, 3, 4, 2], "100003": [4, 4, 5, 3]}.items()
        ):
            for j, mark in enumerate(marks):
                for subject in ("Русский язык", "Математика"):
                    vpr_rows.append(
                        {
                            "year": year,
                            "school_id": sid,
                            "student_id": f"S{i}{j}",
                            "grade": 4 if sid == "100003" else 5,
                            "subject": subject,
                            "primary_score": 5 * mark,
                            "max_score": 30,
                            "mark": mark,
                            "journal_mark": mark if j % 2 else max(2, mark - 1),
                        }
                    )
    gia = pd.DataFrame(
        {
            "year": [2024, 2024, 2024, 2024],
            "school_id": ["100001", "100001", "100002", "100002"],
            "student_id": ["G1", "G2", "G3", "G4"],
            "exam": ["ЕГЭ", "ЕГЭ", "ОГЭ", "ОГЭ"],
            "subject": ["Русский язык", "Русский язык", "Математика", "Математика"],
            "score": [85, 20, 12, 5],
            "mark": [None, None, 3, 2],
        }
    )
    return {"schools": schools, "context": context, "vpr": pd.DataFrame(vpr_rows), "gia": gia}


def write_tables(raw_dir: Path, tables: dict[str, pd.DataFrame]) -> None:
    raw_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(raw_dir / f"{name}.csv", index=False)


@pytest.fixture
def tiny_project(tmp_path: Path):
    """A project root with params/tiny.yml and data/raw/tiny/*.csv; returns (root, params)."""
    write_tables(tmp_path / "data" / "raw" / "tiny", tiny_tables())
    (tmp_path / "params").mkdir()
    path = tmp_path / "params" / "tiny.yml"
    path.write_text("municipality: tiny\ntitle: Тест\nyear: 2024\nwindow: 2\n", "utf-8")
    return tmp_path, load_params(path)
