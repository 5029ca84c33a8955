"""Task-level analysis of ВПР («дефициты обучающихся»): share of the maximum per task, per
school and for the municipality, and the tasks where a school or the municipality is far
below its reference.

Input: one row per pupil × task (``year, school_id, student_id, grade, subject, task,
max_task_score, score``; a blank score — absent pupil, «X» — is not a result).

**The quantity.** For a task with maximum m, pupil i contributes ``x_i = score_i / m`` ∈
[0, 1]; the group's result is the mean of x_i (× 100: «% от максимума»). For 1-point tasks
this is the share of pupils who solved it.

**Why these intervals.** The points of one pupil on a task are not independent trials (a
pupil who earns the first point of a 2-point task is far more likely to earn the second), so a
Wilson interval over points (k points of n·m) is too narrow for m > 1. The independent unit
is the pupil, and the variance of the mean comes from the pupils:

- *school*: ``V = s²/n`` with s² the sample variance of the pupil values x_i;
- *municipality*: pupils are clustered in schools (same teachers, same preparation), so the
  pupil formula would be too narrow; the cluster-robust (CR1) variance of the pooled ratio mean
  treats schools as the independent units: ``V = C/(C−1) · Σ_c (S_c − p̂·N_c)² / N²`` (S_c the
  sum of x in school c, N_c its pupils, C schools; with one school, the school formula).

The interval is then the Wilson interval at the *effective* size ``n_eff = p̂(1 − p̂)/V``
(Korn & Graubard's design-effect adjustment), not a symmetric t interval: shares of a task
are bounded and often near 0 or 100 %, where p̂ ± t·√V undercovers on the side that matters
here (the upper end of a low share — measured on the synthetic test: three honest
school × task cells in 320 flagged at 99 % with the t interval, none with this one). For a
1-point task n_eff ≈ n and this is the usual Wilson interval over pupils. For a school
``n_eff`` is kept within [n, n·m] (a variable in [0, 1] has variance at most p(1 − p), so n is
the worst case; n·m — independent points — the best), which also gives an interval when every
pupil has the same value (V = 0); for the municipality within [1, N·m] (the design effect of
schools may well exceed 1), with V scaled by (t_{C−1}/z)² for the few-schools case.

**Deficit rule** (``tasks.deficit_gap``, default 15 percentage points;
``tasks.deficit_confidence``, default 0.99): a task is a deficit when the group's share is at
least ``gap`` points below its reference **and** the difference is significant: the upper
end of the interval of (share − reference) at ``deficit_confidence`` is below 0 (both: the gap
keeps tiny but significant differences of large groups out, the interval keeps chance dips of
small groups out). For a school the reference (the other schools) is an estimate too, so the
difference interval is Newcombe's square-and-add (MOVER) of the school's interval and the
reference's pupil-level one; the region's share and the mean of the other tasks are taken as
fixed. The intervals shown are at the report's ``confidence`` (95 %); the test uses 99 %
because each school is tested on every task of every work (10–20 tests per work): measured on
the synthetic test with no weak school (``tests/test_tasks.py``), the share of honest
school × task cells flagged (schools differ by a school effect of sd 4 points, so some are
truly a little weaker) was 14 of 960 with the 99 % school interval against a fixed reference and
10 of 960 with the difference interval; a 95 % t interval against a fixed reference flagged
10 of 468 (2.1 %). References:

- a school: the other schools of the municipality on the same task (pupil-weighted, the school
  itself left out so that a large school is not compared with itself);
- the municipality: the region's share on the task when a region table is given, else the
  mean of the municipality's other tasks of the same work (year × grade × subject) — a task
  far below the rest of the work is a content deficit even when nobody outside is known.

Groups with fewer than ``min_n`` pupils get no share and are never flagged (small cells).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor_lib.methods.stats import wilson_ci

WORK = ["year", "grade", "subject"]
TASK = [*WORK, "task"]
LEVEL_SCHOOL = "ОО"
LEVEL_MUNI = "муниципалитет"
REF_MUNI = "остальные ОО муниципалитета"
REF_REGION = "регион"
REF_OTHER_TASKS = "другие задания работы (муниципалитет)"
RESULT_COLUMNS = [
    "year",
    "grade",
    "subject",
    "task",
    "max_task_score",
    "task_level",
    "level",
    "school_id",
    "n",
    "schools",
    "share",
    "ci_low",
    "ci_high",
    "reference",
    "reference_kind",
    "gap",
    "gap_ci_high",
    "deficit",
]
TASK_INPUT = ["year", "school_id", "student_id", "grade", "subject", "task", "max_task_score"]


def pupil_values(tasks: pd.DataFrame) -> pd.DataFrame:
    """One row per pupil × task with a score: ``x`` = score ÷ max_task_score (0..1)."""
    missing = [c for c in [*TASK_INPUT, "score"] if c not in tasks]
    if missing:
        raise ValueError(f"task scores lack columns {missing}")
    t = tasks[tasks["score"].notna() & (pd.to_numeric(tasks["max_task_score"]) > 0)]
    t = t.assign(
        school_id=t["school_id"].astype(str),
        task=t["task"].astype(str),
        year=t["year"].astype("int64"),
        grade=t["grade"].astype("int64"),
        x=t["score"].astype(float) / t["max_task_score"].astype(float),
    )
    if ((t["x"] < 0) | (t["x"] > 1)).any():
        bad = t[(t["x"] < 0) | (t["x"] > 1)].iloc[0]
        raise ValueError(
            f"task score {bad['score']} outside 0..{bad['max_task_score']} "
            f"(task {bad['task']}, school {bad['school_id']})"
        )
    return t


def _wilson_eff(p, var, n_min, n_max, confidence: float):
    """Wilson interval for a mean share p with variance var, at n_eff = p(1−p)/var kept in
    [n_min, n_max] (see the module docstring)."""
    p = np.asarray(p, dtype=float)
    var = np.asarray(var, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(var > 0, p * (1 - p) / var, np.inf)
    n_eff = np.clip(n_eff, np.asarray(n_min, dtype=float), np.asarray(n_max, dtype=float))
    return wilson_ci(p * n_eff, n_eff, confidence)


def _z(confidence: float) -> float:
    from scipy import stats as sps

    return float(sps.norm.ppf(0.5 + confidence / 2))


def _df_factor(clusters: int, confidence: float) -> float:
    """(t quantile on clusters − 1 df ÷ normal quantile)²."""
    from scipy import stats as sps

    q = 0.5 + confidence / 2
    return float((sps.t.ppf(q, clusters - 1) / sps.norm.ppf(q)) ** 2)


def school_results(x: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per school × task: n, mean share (0..1) and its interval (variance from the pupils)."""
    g = x.assign(x2=x["x"] ** 2).groupby([*TASK, "school_id"], sort=True)
    out = g.agg(
        n=("x", "size"),
        mean=("x", "mean"),
        sd=("x", "std"),
        s=("x", "sum"),
        ss=("x2", "sum"),
        max_task_score=("max_task_score", "max"),
    ).reset_index()
    var = out["sd"].fillna(0) ** 2 / out["n"]
    out["ci_low"], out["ci_high"] = _wilson_eff(
        out["mean"], var, out["n"], out["n"] * out["max_task_score"], confidence
    )
    out["schools"] = 1
    return out.assign(level=LEVEL_SCHOOL)


