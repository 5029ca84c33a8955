"""Reference data shipped with the package (docs/data_contract.md): editable CSV files, versioned per year.

- `gia_min_scores.csv` — `exam, subject, year, min_score`: the ГИА minimum on the scale the
  `gia.score` column uses for that exam × subject (ЕГЭ: test score 0–100, except «Математика
  (базовый уровень)», whose score is the primary score 0–21 and whose minimum is the cut for «3»;
  ОГЭ: primary score, minimum = the cut for «3»).
- `oge_scales.csv` — `subject, year, max_score, cut3, cut4, cut5`: ОГЭ primary-score → mark scales.
- `vpr_scales.csv` — `year, grade, subject, max_score, cut3, cut4, cut5`: ВПР mark scales,
  only for years whose scale is known: a year without a row is «шкала неизвестна» (never the
  scale of another year: ВПР scales change, e.g. Russian grade 4 had 38 points in 2019 and
  24 in 2026). Users add scales in ``data/raw/<m>/scales/vpr_scales.csv`` (same columns; its
  rows replace the shipped ones with the same year × grade × subject): :func:`vpr_scales`.
- `ege_primary_max.csv` — `subject, year, max_score`: the ЕГЭ primary-score maximum from
  `year` on (until a later row), used to check a score column is on the scale it is read as.

The methods' own data files are read here too, so that ``shnor_lib/methods/`` reads no file
(tests/test_architecture.py): the indicator catalogue (:func:`load_indicator_catalog`) and
the expected signs of the ИСБ characteristics (:func:`load_social_expected_signs`), the
recommendation rules (:func:`load_recommendation_rules`); a stage
of :mod:`shnor_lib.pipeline` loads them and passes them to the method by keyword.

A cut `cutK` is the lowest primary score that earns mark K. Values are FIPI / Rosobrnadzor
recommendations as published (rounded to the usual recommended scale); users edit the files
when a year's scale differs. Subjects are canonical names from `schema.SUBJECTS`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from shnor_lib import DATA_DIR
from shnor_lib.errors import ShnorError

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
    "ege_primary_max": {"subject": "str", "year": _INT, "max_score": _INT},
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
    "ege_primary_max": ("subject", "year"),
}
USER_VPR_SCALES = Path("scales") / "vpr_scales.csv"  # under the municipality's raw folder


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


def load_indicator_catalog() -> pd.DataFrame:
    """The indicator catalogue (``indicators_catalog.csv``, docs/indicators.md): one row per
    indicator, ``target_value`` numeric (NaN: no target); a fresh copy per call."""
    path = DATA_DIR / "indicators_catalog.csv"
    st = path.stat()
    return _parse_catalog(str(path), st.st_mtime_ns, st.st_size).copy()


@functools.lru_cache(maxsize=4)
def _parse_catalog(path: str, _mtime_ns: int, _size: int) -> pd.DataFrame:
    cat = pd.read_csv(path, dtype=str, keep_default_na=False)
    cat["target_value"] = pd.to_numeric(cat["target_value"].replace("", float("nan")))
    return cat


def load_social_expected_signs() -> dict[str, int]:
    """ИСБ characteristic → the sign expected from its meaning (−1, +1; 0 = none), from
    ``social_expected_signs.csv`` (docs/indicators.md, F1)."""
    table = pd.read_csv(
        DATA_DIR / "social_expected_signs.csv", dtype={"term": str}, keep_default_na=False
    )
    return {str(t): int(v) for t, v in zip(table["term"], table["expected_sign"], strict=True)}


def load_recommendation_rules(path: Path | str | None = None):
    """The recommendation rules (default: the package's ``recommendations.yml``), parsed and
    validated by :func:`shnor_lib.methods.recommendations.parse_rules` (RulesError names
    the rule at fault)."""
    if path is None:
        return _default_rules()
    return _rules_file(Path(path))


@functools.cache
def _default_rules():
    return _rules_file(DATA_DIR / "recommendations.yml")


def _rules_file(path: Path):
    import yaml

    from shnor_lib.methods.recommendations import RulesError, parse_rules

    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise RulesError(
            f"{path.name}: некорректный YAML ({exc})", f"{path.name}: invalid YAML"
        ) from None
    return parse_rules(data, path.name)


def load_gia_min_scores(path: Path | str | None = None) -> pd.DataFrame:
    """ГИА minimum scores: columns exam (ОГЭ/ЕГЭ), subject, year (int), min_score (float)."""
    return _load("gia_min_scores", path)


def load_oge_scales(path: Path | str | None = None) -> pd.DataFrame:
    """ОГЭ mark scales: subject, year, max_score, cut3, cut4, cut5 (ints)."""
    return _load("oge_scales", path)


def load_vpr_scales(path: Path | str | None = None) -> pd.DataFrame:
    """ВПР mark scales: year, grade, subject, max_score, cut3, cut4, cut5 (ints)."""
    return _load("vpr_scales", path)


def load_ege_primary_max(path: Path | str | None = None) -> pd.DataFrame:
    """ЕГЭ primary-score maxima: subject, year (the first year it applies), max_score."""
    return _load("ege_primary_max", path)


def vpr_scales(raw_dir: Path | str | None = None) -> pd.DataFrame:
    """The shipped ВПР scales plus the user's ``<raw_dir>/scales/vpr_scales.csv`` when present.

    A user row replaces the shipped row of the same year × grade × subject. Each row keeps
    where it came from in ``source`` («справочник пакета» / the user file).
    """
    shipped = load_vpr_scales().assign(source="справочник пакета")
    user_file = Path(raw_dir) / USER_VPR_SCALES if raw_dir is not None else None
    if user_file is None or not user_file.is_file():
        return shipped
    try:
        user = load_vpr_scales(user_file).assign(source=str(user_file))
    except ValueError as exc:  # the user's file: a message, not a traceback
        raise ShnorError(
            f"Файл шкал ВПР {user_file} не прочитан: {exc}. Ожидались столбцы year, grade, "
            "subject, max_score, cut3, cut4, cut5 и 0 < cut3 < cut4 < cut5 <= max_score",
            f"ВПР scales file {user_file} not read: {exc}",
        ) from None
    key = list(_KEYS["vpr_scales"])
    both = pd.concat([user, shipped], ignore_index=True).drop_duplicates(key, keep="first")
    return both.sort_values(key, kind="stable").reset_index(drop=True)


def vpr_scale_warnings(vpr: pd.DataFrame, scales: pd.DataFrame) -> list[str]:
    """Russian warnings for ВПР results whose year × grade × subject has no known scale
    («шкала неизвестна»: no heaping check; no other year's scale stands in) or whose maximum
    in the file differs from the scale's (the file's maximum is kept; the scale is not used)."""
    cols = ["year", "grade", "subject"]
    if vpr is None or vpr.empty or not set(cols) <= set(vpr.columns):
        return []
    have = vpr.dropna(subset=cols)
    keys = have[cols].astype({"year": "int64", "grade": "int64", "subject": str})
    if "max_score" in have:
        keys = keys.assign(file_max=pd.to_numeric(have["max_score"], errors="coerce"))
    else:
        keys = keys.assign(file_max=float("nan"))
    keys = keys.drop_duplicates()
    sc = scales[[*cols, "max_score"]].astype({"year": "int64", "grade": "int64"})
    merged = keys.merge(sc, on=cols, how="left")
    out = []
    unknown = merged[merged["max_score"].isna()][cols].drop_duplicates()
    for year, grp in unknown.groupby("year", sort=True):
        listed = ", ".join(
            f"{g} кл. «{s}»" for g, s in zip(grp["grade"], grp["subject"], strict=True)
        )
        out.append(
            f"ВПР {year}: шкала отметок неизвестна ({listed}) — проверка скопления баллов у "
            "порога «3» для них не проводится (шкала другого года не подставляется). Если "
            f"шкала известна, добавьте её в data/raw/<муниципалитет>/{USER_VPR_SCALES.as_posix()} "
            "(столбцы year, grade, subject, max_score, cut3, cut4, cut5)"
        )
    differ = merged[
        merged["max_score"].notna()
        & merged["file_max"].notna()
        & (merged["file_max"] != merged["max_score"])
    ]
    for r in differ.itertuples(index=False):
        out.append(
            f"ВПР {r.year}, {r.grade} кл. «{r.subject}»: максимальный балл в файле "
            f"{r.file_max:g}, в шкале {r.max_score:g} — используется максимум из файла, шкала "
            "к этим результатам не применяется"
        )
    return out


def exact_year(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of exactly ``year`` (no other year's scale stands in), with ``source_year``."""
    out = table[table["year"] == int(year)].copy()
    out["source_year"] = out["year"]
    return out.reset_index(drop=True)


def since_year(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per key, the row of the latest year <= ``year`` (none when every row is later)."""
    return for_year(table[table["year"] <= int(year)], year)


def for_year(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of a year-versioned reference table that apply to `year`.

    For each key (the table's columns other than `year` and the values) the row of the latest
    year <= `year` is used; when every version is later than `year`, the earliest one. The
    returned rows carry `year` = the requested year and `source_year` = the row's own year.
    """
    value_cols = {"min_score", "max_score", "cut3", "cut4", "cut5", "source"}
    key = [c for c in table.columns if c not in value_cols and c != "year"]
    t = table.assign(_after=table["year"] > year, _dist=(table["year"] - year).abs())
    t = t.sort_values([*key, "_after", "_dist"], kind="stable").drop_duplicates(key)
    out = t.drop(columns=["_after", "_dist"]).rename(columns={"year": "source_year"})
    out.insert(0, "year", int(year))
    return out.reset_index(drop=True)
