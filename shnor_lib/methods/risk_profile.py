"""M8: the school risk profile («500+»): factor values, «высокий / средний / низкий» levels.

Factor metadata (Russian name, direction, F2 risk category, fixed thresholds) lives in
``data/risk_factors.yml``. The functions take plain frames:

- :func:`factor_values` — one row per school, one column per measurable factor (a factor
  whose inputs are absent is left out, not an error; ``.attrs["absent"]`` says why);
- :func:`levels` — the risk level of each school × factor, oriented so that «высокий» is
  the most at risk: by terciles of the population (default) or by the fixed thresholds;
- :func:`top_risks` — the «; »-joined names of the factors at «высокий» (schools.csv);
- :func:`long_table` — the published ``risk_levels`` table (school × measured factor, long);
- :func:`profile_table` — the published ``risk_profile_school`` table: the one-page profile
  of each school (every factor, value, thresholds, level, source), shown in the school card;
- :func:`school_columns` — values and levels as ``<factor>`` / ``risk_<factor>`` columns,
  to merge into the schools frame passed to :func:`shnor_lib.methods.recommendations.generate`.

Terciles: the mid-rank percentile ``p = (rank − 0.5) / n`` (ties share their average rank)
of the risk-oriented value among the schools with a value; ``p < 1/3`` «низкий», ``p > 2/3``
«высокий», else «средний». Equal values always get equal levels; with n divisible by 3 and
no ties the three groups are exactly equal; a factor without variation is «средний» for all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from shnor_lib.fmt import fmt_number, fmt_percent
from shnor_lib.io import catalogs

HIGH, MID, LOW, NO_DATA = "высокий", "средний", "низкий", "нет данных"
LEVEL_ORDER = (HIGH, MID, LOW, NO_DATA)
DIRECTIONS = ("higher_is_risk", "lower_is_risk")
PASSED_IN = ("teachers_ab_share", "vpr_fail_share", "below_min_share")

# factor id → (numerator column, denominator column or None, multiplier)
_FROM_CONTEXT: dict[str, tuple[str, str | None, float]] = {
    "computers_per_student": ("computers", "students_total", 1.0),
    "internet_mbps": ("internet_mbps", None, 1.0),
    "vacancies_share": ("vacancies", "teachers_total", 100.0),
    "non_native_share": ("non_native_russian", "students_total", 100.0),
    "disabled_share": ("disabled", "students_total", 100.0),
    "teachers_multi_subject_share": ("teachers_multi_subject", "teachers_total", 100.0),
    "teachers_no_subject_degree_share": ("teachers_no_subject_degree", "teachers_total", 100.0),
    "low_income_share": ("low_income", "students_total", 100.0),
    "single_parent_share": ("single_parent", "students_total", 100.0),
    "large_family_share": ("large_family", "students_total", 100.0),
    "parents_unemployed_share": ("parents_unemployed", "students_total", 100.0),
    "parents_higher_ed_share": ("parents_higher_ed", "students_total", 100.0),
    "difficult_situation_share": ("difficult_situation", "students_total", 100.0),
    "at_risk_registered_share": ("at_risk_registered", "students_total", 100.0),
}
# factor id → (teachers column, the values that count as «at risk»); share among teachers
# with a value in the column (reporting year)
_FROM_TEACHERS: dict[str, tuple[str, frozenset]] = {
    "teachers_no_pd_share": ("pd_last_year", frozenset({0})),
    "teachers_no_category_share": ("category", frozenset({"соответствие", "нет"})),
}


@dataclass(frozen=True)
class Feature:
    """A profile feature: a risk factor (with category and direction) or ИОР / ИСБ."""

    id: str
    name: str
    label: str
    unit: str
    decimals: int
    above: str
    below: str
    category: str | None = None
    direction: str | None = None
    project_factor: str | None = None
    measure: str | None = None
    high: float | None = None
    low: float | None = None
    source: str = ""

    @property
    def is_risk(self) -> bool:
        return self.category is not None

    @property
    def risk_sign(self) -> int:
        """+1 when a larger value is more risk, −1 when a smaller value is."""
        return -1 if self.direction == "lower_is_risk" else 1

    @property
    def axis_label(self) -> str:
        """The label with its unit («обучающиеся с ОВЗ, %»), for table headers and axes."""
        return f"{self.label}, {self.unit}" if self.unit else self.label

    def format_value(self, value: float) -> str:
        if self.unit == "%":
            return fmt_percent(value, self.decimals)
        text = fmt_number(value, self.decimals)
        return f"{text} {self.unit}" if self.unit and text != "—" else text


def _feature(raw: Mapping, risk: bool) -> Feature:
    thr = raw.get("thresholds") or {}
    return Feature(
        id=str(raw["id"]),
        name=str(raw["name"]),
        label=str(raw.get("label", raw["name"])),
        unit=str(raw.get("unit", "")),
        decimals=int(raw.get("decimals", 2)),
        above=str(raw["above"]),
        below=str(raw["below"]),
        category=str(raw["category"]) if risk else None,
        direction=str(raw["direction"]) if risk else None,
        project_factor=raw.get("project_factor"),
        measure=raw.get("measure"),
        high=float(thr["high"]) if "high" in thr else None,
        low=float(thr["low"]) if "low" in thr else None,
        source=str(raw.get("source", "")),
    )


def _check_factor(f: Feature, categories: Mapping[str, str]) -> None:
    where = f"risk_factors.yml, factor {f.id!r}"
    if f.category not in categories:
        raise ValueError(f"{where}: unknown category {f.category!r}")
    if f.direction not in DIRECTIONS:
        raise ValueError(f"{where}: direction must be one of {DIRECTIONS}")
    if f.high is None or f.low is None:
        raise ValueError(f"{where}: thresholds need both `high` and `low`")
    if f.risk_sign * (f.high - f.low) < 0:
        raise ValueError(f"{where}: threshold `high` must be at least as risky as `low`")


@cache
def _load() -> tuple[dict[str, str], dict[str, Feature], dict[str, Feature]]:
    raw = catalogs.risk_factors_raw()  # read in io/: methods open no file
    categories = {str(k): str(v) for k, v in raw["categories"].items()}
    factors = {}
    for item in raw["factors"]:
        f = _feature(item, risk=True)
        _check_factor(f, categories)
        if f.id in factors:
            raise ValueError(f"risk_factors.yml: duplicate factor id {f.id!r}")
        factors[f.id] = f
    others = {str(i["id"]): _feature(i, risk=False) for i in raw.get("profile_features", [])}
    return categories, factors, others


def categories() -> dict[str, str]:
    """F2 risk category id → Russian name."""
    return dict(_load()[0])


def factors() -> dict[str, Feature]:
    """Risk factor id → metadata, in the order of the data file."""
    return dict(_load()[1])


def features() -> dict[str, Feature]:
    """Every profile feature (risk factors, then ИОР and ИСБ) id → metadata."""
    _, facs, others = _load()
    return {**facs, **others}


# ---------------------------------------------------------------------------- values


def _ratio(ctx: pd.DataFrame, num: str, den: str | None, mult: float) -> pd.Series | None:
    if num not in ctx or (den is not None and den not in ctx):
        return None
    x = pd.to_numeric(ctx[num], errors="coerce").astype(float)
    if den is None:
        return x
    d = pd.to_numeric(ctx[den], errors="coerce").astype(float)
    return mult * x / d.where(d > 0)


def _passed_in(x: pd.Series | pd.DataFrame, name: str) -> pd.Series:
    """A per-school share (percent) given as a Series by school_id or a frame."""
    if isinstance(x, pd.DataFrame):
        if "school_id" not in x:
            raise ValueError(f"{name}: a frame needs a school_id column")
        cols = [c for c in (name, "share", "value") if c in x]
        if not cols:
            raise ValueError(f"{name}: a frame needs a column {name!r}, 'share' or 'value'")
        x = x.set_index("school_id")[cols[0]]
    s = pd.to_numeric(x, errors="coerce").astype(float)
    if s.index.has_duplicates:
        raise ValueError(f"{name}: one value per school expected")
    if ((s < 0) | (s > 100)).any():
        raise ValueError(f"{name}: a percentage 0..100 expected")
    return s


def teacher_shares(teachers_year: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Per school, the percent of teachers «at risk» on each :data:`_FROM_TEACHERS` column,
    among the teachers with a value there (a school with no such teacher: no value)."""
    out: dict[str, pd.Series] = {}
    if teachers_year is None or teachers_year.empty:
        return out
    t = teachers_year.assign(school_id=teachers_year["school_id"].astype(str))
    for fid, (col, risky) in _FROM_TEACHERS.items():
        if col not in t:
            continue
        v = t[col]
        known = v.notna() & (v.astype(str).str.strip() != "")
        norm = v.map(lambda x: x.strip().lower() if isinstance(x, str) else x)
        hit = norm.isin(risky) & known
        g = pd.DataFrame({"school_id": t["school_id"], "k": known, "h": hit})
        agg = g.groupby("school_id")[["k", "h"]].sum()
        out[fid] = (100.0 * agg["h"] / agg["k"].where(agg["k"] > 0)).astype(float)
    return out