def municipal_results(per_school: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per task: the pooled share with a cluster-robust interval (schools as the units; the
    variance scaled by (t_{C−1}/z)² so that few schools widen it as a t interval would)."""
    rows = []
    for key, g in per_school.groupby(TASK, sort=True):
        n_c, s_c = g["n"].to_numpy(float), g["s"].to_numpy(float)
        big_n = n_c.sum()
        p = s_c.sum() / big_n
        c = len(g)
        m = float(g["max_task_score"].max())
        if c >= 2:
            var = c / (c - 1) * np.sum((s_c - p * n_c) ** 2) / big_n**2 * _df_factor(c, confidence)
            lo, hi = _wilson_eff(p, var, 1.0, big_n * m, confidence)
        else:
            var = float(g["sd"].fillna(0).iloc[0]) ** 2 / big_n
            lo, hi = _wilson_eff(p, var, big_n, big_n * m, confidence)
        rows.append(
            {
                **dict(zip(TASK, key, strict=True)),
                "school_id": pd.NA,
                "n": int(big_n),
                "schools": c,
                "mean": p,
                "s": s_c.sum(),
                "max_task_score": g["max_task_score"].max(),
                "ci_low": float(lo),
                "ci_high": float(hi),
            }
        )
    return pd.DataFrame(rows).assign(level=LEVEL_MUNI)


def _school_reference(per_school: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Leave-one-out municipal share of each school's task (other schools' pupils) and the
    sampling variance of that share (pupil level)."""
    tot = per_school.groupby(TASK)[["s", "ss", "n"]].transform("sum")
    rest_n = (tot["n"] - per_school["n"]).astype(float)
    rest_s = tot["s"] - per_school["s"]
    rest_ss = tot["ss"] - per_school["ss"]
    ok = rest_n.where(rest_n > 1)
    ref = rest_s / ok
    var = (rest_ss - rest_s**2 / ok).clip(lower=0) / (ok - 1) / ok
    return ref.astype(float), var.astype(float)


def _municipal_reference(
    muni: pd.DataFrame, region: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series]:
    """The region's share of the task when given, else the mean of the other tasks of the work."""
    ref = pd.Series(np.nan, index=muni.index)
    kind = pd.Series(REF_OTHER_TASKS, index=muni.index, dtype=object)
    sums = muni.groupby(WORK)["mean"].transform("sum")
    counts = muni.groupby(WORK)["mean"].transform("count")
    others = (sums - muni["mean"]) / (counts - 1).where(counts > 1)
    ref = others.astype(float)
    if region is not None and not region.empty:
        reg = region.assign(
            task=region["task"].astype(str),
            year=region["year"].astype("int64"),
            grade=region["grade"].astype("int64"),
        )
        merged = muni[TASK].merge(reg[[*TASK, "share"]], on=TASK, how="left")
        has = merged["share"].notna().to_numpy()
        ref = ref.where(~has, merged["share"].to_numpy() / 100)
        kind = kind.where(~has, REF_REGION)
    return ref, kind


def task_results(
    tasks: pd.DataFrame,
    *,
    confidence: float = 0.95,
    min_n: int = 10,
    gap: float = 15.0,
    deficit_confidence: float = 0.99,
    region: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """task_results.csv: share of the maximum per task × school and × municipality (in %),
    interval, reference, gap to it (points) and the deficit flag (see the module docstring).

    ``region``: optional ``year, grade, subject, task, share`` (share in %) of the region."""
    x = pupil_values(tasks)
    if x.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    per_school = school_results(x, confidence)
    per_school["reference"], ref_var = _school_reference(per_school)
    per_school["reference_kind"] = REF_MUNI
    muni = municipal_results(per_school, confidence)
    muni["reference"], muni["reference_kind"] = _municipal_reference(muni, region)
    # the upper end of (share − reference) at deficit_confidence, rows in the order above:
    # MOVER (Newcombe's square-and-add) for a school, whose reference is an estimate too
    test_school = school_results(x, deficit_confidence)
    z = float(_z(deficit_confidence))
    up = test_school["ci_high"].to_numpy() - per_school["mean"].to_numpy()
    per_school["gap_ci_high"] = (
        per_school["mean"] - per_school["reference"] + np.sqrt(up**2 + z * z * ref_var)
    )
    muni_test = municipal_results(test_school, deficit_confidence)
    muni["gap_ci_high"] = muni_test["ci_high"].to_numpy() - muni["reference"]
    out = pd.concat([muni, per_school], ignore_index=True)
    for c in ("mean", "ci_low", "ci_high", "reference", "gap_ci_high"):
        out[c] = 100 * out[c].astype(float)
    out = out.rename(columns={"mean": "share"})
    out["gap"] = out["share"] - out["reference"]
    small = out["n"] < min_n
    out.loc[small, ["share", "ci_low", "ci_high", "gap", "gap_ci_high"]] = np.nan
    below = (out["gap"] <= -gap) & (out["gap_ci_high"] < 0)
    out["deficit"] = below.fillna(False).astype(bool)
    out["n"] = out["n"].astype("int64")
    out["schools"] = out["schools"].astype("int64")
    out["task_level"] = _task_levels(x, out)
    out = out.assign(_lvl=(out["level"] == LEVEL_SCHOOL).astype(int), _t=_task_order(out["task"]))
    out = out.sort_values([*WORK, "_lvl", "school_id", "_t", "task"], na_position="first")
    return out[RESULT_COLUMNS].reset_index(drop=True)


def _task_levels(x: pd.DataFrame, out: pd.DataFrame) -> pd.Series:
    """The task's difficulty level (Б / П / В of the Ф1 header), "" when not given."""
    if "level" not in x or x["level"].isna().all():
        return pd.Series("", index=out.index, dtype=object)
    lv = x.dropna(subset=["level"]).groupby(TASK, sort=True)["level"].first()
    keys = pd.MultiIndex.from_frame(out[TASK])
    return pd.Series(lv.reindex(keys).fillna("").to_numpy(), index=out.index, dtype=object)


def _task_order(task: pd.Series) -> pd.Series:
    """Numeric order of task labels («2» before «10», «9.1» after «9»)."""
    lead = task.astype(str).str.extract(r"^(\d+)(?:[.,](\d+))?")
    return pd.to_numeric(lead[0], errors="coerce").fillna(1e6) * 1000 + pd.to_numeric(
        lead[1], errors="coerce"
    ).fillna(0)


def task_deficits(results: pd.DataFrame) -> pd.DataFrame:
    """task_deficits.csv: the flagged rows of :func:`task_results`, municipality first, then
    schools by the size of the gap."""
    d = results[results["deficit"].astype(bool)]
    d = d.assign(_lvl=(d["level"] == LEVEL_SCHOOL).astype(int))
    d = d.sort_values([*WORK, "_lvl", "school_id", "gap", "task"], na_position="first")
    return d.drop(columns=["_lvl", "deficit"]).reset_index(drop=True)
