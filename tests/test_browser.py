"""The demo report as a person sees it: rendered by headless Chromium (Debian's package).

`make test` first runs `make browser`, which installs Debian's chromium where it can (root
or passwordless sudo, network reachable). Without a browser the test is SKIPPED with the
install command in its reason — except under CI=true, where it must run and fails.
``SHNOR_CHROMIUM`` names the browser binary to use instead of looking it up on PATH.
The screenshot is kept as a test artifact in outputs/test-artifacts/report.png; the A4 print
of the report as report.pdf and a few of its pages as report-page-<n>.png (pdftoppm from
poppler-utils, when installed).

Layout is measured by the browser itself through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: no websocket library): the page is laid out with print media at
the printed width of an A4 page, and every table's width and every text's font size are read.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from test_report_e2e import demo  # noqa: F401  (module-scoped fixture: synth → compute → report)

from shnor_lib.report import pdf

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


# the product's own lookup (``SHNOR_CHROMIUM``, else PATH): the test finds what the cards use
find_chromium = pdf.find_browser


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


# Print layout -----------------------------------------------------------------------------
PX_PER_MM = 96 / 25.4
PORTRAIT_PX = round((210 - 2 * 14) * PX_PER_MM)  # A4 less the side margins of shnor.css
LANDSCAPE_PX = round((297 - 2 * 14) * PX_PER_MM)
MIN_PT = 9.0


class DevTools:
    """Chromium driven over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out, NUL-separated
    JSON): enough of the DevTools protocol to lay a page out and read it back."""

    def __init__(self, binary: str) -> None:
        self.profile = tempfile.TemporaryDirectory()
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds() -> None:  # in the child: the pipe ends chromium expects as fd 3 and 4
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile.name}", "--remote-debugging-pipe"],
            preexec_fn=fds,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.n = 0
        self.pending: list[dict] = []

    def _message(self) -> dict:
        while b"\0" not in self.buf:
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            got = self._message()
            if got.get("id") == self.n:
                if "error" in got:
                    raise RuntimeError(f"{method}: {got['error']}")
                return got.get("result", {})
            self.pending.append(got)

    def wait(self, event: str, session: str) -> None:
        while True:
            got = self.pending.pop(0) if self.pending else self._message()
            if got.get("method") == event and got.get("sessionId") == session:
                return

    def page(self, url: str, width: int, *, media: str = "print") -> str:
        """A tab laid out ``width`` CSS px wide (no scrollbar) with ``media``; its session."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        s = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", s)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            s,
            width=width,
            height=1100,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Emulation.setScrollbarsHidden", s, hidden=True)
        self.send("Emulation.setEmulatedMedia", s, media=media)
        self.send("Page.navigate", s, url=url)
        self.wait("Page.loadEventFired", s)
        return s

    def evaluate(self, session: str, expression: str):
        out = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
        if "exceptionDetails" in out:
            raise RuntimeError(str(out["exceptionDetails"]))
        return out["result"].get("value")

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - already gone
            self.proc.kill()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self.profile.cleanup()


# Every table (its width, whether it prints on a landscape page), every visible text smaller
# than MIN_PT, every figure's rendered and natural width.
MEASURE_JS = """(() => {
  const tables = Array.from(document.querySelectorAll('table')).map(t => ({
    width: t.getBoundingClientRect().width,
    shown: t.getClientRects().length > 0,
    landscape: !!t.closest('.shnor-print-wide'),
    caption: t.caption ? t.caption.textContent.slice(0, 80) : t.rows[0].textContent.slice(0, 80),
  }));
  const small = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el.getClientRects().length) continue;
    const pt = parseFloat(getComputedStyle(el).fontSize) * 0.75;
    if (pt < MIN_PT) small.push([el.tagName, pt, node.textContent.trim().slice(0, 40)]);
  }
  const figures = Array.from(document.querySelectorAll('figure img')).map(img => ({
    rendered: img.getBoundingClientRect().width, natural: img.naturalWidth,
    svg: img.src.startsWith('data:image/svg'),
  }));
  return {tables, small, figures, page: document.documentElement.clientWidth};
})()""".replace("MIN_PT", str(MIN_PT))


def _svg_min_font_pt(html_text: str) -> list[float]:
    """The smallest text of every SVG figure, in its own points: matplotlib draws glyphs as
    paths scaled by font size / 100 («scale(0.09 -0.09)» is 9 pt)."""
    out = []
    for m in re.finditer(r'src="data:image/svg\+xml;base64,([^"]+)"', html_text):
        svg = base64.b64decode(m.group(1)).decode("utf-8")
        scales = [float(x) for x in re.findall(r"scale\(([0-9.]+) -[0-9.]+\)", svg)]
        out.append(100 * min(scales) if scales else float("inf"))
    return out


@pytest.fixture(scope="module")
def devtools(chromium):
    tools = DevTools(chromium)
    yield tools
    tools.close()


