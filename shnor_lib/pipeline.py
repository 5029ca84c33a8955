"""`shnor compute`: validated tables → every computed table in outputs/<m>/<year>/tables/.

Stages run in the order METHODS.md fixes; each stage is a library module. Outputs are
written to a temporary folder and moved into place only when all of them are complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__, indicators, ingest, publish
from .config import Params


@dataclass
class Results:
    """Everything the report shows, as tidy school-level (or coarser) tables."""

    params: Params
    tables: dict[str, pd.DataFrame]  # published tables, name → frame (written as CSV)
    manifest: dict = field(default_factory=dict)


def _stage(progress: Callable[[str], None] | None, text: str) -> float:
    if progress:
        progress(text)
    return time.perf_counter()


def schools_table(data: dict[str, pd.DataFrame], params: Params) -> pd.DataFrame:
    """schools.csv: one row per school for the reporting year (contract columns first)."""
    schools = data["schools"].copy()
    ctx = data["context"]
    ctx_year = ctx[ctx["year"] == params.year][["school_id", "students_total"]]
    out = schools.merge(ctx_year, on="school_id", how="left")
    for col in publish.SCHOOLS_COLUMNS:
        if col not in out:
            out[col] = pd.NA
    extra = [c for c in ("municipality", "locality", "school_type", "is_small", "distance_km",
                         "students_total") if c in out]
    return out[publish.SCHOOLS_COLUMNS + extra].sort_values("school_id").reset_index(drop=True)


def compute_results(data: dict[str, pd.DataFrame], params: Params,
                    progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """All computed tables from validated data (no I/O)."""
    _stage(progress, "Расчёт показателей (M1)…")
    ind = indicators.compute(data, confidence=params.confidence,
                             ege_high_score=params.indicators.ege_high_score)
    return {
        "schools": schools_table(data, params),
        "indicators": ind,
        "participants": indicators.participants(data),
    }


def compute(params: Params, progress: Callable[[str], None] | None = None) -> Path:
    """Ingest, validate, compute and write all tables; return the tables folder."""
    t0 = _stage(progress, f"Проверка исходных данных: {params.raw_dir()}…")
    result = ingest.run(params)
    data = result.tables
    tables = compute_results(data, params, progress)
    _stage(progress, "Запись таблиц…")
    manifest = {
        "municipality": params.municipality,
        "title": params.title,
        "year": params.year,
        "years": params.years,
        "library_version": __version__,
        "params_source": params.source,
        "params": params.to_dict(),
        "sources": [s.__dict__ for s in result.sources],
        "warnings": result.warnings,
    }
    out = write_outputs(tables, manifest, params)
    if progress:
        progress(f"Расчёт завершён за {time.perf_counter() - t0:.1f} с")
    return out


def write_outputs(tables: dict[str, pd.DataFrame], manifest: dict, params: Params) -> Path:
    """tables/*.csv, tables.xlsx and results.json, replaced together only when complete."""
    out_dir = params.output_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-tables-", dir=out_dir))
    try:
        published = publish.for_publication(tables, params.min_group_size)
        (tmp / "tables").mkdir()
        for name, frame in published.items():
            publish.write_csv(frame, tmp / "tables" / f"{name}.csv")
        publish.write_xlsx(published, tmp / "tables.xlsx")
        (tmp / "results.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True, default=str),
            "utf-8")
        for name in ("tables", "tables.xlsx", "results.json"):
            target = out_dir / name
            if target.is_dir():
                old = out_dir / f".old-{name}-{os.getpid()}"
                os.replace(target, old)
                os.replace(tmp / name, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp / name, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir / "tables"


def load_results(params: Params) -> Results:
    """The computed tables (as published) and the manifest, for the report notebook."""
    out_dir = params.output_dir()
    manifest_path = out_dir / "results.json"
    if not manifest_path.exists():
        from .errors import ShnorError

        raise ShnorError(f"Нет рассчитанных таблиц в {out_dir}: выполните shnor compute",
                         f"No computed tables in {out_dir}: run shnor compute")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    tables = {p.stem: publish.read_csv(p) for p in sorted((out_dir / "tables").glob("*.csv"))}
    return Results(params=params, tables=tables, manifest=manifest)
