"""A whole region in one run (shnor region): tables for every municipality, the pooled ИСБ
sample, the regional summary, its page and the site index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from shnor_lib import region
from shnor_lib.cli import main
from shnor_lib.demo import synth
from shnor_lib.errors import ShnorError
from shnor_lib.report import site as report_site

REGION = "tr"


@pytest.fixture(scope="module")
def tiny_region(tmp_path_factory):
    """Three small municipalities (every one below social_index.min_schools), computed
    with two worker processes; the same region computed in one process for comparison."""
    base = tmp_path_factory.mktemp("region")
    raw = base / "raw"
    ids = synth.generate_region(raw, seed=5, n_municipalities=3, n_schools=39, region=REGION)
    runs, made = {}, {}
    for workers in (2, 1):
        root = base / f"w{workers}"
        root.mkdir()
        params_list = region.region_params(raw, REGION, 2024, root=root)
        times: dict[str, float] = {}
        summaries = made if workers == 2 else None  # summary rows made in the workers
        region.compute_region(params_list, workers=workers, stage_times=times, summaries=summaries)
        runs[workers] = (root, params_list, times)
    root, params_list, _ = runs[2]
    summary = region.write_summary(params_list, REGION, made)
    return {
        "ids": ids,
        "raw": raw,
        "runs": runs,
        "summary": summary,
        "root": root,
        "made": made,
    }


def test_every_municipality_computed_with_region_scope(tiny_region):
    root, params_list, times = tiny_region["runs"][2]
    assert [p.municipality for p in params_list] == tiny_region["ids"]
    assert {"ingest", "objectivity", "social_index", "write"} <= set(times)
    for p in params_list:
        tables = p.output_dir() / "tables"
        assert (tables / "schools.csv").is_file() and (p.output_dir() / "tables.xlsx").is_file()
        fit = pd.read_csv(tables / "social_fit.csv")
        assert fit["scope"].iloc[0] == "region"  # fewer than 30 schools: the region sample
        manifest = json.loads((p.output_dir() / "results.json").read_text("utf-8"))
        assert manifest["region_sample"]["schools"] == 39
        # the generated params file is what the report notebook reloads
        assert Path(p.source).is_file() and Path(p.source).parent.name == "municipality_params"
    # one regional model: the same coefficients in every municipality
    models = [
        pd.read_csv(p.output_dir() / "tables" / "social_model.csv").to_csv() for p in params_list
    ]
    assert models[0] == models[1] == models[2]


def test_workers_do_not_change_the_tables(tiny_region):
    (_, two, _), (_, one, _) = tiny_region["runs"][2], tiny_region["runs"][1]
    for a, b in zip(two, one, strict=True):
        for csv in sorted((a.output_dir() / "tables").glob("*.csv")):
            other = b.output_dir() / "tables" / csv.name
            assert csv.read_bytes() == other.read_bytes(), (a.municipality, csv.name)


def test_summary_compares_municipalities(tiny_region):
    s = pd.read_csv(tiny_region["summary"])
    assert s["municipality"].tolist() == tiny_region["ids"]
    assert s["n_schools"].sum() == 39
    for p in tiny_region["runs"][2][1]:
        schools = pd.read_csv(p.output_dir() / "tables" / "schools.csv")
        row = s[s["municipality"] == p.municipality].iloc[0]
        low = schools["low_results"].astype(str).str.lower().eq("true")
        assert row["n_low_results"] == low.sum()
        assert row["share_low_results"] == pytest.approx(100 * low.mean())
        assert (
            row["targets_defined"]
            == row["targets_met"]
            + row["targets_not_met"]
            + row["targets_undetermined"]
            + row["targets_no_data"]
        )
        # exclusions are a share of the checked units, which include every excluded one
        assert row["n_excluded_units"] <= row["n_units_tested"]
    targets = pd.read_csv(tiny_region["summary"].parent / "region_targets.csv")
    assert set(targets["municipality"]) == set(tiny_region["ids"])


def test_summary_rows_made_in_workers_equal_the_published_tables(tiny_region):
    """The rows the workers made equal a summary read back from the published tables."""
    assert sorted(tiny_region["made"]) == tiny_region["ids"]
    assert "summary" in tiny_region["runs"][2][2]
    path = tiny_region["summary"]
    files = {
        n: (path.parent / n).read_bytes() for n in ("region_summary.csv", "region_targets.csv")
    }
    region.write_summary(tiny_region["runs"][2][1], REGION)  # no rows given: all read back
    for name, data in files.items():
        assert (path.parent / name).read_bytes() == data, name


def test_region_page_and_site(tiny_region):
    root = tiny_region["root"]
    html = region.render_region(root, REGION, 2024)
    assert html == root / "outputs" / "regions" / REGION / "2024" / "region.html"
    text = html.read_text("utf-8")
    assert '<html lang="ru">' in text and "Регион tr: сравнение муниципалитетов" in text
    assert "Муниципалитет tr_m01" in text and "ШССУ" in text
    assert "data:image/svg+xml;base64," in text
    assert "Traceback" not in text and "display.table" not in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    # byte-identical on a second render
    first = html.read_bytes()
    region.render_region(root, REGION, 2024)
    assert html.read_bytes() == first
    index = report_site.build_site(root / "outputs")
    site = index.read_text("utf-8")
    assert "Регионы" in site and 'href="regions/tr/2024/region.html"' in site
    assert (index.parent / "regions" / REGION / "2024" / "region.html").read_bytes() == first


def test_cli_region_missing_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["region", "--raw", "nowhere", "--region", "x", "--no-report"]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_cli_region_with_reports(tmp_path, monkeypatch, capsys):
    """`shnor region --reports`: tables, the regional page and every municipality's report."""
    raw = tmp_path / "raw"
    ids = synth.generate_region(raw, seed=9, n_municipalities=1, n_schools=12, region="one")
    monkeypatch.chdir(tmp_path)  # no notebooks/ here: the package's notebooks are used
    args = ["region", "--raw", str(raw), "--region", "one", "--workers", "1", "--reports"]
    assert main(args) == 0
    out = tmp_path / "outputs"
    assert (out / "regions" / "one" / "2024" / "region.html").is_file()
    html = out / ids[0] / "2024" / "report.html"
    assert html.is_file() and "Traceback" not in html.read_text("utf-8")
    assert "Отчёт готов" in capsys.readouterr().err
    # the regional page is built after the reports and links them
    page = (out / "regions" / "one" / "2024" / "region.html").read_text("utf-8")
    assert f'href="../../../{ids[0]}/2024/report.html"' in page


