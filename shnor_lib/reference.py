"""Reference data shipped with the package (docs/data_contract.md): editable CSV files, versioned per year.

- `gia_min_scores.csv` — `exam, subject, year, min_score`: the ГИА minimum on the scale the
  `gia.score` column uses for that exam × subject (ЕГЭ: test score 0–100, except «Математика
  (базовый уровень)», whose score is the primary score 0–21 and whose minimum is the cut for «3»;
  ОГЭ: primary score, minimum = the cut for «3»).
- `oge_scales.csv` — `subject, year, max_score, cut3, cut4, cut5`: ОГЭ primary-score → mark scales.
- `vpr_scales.csv` — `year, grade, subject, max_score, cut3, cut4, cut5`: ВПР mark scales.

A cut `cutK` is the lowest primary score that earns mark K. Values are FIPI / Rosobrnadzor
recommendations as published (rounded to the usual recommended scale); users edit the files
when a year's scale differs. Subjects are canonical names from `schema.SUBJECTS`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from . import DATA_DIR

_INT = "int64"
_COLUMNS: dict[str, dict[str, str]] = {
    "gia_min_scores": {"exam": "str", "subject": "str", "year": _INT, "min_score": "float64"},
    "oge_scales": {
        "subject": "str",
        "year": _INT,
        "max_score": _INT,
        "cut3": _INT,
        "cut4": _INT,
        "cut5": _INT,
    },
    "vpr_scales": {
        "year": _INT,
        "grade": _INT,
        "subject": "str",
        "max_score": _INT,
        "cut3": _INT,
        "cut4": _INT,
        "cut5": _INT,
    },
}
_KEYS = {
    "gia_min_scores": ("exam", "subject", "year"),
    "oge_scales": ("subject", "year"),
    "vpr_scales": ("year", "grade", "subject"),
}


def _load(name: str, path: Path | str | None) -> pd.DataFrame:
    file = Path(path) if path is not None else DATA_DIR / f"{name}.csv"
    st = file.stat()
    # parsed once per process and file version (a region run reads them per municipality)
    return _parse(name, str(file), st.st_mtime_ns, st.st_size).copy()


@functools.lru_cache(maxsize=16)
def _parse(name: str, file_name: str, _mtime_ns: int, _size: int) -> pd.DataFrame:
    file = Path(file_name)
    cols = _COLUMNS[name]
    df = pd.read_csv(file, encoding="utf-8", dtype=str, keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{file}: missing column(s) {missing}; expected {list(cols)}")
    df = df[list(cols)].copy()
    for col, dtype in cols.items():
        values = df[col].str.strip()
        if dtype == "str":
            df[col] = values.astype(object)
            continue
        num = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
        if num.isna().any():
            row = int(num.isna().to_numpy().argmax()) + 2
            raise ValueError(f"{file}: row {row}, column {col!r}: not a number")
        df[col] = num.astype(dtype)
    key = list(_KEYS[name])
    if df.duplicated(key).any():
        dup = df.loc[df.duplicated(key, keep=False), key].iloc[0].tolist()
        raise ValueError(f"{file}: duplicate key {dict(zip(key, dup, strict=True))}")
    if "cut3" in df.columns:
        bad = ~(
            (df["cut3"] > 0)
            & (df["cut3"] < df["cut4"])
            & (df["cut4"] < df["cut5"])
            & (df["cut5"] <= df["max_score"])
        )
        if bad.any():
            raise ValueError(
                f"{file}: row {int(bad.to_numpy().argmax()) + 2}: "
                "expected 0 < cut3 < cut4 < cut5 <= max_score"
            )
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def load_gia_min_scores(path: Path | str | None = None) -> pd.DataFrame:
    """ГИА minimum scores: columns exam (ОГЭ/ЕГЭ), subject, year (int), min_score (float)."""
    return _load("gia_min_scores", path)


def load_oge_scales(path: Path | str | None = None) -> pd.DataFrame:
    """ОГЭ mark scales: subject, year, max_score, cut3, cut4, cut5 (ints)."""
    return _load("oge_scales", path)


def load_vpr_scales(path: Path | str | None = None) -> pd.DataFrame:
    """ВПР mark scales: year, grade, subject, max_score, cut3, cut4, cut5 (ints)."""
    return _load("vpr_scales", path)


def for_year(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of a year-versioned reference table that apply to `year`.

    For each key (the table's columns other than `year` and the values) the row of the latest
    year <= `year` is used; when every version is later than `year`, the earliest one. The
    returned rows carry `year` = the requested year and `source_year` = the row's own year.
    """
    value_cols = {"min_score", "max_score", "cut3", "cut4", "cut5"}
    key = [c for c in table.columns if c not in value_cols and c != "year"]
    t = table.assign(_after=table["year"] > year, _dist=(table["year"] - year).abs())
    t = t.sort_values([*key, "_after", "_dist"], kind="stable").drop_duplicates(key)
    out = t.drop(columns=["_after", "_dist"]).rename(columns={"year": "source_year"})
    out.insert(0, "year", int(year))
    return out.reset_index(drop=True)
