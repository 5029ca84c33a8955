"""Rendering: run the report notebook (papermill), convert it to offline HTML (nbconvert),
publish it atomically, and build a static site of all reports.

Determinism: the kernel runs with PYTHONHASHSEED=0, MPLBACKEND=Agg and SOURCE_DATE_EPOCH;
:func:`shnor_lib.display.setup` fixes matplotlib (SVG hash salt, fonts) and the display
helpers emit no random ids or dates. The HTML template renders no cell ids, execution
counts, kernel or papermill metadata, and the post-processing below normalises what other
libraries make random (pandas Styler table ids).
"""

from __future__ import annotations

import contextlib
import functools
import html as html_lib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from . import __version__
from .console import num
from .errors import EnvironmentProblem, ShnorError
from .io import atomic

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "shnor"

# Cells never shown in the HTML report.
REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell", "remove_cell"})
# Cells whose outputs are hidden (the cell still runs).
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})
# What the report shows, best first. JavaScript, widgets and LaTeX (needs MathJax from a
# CDN) are never rendered; an output offering only those falls back to text/plain.
DISPLAY_PRIORITY = [
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/plain",
]
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
    from .console import since

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
    from .config import load_params

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
    pkg = Path(__file__).resolve().parent
    for candidate in (pkg.parent / notebook, pkg / NOTEBOOKS_DIR / Path(notebook).name):
        if candidate.is_file():
            return candidate
    return own


def kernel_env() -> dict[str, str]:
    """Environment variables set for the kernel that executes a report notebook."""
    pkg_parent = str(Path(__file__).resolve().parent.parent)
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


# Conversion -------------------------------------------------------------------------------


def _cleanup_preprocessor_class():
    from nbconvert.preprocessors import Preprocessor

    junk = re.compile(r"(?:\bat 0x[0-9a-fA-F]+>|^<Figure size [^>]*>$|^<HTML>$)", re.M)

    class CleanupOutputs(Preprocessor):
        """Drop stderr streams and repr noise (memory addresses, '<Figure size ...>')."""

        def preprocess_cell(self, cell, resources, index):
            if cell.get("cell_type") != "code":
                return cell, resources
            kept = []
            for out in cell.get("outputs", []):
                otype = out.get("output_type")
                if otype == "stream" and out.get("name") != "stdout":
                    continue
                if otype in ("execute_result", "display_data"):
                    data = out.get("data", {})
                    shown = [m for m in DISPLAY_PRIORITY if m in data]
                    if not shown:
                        continue
                    if shown == ["text/plain"] and junk.search(str(data["text/plain"])):
                        continue
                kept.append(out)
            cell.outputs = kept
            cell.execution_count = None
            cell.metadata = {k: v for k, v in cell.get("metadata", {}).items() if k == "tags"}
            return cell, resources

    return CleanupOutputs


