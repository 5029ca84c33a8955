"""Aggregated ФИС ОКО exports: «Статистика по отметкам» (Ф3) and «Сравнение отметок с
отметками по журналу», read in their real shape; a municipality with only these for ВПР goes
through validate → compute → report."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from shnor_lib import pipeline
from shnor_lib.config import load_params
from shnor_lib.demo import synth
from shnor_lib.errors import ShnorError
from shnor_lib.io import fisoko_stats, ingest, recognise, reference
from shnor_lib.methods import indicators, objectivity
from shnor_lib.report import render as report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fisoko_stats_files import write_journal_stats, write_marks_stats  # noqa: E402


def _ref(params) -> dict:
    """The reference data the objectivity stage is given (as the pipeline loads it)."""
    return {
        "vpr_scales": reference.vpr_scales(params.raw_dir()),
        "catalog": reference.load_indicator_catalog(),
    }


ROOT = Path(__file__).resolve().parent.parent


def _pupils() -> pd.DataFrame:
    """Two schools, one work: 30 and 7 pupils with known marks and journal marks."""
    marks = {
        "edu203389": [2] * 3 + [3] * 11 + [4] * 10 + [5] * 6,
        "edu203390": [3, 4, 4, 5, 5, 2, 3],
    }
    rows = []
    for sid, ms in marks.items():
        for i, m in enumerate(ms):
            rows.append(
                {
                    "year": 2026,
                    "school_id": sid,
                    "grade": 4,
                    "subject": "Русский язык",
                    "mark": m,
                    "max_score": 24,
                    "journal_mark": m if i % 3 else min(5, m + 1),
                }
            )
    return pd.DataFrame(rows)


NAMES = {"edu203389": "МБОУ «СОШ №1 г.Урус-Мартан»", "edu203390": "МБОУ «ООШ №2»"}


def _read(path: Path):
    rec = recognise.recognise(path, path.name)
    assert rec.error is None and rec.set_aside is None, (rec.error, rec.set_aside)
    return rec


def test_marks_stats_in_real_shape(tmp_path):
    (path,) = write_marks_stats(_pupils(), NAMES, tmp_path)
    rec = _read(path)
    assert rec.layout.name == "fisoko_marks_stats"
    (ex,) = rec.extracts
    f = ex.frame.set_index("school_id")
    assert list(f.index) == [
        "edu203389",
        "edu203390",
    ]  # whole sample, region, municipality left out
    assert f.loc["edu203389", ["n", "n2", "n3", "n4", "n5"]].tolist() == [30, 3, 11, 10, 6]
    assert f.loc["edu203390", ["n2", "n3", "n4", "n5"]].tolist() == [1, 2, 2, 2]
    assert (f["exact"] == 1).all() and not ex.notes
    assert ex.meta == {"year": 2026, "subject": "Русский язык", "grade": 4, "procedure": "ВПР"}
    assert ex.rows.tolist() == [11, 12]  # the sheet rows of the school lines


def test_inexact_percent_is_said_with_file_and_row(tmp_path):
    path = tmp_path / "stat.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Лист1")
    ws.write(0, 0, "Всероссийские проверочные работы 2026 (5 класс)")
    ws.write(1, 0, "Предмет:")
    ws.write(1, 1, "Математика")
    ws.write_row(3, 0, ["Группы участников", "Кол-во ОО", "Кол-во участников", 2, 3, 4, 5])
    ws.write_row(4, 0, ["(sch100001) МБОУ СОШ №1", 1, 30, 10.0, 33.3, 33.3, 23.3])  # 1 decimal
    ws.write_row(5, 0, ["(sch100002) МБОУ СОШ №2", 1, 41, 9.8, 29.3, 36.6, 24.4])  # exact
    ws.write_row(6, 0, ["(sch100003) МБОУ СОШ №3", 1, 20, 12.0, 30.0, 30.0, 30.0])  # 102 %
    wb.close()
    (ex,) = _read(path).extracts
    f = ex.frame.set_index("school_id")
    assert ex.meta["subject"] == "Математика" and ex.meta["grade"] == 5
    # 30 × 33.3 % = 9.99 ≈ 10 pupils: within the ±0.015 pupils one decimal allows? no:
    # 30 × 0.05 % = 0.015, and |9.99 − 10| = 0.01 → exact; the row sums to 30
    assert f.loc["sch100001", ["n2", "n3", "n4", "n5"]].tolist() == [3, 10, 10, 7]
    assert f.loc["sch100001", "exact"] == 1
    assert f.loc["sch100002", ["n2", "n3", "n4", "n5"]].tolist() == [4, 12, 15, 10]
    assert f.loc["sch100003", "exact"] == 0
    assert f.loc["sch100003", ["n2", "n3", "n4", "n5"]].sum() == 20  # made to add up to n
    (note,) = ex.notes
    assert "строка 7" in note and "12 % × 20 = 2.40, не целое число" in note


def test_missing_title_is_a_clear_error(tmp_path):
    path = tmp_path / "stat.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Лист1")
    ws.write_row(0, 0, ["Группы участников", "Кол-во ОО", "Кол-во участников", 2, 3, 4, 5])
    ws.write_row(1, 0, ["(sch100001) МБОУ СОШ №1", 1, 30, 10, 30, 30, 30])
    wb.close()
    with pytest.raises(ShnorError) as err:
        recognise.recognise(path, "stat.xlsx")
    assert "stat.xlsx" in str(err.value) and "год, класс, предмет" in str(err.value)


def test_journal_comparison_in_real_shape(tmp_path):
    (path,) = write_journal_stats(_pupils(), NAMES, tmp_path)
    rec = _read(path)
    assert rec.layout.name == "fisoko_journal_stats"
    (ex,) = rec.extracts
    f = ex.frame.set_index("school_id")
    v = _pupils()
    for sid, g in v.groupby("school_id"):
        d = g["mark"] - g["journal_mark"]
        expected = [int((d < 0).sum()), int((d == 0).sum()), int((d > 0).sum())]
        assert f.loc[sid, ["lowered", "confirmed", "raised"]].tolist() == expected
        assert f.loc[sid, "n"] == len(g)
    assert (f["exact"] == 1).all()


def test_counts_from_percent_rules():
    assert fisoko_stats.counts_from_percent(7, [14.29, 28.57, 28.57, 28.57]) == (
        [1, 2, 2, 2],
        True,
        "",
    )
    counts, exact, why = fisoko_stats.counts_from_percent(200, [0.5, 33.3, 33.3, 32.9])
    assert not exact and sum(counts) == 200 and "не целое" in why  # 200 × 33.3 % = 66.6


# ------------------------------------------------------------------ a municipality, end to end


@pytest.fixture(scope="module")
def aggregated(tmp_path_factory):
    """The synthetic demo with its pupil rows replaced by Ф3 and journal-comparison files
    (one per year × grade × subject, in vpr/); school codes are the ФИС ОКО logins."""
    root = tmp_path_factory.mktemp("agg")
    raw = root / "data" / "raw" / "agg"
    synth.generate(raw, seed=20240904)
    shutil.rmtree(raw / "forms")  # monitoring forms carry the old codes; not needed here
    for p in raw.glob("*.csv"):
        f = pd.read_csv(p, dtype=str, keep_default_na=False)
        if "school_id" in f:
            f["school_id"] = f["school_id"].map(lambda s: f"edu{s}" if s else s)
            f.to_csv(p, index=False)
    vpr = pd.read_csv(raw / "vpr.csv", dtype={"school_id": str})
    (raw / "vpr.csv").unlink()
    schools = pd.read_csv(raw / "schools.csv", dtype={"school_id": str})
    names = dict(zip(schools["school_id"], schools["school_name"], strict=True))
    write_marks_stats(vpr, names, raw / "vpr")
    write_journal_stats(vpr, names, raw / "vpr")
    (root / "params").mkdir()
    (root / "params" / "agg.yml").write_text(
        "municipality: agg\ntitle: Только статистика ВПР\nyear: 2024\n", "utf-8"
    )
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    params = load_params(root / "params" / "agg.yml")
    pipeline.compute(params)
    html = report.render_report(params)
    return params, vpr, html


def test_aggregated_municipality_validates_computes_reports(aggregated):
    params, vpr, html = aggregated
    tables, _ = ingest.load_processed(params)
    assert "vpr" not in tables and len(tables["vpr_stats"]) > 0
    text = Path(html).read_text("utf-8")
    assert "Дефициты по заданиям" in text
    assert text.count("ужны индивидуальные результаты (Ф1)") >= 4  # each such section says so
    assert "Индивидуальные результаты» (Ф1" in text  # which file unlocks the rest


def test_shares_equal_hand_computation(aggregated):
    params, vpr, _ = aggregated
    shares = pd.read_csv(params.output_dir() / "tables" / "vpr_stats_shares.csv", dtype=str)
    row = shares[
        (shares["year"] == "2024")
        & (shares["grade"] == "5")
        & (shares["subject"] == "Математика")
        & (shares["school_id"] == "edu230101")
    ].iloc[0]
    g = vpr[
        (vpr["year"] == 2024)
        & (vpr["grade"] == 5)
        & (vpr["subject"] == "Математика")
        & (vpr["school_id"] == "edu230101")
    ]
    n, k45 = len(g), int((g["mark"] >= 4).sum())
    assert int(row["n"]) == n
    assert float(row["share_4_5"]) == pytest.approx(100 * k45 / n, rel=1e-5)
    z = 1.959963984540054
    p = k45 / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert float(row["share_4_5_ci_low"]) == pytest.approx(100 * (centre - half), rel=1e-5)
    assert float(row["mean_mark"]) == pytest.approx(g["mark"].mean(), rel=1e-5)


def test_objectivity_from_counts_equals_pupil_rows(aggregated):
    """The excess test on units built from counts gives what the pupil rows give."""
    params, vpr, _ = aggregated
    tables, _ = ingest.load_processed(params)
    with_pupils = dict(tables, vpr=vpr)
    for name in ("vpr_stats", "vpr_journal_stats"):
        with_pupils.pop(name)
    marked = pipeline.gia_marked(tables)
    a = objectivity.stage(tables, marked, params, **_ref(params)).table
    b = objectivity.stage(with_pupils, marked, params, **_ref(params)).table
    for check in ("share_4_5", "journal_confirmed"):
        x = a[a["check"] == check].reset_index(drop=True)
        y = b[b["check"] == check].reset_index(drop=True)
        assert len(x) == len(y) > 100
        pd.testing.assert_series_equal(x["statistic"], y["statistic"])
        pd.testing.assert_series_equal(x["flagged"], y["flagged"])
    assert not (a["check"] == "heaping_3").any() and (b["check"] == "heaping_3").any()
    # the municipal journal indicators (A26–A36) from the counts equal those from the pupils
    catalog = reference.load_indicator_catalog()
    ia = indicators.compute(tables, confidence=0.95, catalog=catalog)
    ib = indicators.compute(with_pupils, confidence=0.95, catalog=catalog)
    conf = [i for i in ib["indicator_id"].unique() if i.startswith("vpr_confirm")]
    assert conf
    for frame in (ia, ib):
        frame.sort_values(["indicator_id", "level", "school_id", "year"], inplace=True)
    x = ia[ia["indicator_id"].isin(conf)].reset_index(drop=True)
    y = ib[ib["indicator_id"].isin(conf)].reset_index(drop=True)
    pd.testing.assert_frame_equal(x, y)
