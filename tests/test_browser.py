"""The demo report as a person sees it: rendered by headless Chromium (Debian's package).

`.ci/run` installs chromium; the screenshot is kept as a test artifact in
outputs/test-artifacts/report.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
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


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is not installed: .ci/run installs Debian's `chromium` package")


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
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
