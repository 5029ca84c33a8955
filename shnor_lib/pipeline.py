"""`shnor compute`: validated tables → every computed table in outputs/<m>/<year>/tables/.

The pipeline is the list :data:`STAGES`, run in order by :func:`run`. Each stage is a function
``ctx → StageResult``: the published tables it makes (named by :mod:`shnor_lib.tables`), the
columns it adds to ``schools`` (a frame keyed by ``school_id``), its notes
(:class:`shnor_lib.notes.Note`) and, for later stages only, working frames that are not
published. A stage reads only what earlier stages put in the context; ``schools`` is
assembled once at the end from the stages' school columns. Outputs are written to a
temporary folder and moved into place only when all of them are complete.

A region run stops a municipality after ИОР (``run(params, until="results_index")``), pools
the region's school-years for the ИСБ fit, and resumes it (``run(params, start=
"social_index", ctx=…)``); see :mod:`shnor_lib.region`.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shnor_lib import __version__, console
from shnor_lib.config import Params
from shnor_lib.io import atomic, decision_rules, ingest, publish, reference
from shnor_lib.methods import (
    clusters,
    conclusions,
    cycle,
    decisions,
    indicators,
    min_scores,
    objectivity,
    pairing,
    pooled,
    recommendations,
    results_index,
    risk_profile,
    social_index,
    support,
    teachers,
    vpr_counts,
)
from shnor_lib.notes import Note, select
from shnor_lib.tables import (
    CLUSTERS,
    CONCLUSIONS,
    EARLY_WARNING,
    EARLY_WARNING_CHECK,
    FOLLOW_UP,
    FORMS_CROSSCHECK,
    GROUP_DYNAMICS,
    INDICATORS,
    INDICATORS_EXCLUSIONS,
    INDICATORS_POOLED,
    MANAGEMENT_DECISIONS,
    MIN_SCORES,
    MIN_SCORES_WINDOW,
    OBJECTIVITY_EFFECT,
    PAIRS,
    PAIRS_UNPAIRED,
    PARTICIPANTS,
    PUBLISHED,
    RECOMMENDATIONS,
    RESULTS_INDEX,
    RISK,
    RISK_LEVELS,
    RISK_PROFILE_SCHOOL,
    ROADMAP_OVERDUE,
    SCHOOLS,
    SOCIAL_INDEX,
    SOCIAL_NOTES,
    STATUS_COUNTS,
    STATUS_HISTORY,
    SUPPORT,
    SUPPORT_EFFECT,
    SUPPORT_NOTES,
    TEACHERS_BY_GROUP,
    TEACHERS_BY_SCHOOL,
    TEACHERS_DEFICITS,
    TEACHERS_DISTRIBUTION,
    TRANSITIONS,
)

Progress = Callable[[str], None]


# ------------------------------------------------------------------------------ the types


@dataclass
class StageResult:
    """What one stage returns (every field optional).

    ``tables``: published tables, name (a :mod:`shnor_lib.tables` constant) → frame;
    ``school_columns``: columns the stage adds to ``schools.csv``, one row per school, keyed by
    ``school_id``; ``notes``: its notes; ``sources``: input files it read (for the provenance
    list); ``work``: frames (or small objects) later stages need and nobody publishes;
    ``data``: the validated input tables (the ingest stage only)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    school_columns: pd.DataFrame | None = None
    notes: list[Note] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    work: dict[str, Any] = field(default_factory=dict)
    data: dict[str, pd.DataFrame] | None = None


@dataclass
class Context:
    """The run so far: the validated input and every earlier stage's results (picklable, so a
    region run can stop a municipality after one stage and resume it in another process)."""

    params: Params
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    school_columns: list[pd.DataFrame] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    work: dict[str, Any] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # names of the stages run, in order
    region_sample: pd.DataFrame | None = None  # other municipalities' school-years (M4)
    region_fit: Any = None  # the regional ИСБ model fitted on region_sample
    t0: float = field(default_factory=time.perf_counter)
    out_dir: Path | None = None  # the tables folder, once written

    def add(self, name: str, result: StageResult) -> None:
        if result.data is not None:
            self.data = result.data
        self.tables.update(result.tables)
        if result.school_columns is not None:
            self.school_columns.append(result.school_columns)
        self.notes.extend(result.notes)
        self.sources.extend(result.sources)
        self.work.update(result.work)
        self.done.append(name)

    def schools(self) -> pd.DataFrame:
        """``schools`` from the contract columns and every school column added so far (a new
        frame each call: no stage changes another stage's columns)."""
        out = schools_table(self.data, self.params)
        for cols in self.school_columns:
            by_id = cols.set_index("school_id")
            for col in by_id.columns:
                out[col] = out["school_id"].map(by_id[col])
        return out


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: ``run(ctx)`` reads earlier results from ``ctx``."""

    name: str
    title_ru: str  # the progress line (and the bench label)
    run: Callable[[Context], StageResult]


@dataclass
class Manifest:
    """results.json: what was computed, from which files and params, and every note."""

    municipality: str
    title: str
    year: int
    years: list[int]
    library_version: str
    params_source: str
    params: dict
    sources: list[dict]
    notes: list[Note]
    region_sample: dict | None = None  # schools and school-years pooled for a regional ИСБ fit

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "notes"}
        out["notes"] = [n.to_dict() for n in self.notes]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        known = {k: d.get(k) for k in cls.__dataclass_fields__ if k != "notes"}
        return cls(**known, notes=[Note.from_dict(n) for n in d.get("notes") or []])


@dataclass
class Results:
    """Everything the report shows, as tidy school-level (or coarser) tables."""

    params: Params
    tables: dict[str, pd.DataFrame]  # published tables, name → frame (written as CSV)
    manifest: dict = field(default_factory=dict)  # results.json as read (Manifest.to_dict)

    @property
    def notes(self) -> list[Note]:
        """The run's notes, in stage order."""
        return [Note.from_dict(n) for n in self.manifest.get("notes") or []]


