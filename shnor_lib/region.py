"""A whole region in one run: every municipality's tables, then a comparison between them.

A region is a folder of municipality folders (``<raw>/<municipality>/…``, as ``shnor synth
--region`` writes). Each municipality is computed exactly as ``shnor compute`` computes it,
with one difference that only a region run can make: the ИСБ fit scope. With
``social_index.scope: auto`` (the default) a municipality with fewer than
``social_index.min_schools`` schools with ИОР is fitted on the school-years of the whole
region — its own and every other municipality's (context candidates and ИОР after each
municipality's own objectivity exclusions) — instead of its own few schools; ``scope:
region`` does that for every municipality and ``scope: municipality`` for none. ИОР is
scaled within each municipality (``results_index.reference: municipality``, the default),
so the pooled outcome is each school's position in its own municipality.

With ``results_index.reference: region`` (``shnor region --reference region``) ИОР is scaled
and ranked over every school of the region together: phase 0 runs the stages before ИОР in
every municipality, :func:`pooled_index` computes ИОР on the pooled components, and each
municipality goes on from M3 with its rows — ШНОР, leaders and (the ИСБ fit then pooled too)
ШССУ are identified across the region, and the shares compare municipalities on one scale.

How the run goes (:func:`compute_region`): phase 1 ingests every municipality and computes
the stages before ИСБ (``pipeline.run(until="results_index")``: M1, M2, M5, M3); a municipality whose fit scope stays municipal is
finished at once. Then the region sample is pooled (in municipality order, so the result
does not depend on which process finished first) and the regional ИСБ model is fitted
once — every municipality with region scope would fit the same rows. Phase 2 finishes
those municipalities with it. Both phases run in a pool of worker processes (``workers``,
default: the number of CPUs, at most 2 unless asked; ``workers=1`` runs in this process
and gives byte-identical tables); each municipality's tables are written atomically as by
``shnor compute``.

The regional summary (:func:`write_summary`) compares the municipalities — shares of ШНОР
and ШССУ, objectivity exclusions, indicator targets met — from their published tables and
feeds ``notebooks/region.ipynb`` (:func:`render_region` → ``outputs/regions/<region>/<year>/
region.html``).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from shnor_lib import __version__, console, pipeline
from shnor_lib.config import Params, check_id, load_params
from shnor_lib.errors import ShnorError, ValidationError
from shnor_lib.io import atomic, publish, reference
from shnor_lib.tables import RESULTS_INDEX

SUMMARY_COLUMNS = [
    "municipality",
    "title",
    "year",
    "n_schools",
    "n_with_index",
    "n_low_results",
    "share_low_results",
    "n_hard_context",
    "share_hard_context",
    "n_low_and_hard",
    "n_leaders",
    "n_resilient",
    "n_units_tested",
    "n_excluded_units",
    "share_excluded_units",
    "n_excluded_schools",
    "targets_met",
    "targets_not_met",
    "targets_undetermined",
    "targets_no_data",
    "targets_defined",
    "share_targets_met",
    "social_scope",
    "social_r2",
    "vpr_results",
    "gia_results",
    "reference",
    "help_score",
    "mnc_score",
    "mtkp_score",
    "roadmap_completeness",
    "roadmap_timeliness",
    "risk_high_per_school",
    "top_risk_category",
]
# region_schools.csv: ШНОР, ШССУ and leaders of the whole region (its reference: municipal or
# regional quartiles, as the «reference» column of the summary says)
SCHOOL_COLUMNS = [
    "municipality",
    "school_id",
    "school_name",
    "results_index",
    "results_quartile",
    "low_results",
    "hard_context",
    "leader",
]
# support.csv rows (block, indicator_id) of the municipality level shown by municipality
SUPPORT_SCORES = {
    "help_score": ("help", "help_presence_total"),
    "mnc_score": ("mnc", "mnc_total"),
    "mtkp_score": ("mtkp", "mtkp_total"),
    "roadmap_completeness": ("roadmap", "roadmap_completeness"),
    "roadmap_timeliness": ("roadmap", "roadmap_timeliness"),
}
# the published tables (and columns) a summary row is made of: reading every table whole
# took 0.3 s a municipality, most of it objectivity.csv (~3 MB)
SUMMARY_TABLES: dict[str, tuple[str, ...] | None] = {
    "schools": None,
    "objectivity": ("year", "check", "n", "excluded", "school_id", "procedure", "grade", "subject"),
    "indicators": ("level", "year", "indicator_id", "value", "target", "target_status"),
    "social_fit": None,
    "participants": None,
    "support": ("block", "indicator_id", "unit", "share_of_max"),
    "risk_levels": ("school_id", "category_name", "level"),
}
TARGET_COLUMNS = ["municipality", "indicator_id", "value", "target", "target_status"]
STATUS_MET, STATUS_NOT_MET, STATUS_UNDETERMINED = "достигнут", "не достигнут", "не определён"
STATUS_NO_DATA = "нет данных"  # an indicator with a target and no inputs (indicators.NO_DATA)
DEFAULT_NOTEBOOK = "notebooks/region.ipynb"
# the region run stops every municipality after ИОР and resumes it at ИСБ (whose fit may pool
# the region's school-years)
BEFORE_ISB, ISB = "results_index", "social_index"
# with results_index.reference: region it also stops before ИОР, whose scale and quartiles
# are then set by every school of the region together
BEFORE_INDEX = "objectivity"


# Params ------------------------------------------------------------------------------------


def municipality_folders(raw_root: Path) -> list[Path]:
    """Folders under ``raw_root`` holding a municipality (a schools.csv or schools.xlsx)."""
    raw_root = Path(raw_root)
    if not raw_root.is_dir():
        raise ShnorError(
            f"Папка региона не найдена: {raw_root}", f"Region folder not found: {raw_root}"
        )
    folders = sorted(
        p
        for p in raw_root.iterdir()
        if p.is_dir() and any((p / f"schools.{ext}").exists() for ext in ("csv", "xlsx"))
    )
    if not folders:
        raise ShnorError(
            f"В папке {raw_root} нет муниципалитетов (папок с schools.csv)",
            f"No municipality folders (with schools.csv) in {raw_root}",
        )
    return folders


def params_dir(root: Path, region: str, year: int, outputs: str = "outputs") -> Path:
    """Where a region run keeps the params files it generates for its municipalities."""
    # not "params": load_params would take the folder above it for the project root
    return summary_dir(root, region, year, outputs) / "municipality_params"


def region_params(
    raw_root: Path,
    region: str,
    year: int,
    *,
    root: Path,
    paths: dict[str, str] | None = None,
    params_source: Path | None = None,
    reference: str | None = None,
) -> list[Params]:
    """Params for every municipality folder under ``raw_root`` (sorted by id).

    A municipality with ``<params_source>/<id>.yml`` (default ``<root>/params``) uses that
    file; the others get the package defaults. Either way ``region``, ``year`` and the raw
    folder are set here, and the effective overrides are written to
    ``outputs/regions/<region>/<year>/municipality_params/<id>.yml`` (the report notebook reloads
    params from that file). ``paths`` overrides ``paths.processed`` / ``paths.outputs`` (the benchmark
    keeps everything under outputs/bench). ``reference`` («municipality» | «region»), when
    given, sets ``results_index.reference`` of every municipality (region: ИОР and the ИСБ
    quartiles over the whole region).
    """
    if bad_id := check_id(region, "region", "--region"):  # a folder name under outputs/
        raise ValidationError(bad_id)
    root = Path(root).resolve()
    raw_root = Path(raw_root).resolve()
    folders = municipality_folders(raw_root)
    raw = str(raw_root.relative_to(root)) if raw_root.is_relative_to(root) else str(raw_root)
    source_dir = Path(params_source) if params_source is not None else root / "params"
    common: dict = {"region": region, "year": int(year), "paths": {**(paths or {}), "raw": raw}}
    if reference is not None:
        common["results_index"] = {"reference": reference}
    out_dir = params_dir(root, region, int(year), (paths or {}).get("outputs", "outputs"))
    out_dir.mkdir(parents=True, exist_ok=True)
    result = []
    for folder in folders:
        own = source_dir / f"{folder.name}.yml"
        if own.is_file():
            result.append(load_params(own, root=root, overrides=common))
            continue
        overrides = {
            "municipality": folder.name,
            "title": f"Муниципалитет {folder.name}",
            **common,
        }
        load_params(None, root=root, overrides=overrides)  # validate before writing
        path = out_dir / f"{folder.name}.yml"
        text = (
            "# Параметры, созданные shnor region для муниципалитета без своего файла params/.\n"
            + yaml.safe_dump(overrides, allow_unicode=True, sort_keys=False)
        )
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
        result.append(load_params(path, root=root))
    return result


def params_for_region(params_dir_: Path, region: str) -> list[Params]:
    """Params files of ``params_dir_`` whose ``region:`` is ``region``."""
    out = [
        p for p in (load_params(f) for f in sorted(params_dir_.glob("*.yml"))) if p.region == region
    ]
    if not out:
        raise ShnorError(
            f"Нет файлов параметров с region: {region} в {params_dir_}",
            f"No params files with region: {region} in {params_dir_}",
        )
    return out


# Compute -----------------------------------------------------------------------------------


class StageTimes:
    """A ``progress`` callback that adds up the time between stage messages (by stage name,
    see ``pipeline.STAGES``; ``write`` for writing the tables)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._label: str | None = None
        self._t = time.perf_counter()

    def __call__(self, message: str) -> None:
        self.stop()
        self._label = _STAGE_KEYS.get(message.split("…")[0].split(":")[0].strip())
        self._t = time.perf_counter()

    def stop(self) -> None:
        now = time.perf_counter()
        if self._label:
            self.times[self._label] = self.times.get(self._label, 0.0) + now - self._t
        self._label, self._t = None, now


