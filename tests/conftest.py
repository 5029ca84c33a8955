"""Shared fixtures: a tiny valid municipality written as raw files, and its params; the
synthetic demo municipality computed once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from shnor_lib import pipeline
from shnor_lib.config import load_params
from shnor_lib.demo import synth

ROOT = Path(__file__).resolve().parent.parent


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


DEMO_NAMES = ("Иванова Мария Петровна", "Сидоров Алексей Иванович", "Кузнецова Ольга Сергеевна")


def _plant_names(raw: Path) -> None:
    """Personal data as real exports carry it: a ФИО column in pupil and teacher tables."""
    for name, column in (
        ("vpr", "ФИО"),
        ("teachers", "ФИО педагога"),
        ("gia", "Фамилия Имя Отчество"),
    ):
        frame = pd.read_csv(raw / f"{name}.csv", dtype=str)
        frame.insert(2, column, [DEMO_NAMES[i % len(DEMO_NAMES)] for i in range(len(frame))])
        frame.to_csv(raw / f"{name}.csv", index=False)


@pytest.fixture(scope="session")
def demo_computed(tmp_path_factory):
    """The synthetic demo as a project (params/, notebooks/, data/raw/demo with ФИО columns
    planted), computed once for the session: (root, params, truth). Tests that render or
    run notebooks on it share it; none may change its tables."""
    root = tmp_path_factory.mktemp("demo")
    raw = root / "data" / "raw" / "demo"
    truth = synth.generate(raw, seed=20240904)
    _plant_names(raw)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "params", root / "params")
    params = load_params(root / "params" / "demo.yml")
    pipeline.compute(params)
    return root, params, truth


def report_cells(*titles: str) -> list[tuple[str, str, list[str]]]:
    """The cells of the `## <title>` sections of notebooks/report.ipynb as (kind, source,
    tags), in notebook order, after one code cell holding every import of the notebook
    (a section relies on the notebook's imports, as it does in the kernel)."""
    import ast

    import nbformat

    nb = nbformat.read(str(ROOT / "notebooks" / "report.ipynb"), as_version=4)
    imports = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for stmt in ast.parse(cell.source).body:
                if isinstance(stmt, ast.Import | ast.ImportFrom):
                    imports.append(ast.unparse(stmt))
    out: list[tuple[str, str, list[str]]] = [("code", "\n".join(imports), ["remove-cell"])]
    inside, found = False, set()
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            title = cell.source[3:].split("\n", 1)[0].strip()
            inside = title in titles
            found |= {title} & set(titles)
        if inside:
            out.append((cell.cell_type, cell.source, list(cell.metadata.get("tags", []))))
    assert found == set(titles), f"no such sections in report.ipynb: {set(titles) - found}"
    return out
