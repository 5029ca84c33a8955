"""`shnor compute`: validated tables → every computed table in outputs/<m>/<year>/tables/.

Stages run in the order METHODS.md fixes; each stage is a library module. Outputs are
written to a temporary folder and moved into place only when all of them are complete.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import (
    __version__,
    clusters,
    indicators,
    ingest,
    min_scores,
    objectivity,
    pairing,
    publish,
    recommendations,
    reference,
    results_index,
    risk_profile,
    social_index,
    support,
    teachers,
)
from .config import Params
from .io import atomic


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


def results_stage(
    data: dict[str, pd.DataFrame],
    params: Params,
    exclusions: pd.DataFrame | None = None,
    marked: pd.DataFrame | None = None,
    reuse: tuple | None = None,
) -> dict[str, pd.DataFrame]:
    """M2 and M3: minimum scores, risk sign, ИОР components (after exclusions), classes.

    ``reuse``: ``ObjectivityResult.index_after`` — M5 computed ИОР after the exclusions for
    its effect table; when it did so with the same years and window (and this call's
    defaults) its components and index are taken instead of being computed again."""
    conf = params.confidence
    years = data_years(data, params)
    marked = gia_marked(data) if marked is None else marked
    per_proc = min_scores.by_procedure(marked, conf) if marked is not None else pd.DataFrame()
    risk = min_scores.risk_sign(
        per_proc,
        share=params.min_scores.risk_share,
        procedures=params.min_scores.risk_procedures,
        min_results=params.min_scores.min_results,
    )
    weights = {k: v.weight for k, v in params.results_index.components.items()}
    if reuse is not None and reuse[:3] == (
        tuple(years),
        int(params.window),
        int(params.min_group_size),
    ):
        comps, index = reuse[3], reuse[4]
    else:
        comps = results_index.components(
            data, marked, years, params.window, exclusions, min_n=params.min_group_size
        )
        index = results_index.compute_index(
            comps,
            weights,
            method=params.results_index.scaling,
            min_weight_share=params.results_index.min_weight_share,
        )
    excluded = results_index.leader_disqualified(exclusions, params.years)
    classes = results_index.classify(
        index,
        params.year,
        params.years,
        low_years=params.results_index.low_results_years,
        leader_years=params.results_index.leader_years,
        risk=risk,
        excluded_schools=excluded,
    )
    pooled = (
        min_scores.pooled_window(marked, params.years, conf)
        if marked is not None
        else pd.DataFrame(columns=["school_id", "below", "n", "share", "ci_low", "ci_high"])
    )
    return {
        "min_scores": per_proc,
        "min_scores_window": pooled,
        "risk": risk,
        "results_index": index,
        "classes": classes,
    }


@dataclass
class Early:
    """The stages before ИСБ (M1, M5, M2, M3) and the schools table they fill.

    A region run computes these for every municipality first, pools the school-years of
    the region for the ИСБ fit, then finishes each municipality (:func:`compute_late`).
    """

    ind: pd.DataFrame
    c1: pd.DataFrame
    obj: objectivity.ObjectivityResult
    res: dict[str, pd.DataFrame]
    schools: pd.DataFrame
    marked: pd.DataFrame | None = None  # ГИА with the minimum-score flags (M2)


def compute_early(
    data: dict[str, pd.DataFrame], params: Params, progress: Callable[[str], None] | None = None
) -> Early:
    """M1 indicators, M5 objectivity, M2/M3 after exclusions, and the schools table."""
    _stage(progress, "Расчёт показателей (M1)…")
    ind = indicators.compute(
        data, confidence=params.confidence, ege_high_score=params.indicators.ege_high_score
    )
    c1 = indicators.temryuk_dynamics(data, confidence=params.confidence)
    marked = gia_marked(data)
    _stage(progress, "Объективность результатов ВПР (M5)…")
    obj = objectivity.stage(data, marked, params)
    _stage(progress, "Минимальные баллы ГИА и ИОР после исключений (M2, M3)…")
    res = results_stage(data, params, obj.exclusions, marked, reuse=obj.index_after)
    schools = schools_table(data, params)
    cls = res["classes"].set_index("school_id")
    for col in ("results_index", "results_quartile"):
        schools[col] = schools["school_id"].map(cls[col])
    for col in ("low_results", "risk_group", "leader"):
        schools[col] = schools["school_id"].isin(cls.index[cls[col].astype(bool)])
    schools["results_level"] = schools["results_quartile"].map(results_index.QUARTILE_LABELS)
    for col in ("low_results_reason", "risk_reason", "leader_reason"):
        schools[col] = schools["school_id"].map(cls[col])
    idx_now = res["results_index"]
    idx_now = idx_now[idx_now["year"] == params.year].set_index("school_id")["no_index_reason"]
    schools["no_index_reason"] = (
        schools["school_id"]
        .map(idx_now)
        .fillna("нет результатов, из которых складывается ИОР (ГИА, ВПР 5–6 кл.)")
    )
    schools.loc[
        schools["results_index"].notna() & (schools["no_index_reason"] == ""), "no_index_reason"
    ] = ""
    return Early(ind=ind, c1=c1, obj=obj, res=res, schools=schools, marked=marked)


def compute_late(
    data: dict[str, pd.DataFrame],
    params: Params,
    early: Early,
    progress: Callable[[str], None] | None = None,
    manifest: dict | None = None,
    *,
    region_sample: pd.DataFrame | None = None,
    region_fit=None,
) -> dict[str, pd.DataFrame]:
    """ИСБ (M4; with `region_sample`, the other municipalities' school-years, when its fit
    scope resolves to the region — `region_fit`: the model already fitted on it), M6–M10;
    all computed tables."""
    manifest = manifest if manifest is not None else {"warnings": [], "sources": []}
    marked = early.marked if early.marked is not None else gia_marked(data)
    manifest["warnings"].extend(_gia_warnings(marked, params))
    obj, res, schools = early.obj, early.res, early.schools
    _stage(progress, "Индекс социального благополучия (M4)…")
    soc = social_index.stage(
        data,
        res["results_index"],
        res["classes"],
        params,
        region_sample=region_sample,
        region_fit=region_fit,
    )
    _merge_school_columns(schools, soc.schools)
    _stage(progress, "Педагогические кадры, методическая помощь, МНЦ, МТКП (M6, M7)…")
    tch = teachers.stage(data, params)
    sup = support.stage(params.raw_dir(), data, params)
    manifest["warnings"].extend(sup.warnings)
    manifest["sources"].extend(dict(source) for source in sup.sources)
    _stage(progress, "Риски, кластеры, пары со школами-лидерами, рекомендации (M8–M10)…")
    ind, c1 = early.ind, early.c1
    ind_all = pd.concat([ind, c1], ignore_index=True) if not c1.empty else ind
    actions = actions_stage(data, params, schools, tch, res, ind_all, exclusions=obj.exclusions)
    manifest.setdefault("notes", {})["clusters"] = actions.pop("_cluster_notes")
    manifest["social_scope"] = soc.summary.get("scope")
    return {
        "schools": schools,
        "indicators": ind_all,
        "participants": indicators.participants(data),
        "results_index": res["results_index"],
        "min_scores": res["min_scores"],
        "min_scores_window": res["min_scores_window"],
        "risk": res["risk"],
        **obj.tables(),
        **soc.tables(),
        "teachers_by_school": tch.by_school,
        "teachers_distribution": tch.distribution,
        "support": sup.table,
        "roadmap_overdue": sup.overdue,
        "support_notes": support.notes_table(sup, tch),
        **actions,
    }


def compute_results(
    data: dict[str, pd.DataFrame],
    params: Params,
    progress: Callable[[str], None] | None = None,
    manifest: dict | None = None,
    *,
    region_sample: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """All computed tables from validated data; forms are read from the raw folder.

    Warnings and input files found along the way are appended to `manifest`.
    """
    early = compute_early(data, params, progress)
    return compute_late(data, params, early, progress, manifest, region_sample=region_sample)


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


def actions_stage(
    data: dict[str, pd.DataFrame],
    params: Params,
    schools: pd.DataFrame,
    tch,
    res: dict[str, pd.DataFrame],
    ind: pd.DataFrame,
    exclusions: pd.DataFrame | None,
) -> dict:
    """M8–M10: risk profile, clusters, leader pairs and recommendations; fills `schools`."""
    ctx = data["context"]
    dist = tch.distribution
    ab = None
    if dist is not None and not dist.empty and "share_ab" in dist:
        cur = dist[(dist["level"] == "school") & (dist["year"] == params.year)]
        ab = cur.set_index("school_id")["share_ab"]
    window = res["min_scores_window"]
    below = window.assign(share=window["share"].where(window["n"] >= params.min_group_size))
    values = risk_profile.factor_values(
        schools,
        ctx[ctx["year"] == params.year],
        teachers_ab_share=ab,
        vpr_fail_share=vpr_fail_share(data, params, exclusions)[["school_id", "share"]],
        below_min_share=below[["school_id", "share"]],
    )
    levels = risk_profile.levels(values, method=params.clusters.risk_levels)
    top = risk_profile.top_risks(levels)
    schools["top_risks"] = schools["school_id"].map(top).fillna("")
    cres = clusters.cluster(
        clusters.profile_frame(values, schools),
        k_min=params.clusters.k_min,
        k_max=params.clusters.k_max,
        method=params.clusters.method,
    )
    schools["cluster"] = schools["school_id"].map(cres.labels).astype("Int64")
    pres = pairing.pair(schools, max_pairs_per_leader=params.pairing.max_pairs_per_leader)
    cur_ind = ind[(ind["level"] == "municipality") & (ind["year"] == params.year)]
    names = indicators.load_catalog().set_index("indicator_id")["name_ru"]
    unmet = [
        names.get(i, i)
        for i in cur_ind.loc[cur_ind["target_status"] == "не достигнут", "indicator_id"]
    ]
    municipal = {"year": params.year, "unmet_targets": unmet}
    if dist is not None and not dist.empty and "share_ab" in dist:
        m = dist[(dist["level"] == "municipality") & (dist["year"] == params.year)]
        if not m.empty and pd.notna(m["share_ab"].iloc[0]):
            municipal["teachers_ab_share"] = float(m["share_ab"].iloc[0])
    frame = schools.merge(risk_profile.school_columns(values, levels), on="school_id", how="left")
    recs = recommendations.generate(
        frame,
        clusters=cres.table(),
        pairs=pres.pairs,
        unpaired=pres.unpaired,
        exclusions=exclusions,
        municipal=municipal,
    )
    return {
        "risk_levels": risk_profile.long_table(values, levels),
        "clusters": cres.table(),
        "pairs": pres.pairs,
        "pairs_unpaired": pres.unpaired,
        "recommendations": recs,
        "_cluster_notes": list(cres.notes),
    }


def _merge_school_columns(schools: pd.DataFrame, extra: pd.DataFrame) -> None:
    """Fill (or add) the columns of a per-school stage result into schools, in place."""
    by_id = extra.set_index("school_id")
    for col in by_id.columns:
        schools[col] = schools["school_id"].map(by_id[col])


@dataclass
class Prepared:
    """A municipality after ingest and the stages before ИСБ (see :func:`prepare`)."""

    params: Params
    data: dict[str, pd.DataFrame]
    found: dict
    early: Early
    t0: float


def prepare(params: Params, progress: Callable[[str], None] | None = None) -> Prepared:
    """Ingest and validate (writing data/processed), then M1, M5, M2, M3."""
    t0 = _stage(progress, f"Проверка исходных данных: {params.raw_dir()}…")
    result = ingest.run(params)
    data = result.tables
    found = {"warnings": list(result.warnings), "sources": [s.__dict__ for s in result.sources]}
    early = compute_early(data, params, progress)
    return Prepared(params=params, data=data, found=found, early=early, t0=t0)


def finish(
    prep: Prepared,
    progress: Callable[[str], None] | None = None,
    *,
    region_sample: pd.DataFrame | None = None,
    region_fit=None,
) -> Path:
    """ИСБ and the later stages, then write every table; return the tables folder."""
    params, found = prep.params, prep.found
    tables = compute_late(
        prep.data,
        params,
        prep.early,
        progress,
        found,
        region_sample=region_sample,
        region_fit=region_fit,
    )
    _stage(progress, "Запись таблиц…")
    manifest = {
        "municipality": params.municipality,
        "title": params.title,
        "year": params.year,
        "years": params.years,
        "library_version": __version__,
        "params_source": params.source,
        "params": params.to_dict(),
        "sources": found["sources"],
        "warnings": found["warnings"],
    }
    if region_sample is not None and found.get("social_scope") == "region":
        manifest["region_sample"] = {
            "schools": int(region_sample["school_id"].nunique()),
            "school_years": len(region_sample),
        }
    out = write_outputs(tables, manifest, params)
    if progress:
        progress(f"Расчёт завершён за {time.perf_counter() - prep.t0:.1f} с")
    return out


def compute(
    params: Params,
    progress: Callable[[str], None] | None = None,
    *,
    region_sample: pd.DataFrame | None = None,
) -> Path:
    """Ingest, validate, compute and write all tables; return the tables folder.

    `region_sample`: school-years of the other municipalities of the region for the ИСБ fit
    (see :func:`shnor_lib.region.compute_region`)."""
    return finish(prepare(params, progress), progress, region_sample=region_sample)


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
        from .errors import ShnorError

        raise ShnorError(
            f"Нет рассчитанных таблиц в {out_dir}: выполните shnor compute",
            f"No computed tables in {out_dir}: run shnor compute",
        )
    manifest = json.loads(manifest_path.read_text("utf-8"))
    tables = {p.stem: publish.read_csv(p) for p in sorted((out_dir / "tables").glob("*.csv"))}
    return Results(params=params, tables=tables, manifest=manifest)
