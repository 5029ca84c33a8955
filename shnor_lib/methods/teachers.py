"""Teachers (docs/methods.md M6; docs/indicators.md A37–A40): deficit levels and school shares.

A teacher's deficit level comes from the mean of the available ``expert_score`` and
``test_score`` (0–100) with the cut scores of ``params.teachers.deficit_cuts`` (default
50, 70, 85): A < 50 «системные дефициты», B 50–69 «локальные», C 70–84 «несущественные»,
D ≥ 85 «дефицитов нет». A teacher with neither score has no level.

Only school-level (and municipal) aggregates leave this module through :func:`stage`; the
teacher rows stay in ``data/processed``. Every value computed from fewer than
``params.min_group_size`` teachers is left empty with its n kept (M11).

By school group (:func:`group_shares`, :func:`deficits_by_subject`): the reporting year's
ШНОР (M3) and ШССУ (M4) lists, applied to every year. The shares over the teachers of ШНОР
are A37–A40 of the catalogue; ШНОР ∪ ШССУ is the population of C2 in the Temryuk programme.
Deficit levels by subject × group (ШНОР / ШССУ не ШНОР / прочие) feed the ДПП plan and the
tutor assignment; the expert and the test scores are shown apart as well as their mean.

Shares use the convention of ``indicators.py`` for A37–A40: the denominator is every
teacher listed for the school and year, the numerator the teachers with the flag equal to 1
(an empty flag counts as «нет»). The A–D shares are over the teachers with a level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shnor_lib.methods.stats import wilson_ci

LEVELS = ("A", "B", "C", "D")
LEVEL_LABELS = {
    "A": "системные дефициты",
    "B": "локальные дефициты",
    "C": "несущественные дефициты",
    "D": "дефицитов нет",
}

# indicator_id → (teachers column, Russian name, source reference)
FLAG_SHARES: dict[str, tuple[str, str, str]] = {
    "teacher_diagnostics_share": (
        "diagnosed",
        "Прошли диагностику профессиональных дефицитов",
        "A37, C2",
    ),
    "teacher_pd_last_year_share": (
        "pd_last_year",
        "Повышение квалификации (переподготовка) в последний год",
        "C2.3",
    ),
    "teacher_category_share": (
        "category",
        "Высшая или первая квалификационная категория",
        "C2.4",
    ),
    "teacher_advanced_share": (
        "teaches_advanced",
        "Преподают на углублённом уровне",
        "C2.5",
    ),
    "teacher_postcourse_support_share": (
        "post_course_support",
        "Охвачены посткурсовым сопровождением",
        "A38",
    ),
    "teacher_network_share": (
        "network_involved",
        "Вовлечены в сетевое взаимодействие со школами-лидерами",
        "A39",
    ),
    "teacher_iom_share": ("has_iom", "Повышают квалификацию на основе ИОМ", "A40"),
}
LEVEL_SHARES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "teacher_deficit_ab_share": (
        ("A", "B"),
        "Уровень A или B (дефициты, требующие устранения)",
        "C3",
    ),
    "teacher_level_a_share": (("A",), "Уровень A: системные дефициты", "C3"),
    "teacher_level_b_share": (("B",), "Уровень B: локальные дефициты", "C3"),
    "teacher_level_c_share": (("C",), "Уровень C: несущественные дефициты", "C3"),
    "teacher_level_d_share": (("D",), "Уровень D: дефицитов нет", "C3"),
}
HIGH_CATEGORIES = ("высшая", "первая")
# shares computed for a school group only (tutor coverage needs the МТКП form)
EXTRA_SHARES: dict[str, tuple[str, str]] = {
    "teacher_ab_tutor_share": (
        "Педагоги ШНОР с уровнем A или B, за которыми закреплён тьютор (МТКП)",
        "C3, МТКП",
    ),
}

ALL_SCHOOLS, SHNOR, SHNOR_HARD = "все ОО", "ШНОР", "ШНОР и ШССУ"
HARD_ONLY, OTHERS = "ШССУ (не ШНОР)", "прочие ОО"
ALL_SUBJECTS, NO_SUBJECT = "все предметы", "предмет не указан"
# groups of group_shares: overlapping populations, each a whole
SHARE_GROUPS = (ALL_SCHOOLS, SHNOR, SHNOR_HARD)
# groups of deficits_by_subject: a partition of the schools, then all of them
DEFICIT_GROUPS = (SHNOR, HARD_ONLY, OTHERS, ALL_SCHOOLS)

# Russian headers and sheet names of this module's tables (registered by publish)
RU_HEADERS = {
    "group": "Группа ОО",
    "n_teachers": "Педагогов",
    "n_assessed": "С оценкой",
    "n_a": "Уровень A",
    "n_b": "Уровень B",
    "n_c": "Уровень C",
    "n_d": "Уровень D",
    "share_a": "Доля A, %",
    "share_b": "Доля B, %",
    "share_c": "Доля C, %",
    "share_d": "Доля D, %",
    "share_ab": "Доля A + B, %",
    "share_ab_ci_low": "A + B: нижняя граница",
    "share_ab_ci_high": "A + B: верхняя граница",
    "n_expert": "С экспертной оценкой",
    "expert_mean": "Экспертная оценка, средний балл",
    "n_test": "С тестовой оценкой",
    "test_mean": "Тестовая оценка, средний балл",
    "score_mean": "Среднее двух оценок",
}
SHEET_NAMES = {
    "teachers_by_school": "Педагоги по ОО",
    "teachers_distribution": "Уровни дефицитов",
    "teachers_by_group": "Педагоги по группам ОО",
    "teachers_deficits": "Дефициты по предметам",
}

BY_GROUP_COLUMNS = ["indicator_id", "group", "year", "value", "ci_low", "ci_high", "numerator", "n"]
# levels A–D and the scores behind them: the same columns per school and per group × subject
LEVEL_COLUMNS = [
    "n_teachers",
    "n_assessed",
    "n_a",
    "n_b",
    "n_c",
    "n_d",
    "share_a",
    "share_b",
    "share_c",
    "share_d",
    "share_ab",
    "share_ab_ci_low",
    "share_ab_ci_high",
    "n_expert",
    "expert_mean",
    "n_test",
    "test_mean",
    "score_mean",
]
DEFICITS_COLUMNS = ["group", "subject", "year", *LEVEL_COLUMNS]

BY_SCHOOL_COLUMNS = [
    "indicator_id",
    "level",
    "school_id",
    "year",
    "value",
    "ci_low",
    "ci_high",
    "numerator",
    "n",
]
DISTRIBUTION_COLUMNS = ["level", "school_id", "year", *LEVEL_COLUMNS]


def indicator_names() -> dict[str, str]:
    """indicator_id → «ref. Russian name» for the report."""
    out = {k: f"{ref}. {name}" for k, (_c, name, ref) in FLAG_SHARES.items()}
    out.update({k: f"{ref}. {name}" for k, (_l, name, ref) in LEVEL_SHARES.items()})
    out.update({k: f"{ref}. {name}" for k, (name, ref) in EXTRA_SHARES.items()})
    return out


# ---------------------------------------------------------------------------- levels


def check_cuts(cuts: Sequence[float]) -> tuple[float, float, float]:
    """Three strictly increasing cut scores within 0..100."""
    values = tuple(float(c) for c in cuts)
    if len(values) != 3 or not (0 <= values[0] < values[1] < values[2] <= 100):
        raise ValueError(
            f"teachers.deficit_cuts must be three increasing numbers in 0..100, got {list(cuts)}"
        )
    return values  # type: ignore[return-value]


def deficit_score(teachers: pd.DataFrame) -> pd.Series:
    """Mean of the available expert_score and test_score; NaN when neither is given."""
    cols = [c for c in ("expert_score", "test_score") if c in teachers]
    if not cols:
        return pd.Series(np.nan, index=teachers.index, dtype="float64")
    scores = teachers[cols].apply(pd.to_numeric, errors="coerce").astype("float64")
    return scores.mean(axis=1, skipna=True)


def deficit_level(score: pd.Series | Sequence[float], cuts: Sequence[float]) -> pd.Series:
    """Level A–D per score (A < c1 ≤ B < c2 ≤ C < c3 ≤ D); <NA> where the score is missing."""
    c1, c2, c3 = check_cuts(cuts)
    s = pd.Series(score, dtype="float64") if not isinstance(score, pd.Series) else score
    x = s.to_numpy(dtype="float64", na_value=np.nan)
    level = np.select([x < c1, x < c2, x < c3, x >= c3], list(LEVELS), default="")
    out = pd.Series(level, index=s.index, dtype="string")
    return out.mask(np.isnan(x) | (out == ""), pd.NA)


def with_levels(teachers: pd.DataFrame, cuts: Sequence[float]) -> pd.DataFrame:
    """Teacher rows plus ``deficit_score`` and ``deficit_level`` (stays in data/processed)."""
    out = teachers.copy()
    out["deficit_score"] = deficit_score(teachers)
    out["deficit_level"] = deficit_level(out["deficit_score"], cuts)
    return out


# ---------------------------------------------------------------------------- aggregates


def _flags(t: pd.DataFrame) -> pd.DataFrame:
    """0/1 per teacher for each flag share (missing flag → 0) and per level share."""
    flags = pd.DataFrame(index=t.index)
    for ind, (col, _name, _ref) in FLAG_SHARES.items():
        if col not in t or t[col].isna().all():
            continue
        if col == "category":
            flags[ind] = t[col].isin(HIGH_CATEGORIES).astype("int64")
        else:
            flags[ind] = t[col].fillna(False).astype(bool).astype("int64")
    return flags


def _count_rows(t: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Long counts (numerator, n) per key × indicator, before suppression."""
    flags = _flags(t)
    parts = []
    if len(flags.columns):
        frame = pd.concat([t[keys], flags], axis=1)
        g = frame.groupby(keys, observed=True, sort=True)
        k = g[list(flags.columns)].sum().reset_index()
        n = g.size().rename("n").reset_index()
        long = k.melt(id_vars=keys, var_name="indicator_id", value_name="numerator")
        parts.append(long.merge(n, on=keys, how="left"))
    lev = t["deficit_level"]
    assessed = t[lev.notna()]
    if not assessed.empty:
        g = assessed.groupby(keys, observed=True, sort=True)
        n = g.size()
        for ind, (levels, _name, _ref) in LEVEL_SHARES.items():
            k = (
                assessed["deficit_level"]
                .isin(levels)
                .groupby([assessed[c] for c in keys], observed=True, sort=True)
                .sum()
            )
            part = pd.DataFrame({"numerator": k, "n": n}).reset_index()
            part["indicator_id"] = ind
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*keys, "indicator_id", "numerator", "n"])
    return pd.concat(parts, ignore_index=True)


