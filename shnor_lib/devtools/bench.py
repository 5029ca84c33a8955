"""`make bench`: the cost of a whole region, measured (not part of `make test`).

``python -m shnor_lib.devtools.bench [--quick] [--objectivity] [--workers N] [--reports N]``

1. Data: the synthetic generator's scale mode (:func:`shnor_lib.demo.synth.generate_region`)
   writes a region — 44 municipalities, 1 500 schools, 3 years, ~4.75 million ВПР + ГИА
   result rows — with every table of the contract (schools, context, school_stats,
   teachers, rosobrnadzor, roadmap) and the filled Excel monitoring forms, and the same
   region at half size (750 schools), into ``outputs/bench/data/`` (git-ignored; reused
   while the generator and its parameters are unchanged). Not generated: ``.xlsx`` copies
   of the tables (CSV only; ``synth.generate(fmt="xlsx")`` covers that reader).
2. Each measurement runs in a fresh ``python`` subprocess, so imports are paid as a user
   pays them; wall time is measured by this process around the child; peak memory is
   sampled in the child every 50 ms as the sum of the resident memory of the child and
   all its worker processes (and ``getrusage`` gives the largest single process):

   (a) ingest + compute for the whole region without notebooks (``shnor region
       --no-report``: every municipality's tables, the ИСБ region sample, the summary);
   (b) the same at half size; the ratio of times shows how the cost grows with the data;
   (c) the report stage for every municipality in one process (``report.render_many``,
       as ``make reports``), per report, against the floor: an empty notebook executed
       and converted by the same functions (``report.execute_notebook`` +
       ``report.notebook_to_html``) in the same process, median of 3 after a warm-up;
   (d) the demo ``make report`` (``shnor report --params params/demo.yml``), warm: the
       second of two runs.
3. The table (with the date, the machine, the versions) is written to
   ``outputs/bench/bench.md`` and printed. ``--objectivity`` appends the validation
   figures of the objectivity test (``python -m shnor_lib.devtools.bench_objectivity``, ~60 s).

``--quick`` runs the same machinery on a tiny region (2 municipalities, 30 schools), with
a two-cell stand-in for the report notebook in (c) and (d), for the smoke test
(tests/test_bench.py); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from shnor_lib import console

ROOT = Path(__file__).resolve().parent.parent.parent
RESULT_TAG = "BENCH-RESULT "
REGION = "bench"
YEAR = 2024
TARGET_REGION_S = 60.0
TARGET_REGION_GB = 4.0
TARGET_GROWTH = 2.2
TARGET_REPORT_RATIO = 1.5

FULL = {"n_municipalities": 44, "n_schools": 1500, "scale": 1.0}
QUICK = {"n_municipalities": 2, "n_schools": 30, "scale": 1.0}


# ------------------------------------------------------------------------------ child side


class _PeakMemory:
    """Samples the resident memory of this process and all its descendants."""

    def __init__(self, interval: float = 0.05) -> None:
        self.peak = 0  # the sum over processes (shared pages counted in each: an upper bound)
        self.largest = 0  # the largest single process (workers included)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            try:
                procs = [me, *me.children(recursive=True)]
            except psutil.Error:
                procs = [me]
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    rss = p.memory_info().rss
                    total += rss
                    self.largest = max(self.largest, rss)
            self.peak = max(self.peak, total)
            self._stop.wait(interval)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _maxrss_gb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) * 1024 / 1e9  # ru_maxrss is in KiB on Linux


def _bench_paths(run_dir: Path) -> dict[str, str]:
    return {"processed": str(run_dir / "processed"), "outputs": str(run_dir / "outputs")}


def _params_list(raw: Path, run_dir: Path):
    from shnor_lib import region

    return region.region_params(raw, REGION, YEAR, root=ROOT, paths=_bench_paths(run_dir))


def child_region(raw: str, run_dir: str, workers: int | None) -> dict:
    """(a)/(b): every municipality's tables and the regional summary, no notebooks."""
    from shnor_lib import region

    with _PeakMemory() as mem:
        params_list = _params_list(Path(raw), Path(run_dir))
        stage_times: dict[str, float] = {}
        summaries: dict = {}  # as `shnor region` does
        region.compute_region(
            params_list,
            workers=workers,
            stage_times=stage_times,
            progress=_say_progress,
            summaries=summaries,
        )
        region.write_summary(params_list, REGION, summaries)
    rows = 0
    for p in params_list:
        manifest = json.loads((p.output_dir() / "results.json").read_text("utf-8"))
        rows += sum(
            int(s.get("rows", 0)) for s in manifest["sources"] if s.get("table") in ("vpr", "gia")
        )
    return {
        "peak_gb": mem.peak / 1e9,
        "max_process_gb": max(mem.largest / 1e9, _maxrss_gb()),
        "municipalities": len(params_list),
        "schools": sum(
            len((p.raw_dir() / "schools.csv").read_text("utf-8").splitlines()) - 1
            for p in params_list
        ),
        "result_rows": rows,
        "workers": workers or region.default_workers(),
        "stage_times": stage_times,
    }


