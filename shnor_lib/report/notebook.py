"""Running notebooks: finding the project root and the allowed notebooks, the kernel's
environment and log filter, papermill execution, extra notebooks, normalising the
executed notebook so that reruns are byte-identical.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from shnor_lib.errors import ShnorError
from shnor_lib.io import atomic

# Kernel start-up code that silences one message: at the end papermill asks the kernel for
# kernel_info and, on the reply, shuts it down; jupyter_client interrupts (SIGINT) every kernel
# before asking it to shut down, and when the signal lands before the kernel has left its
# kernel_info handler (a race, more likely on a busy machine), ipykernel logs
# "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." on the user's console after a
# successful run. Likewise a cell stopped by `report.timeout_s` makes the interrupted
# handler log "Exception in message handler:" with a zmq traceback, after our own message
# has named the section. The filter drops these two records only (any other kernel error
# still shows); it is an expression, so the notebook's namespace gets no new name.
_KERNEL_LOG_FILTER = (
    "__import__('logging').getLogger('IPKernelApp').addFilter("
    "lambda record: not any(m in record.getMessage() for m in "
    "('KeyboardInterrupt caught in kernel', 'Exception in message handler')))"
)


KERNEL_QUIET_SHUTDOWN = [f"--IPKernelApp.exec_lines={json.dumps([_KERNEL_LOG_FILTER])}"]


# Fixed epoch for tools that honour it (matplotlib's SVG/PDF dates): 1980-01-01 UTC.
DEFAULT_SOURCE_DATE_EPOCH = "315532800"


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _secs(t0: float) -> str:
    from shnor_lib.console import since

    return since(t0)


# Execution -----------------------------------------------------------------------------


# Project root and notebooks ------------------------------------------------------------

# Set for the kernel by :func:`kernel_env`; lets a notebook find the project wherever it runs.
ROOT_ENV = "SHNOR_ROOT"


# A folder is the project root when it holds params/ and one of these.
_ROOT_MARKERS = ("data", "notebooks", "shnor_lib")


NOTEBOOKS_DIR = "notebooks"


def project_root(root: str | Path | None = None, start: str | Path | None = None) -> Path:
    """The project root: ``root`` if given, else ``$SHNOR_ROOT``, else the nearest folder
    from ``start`` (default: the working folder) upwards that holds ``params/`` and one of
    ``data/``, ``notebooks/``, ``shnor_lib/``.

    JupyterLab and ``jupyter nbconvert --execute`` start the kernel in ``notebooks/``, papermill
    (``shnor report``) in the root; the report notebook calls this so it runs in all three.
    """
    if root not in (None, ""):
        return Path(root).resolve()
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).resolve()
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "params").is_dir() and any((folder / m).is_dir() for m in _ROOT_MARKERS):
            return folder
    raise ShnorError(
        f"Не найдена папка проекта (с подпапками params/ и data/) ни в {here}, ни выше; "
        "укажите root в ячейке параметров блокнота",
        f"No project folder (with params/ and data/) in {here} or above; set root in the "
        "notebook's parameters cell",
    )


def notebook_params(
    params_path: str | Path | None = None,
    *,
    municipality: str | None = None,
    year: int | None = None,
    root: str | Path | None = None,
):
    """The params a report notebook runs with (its parameters cell, as papermill sets it).

    ``params_path`` relative to the project root (or the working folder); ``None`` means
    ``params/<municipality>.yml`` when that file exists, else the package defaults.
    ``municipality`` and ``year`` override the file when given.
    """
    from shnor_lib.config import load_params

    base = project_root(root)
    path = Path(params_path) if params_path not in (None, "") else None
    if path is None:
        own = base / "params" / f"{municipality or load_params(None).municipality}.yml"
        path = own if own.is_file() else None
    elif not path.is_absolute() and (base / path).is_file():
        path = base / path
    overrides = {k: v for k, v in (("municipality", municipality), ("year", year)) if v is not None}
    return load_params(path, root=base, overrides=overrides)


def notebook_allowed(path: str | Path, root: str | Path) -> bool:
    """True when ``path`` (relative to ``root`` or absolute) is an ``.ipynb`` file inside the
    project's ``notebooks/`` folder (``notebooks/local/`` included), symlinks resolved.

    A params file is data, not code: it may only name notebooks the project already holds,
    never one elsewhere on disk. Config validation and the report runner both ask this.
    """
    base = (Path(root) / NOTEBOOKS_DIR).resolve()
    target = Path(path)
    target = (target if target.is_absolute() else Path(root) / target).resolve()
    return target.suffix == ".ipynb" and target.is_relative_to(base) and target != base


def _refused(pattern: str, root: Path) -> ShnorError:
    return ShnorError(
        f"Блокнот {pattern} (параметр report.extra_notebooks) не запущен: разрешены только "
        f"блокноты .ipynb внутри папки проекта {root / NOTEBOOKS_DIR} (например, "
        "notebooks/local/<муниципалитет>_*.ipynb)",
        f"Notebook {pattern} (params key report.extra_notebooks) refused: only .ipynb files "
        f"inside {root / NOTEBOOKS_DIR} may run",
    )


def extra_notebooks(patterns: Iterable[str], root: str | Path) -> list[Path]:
    """The notebooks named by ``report.extra_notebooks`` (glob patterns relative to the
    root), in the order given, each pattern's matches sorted; duplicates run once.

    A pattern outside ``notebooks/`` is refused with a message; a pattern without wildcards
    that matches no file is an error (a typo must not silently drop a section); a wildcard
    pattern that matches nothing is reported and skipped.
    """
    root = Path(root).resolve()
    found: list[Path] = []
    for pattern in patterns:
        pattern = str(pattern).replace("\\", "/")
        rel = Path(pattern)
        if rel.is_absolute() or ".." in rel.parts or not pattern.strip():
            raise _refused(pattern, root)
        matches = sorted(
            p for p in root.glob(pattern) if p.is_file() and ".ipynb_checkpoints" not in p.parts
        )
        if not matches:
            if not any(ch in pattern for ch in "*?["):
                raise ShnorError(
                    f"Блокнот {pattern} (параметр report.extra_notebooks) не найден в {root}",
                    f"Notebook {pattern} (params key report.extra_notebooks) not found in {root}",
                )
            _say(f"Дополнительных блокнотов по шаблону {pattern} нет — пропущено")
            continue
        for match in matches:
            if not notebook_allowed(match, root):
                raise _refused(str(match.relative_to(root)), root)
            if match not in found:
                found.append(match)
    return found


def locate_notebook(root: str | Path, notebook: str | Path) -> Path:
    """``<root>/<notebook>`` if the project has its own copy, else the copy shipped with
    the package (a source checkout's ``notebooks/`` or, installed with pip, the
    ``shnor_lib/notebooks`` the wheel carries)."""
    own = Path(root) / notebook
    if own.is_file():
        return own
    pkg = Path(__file__).resolve().parent.parent
    for candidate in (pkg.parent / notebook, pkg / NOTEBOOKS_DIR / Path(notebook).name):
        if candidate.is_file():
            return candidate
    return own


def kernel_env() -> dict[str, str]:
    """Environment variables set for the kernel that executes a report notebook."""
    pkg_parent = str(Path(__file__).resolve().parent.parent.parent)
    pythonpath = os.environ.get("PYTHONPATH", "")
    parts = [pkg_parent] + [p for p in pythonpath.split(os.pathsep) if p and p != pkg_parent]
    return {
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH),
        "PYTHONPATH": os.pathsep.join(parts),  # the kernel imports this very shnor_lib
        "JUPYTER_PLATFORM_DIRS": "1",  # silence jupyter_core's migration warning
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # silence the debugger's frozen-modules note
        atomic.ENV_VAR: json.dumps(atomic.active()),  # the notebook reads the run's staging
    }


@contextlib.contextmanager
def _patched_environ(values: dict[str, str]) -> Iterator[None]:
    """The kernel inherits os.environ when it starts; set ours for that moment only."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _first_line(source: str) -> str:
    for line in (source or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line if len(line) <= 80 else line[:77] + "..."
    return ""


def _failing_line(traceback: list[str] | None) -> tuple[int | None, str]:
    """The cell's line number and code where the error was raised (IPython's traceback)."""
    text = _ANSI.sub("", "\n".join(traceback or []))
    m = re.search(r"Cell In\[\d*\], line (\d+)", text)
    if not m:
        return None, ""
    arrow = re.search(r"^-+> ?\d+\s?(.*)$", text[m.end() :], re.M)
    code = arrow.group(1).strip() if arrow else ""
    if len(code) > 80:
        code = code[:77] + "..."
    return int(m.group(1)), code


def _timed_out_section(notebook: Path, message: str) -> str | None:
    """The report section (the last Markdown heading above the cell) whose cell timed out;
    nbclient's message carries a preview of the cell's source."""
    import nbformat

    preview = message.split("-------------------", 1)[-1]
    try:
        cells = nbformat.read(str(notebook), as_version=4).cells
    except Exception:
        return None
    section = None
    for cell in cells:
        lines = [ln.strip() for ln in cell.source.splitlines() if ln.strip()]
        if cell.cell_type == "markdown":
            heading = next((ln for ln in lines if ln.startswith("#")), None)
            section = heading.lstrip("#").strip() if heading else section
        elif cell.cell_type == "code" and lines and lines[0] in preview:
            return section
    return None


def _in_worker_thread(fn, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in a worker thread and wait for it in the main one.

    nbclient replaces the process's SIGINT/SIGTERM handlers while it runs a kernel in the
    main thread (and resets them to the default afterwards), so Ctrl-C would only stop the
    kernel and the run would go on. In a worker thread it cannot; the main thread keeps
    ours: an interrupt raises here, the kernel is stopped and the worker ends with it.
    """
    import threading

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the main thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="shnor-notebook", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except BaseException:
        stop_kernels()
        worker.join(10)
        raise
    if "error" in box:
        raise box["error"]
    return box.get("value")


def stop_kernels() -> None:
    """Stop the kernels this process started (an interrupted run must not leave one)."""
    try:
        import psutil
    except ImportError:
        return
    with contextlib.suppress(psutil.Error):
        children = psutil.Process().children(recursive=True)
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.terminate()
        _, alive = psutil.wait_procs(children, timeout=3)
        for child in alive:
            with contextlib.suppress(psutil.Error):
                child.kill()


def normalize_executed(ipynb: Path) -> None:
    """Drop what changes from run to run in an executed notebook — execution timestamps
    and durations, papermill's random id of the injected cell and its temporary output path
    — so the published .ipynb is byte-identical for identical inputs."""
    import nbformat

    nb = nbformat.read(str(ipynb), as_version=4)
    pm_meta = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration"):
        pm_meta.pop(key, None)
    if "output_path" in pm_meta:
        pm_meta["output_path"] = Path(pm_meta["output_path"]).name
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
    nbformat.write(nb, str(ipynb))


def execute_notebook(
    notebook: Path, out_ipynb: Path, parameters: dict[str, Any], *, cwd: Path, timeout: int = 600
) -> None:
    """Execute ``notebook`` with papermill (kernel ``python3``) into ``out_ipynb``.

    ``parameters`` are injected after the cell tagged ``parameters``. ``timeout`` is the
    limit per cell in seconds. Any failure raises :class:`ShnorError` naming the cell and
    the error (no traceback dump); papermill still writes the failed notebook to
    ``out_ipynb`` for inspection.
    """
    notebook = Path(notebook)
    out_ipynb = Path(out_ipynb)
    if not notebook.is_file():
        raise ShnorError(
            f"Блокнот отчёта не найден: {notebook}", f"Report notebook not found: {notebook}"
        )
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _patched_environ({**kernel_env(), ROOT_ENV: str(Path(cwd).resolve())}):
            _in_worker_thread(
                pm.execute_notebook,
                str(notebook),
                str(out_ipynb),
                parameters=dict(parameters),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                cwd=str(cwd),
                execution_timeout=int(timeout),
                # the kernel's own log (e.g. "running over TCP without encryption") is noise
                extra_arguments=["--IPKernelApp.log_level=ERROR", *KERNEL_QUIET_SHUTDOWN],
            )
        normalize_executed(out_ipynb)
    except PapermillExecutionError as exc:
        evalue = _ANSI.sub("", str(exc.evalue or "")).strip()
        ename = _ANSI.sub("", str(exc.ename or "")).strip()
        line_no, code = _failing_line(exc.traceback)
        code = code or _first_line(exc.source)
        where_ru = f"ячейка In [{exc.exec_count}]" + (f", строка {line_no}" if line_no else "")
        where_en = f"cell In [{exc.exec_count}]" + (f", line {line_no}" if line_no else "")
        if code:
            where_ru += f" («{code}»)"
            where_en += f" ('{code}')"
        raise ShnorError(
            f"Блокнот {notebook.name} завершился с ошибкой: {where_ru}: {ename}: {evalue}",
            f"Notebook {notebook.name} failed: {where_en}: {ename}: {evalue}",
        ) from None
    except ShnorError:
        raise
    except Exception as exc:  # kernel missing or dead, cell timeout, bad notebook JSON, ...
        name = type(exc).__name__
        msg = _ANSI.sub("", str(exc)).strip().splitlines()
        first = msg[0] if msg else ""
        if name == "CellTimeoutError":
            section = _timed_out_section(notebook, str(exc))
            ru = (
                f"раздел «{section}»: " if section else ""
            ) + f"превышено время выполнения ячейки ({timeout} с; параметр report.timeout_s)"
            en = (
                f"section '{section}': " if section else ""
            ) + f"a cell exceeded the time limit ({timeout} s; params key report.timeout_s)"
        elif name == "DeadKernelError":
            ru, en = "ядро Python аварийно завершилось (нехватка памяти?)", "the kernel died"
        elif name == "NoSuchKernel":
            ru = "не найдено ядро Jupyter «python3» (установите ipykernel в окружение)"
            en = "Jupyter kernel 'python3' not found (install ipykernel)"
        else:
            ru = en = f"{name}: {first}"
        raise ShnorError(
            f"Не удалось выполнить блокнот {notebook.name}: {ru}",
            f"Could not execute notebook {notebook.name}: {en}",
        ) from None


def run_extra(notebook: Path, out_ipynb: Path, parameters: dict, root: Path, timeout: int):
    """Execute one extra notebook with the report's parameters; a failure names the file."""
    try:
        execute_notebook(notebook, out_ipynb, parameters, cwd=root, timeout=timeout)
    except ShnorError as exc:
        raise ShnorError(
            f"{exc.message_ru}\n    Дополнительный блокнот: {notebook} "
            "(параметр report.extra_notebooks)",
            f"{exc.message_en}; extra notebook {notebook} (params key report.extra_notebooks)",
        ) from None


def append_notebook(main: Path, extra: Path, id_prefix: str) -> None:
    """Append the cells of the executed ``extra`` notebook to ``main`` (in place).

    Cell ids get ``id_prefix`` so they stay unique; the extra notebook's parameters cells
    keep their tags and are dropped from the HTML like the report's own.
    """
    import nbformat

    nb = nbformat.read(str(main), as_version=4)
    more = nbformat.read(str(extra), as_version=4)
    for i, cell in enumerate(more.cells):
        cell["id"] = f"{id_prefix}-{cell.get('id') or i}"[:64]
        nb.cells.append(cell)
    nbformat.write(nb, str(main))
