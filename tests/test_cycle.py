"""The management cycle: statuses every year, transitions, the absolute ШНОР rule, A41/A42
and the support effect (against the multi-year generator with planted truth)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from shnor_lib import pipeline
from shnor_lib.config import load_params
from shnor_lib.demo import synth
from shnor_lib.io import publish
from shnor_lib.methods import cycle, indicators
from shnor_lib.tables import (
    INDICATORS,
    SCHOOLS,
    STATUS_COUNTS,
    STATUS_HISTORY,
    SUPPORT_EFFECT,
    TRANSITIONS,
)

HISTORY = [
    "school_id",
    "year",
    "results_index",
    "results_quartile",
    "low_results",
    "hard_context",
    "leader",
    "risk_group",
    "rule",
]


def _index(quartiles: dict[str, list[int]], below: dict[str, list[float]] | None = None):
    """An ИОР table (school × 2021..) whose ИОР orders schools by the given quartiles."""
    rows = []
    for sid, qs in quartiles.items():
        for k, q in enumerate(qs):
            rows.append(
                {
                    "school_id": sid,
                    "year": 2021 + k,
                    "results_index": q / 4 - 0.1,
                    "results_quartile": float(q),
                    "gia_below_min_value": (below or {}).get(sid, [np.nan] * len(qs))[k],
                }
            )
    return pd.DataFrame(rows)


QS = {
    "A": [1, 1, 1, 2],  # ШНОР 2021 (short window), 2022, 2023; out in 2024
    "B": [2, 1, 1, 1],  # enters in 2023 (two Q1 years in the window), stays in 2024
    "C": [4, 4, 4, 4],  # leader from 2022 (two Q4 years)
    "D": [3, 2, 2, 3],
    "E": [2, 3, 3, 2],
    "F": [4, 3, 4, 4],
    "G": [3, 4, 2, 1],  # one Q1 year only: never ШНОР
    "H": [1, 2, 3, 3],
}


def test_status_history_applies_the_rules_to_every_year():
    hist = cycle.status_history(_index(QS), window=3, low_years=2, leader_years=2)
    assert list(hist.columns) == HISTORY
    low = hist.pivot(index="school_id", columns="year", values="low_results")
    assert low.loc["A"].tolist() == [True, True, True, False]
    assert low.loc["B"].tolist() == [False, False, True, True]
    assert not low.loc["G"].any()
    assert low.loc["H"].tolist() == [True, False, False, False]
    lead = hist.pivot(index="school_id", columns="year", values="leader")
    assert lead.loc["C"].tolist() == [True, True, True, True]  # 2021: window of one year
    assert lead.loc["F"].tolist() == [True, False, True, True]
    assert set(hist["rule"]) == {"relative"}
    assert hist["hard_context"].isna().all()  # no ИСБ table: unknown, not False


def test_status_history_hard_context_and_risk_per_year():
    social = pd.DataFrame(
        {
            "school_id": ["A", "A", "B"],
            "year": [2023, 2024, 2024],
            "hard_context": [True, False, True],
        }
    )
    risk = pd.DataFrame(
        {"school_id": ["D"], "year": [2022], "risk": [True], "reason": ["ОГЭ: 2 процедуры"]}
    )
    hist = cycle.status_history(
        _index(QS), window=3, low_years=2, leader_years=2, social=social, risk=risk
    )
    hc = hist.set_index(["school_id", "year"])["hard_context"]
    assert hc[("A", 2023)] and not hc[("A", 2024)] and hc[("B", 2024)]
    assert pd.isna(hc[("A", 2021)])
    rg = hist.set_index(["school_id", "year"])["risk_group"]
    # the risk sign of 2022 stays in the window of 2022..2024 and is out of it in 2025
    assert not rg[("D", 2021)] and rg[("D", 2022)] and rg[("D", 2024)]


def test_transitions_entered_left_stayed():
    hist = cycle.status_history(_index(QS), window=3, low_years=2, leader_years=2)
    tr = cycle.transitions(hist)
    assert list(tr.columns) == ["school_id", "status", "from_year", "to_year", "change"]
    assert set(tr["change"]) <= {"вошла", "вышла", "осталась"}
    shnor = tr[tr["status"] == "ШНОР"].set_index(["school_id", "from_year"])["change"]
    assert shnor[("A", 2022)] == "осталась" and shnor[("A", 2023)] == "вышла"
    assert shnor[("B", 2022)] == "вошла" and shnor[("B", 2023)] == "осталась"
    assert shnor[("H", 2021)] == "вышла"
    assert ("G", 2021) not in shnor.index  # never in the status: no line
    lead = tr[tr["status"] == "школа-лидер"].set_index(["school_id", "from_year"])["change"]
    assert lead[("F", 2021)] == "вышла" and lead[("F", 2022)] == "вошла"


def test_absolute_rule_uses_the_below_minimum_share():
    below = {s: [5.0, 5.0, 5.0, 5.0] for s in QS}
    below["G"] = [10.0, 31.0, 35.0, 29.9]
    below["A"] = [40.0, np.nan, 30.0, 12.0]
    hist = cycle.status_history(
        _index(QS, below),
        window=3,
        low_years=2,
        leader_years=2,
        rule="absolute",
        absolute_threshold=30.0,
    )
    assert set(hist["rule"]) == {"absolute"}
    low = hist.pivot(index="school_id", columns="year", values="low_results")
    assert low.loc["G"].tolist() == [False, True, True, False]
    assert low.loc["A", 2021] and pd.isna(low.loc["A", 2022]) and low.loc["A", 2023]
    assert not low.loc["B"].any()  # Q1 but few results below the minimum


def test_absolute_rule_lets_the_count_fall_when_schools_improve():
    """Planted improvement: every school gets better each year. The relative rule keeps about
    a quarter of the schools ШНОР; the absolute count falls."""
    g = synth.generate_cycle(3, n_schools=400, years=6, improvement_sd=0.35, rule="absolute")
    index = g["results_index"]
    hist = cycle.status_history(index, window=3, low_years=2, leader_years=2, rule="absolute")
    counts = cycle.status_counts(index, hist, window=3, low_years=2, absolute_threshold=30.0)
    ab = counts[counts["rule"] == "absolute"].set_index("year")["n_low_results"]
    rel = counts[counts["rule"] == "relative"].set_index("year")["share_low_results"]
    years = sorted(ab.index)
    assert ab[years[-1]] < 0.5 * ab[years[2]], ab.to_dict()
    assert (rel.loc[years[2] :] > 15).all(), rel.to_dict()  # relative: still ~a quarter
    # the status history and the generator agree on who is ШНОР
    assert (hist["low_results"].to_numpy() == index["low_results"].to_numpy()).all()


def test_generator_relative_rule_matches_status_history():
    g = synth.generate_cycle(1, n_schools=120, years=5)
    hist = cycle.status_history(g["results_index"], window=3, low_years=2, leader_years=2)
    assert (hist["low_results"].to_numpy() == g["results_index"]["low_results"].to_numpy()).all()


def test_generator_writes_truth(tmp_path: Path):
    g = synth.generate_cycle(
        2, n_schools=50, years=5, effect_sd=0.5, effect_share=0.6, out_dir=tmp_path
    )
    truth = json.loads((tmp_path / "_truth.json").read_text("utf-8"))
    assert truth["generator"]["params"]["effect_share"] == 0.6
    assert set(truth["supported_with_effect"]) <= set(truth["entry_year"])
    assert (tmp_path / "results_index.csv").exists()
    again = synth.generate_cycle(2, n_schools=50, years=5, effect_sd=0.5, effect_share=0.6)
    pd.testing.assert_frame_equal(g["results_index"], again["results_index"])


def _rates(effect_sd: float, n_schools: int, seeds: range) -> dict[str, float]:
    cover = found = naive_up = rows = 0
    naive = []
    for seed in seeds:
        g = synth.generate_cycle(seed, n_schools=n_schools, years=5, effect_sd=effect_sd)
        eff = cycle.support_effect(g["results_index"])
        assert list(eff.columns) == cycle.EFFECT_COLUMNS
        rows += len(eff)
        cover += int(((eff["ci_low"] <= 0) & (eff["ci_high"] >= 0)).sum())
        found += int((eff["ci_low"] > 0).sum())
        naive_up += int((eff["change"] > 0).sum())
        naive += eff["change"].tolist()
    return {
        "rows": rows,
        "cover": cover / rows,
        "found": found / rows,
        "naive_up": naive_up / rows,
        "naive_mean": float(np.mean(naive)),
    }


def test_no_planted_effect_interval_covers_zero_while_before_after_improves():
    t0 = time.perf_counter()
    r = _rates(0.0, 300, range(200))
    print("no effect:", r, f"{time.perf_counter() - t0:.1f} s")
    assert r["rows"] >= 350
    assert r["cover"] >= 0.90
    # the naive before/after credits regression to the mean to the programme
    assert r["naive_up"] >= 0.7 and r["naive_mean"] > 0


def test_planted_half_sd_effect_is_found_over_a_region():
    t0 = time.perf_counter()
    r = _rates(0.5, 1500, range(100, 160))
    print("effect 0.5 SD:", r, f"{time.perf_counter() - t0:.1f} s")
    assert r["found"] >= 0.80


def test_support_effect_cohorts_and_horizon():
    g = synth.generate_cycle(4, n_schools=300, years=6)
    eff = cycle.support_effect(g["results_index"], horizon=2)
    # 2020 (first year) has no entry; 2021's entries need two Q1 years of a two-year window
    # and were ШНОР in 2020; the last year has no later year
    assert eff["cohort"].tolist() == [2022, 2023, 2024]
    ends = eff["group"].str.extract(r"итог (\d+)")[0].astype(int).tolist()
    assert ends == [2024, 2025, 2025]  # two years on, or the latest year there is
    assert np.allclose(eff["effect"], eff["change"] - eff["expected_change"])
    assert (eff["ci_low"] < eff["effect"]).all() and (eff["effect"] < eff["ci_high"]).all()


# ------------------------------------------------------------------------------ A41, A42


def test_a42_positive_dynamics_criterion():
    hist = cycle.status_history(_index(QS), window=3, low_years=2, leader_years=2)
    pos = cycle.positive_dynamics(hist, 2024).set_index("school_id")
    # ШНОР of 2023: A (Q1 → Q2, and out of ШНОР) positive; B (Q1 → Q1, still ШНОР) not
    assert pos.loc["A", "positive"] and not pos.loc["B", "positive"]
    counts = indicators.cycle_counts(hist, 2.0, 2024).set_index(["indicator_id", "year"])
    assert counts.loc[(indicators.A42, 2024), "numerator"] == 1
    assert counts.loc[(indicators.A42, 2024), "n"] == 2
    assert counts.loc[(indicators.A41, 2024), "numerator"] == 1  # 2 in the form, 1 ШНОР


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("cycle")
    synth.generate(root / "data" / "raw" / "demo", seed=5, n_schools=14, years=(2022, 2023, 2024))
    (root / "params").mkdir()
    path = root / "params" / "demo.yml"
    path.write_text("municipality: demo\ntitle: Тест\nyear: 2024\n", "utf-8")
    params = load_params(path)
    out = pipeline.compute(params)
    return params, {p.stem: publish.read_csv(p) for p in out.glob("*.csv")}


def test_pipeline_absolute_rule_makes_the_reporting_year_list(demo):
    params, tables = demo
    root = params.raw_dir().parents[2]
    path = root / "params" / "demo_abs.yml"
    path.write_text(
        "municipality: demo\ntitle: Тест\nyear: 2024\n"
        "paths: {outputs: outputs_abs}\n"
        "cycle: {shnor_rule: absolute, absolute_below_min_share: 8.0}\n",
        "utf-8",
    )
    p = load_params(path)
    out = pipeline.compute(p)
    got = {q.stem: publish.read_csv(q) for q in out.glob("*.csv")}
    hist = got[STATUS_HISTORY]
    assert set(hist["rule"]) == {"absolute"}
    now = hist[hist["year"] == 2024].set_index("school_id")["low_results"]
    abs_low = set(now[now.astype("boolean").fillna(False).astype(bool)].index)
    sch = got[SCHOOLS].set_index("school_id")
    assert set(sch.index[sch["low_results"].astype(bool)]) == abs_low
    ri = tables["results_index"]
    share = ri[ri["year"] == 2024].set_index("school_id")["gia_below_min_value"]
    assert abs_low == set(share.index[share >= 8.0])
    assert abs_low, "the threshold of the test must select some schools"
    reasons = sch.loc[sorted(abs_low), "low_results_reason"]
    assert reasons.str.contains("ниже минимального балла").all()


def test_pipeline_publishes_the_cycle_tables(demo):
    params, tables = demo
    assert list(tables[STATUS_HISTORY].columns) == HISTORY
    assert list(tables[TRANSITIONS].columns) == cycle.TRANSITION_COLUMNS
    assert list(tables[SUPPORT_EFFECT].columns) == cycle.EFFECT_COLUMNS
    assert set(tables[STATUS_COUNTS]["rule"]) == {"relative", "absolute"}
    hist = tables[STATUS_HISTORY]
    assert sorted(hist["year"].unique()) == [2022, 2023, 2024]
    # the reporting year of the history is the M3 list of schools.csv
    now = hist[hist["year"] == 2024].set_index("school_id")["low_results"].astype(bool)
    sch = tables[SCHOOLS].set_index("school_id")["low_results"].astype(bool)
    assert set(now[now].index) == set(sch[sch].index)


def test_pipeline_computes_a41_a42(demo):
    _, tables = demo
    ind = tables[INDICATORS]
    for iid in (indicators.A41, indicators.A42):
        row = ind[(ind["indicator_id"] == iid) & (ind["year"] == 2024)]
        assert len(row) == 1, iid
        assert row["target_status"].iloc[0] != indicators.NO_DATA
        assert pd.notna(row["value"].iloc[0])
    a41 = ind[(ind["indicator_id"] == indicators.A41) & (ind["year"] == 2024)].iloc[0]
    n_low = int(tables[SCHOOLS]["low_results"].astype(bool).sum())
    assert a41["n"] == n_low and a41["numerator"] <= n_low


# ------------------------------------------------------------------------------ views


def test_views_on_published_tables(demo):
    from shnor_lib.report.sections import cycle as views_cycle

    params, tables = demo
    res = pipeline.load_results(params)
    counts = views_cycle.counts_by_year(res)
    assert list(counts.columns) == ["Статус", "2022 г.", "2023 г.", "2024 г."]
    labels = counts["Статус"].tolist()
    assert "ШНОР (правило отчёта)" in labels
    assert sum("по правилу «абсолютное" in s for s in labels) == 1
    tr = views_cycle.transitions_table(res)
    raw = tables[TRANSITIONS]
    shnor = tr[tr["Статус"] == "ШНОР"][["Вошли", "Вышли", "Остались"]].to_numpy().sum()
    assert shnor == (raw["status"] == "ШНОР").sum()
    traj = views_cycle.shnor_trajectories(res)
    n_low = int(tables[SCHOOLS]["low_results"].astype(bool).sum())
    assert len(traj) == n_low
    assert "несколько десятков" in views_cycle.effect_text(res)
    assert any("каждый год" in t for _, _, t in views_cycle.notes(res))
    assert views_cycle.counts_figure(res) is not None
    # three years of data: no year pair with a full window to learn entries from
    assert views_cycle.early_warning_table(res).empty
    assert "не построен" in views_cycle.early_warning_text(res)
    assert (
        "<img" in views_cycle.counts_chart(res).data or "svg" in views_cycle.counts_chart(res).data
    )


def test_views_cope_with_no_tables():
    from shnor_lib.report.sections import cycle as views_cycle

    res = pipeline.Results(params=load_params(), tables={})
    assert views_cycle.counts_by_year(res).empty
    assert views_cycle.transitions_table(res).empty
    assert views_cycle.shnor_trajectories(res).empty
    assert views_cycle.effect_table(res).empty
    assert views_cycle.counts_figure(res) is None
    assert "Нет данных" in views_cycle.counts_chart(res).data
    assert "нельзя" in views_cycle.effect_text(res)
    assert views_cycle.early_warning_table(res).empty
    assert "не построен" in views_cycle.early_warning_text(res)
    assert views_cycle.notes(res) == []


def test_early_warning_views_on_a_forecast():
    from shnor_lib.report.sections import cycle as views_cycle

    ri = synth.generate_cycle(7, n_schools=300, years=6)["results_index"]
    table, check = cycle.early_warning(ri.assign(risk_group=False), window=3)
    res = pipeline.Results(
        params=load_params(), tables={"early_warning": table, "early_warning_check": check}
    )
    ew = views_cycle.early_warning_table(res)
    assert len(ew) == 10 and "Главный сигнал" in ew.columns
    top = table[table["kind"] == cycle.EW_FORECAST].nlargest(1, "probability")
    assert ew["Код ОО"].iloc[0] == top["school_id"].iloc[0]
    text = views_cycle.early_warning_text(res)
    assert "оценка Брайера" in text and f"{int(check['n_entries'].iloc[0])} входов" in text


def test_effect_table_reads_the_interval():
    from shnor_lib.report.sections import cycle as views_cycle

    g = synth.generate_cycle(101, n_schools=1500, years=5, effect_sd=0.5)
    eff = cycle.support_effect(g["results_index"])
    res = pipeline.Results(params=load_params(), tables={SUPPORT_EFFECT: eff})
    out = views_cycle.effect_table(res)
    assert len(out) == len(eff)
    want = ["эффект есть (рост)" if lo > 0 else "не выявлен" for lo in eff["ci_low"]]
    assert [w in v for w, v in zip(want, out["Вывод"], strict=True)] == [True] * len(eff)


# ------------------------------------------------------------------------------ early warning


def test_early_warning_is_calibrated_and_ranks_entries_on_a_region():
    """Back-test on the generator (1 500 schools, 6 years, 10 seeds): the mean probability
    matches the entry rate, the Brier score beats the constant base rate, and the top decile
    holds several times the base rate of entries."""
    t0 = time.perf_counter()
    rows = []
    for seed in range(10):
        ri = synth.generate_cycle(seed, n_schools=1500, years=6)["results_index"]
        table, check = cycle.early_warning(ri.assign(risk_group=False), window=3)
        assert list(table.columns) == cycle.EW_COLUMNS
        assert table["probability"].between(0, 1).all()
        fc = table[table["kind"] == cycle.EW_FORECAST]
        assert set(fc["target_year"]) == {2026}
        now = ri[(ri["year"] == 2025) & ~ri["low_results"]]
        assert set(fc["school_id"]) == set(now["school_id"])  # every school not ШНОР now
        rows.append(check.iloc[0])
    c = pd.DataFrame(rows).mean(numeric_only=True)
    print("early warning:", c.round(4).to_dict(), f"{time.perf_counter() - t0:.1f} s")
    assert abs(c["mean_probability"] - c["base_rate"]) < 0.3 * c["base_rate"]
    assert c["brier"] < 0.85 * c["brier_base"]
    assert c["top_decile_hit_rate"] > 4 * c["base_rate"]


def test_early_warning_needs_entries_to_learn_from():
    ri = synth.generate_cycle(0, n_schools=40, years=3)["results_index"]
    table, check = cycle.early_warning(ri.assign(risk_group=False), window=3)
    assert check.empty  # three years: no full-window year pair to check on
    assert list(check.columns) == cycle.EW_CHECK_COLUMNS


# ------------------------------------------------------------------------------ the demo over time


def test_demo_lives_over_time_and_shows_a_followed_cohort(demo_computed):
    """The demo covers five years, schools enter and leave ШНОР, the planted support is in the
    truth, and at least one cohort is followed two years in support_effect.csv."""
    _, params, truth = demo_computed
    assert len(truth["years"]) >= 5
    sup = truth["support"]
    assert sup["n_with_effect"] == len(truth["supported_with_effect"]) > 0
    assert set(truth["supported_with_effect"]) <= set(truth["entry_year"])
    assert 0 < sup["share_with_effect"] < 1 and sup["effect"] > 0
    tables = params.output_dir() / "tables"
    tr = publish.read_csv(tables / f"{TRANSITIONS}.csv")
    low = tr[tr["status"] == "ШНОР"]
    assert {"вошла", "вышла"} <= set(low["change"])
    eff = publish.read_csv(tables / f"{SUPPORT_EFFECT}.csv")
    assert list(eff.columns) == cycle.EFFECT_COLUMNS
    ends = eff["group"].str.extract(r"итог (\d+)")[0].astype(int)
    assert ((ends - eff["cohort"].astype(int)) == 2).any(), eff
    # regression to the mean is real: the expected change of a cohort without support is > 0
    assert (eff["expected_change"] > 0).any(), eff


# ------------------------------------------------------------------------------ group dynamics


def test_group_dynamics_means_intervals_and_gap():
    hist = pd.DataFrame(
        {
            "school_id": ["a", "b", "c", "d", "e", "f"],
            "year": [2024] * 6,
            "low_results": pd.array([True, True, False, False, False, pd.NA], dtype="boolean"),
            "hard_context": pd.array([True, False, False, False, pd.NA, False], dtype="boolean"),
            "leader": [False, False, True, True, False, False],
        }
    )
    index = pd.DataFrame(
        {
            "school_id": list("abcdef"),
            "year": [2024] * 6,
            "vpr_mean_mark_value": [3.0, 3.2, 4.0, 4.4, 3.5, 3.9],
            "ege_mean_value": [np.nan] * 6,
        }
    )
    below = pd.DataFrame({"school_id": ["a", "c"], "year": [2024, 2024], "value": [20.0, 2.0]})
    g = cycle.group_dynamics(hist, index, below)
    assert list(g.columns) == cycle.GROUP_COLUMNS
    c12 = g[g["indicator"] == "C1-2"].set_index("group")
    assert c12.loc["ШНОР", "value"] == pytest.approx(3.1) and c12.loc["ШНОР", "n"] == 2
    assert c12.loc["ШССУ", "n"] == 1 and np.isnan(c12.loc["ШССУ", "ci_low"])
    assert c12.loc["остальные", "n"] == 1  # e: no flag; f: ШНОР status unknown
    gap = c12.loc["разрыв: лидеры − ШНОР"]
    assert gap["value"] == pytest.approx(4.2 - 3.1) and gap["n"] == 4
    # Welch interval by hand: se² = var(4.0, 4.4)/2 + var(3.0, 3.2)/2 = 0.04 + 0.01
    se = np.sqrt(0.05)
    dof = 0.05**2 / (0.04**2 + 0.01**2)
    half = float(sps.t.ppf(0.975, dof)) * se
    assert gap["ci_low"] == pytest.approx(1.1 - half) and gap["ci_high"] == pytest.approx(
        1.1 + half
    )
    below_rows = g[g["indicator"] == "below_min"].set_index("group")
    assert below_rows.loc["ШНОР", "value"] == 20.0 and "C1-1" not in set(g["indicator"])


def test_demo_group_dynamics_table(demo_computed):
    _, params, _ = demo_computed
    g = publish.read_csv(params.output_dir() / "tables" / "group_dynamics.csv")
    assert list(g.columns) == cycle.GROUP_COLUMNS
    assert set(g["indicator"]) == {"C1-1", "C1-2", "below_min"}
    assert len(set(g["year"])) >= 5
    c12 = g[(g["indicator"] == "C1-2") & (g["group"] == "разрыв: лидеры − ШНОР")]
    assert len(c12) >= 4 and (c12["value"] > 0).all()  # leaders above ШНОР every year
    ok = g.dropna(subset=["ci_low"])
    assert ((ok["ci_low"] <= ok["value"]) & (ok["value"] <= ok["ci_high"])).all()


# ------------------------------------------------------------------------------ follow-up, forms


def test_forms_crosscheck_against_lists_and_pairs():
    support = pd.DataFrame(
        {
            "block": ["mnc", "mnc", "mnc", "mtkp", "help", "help", "help"],
            "indicator_id": [
                "mnc_1",
                "mnc_1",
                "mnc_1",
                "mtkp_1",
                "b1_11_n_schools_targeted_help",
                "b1_10_n_lowres_schools_in_network",
                "b1_09_n_leader_schools_in_network",
            ],
            "unit": [
                "s1",
                "s9",
                "municipality",
                "s1",
                "municipality",
                "municipality",
                "municipality",
            ],
            "score": [1, 1, 1, 1, 3, 1, 1],
        }
    )
    pairs = pd.DataFrame({"low_results_school_id": ["s1", "s2"], "leader_school_id": ["L", "L"]})
    c = cycle.forms_crosscheck(support, {"s1", "s2"}, 10, pairs)
    assert list(c.columns) == cycle.CROSSCHECK_COLUMNS
    by = {(r.check, r.unit): r for r in c.itertuples()}
    assert ("mnc: ОО не ШНОР", "s9") in by  # named in МНЦ, not ШНОР
    assert ("mnc: ШНОР без сопровождения", "s2") in by and (
        "mtkp: ШНОР без сопровождения",
        "s2",
    ) in by
    assert ("mnc: ШНОР без сопровождения", "s1") not in by
    assert (
        by[("b1_11_n_schools_targeted_help", "municipality")].status == cycle.CHECK_MISMATCH
    )  # 3 > 2
    assert by[("b1_10_n_lowres_schools_in_network", "municipality")].status == cycle.CHECK_MISMATCH
    assert by[("b1_09_n_leader_schools_in_network", "municipality")].status == cycle.CHECK_OK
    assert cycle.forms_crosscheck(None, {"s1"}, 3, None).empty


def test_forms_crosscheck_roadmap_item_6_against_computed_completeness():
    """Item 6 says «complete and timely» (1) while 20 of 25 due events were done (80 %):
    a mismatch; with every event done in time (100 %, 100 %) it agrees; «no» (0) against
    100 % disagrees too."""

    def support(item6: float, completeness: float, timeliness: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "block": ["help", "roadmap", "roadmap"],
                "indicator_id": [
                    cycle.HELP_ROADMAP_ITEM,
                    "roadmap_completeness",
                    "roadmap_timeliness",
                ],
                "unit": ["municipality"] * 3,
                "score": [item6, 20, 18],
                "share_of_max": [100 * item6, completeness, timeliness],
            }
        )

    def row(frame: pd.DataFrame):
        hit = frame[frame["check"] == cycle.HELP_ROADMAP_ITEM]
        assert len(hit) == 1
        return hit.iloc[0]

    bad = row(cycle.forms_crosscheck(support(1, 80, 90), set(), 5, None))
    assert bad.status == cycle.CHECK_MISMATCH and bad.computed_value == 80 and bad.form_value == 1
    assert (
        row(cycle.forms_crosscheck(support(1, 100, 100), set(), 5, None)).status == cycle.CHECK_OK
    )
    assert row(cycle.forms_crosscheck(support(0, 100, 100), set(), 5, None)).status == (
        cycle.CHECK_MISMATCH
    )
    assert row(cycle.forms_crosscheck(support(0, 80, 100), set(), 5, None)).status == cycle.CHECK_OK


def test_follow_up_of_last_years_decisions():
    decisions = pd.DataFrame(
        {
            "decision_id": ["Р-1", "Р-2", "Р-3", "Р-4"],
            "school_id": ["", "", "s1", ""],
            "control_indicator": ["A42", "A41", "A42", ""],
            "deadline": ["2024-06-30", "2025-06-30", "2024-05-01", "2024-01-01"],
            "control_value": [10.0, 50.0, 20.0, 1.0],
            "target_value": [25.0, np.nan, np.nan, np.nan],
        }
    )
    ind = pd.DataFrame(
        {
            "indicator_id": ["A42", "A41", "A42"],
            "level": ["municipality", "municipality", "school"],
            "school_id": [None, None, "s1"],
            "year": [2024, 2024, 2024],
            "value": [40.0, 52.0, 21.0],
            "ci_low": [30.0, 40.0, 15.0],
            "ci_high": [50.0, 60.0, 27.0],
        }
    )
    f = cycle.follow_up(decisions, ind, 2024, "2024-12-31")
    assert list(f.columns) == cycle.FOLLOW_COLUMNS
    f = f.set_index("item_id")
    assert "Р-4" not in f.index  # no control indicator
    assert f.loc["Р-1", "due"] and not f.loc["Р-2", "due"]
    assert f.loc["Р-1", "moved"] == cycle.MOVED_UP and f.loc["Р-1", "target_reached"]
    assert f.loc["Р-2", "moved"] == cycle.MOVED_NONE  # 50 inside [40; 60]
    assert f.loc["Р-3", "current_value"] == 21.0 and f.loc["Р-3", "moved"] == cycle.MOVED_NONE
    assert cycle.follow_up(None, ind, 2024, "2024-12-31").empty