# pipeline progress messages → stage names (bench table)
_STAGE_KEYS = {s.title_ru: s.name for s in pipeline.STAGES} | {pipeline.WRITE_TITLE: "write"}


def _summarized(params: Params, times: dict[str, float], summarize: bool):
    """The municipality's summary row (read back from its published tables), timed."""
    if not summarize:
        return None
    t = time.perf_counter()
    out = municipality_summary(params)
    times["summary"] = times.get("summary", 0.0) + time.perf_counter() - t
    return out


def regional_reference(params: Params) -> bool:
    """ИОР (and the ИСБ quartiles) over the whole region: ``results_index.reference: region``."""
    return params.results_index.reference == "region"


def _phase0(
    params: Params, state_dir: str
) -> tuple[str, pd.DataFrame, pd.DataFrame | None, str, dict[str, float]]:
    """Worker (``results_index.reference: region``): ingest + stages before ИОР; returns the
    raw ИОР components (after and before the exclusions) and the path of the saved state."""
    clock = StageTimes()
    ctx = pipeline.run(params, until=BEFORE_INDEX, progress=clock)
    after, before = pipeline.index_components(ctx)
    clock.stop()
    path = Path(state_dir) / f"{params.municipality}.idx.pkl"
    with open(path, "wb") as fh:
        pickle.dump(ctx, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return params.municipality, after, before, str(path), clock.times


def _index_key(params: Params) -> str:
    ri = params.results_index
    weights = [
        (k, float(v.weight)) for k, v in [*ri.components.items(), *ri.primary_components.items()]
    ]
    return repr((sorted(weights), sorted(ri.primary_components), ri.scaling, ri.min_weight_share))


def pooled_index(
    params_list: list[Params],
    comps: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]],
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]:
    """ИОР scaled and ranked over every school of the region (``reference: region``): the
    components of all municipalities pooled, one ``compute_index``, then each
    municipality's rows (their quartiles are the region's). Returns municipality →
    (ИОР, ИОР before the exclusions or None)."""
    by_name = {p.municipality: p for p in params_list}
    keys = {_index_key(by_name[m]) for m in comps}
    if len(keys) > 1:
        raise ShnorError(
            "results_index.reference: region требует одинаковых параметров ИОР (веса, "
            "шкалирование) у всех муниципалитетов региона — выровняйте params/<m>.yml",
            "results_index.reference: region needs the same ИОР params in every municipality",
        )
    owner: dict[str, str] = {}
    for m in sorted(comps):
        for sid in comps[m][0]["school_id"].astype(str).unique():
            if sid in owner:
                raise ShnorError(
                    f"Код ОО {sid} есть в двух муниципалитетах ({owner[sid]} и {m}): для ИОР "
                    "по региону коды ОО должны быть уникальны в регионе",
                    f"School id {sid} is in two municipalities ({owner[sid]}, {m})",
                )
            owner[sid] = m
    first = by_name[sorted(comps)[0]]
    after = pipeline.index_of(first, pd.concat([comps[m][0] for m in sorted(comps)]))
    raw = [comps[m][1] if comps[m][1] is not None else comps[m][0] for m in sorted(comps)]
    any_before = any(comps[m][1] is not None for m in comps)
    before = pipeline.index_of(first, pd.concat(raw)) if any_before else None
    out = {}
    for m in sorted(comps):
        own = after["school_id"].astype(str).map(owner) == m
        b = None
        if comps[m][1] is not None and before is not None:
            b = before[before["school_id"].astype(str).map(owner) == m].reset_index(drop=True)
        out[m] = (after[own].reset_index(drop=True), b)
    return out