def _say_progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _empty_notebook(path: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _floor_once(nb: Path, out: Path) -> float:
    from shnor_lib.report import html as report_html
    from shnor_lib.report import notebook as report_notebook

    t0 = time.perf_counter()
    report_notebook.execute_notebook(nb, out / "empty.out.ipynb", {}, cwd=ROOT)
    report_html.notebook_to_html(out / "empty.out.ipynb", out / "empty.html", title="floor")
    return time.perf_counter() - t0


def smoke_notebook(path: Path) -> Path:
    """--quick: a two-cell stand-in for the report notebook (loads the tables, shows the key
    numbers), so the smoke test exercises the machinery without the full report's cost."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    cells = [
        ('params_path = None\nmunicipality = "x"\nyear = 2024\nroot = "."', ["parameters"]),
        (
            "from shnor_lib.report import display\nfrom shnor_lib.config import load_params\n"
            "from shnor_lib.pipeline import load_results\n"
            "params = load_params(params_path, root=root, overrides={'municipality': "
            "municipality, 'year': year})\nres = load_results(params)\n"
            "display.key_numbers({'ОО': len(res.tables['schools'])})",
            [],
        ),
    ]
    for i, (src, tags) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(src)
        cell.id = f"smoke-{i}"
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def child_reports(raw: str, run_dir: str, limit: int | None, smoke: str | None = None) -> dict:
    """(c): the empty-notebook floor, then every municipality's report in this process."""
    from shnor_lib.report import render as report

    run = Path(run_dir)
    nb = _empty_notebook(run / "floor" / "empty.ipynb")
    warm = _floor_once(nb, run / "floor")  # imports of papermill/nbconvert, template load
    floors = [_floor_once(nb, run / "floor") for _ in range(1 if smoke else 3)]
    params_list = _params_list(Path(raw), run)
    if limit:
        params_list = params_list[:limit]
    if smoke:
        params_list = [p.replace(report={"notebook": smoke}) for p in params_list]
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with _PeakMemory() as mem:
        report.render_many(params_list, timings=timings)
    total = time.perf_counter() - t0
    floors_after = [_floor_once(nb, run / "floor") for _ in range(1 if smoke else 2)]
    return {
        "reports": len(params_list),
        "total_s": total,
        "per_report_s": total / len(params_list),
        "execute_s": timings.get("execute", 0.0) / len(params_list),
        "html_s": (timings.get("html", 0.0) - timings.get("cards", 0.0)) / len(params_list),
        # the school cards of each municipality (one pass + one browser), inside the report run
        "cards_s": timings.get("cards", 0.0) / len(params_list),
        "cards": sum(len(list((p.output_dir() / "schools").glob("*.pdf"))) for p in params_list),
        "card_pages": sum(
            len(list((p.output_dir() / "schools").glob("*.html"))) - 1 for p in params_list
        ),
        "floor_s": statistics.median(floors + floors_after),
        "floor_runs": [round(x, 3) for x in [warm, *floors, *floors_after]],
        "peak_gb": mem.peak / 1e9,
        "html_mb": sum((p.output_dir() / "report.html").stat().st_size for p in params_list)
        / len(params_list)
        / 1e6,
    }


CHILDREN = {"region": child_region, "reports": child_reports}


def _child_main(task: str, args_json: str) -> int:
    result = CHILDREN[task](**json.loads(args_json))
    print(RESULT_TAG + json.dumps(result), flush=True)
    return 0


# ------------------------------------------------------------------------------ parent side


def _run_child(task: str, quiet: bool, **kwargs) -> tuple[dict, float]:
    cmd = [sys.executable, "-m", "shnor_lib.devtools.bench", "--child", task, json.dumps(kwargs)]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if quiet else None,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"bench child {task} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
            f"{(proc.stderr or '')[-3000:]}"
        )
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith(RESULT_TAG))
    return json.loads(line[len(RESULT_TAG) :]), wall


