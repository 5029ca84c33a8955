"""The layout's one hard rule: ``shnor_lib/methods/`` is DataFrame-in → result-out. It reads
no file (the stage in ``pipeline.py`` loads data through ``shnor_lib/io`` and passes it in)
and renders nothing (no ``shnor_lib.report``). The scan is over the source (AST), so a new
``open(...)`` or ``pd.read_csv`` anywhere in methods/ fails here naming its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
METHODS = ROOT / "shnor_lib" / "methods"

# Calls that read (or write) a file, by the called name (function or method).
IO_CALLS = {
    "open",
    "read_csv",
    "read_excel",
    "read_parquet",
    "read_json",
    "read_table",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "to_csv",
    "to_excel",
    "to_parquet",
    "load_workbook",
    "safe_load",
    "full_load",
    "unsafe_load",
    "iterdir",
    "glob",
    "rglob",
}
# yaml.load(...) / json.load(...) read a stream; a bare `load` of another object is fine
STREAM_LOADERS = {"yaml", "json", "pickle", "tomllib"}
# Modules methods/ may not import: readers of files, and the presentation layer.
FORBIDDEN_IMPORTS = (
    "shnor_lib.io.forms_read",
    "shnor_lib.io.reference",
    "shnor_lib.io.ingest",
    "shnor_lib.report",
    "openpyxl",
    "yaml",
)
PACKAGES = {"shnor_lib.report"}  # `from <package> import <module>`: named by the module
# Known exceptions (none left: risk_factors.yml is read in io/catalogs.py). An entry must
# still be true (the test fails when it is fixed, so the list only shrinks).
PENDING: set[tuple[str, str]] = set()


def _called_name(node: ast.Call) -> tuple[str | None, str | None]:
    """(name, owner) of a call: ``pd.read_csv`` → ("read_csv", "pd"), ``open`` → ("open", None)."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return func.attr, owner
    return None, None


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return []


def violations(source: str, name: str) -> list[tuple[str, int, str]]:
    """(file, line, what) for every file I/O call or forbidden import in ``source``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            called, owner = _called_name(node)
            if called in IO_CALLS or (called == "load" and owner in STREAM_LOADERS):
                out.append((name, node.lineno, f"call {called}"))
        bad = [
            module
            for module in _imported(node)
            if any(module == m or module.startswith(m + ".") for m in FORBIDDEN_IMPORTS)
        ]
        if bad:  # named by the module imported («display» of `from shnor_lib.report import …`)
            module = bad[1] if bad[0] in PACKAGES and len(bad) > 1 else bad[0]
            out.append((name, node.lineno, f"import {module.split('.')[-1]}"))
    return out


def _all() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(METHODS.glob("*.py")):
        found += violations(path.read_text("utf-8"), path.name)
    return found


def test_methods_do_no_file_io_and_import_no_reader_or_report():
    found = [v for v in _all() if (v[0], v[2]) not in PENDING]
    assert not found, "file I/O or a forbidden import in shnor_lib/methods/ (load the data in " + (
        "shnor_lib/io/reference.py and pass it in from the stage):\n"
        + "\n".join(f"  shnor_lib/methods/{f}:{line}: {what}" for f, line, what in found)
    )


def test_pending_exceptions_are_still_real():
    """An exception that no longer applies is removed from PENDING (the list only shrinks)."""
    found = {(f, what) for f, _, what in _all()}
    assert found >= PENDING, sorted(PENDING - found)


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("import pandas as pd\nx = pd.read_csv('a.csv')\n", "call read_csv"),
        ("with open('a') as f:\n    pass\n", "call open"),
        ("from pathlib import Path\nPath('a').read_text('utf-8')\n", "call read_text"),
        ("import yaml\n", "import yaml"),
        ("x = yaml.load(s)\n", "call load"),
        ("from openpyxl import load_workbook\n", "import openpyxl"),
        ("from shnor_lib.io import reference\n", "import reference"),
        ("from shnor_lib.io.forms_read import read_forms\n", "import forms_read"),
        ("from shnor_lib.report import display\n", "import display"),
        ("from shnor_lib.report.display import show\n", "import display"),
    ],
)
def test_the_scan_catches_each_kind(code, what):
    found = violations(code, "x.py")
    assert found and found[0][0] == "x.py" and found[0][2] == what, found


def test_the_scan_lets_pure_code_pass():
    code = (
        "import pandas as pd\nfrom shnor_lib.io.forms_spec import load_forms\n"
        "from shnor_lib.io.personal import mask_names\n"
        "def f(frame):\n    return frame.groupby('a').sum().load\n"
    )
    assert violations(code, "x.py") == []