def _phase1(
    params: Params,
    pooled: bool,
    state_dir: str,
    summarize: bool = False,
    resume: tuple[str, tuple] | None = None,
) -> tuple[str, pd.DataFrame, str | None, dict[str, float], tuple | None]:
    """Worker: ingest + stages before ИСБ; finish now unless the ИСБ fit needs the region.

    ``resume``: (state saved by :func:`_phase0`, the municipality's regional ИОР) — go on
    from ИОР with it. Returns (municipality, its region rows, path of the saved state or None
    if finished, seconds by stage, its summary row if finished and ``summarize``)."""
    from shnor_lib.methods import social_index

    clock = StageTimes()
    if resume is None:
        ctx = pipeline.run(params, until=BEFORE_ISB, progress=clock)
    else:
        with open(resume[0], "rb") as fh:
            ctx = pickle.load(fh)
        os.unlink(resume[0])
        ctx.work[pipeline.REGION_INDEX] = resume[1]
        pipeline.run(params, start=BEFORE_ISB, until=BEFORE_ISB, ctx=ctx, progress=clock)
    index = ctx.tables[RESULTS_INDEX]
    rows = social_index.region_rows(ctx.data, index, params)
    n_fit = social_index.fit_schools(index, ctx.data, params)
    if not pooled or social_index.fit_scope(params, n_fit, has_region=True) != "region":
        pipeline.run(params, start=ISB, ctx=ctx, progress=clock)
        clock.stop()
        summary = _summarized(params, clock.times, summarize)
        return params.municipality, rows, None, clock.times, summary
    clock.stop()
    path = Path(state_dir) / f"{params.municipality}.pkl"
    with open(path, "wb") as fh:
        pickle.dump(ctx, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return params.municipality, rows, str(path), clock.times, None


def _phase2(
    state: str, region_sample: pd.DataFrame, region_fit, summarize: bool = False
) -> tuple[str, dict[str, float], tuple | None]:
    """Worker: the saved municipality with the region sample (and the regional ИСБ model)."""
    with open(state, "rb") as fh:
        ctx = pickle.load(fh)
    os.unlink(state)
    clock = StageTimes()
    params = ctx.params
    pipeline.run(
        params,
        start=ISB,
        ctx=ctx,
        progress=clock,
        region_sample=region_sample,
        region_fit=region_fit,
    )
    clock.stop()
    summary = _summarized(params, clock.times, summarize)
    return params.municipality, clock.times, summary


def default_workers() -> int:
    """Worker processes for a region run: the CPUs this process may use, at most 2.

    Two because the measured gain stops there on the 2-core reference machine and each
    worker holds one municipality in memory; ``--workers`` asks for more."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        n = os.cpu_count() or 1
    return max(1, min(2, n))


def _executor(workers: int):
    import concurrent.futures as cf
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["shnor_lib.pipeline", "shnor_lib.region"])
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


class _Serial:
    """The executor interface, run in this process (workers=1: no pickling, no forks)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        import concurrent.futures as cf

        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 (re-raised by fut.result())
            fut.set_exception(exc)
        return fut


def compute_region(
    params_list: list[Params],
    progress: Callable[[str], None] | None = None,
    *,
    workers: int | None = None,
    pooled: bool = True,
    stage_times: dict[str, float] | None = None,
    summaries: dict[str, tuple[dict, pd.DataFrame]] | None = None,
) -> list[Path]:
    """``shnor compute`` for every municipality (see the module docstring); returns the
        tables folders in the order of ``params_list``.

        ``pooled=False`` never passes a region sample (every ИСБ fit stays municipal).
        ``stage_times``: filled with the seconds spent in each stage, summed over the
        municipalities (CPU-side time in the workers, not wall time). ``summaries``: filled with
    each municipality's :func:`municipality_summary`, made in the workers right after its tables
    are written (pass it to :func:`write_summary`). Failures are collected; after all municipalities were tried, one ShnorError lists them.
    """
    import concurrent.futures as cf

    if not params_list:
        raise ShnorError("Нет муниципалитетов для расчёта", "No municipalities to compute")
    workers = default_workers() if workers is None else max(1, int(workers))
    say = progress or (lambda _msg: None)
    first = params_list[0]
    base = summary_dir(first.root, first.region or "region", first.year, first.paths.outputs)
    base.mkdir(parents=True, exist_ok=True)
    state_dir = tempfile.mkdtemp(prefix=".region-state-", dir=base)
    # the largest municipalities first: the pool then ends with small ones (less idle time)
    order = sorted(range(len(params_list)), key=lambda i: -_raw_size(params_list[i]))
    failures: list[tuple[str, str, str]] = []
    rows: dict[str, pd.DataFrame] = {}
    deferred: dict[str, str] = {}
    t0 = time.perf_counter()
    # «[k/N]» counts municipalities whose tables are all written (k = N only when all are)
    done = console.Progress(len(params_list), say)
    resume: dict[str, tuple[str, tuple]] = {}
    try:
        with _executor(workers) if workers > 1 else _Serial() as pool:
            resume = _regional_index(
                pool, [params_list[i] for i in order], state_dir, stage_times, failures, say
            )
            futures = {
                pool.submit(
                    _phase1,
                    params_list[i],
                    pooled,
                    state_dir,
                    summaries is not None,
                    resume.get(params_list[i].municipality),
                ): params_list[i]
                for i in order
                if not (failures and regional_reference(params_list[i]))
            }
            for fut in _as_completed(futures):
                m = futures[fut].municipality
                try:
                    _, sample, state, times, summary = fut.result()
                except ShnorError as exc:
                    failures.append(_failure(m, exc, futures[fut]))
                    done.finished(f"{m}: ошибка (подробности — в конце)")
                    continue
                rows[m] = sample
                _add_times(stage_times, times)
                if summary is not None and summaries is not None:
                    summaries[m] = summary
                if state:
                    deferred[m] = state
                if state:
                    say(
                        f"{m}: таблицы до ИСБ рассчитаны; ИСБ — по модели региона, когда будут "
                        f"готовы все (с начала {console.since(t0)})"
                    )
                else:
                    done.finished(f"{m}: готово")
            if deferred and not failures:
                from shnor_lib.methods import social_index

                sample = region_sample(rows)
                by_name = {p.municipality: p for p in params_list}
                fits: dict[str, object] = {}  # one regional model per distinct M4 params
                t_fit = time.perf_counter()
                for m in sorted(deferred):
                    key = social_index.social_key(by_name[m])
                    if key not in fits:
                        fits[key] = social_index.fit_region(
                            sample,
                            by_name[m],
                            expected_signs=reference.load_social_expected_signs(),
                        )
                _add_times(stage_times, {ISB: time.perf_counter() - t_fit})
                say(
                    f"Модель ИСБ региона оценена (с начала {console.since(t0)}); расчёт "
                    f"муниципалитетов с ИСБ по региону: {len(deferred)}…"
                )
                futures2 = {
                    pool.submit(
                        _phase2,
                        deferred[m],
                        sample,
                        fits[social_index.social_key(by_name[m])],
                        summaries is not None,
                    ): m
                    for m in sorted(deferred)
                }
                for fut in _as_completed(futures2):
                    m = futures2[fut]
                    try:
                        _, times, summary = fut.result()
                    except ShnorError as exc:
                        failures.append(_failure(m, exc, by_name[m]))
                        done.finished(f"{m}: ошибка (подробности — в конце)")
                        continue
                    _add_times(stage_times, times)
                    if summary is not None and summaries is not None:
                        summaries[m] = summary
                    done.finished(f"{m}: ИСБ по региону, готово")
    except cf.process.BrokenProcessPool:
        raise ShnorError(
            "Рабочий процесс расчёта региона аварийно завершился (нехватка памяти?); "
            "попробуйте --workers 1",
            "A worker process of the region run died (out of memory?); try --workers 1",
        ) from None
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    if failures:
        ru = "\n".join(f"- {m}: {r}" for m, r, _ in sorted(failures))
        en = "; ".join(f"{m}: {e}" for m, _, e in sorted(failures))
        # phase 0 failed: the regional-ИОР municipalities were not computed at all
        regional = (
            set() if resume else {p.municipality for p in params_list if regional_reference(p)}
        )
        waiting = sorted((set(deferred) | regional) - {m for m, _, _ in failures})
        if waiting:  # their ИСБ model needs every municipality of the region
            ru += (
                f"\nНе рассчитаны из-за этого ({len(waiting)}): {', '.join(waiting)} — их ИСБ "
                "(или ИОР) оценивается по всему региону; исправьте ошибки и запустите снова"
            )
            en += (
                f"; not computed because of that ({len(waiting)}): {', '.join(waiting)} "
                "(their ИСБ model is fitted on the whole region)"
            )
        n_bad = len(failures) + len(waiting)
        raise ShnorError(
            f"Не рассчитано муниципалитетов: {n_bad} из {len(params_list)} "
            f"(с ошибками: {len(failures)})\n{ru}",
            f"{n_bad} of {len(params_list)} municipalities not computed "
            f"({len(failures)} failed): {en}",
        )
    return [p.output_dir() / "tables" for p in params_list]


def _regional_index(
    pool, params_list: list[Params], state_dir: str, stage_times, failures: list, say
) -> dict[str, tuple[str, tuple]]:
    """Phase 0 (``results_index.reference: region``): the stages before ИОР in every such
    municipality, then ИОР over the pooled schools. Returns municipality → (saved state, its
    regional ИОР) for :func:`_phase1`; on a failure nothing (they are listed in ``failures``
    and the regional ones are not computed: their ИОР needs every municipality)."""
    regional = [p for p in params_list if regional_reference(p)]
    if not regional:
        return {}
    futures = {pool.submit(_phase0, p, state_dir): p for p in regional}
    comps: dict[str, tuple] = {}
    states: dict[str, str] = {}
    for fut in _as_completed(futures):
        m = futures[fut].municipality
        try:
            _, after, before, state, times = fut.result()
        except ShnorError as exc:
            failures.append(_failure(m, exc, futures[fut]))
            continue
        comps[m], states[m] = (after, before), state
        _add_times(stage_times, times)
    if failures:
        return {}
    t = time.perf_counter()
    index = pooled_index(params_list, comps)
    _add_times(stage_times, {BEFORE_ISB: time.perf_counter() - t})
    say(f"ИОР рассчитан по всем ОО региона ({len(comps)} муниципалитетов)")
    return {m: (states[m], index[m]) for m in comps}


def _failure(m: str, exc: ShnorError, params: Params | None) -> tuple[str, str, str]:
    """(municipality, Russian, English) of a failed municipality; input problems listed
    (the first 5) with the command that lists them all."""
    ru, en = exc.message_ru, exc.message_en or exc.message_ru
    problems = getattr(exc, "problems", None)
    if problems:
        shown = "\n".join("  - " + p.format().replace("\n", "\n  ") for p in problems[:5])
        more = len(problems) - 5
        ru += ":\n" + shown + (f"\n  … и ещё {more}" if more > 0 else "")
        en += f" (first {min(5, len(problems))} listed above)"
        if params is not None and not str(params.source).startswith("<"):
            ru += f"\n  Полный список: shnor validate --params {params.source}"
            en += f"; full list: shnor validate --params {params.source}"
    return m, ru, en


def _add_times(total: dict[str, float] | None, times: dict[str, float]) -> None:
    if total is not None:
        for k, v in times.items():
            total[k] = total.get(k, 0.0) + v


def _as_completed(futures):
    import concurrent.futures as cf

    return cf.as_completed(futures)


def region_sample(rows: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every municipality's region rows, in municipality order, with a ``municipality``
    column (the pooled sample an ИСБ fit with region scope uses)."""
    parts = [frame.assign(municipality=m) for m, frame in sorted(rows.items()) if len(frame)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _raw_size(params: Params) -> int:
    folder = params.raw_dir()
    return sum(p.stat().st_size for p in folder.glob("*") if p.is_file()) if folder.is_dir() else 0


# Summary -----------------------------------------------------------------------------------


def _flag(s: pd.DataFrame, col: str) -> pd.Series:
    if col not in s:
        return pd.Series(False, index=s.index)
    return s[col].astype("boolean").fillna(False).astype(bool)


def _support_scores(sup: pd.DataFrame | None) -> dict[str, float]:
    """Municipal totals of the forms (% of the maximum): methodical help, МНЦ, МТКП and the
    roadmap completeness and timeliness (NaN where the form is missing)."""
    out = {k: float("nan") for k in SUPPORT_SCORES}
    if sup is None or sup.empty:
        return out
    m = sup[sup["unit"].astype(str) == "municipality"].set_index(["block", "indicator_id"])
    for key, row in SUPPORT_SCORES.items():
        if row in m.index:
            out[key] = float(pd.to_numeric(m.loc[row, "share_of_max"], errors="coerce"))
    return out


def _risk_summary(levels: pd.DataFrame | None, n_schools: int) -> dict[str, object]:
    """«500+» risk factors at the high level per school, and the category with most of them."""
    if levels is None or levels.empty or not n_schools:
        return {"risk_high_per_school": float("nan"), "top_risk_category": ""}
    high = levels[levels["level"] == "высокий"]
    counts = high["category_name"].value_counts().sort_index(kind="stable")
    top = str(counts.idxmax()) if len(counts) else ""
    return {"risk_high_per_school": len(high) / n_schools, "top_risk_category": top}


def region_schools(params_list: list[Params]) -> pd.DataFrame:
    """ШНОР, ШССУ and leaders of every municipality (``region_schools.csv``)."""
    parts = []
    for p in params_list:
        path = p.output_dir() / "tables" / "schools.csv"
        if not path.is_file():
            continue
        s = publish.read_csv(path)
        for c in SCHOOL_COLUMNS[1:]:
            if c not in s:
                s[c] = pd.NA
        flags = pd.DataFrame({c: _flag(s, c) for c in ("low_results", "hard_context", "leader")})
        keep = flags.any(axis=1)
        part = s.loc[keep, SCHOOL_COLUMNS[1:]].copy()
        for c in flags:
            part[c] = flags.loc[keep, c]
        parts.append(part.assign(municipality=p.municipality)[SCHOOL_COLUMNS])
    if not parts:
        return pd.DataFrame(columns=SCHOOL_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["municipality", "school_id"]).reset_index(drop=True)


def municipality_summary(params: Params) -> tuple[dict, pd.DataFrame]:
    """One row of the regional comparison and the municipality's indicator targets, from
    its published tables (reporting year)."""
    folder = params.output_dir() / "tables"
    t = {
        name: publish.read_csv(folder / f"{name}.csv", cols)
        for name, cols in SUMMARY_TABLES.items()
        if (folder / f"{name}.csv").is_file()
    }
    s = t["schools"]
    year = int(params.year)
    n = len(s)
    low, hard = _flag(s, "low_results"), _flag(s, "hard_context")
    obj = t.get("objectivity")
    n_tested = n_units = n_ex_schools = 0
    if obj is not None and not obj.empty:
        cur = obj[obj["year"] == year]
        share = cur[cur["check"] == "share_4_5"]
        keys = ["school_id", "year", "procedure", "grade", "subject"]
        ex = cur[_flag(cur, "excluded")]
        units = ex.drop_duplicates(keys)
        n_units, n_ex_schools = len(units), int(units["school_id"].nunique())
        # checked: tested for excess (enough participants) or excluded by another check (the
        # federal list also covers small classes) — the exclusions are a share of these
        tested = share[share["n"] >= params.min_group_size][keys]
        n_tested = len(pd.concat([tested, units[keys]]).drop_duplicates())
    ind = t["indicators"]
    targets = ind[(ind["level"] == "municipality") & (ind["year"] == year)]
    targets = targets[targets["target"].notna()]
    status = targets["target_status"].value_counts()
    met = int(status.get(STATUS_MET, 0))
    not_met = int(status.get(STATUS_NOT_MET, 0))
    undetermined = int(status.get(STATUS_UNDETERMINED, 0))
    no_data = int(status.get(STATUS_NO_DATA, 0))
    defined = met + not_met + undetermined + no_data
    fit = t.get("social_fit")
    scope = str(fit["scope"].iloc[0]) if fit is not None and len(fit) else ""
    r2 = float(fit["r2"].iloc[0]) if fit is not None and len(fit) else float("nan")
    part = t.get("participants")
    vpr = gia = 0
    if part is not None and not part.empty:
        cur = part[part["year"] == year]
        vpr = int(cur.loc[cur["procedure"] == "ВПР", "participants"].sum())
        gia = int(cur.loc[cur["procedure"].isin(["ОГЭ", "ЕГЭ"]), "participants"].sum())
    row = {
        "municipality": params.municipality,
        "title": params.title,
        "year": year,
        "n_schools": n,
        "n_with_index": int(s["results_index"].notna().sum()) if "results_index" in s else 0,
        "n_low_results": int(low.sum()),
        "share_low_results": 100 * low.mean() if n else float("nan"),
        "n_hard_context": int(hard.sum()),
        "share_hard_context": 100 * hard.mean() if n else float("nan"),
        "n_low_and_hard": int((low & hard).sum()),
        "n_leaders": int(_flag(s, "leader").sum()),
        "n_resilient": int(_flag(s, "resilient_contextual").sum()),
        "n_units_tested": n_tested,
        "n_excluded_units": n_units,
        "share_excluded_units": 100 * n_units / n_tested if n_tested else float("nan"),
        "n_excluded_schools": n_ex_schools,
        "targets_met": met,
        "targets_not_met": not_met,
        "targets_undetermined": undetermined,
        "targets_no_data": no_data,
        "targets_defined": defined,
        "share_targets_met": 100 * met / defined if defined else float("nan"),
        "social_scope": scope,
        "social_r2": r2,
        "vpr_results": vpr,
        "gia_results": gia,
        "reference": str(params.results_index.reference),
        **_support_scores(t.get("support")),
        **_risk_summary(t.get("risk_levels"), n),
    }
    tg = targets.assign(municipality=params.municipality)[TARGET_COLUMNS]
    return row, tg.reset_index(drop=True)


REGIONS_DIR = "regions"  # outputs/regions/<id>/: a region never mixes with a municipality


def summary_dir(root: Path, region: str, year: int, outputs: str = "outputs") -> Path:
    """``<root>/<outputs>/regions/<region>/<year>``: the regional summary and page."""
    return Path(root) / outputs / REGIONS_DIR / region / str(year)


def write_summary(
    params_list: list[Params],
    region: str,
    summaries: dict[str, tuple[dict, pd.DataFrame]] | None = None,
) -> Path:
    """outputs/regions/<region>/<year>/region_summary.csv, region_targets.csv,
    region_schools.csv and region.json,
    replaced together; returns the path of region_summary.csv. ``summaries``: rows already
    made by :func:`compute_region` (the others are read here)."""
    first = params_list[0]
    summaries = summaries or {}
    rows, targets = [], []
    for p in params_list:
        made = summaries.get(p.municipality)
        row, tg = made if made is not None else municipality_summary(p)
        rows.append(row)
        targets.append(tg)
    frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS).sort_values("municipality")
    tg = pd.concat(targets, ignore_index=True) if targets else pd.DataFrame(columns=TARGET_COLUMNS)
    tg = tg.sort_values(["indicator_id", "municipality"], kind="stable")
    out = summary_dir(first.root, region, first.year, first.paths.outputs)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "region": region,
        "year": int(first.year),
        "municipalities": sorted(p.municipality for p in params_list),
        "titles": {p.municipality: p.title for p in params_list},
        "library_version": __version__,
        "outputs": first.paths.outputs,
    }
    with atomic.staged_dir(out) as tmp:  # the region's year folder, swapped in at the end
        publish.write_csv(frame.reset_index(drop=True), tmp / "region_summary.csv")
        publish.write_csv(tg.reset_index(drop=True), tmp / "region_targets.csv")
        publish.write_csv(region_schools(params_list), tmp / "region_schools.csv")
        (tmp / "region.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8"
        )
    return out / "region_summary.csv"


def load_summary(root: Path, region: str, year: int, outputs: str = "outputs") -> pd.DataFrame:
    """The regional summary written by :func:`write_summary`."""
    path = summary_dir(Path(root), region, year, outputs) / "region_summary.csv"
    if not path.exists():
        raise ShnorError(
            f"Нет сводки по региону: {path} (выполните shnor region)",
            f"No regional summary: {path} (run shnor region)",
        )
    return publish.read_csv(path)


def load_targets(root: Path, region: str, year: int, outputs: str = "outputs") -> pd.DataFrame:
    """Indicator × municipality target statuses written by :func:`write_summary`."""
    path = summary_dir(Path(root), region, year, outputs) / "region_targets.csv"
    return publish.read_csv(path) if path.exists() else pd.DataFrame(columns=TARGET_COLUMNS)


def load_meta(root: Path, region: str, year: int, outputs: str = "outputs") -> dict:
    path = summary_dir(Path(root), region, year, outputs) / "region.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


# Page --------------------------------------------------------------------------------------


def region_title(region: str, year: int) -> str:
    return f"Регион {region}: сравнение муниципалитетов, {year} год"


def render_region(
    root: Path,
    region: str,
    year: int,
    *,
    outputs: str = "outputs",
    notebook: str = DEFAULT_NOTEBOOK,
    timeout: int = 600,
) -> Path:
    """Execute notebooks/region.ipynb for the region and publish region.html/.ipynb in
    ``outputs/regions/<region>/<year>/`` only when execution and conversion both succeed."""
    from shnor_lib.report import html as report_html
    from shnor_lib.report import notebook as report_notebook

    root = Path(root).resolve()
    out_dir = summary_dir(root, region, year, outputs)
    if not (out_dir / "region_summary.csv").exists():
        load_summary(root, region, year, outputs)  # raises the explanatory error
    nb_path = report_notebook.locate_notebook(
        root, notebook
    )  # the project's copy, else the package's
    parameters = {"region": region, "year": int(year), "root": str(root), "outputs": outputs}
    with atomic.staged_dir(out_dir) as tmp:  # swapped in when execution and HTML succeed
        report_notebook.execute_notebook(
            nb_path, tmp / "region.ipynb", parameters, cwd=root, timeout=timeout
        )
        report_html.notebook_to_html(
            tmp / "region.ipynb",
            tmp / "region.html",
            title=region_title(region, year),
            resources_dir=nb_path.parent,
        )
    return out_dir / "region.html"
