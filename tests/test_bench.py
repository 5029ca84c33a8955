"""The benchmark machinery (make bench) on a tiny region: the table is produced, every row
filled. The real benchmark is not part of the test suite."""

from __future__ import annotations

import json
import sys

from shnor_lib.devtools import bench


def test_quick_bench_writes_the_table(tmp_path):
    path = bench.run(tmp_path / "bench", quick=True, quiet=True)
    text = path.read_text("utf-8")
    for row in ("| (a) |", "| (b) |", "| (c) |", "| (d) |"):
        assert row in text
    python = f"Python {sys.version_info.major}.{sys.version_info.minor}"  # the running one
    assert "Машина: " in text and "CPU" in text and python in text
    assert "--quick" in text
    result = json.loads((path.parent / "bench.json").read_text("utf-8"))
    assert result["a"]["wall_s"] > 0 and result["a"]["peak_gb"] > 0
    assert result["a"]["municipalities"] == 2 and result["b"]["schools"] == 15
    assert result["c"]["floor_s"] > 0 and result["c"]["reports"] == 1
    assert result["d"]["wall_s"] > 0
    # a partial run (--only d) reuses the data and reports only what it measured
    part = bench.run(tmp_path / "bench", quick=True, quiet=True, only=("d",)).read_text("utf-8")
    assert "частичный запуск: d" in part and "| (d) |" in part
    assert "| (a) |" not in part and "| (c) |" not in part
