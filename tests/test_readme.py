"""The README's examples work: every command in its shell code blocks is either run here (the
cheap ones, in a temporary copy of the project) or listed in COVERED with the test or CI step
that runs it. A command nobody runs fails this test, and so does a stale list entry."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# Commands run by another test or by .ci/run → where. Each must name an existing file that
# mentions what it runs (checked below), and `make` targets are dry-run here (make -n).
COVERED: dict[str, tuple[str, str]] = {
    "make report": ("tests/test_cli_messages.py", '"report", "--params"'),
    "make test": (".ci/run", "make test"),
    "make report MUNICIPALITY=temryuk": ("tests/test_cli_messages.py", '"report", "--params"'),
    "make lab": ("tests/test_readme.py", "make -n lab"),  # interactive: the target is dry-run
    "make region": ("tests/test_region.py", '["region", "--raw"'),
    "conda env create -f environment.yml": ("tests/test_readme.py", "environment.yml"),
    "conda activate shnor": ("tests/test_readme.py", "environment.yml"),
    "pip install --no-deps -e .": ("Makefile", "pip install -q --no-deps -e ."),  # make venv
    "make inspect MUNICIPALITY=temryuk": ("tests/test_layouts.py", '["inspect", "--params"'),
}
# Commands this test runs, with the exit code and a text the output must contain.
RUN: dict[str, tuple[int, str]] = {
    "make help": (0, "make init"),
    ".venv/bin/shnor --help": (0, "использование: shnor"),
    "make init MUNICIPALITY=temryuk": (0, "Создан файл: params/temryuk.yml"),
    "make validate MUNICIPALITY=temryuk": (2, "обязательный файл «vpr»"),
    "make clean": (0, "Удаляю кэши"),
    "make clean-outputs FORCE=1": (0, "outputs/ очищена"),
}


def readme_commands(text: str) -> list[str]:
    """The commands of the ```bash / ```sh blocks, one per line, without trailing comments."""
    out = []
    for block in re.findall(
        r"^[ \t]*```(?:bash|sh|shell|console)\n(.*?)^[ \t]*```", text, re.M | re.S
    ):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def test_every_readme_command_is_run_or_covered():
    commands = readme_commands(README.read_text("utf-8"))
    assert "make report" in commands and "make init MUNICIPALITY=temryuk" in commands
    nobody = [c for c in commands if c not in RUN and c not in COVERED]
    assert nobody == [], f"README commands nobody runs: {nobody}"
    stale = [c for c in list(RUN) + list(COVERED) if c not in commands]
    assert stale == [], f"listed but not in the README: {stale}"
    for command, (where, needle) in COVERED.items():
        path = ROOT / where
        assert path.is_file(), (command, where)
        assert needle in path.read_text("utf-8"), (command, where, needle)


def test_readme_points_to_repo_docs_only():
    text = README.read_text("utf-8")  # nothing outside the repository: tests/test_docs.py
    for link in (
        "docs/data_contract.md",
        "docs/layouts.md",
        "docs/customizing.md",
        "docs/exit_codes.md",
        "docs/methods.md",
        "docs/indicators.md",
        "docs/architecture.md",
        "docs/performance.md",
        "docs/validation.md",
    ):
        assert f"]({link})" in text, link
    for mine in ("docs/performance.md", "docs/validation.md"):
        assert (ROOT / mine).is_file(), mine


def test_conda_environment_file_is_what_the_readme_says():
    env = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    assert env["name"] == "shnor"  # `conda activate shnor`
    deps = env["dependencies"]
    assert any(str(d).startswith("python=3.11") for d in deps)
    names = {str(d).split(">")[0].split("=")[0] for d in deps if isinstance(d, str)}
    assert {"pandas", "papermill", "python-calamine"} <= names  # conda-forge runtime packages
    assert "pip install --no-deps -e ." in README.read_text("utf-8")  # the package, no deps


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory):
    """The project's tracked files in a temporary folder, sharing this worktree's .venv."""
    venv = ROOT / ".venv"
    if not (venv / "bin" / "shnor").exists():
        pytest.skip("no .venv with shnor (run make venv)")
    dest = tmp_path_factory.mktemp("clone")
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)  # keeps mtimes: make sees the .venv as up to date
    (dest / ".venv").symlink_to(venv)
    return dest


def _sh(command: str, cwd: Path) -> subprocess.CompletedProcess:
    # the shared .venv is never rebuilt from the copy (make -o: take the stamp as up to date)
    command = re.sub(r"(^|\| )make ", r"\1make -o .venv/.installed-stamp ", command)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_cheap_readme_commands_run_in_a_copy(project_copy):
    commands = readme_commands(README.read_text("utf-8"))
    (project_copy / "outputs" / "demo" / "2024").mkdir(parents=True)
    (project_copy / "outputs" / "demo" / "2024" / "report.html").write_text("x", "utf-8")
    for command in commands:  # in the README's order: init before validate
        if command not in RUN:
            continue
        code, expected = RUN[command]
        proc = _sh(command, project_copy)
        out = proc.stdout + proc.stderr
        assert proc.returncode == code, (command, out)
        assert expected in out, (command, out)
        assert "Traceback" not in out, (command, out)
    assert (project_copy / "params" / "temryuk.yml").is_file()
    assert not (project_copy / "outputs" / "demo").exists()  # clean-outputs FORCE=1 ran


def test_covered_make_targets_exist(project_copy):
    for command in COVERED:
        if command.startswith("make "):
            proc = _sh(command.replace("make ", "make -n ", 1), project_copy)
            assert proc.returncode == 0, (command, proc.stderr)
            assert "shnor" in proc.stdout or "pytest" in proc.stdout or "jupyter" in proc.stdout


def test_make_clean_keeps_published_work_and_clean_outputs_asks(project_copy):
    out = project_copy / "outputs"
    report = out / "krai" / "2024" / "report.html"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("published", "utf-8")
    raw = project_copy / "data" / "raw" / "krai" / "vpr.csv"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text("year\n", "utf-8")
    junk = [
        project_copy / ".pytest_cache" / "x",
        project_copy / "shnor_lib" / "__pycache__" / "x.pyc",
        project_copy / "data" / "processed" / "krai" / "2024" / "vpr.parquet",
        out / "bench" / "data" / "m1" / "vpr.csv",
        out / "krai" / ".tmp-123" / "x",
        out / "krai" / ".report-2024-abc" / "report.ipynb",
    ]
    for path in junk:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", "utf-8")
    proc = _sh("make clean", project_copy)
    assert proc.returncode == 0, proc.stderr
    assert "outputs/" in proc.stdout and "не трогаю" in proc.stdout  # says what it keeps
    assert report.read_text("utf-8") == "published" and raw.is_file()
    assert not any(p.exists() for p in junk), [p for p in junk if p.exists()]
    assert (project_copy / "data" / "processed" / ".gitkeep").is_file()
    # outputs go only after a confirmation: no terminal, no FORCE → nothing deleted
    proc = _sh("make clean-outputs", project_copy)
    assert proc.returncode != 0 and "ничего не удалено" in proc.stdout
    assert "outputs/krai" in proc.stdout and report.is_file()
    proc = _sh("yes нет | make clean-outputs", project_copy)
    assert report.is_file()
    proc = _sh("make clean-outputs FORCE=1", project_copy)
    assert proc.returncode == 0 and not report.exists()
    assert (out / ".gitkeep").is_file()


def test_unknown_make_target_suggests_the_nearest(project_copy):
    proc = _sh("make reprot", project_copy)
    assert proc.returncode == 2
    assert "неизвестная цель «reprot»" in proc.stderr
    assert "возможно, вы имели в виду: make report" in proc.stderr
