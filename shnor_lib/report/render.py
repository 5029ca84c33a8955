"""Rendering: run the report notebook (papermill), convert it to offline HTML (nbconvert),
publish it atomically, and build a static site of all reports.

Determinism: the kernel runs with PYTHONHASHSEED=0, MPLBACKEND=Agg and SOURCE_DATE_EPOCH;
:func:`shnor_lib.report.display.setup` fixes matplotlib (SVG hash salt, fonts) and the display
helpers emit no random ids or dates. The HTML template renders no cell ids, execution
counts, kernel or papermill metadata, and the post-processing below normalises what other
libraries make random (pandas Styler table ids).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shnor_lib.console import num
from shnor_lib.errors import EnvironmentProblem, ShnorError
from shnor_lib.io import atomic
from shnor_lib.report import spravka
from shnor_lib.report.html import notebook_to_html
from shnor_lib.report.notebook import (
    _say,
    _secs,
    append_notebook,
    execute_notebook,
    extra_notebooks,
    locate_notebook,
    run_extra,
)


# Publishing -------------------------------------------------------------------------------
def _key_numbers(ipynb: Path) -> dict[str, Any]:
    """Key numbers recorded by display.key_numbers() in the executed notebook."""
    import nbformat

    nb = nbformat.read(str(ipynb), as_version=4)
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("text/html", {})
            numbers = meta.get("shnor", {}).get("key_numbers") if isinstance(meta, dict) else None
            if isinstance(numbers, dict):
                found.update(numbers)
    return found


def _cards(params, staged: Path, label: str, timings: dict | None) -> None:
    """Every school's card (HTML, and PDF when Chromium is there) into ``staged/schools``."""
    from shnor_lib.report import cards

    t0 = time.perf_counter()
    done = cards.publish_cards(params, staged)
    pdfs = f", PDF: {done.pdf}" if done.pdf else ""
    _say(f"{label} Карточки школ: {done.html}{pdfs} за {_secs(t0)}")
    if done.note:
        _say(f"{label} {done.note}")
    if timings is not None:
        timings["cards"] = timings.get("cards", 0.0) + time.perf_counter() - t0


def report_title(params) -> str:
    return f"{params.title}: аналитический отчёт, {params.year} год"


def _write_spravka(params, tmp: Path, label: str) -> None:
    """spravka.docx beside report.html, in the same staged folder (``report.spravka``). The
    previous one is never carried over (``drop`` of the staging), so a run that writes none
    leaves none."""
    if not params.report.spravka:
        return
    # the tables computed in this run, else the published ones (carried over only at the swap)
    tables = tmp / "tables"
    if not tables.is_dir():
        tables = Path(params.output_dir()) / "tables"
    if not (tables / "conclusions.csv").exists():  # e.g. tables of an older version
        _say(
            f"{label} Аналитическая справка не записана: нет таблицы conclusions.csv (shnor compute)"
        )
        return
    spravka.write(tables, tmp / spravka.FILE_NAME, title=params.title, year=params.year)


