"""Every optional column of every table may be missing: compute and the report still build.

`shnor report` once crashed with KeyError 'school_type' when `schools` had no «Тип ОО», a
column the contract marks optional. Here each optional column of each table (from schema.py)
is removed in turn from one validated baseline and every stage after ingest runs (in memory,
~2 s each on six schools); the report notebook (papermill → HTML, ~25 s) is built once for
the municipality that has NONE of the optional columns, so a crash in any view shows there.
`gia.score` and `schools.school_id` are not in the list: a file gives one of several columns
and ingest always fills them (io/gia_scores.py, io/school_codes.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from shnor_lib import pipeline
from shnor_lib.config import load_params
from shnor_lib.demo import synth
from shnor_lib.io import ingest, schema
from shnor_lib.report import render as report

ROOT = Path(__file__).resolve().parent.parent
# optional in a file, always present after ingest (one of several columns gives them)
FILLED_BY_INGEST = {("gia", "score"), ("schools", "school_id")}
# ВПР given only as ФИС ОКО statistics replaces the pupil rows: those tables and their
# reports are covered by tests/test_fisoko_stats.py, not by this pupil-level baseline
AGGREGATED = {t for alts in schema.REPLACED_BY.values() for t in alts}
OPTIONAL = [
    (name, col.name)
    for name, table in schema.TABLES.items()
    for col in table.columns
    if not col.required and (name, col.name) not in FILLED_BY_INGEST and name not in AGGREGATED
]


def _project(root: Path) -> tuple[Path, object]:
    raw = root / "data" / "raw" / "demo"
    synth.generate(raw, seed=7, n_schools=6, years=(2023, 2024))
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    return raw, load_params(root / "params" / "demo.yml")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """Validated tables with every optional column present (other systems' codes added)."""
    raw, params = _project(tmp_path_factory.mktemp("optional"))
    schools = pd.read_csv(raw / "schools.csv", dtype=str)
    schools["Логин ОО"] = "edu" + schools["school_id"]
    schools["Код ОО РЦОИ"] = schools["school_id"].str[-4:]
    schools["Код ОО (ОО-1)"] = "7" + schools["school_id"].str[-5:]
    schools.to_csv(raw / "schools.csv", index=False)
    vpr = pd.read_csv(raw / "vpr.csv", dtype=str)
    vpr["class_no"] = (vpr.index % 2 + 1).astype(str)  # the class ordinal Ф1 gives
    vpr.to_csv(raw / "vpr.csv", index=False)
    first = vpr.groupby(["year", "grade", "subject"]).head(3)  # task scores, as from Ф1
    tasks = pd.concat(
        [
            first.assign(task=t, max_task_score=1, score=k % 2, level=lv)
            for k, (t, lv) in enumerate((("1", "Б"), ("2", "П")))
        ]
    )
    cols = ["year", "school_id", "student_id", "grade", "subject", "task", "max_task_score"]
    tasks[[*cols, "score", "level"]].to_csv(raw / "vpr_tasks.csv", index=False)
    return params, ingest.ingest(params).tables


def test_the_baseline_has_every_optional_column(baseline):
    _, data = baseline
    assert [(t, c) for t, c in OPTIONAL if c not in data.get(t, {})] == []
    assert len(OPTIONAL) > 40


@pytest.mark.parametrize(("table", "column"), OPTIONAL, ids=[f"{t}.{c}" for t, c in OPTIONAL])
def test_compute_without_the_column(baseline, table, column):
    params, data = baseline
    without = {**data, table: data[table].drop(columns=[column])}
    ctx = pipeline.Context(params=params, data=without, done=[pipeline.STAGES[0].name])
    pipeline.run(params, start=pipeline.STAGES[1].name, ctx=ctx, write=False)
    tables = pipeline.published_tables(ctx)
    assert len(tables["schools"]) == len(data["schools"])


def test_report_without_any_optional_column(tmp_path):
    raw, params = _project(tmp_path)
    for name in schema.TABLES:
        path = raw / f"{name}.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path, dtype=str)
        drop = [c for t, c in OPTIONAL if t == name and c in frame]
        # without procedure/grade/subject the federal list is one row per school × year
        frame.drop(columns=drop).drop_duplicates().to_csv(path, index=False)
    assert "school_type" not in pd.read_csv(raw / "schools.csv").columns
    pipeline.compute(params)
    html = report.render_report(params).read_text("utf-8")
    assert "Число ОО по типу и местности" in html and "не указан" in html
    assert "Traceback" not in html and "KeyError" not in html