def _values(counts: pd.DataFrame, confidence: float) -> pd.DataFrame:
    k = counts["numerator"].to_numpy(dtype="float64")
    n = counts["n"].to_numpy(dtype="float64")
    lo, hi = wilson_ci(k, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(n > 0, 100.0 * k / np.where(n > 0, n, 1), np.nan)
    return counts.assign(
        value=value, ci_low=100 * np.asarray(lo, dtype=float), ci_high=100 * np.asarray(hi)
    )


def shares(teachers: pd.DataFrame, cuts: Sequence[float], confidence: float) -> pd.DataFrame:
    """School and municipal shares (long, unsuppressed): BY_SCHOOL_COLUMNS."""
    t = with_levels(teachers, cuts)
    t = t.assign(school_id=t["school_id"].astype(str), year=t["year"].astype("int64"))
    school = _count_rows(t, ["school_id", "year"]).assign(level="school")
    muni = _count_rows(t, ["year"]).assign(level="municipality", school_id=pd.NA)
    frame = pd.concat([muni, school], ignore_index=True)
    if frame.empty:
        return pd.DataFrame(columns=BY_SCHOOL_COLUMNS)
    frame["numerator"] = frame["numerator"].astype("int64")
    frame["n"] = frame["n"].astype("int64")
    frame["year"] = frame["year"].astype("int64")
    frame = _values(frame, confidence)
    order = {k: i for i, k in enumerate([*FLAG_SHARES, *LEVEL_SHARES])}
    frame["_o"] = frame["indicator_id"].map(order)
    frame["_l"] = (frame["level"] == "school").astype(int)
    frame = frame.sort_values(["_l", "school_id", "year", "_o"], na_position="first")
    return frame[BY_SCHOOL_COLUMNS].reset_index(drop=True)


def _level_frame(t: pd.DataFrame, keys: list[str], confidence: float) -> pd.DataFrame:
    """Per ``keys``: teachers, A–D counts and shares, the A+B share with its Wilson interval,
    and the expert, test and mean scores apart (means over the teachers who have them)."""
    total = t.groupby(keys, observed=True, sort=True).size().rename("n_teachers")
    counts = (
        t[t["deficit_level"].notna()]
        .groupby([*keys, "deficit_level"], observed=True, sort=True)
        .size()
        .unstack("deficit_level")
        .reindex(columns=list(LEVELS))
    )
    frame = total.to_frame().join(counts).fillna(0).astype("int64")
    frame.columns = ["n_teachers", "n_a", "n_b", "n_c", "n_d"]
    g = t.groupby(keys, observed=True, sort=True)
    for col, name in (("expert_score", "expert"), ("test_score", "test")):
        x = pd.to_numeric(t[col], errors="coerce") if col in t else pd.Series(np.nan, t.index)
        frame[f"n_{name}"] = x.notna().groupby([t[k] for k in keys]).sum().astype("int64")
        frame[f"{name}_mean"] = x.groupby([t[k] for k in keys]).mean()
    frame["score_mean"] = g["deficit_score"].mean()
    out = frame.reset_index()
    out["n_assessed"] = out[["n_a", "n_b", "n_c", "n_d"]].sum(axis=1).astype("int64")
    n = out["n_assessed"].to_numpy(dtype="float64")
    safe = np.where(n > 0, n, 1)
    for lv in ("a", "b", "c", "d"):
        out[f"share_{lv}"] = np.where(n > 0, 100 * out[f"n_{lv}"] / safe, np.nan)
    ab = (out["n_a"] + out["n_b"]).to_numpy(dtype="float64")
    out["share_ab"] = np.where(n > 0, 100 * ab / safe, np.nan)
    lo, hi = wilson_ci(ab, n, confidence)
    out["share_ab_ci_low"] = 100 * np.asarray(lo, dtype=float)
    out["share_ab_ci_high"] = 100 * np.asarray(hi, dtype=float)
    return out


def distribution(teachers: pd.DataFrame, cuts: Sequence[float], confidence: float) -> pd.DataFrame:
    """A–D counts and shares per school × year and for the municipality (unsuppressed)."""
    t = with_levels(teachers, cuts)
    t = t.assign(school_id=t["school_id"].astype(str), year=t["year"].astype("int64"))
    rows = []
    for level, keys in (("municipality", ["year"]), ("school", ["school_id", "year"])):
        frame = _level_frame(t, keys, confidence)
        if level == "municipality":
            frame["school_id"] = pd.NA
        frame["level"] = level
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    return out[DISTRIBUTION_COLUMNS].reset_index(drop=True)


def school_groups(schools: pd.DataFrame) -> pd.DataFrame:
    """school_id, shnor, hard (bools) and ``group`` (ШНОР / ШССУ (не ШНОР) / прочие ОО) from
    the reporting year's ``low_results`` (M3) and ``hard_context`` (M4) columns."""
    out = pd.DataFrame({"school_id": schools["school_id"].astype(str)})
    for col, name in (("low_results", "shnor"), ("hard_context", "hard")):
        flag = schools[col] if col in schools else pd.Series(False, index=schools.index)
        out[name] = flag.astype("boolean").fillna(False).astype(bool).to_numpy()
    out["group"] = np.select([out["shnor"], out["hard"]], [SHNOR, HARD_ONLY], default=OTHERS)
    return out


def _members(groups: pd.DataFrame, name: str) -> set[str]:
    masks = {
        ALL_SCHOOLS: pd.Series(True, index=groups.index),
        SHNOR: groups["shnor"],
        SHNOR_HARD: groups["shnor"] | groups["hard"],
        HARD_ONLY: groups["group"] == HARD_ONLY,
        OTHERS: groups["group"] == OTHERS,
    }
    return set(groups.loc[masks[name], "school_id"])


def group_shares(
    teachers: pd.DataFrame, groups: pd.DataFrame, cuts: Sequence[float], confidence: float
) -> pd.DataFrame:
    """The flag and level shares over the teachers of each of SHARE_GROUPS (unsuppressed)."""
    t = with_levels(teachers, cuts)
    t = t.assign(school_id=t["school_id"].astype(str), year=t["year"].astype("int64"))
    parts = []
    for name in SHARE_GROUPS:
        sub = t[t["school_id"].isin(_members(groups, name))]
        if not sub.empty:
            parts.append(_count_rows(sub, ["year"]).assign(group=name))
    if not parts:
        return pd.DataFrame(columns=BY_GROUP_COLUMNS)
    frame = pd.concat(parts, ignore_index=True).astype({"numerator": "int64", "n": "int64"})
    frame = _values(frame, confidence)
    order = {k: i for i, k in enumerate([*FLAG_SHARES, *LEVEL_SHARES])}
    frame["_o"] = frame["indicator_id"].map(order)
    frame["_g"] = frame["group"].map({g: i for i, g in enumerate(SHARE_GROUPS)})
    frame = frame.sort_values(["_g", "year", "_o"])
    return frame[BY_GROUP_COLUMNS].reset_index(drop=True)


def tutor_coverage(
    teachers: pd.DataFrame,
    groups: pd.DataFrame,
    pairs: pd.DataFrame | None,
    cuts: Sequence[float],
    year: int,
    confidence: float,
) -> pd.DataFrame:
    """Teachers of ШНОР with level A or B in ``year`` who have a tutor: a row of
    BY_GROUP_COLUMNS. ``pairs``: the МТКП form's tutor × teacher rows (school_id,
    teacher_code = the teachers table's teacher_id). No form → no row (nothing to count)."""
    if pairs is None or pairs.empty:
        return pd.DataFrame(columns=BY_GROUP_COLUMNS)
    t = with_levels(teachers[teachers["year"].astype("int64") == int(year)], cuts)
    t = t[
        t["school_id"].astype(str).isin(_members(groups, SHNOR))
        & t["deficit_level"].isin(["A", "B"])
    ]
    tutored = set(
        zip(pairs["school_id"].astype(str), pairs["teacher_code"].astype(str), strict=True)
    )
    keys = zip(t["school_id"].astype(str), t["teacher_id"].astype(str), strict=True)
    k = sum(key in tutored for key in keys)
    frame = pd.DataFrame(
        {
            "indicator_id": ["teacher_ab_tutor_share"],
            "group": [SHNOR],
            "year": [int(year)],
            "numerator": [int(k)],
            "n": [len(t)],
        }
    )
    return _values(frame, confidence)[BY_GROUP_COLUMNS]


def deficits_by_subject(
    teachers: pd.DataFrame, groups: pd.DataFrame, cuts: Sequence[float], confidence: float
) -> pd.DataFrame:
    """A–D levels and the scores by school group × subject × year, with «все предметы» and
    «все ОО» margins (unsuppressed): DEFICITS_COLUMNS."""
    t = with_levels(teachers, cuts)
    subject = t["subject"].astype("string") if "subject" in t else pd.Series(pd.NA, t.index)
    t = t.assign(
        school_id=t["school_id"].astype(str),
        year=t["year"].astype("int64"),
        subject=subject.fillna(NO_SUBJECT).astype(str),
    )
    parts = []
    for name in DEFICIT_GROUPS:
        sub = t[t["school_id"].isin(_members(groups, name))]
        if sub.empty:
            continue
        by_subject = _level_frame(sub, ["subject", "year"], confidence)
        every = _level_frame(sub, ["year"], confidence).assign(subject=ALL_SUBJECTS)
        parts += [every.assign(group=name), by_subject.assign(group=name)]
    if not parts:
        return pd.DataFrame(columns=DEFICITS_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["_g"] = out["group"].map({g: i for i, g in enumerate(DEFICIT_GROUPS)})
    out["_s"] = (out["subject"] != ALL_SUBJECTS).astype(int)
    out = out.sort_values(["_g", "year", "_s", "subject"])
    return out[DEFICITS_COLUMNS].reset_index(drop=True)


def suppress_shares(frame: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """M11: value, interval and numerator empty where n < min_n (n kept)."""
    out = frame.copy()
    small = (out["n"] < min_n) & (out["n"] > 0)
    cols = ["value", "ci_low", "ci_high", "numerator"]
    out[cols] = out[cols].astype("float64")
    out.loc[small, cols] = np.nan
    return out


def suppress_distribution(frame: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """M11: A–D counts, shares and the mean score empty where fewer than min_n teachers have
    a level; the expert (test) mean empty where fewer than min_n teachers have that score.
    Works on DISTRIBUTION_COLUMNS and DEFICITS_COLUMNS."""
    out = frame.copy()
    small = (out["n_assessed"] < min_n) & (out["n_assessed"] > 0)
    cols = [c for c in out.columns if c.startswith(("n_a", "n_b", "n_c", "n_d", "share"))]
    cols = [c for c in cols if c != "n_assessed"] + ["score_mean"]
    out[cols] = out[cols].astype("float64")
    out.loc[small, cols] = np.nan
    for name in ("expert", "test"):
        few = (out[f"n_{name}"] < min_n) & (out[f"n_{name}"] > 0)
        out[f"{name}_mean"] = out[f"{name}_mean"].astype("float64").mask(few)
    return out


# ---------------------------------------------------------------------------- stage


@dataclass
class TeachersResult:
    """School-level (and municipal) teacher aggregates, already suppressed for publication.

    - ``by_school``: long, BY_SCHOOL_COLUMNS (publish as ``teachers_by_school.csv``);
    - ``distribution``: A–D counts and shares, DISTRIBUTION_COLUMNS
      (publish as ``teachers_distribution.csv``);
    - ``notes``: Russian notes for the report and the log.
    """

    by_school: pd.DataFrame
    distribution: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    by_group: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BY_GROUP_COLUMNS))
    deficits: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DEFICITS_COLUMNS))

    @property
    def empty(self) -> bool:
        return self.by_school.empty and self.distribution.empty


