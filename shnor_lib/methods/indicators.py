"""Share indicators of the regulations (docs/indicators.md), M1.

Each indicator is a count pair (numerator k, denominator n) per school and year, pooled for
the municipality. Values are percentages with Wilson intervals; year-on-year change with
Newcombe's interval. The target status is the plain verdict on the municipality's actual
figures (value against the target; change > 0 for «положительная динамика»), and
``target_confirmed`` says whether the interval confirms it (see docs/methods_choices.md).
The catalog (ids, names, inputs,
targets) is the data file `data/indicators_catalog.csv`, read by
``io.reference.load_indicator_catalog`` and passed in (``catalog=``).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from shnor_lib.methods.stats import (
    change_status,
    mean_ci_from_stats,
    newcombe_diff_ci,
    welch_diff_ci,
    wilson_ci,
)

COLUMNS = [
    "indicator_id",
    "level",
    "school_id",
    "year",
    "value",
    "ci_low",
    "ci_high",
    "numerator",
    "n",
    "change",
    "change_ci_low",
    "change_ci_high",
    "change_status",
    "target",
    "target_status",
    "target_confirmed",  # whether the interval confirms the plain verdict of target_status
    "n_prev",  # participants in the previous year: the change is published only if both are large
]

NO_DATA = "нет данных"
MET, NOT_MET, NO_TARGET = "достигнут", "не достигнут", "цель не установлена"
CONFIRMED, NOT_CONFIRMED = "подтверждено интервалом", "не подтверждено"
SMALL_STATUS = "н/д (мало участников)"
# Counts (not shares of people): never small-cell suppressed.
COUNT_INDICATORS = frozenset({"objectivity_complaints_absent"})
# Shares of schools (A41, A42: of the ШНОР), not of people: M11 small cells do not apply.
SCHOOL_SHARE_INDICATORS = frozenset(
    {"school_targeted_help_share", "school_positive_dynamics_share"}
)
NOT_PEOPLE = COUNT_INDICATORS | SCHOOL_SHARE_INDICATORS


def _parse_filter(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(";") if part)


# ------------------------------------------------------------------ count pairs per source


def _from_stats(stats: pd.DataFrame | None, num: str, den: str) -> pd.DataFrame | None:
    if stats is None or num not in stats or den not in stats:
        return None
    out = stats[["school_id", "year", num, den]].dropna()
    out = out.rename(columns={num: "numerator", den: "n"})
    return out[out["n"] > 0]


def _vpr_passed_all(vpr: pd.DataFrame | None, grade: int) -> pd.DataFrame | None:
    """Pupils of a grade with mark >= 3 in every ВПР subject they wrote / pupils who wrote."""
    if vpr is None:
        return None
    g = vpr[vpr["grade"] == grade]
    if g.empty:
        return None
    per_student = g.groupby(["school_id", "year", "student_id"], observed=True)["mark"].min()
    passed = (per_student >= 3).groupby(level=["school_id", "year"]).agg(["sum", "size"])
    return passed.rename(columns={"sum": "numerator", "size": "n"}).reset_index()


def journal_agreement(vpr: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts of lowered / confirmed / raised (ВПР mark vs journal mark) per group of `keys`."""
    v = vpr.dropna(subset=["journal_mark"])
    diff = np.sign(v["mark"].astype("float64") - v["journal_mark"].astype("float64"))
    frame = v[keys].assign(
        lowered=(diff < 0).astype(int),
        confirmed=(diff == 0).astype(int),
        raised=(diff > 0).astype(int),
    )
    out = frame.groupby(keys, observed=True).sum()
    out["n"] = out[["lowered", "confirmed", "raised"]].sum(axis=1)
    out["not_lower"] = out["confirmed"] + out["raised"]
    return out.reset_index()


JOURNAL_UNIT = ["school_id", "year", "grade", "subject"]