# ------------------------------------------------------------------------------ helpers


def schools_table(data: dict[str, pd.DataFrame], params: Params) -> pd.DataFrame:
    """schools.csv before the stages: one row per school for the reporting year (contract
    columns first, the computed ones empty)."""
    schools = data["schools"].copy()
    ctx = data["context"]
    ctx_year = ctx[ctx["year"] == params.year][["school_id", "students_total"]]
    out = schools.merge(ctx_year, on="school_id", how="left")
    for col in publish.SCHOOLS_COLUMNS:
        if col not in out:
            out[col] = pd.NA
    extra = [
        c
        for c in (
            "municipality",
            "locality",
            "school_type",
            "is_small",
            "distance_km",
            "students_total",
        )
        if c in out
    ]
    return out[publish.SCHOOLS_COLUMNS + extra].sort_values("school_id").reset_index(drop=True)


def data_years(data: dict[str, pd.DataFrame], params: Params) -> list[int]:
    """Years with results up to the reporting year (the trajectory shown in the report)."""
    years: set[int] = set()
    for name in ("vpr", "gia"):
        if name in data:
            years |= {int(y) for y in data[name]["year"].dropna().unique()}
    return sorted(y for y in years if y <= params.year) or [params.year]


def gia_marked(data: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """ГИА results with the reference minimum score and the below-minimum flag (M2)."""
    gia = data.get("gia")
    return (
        min_scores.mark_below_min(gia, reference.load_gia_min_scores()) if gia is not None else None
    )


def _gia_warnings(marked: pd.DataFrame | None, params: Params) -> list[str]:
    """Data-quality notes on ГИА: no results in the reporting year, unknown minimum scores."""
    if marked is None or not (marked["year"] == params.year).any():
        return [
            f"ГИА: нет результатов ОГЭ и ЕГЭ за {params.year} г.; ИОР отчётного года "
            "построен без компонентов ГИА этого года (доля ниже минимума — по прошлым годам окна)"
        ]
    return min_scores.unknown_thresholds(marked[marked["year"].isin(params.years)])


def vpr_fail_share(
    data: dict[str, pd.DataFrame], params: Params, exclusions: pd.DataFrame | None
) -> pd.DataFrame:
    """Per school: % of «2» in ВПР in the reporting year (excluded units left out); NaN if small."""
    vpr = data.get("vpr")
    if vpr is None:
        return pd.DataFrame(columns=["school_id", "share", "n"])
    cur = results_index.drop_excluded(vpr[vpr["year"] == params.year], exclusions, "ВПР")
    g = cur.assign(two=(cur["mark"] == 2).astype(float)).groupby("school_id")["two"]
    out = pd.DataFrame({"share": 100 * g.mean(), "n": g.size()}).reset_index()
    out.loc[out["n"] < params.min_group_size, "share"] = float("nan")
    return out


def shnor_ids(ctx: Context) -> set[str]:
    """The reporting year's ШНОР (M3 ``low_results``), once the results_index stage has run."""
    schools = ctx.schools()
    return set(schools.loc[schools["low_results"].fillna(False).astype(bool), "school_id"])


# ------------------------------------------------------------------------------ the stages


def stage_ingest(ctx: Context) -> StageResult:
    """Read and validate data/raw/<m> and its filled forms (ValidationError listing every
    problem); writes data/processed/<m>/<year>. The parsed forms go to ``work["forms"]``."""
    result = ingest.run(ctx.params)
    return StageResult(
        data=result.tables,
        notes=[Note("ingest", "warning", w) for w in result.warnings],
        sources=[dict(s.__dict__) for s in result.sources],
        work={"forms": result.forms},
    )


def stage_indicators(ctx: Context) -> StageResult:
    """M1: the indicator catalogue (with intervals) and the participants. It runs after M3:
    A37–A40 are shares of the teachers of ШНОР (the reporting year's list)."""
    p, data = ctx.params, ctx.data
    ind = indicators.compute(
        data,
        catalog=reference.load_indicator_catalog(),
        confidence=p.confidence,
        ege_high_score=p.indicators.ege_high_score,
        teacher_schools=shnor_ids(ctx),
        exclusions=ctx.work["exclusions"],
    )
    c1 = indicators.temryuk_dynamics(
        data, confidence=p.confidence, exclusions=ctx.work["exclusions"]
    )
    ind_all = pd.concat([ind, c1], ignore_index=True) if not c1.empty else ind
    effect = indicators.exclusion_effect(
        data,
        ctx.work["exclusions"],
        confidence=p.confidence,
        catalog=reference.load_indicator_catalog(),
        min_n=p.min_group_size,
    )
    pooled_ind = pooled.window(ind_all, p.years, p.confidence, exclude=indicators.NOT_PEOPLE)
    return StageResult(
        tables={
            INDICATORS: ind_all,
            INDICATORS_EXCLUSIONS: effect,
            INDICATORS_POOLED: pooled_ind,  # the school cards' values for small schools
            PARTICIPANTS: indicators.participants(data),
        }
    )


def stage_tasks(ctx: Context) -> StageResult:
    """ВПР shares from ФИС ОКО statistics (Ф3) and task-level deficits, where the files give
    them (no table otherwise)."""
    return StageResult(tables=vpr_counts.stage(ctx.data, ctx.params))


def stage_min_scores(ctx: Context) -> StageResult:
    """M2: results below the ГИА minimum score per school × procedure, pooled over the window,
    and the Rosobrnadzor risk sign."""
    p = ctx.params
    marked = gia_marked(ctx.data)
    per_proc = (
        min_scores.by_procedure(marked, p.confidence) if marked is not None else pd.DataFrame()
    )
    risk = min_scores.risk_sign(
        per_proc,
        share=p.min_scores.risk_share,
        procedures=p.min_scores.risk_procedures,
        min_results=p.min_scores.min_results,
    )
    pooled = (
        min_scores.pooled_window(marked, p.years, p.confidence)
        if marked is not None
        else pd.DataFrame(columns=["school_id", "below", "n", "share", "ci_low", "ci_high"])
    )
    return StageResult(
        tables={MIN_SCORES: per_proc, MIN_SCORES_WINDOW: pooled, RISK: risk},
        notes=[Note("min_scores", "warning", w) for w in _gia_warnings(marked, p)],
        work={"gia_marked": marked},
    )


def stage_objectivity(ctx: Context) -> StageResult:
    """M5: the objectivity checks of ВПР and the set of excluded units."""
    obj = objectivity.stage(
        ctx.data,
        ctx.work["gia_marked"],
        ctx.params,
        vpr_scales=reference.vpr_scales(ctx.params.raw_dir()),
        catalog=reference.load_indicator_catalog(),
    )
    return StageResult(tables=obj.tables(), work={"exclusions": obj.exclusions})


def _index(ctx: Context, comps: pd.DataFrame) -> pd.DataFrame:
    return index_of(ctx.params, comps)


def index_of(params: Params, comps: pd.DataFrame) -> pd.DataFrame:
    """ИОР of the components ``comps`` (one municipality, or the pooled region when
    ``results_index.reference: region``) with the params' weights and scaling."""
    ri = params.results_index
    return results_index.compute_index(
        comps,
        {k: v.weight for k, v in [*ri.components.items(), *ri.primary_components.items()]},
        method=ri.scaling,
        min_weight_share=ri.min_weight_share,
        only_primary=set(ri.primary_components),
    )


REGION_INDEX = "region_index"  # ctx.work key: (ИОР, ИОР before exclusions) scaled over the region


def index_components(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The raw ИОР components after the M5 exclusions and before them (None when nothing
    was excluded): what a region run pools for ``results_index.reference: region``."""
    p, data = ctx.params, ctx.data
    marked, exclusions = ctx.work["gia_marked"], ctx.work["exclusions"]
    years = data_years(data, p)

    def components(excl: pd.DataFrame | None) -> pd.DataFrame:
        return results_index.components(data, marked, years, p.window, excl, min_n=p.min_group_size)

    after = components(exclusions)
    before = None if exclusions.empty or "vpr" not in data else components(None)
    return after, before


def stage_results_index(ctx: Context) -> StageResult:
    """M3: ИОР after the M5 exclusions (and before them, for the effect table), the school
    groups (ШНОР, группа риска, лидеры) and their school columns.

    With ``results_index.reference: region`` a region run puts the ИОР scaled and ranked over
    every school of the region in ``ctx.work[REGION_INDEX]``: quartiles, ШНОР and leaders are
    then regional."""
    p, data = ctx.params, ctx.data
    exclusions = ctx.work["exclusions"]
    notes: list[Note] = []
    given = ctx.work.get(REGION_INDEX)
    if given is not None:
        index, before = given
        notes.append(
            Note(
                "results_index",
                "info",
                f"ИОР шкалирован и разбит на квартили по всем ОО региона «{p.region}» "
                "(results_index.reference: region): ШНОР и школы-лидеры — по региону.",
                table=RESULTS_INDEX,
            )
        )
    else:
        after, raw = index_components(ctx)
        index = _index(ctx, after)
        before = None if raw is None else _index(ctx, raw)
        if p.results_index.reference == "region":
            notes.append(
                Note(
                    "results_index",
                    "warning",
                    "Задано results_index.reference: region, но расчёт запущен не для всего "
                    "региона (не shnor region): ИОР шкалирован по муниципалитету.",
                    table=RESULTS_INDEX,
                )
            )
    effect = objectivity.index_effect(before, index, exclusions)
    classes = results_index.classify(
        index,
        p.year,
        p.years,
        low_years=p.results_index.low_results_years,
        leader_years=p.results_index.leader_years,
        risk=ctx.tables[RISK],
        excluded_schools=results_index.leader_disqualified(exclusions, p.years),
    )
    if p.cycle.shnor_rule == cycle.ABSOLUTE:
        classes = _absolute_classes(classes, index, p)
    return StageResult(
        tables={RESULTS_INDEX: index, OBJECTIVITY_EFFECT: effect},
        school_columns=_group_columns(schools_table(data, p), classes, index, p.year),
        work={"classes": classes},
        notes=notes,
    )


def _absolute_classes(classes: pd.DataFrame, index: pd.DataFrame, p: Params) -> pd.DataFrame:
    """ШНОР of the reporting year by the absolute rule (``cycle.shnor_rule: absolute``)."""
    cur = index[index["year"] == p.year].set_index("school_id")
    threshold = p.cycle.absolute_below_min_share
    share = classes["school_id"].map(cur.get("gia_below_min_value", pd.Series(dtype=float)))
    low = (share >= threshold).fillna(False)
    reason = [
        f"доля результатов ГИА ниже минимального балла за {p.window} г. — {v:.1f} % "
        f"(не менее {threshold:g} %)"
        if hit
        else ""
        for v, hit in zip(share, low, strict=True)
    ]
    return classes.assign(low_results=low.astype(bool), low_results_reason=reason)


def _group_columns(
    schools: pd.DataFrame, classes: pd.DataFrame, index: pd.DataFrame, year: int
) -> pd.DataFrame:
    """The M3 columns of schools.csv: ИОР, its quartile and level, the groups and why."""
    out = schools[["school_id"]].copy()
    cls = classes.set_index("school_id")
    for col in ("results_index", "results_quartile"):
        out[col] = out["school_id"].map(cls[col])
    for col in ("low_results", "risk_group", "leader"):
        out[col] = out["school_id"].isin(cls.index[cls[col].astype(bool)])
    out["results_level"] = out["results_quartile"].map(results_index.QUARTILE_LABELS)
    for col in ("low_results_reason", "risk_reason", "leader_reason"):
        out[col] = out["school_id"].map(cls[col])
    now = index[index["year"] == year].set_index("school_id")["no_index_reason"]
    out["no_index_reason"] = (
        out["school_id"]
        .map(now)
        .fillna(
            "нет результатов, из которых складывается ИОР (ГИА, ВПР 5–6 кл.; для НОШ — ВПР 4 кл.)"
        )
    )
    out.loc[out["results_index"].notna() & (out["no_index_reason"] == ""), "no_index_reason"] = ""
    return out


def stage_social_index(ctx: Context) -> StageResult:
    """M4: ИСБ, ШССУ and resilience (fitted on the region's school-years when the scope
    resolves to the region: ``ctx.region_sample`` / ``ctx.region_fit``)."""
    soc = social_index.stage(
        ctx.data,
        ctx.tables[RESULTS_INDEX],
        ctx.work["classes"],
        ctx.params,
        region_sample=ctx.region_sample,
        region_fit=ctx.region_fit,
        expected_signs=reference.load_social_expected_signs(),
    )
    notes = [
        Note("social_index", "info" if kind == "info" else "warning", text, table=SOCIAL_NOTES)
        for kind, text in soc.messages
    ]
    return StageResult(
        tables=soc.tables(),
        school_columns=soc.schools,
        notes=notes,
        work={"social_scope": soc.summary.get("scope")},
    )


def tutor_pairs(ctx: Context) -> pd.DataFrame | None:
    """The МТКП form's tutor × teacher rows (for the tutor coverage of M6), as ingest parsed
    them, or None when there is no teachers table or no МТКП form."""
    forms = ctx.work.get("forms")
    if "teachers" not in ctx.data or forms is None:
        return None
    return forms.mtkp


def stage_teachers(ctx: Context) -> StageResult:
    """M6: teachers' qualification (A–D) and shortages."""
    tch = teachers.stage(ctx.data, ctx.params, ctx.schools(), tutor_pairs(ctx))
    notes = [
        Note(
            "teachers",
            "warning" if text.startswith("Качество данных") else "info",
            text,
            table=SUPPORT_NOTES,
        )
        for text in tch.notes
    ]
    return StageResult(
        tables={
            TEACHERS_BY_SCHOOL: tch.by_school,
            TEACHERS_DISTRIBUTION: tch.distribution,
            TEACHERS_BY_GROUP: tch.by_group,
            TEACHERS_DEFICITS: tch.deficits,
        },
        notes=notes,
    )


def stage_support(ctx: Context) -> StageResult:
    """M7: the monitoring forms (methodical help, МНЦ, МТКП) and the roadmap."""
    sup = support.stage(ctx.work.get("forms"), ctx.data, ctx.params)
    teacher_notes = [n.text_ru for n in select(ctx.notes, stage="teachers")]
    notes = [Note("support", "info", t, table=SUPPORT_NOTES) for t in sup.notes]
    notes += [Note("support", "warning", t) for t in sup.warnings]
    return StageResult(
        tables={
            SUPPORT: sup.table,
            ROADMAP_OVERDUE: sup.overdue,
            SUPPORT_NOTES: support.notes_table(sup, teacher_notes),
        },
        notes=notes,
    )


def stage_risk_profile(ctx: Context) -> StageResult:
    """M8: the risk factors of each school and their levels."""
    p, data = ctx.params, ctx.data
    schools = ctx.schools()
    ctx_now = data["context"][data["context"]["year"] == p.year]
    dist = ctx.tables[TEACHERS_DISTRIBUTION]
    ab = None
    if dist is not None and not dist.empty and "share_ab" in dist:
        cur = dist[(dist["level"] == "school") & (dist["year"] == p.year)]
        ab = cur.set_index("school_id")["share_ab"]
    window = ctx.tables[MIN_SCORES_WINDOW]
    below = window.assign(share=window["share"].where(window["n"] >= p.min_group_size))
    tch = data.get("teachers")
    values = risk_profile.factor_values(
        schools,
        ctx_now,
        teachers_year=None if tch is None else tch[tch["year"] == p.year],
        teachers_ab_share=ab,
        vpr_fail_share=vpr_fail_share(data, p, ctx.work["exclusions"])[["school_id", "share"]],
        below_min_share=below[["school_id", "share"]],
    )
    levels = risk_profile.levels(values, method=p.clusters.risk_levels)
    top = risk_profile.top_risks(levels)
    cols = schools[["school_id"]].assign(top_risks=schools["school_id"].map(top).fillna(""))
    return StageResult(
        tables={
            RISK_LEVELS: risk_profile.long_table(values, levels),
            RISK_PROFILE_SCHOOL: risk_profile.profile_table(
                values, levels, method=p.clusters.risk_levels
            ),
        },
        school_columns=cols,
        work={"risk_values": values, "risk_levels": levels},
    )


def stage_clusters(ctx: Context) -> StageResult:
    """M8: clusters of schools by their risk, ИОР and ИСБ profile."""
    p = ctx.params
    schools = ctx.schools()
    cres = clusters.cluster(
        clusters.profile_frame(ctx.work["risk_values"], schools),
        k_min=p.clusters.k_min,
        k_max=p.clusters.k_max,
        method=p.clusters.method,
        seed=p.clusters.seed,
        min_cluster_share=p.clusters.min_cluster_share,
        min_stability=p.clusters.min_stability,
        bootstrap=p.clusters.bootstrap,
    )
    cols = schools[["school_id"]].assign(
        cluster=schools["school_id"].map(cres.labels).astype("Int64")
    )
    return StageResult(
        tables={CLUSTERS: cres.table()},
        school_columns=cols,
        notes=[Note("clusters", "info", t, table=CLUSTERS) for t in cres.notes],
    )


def stage_pairing(ctx: Context) -> StageResult:
    """M9: pairs «ШНОР — школа-лидер»."""
    p = ctx.params
    pres = pairing.pair(
        ctx.schools(),
        max_pairs_per_leader=p.pairing.max_pairs_per_leader,
        max_isb_gap=p.pairing.max_isb_gap,
        exclusions=ctx.work["exclusions"],
        window_years=p.years,
        history=ctx.tables.get(STATUS_HISTORY),
        year=p.year,
    )
    names = ctx.schools().set_index("school_id")["school_name"]
    notes = [
        Note(
            "pairing",
            "info",
            f"Школа-лидер «{names.get(r.school_id, r.school_id)}» не назначается партнёром: "
            f"{r.reason}.",
            table=PAIRS,
            school_id=r.school_id,
        )
        for r in pres.ineligible.itertuples(index=False)
    ]
    return StageResult(tables={PAIRS: pres.pairs, PAIRS_UNPAIRED: pres.unpaired}, notes=notes)


def _municipal_facts(ctx: Context) -> dict[str, Any]:
    """The municipality-level facts the recommendations cite: unmet indicator targets and the
    share of teachers in groups A–B."""
    year = ctx.params.year
    ind = ctx.tables[INDICATORS]
    cur = ind[(ind["level"] == "municipality") & (ind["year"] == year)]
    names = reference.load_indicator_catalog().set_index("indicator_id")["name_ru"]
    unmet = [
        names.get(i, i) for i in cur.loc[cur["target_status"] == "не достигнут", "indicator_id"]
    ]
    out: dict[str, Any] = {"year": year, "unmet_targets": unmet}
    dist = ctx.tables[TEACHERS_DISTRIBUTION]
    if dist is not None and not dist.empty and "share_ab" in dist:
        m = dist[(dist["level"] == "municipality") & (dist["year"] == year)]
        if not m.empty and pd.notna(m["share_ab"].iloc[0]):
            out["teachers_ab_share"] = float(m["share_ab"].iloc[0])
    return out


def stage_recommendations(ctx: Context) -> StageResult:
    """M10: recommendations per school, cluster and municipality."""
    values, levels = ctx.work["risk_values"], ctx.work["risk_levels"]
    forms = ctx.work.get("forms")  # parsed by ingest
    frame = ctx.schools().merge(
        risk_profile.school_columns(values, levels), on="school_id", how="left"
    )
    recs = recommendations.generate(
        frame,
        clusters=ctx.tables[CLUSTERS],
        pairs=ctx.tables[PAIRS],
        unpaired=ctx.tables[PAIRS_UNPAIRED],
        # one definition of the exclusion counts: the analysis window (objectivity.exclusion_counts)
        exclusions=objectivity.exclusions_in_window(
            ctx.work["exclusions"], objectivity.exclusion_window(ctx.params)
        ),
        municipal=_municipal_facts(ctx),
        rules=reference.load_recommendation_rules(),
        named=None if forms is None else recommendations.named_support(forms.mnc, forms.mtkp),
    )
    return StageResult(tables={RECOMMENDATIONS: recs})


def _targeted_help(sup: pd.DataFrame | None) -> float | None:
    """Item 11 of the methodical-help form: ШНОР given targeted help (None: no form)."""
    if sup is None or sup.empty:
        return None
    catalog = reference.load_indicator_catalog().set_index("indicator_id")
    item = catalog.loc[indicators.A41, "numerator"]
    row = sup[(sup["block"] == "help") & (sup["indicator_id"] == item)]
    return None if row.empty or pd.isna(row["score"].iloc[0]) else float(row["score"].iloc[0])


def stage_cycle(ctx: Context) -> StageResult:
    """The management cycle: the M3/M4 statuses of every year with data, who entered and left,
    the ШНОР count by both rules, the support effect, the early-warning group (with its
    back-test), and the indicators A41/A42 that need the
    ШНОР list and the methodical-help form (their «нет данных» rows of the indicators stage
    are replaced)."""
    p = ctx.params
    c = p.cycle
    index = ctx.tables[RESULTS_INDEX]
    ri = p.results_index
    history = cycle.status_history(
        index,
        window=p.window,
        low_years=ri.low_results_years,
        leader_years=ri.leader_years,
        rule=c.shnor_rule,
        absolute_threshold=c.absolute_below_min_share,
        risk=ctx.tables[RISK],
        exclusions=ctx.work["exclusions"],
        social=ctx.tables.get(SOCIAL_INDEX),
    )
    counts = cycle.status_counts(
        index,
        history,
        window=p.window,
        low_years=ri.low_results_years,
        absolute_threshold=c.absolute_below_min_share,
    )
    effect = cycle.support_effect(
        history, horizon=c.effect_horizon, confidence=p.confidence, window=p.window
    )
    warning, check = cycle.early_warning(history, window=p.window)
    a41_a42 = indicators.cycle_indicators(
        history,
        _targeted_help(ctx.tables.get(SUPPORT)),
        p.year,
        confidence=p.confidence,
        min_gain_quartiles=c.positive_dynamics_quartiles,
        catalog=reference.load_indicator_catalog(),
    )
    ind = ctx.tables[INDICATORS]
    if not a41_a42.empty:
        a41_a42 = a41_a42.astype({c: ind[c].dtype for c in a41_a42.columns if c in ind})
        kept = ind[~ind["indicator_id"].isin(set(a41_a42["indicator_id"]))]
        ind = indicators.order_rows(
            pd.concat([kept, a41_a42], ignore_index=True), reference.load_indicator_catalog()
        )
    notes = [
        Note("cycle", "info", t, table=STATUS_HISTORY)
        for t in cycle.history_notes(history, p.window)
    ]
    return StageResult(
        tables={
            INDICATORS: ind,
            STATUS_HISTORY: history,
            STATUS_COUNTS: counts,
            TRANSITIONS: cycle.transitions(history),
            SUPPORT_EFFECT: effect,
            EARLY_WARNING: warning,
            EARLY_WARNING_CHECK: check,
            GROUP_DYNAMICS: cycle.group_dynamics(
                history,
                index,
                cycle.below_min_by_year(ctx.work.get("gia_marked")),
                confidence=p.confidence,
            ),
        },
        notes=notes,
    )


def stage_spravka(ctx: Context) -> StageResult:
    """«Аналитическая справка»: the numbered conclusions and the proposed management decisions,
    by rules, from the tables as they are published (small groups already suppressed, so the
    справка cites no figure the tables hide)."""
    p = ctx.params
    tables = publish.for_publication({SCHOOLS: ctx.schools(), **ctx.tables}, p.min_group_size)
    inp = conclusions.Inputs(
        tables,
        year=p.year,
        years=p.years,
        confidence=p.confidence,
        catalog=reference.load_indicator_catalog(),
        absolute_below_min_share=p.cycle.absolute_below_min_share,
    )
    return StageResult(
        tables={
            CONCLUSIONS: conclusions.generate(inp),
            MANAGEMENT_DECISIONS: decisions.generate(inp, decision_rules.load()),
        }
    )


def stage_follow_up(ctx: Context) -> StageResult:
    """Last year's management decisions against this year's indicators (when
    outputs/<m>/<year−1>/tables/management_decisions.csv exists) and the forms against the
    computed ШНОР list and pairs."""
    from shnor_lib.methods import support as support_m

    p = ctx.params
    prev = p.root / p.paths.outputs / p.municipality / str(p.year - 1) / "tables"
    path = prev / "management_decisions.csv"
    notes: list[Note] = []
    last_decisions = publish.read_csv(path) if path.is_file() else None
    if last_decisions is None:
        notes.append(
            Note(
                "follow_up",
                "info",
                f"Управленческих решений прошлого года нет ({p.year - 1} г.: нет файла "
                "management_decisions.csv среди таблиц прошлогоднего отчёта) — контроль "
                "исполнения не построен.",
                table=FOLLOW_UP,
            )
        )
    date = str(support_m.report_date(p).date())
    follow = cycle.follow_up(last_decisions, ctx.tables[INDICATORS], p.year, date)
    schools = ctx.schools()
    low = set(
        schools.loc[schools["low_results"].fillna(False).astype(bool), "school_id"].astype(str)
    )
    check = cycle.forms_crosscheck(
        ctx.tables.get(SUPPORT), low, len(schools), ctx.tables.get(PAIRS)
    )
    return StageResult(tables={FOLLOW_UP: follow, FORMS_CROSSCHECK: check}, notes=notes)


# The pipeline, in the order docs/methods.md fixes. A stage may read only what the stages above it
# produced; M3 comes after M5 because ИОР is computed after the objectivity exclusions, and
# M1 after M3 because A37–A40 are computed over the teachers of ШНОР.
STAGES: list[Stage] = [
    Stage("ingest", "Проверка исходных данных", stage_ingest),
    Stage("tasks", "Статистика ВПР и дефициты по заданиям", stage_tasks),
    Stage("min_scores", "Минимальные баллы ГИА (M2)", stage_min_scores),
    Stage("objectivity", "Объективность результатов ВПР (M5)", stage_objectivity),
    Stage("results_index", "ИОР после исключений, ШНОР и лидеры (M3)", stage_results_index),
    Stage("social_index", "Индекс социального благополучия (M4)", stage_social_index),
    Stage("indicators", "Расчёт показателей (M1)", stage_indicators),
    Stage("teachers", "Педагогические кадры (M6)", stage_teachers),
    Stage("support", "Методическая помощь, МНЦ, МТКП, дорожная карта (M7)", stage_support),
    Stage("cycle", "Динамика статусов и эффект поддержки", stage_cycle),
    Stage("risk_profile", "Профиль рисков (M8)", stage_risk_profile),
    Stage("clusters", "Кластеры ОО (M8)", stage_clusters),
    Stage("pairing", "Пары со школами-лидерами (M9)", stage_pairing),
    Stage("follow_up", "Контроль решений прошлого года и сверка форм", stage_follow_up),
    Stage("recommendations", "Рекомендации (M10)", stage_recommendations),
    Stage("spravka", "Аналитическая справка: выводы и управленческие решения", stage_spravka),
]
WRITE_TITLE = "Запись таблиц"


def stage_names() -> list[str]:
    return [s.name for s in STAGES]


def _position(name: str) -> int:
    names = stage_names()
    if name not in names:
        raise ValueError(f"unknown stage {name!r}; stages: {', '.join(names)}")
    return names.index(name)


# ------------------------------------------------------------------------------ running


def run(
    params: Params,
    until: str | None = None,
    start: str | None = None,
    *,
    ctx: Context | None = None,
    progress: Progress | None = None,
    region_sample: pd.DataFrame | None = None,
    region_fit: Any = None,
    write: bool = True,
) -> Context:
    """Run the stages from ``start`` (default: the first; then ``ctx`` must hold every
    earlier stage) through ``until`` (default: the last, and then write the outputs unless
    ``write`` is False — ``published_tables(ctx)`` then gives them in memory).

    ``region_sample`` / ``region_fit``: the region's school-years (and the ИСБ model already
    fitted on them) for M4 when its fit scope resolves to the region."""
    first = 0 if start is None else _position(start)
    last = len(STAGES) - 1 if until is None else _position(until)
    if ctx is None:
        if first > 0:
            raise ValueError(f"run(start={start!r}) needs the context of the earlier stages")
        ctx = Context(params=params)
    missing = [s.name for s in STAGES[:first] if s.name not in ctx.done]
    if missing:
        raise ValueError(f"run(start={start!r}): stages not run yet: {', '.join(missing)}")
    if region_sample is not None:
        ctx.region_sample, ctx.region_fit = region_sample, region_fit
    for stage in STAGES[first : last + 1]:
        if progress:
            detail = f": {params.raw_dir()}" if stage.name == "ingest" else ""
            progress(f"{stage.title_ru}{detail}…")
        ctx.add(stage.name, stage.run(ctx))
    if last == len(STAGES) - 1 and write:
        if progress:
            progress(f"{WRITE_TITLE}…")
        ctx.out_dir = write_outputs(published_tables(ctx), manifest(ctx).to_dict(), params)
        if progress:
            progress(f"Расчёт завершён за {console.since(ctx.t0)}")
    return ctx


def compute(params: Params, progress: Progress | None = None) -> Path:
    """Every stage and the outputs (``shnor compute``); return the tables folder."""
    out = run(params, progress=progress).out_dir
    assert out is not None
    return out


def published_tables(ctx: Context) -> dict[str, pd.DataFrame]:
    """``schools`` (assembled here, once) and every stage's tables, in ``tables.PUBLISHED``
    order; a table no constant declares is an error, not a silently extra sheet."""
    made = {SCHOOLS: ctx.schools(), **ctx.tables}
    unknown = sorted(set(made) - set(PUBLISHED))
    if unknown:
        raise KeyError(f"tables not declared in shnor_lib.tables.PUBLISHED: {unknown}")
    return {name: made[name] for name in PUBLISHED if name in made}


def manifest(ctx: Context) -> Manifest:
    """results.json for the finished run."""
    p = ctx.params
    pooled = None
    if ctx.region_sample is not None and ctx.work.get("social_scope") == "region":
        pooled = {
            "schools": int(ctx.region_sample["school_id"].nunique()),
            "school_years": len(ctx.region_sample),
        }
    return Manifest(
        municipality=p.municipality,
        title=p.title,
        year=p.year,
        years=p.years,
        library_version=__version__,
        params_source=p.source,
        params=p.to_dict(),
        sources=ctx.sources,
        notes=ctx.notes,
        region_sample=pooled,
    )


def write_outputs(tables: dict[str, pd.DataFrame], manifest: dict, params: Params) -> Path:
    """tables/*.csv, tables.xlsx and results.json, replaced together only when complete."""
    out_dir = params.output_dir()
    published = publish.for_publication(tables, params.min_group_size)
    with atomic.staged_dir(out_dir) as tmp:  # the whole year folder, swapped in at the end
        shutil.rmtree(tmp / "tables", ignore_errors=True)
        (tmp / "tables").mkdir()
        for name, frame in published.items():
            publish.write_csv(frame, tmp / "tables" / f"{name}.csv")
        publish.write_xlsx(published, tmp / "tables.xlsx")
        (tmp / "results.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True, default=str), "utf-8"
        )
    return out_dir / "tables"


def load_results(params: Params) -> Results:
    """The computed tables (as published) and the manifest, for the report notebook."""
    out_dir = atomic.current(params.output_dir(), "results.json")  # a run's own staging
    manifest_path = out_dir / "results.json"
    if not manifest_path.exists():
        from shnor_lib.errors import ShnorError

        raise ShnorError(
            f"Нет рассчитанных таблиц в {out_dir}: выполните shnor compute",
            f"No computed tables in {out_dir}: run shnor compute",
        )
    manifest = json.loads(manifest_path.read_text("utf-8"))
    tables = {p.stem: publish.read_csv(p) for p in sorted((out_dir / "tables").glob("*.csv"))}
    return Results(params=params, tables=tables, manifest=manifest)
