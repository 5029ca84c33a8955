"""The committed notebooks are the single source of the report; this keeps them clean.

What the old string generator guaranteed, checked on the notebooks themselves: no outputs,
one literals-only ``parameters`` cell, every code cell compiles and calls the library,
unique cell ids; and every ``##`` section runs on the computed demo tables and on empty
tables (its cells executed in-process, the way the kernel would). Plus: the notebook finds
the project root itself (``jupyter nbconvert --execute`` from the project root), and a
changed param changes the report's sentences.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib
import nbformat
import pytest

from shnor_lib import region
from shnor_lib.errors import ShnorError
from shnor_lib.pipeline import Results
from shnor_lib.report import notebook as report_notebook
from shnor_lib.report import render as report

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {
    "report": ROOT / "notebooks" / "report.ipynb",
    "region": ROOT / "notebooks" / "region.ipynb",
    "example": ROOT / "notebooks" / "local" / "example.ipynb",  # the analyst's template
}


def _nb(name: str) -> nbformat.NotebookNode:
    return nbformat.read(str(NOTEBOOKS[name]), as_version=4)


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _is_parameters(cell) -> bool:
    return "parameters" in cell.get("metadata", {}).get("tags", [])


def _imports_only(source: str) -> bool:
    body = ast.parse(source).body
    return bool(body) and all(isinstance(s, ast.Import | ast.ImportFrom) for s in body)


def sections(nb) -> list[tuple[str, list]]:
    """(title, code cells) of every `## ` section; cells before the first are the preamble."""
    out: list[tuple[str, list]] = [("(preamble)", [])]
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            out.append((cell.source[3:].split("\n", 1)[0].strip(), []))
        elif cell.cell_type == "code":
            out[-1][1].append(cell)
    return out


# Static hygiene ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_no_outputs_and_unique_ids(name):
    nb = _nb(name)
    nbformat.validate(nb)
    for cell in _code(nb):
        assert cell.outputs == [] and cell.execution_count is None, cell.id
    ids = [c.id for c in nb.cells]
    assert all(ids) and len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_one_literals_only_parameters_cell_explained(name):
    cells = [c for c in _nb(name).cells if _is_parameters(c)]
    assert len(cells) == 1
    source = cells[0].source
    body = ast.parse(source).body
    assert body
    for stmt in body:
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1, ast.unparse(stmt)
        assert isinstance(stmt.targets[0], ast.Name)
        ast.literal_eval(stmt.value)  # raises unless a literal
    for line in source.splitlines():  # each parameter explained in a comment
        if line and not line.startswith("#"):
            assert "  # " in line, line
    assert "root = None" in source  # found from the working folder, not "."


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_every_code_cell_compiles_and_calls_the_library(name):
    nb = _nb(name)
    library: set[str] = set()
    for cell in _code(nb):  # names the notebook imports from shnor_lib
        for stmt in ast.walk(ast.parse(cell.source)):
            if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").startswith("shnor_lib"):
                library |= {a.asname or a.name for a in stmt.names}
    assert library
    for cell in _code(nb):
        compile(cell.source, cell.id, "exec")
        if _is_parameters(cell):
            continue
        tree = ast.parse(cell.source)
        imports = any(
            isinstance(s, ast.ImportFrom) and (s.module or "").startswith("shnor_lib")
            for s in ast.walk(tree)
        )
        calls = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                while isinstance(func, ast.Attribute):
                    func = func.value
                if isinstance(func, ast.Name):
                    calls.add(func.id)
        assert imports or calls & library, f"{cell.id} does not call shnor_lib: {cell.source}"


def test_sections_are_found():
    titles = [t for t, _ in sections(_nb("report"))]
    for title in ("Образовательные результаты", "Объективность результатов", "Методика и данные"):
        assert title in titles
    assert len(titles) == len(set(titles))


# Running the sections in-process ----------------------------------------------------------


def _run(cell, ns: dict[str, Any]) -> None:
    """Execute a cell like the kernel; render its last expression as the report would."""
    tree = ast.parse(cell.source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, cell.id, "exec"), ns)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), cell.id, "eval"), ns)
        for method in ("_repr_html_", "_repr_markdown_"):
            if hasattr(value, method):
                shown = getattr(value, method)()
                text = shown[0] if isinstance(shown, tuple) else shown
                assert isinstance(text, str), cell.id
                assert "Traceback" not in text and "nan" not in text.split(), cell.id
    import matplotlib.pyplot as plt

    plt.close("all")


def _setup_cell(nb):
    """The first code cell after the parameters cell: it loads params and the tables."""
    code = _code(nb)
    i = next(i for i, c in enumerate(code) if _is_parameters(c))
    return code[i + 1]


def _imports(nb) -> dict[str, Any]:
    """A namespace with every import of the notebook done (each section imports nothing)."""
    ns: dict[str, Any] = {}
    for cell in _code(nb):
        for stmt in ast.parse(cell.source).body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                exec(compile(ast.Module([stmt], []), cell.id, "exec"), ns)
    ns["display"].setup()
    return ns


def _run_sections(nb, ns: dict[str, Any], skip: set[str]) -> list[str]:
    ran = []
    for title, cells in sections(nb):
        local = dict(ns)
        for cell in cells:
            if cell.id in skip or _is_parameters(cell) or _imports_only(cell.source):
                continue
            try:
                _run(cell, local)
            except Exception as exc:  # name the section and cell
                raise AssertionError(f"section «{title}», cell {cell.id}: {exc!r}") from exc
        ran.append(title)
    return ran


@pytest.fixture(scope="module")
def demo_results(demo_computed):
    root, params, truth = demo_computed
    from shnor_lib.pipeline import load_results

    return root, params, load_results(params)


def test_report_sections_run_on_demo_tables(demo_computed):
    """Parameters as papermill injects them, the setup cell as written, then each section."""
    root, params, _ = demo_computed
    nb = _nb("report")
    ns = _imports(nb)
    exec(next(c for c in _code(nb) if _is_parameters(c)).source, ns)
    ns.update(municipality="demo", year=params.year, root=str(root))
    _run(_setup_cell(nb), ns)
    assert ns["params"].root == root and not ns["res"].tables["schools"].empty
    ran = _run_sections(nb, ns, {_setup_cell(nb).id})
    assert len(ran) >= 10


def test_report_sections_run_on_empty_tables(demo_results):
    """An empty municipality: every published table with its columns and no rows."""
    root, params, res = demo_results
    tables = {name: frame.iloc[:0].copy() for name, frame in res.tables.items()}
    nb = _nb("report")
    ns = _imports(nb)
    ns.update(params=params, res=Results(params=params, tables=tables, manifest=res.manifest))
    ran = _run_sections(nb, ns, {_setup_cell(nb).id})
    assert len(ran) >= 10


def test_region_sections_run_on_demo_and_empty_tables(demo_computed, tmp_path):
    """The region page: one computed municipality as a region, then the same with no rows."""
    root, params, _ = demo_computed
    from shnor_lib.report.sections import region as views_region

    nb = _nb("region")
    row = region.municipality_summary(params)  # from the demo's computed tables
    elsewhere = params.replace(paths={**params.paths.to_dict(), "outputs": str(tmp_path)})
    region.write_summary([elsewhere], "hygiene", {"demo": row})
    ns = _imports(nb)
    exec(next(c for c in _code(nb) if _is_parameters(c)).source, ns)
    ns.update(region="hygiene", year=params.year, outputs=str(tmp_path), root=str(root))
    _run(_setup_cell(nb), ns)
    assert len(ns["data"].summary) == 1
    assert len(_run_sections(nb, ns, {_setup_cell(nb).id})) >= 3
    data = ns["data"]
    empty = views_region.RegionData(
        data.region, data.year, data.summary.iloc[:0], data.targets.iloc[:0], {}, root, "outputs"
    )
    ns = {**_imports(nb), "region": "hygiene", "year": params.year, "data": empty}
    assert len(_run_sections(nb, ns, {_setup_cell(nb).id})) >= 3


# The notebook finds the project root ------------------------------------------------------


def test_project_root_walks_up_from_notebooks(tmp_path, monkeypatch):
    (tmp_path / "params").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "notebooks" / "local").mkdir(parents=True)
    monkeypatch.delenv(report_notebook.ROOT_ENV, raising=False)
    assert report_notebook.project_root(None, start=tmp_path / "notebooks" / "local") == tmp_path
    assert report_notebook.project_root(str(tmp_path / "data")) == tmp_path / "data"  # given: as is
    monkeypatch.setenv(report_notebook.ROOT_ENV, str(tmp_path / "notebooks"))
    assert report_notebook.project_root(None, start="/") == tmp_path / "notebooks"
    monkeypatch.delenv(report_notebook.ROOT_ENV)
    lone = tmp_path / "elsewhere"
    lone.mkdir()
    (tmp_path / "params").rmdir()
    with pytest.raises(ShnorError) as err:
        report_notebook.project_root(None, start=lone)
    assert "params/" in err.value.message_ru and "root" in err.value.message_ru


def test_nbconvert_execute_from_the_project_root(demo_computed, tmp_path):
    """The command the issue names, run as a user would after `make compute`: the kernel
    starts in notebooks/ and the notebook finds the project root itself."""
    root, params, _ = demo_computed
    env = {k: v for k, v in os.environ.items() if k != report_notebook.ROOT_ENV}
    env.update(MPLBACKEND="Agg", PYDEVD_DISABLE_FILE_VALIDATION="1")
    out = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "notebooks/report.ipynb", "--output-dir", str(tmp_path), "--output", "ran"],
        cwd=root, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    ran = nbformat.read(str(tmp_path / "ran.ipynb"), as_version=4)
    errors = [o for c in _code(ran) for o in c.outputs if o.output_type == "error"]
    assert not errors
    shown = "".join(
        str(o.get("data", {}).get("text/markdown", "")) for c in _code(ran) for o in c.outputs
    )
    assert "95-процентным доверительным интервалом" in shown


# Params-built sentences -------------------------------------------------------------------


def test_overridden_params_show_in_the_report_text(tiny_project):
    """A changed weight, threshold and confidence level read the same in the text."""
    import shutil

    from shnor_lib import pipeline
    from shnor_lib.config import load_params

    root, _ = tiny_project
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("local"))
    path = root / "params" / "tiny.yml"
    path.write_text(
        path.read_text("utf-8")
        + "confidence: 0.9\nmin_group_size: 12\n"
        + "results_index:\n  components:\n    gia_below_min: {weight: 0.55}\n"
        + "objectivity:\n  min_excess: 12.5\npairing:\n  max_pairs_per_leader: 3\n",
        "utf-8",
    )
    params = load_params(path)
    pipeline.compute(params)
    text = report.render_report(params).read_text("utf-8")
    for said in (
        "90-процентным доверительным интервалом",
        "менее чем по 12 участникам",
        "(вес 0,55)",
        "не меньше 12,5 процентных пунктов",
        "не более трёх ШНОР на одного партнёра",
        "[90 % ДИ]",
    ):
        assert said in text, said
    for stale in ("95-процентн", "95 % ДИ", "вес 0,4", "по 10 участникам", "двух ШНОР"):
        assert stale not in text, stale


# Extra notebooks (report_notebook.extra_notebooks) ---------------------------------------------------


def test_notebook_allowed_only_inside_notebooks(tmp_path):
    (tmp_path / "notebooks" / "local").mkdir(parents=True)
    outside = tmp_path / "elsewhere.ipynb"
    outside.write_text("{}")
    (tmp_path / "notebooks" / "local" / "link.ipynb").symlink_to(outside)
    assert report_notebook.notebook_allowed("notebooks/local/m_extra.ipynb", tmp_path)
    assert report_notebook.notebook_allowed(tmp_path / "notebooks" / "report.ipynb", tmp_path)
    for bad in (
        "elsewhere.ipynb",
        "notebooks/../elsewhere.ipynb",
        "notebooks/local/link.ipynb",  # a symlink out of notebooks/
        "notebooks/local/script.py",
        "/etc/passwd",
    ):
        assert not report_notebook.notebook_allowed(bad, tmp_path), bad
    for pattern in ("../x.ipynb", "/tmp/*.ipynb", "notebooks/local/link.ipynb", "data/*.ipynb"):
        if pattern == "data/*.ipynb":
            (tmp_path / "data").mkdir()
            (tmp_path / "data" / "x.ipynb").write_text("{}")
        with pytest.raises(ShnorError) as err:
            report_notebook.extra_notebooks([pattern], tmp_path)
        assert "report.extra_notebooks" in err.value.message_ru, pattern
    with pytest.raises(ShnorError, match="не найден"):
        report_notebook.extra_notebooks(["notebooks/local/typo.ipynb"], tmp_path)
    assert report_notebook.extra_notebooks(["notebooks/local/none_*.ipynb"], tmp_path) == []


def test_extra_notebook_is_appended_with_its_heading_in_the_toc(tiny_project):
    """params name notebooks/local/<m>_*.ipynb: run with the same parameters, appended."""
    import shutil

    from bs4 import BeautifulSoup

    from shnor_lib import pipeline
    from shnor_lib.config import load_params

    root, _ = tiny_project
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copy(NOTEBOOKS["example"], root / "notebooks" / "local" / "tiny_small.ipynb")
    path = root / "params" / "tiny.yml"
    path.write_text(
        path.read_text("utf-8") + "report:\n  extra_notebooks: [notebooks/local/tiny_*.ipynb]\n",
        "utf-8",
    )
    params = load_params(path)
    pipeline.compute(params)
    html = report.render_report(params)
    soup = BeautifulSoup(html.read_text("utf-8"), "html.parser")
    toc = [a.get_text() for a in soup.select("nav.shnor-toc a")]
    assert toc[-1] == "Малокомплектные школы" and "Методика и данные" in toc
    headings = [h.get_text() for h in soup.find_all("h2")]
    assert any("Малокомплектные школы" in h for h in headings)
    assert toc.index("Малокомплектные школы") > toc.index("Методика и данные")
    caption = soup.find("caption", string=lambda t: t and "Малокомплектные школы, 2024 г." in t)
    assert caption is not None  # the extra notebook's own table, with the report's year
    rows = [td.get_text() for td in caption.find_parent("table").select("tbody td")]
    assert "МБОУ ООШ № 2" in rows and "МБОУ СОШ № 1" not in rows  # is_small == 1 only
    assert "notebook_params" not in html.read_text("utf-8")  # no code in the report