def test_report_prints_on_a4_with_every_column_and_no_text_below_9_pt(demo, devtools):  # noqa: F811
    root, params, truth, html = demo
    portrait = devtools.evaluate(devtools.page(html.as_uri(), PORTRAIT_PX), MEASURE_JS)
    landscape = devtools.evaluate(devtools.page(html.as_uri(), LANDSCAPE_PX), MEASURE_JS)
    assert portrait["page"] == PORTRAIT_PX and landscape["page"] == LANDSCAPE_PX
    tables = portrait["tables"]
    assert len(tables) > 40 and all(t["shown"] for t in tables)  # folded tables print unfolded
    wide = [t for t in tables if t["landscape"]]
    assert 0 < len(wide) < len(tables) / 3
    too_wide = [
        (t["caption"], round(t["width"]))
        for t, t_land in zip(tables, landscape["tables"], strict=True)
        if (
            t_land["width"] > LANDSCAPE_PX + 0.5
            if t["landscape"]
            else t["width"] > PORTRAIT_PX + 0.5
        )
    ]
    assert not too_wide, too_wide
    assert not portrait["small"], portrait["small"][:10]
    svg_min = _svg_min_font_pt(html.read_text("utf-8"))
    figures = [f for f in portrait["figures"] if f["svg"]]
    assert len(figures) == len(svg_min) > 5
    printed = [m * f["rendered"] / f["natural"] for m, f in zip(svg_min, figures, strict=True)]
    assert min(printed) >= MIN_PT - 0.05, [round(p, 2) for p in printed]

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "report.pdf"
    pdf.unlink(missing_ok=True)
    _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()], timeout=240)
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", data)
    sizes = [(round(float(w)), round(float(h))) for w, h in boxes]
    assert (
        sizes.count((595, 842)) > 10
        and sizes.count((842, 595)) >= len({t["caption"] for t in wide}) // 2
    )
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        first_wide = 1 + sizes.index((842, 595))
        for old in ARTIFACTS.glob("report-page-*.png"):
            old.unlink()
        for page in sorted({1, 2, 5, first_wide}):
            subprocess.run(
                [pdftoppm, "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile"]
                + [str(pdf), str(ARTIFACTS / f"report-page-{page}")],
                check=True,
                timeout=60,
            )
        assert len(list(ARTIFACTS.glob("report-page-*.png"))) == len({1, 2, 5, first_wide})


CARD_PX = round((210 - 9 - 11) * PX_PER_MM)  # A4 less the side margins of card.css


def test_school_card_prints_on_a4_with_every_column_and_no_text_below_9_pt(demo, devtools):  # noqa: F811
    """The fullest card (the largest HTML) laid out at the printed width: every table fits,
    no text under 9 pt; printed with Chromium to A4 on at most two pages, kept with PNGs."""
    root, params, truth, html = demo
    cards = [p for p in (html.parent / "schools").glob("*.html") if p.name != "index.html"]
    n_schools = len(pd.read_csv(html.parent / "tables" / "schools.csv", dtype=str))
    assert len(cards) == n_schools
    card = max(sorted(cards), key=lambda p: p.stat().st_size)
    got = devtools.evaluate(devtools.page(card.as_uri(), CARD_PX), MEASURE_JS)
    assert got["page"] == CARD_PX and got["tables"]
    too_wide = [
        (t["caption"], round(t["width"])) for t in got["tables"] if t["width"] > CARD_PX + 0.5
    ]
    assert not too_wide, too_wide
    assert not got["small"], got["small"][:10]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "card.pdf"
    pdf.unlink(missing_ok=True)
    _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", card.as_uri()], timeout=120)
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", data)
    sizes = [(round(float(w)), round(float(h))) for w, h in boxes]
    assert sizes and set(sizes) == {(595, 842)} and len(sizes) <= 2, sizes
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        for old in ARTIFACTS.glob("card-page-*.png"):
            old.unlink()
        for page in range(1, len(sizes) + 1):
            subprocess.run(
                [pdftoppm, "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile"]
                + [str(pdf), str(ARTIFACTS / f"card-page-{page}")],
                check=True,
                timeout=60,
            )
        assert len(list(ARTIFACTS.glob("card-page-*.png"))) == len(sizes)


def test_site_index_fits_1280_px_with_the_name_as_link(demo, devtools, tmp_path):  # noqa: F811
    from shnor_lib.report import site

    root, params, truth, html = demo
    index = site.build_site(params.output_dir().parent.parent, tmp_path / "site")
    s = devtools.page(index.as_uri(), 1280, media="screen")
    got = devtools.evaluate(
        s,
        """(() => { const r = document.querySelector('main table tbody tr');
        return {width: document.documentElement.scrollWidth,
                table: document.querySelector('main table').getBoundingClientRect().right,
                first: r.cells[0].querySelector('a') && r.cells[0].querySelector('a').textContent,
                href: r.cells[0].querySelector('a') && r.cells[0].querySelector('a').getAttribute('href'),
                cols: r.cells.length}; })()""",
    )
    assert got["width"] <= 1280 and got["table"] <= 1280, got
    assert got["first"] == params.title and got["href"].endswith("/report.html"), got
    assert got["cols"] <= 9