def _run_cmd(cmd: list[str], quiet: bool) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.PIPE if quiet else None,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{(proc.stderr or '')[-3000:]}")
    return time.perf_counter() - t0


def generate(data_dir: Path, spec: dict, seed: int = 1) -> tuple[Path, float, bool]:
    """The synthetic region of ``spec`` in ``data_dir`` (reused when already complete)."""
    from shnor_lib import __version__
    from shnor_lib.demo import synth

    stamp = data_dir / ".bench-stamp.json"
    want = {**spec, "seed": seed, "version": __version__, "region": REGION, "forms": True}
    if stamp.is_file() and json.loads(stamp.read_text("utf-8")) == want:
        return data_dir, 0.0, True
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)
    t0 = time.perf_counter()
    synth.generate_region(
        data_dir,
        seed=seed,
        n_municipalities=spec["n_municipalities"],
        n_schools=spec["n_schools"],
        scale=spec["scale"],
        region=REGION,
    )
    stamp.write_text(json.dumps(want), "utf-8")
    return data_dir, time.perf_counter() - t0, False


def machine() -> dict[str, str]:
    import importlib.metadata as md

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 0
    versions = []
    for pkg in ("pandas", "numpy", "pyarrow", "statsmodels", "scipy", "matplotlib"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions.append(f"{pkg} {md.version(pkg)}")
    for pkg in ("papermill", "nbconvert", "ipykernel"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions.append(f"{pkg} {md.version(pkg)}")
    commit = ""
    with contextlib.suppress(OSError):
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(cpus),
        "cpu": cpu or "?",
        "memory": mem or "?",
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": ", ".join(versions),
        "commit": commit,
        "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _ru(x: float, d: int = 1) -> str:
    return f"{x:,.{d}f}".replace(",", " ").replace(".", ",")


def _status(ok: bool) -> str:
    return "выполнено ✅" if ok else "не выполнено ❌"


def markdown(res: dict) -> str:
    m = res["machine"]
    a, b, c, d = (res.get(k) for k in "abcd")
    growth = a["wall_s"] / b["wall_s"] if a and b and b["wall_s"] else float("nan")
    ratio = c["per_report_s"] / c["floor_s"] if c and c["floor_s"] else float("nan")
    ok_a = bool(a) and a["wall_s"] <= TARGET_REGION_S and a["peak_gb"] <= TARGET_REGION_GB
    ok_b = growth <= TARGET_GROWTH
    ok_c = ratio <= TARGET_REPORT_RATIO
    title = "# make bench" + (
        " (--quick: tiny region, figures mean nothing)" if res["quick"] else ""
    )
    if res.get("only"):
        title += f" (частичный запуск: {', '.join(res['only'])})"
    lines = [
        title,
        "",
        f"Дата: {m['date']}. Машина: {m['cpus']} CPU ({m['cpu']}), {m['memory']} RAM, "
        f"{m['os']}; Python {m['python']}; {m['versions']}. Версия кода: {m['commit'] or '—'}. "
        f"Средняя загрузка перед запуском (1/5/15 мин): {m['load']}.",
        "",
    ]
    if a:
        half = (
            f" (половинный: {_ru(b['schools'], 0)} ОО, {_ru(b['result_rows'], 0)} строк)"
            if b
            else ""
        )
        lines += [
            f"Данные: синтетический регион — муниципалитетов: {a['municipalities']}, "
            f"{_ru(a['schools'], 0)} ОО, годы 2022–2024, {_ru(a['result_rows'], 0)} строк "
            f"результатов ВПР + ГИА{half}; рабочих процессов: {a['workers']}.",
            "",
        ]
    lines += ["| | что измерено | результат | цель | статус |", "|---|---|---|---|---|"]
    if a:
        lines.append(
            f"| (a) | регион: проверка + расчёт всех таблиц и сводки, без блокнотов (`shnor "
            f"region --no-report`) | {_ru(a['wall_s'])} с; пик памяти {_ru(a['peak_gb'], 2)} ГБ "
            f"(сумма по всем процессам — оценка сверху; самый большой процесс "
            f"{_ru(a['max_process_gb'], 2)} ГБ) "
            f"| ≤ {TARGET_REGION_S:g} с и ≤ {TARGET_REGION_GB:g} ГБ | {_status(ok_a)} |"
        )
    if a and b:
        lines.append(
            f"| (b) | то же, половина данных | {_ru(b['wall_s'])} с; полный / половинный = "
            f"{_ru(growth, 2)} | удвоение данных ≤ {_ru(TARGET_GROWTH)}× времени "
            f"| {_status(ok_b)} |"
        )
    if c:
        lines.append(
            f"| (c) | отчёты всех {c['reports']} муниципалитетов в одном процессе "
            f"(`render_many`) | {_ru(c['per_report_s'], 2)} с на отчёт (выполнение "
            f"{_ru(c['execute_s'], 2)} с + HTML {_ru(c['html_s'], 2)} с; HTML "
            f"{_ru(c['html_mb'], 1)} МБ); пустой блокнот {_ru(c['floor_s'], 2)} с; отношение "
            f"{_ru(ratio, 1)} | ≤ {_ru(TARGET_REPORT_RATIO)}× пустого блокнота "
            f"| {_status(ok_c)} |"
        )
    if c and "cards_s" in c:
        report_s = c["execute_s"] + c["html_s"]
        lines.append(
            f"| (c′) | карточки всех школ муниципалитета (HTML {c['card_pages']}, PDF "
            f"{c['cards']} по всем отчётам; один проход по таблицам, один Chromium) "
            f"| {_ru(c['cards_s'], 2)} с на муниципалитет против {_ru(report_s, 2)} с "
            f"на отчёт | быстрее отчёта | {_status(c['cards_s'] < report_s)} |"
        )
    if d:
        lines.append(
            f"| (d) | демо `make report` (повторный запуск) | {_ru(d['wall_s'])} с | — | — |"
        )
    k = (d or {}).get("cards")
    if k:
        one = (
            f"; `chromium --print-to-pdf` отдельным процессом — {_ru(k['per_process_s'], 2)} с "
            "на карточку"
            if "per_process_s" in k
            else ""
        )
        lines.append(
            f"| (d′) | все карточки школ демо ({k['cards']} HTML, {k['pdf']} PDF; один проход, "
            f"один Chromium) | {_ru(k['total_s'], 1)} с (чтение таблиц {_ru(k['load_s'], 1)} с, "
            f"HTML {_ru(k['html_s'], 1)} с, PDF {_ru(k['pdf_s'], 1)} с){one} "
            f"| быстрее отчёта ({_ru(d['wall_s'])} с) | {_status(k['total_s'] < d['wall_s'])} |"
        )
    lines.append("")
    if a:
        lines += [
            "Стадии расчёта (a), секунды, сумма по муниципалитетам (в рабочих процессах): "
            + "; ".join(f"{k} {_ru(v)}" for k, v in a["stage_times"].items())
            + f". Генерация данных: {res['generation']}.",
            "",
        ]
    checked = [
        (n, ok)
        for n, ok, part in (("(a)", ok_a, a), ("(b)", ok_b, a and b), ("(c)", ok_c, c))
        if part
    ]
    missed = [n for n, ok in checked if not ok]
    if missed:
        lines += [
            "Не выполнено: "
            + ", ".join(missed)
            + ". Причины и измерения — в README.md, раздел «Производительность (make bench)».",
            "",
        ]
    if res.get("objectivity"):
        lines += ["## Проверка объективности (python -m shnor_lib.devtools.bench_objectivity)", ""]
        lines += [res["objectivity"].strip(), ""]
    lines += [
        "Повторить: `make bench` (или `.venv/bin/python -m shnor_lib.devtools.bench [--only a,b] "
        "[--objectivity]`); на время замера машина не должна быть занята другими задачами.",
        "",
    ]
    return "\n".join(lines)


def _measure_region(
    part: str, raw: Path, run_dir: Path, workers: int | None, quiet: bool, say
) -> dict:
    """(a) or (b): `shnor region --no-report` on ``raw`` in a child process, timed."""
    say(f"bench ({part}): {'регион целиком' if part == 'a' else 'половина данных'}…")
    res, wall = _run_child("region", quiet, raw=str(raw), run_dir=str(run_dir), workers=workers)
    res["wall_s"] = wall
    say(f"bench ({part}): {console.secs(wall)}, пик памяти {console.num(res['peak_gb'], 2)} ГБ")
    return res


def _measure_reports(
    full: Path, out: Path, quick: bool, reports: int | None, quiet: bool, say
) -> dict:
    say("bench (c): отчёты…")
    limit = 1 if quick else reports
    smoke = str(smoke_notebook(out / "smoke" / "report.ipynb")) if quick else None
    c, _ = _run_child(
        "reports", quiet, raw=str(full), run_dir=str(out / "full"), limit=limit, smoke=smoke
    )
    say(
        f"bench (c): {console.num(c['per_report_s'], 2)} с на отчёт, "
        f"пустой блокнот {console.num(c['floor_s'], 2)} с"
    )
    return c


def _measure_demo(out: Path, quick: bool, quiet: bool, say) -> dict:
    if quick:  # a tiny municipality of the quick region (smoke notebook) stands in for the demo
        import yaml

        smoke = str(smoke_notebook(out / "smoke" / "report.ipynb"))
        from shnor_lib import region

        folder = region.params_dir(out / "full", REGION, YEAR)
        first = sorted(folder.glob("*.yml"))[0]
        spec_yml = yaml.safe_load(first.read_text("utf-8"))
        spec_yml["report"] = {"notebook": smoke}
        # generated params name absolute folders and a notebook outside notebooks/: a folder
        # named municipality_params marks them as the program's own (config._written_by_shnor)
        quick_params = out / "smoke" / "municipality_params" / "demo.yml"
        quick_params.parent.mkdir(parents=True, exist_ok=True)
        quick_params.write_text(yaml.safe_dump(spec_yml, allow_unicode=True), "utf-8")
        cmd = [sys.executable, "-m", "shnor_lib", "report", "--params", str(quick_params)]
        d = {"wall_s": _run_cmd(cmd, quiet), "what": f"shnor report ({first.stem}, smoke)"}
    else:
        if not (ROOT / "data" / "raw" / "demo" / "_truth.json").is_file():
            _run_cmd([sys.executable, "-m", "shnor_lib", "synth", "--out", "data/raw/demo"], quiet)
        cmd = [sys.executable, "-m", "shnor_lib", "report", "--params", "params/demo.yml"]
        say("bench (d): демо-отчёт, два запуска…")
        _run_cmd(cmd, quiet)
        d = {"wall_s": _run_cmd(cmd, quiet), "what": "shnor report --params params/demo.yml"}
        say("bench (d′): карточки школ демо…")
        d["cards"] = measure_cards(ROOT / "params" / "demo.yml", out / "cards")
    say(f"bench (d): {console.secs(d['wall_s'])} (второй запуск)")
    return d


def measure_cards(params_path: Path, out: Path, per_process: int = 3) -> dict:
    """(d′): every school card of a municipality from its published tables (load, HTML,
    PDF with one browser), and — to justify the one browser — ``chromium --print-to-pdf``
    started once per card for ``per_process`` cards."""
    from shnor_lib.config import load_params
    from shnor_lib.report import cards, pdf

    params = load_params(params_path)
    t0 = time.perf_counter()
    tables = cards.load_tables(params.output_dir() / "tables")
    load_s = time.perf_counter() - t0
    done = cards.write_cards(tables, params, out)
    res = {
        "cards": done.html,
        "pdf": done.pdf,
        "load_s": load_s,
        "html_s": done.seconds_html,
        "pdf_s": done.seconds_pdf,
        "total_s": time.perf_counter() - t0,
        "note": done.note,
    }
    browser = pdf.find_browser()
    htmls = sorted((out / cards.CARDS_DIR).glob("*.html"))[:per_process]
    if browser and htmls:
        t1 = time.perf_counter()
        for html in htmls:
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run(
                    [
                        browser,
                        *pdf.FLAGS[:-1],
                        f"--user-data-dir={profile}",
                        "--no-pdf-header-footer",
                        f"--print-to-pdf={out / 'one.pdf'}",
                        html.as_uri(),
                    ],
                    capture_output=True,
                    timeout=120,
                    check=False,
                )
        res["per_process_s"] = (time.perf_counter() - t1) / len(htmls)
    return res


def run(
    out: Path,
    *,
    quick: bool = False,
    workers: int | None = None,
    reports: int | None = None,
    objectivity: bool = False,
    quiet: bool = False,
    only: tuple[str, ...] = (),
) -> Path:
    """Run the measurements (``only``: a subset of "abcd"; (b) needs (a)) and write
    ``bench.md`` / ``bench.json`` in ``out``; returns the path of bench.md."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    spec = QUICK if quick else FULL
    say = (lambda _m: None) if quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    info = machine()
    say(
        f"bench: {info['cpus']} CPU, загрузка {info['load'].replace('.', ',')}; данные в "
        f"{out / 'data'}. Каждая часть — в отдельном процессе; её строки «[k/N] … с начала» — "
        "время с начала этой части (накопленное)."
    )
    parts = set(only or "abcd")
    if "b" in parts:
        parts.add("a")
    a = b = c = d = None
    full = out / "data" / "full"
    if quick or parts & {"a", "c"}:  # (d) alone uses the demo municipality
        full, t_full, cached_full = generate(full, spec)
    else:
        t_full, cached_full = 0.0, True
    if "b" in parts:
        half, t_half, cached_half = generate(out / "data" / "half", {**spec, "scale": 0.5})
    else:
        t_half, cached_half = 0.0, True
    gen = (
        "данные взяты из кэша outputs/bench/data"
        if cached_full and cached_half
        else f"{_ru(t_full)} с (полный) и {_ru(t_half)} с (половинный)"
    )
    from shnor_lib import region

    if "c" in parts and not region.summary_dir(out / "full", REGION, YEAR).parent.is_dir():
        parts.add("a")  # the reports need the region's tables
    if "a" in parts:
        a = _measure_region("a", full, out / "full", workers, quiet, say)
    if "b" in parts:
        b = _measure_region("b", half, out / "half", workers, quiet, say)
    if "c" in parts:
        c = _measure_reports(full, out, quick, reports, quiet, say)
    if "d" in parts:
        d = _measure_demo(out, quick, quiet, say)
    obj = ""
    if objectivity:
        say("bench: проверка объективности (~60 с)…")
        proc = subprocess.run(
            [sys.executable, "-m", "shnor_lib.devtools.bench_objectivity"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        obj = proc.stdout if proc.returncode == 0 else f"не удалось: {proc.stderr[-500:]}"
    result = {
        "machine": info,
        "quick": quick,
        "generation": gen,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "only": sorted(parts) if only else [],
        "objectivity": obj,
    }
    text = markdown(result)
    (out / "bench.md").write_text(text, "utf-8")
    (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    return out / "bench.md"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child_main(argv[1], argv[2])
    ap = argparse.ArgumentParser(
        prog="python -m shnor_lib.devtools.bench", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--quick", action="store_true", help="крошечный регион (проверка машинерии)")
    ap.add_argument("--out", default=str(ROOT / "outputs" / "bench"))
    ap.add_argument("--workers", type=int, default=None, help="процессов для (a), (b)")
    ap.add_argument("--reports", type=int, default=None, help="отчётов в (c) (по умолчанию все)")
    ap.add_argument("--objectivity", action="store_true", help="добавить bench_objectivity")
    ap.add_argument(
        "--only", default="", help="только эти замеры, например a,b (по умолчанию все: a,b,c,d)"
    )
    args = ap.parse_args(argv)
    bad = set(args.only.replace(",", "").replace(" ", "")) - set("abcd")
    if bad:
        ap.error(
            f"--only: ожидались буквы a, b, c, d (expected a, b, c, d), получено {args.only!r}"
        )
    path = run(
        Path(args.out),
        quick=args.quick,
        workers=args.workers,
        reports=args.reports,
        objectivity=args.objectivity,
        only=tuple(x.strip() for x in args.only.split(",") if x.strip()),
    )
    print(path.read_text("utf-8"))
    print(f"Таблица сохранена: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