def _single_pass_class():
    """nbconvert's HTMLExporter without its own BeautifulSoup round trip: it parses the whole
    page only to add missing alt texts and tabindex attributes, which :func:`_postprocess`
    does in its parse (one parse of a multi-megabyte page instead of two)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class SinglePassHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return SinglePassHTMLExporter


def _nbconvert_soup_fixes(soup) -> None:
    """What HTMLExporter.from_notebook_node does to the page after rendering (its CSS
    selectors ``img:not([alt])`` and ``.jp-Notebook div.jp-…``, as plain searches)."""
    for elem in soup.find_all("img", alt=False):
        elem.attrs["alt"] = "No description has been provided for this image"
    for notebook in soup.find_all(class_="jp-Notebook"):
        for cls in ("jp-Cell-inputWrapper", "jp-OutputArea-output"):
            for elem in notebook.find_all("div", class_=cls):
                elem.attrs["tabindex"] = "0"


@functools.lru_cache(maxsize=1)
def _exporter():
    from traitlets.config import Config

    _SinglePassHTMLExporter = _single_pass_class()  # noqa: N806 (a class)

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    c.NbConvertBase.display_data_priority = list(DISPLAY_PRIORITY)
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.HTMLExporter.sanitize_html = False
    c.HTMLExporter.language_code = "ru"
    exporter = _SinglePassHTMLExporter(
        config=c, template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)]
    )
    exporter.register_preprocessor(_cleanup_preprocessor_class()(), enabled=True)
    return exporter


_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"'\s{,.:#>])")


def _normalize_styler_ids(text: str) -> str:
    """pandas Styler tables get a random 'T_xxxxx' id; number them in order instead."""
    mapping: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in mapping:
            mapping[key] = f"s{len(mapping) + 1:04d}"
        return "T_" + mapping[key]

    return _STYLER_ID.sub(sub, text)


def _heading_text(tag) -> str:
    parts = []
    for node in tag.descendants:
        if isinstance(node, str) and not (
            node.parent is not None
            and node.parent.name == "a"
            and "anchor-link" in (node.parent.get("class") or [])
        ):
            parts.append(str(node))
    return " ".join("".join(parts).split())


# A table from display.table(): escaped text in table tags only, no ids, headings or images.
_TABLE_WRAP = '<div class="shnor-table-wrap">'
_TABLE_BLOCK = re.compile(re.escape(_TABLE_WRAP) + r"<table\b.*?</table></div>", re.S)
_NOT_TABLE_TAG = re.compile(r"<(?!/?(?:table|caption|thead|tbody|tr|th|td)[\s>])")
_KEPT_TABLE = re.compile(r'<div class="shnor-table-wrap" data-shnor-kept="(\d+)"></div>')


def _set_tables_aside(html_text: str) -> tuple[str, list[str]]:
    """Replace display.table() blocks by empty placeholders before parsing the page.

    Most tags of a report are table cells, which :func:`_postprocess` never changes (it
    works on headings, ids and images), so the parser need not build them: a block that
    holds nothing but table tags is set aside and put back verbatim. (BeautifulSoup would
    print the same markup: display.table() writes ``class`` first, as it does.)
    """
    if "data-shnor-kept=" in html_text:  # never in a report; then simply parse everything
        return html_text, []
    kept: list[str] = []

    def sub(m: re.Match[str]) -> str:
        block = m.group(0)
        if _NOT_TABLE_TAG.search(block, len(_TABLE_WRAP), len(block) - len("</div>")):
            return block
        kept.append(block)
        return f'<div class="shnor-table-wrap" data-shnor-kept="{len(kept) - 1}"></div>'

    return _TABLE_BLOCK.sub(sub, html_text), kept


def _postprocess(html_text: str) -> str:
    """Readable unique heading ids and the table of contents (h2/h3)."""
    from bs4 import BeautifulSoup

    html_text, kept = _set_tables_aside(html_text)
    soup = BeautifulSoup(html_text, features="html.parser")
    _nbconvert_soup_fixes(soup)
    main = soup.find("main") or soup
    # Markdown headings get percent-encoded ids; decode them (and their anchor links).
    for tag in main.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        if tag.get("id") and "%" in tag["id"]:
            tag["id"] = unquote(tag["id"])
        for a in tag.find_all("a", class_="anchor-link"):
            if a.get("href", "").startswith("#"):
                a["href"] = "#" + unquote(a["href"][1:])
    # Unique ids, in document order.
    seen: set[str] = set()
    for tag in main.find_all(id=True):
        if tag.name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            base = tag["id"]
            new, n = base, 1
            while new in seen:
                n += 1
                new = f"{base}-{n}"
            if new != base:
                tag["id"] = new
                for a in tag.find_all("a", class_="anchor-link"):
                    a["href"] = "#" + new
        seen.add(tag["id"])

    entries = []
    for tag in main.find_all(["h2", "h3"]):
        if "no-toc" in (tag.get("class") or []) or tag.find_parent("nav") is not None:
            continue
        if not tag.get("id"):
            continue
        entries.append((int(tag.name[1]), tag["id"], _heading_text(tag)))

    placeholder = main.find("nav", attrs={"data-shnor-toc": True})
    if len(entries) >= 2:
        parts = [
            '<nav class="shnor-toc" aria-label="Содержание">',
            '<p class="shnor-toc-title">Содержание</p><ol>',
        ]
        open_sub = False
        for i, (level, anchor, text) in enumerate(entries):
            link = f'<a href="#{html_lib.escape(anchor, quote=True)}">{html_lib.escape(text)}</a>'
            if level == 3 and i > 0:
                if not open_sub:
                    parts.append("<ol>")
                    open_sub = True
                parts.append(f"<li>{link}</li>")
                continue
            if open_sub:
                parts.append("</ol>")
                open_sub = False
            if i > 0:
                parts.append("</li>")
            parts.append(f"<li>{link}")
        if open_sub:
            parts.append("</ol>")
        parts.append("</li></ol></nav>")
        nav = BeautifulSoup("".join(parts), features="html.parser").nav
        if placeholder is not None:
            placeholder.replace_with(nav)
        else:
            h1 = main.find("h1")
            cell = h1.find_parent("div", class_="shnor-cell") if h1 is not None else None
            if cell is not None:
                cell.insert_after(nav)
            elif h1 is not None:
                h1.insert_after(nav)
            else:
                main.insert(0, nav)
    elif placeholder is not None:
        placeholder.decompose()

    text = str(soup)
    text = _KEPT_TABLE.sub(lambda m: kept[int(m.group(1))], text)
    text = _normalize_styler_ids(text)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return text.strip() + "\n"


def _atomic_write(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def notebook_to_html(
    ipynb: Path, html: Path, *, title: str, resources_dir: Path | None = None
) -> None:
    """Convert an executed notebook to a self-contained, offline, deterministic HTML page.

    No code, no prompts, no cells tagged ``parameters``/``injected-parameters``/
    ``remove-cell``, no outputs of cells tagged ``remove-output``, no stderr, no
    JavaScript/widget outputs; ``<title>`` = ``title``; ``<html lang="ru">``; a table of
    contents from the h2/h3 headings. ``resources_dir``: where relative image paths in
    Markdown cells are resolved (default: the notebook's folder); they are embedded.
    Written atomically.
    """
    import nbformat

    ipynb = Path(ipynb)
    try:
        nb = nbformat.read(str(ipynb), as_version=4)
    except Exception as exc:
        raise ShnorError(
            f"Не удалось прочитать блокнот {ipynb}: {exc}",
            f"Could not read notebook {ipynb}: {exc}",
        ) from None
    resources = {
        "metadata": {"name": ipynb.stem, "path": str(resources_dir or ipynb.parent)},
        "shnor": {"title": title, "version": __version__},
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    _atomic_write(Path(html), _postprocess(body).encode("utf-8"))


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


def report_title(params) -> str:
    return f"{params.title}: аналитический отчёт, {params.year} год"


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
        tmp = stack.enter_context(atomic.staged_dir(out_dir, drop=(failed_copy.name,)))
        if not tables_ready:
            from . import pipeline

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
    from .console import Progress

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


# Site --------------------------------------------------------------------------------------


def _fmt_key(v: Any) -> str:
    from .display import fmt_number

    if isinstance(v, bool) or v is None:
        return "—" if v is None else ("да" if v else "нет")
    if isinstance(v, int):
        return fmt_number(v, 0)
    if isinstance(v, float):
        return fmt_number(v, 1)
    return str(v)


def _read_summary(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        _say(f"Предупреждение: {path} не читается как JSON, пропущен (unreadable summary.json)")
        return {}
    return data if isinstance(data, dict) else {}


def _region_pages(outputs_root: Path, site_res: Path) -> list[dict[str, Any]]:
    """``<outputs_root>/<region>/<year>/region.html`` pages (``shnor region``), sorted."""
    pages = []
    for html in outputs_root.glob("*/*/region.html"):
        year_dir, r_dir = html.parent, html.parent.parent
        if not year_dir.name.isdigit() or r_dir.name.startswith("."):
            continue
        if site_res == r_dir.resolve() or site_res in r_dir.resolve().parents:
            continue
        meta = _read_summary(year_dir / "region.json")
        munis = meta.get("municipalities") if isinstance(meta.get("municipalities"), list) else []
        pages.append(
            {
                "region": r_dir.name,
                "year": int(year_dir.name),
                "municipalities": len(munis) or None,
                "src": html,
            }
        )
    return sorted(pages, key=lambda r: (r["region"], -r["year"]))


def build_site(outputs_root: Path, site_dir: Path | None = None) -> Path:
    """Build ``<outputs_root>/site/index.html`` linking a copy of every
    ``<outputs_root>/<m>/<year>/report.html`` and, in a «Регионы» table, every regional
    comparison ``<outputs_root>/<region>/<year>/region.html``; offline, relative links,
    deterministic, replaced as a whole. Returns the path of index.html."""
    outputs_root = Path(outputs_root)
    site_dir = Path(site_dir) if site_dir is not None else outputs_root / "site"
    site_res = site_dir.resolve()
    entries = []
    for html in outputs_root.glob("*/*/report.html"):
        year_dir, m_dir = html.parent, html.parent.parent
        if not year_dir.name.isdigit() or m_dir.name.startswith("."):
            continue
        if site_res == m_dir.resolve() or site_res in m_dir.resolve().parents:
            continue
        summary = _read_summary(year_dir / "summary.json")
        keys = summary.get("key_numbers") if isinstance(summary.get("key_numbers"), dict) else {}
        entries.append(
            {
                "municipality": m_dir.name,
                "year": int(year_dir.name),
                "title": str(summary.get("title") or m_dir.name),
                "key_numbers": keys,
                "src": html,
            }
        )
    regions = _region_pages(outputs_root, site_res)
    if not entries and not regions:
        raise ShnorError(
            f"В папке {outputs_root} нет отчётов (<муниципалитет>/<год>/report.html); "
            "сначала выполните make report",
            f"No reports (<m>/<year>/report.html) in {outputs_root}; run make report first",
        )
    entries.sort(key=lambda e: (e["title"].casefold(), e["municipality"], -e["year"]))
    columns: list[str] = []
    for e in entries:
        for k in e["key_numbers"]:
            if k not in columns:
                columns.append(k)

    esc = html_lib.escape
    rows = []
    for e in entries:
        href = f"{e['municipality']}/{e['year']}/report.html"
        cells = [f"<td>{esc(e['title'])}</td>", f'<td class="num">{e["year"]}</td>']
        for k in columns:
            v = e["key_numbers"].get(k)
            cls = "num" if isinstance(v, int | float) and not isinstance(v, bool) else ""
            cells.append(
                f'<td class="{cls}">{esc(_fmt_key(v))}</td>'
                if cls
                else f"<td>{esc(_fmt_key(v))}</td>"
            )
        cells.append(f'<td><a href="{esc(href, quote=True)}">открыть отчёт</a></td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = ['<th scope="col">Муниципалитет</th>', '<th scope="col" class="num">Год</th>']
    head += [f'<th scope="col" class="num">{esc(k)}</th>' for k in columns]
    head.append('<th scope="col">Отчёт</th>')
    css = (TEMPLATES_DIR / TEMPLATE_NAME / "static" / "shnor.css").read_text("utf-8")
    n_m = len({e["municipality"] for e in entries})
    region_rows = []
    for r in regions:
        href = f"{r['region']}/{r['year']}/region.html"
        region_rows.append(
            f'<tr><td>{esc(r["region"])}</td><td class="num">{r["year"]}</td>'
            f'<td class="num">{esc(_fmt_key(r["municipalities"]))}</td>'
            f'<td><a href="{esc(href, quote=True)}">сравнение муниципалитетов</a></td></tr>'
        )
    region_html = (
        '<h2 id="regiony">Регионы</h2>\n<div class="shnor-table-wrap"><table class="shnor-table">\n'
        '<thead><tr><th scope="col">Регион</th><th scope="col" class="num">Год</th>'
        '<th scope="col" class="num">Муниципалитетов</th><th scope="col">Сводка</th></tr></thead>\n'
        "<tbody>\n" + "\n".join(region_rows) + "\n</tbody>\n</table></div>\n"
        if regions
        else ""
    )
    reports_html = (
        '<div class="shnor-table-wrap"><table class="shnor-table wide">\n'
        f"<thead><tr>{''.join(head)}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table></div>\n"
        if entries
        else ""
    )
    lead = f"Отчётов: {len(entries)}; муниципалитетов: {n_m}."
    if regions:
        lead += f" Сводок по регионам: {len(regions)}."
    page = (
        '<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="shnor {esc(__version__)}">\n'
        "<title>Аналитические отчёты: ШНОР и ШССУ</title>\n"
        f'<style>\n{css}</style>\n</head>\n<body>\n<main class="shnor-site">\n'
        "<h1>Аналитические отчёты: школы с низкими результатами и школы, "
        "функционирующие в сложных социальных условиях</h1>\n"
        f'<p class="shnor-site-lead">{lead}</p>\n'
        + region_html
        + (('<h2 id="otchety">Отчёты муниципалитетов</h2>\n' if regions else "") + reports_html)
        + "</main>\n</body>\n</html>\n"
    )

    with atomic.staged_dir(site_dir, carry_over=False) as tmp:  # replaced as a whole
        for e in entries:
            dest = tmp / e["municipality"] / str(e["year"]) / "report.html"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(e["src"], dest)
        for r in regions:
            dest = tmp / r["region"] / str(r["year"]) / "region.html"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(r["src"], dest)
        (tmp / "index.html").write_text(page, "utf-8")
        for p in tmp.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return site_dir / "index.html"