def journal_units_from_stats(stats: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`journal_agreement` per :data:`JOURNAL_UNIT` from ФИС ОКО «Сравнение отметок с
    отметками по журналу» counts (table ``vpr_journal_stats``), when there are no pupil rows."""
    if stats is None or stats.empty:
        return pd.DataFrame(columns=[*JOURNAL_UNIT, "lowered", "confirmed", "raised", "n"])
    j = pd.DataFrame(
        {
            "school_id": stats["school_id"].astype(str).to_numpy(),
            "year": pd.to_numeric(stats["year"]).astype("int64").to_numpy(),
            "grade": pd.to_numeric(stats["grade"]).astype("int64").to_numpy(),
            "subject": stats["subject"].astype(str).to_numpy(),
            **{k: stats[k].astype("int64").to_numpy() for k in ("lowered", "confirmed", "raised")},
        }
    )
    j["n"] = j["lowered"] + j["confirmed"] + j["raised"]
    j["not_lower"] = j["confirmed"] + j["raised"]
    return j[j["n"] > 0].reset_index(drop=True)


def journal_regroup(units: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`journal_agreement` over coarser ``keys`` from its output per finer unit
    (:data:`JOURNAL_UNIT`): the same integer counts, without regrouping every pupil row
    again for each indicator's subset of grades and subjects."""
    out = units.groupby(keys, observed=True)[["lowered", "confirmed", "raised"]].sum()
    out["n"] = out[["lowered", "confirmed", "raised"]].sum(axis=1)
    out["not_lower"] = out["confirmed"] + out["raised"]
    return out.reset_index()


def journal_scope(units: pd.DataFrame, subjects, grades: tuple[int, int]) -> pd.DataFrame:
    """The unit counts of a subset of subjects and an inclusive range of grades."""
    return units[units["subject"].isin(list(subjects)) & units["grade"].between(*grades)]


# Result indicators computed after the objectivity exclusions (M5): the shares of pupils who
# passed every ВПР subject (A11–A15) and the ВПР mean marks (C1-2). The journal agreement
# (A26–A36) is a check of objectivity itself and stays on all data.
RESULT_SOURCES = frozenset({"vpr_passed_all"})
EXCLUSION_EFFECT_COLUMNS = [
    "indicator_id",
    "level",
    "school_id",
    "year",
    "excluded_units",
    "n_before",
    "n_after",
    "value_before",
    "value_after",
]


def _excluded_rows(vpr: pd.DataFrame, exclusions: pd.DataFrame | None) -> pd.Series:
    """Rows of the ВПР pupil table inside an excluded unit (results_index.drop_excluded)."""
    from shnor_lib.methods import results_index  # results_index imports this module

    kept = results_index.drop_excluded(vpr, exclusions, "ВПР")
    return ~vpr.index.isin(kept.index)


def vpr_after_exclusions(
    vpr: pd.DataFrame | None, exclusions: pd.DataFrame | None, *, pupils: bool
):
    """The ВПР pupil rows the result indicators use.

    ``pupils=False`` (a mean per subject, C1-2): the rows of the excluded units are dropped.
    ``pupils=True`` («справились по всем предметам», A11–A15): every pupil with a mark in an
    excluded unit is dropped, numerator and denominator alike — whether such a pupil passed
    every subject is not known, and judging the pupil on the other subjects only would raise
    the share."""
    if vpr is None or exclusions is None or exclusions.empty:
        return vpr
    bad = _excluded_rows(vpr, exclusions)
    if not bad.any():
        return vpr
    if not pupils or "student_id" not in vpr:
        return vpr[~bad]
    keys = ["school_id", "year", "student_id"]
    hit = pd.MultiIndex.from_frame(vpr.loc[bad, keys])
    return vpr[~pd.MultiIndex.from_frame(vpr[keys]).isin(hit)]


def _vpr_journal(
    vpr: pd.DataFrame | None, what: str, flt: dict[str, str], units: pd.DataFrame | None = None
) -> pd.DataFrame | None:
    no_marks = vpr is None or "journal_mark" not in vpr or vpr["journal_mark"].isna().all()
    if units is None and no_marks:
        return None
    lo, hi = (int(x) for x in flt["grades"].split("-"))
    subjects = flt["subject"].split("|")
    if units is None:
        units = journal_agreement(vpr, JOURNAL_UNIT)
    # pupils of the scope with a journal mark are exactly the units of the scope
    sel = journal_scope(units, subjects, (lo, hi))
    if sel.empty:
        return None
    agg = journal_regroup(sel, ["school_id", "year"])
    return agg.rename(columns={what: "numerator"})[["school_id", "year", "numerator", "n"]]


def _gia_ege_high(gia: pd.DataFrame | None, threshold: float) -> pd.DataFrame | None:
    if gia is None:
        return None
    ege = gia[gia["exam"] == "ЕГЭ"]
    if ege.empty:
        return None
    best = ege.groupby(["school_id", "year", "student_id"], observed=True)["score"].max()
    high = (best >= threshold).groupby(level=["school_id", "year"]).agg(["sum", "size"])
    return high.rename(columns={"sum": "numerator", "size": "n"}).reset_index()


def _teachers(teachers: pd.DataFrame | None, col: str) -> pd.DataFrame | None:
    if teachers is None or col not in teachers or teachers[col].isna().all():
        return None
    t = teachers.assign(_flag=teachers[col].astype("boolean").fillna(False).astype(int))
    agg = t.groupby(["school_id", "year"], observed=True)["_flag"].agg(["sum", "size"])
    return agg.rename(columns={"sum": "numerator", "size": "n"}).reset_index()


def school_counts(
    tables: dict[str, pd.DataFrame],
    catalog: pd.DataFrame,
    ege_high_score: float = 80,
    teacher_schools: Collection[str] | None = None,
    exclusions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long table: indicator_id, school_id, year, numerator, n (school level).

    ``exclusions`` (M5): the result indicators (:data:`RESULT_SOURCES`) are counted without
    the excluded ВПР units (:func:`vpr_after_exclusions`); the journal agreement on all data.

    ``teacher_schools``: the schools whose teachers the «teachers» indicators count (A37–A40
    are shares of the teachers of ШНОР: the reporting year's ШНОР, in every year, so the
    dynamics compares the same schools); None counts every school.
    """
    stats = tables.get("school_stats")
    staff = tables.get("teachers")
    if staff is not None and teacher_schools is not None:
        staff = staff[staff["school_id"].astype(str).isin({str(s) for s in teacher_schools})]
    parts = []
    units = None  # journal agreement per school × year × grade × subject, computed once
    vpr_kept = None  # ВПР pupils outside the excluded units, computed once
    for row in catalog.itertuples():
        flt = _parse_filter(row.filter)
        if row.source == "stats":
            part = _from_stats(stats, row.numerator, row.denominator)
        elif row.source == "vpr_passed_all":
            if vpr_kept is None:
                vpr_kept = vpr_after_exclusions(tables.get("vpr"), exclusions, pupils=True)
            part = _vpr_passed_all(vpr_kept, int(flt["grade"]))
        elif row.source == "vpr_journal":
            vpr = tables.get("vpr")
            if units is None and vpr is not None and "journal_mark" in vpr:
                units = journal_agreement(vpr, JOURNAL_UNIT)
            elif units is None and vpr is None:  # ФИС ОКО counts instead of pupil rows
                units = journal_units_from_stats(tables.get("vpr_journal_stats"))
            part = _vpr_journal(vpr, row.numerator, flt, units)
        elif row.source == "gia_ege_high":
            part = _gia_ege_high(tables.get("gia"), ege_high_score)
        elif row.source == "teachers":
            part = _teachers(staff, row.numerator)
        else:  # municipal-only or later-stage sources are handled elsewhere
            part = None
        if part is not None and not part.empty:
            parts.append(part.assign(indicator_id=row.indicator_id))
    if not parts:
        return pd.DataFrame(columns=["indicator_id", "school_id", "year", "numerator", "n"])
    out = pd.concat(parts, ignore_index=True)
    out["numerator"] = out["numerator"].astype("int64")
    out["n"] = out["n"].astype("int64")
    out["year"] = out["year"].astype("int64")
    return out[["indicator_id", "school_id", "year", "numerator", "n"]]


def municipal_counts(
    counts: pd.DataFrame, tables: dict[str, pd.DataFrame], catalog: pd.DataFrame
) -> pd.DataFrame:
    """Pooled counts for the municipality, plus indicators defined only at that level."""
    pooled = counts.groupby(["indicator_id", "year"], as_index=False)[["numerator", "n"]].sum()
    stats = tables.get("school_stats")
    extra = []
    for row in catalog[catalog["source"] == "schools_with"].itertuples():
        if stats is not None and row.numerator in stats:
            g = stats.groupby("year")[row.numerator]
            frame = pd.DataFrame(
                {"numerator": g.apply(lambda s: int((s.fillna(0) > 0).sum())), "n": g.size()}
            ).reset_index()
            extra.append(frame.assign(indicator_id=row.indicator_id))
    if extra:
        pooled = pd.concat([pooled, *extra], ignore_index=True)
    return pooled


# ------------------------------------------------------------------ values and statuses


def _with_values(counts: pd.DataFrame, confidence: float) -> pd.DataFrame:
    k = counts["numerator"].to_numpy(dtype="float64")
    n = counts["n"].to_numpy(dtype="float64")
    lo, hi = wilson_ci(k, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(n > 0, 100.0 * k / np.where(n > 0, n, 1), np.nan)
    return counts.assign(value=value, ci_low=100 * np.asarray(lo), ci_high=100 * np.asarray(hi))


def _with_change(frame: pd.DataFrame, keys: list[str], confidence: float) -> pd.DataFrame:
    prev = frame[keys + ["year", "numerator", "n"]].copy()
    prev["year"] = prev["year"] + 1
    merged = frame.merge(prev, on=keys + ["year"], how="left", suffixes=("", "_prev"))
    k1, n1 = merged["numerator"].to_numpy(float), merged["n"].to_numpy(float)
    k0 = merged["numerator_prev"].to_numpy(float)
    n0 = merged["n_prev"].to_numpy(float)
    ok = (n1 > 0) & (n0 > 0)
    n0s, n1s = np.where(ok, n0, 1), np.where(ok, n1, 1)
    lo, hi = newcombe_diff_ci(np.where(ok, k1, 0), n1s, np.where(ok, k0, 0), n0s, confidence)
    change = np.where(ok, 100 * (k1 / n1s - np.where(ok, k0, 0) / n0s), np.nan)
    merged["change"] = change
    merged["change_ci_low"] = np.where(ok, 100 * np.asarray(lo), np.nan)
    merged["change_ci_high"] = np.where(ok, 100 * np.asarray(hi), np.nan)
    merged["change_status"] = change_status(
        merged["change_ci_low"].to_numpy(), merged["change_ci_high"].to_numpy()
    )
    return merged.drop(columns=["numerator_prev"])


def _verdict(
    value: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Plain verdict «value ≥ target» and whether the interval [lo; hi] confirms it.

    The regulation's targets speak of the actual figures (often a full count of a population),
    so the verdict is the value itself: 100 % is met when k = n. The interval confirms «met»
    when lo ≥ target and «not met» when hi < target. NaN value → «нет данных», no confirmation.
    """
    v, lo_, hi_ = (np.asarray(x, dtype="float64") for x in (value, lo, hi))
    t = np.broadcast_to(np.asarray(target, dtype="float64"), v.shape)
    missing = np.isnan(v) | np.isnan(t)
    with np.errstate(invalid="ignore"):
        met = v >= t
        confirmed = np.where(met, lo_ >= t, hi_ < t)
    status = np.where(missing, NO_DATA, np.where(met, MET, NOT_MET)).astype(object)
    conf = np.where(missing, "", np.where(confirmed, CONFIRMED, NOT_CONFIRMED)).astype(object)
    return status, conf


def dynamics_verdict(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """«Положительная динамика»: met when the change is > 0 (0 or less is not met); the
    change's interval confirms it when it lies wholly on the verdict's side of 0."""
    change = frame["change"].to_numpy(dtype="float64", na_value=np.nan)
    lo = frame["change_ci_low"].to_numpy(dtype="float64", na_value=np.nan)
    hi = frame["change_ci_high"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        up = change > 0
        confirmed = np.where(up, lo > 0, hi < 0)
    missing = np.isnan(change)
    status = np.where(missing, NO_DATA, np.where(up, MET, NOT_MET)).astype(object)
    conf = np.where(missing, "", np.where(confirmed, CONFIRMED, NOT_CONFIRMED)).astype(object)
    return status, conf


def _with_targets(frame: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    cat = catalog.set_index("indicator_id")
    kind = frame["indicator_id"].map(cat["target_kind"])
    target = frame["indicator_id"].map(cat["target_value"])
    status = np.full(len(frame), NO_TARGET, dtype=object)
    confirmed = np.full(len(frame), "", dtype=object)
    is_min = (kind == "min").to_numpy()
    if is_min.any():
        sel = frame.loc[is_min]
        status[is_min], confirmed[is_min] = _verdict(
            sel["value"].to_numpy(dtype="float64", na_value=np.nan),
            sel["ci_low"].to_numpy(dtype="float64", na_value=np.nan),
            sel["ci_high"].to_numpy(dtype="float64", na_value=np.nan),
            target[is_min].to_numpy(dtype="float64"),
        )
    dyn = (kind == "dynamics").to_numpy()
    if dyn.any():
        status[dyn], confirmed[dyn] = dynamics_verdict(frame.loc[dyn])
    zero = (kind == "zero").to_numpy()
    # a count of complaints, not an estimate: the verdict is the count itself
    status[zero] = np.where(frame.loc[zero, "numerator"].to_numpy() == 0, MET, NOT_MET)
    no_n = pd.to_numeric(frame["n"], errors="coerce").fillna(0).to_numpy() == 0
    status[no_n] = NO_DATA
    confirmed[no_n] = ""
    target_text = np.where(
        kind == "dynamics",
        "положительная динамика",
        np.where(
            kind == "zero",
            "отсутствие (0)",
            np.where(
                kind == "min",
                "не менее " + target.map(lambda v: f"{v:g}" if v == v else "") + " %",
                "",
            ),
        ),
    )
    return frame.assign(target=target_text, target_status=status, target_confirmed=confirmed)


def compute(
    tables: dict[str, pd.DataFrame],
    *,
    confidence: float = 0.95,
    ege_high_score: float = 80,
    catalog: pd.DataFrame,
    teacher_schools: Collection[str] | None = None,
    exclusions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """indicators.csv content (docs/data_contract.md, outputs): school and municipality rows, all years.

    ``exclusions``: M5's excluded units; result indicators are computed without them (see
    :func:`school_counts`, :func:`exclusion_effect` for the counts before and after).

    ``teacher_schools``: the ШНОР over whose teachers A37–A40 are computed (see
    :func:`school_counts`)."""
    counts = school_counts(tables, catalog, ege_high_score, teacher_schools, exclusions)
    muni = municipal_counts(counts, tables, catalog)
    school = _with_change(
        _with_values(counts, confidence), ["indicator_id", "school_id"], confidence
    )
    municipal = _with_change(_with_values(muni, confidence), ["indicator_id"], confidence)
    school["level"] = "school"
    municipal["level"] = "municipality"
    municipal["school_id"] = pd.Series(pd.NA, index=municipal.index, dtype="string")
    school["school_id"] = school["school_id"].astype("string")
    complaints = catalog.loc[catalog["source"] == "complaints"]
    frames = [school, municipal]
    stats = tables.get("school_stats")
    for row in complaints.itertuples():
        if stats is not None and row.numerator in stats:
            c = stats[["school_id", "year", row.numerator]].dropna()
            total = c.groupby("year")[row.numerator].sum()
            frames.append(
                pd.DataFrame(
                    {
                        "indicator_id": row.indicator_id,
                        "level": "municipality",
                        "school_id": pd.Series(pd.NA, index=range(len(total)), dtype="string"),
                        "year": total.index.astype("int64"),
                        "value": total.to_numpy(float),
                        "numerator": total.to_numpy().astype("int64"),
                        "n": c.groupby("year")["school_id"].nunique().to_numpy(),
                    }
                )
            )
            frames.append(
                pd.DataFrame(
                    {
                        "indicator_id": row.indicator_id,
                        "level": "school",
                        "school_id": c["school_id"].astype("string"),
                        "year": c["year"].astype("int64"),
                        "value": c[row.numerator].astype(float),
                        "numerator": c[row.numerator].astype("int64"),
                        "n": 1,
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    missing = sorted(set(catalog["indicator_id"]) - set(out["indicator_id"]))
    if missing:
        years = sorted(out["year"].dropna().unique()) or [np.nan]
        absent = pd.DataFrame(
            {
                "indicator_id": np.repeat(missing, len(years)),
                "level": "municipality",
                "school_id": pd.Series(
                    pd.NA, index=range(len(missing) * len(years)), dtype="string"
                ),
                "year": np.tile(years, len(missing)),
                "numerator": 0,
                "n": 0,
            }
        )
        out = pd.concat(
            [
                out,
                absent.astype(
                    {c: out[c].dtype for c in absent.columns if c in out and c != "school_id"}
                ),
            ],
            ignore_index=True,
        )
    out = _with_targets(out, catalog)
    order = {i: k for k, i in enumerate(catalog["indicator_id"])}
    out["_o"] = out["indicator_id"].map(order)
    out["_l"] = (out["level"] == "school").astype(int)
    out = out.sort_values(["_o", "_l", "school_id", "year"], na_position="first")
    return out[COLUMNS].reset_index(drop=True)


def suppress_small(frame: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """M11 for published tables: values from fewer than min_n people left empty, n kept."""
    small = (frame["n"].fillna(0) < min_n) & ~frame["indicator_id"].isin(NOT_PEOPLE)
    small &= frame["level"].eq("school") | frame["n"].fillna(0).gt(0)
    out = frame.copy()
    cols = ["value", "ci_low", "ci_high", "numerator", "change", "change_ci_low", "change_ci_high"]
    out.loc[small, cols] = np.nan
    out.loc[small, ["change_status", "target_status", "target_confirmed"]] = SMALL_STATUS
    # The change reveals last year's value: hide it when last year's group was small too.
    small_prev = (
        ~small
        & out["n_prev"].notna()
        & (out["n_prev"] < min_n)
        & ~out["indicator_id"].isin(NOT_PEOPLE)
    )
    out.loc[small_prev, ["change", "change_ci_low", "change_ci_high"]] = np.nan
    out.loc[small_prev, "change_status"] = SMALL_STATUS
    dyn = small_prev & (out["target"] == "положительная динамика")
    out.loc[dyn, ["target_status", "target_confirmed"]] = SMALL_STATUS
    return out


def participants(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Participants by procedure, grade, subject and year (distinct pupils)."""
    parts = []
    vpr = tables.get("vpr")
    if vpr is not None:
        v = vpr.groupby(["year", "grade", "subject"], observed=True)["student_id"].nunique()
        parts.append(v.reset_index().assign(procedure="ВПР"))
    gia = tables.get("gia")
    if gia is not None:
        g = gia.groupby(["year", "exam", "subject"], observed=True)["student_id"].nunique()
        g = g.reset_index().rename(columns={"exam": "procedure"})
        g["grade"] = np.where(g["procedure"] == "ОГЭ", 9, 11)
        parts.append(g)
    if not parts:
        return pd.DataFrame(columns=["procedure", "grade", "subject", "year", "participants"])
    out = pd.concat(parts, ignore_index=True).rename(columns={"student_id": "participants"})
    out["grade"] = out["grade"].astype("int64")
    return (
        out[["procedure", "grade", "subject", "year", "participants"]]
        .sort_values(["procedure", "grade", "subject", "year"])
        .reset_index(drop=True)
    )


# ------------------------------------------------------------------ Temryuk dynamics (C1)

C1_MEANS = (
    # id, label, table, filter, value column
    (
        "c1_1_ege_mean_rus",
        "Средневзвешенный балл ЕГЭ: русский язык",
        "gia",
        {"exam": "ЕГЭ", "subject": "Русский язык"},
        "score",
    ),
    (
        "c1_1_ege_mean_math_profile",
        "Средневзвешенный балл ЕГЭ: математика (профильный уровень)",
        "gia",
        {"exam": "ЕГЭ", "subject": "Математика (профильный уровень)"},
        "score",
    ),
    (
        "c1_2_vpr_mean_g5_rus",
        "Средняя отметка ВПР: русский язык, 5 кл.",
        "vpr",
        {"grade": 5, "subject": "Русский язык"},
        "mark",
    ),
    (
        "c1_2_vpr_mean_g5_math",
        "Средняя отметка ВПР: математика, 5 кл.",
        "vpr",
        {"grade": 5, "subject": "Математика"},
        "mark",
    ),
    (
        "c1_2_vpr_mean_g6_rus",
        "Средняя отметка ВПР: русский язык, 6 кл.",
        "vpr",
        {"grade": 6, "subject": "Русский язык"},
        "mark",
    ),
    (
        "c1_2_vpr_mean_g6_math",
        "Средняя отметка ВПР: математика, 6 кл.",
        "vpr",
        {"grade": 6, "subject": "Математика"},
        "mark",
    ),
)
C1_LABELS = {i: label for i, label, *_ in C1_MEANS}
C1_SHORT = {
    "c1_1_ege_mean_rus": "C1-1 (ЕГЭ, рус.)",
    "c1_1_ege_mean_math_profile": "C1-1 (ЕГЭ, проф. мат.)",
    "c1_2_vpr_mean_g5_rus": "C1-2 (ВПР 5, рус.)",
    "c1_2_vpr_mean_g5_math": "C1-2 (ВПР 5, мат.)",
    "c1_2_vpr_mean_g6_rus": "C1-2 (ВПР 6, рус.)",
    "c1_2_vpr_mean_g6_math": "C1-2 (ВПР 6, мат.)",
}


def _mean_rows(sel: pd.DataFrame, value: str, keys: list[str], confidence: float) -> pd.DataFrame:
    g = sel.assign(_v=sel[value].astype(float)).groupby(keys + ["year"], observed=True)["_v"]
    stats = pd.DataFrame({"value": g.mean(), "sd": g.std(ddof=1), "n": g.size()}).reset_index()
    lo, hi = mean_ci_from_stats(
        stats["value"].to_numpy(), stats["sd"].to_numpy(), stats["n"].to_numpy(float), confidence
    )
    stats["ci_low"], stats["ci_high"] = lo, hi
    prev = stats[keys + ["year", "value", "sd", "n"]].copy()
    prev["year"] += 1
    m = stats.merge(prev, on=keys + ["year"], how="left", suffixes=("", "_prev"))
    clo, chi = welch_diff_ci(
        m["value"].to_numpy(),
        m["sd"].to_numpy(),
        m["n"].to_numpy(float),
        m["value_prev"].to_numpy(),
        m["sd_prev"].to_numpy(),
        m["n_prev"].to_numpy(float),
        confidence,
    )
    m["change"] = m["value"] - m["value_prev"]
    m["change_ci_low"], m["change_ci_high"] = clo, chi
    m["change_status"] = change_status(np.asarray(clo, dtype=float), np.asarray(chi, dtype=float))
    m.loc[m["value_prev"].isna(), "change_status"] = NO_DATA
    return m.drop(columns=["sd", "value_prev", "sd_prev"])


def temryuk_dynamics(
    tables: dict[str, pd.DataFrame],
    *,
    confidence: float = 0.95,
    exclusions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """C1-1 and C1-2: mean ЕГЭ score and mean ВПР mark with t intervals and Welch changes.

    C1-2 is a result of school-marked ВПР: the rows of the units M5 excluded (``exclusions``)
    are left out."""
    frames = []
    for ind_id, _label, table, flt, value in C1_MEANS:
        data = tables.get(table)
        if table == "vpr":
            data = vpr_after_exclusions(data, exclusions, pupils=False)
        if data is None:
            continue
        sel = data
        for col, val in flt.items():
            sel = sel[sel[col] == val]
        if sel.empty:
            continue
        school = _mean_rows(sel, value, ["school_id"], confidence).assign(level="school")
        muni = _mean_rows(sel, value, [], confidence).assign(level="municipality")
        frames += [school.assign(indicator_id=ind_id), muni.assign(indicator_id=ind_id)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["school_id"] = out["school_id"].astype("string")
    out["target"] = "положительная динамика"
    out["target_status"], out["target_confirmed"] = dynamics_verdict(out)
    out["numerator"] = np.nan
    return out[COLUMNS]


def exclusion_effect(
    tables: dict[str, pd.DataFrame],
    exclusions: pd.DataFrame | None,
    *,
    confidence: float = 0.95,
    catalog: pd.DataFrame,
    min_n: int = 0,
) -> pd.DataFrame:
    """The result indicators before and after the M5 exclusions (:data:`EXCLUSION_EFFECT_COLUMNS`):
    one row per indicator × school (and municipality) × year whose count the exclusions
    change; ``excluded_units`` = excluded ВПР units of the school-year (municipality: all).
    A value from fewer than ``min_n`` pupils is left empty (M11), its n kept."""
    vpr = tables.get("vpr")
    if vpr is None or exclusions is None or exclusions.empty:
        return pd.DataFrame(columns=EXCLUSION_EFFECT_COLUMNS)
    res = catalog[catalog["source"].isin(RESULT_SOURCES)]
    only = {"vpr": vpr}
    frames = []
    for when, ex in (("before", None), ("after", exclusions)):
        counts = school_counts(only, res, exclusions=ex)
        muni = municipal_counts(counts, {}, res)
        c1 = temryuk_dynamics(only, confidence=confidence, exclusions=ex)
        c1 = c1[c1["indicator_id"].str.startswith("c1_2")]
        parts = [
            _with_values(counts, confidence).assign(level="school"),
            _with_values(muni, confidence).assign(level="municipality", school_id=""),
            c1.assign(school_id=c1["school_id"].astype(object).fillna("")),
        ]
        keep = ["indicator_id", "level", "school_id", "year", "value", "n"]
        f = pd.concat([p[keep].astype({"school_id": str}) for p in parts if len(p)])
        frames.append(
            f.set_index(["indicator_id", "level", "school_id", "year"]).add_suffix(f"_{when}")
        )
    out = frames[0].join(frames[1], how="left")
    out["n_after"] = out["n_after"].fillna(0)
    out = out[out["n_before"] != out["n_after"]].reset_index()
    if out.empty:
        return pd.DataFrame(columns=EXCLUSION_EFFECT_COLUMNS)
    per = exclusions[exclusions["procedure"] == "ВПР"].astype({"school_id": str})
    by_school = per.groupby(["school_id", "year"]).size()
    by_year = per.groupby("year").size()
    out["excluded_units"] = [
        int(by_year.get(r.year, 0))
        if r.level == "municipality"
        else int(by_school.get((r.school_id, r.year), 0))
        for r in out.itertuples(index=False)
    ]
    out["school_id"] = out["school_id"].replace("", pd.NA).astype("string")
    out["year"] = out["year"].astype("int64")
    for c in ("n_before", "n_after"):
        out[c] = out[c].astype("int64")
        out.loc[out[c] < min_n, c.replace("n_", "value_")] = np.nan
    order = {i: k for k, i in enumerate([*catalog["indicator_id"], *C1_LABELS])}
    out = out.assign(_o=out["indicator_id"].map(order), _l=(out["level"] == "school").astype(int))
    out = out.sort_values(["_o", "_l", "school_id", "year"], na_position="first")
    return out[EXCLUSION_EFFECT_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------ A41, A42 (the cycle stage)

A41 = "school_targeted_help_share"
A42 = "school_positive_dynamics_share"


def cycle_counts(
    history: pd.DataFrame,
    targeted_help: float | None,
    year: int,
    *,
    min_gain_quartiles: int = 1,
) -> pd.DataFrame:
    """Municipal counts of A41 and A42 (indicator_id, year, numerator, n).

    A41: ШНОР with targeted methodical help (item 11 of the methodical-help form) ÷ ШНОР of
    the reporting year — capped at the number of ШНОР (a form that names more schools than
    there are ШНОР is reported by M7, not turned into a share above 100 %).
    A42: ШНОР of the previous year with positive dynamics in the year (``cycle.positive_dynamics``:
    ИОР up by ≥ ``min_gain_quartiles`` quartiles, or out of the ШНОР status) ÷ those ШНОР,
    for every year with a previous one."""
    from shnor_lib.methods import cycle  # the criterion of positive dynamics lives with the cycle

    rows = []
    low = history[history["low_results"].fillna(False).astype(bool)]
    n_low = int((low["year"] == year).sum())
    if targeted_help is not None and n_low > 0:
        rows.append((A41, year, int(min(targeted_help, n_low)), n_low))
    for y in sorted(int(v) for v in history["year"].unique())[1:]:
        pos = cycle.positive_dynamics(history, y, min_gain_quartiles=min_gain_quartiles)
        if len(pos):
            rows.append((A42, y, int(pos["positive"].sum()), len(pos)))
    return pd.DataFrame(rows, columns=["indicator_id", "year", "numerator", "n"])


def cycle_indicators(
    history: pd.DataFrame,
    targeted_help: float | None,
    year: int,
    *,
    confidence: float = 0.95,
    min_gain_quartiles: int = 1,
    catalog: pd.DataFrame,
) -> pd.DataFrame:
    """A41 and A42 as municipality rows of ``indicators.csv`` (empty when not computable:
    then the indicators stage's «нет данных» rows stay)."""
    counts = cycle_counts(history, targeted_help, year, min_gain_quartiles=min_gain_quartiles)
    if counts.empty:
        return pd.DataFrame(columns=COLUMNS)
    counts["year"] = counts["year"].astype("int64")
    frame = _with_change(_with_values(counts, confidence), ["indicator_id"], confidence)
    frame["level"] = "municipality"
    frame["school_id"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return _with_targets(frame, catalog)[COLUMNS].reset_index(drop=True)


def order_rows(frame: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Rows in catalogue order (municipality first, then schools), as ``compute`` sorts them."""
    order = {i: k for k, i in enumerate(catalog["indicator_id"])}
    out = frame.assign(
        _o=frame["indicator_id"].map(order), _l=(frame["level"] == "school").astype(int)
    )
    out = out.sort_values(["_o", "_l", "school_id", "year"], na_position="first")
    return out[COLUMNS].reset_index(drop=True)