def factor_values(
    schools: pd.DataFrame,
    context_year: pd.DataFrame | None,
    *,
    teachers_year: pd.DataFrame | None = None,
    teachers_ab_share: pd.Series | pd.DataFrame | None = None,
    vpr_fail_share: pd.Series | pd.DataFrame | None = None,
    below_min_share: pd.Series | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Measurable «500+» factor values per school (index ``school_id``; shares in percent).

    ``context_year``: the ``context`` rows of the reporting year (school_id, students_total,
    teachers_total and the counts of :data:`_FROM_CONTEXT` — any may be missing).
    ``teachers_year``: the ``teachers`` rows of the reporting year (pd_last_year, category;
    :func:`teacher_shares`). The three shares are Series indexed by school_id (or frames with
    school_id and the share), in percent. A factor whose inputs are absent, or that has no
    value for any school, is left out; ``.attrs["absent"]`` maps its id to the reason.
    """
    ids = pd.Index(sorted(schools["school_id"].unique()), name="school_id")
    ctx = pd.DataFrame(index=ids)
    if context_year is not None and not context_year.empty:
        if context_year["school_id"].duplicated().any():
            raise ValueError("context_year: one row per school expected (the reporting year)")
        ctx = context_year.set_index("school_id").reindex(ids)
    given = {
        "teachers_ab_share": teachers_ab_share,
        "vpr_fail_share": vpr_fail_share,
        "below_min_share": below_min_share,
    }
    from_teachers = teacher_shares(teachers_year)
    out = pd.DataFrame(index=ids)
    absent: dict[str, str] = {}
    for fid in factors():
        if fid in _FROM_TEACHERS:
            s = from_teachers[fid].reindex(ids) if fid in from_teachers else None
            why = f"нет данных о педагогах ({_FROM_TEACHERS[fid][0]})"
        elif fid in _FROM_CONTEXT:
            num, den, mult = _FROM_CONTEXT[fid]
            s = _ratio(ctx, num, den, mult)
            why = f"нет данных социального паспорта ({num}{'/' + den if den else ''})"
        else:
            raw = given.get(fid)
            s = None if raw is None else _passed_in(raw, fid).reindex(ids)
            why = "показатель не рассчитан (нет исходных данных)"
        if s is None or s.notna().sum() == 0:
            absent[fid] = why
            continue
        out[fid] = s.replace([np.inf, -np.inf], np.nan).to_numpy()
    out.attrs["absent"] = absent
    return out


# ---------------------------------------------------------------------------- levels


def _terciles(x: pd.Series, sign: int) -> pd.Series:
    r = (sign * x).round(9)
    ok = r.notna()
    out = pd.Series(NO_DATA, index=x.index, dtype=object)
    n = int(ok.sum())
    if n == 0:
        return out
    t = 2 * r[ok].rank(method="average") - 1  # 2n·p, integral: exact comparisons
    out[ok] = np.select([3 * t > 4 * n, 3 * t < 2 * n], [HIGH, LOW], MID)
    return out


def _fixed(x: pd.Series, sign: int, high: float, low: float) -> pd.Series:
    r = sign * x
    out = pd.Series(NO_DATA, index=x.index, dtype=object)
    ok = r.notna()
    out[ok] = np.select([r[ok] >= sign * high, r[ok] < sign * low], [HIGH, LOW], MID)
    return out


def levels(
    values: pd.DataFrame,
    *,
    method: str = "terciles",
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """«высокий / средний / низкий» risk per school × factor («нет данных» for NaN).

    ``method``: ``"terciles"`` of the population (oriented so «высокий» = most at risk) or
    ``"fixed"`` (thresholds from the data file, overridden per factor by ``thresholds``:
    ``{factor_id: {"high": x, "low": y}}``). Columns that are not known factors are errors.
    """
    if method not in ("terciles", "fixed"):
        raise ValueError("method must be 'terciles' or 'fixed'")
    meta = factors()
    unknown = [c for c in values.columns if c not in meta]
    if unknown:
        raise KeyError(f"not risk factors (see risk_factors.yml): {', '.join(map(str, unknown))}")
    out = pd.DataFrame(index=values.index)
    for fid in values.columns:
        f = meta[fid]
        x = pd.to_numeric(values[fid], errors="coerce").astype(float)
        if method == "terciles":
            out[fid] = _terciles(x, f.risk_sign)
        else:
            thr = dict(thresholds.get(fid, {})) if thresholds else {}
            high = float(thr.get("high", f.high))
            low = float(thr.get("low", f.low))
            out[fid] = _fixed(x, f.risk_sign, high, low)
    return out


def top_risks(levels_: pd.DataFrame) -> pd.Series:
    """school_id → «; »-joined names of the factors at «высокий» ('' if none)."""
    meta = factors()
    cols = [c for c in meta if c in levels_.columns]
    names = [meta[c].name for c in cols]
    high = levels_[cols].eq(HIGH).to_numpy() if cols else np.zeros((len(levels_), 0), bool)
    joined = ["; ".join(n for n, h in zip(names, row, strict=True) if h) for row in high]
    return pd.Series(joined, index=levels_.index, name="top_risks", dtype=object)


def long_table(values: pd.DataFrame, levels_: pd.DataFrame) -> pd.DataFrame:
    """The published ``risk_levels`` table: one row per school × measured factor.

    Columns: school_id, factor, factor_name, category, category_name, direction, value,
    level. Rows sorted by school_id, then factor in data-file order.
    """
    meta, cats = factors(), categories()
    rows = []
    order = [f for f in meta if f in values.columns]
    for k, fid in enumerate(order):
        f = meta[fid]
        part = pd.DataFrame(
            {
                "school_id": values.index.to_numpy(),
                "factor": fid,
                "factor_name": f.name,
                "category": f.category,
                "category_name": cats[f.category or ""],
                "direction": f.direction,
                "value": values[fid].to_numpy(dtype=float),
                "level": levels_[fid].reindex(values.index).fillna(NO_DATA).to_numpy(),
                "_k": k,
            }
        )
        rows.append(part)
    cols = [
        "school_id",
        "factor",
        "factor_name",
        "category",
        "category_name",
        "direction",
        "value",
        "level",
    ]
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True).sort_values(["school_id", "_k"], kind="stable")
    return out[cols].reset_index(drop=True)


# Russian headers and sheet names of the published tables (merged into publish.RU_HEADERS,
# publish.TABLE_HEADERS and publish.SHEET_NAMES).
RU_HEADERS = {
    "factor": "Фактор (код)",
    "factor_name": "Фактор риска",
    "project_factor": "Фактор «500+»",
    "category_name": "Категория риска",
    "threshold": "Порог «высокий»",
    "threshold_low": "Порог «низкий»",
    "source": "Источник",
}
TABLE_HEADERS = {
    "risk_profile_school": {"value": "Значение"},
    "risk_levels": {"value": "Значение"},
}
SHEET_NAMES = {"risk_profile_school": "Профиль рисков ОО"}

PROFILE_COLUMNS = [
    "school_id",
    "factor",
    "factor_name",
    "project_factor",
    "category_name",
    "value",
    "threshold",
    "threshold_low",
    "level",
    "source",
]


def profile_table(
    values: pd.DataFrame,
    levels_: pd.DataFrame,
    *,
    method: str = "fixed",
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """The one-page risk profile of each school (``risk_profile_school``): one row per school
    × every factor of the data file, measured or not (``value`` NaN, level «нет данных», and
    ``source`` says why when the data have no input for it).

    ``threshold``: the value at or beyond which the risk is «высокий», ``threshold_low``: the
    value better than which it is «низкий» (empty with ``method="terciles"``, where the levels
    are relative to the population)."""
    meta, cats = factors(), categories()
    absent = values.attrs.get("absent", {})
    ids = values.index.to_numpy()
    parts = []
    for k, (fid, f) in enumerate(meta.items()):
        measured = fid in values.columns
        thr = dict((thresholds or {}).get(fid, {}))
        fixed = method == "fixed"
        parts.append(
            pd.DataFrame(
                {
                    "school_id": ids,
                    "factor": fid,
                    "factor_name": f.name,
                    "project_factor": f.project_factor or "",
                    "category_name": cats[f.category or ""],
                    "value": values[fid].to_numpy(dtype=float) if measured else np.nan,
                    "threshold": float(thr.get("high", f.high)) if fixed else np.nan,
                    "threshold_low": float(thr.get("low", f.low)) if fixed else np.nan,
                    "level": levels_[fid].reindex(values.index).fillna(NO_DATA).to_numpy()
                    if measured
                    else NO_DATA,
                    "source": f.source if measured else f"{f.source} — {absent.get(fid, NO_DATA)}",
                    "_k": k,
                }
            )
        )
    if not parts or not len(ids):
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    out = pd.concat(parts, ignore_index=True).sort_values(["school_id", "_k"], kind="stable")
    return out[PROFILE_COLUMNS].reset_index(drop=True)


def school_columns(values: pd.DataFrame, levels_: pd.DataFrame) -> pd.DataFrame:
    """``school_id``, then ``<factor>`` values and ``risk_<factor>`` levels, to merge into
    the schools frame used by :func:`shnor_lib.methods.recommendations.generate`."""
    out = pd.DataFrame({"school_id": values.index.to_numpy()})
    for fid in values.columns:
        out[fid] = values[fid].to_numpy(dtype=float)
        out[f"risk_{fid}"] = levels_[fid].reindex(values.index).fillna(NO_DATA).to_numpy()
    return out


def wide_from_long(long: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values, levels) school × factor frames back from a published ``risk_levels`` table."""
    if long is None or long.empty:
        empty = pd.DataFrame(index=pd.Index([], name="school_id"))
        return empty, empty.copy()
    order = [f for f in factors() if f in set(long["factor"])]
    vals = long.pivot(index="school_id", columns="factor", values="value").reindex(columns=order)
    lev = long.pivot(index="school_id", columns="factor", values="level").reindex(columns=order)
    vals.columns.name = lev.columns.name = None
    return vals.astype(float), lev.fillna(NO_DATA)
