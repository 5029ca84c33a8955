"""Faults: a killed, interrupted or refused run leaves the previous outputs byte-identical.

Kill tests send REAL signals to a REAL `shnor report` (a subprocess on the tiny
municipality) at the moment its progress line says it is computing, running the notebook
or writing the HTML. Environment errors are real too: a file in the way of the outputs, a
file-size limit (RLIMIT_FSIZE), a full tmpfs, a folder the run may not write to.
"""

from __future__ import annotations

import errno
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import tiny_tables, write_tables

from shnor_lib.cli import main
from shnor_lib.config import load_params
from shnor_lib.errors import EXIT_ENVIRONMENT, EXIT_SIGINT, EXIT_SIGTERM, ShnorError
from shnor_lib.io import atomic
from shnor_lib.report import render as report
from shnor_lib.report import site as report_site

ROOT = Path(__file__).resolve().parent.parent
PARAMS = "params/tiny.yml"


def _project(root: Path) -> Path:
    write_tables(root / "data" / "raw" / "tiny", tiny_tables())
    (root / "params").mkdir(parents=True, exist_ok=True)
    (root / PARAMS).write_text("municipality: tiny\ntitle: Тест\nyear: 2024\nwindow: 2\n", "utf-8")
    return root


def _tree(root: Path) -> dict[str, str]:
    """sha256 of every visible file under outputs/ and data/processed/ (hidden stagings of a
    SIGKILLed run are not outputs: they are listed by :func:`_hidden`)."""
    found = {}
    for top in ("outputs", "data/processed"):
        for p in sorted((root / top).rglob("*")):
            rel = p.relative_to(root)
            if any(part.startswith(".") for part in rel.parts) or not p.is_file():
                continue
            found[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def _hidden(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for top in ("outputs", "data/processed")
        for p in (root / top).rglob(".*")
    )


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **extra)
    env.pop("SHNOR_STAGED_DIRS", None)
    return env


def _stagings(root: Path) -> list[Path]:
    return sorted((root / "outputs" / "tiny").glob(".shnor-stage-2024-*"))


def _moment(root: Path, proc: psutil.Process, moment: str) -> bool:
    """Where the run is, read from the filesystem and the process table (not from progress
    messages, whose wording may change): ``tables`` — CSVs being written into the staging;
    ``notebook`` — the kernel has run cells for a second; ``html`` — the kernel has ended,
    the executed notebook is in the staging and report.html is not yet."""
    staged = _stagings(root)
    if moment == "tables":
        return any((s / "tables").is_dir() for s in staged)
    kernels = proc.children()
    if moment == "notebook":
        return any(time.time() - k.create_time() > 1.0 for k in kernels)
    if moment == "html":
        return not kernels and any(
            (s / "report.ipynb").exists() and not (s / "report.html").exists() for s in staged
        )
    raise ValueError(moment)


