"""Same inputs and params → byte-identical outputs, whatever the machine's environment.

The demo report, the blank forms and the site are built twice in separate processes that
differ in time zone, locale, hash seed and wall-clock time; every output file (HTML,
.ipynb, CSV, xlsx, docx, parquet, results.json, summary.json, forms) is compared byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from shnor_lib.demo import synth

ROOT = Path(__file__).resolve().parent.parent


def _locales() -> set[str]:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    except OSError:
        return set()
    return {line.strip() for line in out.stdout.splitlines()}


def _environment(tz: str, seed: str, prefer: list[str]) -> dict[str, str]:
    available = {name.lower().replace("-", "") for name in _locales()}
    loc = next((n for n in prefer if n.lower().replace("-", "") in available), "C")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "SHNOR_"))}
    env.pop("SOURCE_DATE_EPOCH", None)
    env.update(TZ=tz, LC_ALL=loc, LANG=loc, PYTHONHASHSEED=seed, PYTHONDONTWRITEBYTECODE="1")
    return env


def _build(root: Path, env: dict[str, str]) -> None:
    for args in (
        ["report", "--params", "params/demo.yml"],
        ["forms", "--out", "outputs/forms"],
        ["site", "--outputs", "outputs"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "shnor_lib", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"shnor {args[0]} under {env['TZ']}:\n{done.stderr}"


def _files(*tops: Path) -> dict[str, bytes]:
    return {
        f"{top.name}/{p.relative_to(top)}": p.read_bytes()
        for top in tops
        for p in sorted(top.rglob("*"))
        if p.is_file()
    }


def test_outputs_identical_across_tz_locale_and_hash_seed(tmp_path):
    root = tmp_path / "project"
    synth.generate(root / "data" / "raw" / "demo", seed=20240904)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "params", root / "params")

    _build(root, _environment("UTC", "1", ["C.UTF-8", "en_US.UTF-8"]))
    first = _files(root / "outputs", root / "data" / "processed")
    shutil.rmtree(root / "outputs")
    shutil.rmtree(root / "data" / "processed")
    _build(root, _environment("Asia/Vladivostok", "4242", ["ru_RU.UTF-8", "POSIX"]))
    second = _files(root / "outputs", root / "data" / "processed")

    kinds = {Path(name).suffix for name in first}
    assert {".html", ".ipynb", ".csv", ".xlsx", ".docx", ".parquet", ".json"} <= kinds
    assert any(name.startswith("outputs/forms/") for name in first)
    assert any(name.startswith("outputs/site/") for name in first)
    assert len(first) > 40
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, f"differ between the two environments: {differ}"
