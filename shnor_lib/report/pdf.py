"""HTML → PDF with ONE headless Chromium for many pages (the school cards).

``chromium --print-to-pdf`` starts a browser per file (about a second each, most of it
start-up). Here one browser is started with ``--remote-debugging-pipe`` and driven through
the DevTools protocol (JSON messages ending in NUL, commands on the child's fd 3, replies
on its fd 4): one tab navigates to each card and prints it (``Page.printToPDF``, paper
from the card's CSS ``@page A4``). No network port is opened.

Chromium stamps the PDF with the time (``/CreationDate``, ``/ModDate``): both are set to
a fixed date (``SOURCE_DATE_EPOCH`` when given, else 2000-01-01) with the same byte length,
so the same card gives the same PDF bytes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shnor_lib.errors import EnvironmentProblem

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
ENV_BROWSER = "SHNOR_CHROMIUM"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--remote-debugging-pipe",
)
NO_BROWSER_RU = (
    "PDF карточек школ не созданы: не найден браузер Chromium (карточки в HTML записаны). "
    "Установите его: make browser (или sudo apt-get install chromium), либо укажите путь "
    "в переменной SHNOR_CHROMIUM; отключить PDF: report.cards_pdf: false."
)
NO_BROWSER_EN = (
    "school card PDFs not written: Chromium not found (install it with make browser, or set "
    "SHNOR_CHROMIUM); report.cards_pdf: true requires it"
)
TIMEOUT_S = 60.0


def find_browser() -> str | None:
    """``SHNOR_CHROMIUM`` when set (a missing file counts as no browser), else PATH."""
    named = os.environ.get(ENV_BROWSER)
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class _Pipe:
    """The DevTools protocol over the browser's pipe: send a command, read until its reply."""

    def __init__(self, proc: subprocess.Popen, to_browser: int, from_browser: int) -> None:
        self.proc, self.w, self.r = proc, to_browser, from_browser
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium closed the DevTools pipe")
            self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    del self.events[: i + 1]
                    return
            self.events.clear()
            self.events.append(self._read_message(deadline))


@contextlib.contextmanager
def _browser(path: str) -> Iterator[_Pipe]:
    """A headless Chromium with its DevTools pipe on fds 3 (in) and 4 (out)."""
    import fcntl

    cmd_r, cmd_w = os.pipe()
    out_r, out_w = os.pipe()

    def child_fds() -> None:
        # via fds >= 10 first, so that dup2 onto 3 and 4 cannot clobber the other pipe;
        # dup2 makes 3 and 4 inheritable, every other fd of Python is not (PEP 446)
        a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        b = fcntl.fcntl(out_w, fcntl.F_DUPFD, 10)
        os.dup2(a, 3)
        os.dup2(b, 4)

    with tempfile.TemporaryDirectory(prefix="shnor-chromium-") as profile:
        proc = subprocess.Popen(
            [path, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=child_fds,  # noqa: PLW1509  (no threads start browsers here)
        )
        for fd in (cmd_r, out_w):
            os.close(fd)
        pipe = _Pipe(proc, cmd_w, out_r)
        try:
            yield pipe
        finally:
            with contextlib.suppress(Exception):
                pipe.call("Browser.close")
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(cmd_w)
            os.close(out_r)


def _fixed_date() -> bytes:
    """The PDF date put in place of Chromium's clock (PDF ``D:YYYYMMDDHHmmSS``)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    stamp = datetime.fromtimestamp(int(epoch) if epoch.isdigit() else 946684800, UTC)
    return stamp.strftime("%Y%m%d%H%M%S").encode()


_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})([^)]*)\)")


_NODE = re.compile(rb"\(node(\d+)\)")  # a structure element's /ID and the /Headers naming it


def _renumber_nodes(data: bytes) -> bytes:
    """The tagged PDF's structure ids are DOM node ids, which grow from page to page of the
    same tab: numbered in order of appearance instead (same width, so same length)."""
    seen: dict[bytes, bytes] = {}

    def sub(m: re.Match) -> bytes:
        old = m.group(1)
        if old not in seen:
            seen[old] = str(len(seen) + 1).zfill(len(old)).encode()
        new = seen[old]
        if len(new) != len(old):  # cannot happen with zero-padding unless ids overflow
            return m.group(0)
        return b"(node" + new + b")"

    return _NODE.sub(sub, data)


def deterministic(data: bytes) -> bytes:
    """The PDF with its time stamps fixed and its structure ids renumbered (same length:
    the xref offsets stay valid)."""
    data = _renumber_nodes(data)
    fixed = _fixed_date()

    def sub(m: re.Match) -> bytes:
        tail = b"+00'00'" if len(m.group(3)) == 7 else b"Z".ljust(len(m.group(3)), b" ")
        return b"/" + m.group(1) + b" (D:" + fixed + tail[: len(m.group(3))] + b")"

    return _DATE.sub(sub, data)


def print_many(browser: str, jobs: Iterable[tuple[Path, Path]]) -> int:
    """Print each ``(html, pdf)`` with one browser; return the number of PDFs written."""
    count = 0
    try:
        with _browser(browser) as cdp:
            target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            cdp.call("Page.enable", session=session)
            for html, pdf in jobs:
                cdp.call("Page.navigate", {"url": Path(html).resolve().as_uri()}, session)
                cdp.wait_event("Page.loadEventFired", session)
                result = cdp.call(
                    "Page.printToPDF",
                    {
                        "printBackground": True,
                        "preferCSSPageSize": True,
                        "displayHeaderFooter": False,
                        "paperWidth": 8.27,
                        "paperHeight": 11.69,
                    },
                    session,
                )
                Path(pdf).write_bytes(deterministic(base64.b64decode(result["data"])))
                count += 1
    except (OSError, RuntimeError, TimeoutError, ConnectionError, KeyError, ValueError) as exc:
        raise EnvironmentProblem(
            f"Не удалось напечатать PDF карточек школ в Chromium ({browser}): {exc}. "
            "Карточки в HTML не опубликованы вместе с отчётом; отключить PDF: "
            "report.cards_pdf: false.",
            f"printing the school card PDFs with Chromium ({browser}) failed: {exc}",
        ) from None
    return count