def _run_and_signal(root: Path, moment: str | None, sig: int | None):
    """Start `shnor report`; at ``moment`` send ``sig`` to its process group, as a
    terminal's Ctrl-C does. Returns (exit code, stderr, pids of its children then)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "shnor_lib", "report", "--params", PARAMS],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    children: list[int] = []
    fired = False
    me = psutil.Process(proc.pid)
    while sig is not None and proc.poll() is None:
        try:
            if _moment(root, me, moment):
                children = [c.pid for c in me.children(recursive=True)]
                os.killpg(proc.pid, sig)
                fired = True
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.01)
    rc = proc.wait(timeout=300)
    reader.join(10)
    err = "".join(lines)
    assert sig is None or fired, f"the run ended before the moment {moment!r}:\n{err}"
    return rc, err, children


def _gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not alive:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    root = _project(tmp_path_factory.mktemp("faults"))
    rc, err, _ = _run_and_signal(root, None, None)
    assert rc == 0, err
    return root, _tree(root)


KILLS = [  # (moment, signal, expected exit code)
    ("tables", signal.SIGTERM, EXIT_SIGTERM),
    ("notebook", signal.SIGINT, EXIT_SIGINT),
    ("html", signal.SIGTERM, EXIT_SIGTERM),
    ("tables", signal.SIGKILL, -signal.SIGKILL),
    ("notebook", signal.SIGTERM, EXIT_SIGTERM),
    ("html", signal.SIGINT, EXIT_SIGINT),
    ("notebook", signal.SIGKILL, -signal.SIGKILL),
    ("html", signal.SIGKILL, -signal.SIGKILL),
]


def test_real_signals_leave_previous_outputs_identical(reported):
    root, before = reported
    # a changed input: whatever a killed run published would differ from `before`
    raw = root / "data" / "raw" / "tiny" / "schools.csv"
    raw.write_text(raw.read_text("utf-8").replace("МБОУ СОШ № 1", "МБОУ СОШ № 1 (новая)"), "utf-8")
    for moment, sig, expected in KILLS:
        hidden_before = _hidden(root)
        rc, err, children = _run_and_signal(root, moment, sig)
        what = f"{signal.Signals(sig).name} at {moment!r}"
        assert rc == expected, f"{what}: exit {rc}\n{err}"
        assert _tree(root) == before, f"{what}: the previous outputs changed"
        assert _gone(children), f"{what}: a process of the run outlived it: {children}"
        if sig == signal.SIGKILL:
            continue  # a killed process says nothing; its stagings are hidden
        last = err.strip().splitlines()[-1]
        assert last.startswith("Прервано (") and "предыдущие результаты не изменены" in last
        assert "Traceback" not in err and "Interrupted" not in err, err
        assert _hidden(root) == [], f"{what}: leftovers {_hidden(root)}"
        # stagings of an earlier SIGKILL were cleaned by this run
        assert not [h for h in hidden_before if (root / h).exists()]
    assert any(".shnor-stage-" in h for h in _hidden(root))  # the last SIGKILL left one
    rc, err, _ = _run_and_signal(root, None, None)  # the next run cleans up and publishes
    assert rc == 0, err
    assert _hidden(root) == []
    after = _tree(root)
    assert set(after) == set(before)
    html = (root / "outputs" / "tiny" / "2024" / "report.html").read_text("utf-8")
    assert "МБОУ СОШ № 1 (новая)" in html
    assert (
        (root / "outputs" / "tiny" / "2024" / "tables" / "schools.csv")
        .read_text("utf-8")
        .count("(новая)")
    )


# Environment errors ------------------------------------------------------------------------


def _compute(root: Path, monkeypatch) -> int:
    monkeypatch.chdir(root)
    return main(["compute", "--params", PARAMS])


def test_outputs_path_that_is_a_file(tmp_path, monkeypatch, capsys):
    root = _project(tmp_path)
    (root / "outputs").write_text("not a folder", "utf-8")
    assert _compute(root, monkeypatch) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert "путь занят файлом" in err and f"{root / 'outputs'}" in err
    assert "Внутренняя ошибка" not in err and "Traceback" not in err
    assert (root / "outputs").read_text("utf-8") == "not a folder"
    assert not (root / "data" / "processed" / "tiny" / "2024").exists()  # one run, one swap


def test_year_folder_that_is_a_file(tmp_path, monkeypatch, capsys):
    root = _project(tmp_path)
    year = root / "outputs" / "tiny" / "2024"
    year.parent.mkdir(parents=True)
    year.write_bytes(b"x")
    assert _compute(root, monkeypatch) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert f"путь занят файлом: {year}" in err and "a file is in the way" in err
    assert year.read_bytes() == b"x"
    assert sorted(p.name for p in year.parent.iterdir()) == ["2024"]


def _with_previous(root: Path, monkeypatch) -> dict[str, str]:
    assert _compute(root, monkeypatch) == 0
    raw = root / "data" / "raw" / "tiny" / "schools.csv"
    raw.write_text(raw.read_text("utf-8").replace("МБОУ ООШ № 2", "МБОУ ООШ № 2 (б)"), "utf-8")
    return _tree(root)


def test_file_size_limit(tmp_path, monkeypatch):
    """`ulimit -f`: SIGXFSZ is ignored by shnor, the write fails with EFBIG, named."""
    root = _project(tmp_path)
    before = _with_previous(root, monkeypatch)
    limit = 20_000  # tables.xlsx of the tiny municipality is ~40 KB, every CSV far less

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "shnor_lib", "compute", "--params", PARAMS],
        cwd=root,
        capture_output=True,
        text=True,
        env=_env(),
        preexec_fn=limited,
        timeout=300,
    )
    assert proc.returncode == EXIT_ENVIRONMENT, proc.stderr
    assert "превышен допустимый размер файла" in proc.stderr
    assert "file size limit exceeded" in proc.stderr
    assert str(root / "outputs" / "tiny" / "2024") in proc.stderr
    assert ".shnor-stage-" not in proc.stderr  # the user's path, not the staging
    assert _tree(root) == before and _hidden(root) == []


def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_disk_full(tmp_path, monkeypatch, capsys):
    """A full disk: a real 48 KB tmpfs as outputs/ where mount is permitted; elsewhere the
    same error raised at the OS boundary (os.open of the xlsx writer) in-process."""
    root = _project(tmp_path)
    outputs = root / "outputs"
    mounted = _tmpfs(outputs, "48k")
    try:
        previous = outputs / "tiny" / "2024" / "tables"
        previous.mkdir(parents=True)
        (previous / "schools.csv").write_text("school_id\n1\n", "utf-8")
        if not mounted:
            import zipfile

            def full(*_a, **_k):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
        before = _tree(root)
        assert _compute(root, monkeypatch) == EXIT_ENVIRONMENT
        err = capsys.readouterr().err
        assert "нет места на диске" in err and "no space left on device" in err
        assert str(outputs / "tiny" / "2024") in err
        assert _tree(root) == before and _hidden(root) == []
    finally:
        if mounted:
            subprocess.run(["umount", str(outputs)], check=False)


def _without_root_override() -> list[str] | None:
    """Root ignores permission bits: drop the capabilities that let it (setpriv, from
    util-linux), so a chmod 555 folder refuses writes as it does for any user."""
    if os.geteuid() != 0:
        return []
    tool = shutil.which("setpriv")
    if tool is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [tool, f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]


def test_no_write_permission(tmp_path):
    """A read-only outputs/ (chmod 555): a real EACCES."""
    prefix = _without_root_override()
    if prefix is None:
        pytest.skip("running as root without setpriv: permission bits cannot be enforced")
    root = _project(tmp_path)
    (root / "outputs").mkdir()
    os.chmod(root / "outputs", 0o555)
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "shnor_lib", "compute", "--params", PARAMS],
            cwd=root,
            capture_output=True,
            text=True,
            env=_env(),
            timeout=300,
        )
    finally:
        os.chmod(root / "outputs", 0o755)
    assert proc.returncode == EXIT_ENVIRONMENT, proc.stderr
    assert "нет прав на запись" in proc.stderr and "permission denied" in proc.stderr
    assert str(root / "outputs" / "tiny" / "2024") in proc.stderr
    assert "Внутренняя ошибка" not in proc.stderr
    assert list((root / "outputs").iterdir()) == []
    assert not (root / "data" / "processed" / "tiny" / "2024").exists()  # nothing half-published


# Cell timeout, stagings, site ------------------------------------------------------------------


def test_cell_timeout_names_the_section(tmp_path, capfd):
    root = _project(tmp_path)
    nb = (ROOT / "notebooks" / "report.ipynb").read_text("utf-8")
    (root / "notebooks").mkdir()
    import nbformat

    book = nbformat.reads(nb, as_version=4)
    book.cells[1:1] = [  # before the first heavy cell: only this one can reach the limit
        nbformat.v4.new_markdown_cell("## Очень долгий раздел"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(120)"),
    ]
    nbformat.write(book, str(root / "notebooks" / "report.ipynb"))
    (root / PARAMS).write_text(
        (root / PARAMS).read_text("utf-8") + "report:\n  timeout_s: 5\n", "utf-8"
    )
    params = load_params(root / PARAMS)
    previous = params.output_dir()
    previous.mkdir(parents=True)
    (previous / "report.html").write_text("старый отчёт", "utf-8")
    with pytest.raises(ShnorError) as info:
        report.render_report(params, tables_ready=False)
    text = info.value.format()
    assert "раздел «Очень долгий раздел»" in text and "report.timeout_s" in text
    assert "5 с" in text
    time.sleep(1)  # the stopped kernel's last words, if any
    assert "Traceback" not in capfd.readouterr().err
    assert (previous / "report.html").read_text("utf-8") == "старый отчёт"
    assert not (previous / "tables").exists()  # the new tables went with the failed report
    assert _hidden(root) == []


def test_parked_previous_folder_is_put_back(tmp_path):
    """SIGKILL between the two renames of the fallback swap: the next run restores it."""
    target = tmp_path / "outputs" / "m" / "2024"
    target.mkdir(parents=True)
    (target / "report.html").write_text("old", "utf-8")
    dead = 2**22 + 12345  # above pid_max: no such process
    os.replace(target, target.with_name(f".shnor-old-2024-{dead}-abc123"))
    stray = target.with_name(f".shnor-stage-2024-{dead}-def456")
    stray.mkdir()
    (stray / "report.html").write_text("half", "utf-8")
    atomic.clean_leftovers(target)
    assert (target / "report.html").read_text("utf-8") == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["2024"]


def test_staging_keeps_what_the_run_does_not_write(tmp_path):
    target = tmp_path / "2024"
    (target / "tables").mkdir(parents=True)
    (target / "tables" / "a.csv").write_text("old", "utf-8")
    (target / "report.html").write_text("report", "utf-8")
    (target / "report.failed.ipynb").write_text("{}", "utf-8")
    with atomic.staged_dir(target, drop=("report.failed.ipynb",)) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".shnor-stage-2024-")
        (tmp / "tables").mkdir()
        (tmp / "tables" / "b.csv").write_text("new", "utf-8")
        with atomic.staged_dir(target) as inner:  # re-entrant: one swap at the end
            assert inner == tmp
        assert (target / "tables" / "a.csv").exists()  # nothing published yet
    assert sorted(p.name for p in (target / "tables").iterdir()) == ["b.csv"]
    assert (target / "report.html").read_text("utf-8") == "report"
    assert not (target / "report.failed.ipynb").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024"]
    with pytest.raises(RuntimeError), atomic.staged_dir(target) as tmp:
        (tmp / "report.html").write_text("half", "utf-8")
        raise RuntimeError("boom")
    assert (target / "report.html").read_text("utf-8") == "report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024"]


def test_site_never_takes_a_staging_for_a_report(tmp_path):
    out = tmp_path / "outputs"
    good = out / "m" / "2024"
    good.mkdir(parents=True)
    (good / "report.html").write_text("<html>ok</html>", "utf-8")
    for stray in (out / "m" / ".shnor-stage-2024-1-x", out / ".shnor-stage-m-1-y" / "2024"):
        stray.mkdir(parents=True)
        (stray / "report.html").write_text("<html>half</html>", "utf-8")
    index = report_site.build_site(out)
    files = sorted(str(p.relative_to(index.parent)) for p in index.parent.rglob("*"))
    assert files == ["index.html", "m", "m/2024", "m/2024/report.html"]
    assert "shnor-stage" not in index.read_text("utf-8")