def empty_result(note: str) -> TeachersResult:
    return TeachersResult(
        by_school=pd.DataFrame(columns=BY_SCHOOL_COLUMNS),
        distribution=pd.DataFrame(columns=DISTRIBUTION_COLUMNS),
        notes=[note],
    )


def stage(
    data: dict[str, pd.DataFrame],
    params,
    schools: pd.DataFrame | None = None,
    tutors: pd.DataFrame | None = None,
) -> TeachersResult:
    """M6 from the validated ``teachers`` table; only aggregates, small cells suppressed.

    ``schools``: the schools so far (with ``low_results`` and ``hard_context``) for the shares
    and deficit levels by school group; without it every school is «прочие ОО».
    ``tutors``: the МТКП form's tutor × teacher rows, for the tutor coverage of ШНОР."""
    teachers = data.get("teachers")
    if teachers is None or teachers.empty:
        return empty_result("Педагогические кадры: нет данных (таблица teachers не представлена).")
    cuts = check_cuts(params.teachers.deficit_cuts)
    years = [y for y in teachers["year"].dropna().unique() if int(y) <= int(params.year)]
    t = teachers[teachers["year"].isin(years)]
    if t.empty:
        return empty_result(
            f"Педагогические кадры: нет данных за {params.year} год и предыдущие годы."
        )
    conf = float(params.confidence)
    min_n = int(params.min_group_size)
    by_school = suppress_shares(shares(t, cuts, conf), min_n)
    dist = suppress_distribution(distribution(t, cuts, conf), min_n)
    base = schools if schools is not None else pd.DataFrame({"school_id": t["school_id"].unique()})
    groups = school_groups(base)
    tutor = tutor_coverage(t, groups, tutors, cuts, int(params.year), conf)
    by_group = group_shares(t, groups, cuts, conf)
    if not tutor.empty:
        by_group = pd.concat([by_group, tutor], ignore_index=True)
    by_group = suppress_shares(by_group, min_n)
    deficits = suppress_distribution(deficits_by_subject(t, groups, cuts, conf), min_n)
    c1, c2, c3 = (f"{c:g}" for c in cuts)
    notes = [
        "Уровень дефицитов педагога определяется по среднему из имеющихся баллов экспертной и "
        f"тестовой оценки (0–100): A — менее {c1} (системные дефициты), B — не менее {c1} и "
        f"менее {c2} (локальные), C — не менее {c2} и менее {c3} (несущественные), D — {c3} и "
        "более (дефицитов нет). "
        "Педагоги без оценок уровня не имеют.",
        "Доли показаны с 95-процентным доверительным интервалом Уилсона; значения, "
        f"рассчитанные менее чем по {min_n} педагогам, не публикуются (число педагогов "
        "приводится).",
    ]
    score = deficit_score(t)
    if "diagnosed" in t:
        odd = int((score.notna() & ~t["diagnosed"].fillna(False).astype(bool)).sum())
        if odd:
            notes.append(
                f"Качество данных: у {odd} записей есть балл оценки, но не отмечено прохождение "
                "диагностики (diagnosed ≠ 1); в доле прошедших диагностику они не учтены."
            )
    notes.append(
        "Группы ОО — по спискам отчётного года: ШНОР (ИОР) и ШССУ (ИСБ); для прошлых лет берутся "
        "те же школы. Доли педагогов ШНОР — показатели A37–A40; ШНОР и ШССУ вместе — "
        "совокупность показателей C2. Экспертная и тестовая оценки показаны отдельно и их среднее."
    )
    return TeachersResult(
        by_school=by_school, distribution=dist, notes=notes, by_group=by_group, deficits=deficits
    )
