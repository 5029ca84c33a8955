"""Packaging: `pip install .` without make gives a working `python -m shnor_lib` that carries
its notebooks; the requirement files agree with pyproject.toml; no shell in the core."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]).lower()


def test_requirements_split_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["requires-python"] == ">=3.11,<3.14"
    runtime = _pins(ROOT / "requirements.txt")
    dev_text = (ROOT / "requirements-dev.txt").read_text("utf-8")
    dev = _pins(ROOT / "requirements-dev.txt")
    assert "-r requirements.txt" in dev_text.splitlines()
    for req in project["dependencies"]:  # every runtime dependency pinned for the venv
        assert _name(req) in runtime, req
    for req in project["optional-dependencies"]["dev"]:  # dev tools only in the dev file
        assert _name(req) in dev and _name(req) not in runtime, req
    assert not set(runtime) & set(dev), set(runtime) & set(dev)


def test_no_shell_in_the_core():
    hits = []
    for path in (ROOT / "shnor_lib").rglob("*.py"):
        text = path.read_text("utf-8")
        for bad in ("shell=True", "os.system(", "os.popen("):
            if bad in text:
                hits.append(f"{path.name}: {bad}")
    assert not hits, hits


@pytest.mark.skipif(os.environ.get("SHNOR_SKIP_WHEEL") == "1", reason="SHNOR_SKIP_WHEEL=1")
def test_wheel_installs_and_runs_without_make(tmp_path):
    """Build the wheel as `pip install .` does, install it alone into a folder and run the
    CLI from elsewhere: the installed copy (not this checkout) answers, with its notebooks."""
    src = tmp_path / "src"  # a copy: an in-tree build would leave build/ in the checkout
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "local")
    shutil.copytree(ROOT / "shnor_lib", src / "shnor_lib", ignore=ignore)
    shutil.copytree(ROOT / "notebooks", src / "notebooks", ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "requirements.txt"):
        shutil.copy(ROOT / name, src / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("shnor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "shnor_lib/notebooks/report.ipynb",
        "shnor_lib/notebooks/region.ipynb",
        "shnor_lib/data/defaults.yml",
        "shnor_lib/templates/shnor/index.html.j2",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "notebooks/", "build/")) for n in names)
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import shnor_lib, shnor_lib.report.notebook as r; print(shnor_lib.__file__); "
        "print(r.locate_notebook('.', 'notebooks/report.ipynb'))"
    )
    where = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert where.returncode == 0, where.stderr
    module, notebook = where.stdout.split()
    assert Path(module).is_relative_to(site) and Path(notebook).is_relative_to(site)
    helped = subprocess.run(
        [sys.executable, "-m", "shnor_lib", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert helped.returncode == 0 and "report" in helped.stdout, helped.stderr
