"""The demo report as a person sees it: rendered by headless Chromium (Debian's package).

`make test` first runs `make browser`, which installs Debian's chromium where it can (root
or passwordless sudo, network reachable). Without a browser the test is SKIPPED with the
install command in its reason — except under CI=true, where it must run and fails.
``SHNOR_CHROMIUM`` names the browser binary to use instead of looking it up on PATH.
The screenshot is kept as a test artifact in outputs/test-artifacts/report.png.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_report_e2e import demo  # noqa: F401  (module-scoped fixture: synth → compute → report)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "outputs" / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


INSTALL = "sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
MISSING = (
    "Chromium не найден — браузерный тест {what}; установите: {cmd} (Debian; Ubuntu: "
    "chromium-browser) или выполните make browser (Chromium not found: {cmd})"
)


def find_chromium() -> str | None:
    """``SHNOR_CHROMIUM`` when set (a missing file counts as no browser), else PATH."""
    named = os.environ.get("SHNOR_CHROMIUM")
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module", autouse=True)
def chromium() -> str:
    """Checked before the (slow) demo fixture: skip at once, or fail under CI."""
    path = find_chromium()
    if path:
        return path
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail("CI=true: " + MISSING.format(what="обязателен", cmd=INSTALL), pytrace=False)
    pytest.skip(MISSING.format(what="пропущен", cmd=INSTALL))


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [find_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            timeout=timeout,
            check=False,
        )


def test_report_renders_in_chromium(demo):  # noqa: F811
    root, params, truth, html = demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    _run(["--window-size=1280,2000", f"--screenshot={shot}", html.as_uri()])
    assert shot.exists() and shot.stat().st_size > 20_000

    from PIL import Image

    img = Image.open(shot).convert("L")
    hist = img.histogram()
    white = sum(hist[245:])
    assert white < 0.97 * img.width * img.height, "the screenshot is (almost) blank"

    dom = _run(["--dump-dom", html.as_uri()]).stdout.decode("utf-8", errors="replace")
    assert "<nav" in dom or "Содержание" in dom
    anchors = re.findall(r'href="#([^"]+)"', dom)
    assert len(anchors) >= 5
    for anchor in anchors:
        assert f'id="{anchor}"' in dom, anchor
    for title in (
        "Образовательные результаты",
        "Индекс образовательных результатов и ШНОР",
        "Методика и данные",
    ):
        assert title in dom


def _pytest_without_browser(ci: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ, SHNOR_CHROMIUM="/nonexistent/chromium")
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
        + [f"{Path(__file__)}::test_report_renders_in_chromium"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_chromium_skipped_with_install_command_but_not_under_ci():
    done = _pytest_without_browser(None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout and INSTALL in done.stdout
    done = _pytest_without_browser("true")
    assert (
        done.returncode != 0
        and "CI=true: Chromium не найден — браузерный тест обязателен" in done.stdout
    ), done.stdout