def test_cli_region_rejects_zero_workers(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["region", "--raw", "x", "--region", "x", "--workers", "0"])
    assert info.value.code == 2
    assert "целое число ≥ 1" in capsys.readouterr().err


def test_failed_municipality_is_reported_with_its_problems(tmp_path):
    """One municipality with bad input: its problems and the validate command are named, and
    the municipalities waiting for the regional ИСБ model are listed as not computed."""
    raw = tmp_path / "raw"
    ids = synth.generate_region(raw, seed=5, n_municipalities=3, n_schools=30, region="bad")
    schools = raw / ids[1] / "schools.csv"
    lines = schools.read_text("utf-8").splitlines()
    first = lines[1].split(",")[0]
    lines[1] = lines[1].replace(first, "ABC", 1)
    schools.write_text("\n".join(lines) + "\n", "utf-8")
    params_list = region.region_params(raw, "bad", 2024, root=tmp_path)
    with pytest.raises(ShnorError) as info:
        region.compute_region(params_list, workers=1)
    ru, en = info.value.message_ru, info.value.message_en
    assert "Не рассчитано муниципалитетов: 3 из 3 (с ошибками: 1)" in ru
    assert f"- {ids[1]}: Найдено проблем во входных данных" in ru
    assert "строка" in ru and "столбец" in ru  # the problems themselves, not only a count
    assert f"shnor validate --params {params_list[1].source}" in ru
    assert f"Не рассчитаны из-за этого (2): {ids[0]}, {ids[2]}" in ru
    assert "3 of 3 municipalities not computed (1 failed)" in en
    assert not (tmp_path / "outputs" / ids[0] / "2024" / "tables").exists()


# ------------------------------------------------------------------------------ region reference


def _low_shares(raw, ref: str, root: Path) -> pd.DataFrame:
    params_list = region.region_params(raw, "ref", 2024, root=root, reference=ref)
    region.compute_region(params_list, workers=1)
    region.write_summary(params_list, "ref")
    return region.load_summary(root, "ref", 2024).set_index("municipality")


def test_region_reference_identifies_shnor_across_the_region(tmp_path):
    """One municipality uniformly weaker (every latent mean −1 student SD): with ИОР per
    municipality each has about a quarter of ШНОР; with ИОР over the region the weak one
    holds most of them, and the regional lists say so."""
    raw = tmp_path / "raw"
    ids = synth.generate_region(
        raw,
        seed=3,
        n_municipalities=3,
        n_schools=90,
        region="ref",
        shifts={2: -1.0},
        years=(2022, 2023, 2024),
        forms=False,
    )
    weak = ids[1]
    muni = _low_shares(raw, "municipality", tmp_path / "m")
    assert (muni["reference"] == "municipality").all()
    for m in ids:  # ~25 % in the reporting year's Q1, of which those also low in the window
        assert 10 <= muni.loc[m, "share_low_results"] <= 35, muni["share_low_results"]
    reg = _low_shares(raw, "region", tmp_path / "r")
    assert (reg["reference"] == "region").all()
    assert reg.loc[weak, "n_low_results"] > 0.5 * reg["n_low_results"].sum(), reg
    assert reg.loc[weak, "share_low_results"] > 35  # ~25 % under its own reference
    for m in set(ids) - {weak}:
        assert reg.loc[m, "share_low_results"] < 15
    # the ИСБ quartiles are regional too (the ИСБ fit is pooled)
    params = region.region_params(raw, "ref", 2024, root=tmp_path / "r", reference="region")
    fit = pd.read_csv(params[0].output_dir() / "tables" / "social_fit.csv")
    assert fit["scope"].iloc[0] == "region"
    lists = pd.read_csv(
        region.summary_dir(tmp_path / "r", "ref", 2024) / "region_schools.csv",
        dtype={"school_id": str},
    )
    low = lists[lists["low_results"]]
    assert (low["municipality"] == weak).mean() > 0.5
    assert low["results_quartile"].eq(1).all()