def render_report(params, *, tables_ready: bool = True, timings: dict | None = None) -> Path:
    """Execute the report notebook for ``params`` and publish report.html/.ipynb.

    The notebook (``params.report.notebook``, relative to ``params.root``) receives
    ``params_path``, ``municipality``, ``year`` and ``root``. Everything is built in a
    temporary folder next to the output folder and moved into ``params.output_dir()`` only
    when execution and conversion both succeed, so a failed run never replaces a previous
    good report. On failure the executed notebook is kept as ``report.failed.ipynb`` in the
    output folder. ``tables_ready=False`` runs ``pipeline.compute`` first. ``timings``
    (optional) receives the seconds spent executing (``execute``) and converting
    (``html``, with publishing). Returns the path of report.html.
    """
    label = f"[{params.municipality} {params.year}]"
    root = Path(params.root).resolve()
    notebook = locate_notebook(root, params.report.notebook)
    extras = extra_notebooks(params.report.extra_notebooks, root)  # refused before any work
    out_dir = Path(params.output_dir())
    source = getattr(params, "source", None)
    params_path = None
    if source and not str(source).startswith("<"):
        params_path = str(Path(source).resolve())
    parameters = {
        "params_path": params_path,
        "municipality": params.municipality,
        "year": params.year,
        "root": str(root),
    }

    failed_copy = out_dir / "report.failed.ipynb"
    # One swap publishes the tables (when computed here), the notebook and the HTML
    # together: until then the previous year folder stays as it was (shnor_lib.io.atomic).
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(
            atomic.staged_dir(out_dir, drop=(failed_copy.name, spravka.FILE_NAME))
        )
        if not tables_ready:
            from shnor_lib import pipeline

            stack.enter_context(atomic.staged_dir(params.processed_dir(), carry_over=False))
            pipeline.compute(params, progress=_say)
        t0 = time.perf_counter()
        _say(f"{label} Выполнение блокнота {params.report.notebook}…")
        try:
            execute_notebook(
                notebook,
                tmp / "report.ipynb",
                parameters,
                cwd=root,
                timeout=params.report.timeout_s,
            )
        except ShnorError as exc:
            if (tmp / "report.ipynb").exists():  # kept for inspection, beside the old report
                out_dir.mkdir(parents=True, exist_ok=True)
                os.replace(tmp / "report.ipynb", failed_copy)
                raise ShnorError(
                    f"{exc.message_ru}\n    Блокнот с ошибкой: {failed_copy}; предыдущий отчёт "
                    "не изменён.",
                    f"{exc.message_en}; failed notebook: {failed_copy}; the previous report "
                    "is unchanged.",
                ) from None
            raise
        for i, extra in enumerate(extras, 1):
            _say(f"{label} Дополнительный блокнот {extra.relative_to(root)}…")
            run_extra(extra, tmp / f"extra-{i}.ipynb", parameters, root, params.report.timeout_s)
            append_notebook(tmp / "report.ipynb", tmp / f"extra-{i}.ipynb", f"extra{i}")
        _say(f"{label} Блокнот выполнен за {_secs(t0)}; сборка HTML…")
        t1 = time.perf_counter()
        if timings is not None:
            timings["execute"] = timings.get("execute", 0.0) + t1 - t0
        notebook_to_html(
            tmp / "report.ipynb",
            tmp / "report.html",
            title=report_title(params),
            resources_dir=notebook.parent,
        )
        summary = {
            "title": params.title,
            "municipality": params.municipality,
            "year": params.year,
            "key_numbers": _key_numbers(tmp / "report.ipynb"),
        }
        (tmp / "summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False) + "\n", "utf-8"
        )
        _write_spravka(params, tmp, label)
        _cards(params, tmp, label, timings)  # published with the report, in the same swap
    html = out_dir / "report.html"
    size = html.stat().st_size
    size_ru = f"{num(size / 1e6, 1)} МБ" if size >= 1e6 else f"{num(size / 1e3)} КБ"
    _say(f"{label} HTML за {_secs(t1)}: {html} ({size_ru})")
    if timings is not None:
        timings["html"] = timings.get("html", 0.0) + time.perf_counter() - t1
    return html


def render_many(
    params_list: Iterable[Any], *, timings: dict | None = None, tables_ready: bool = True
) -> list[Path]:
    """Render every municipality in one process; go on past failures, then report them.

    ``timings``: summed over the reports (see :func:`render_report`); ``tables_ready=False``
    computes each municipality first, published with its report in one swap."""
    from shnor_lib.console import Progress

    done: list[Path] = []
    failures: list[tuple[str, str, str]] = []
    items = list(params_list)
    progress = Progress(len(items), _say)  # a line per finished report, with what remains
    for params in items:
        name = f"{params.municipality} {params.year}"
        try:
            kw = {"timings": timings} if timings is not None else {}
            done.append(render_report(params, tables_ready=tables_ready, **kw))
            progress.finished(f"Отчёт готов: {done[-1]} ({name})")
        except EnvironmentProblem:  # a full disk stops every report alike: say it once
            raise
        except ShnorError as exc:
            failures.append((name, exc.message_ru, exc.message_en or exc.message_ru))
            _say(f"[{name}] Ошибка: {exc.message_ru}")
            progress.finished(f"{name}: ошибка")
        except Exception as exc:  # a bug in one municipality must not stop the others
            msg = f"{type(exc).__name__}: {exc}"
            failures.append((name, f"внутренняя ошибка {msg}", f"internal error {msg}"))
            _say(f"[{name}] Внутренняя ошибка: {msg}")
            progress.finished(f"{name}: ошибка")
    if failures:
        ru = "\n".join(f"- {n}: {r}" for n, r, _ in failures)
        en = "; ".join(f"{n}: {e}" for n, _, e in failures)
        raise ShnorError(
            f"Не построено отчётов: {len(failures)} из {len(items)} (построено: {len(done)})\n{ru}",
            f"{len(failures)} of {len(items)} reports failed: {en}",
        )
    return done
