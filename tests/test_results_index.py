"""M2 minimum scores and M3 ИОР against hand-computed values on small fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib.methods import indicators, min_scores, results_index

W = {"gia_below_min": 0.4, "ege_mean": 0.2, "oge_mean_mark": 0.2, "vpr_mean_mark": 0.2}


def _comp(rows):
    return pd.DataFrame(rows, columns=["school_id", "year", "component", "value", "n"])


def test_minmax_scaling_orients_lower_is_better():
    comp = _comp(
        [
            ("a", 2024, "gia_below_min", 10.0, 50),
            ("b", 2024, "gia_below_min", 20.0, 50),
            ("c", 2024, "gia_below_min", 30.0, 50),
            ("a", 2024, "ege_mean", 60.0, 20),
            ("b", 2024, "ege_mean", 70.0, 20),
        ]
    )
    s = results_index.scale(comp)
    assert s.tolist() == pytest.approx([1.0, 0.5, 0.0, 0.0, 1.0])
    p = results_index.scale(comp, "percentile")
    assert p.tolist() == pytest.approx([1.0, 0.5, 0.0, 0.0, 1.0])


def test_single_school_component_is_not_scaled():
    comp = _comp([("a", 2024, "ege_mean", 60.0, 20)])
    assert results_index.scale(comp).isna().all()


def test_index_reweights_over_available_components_and_needs_half_the_weight():
    comp = _comp(
        [
            ("a", 2024, "gia_below_min", 10.0, 40),
            ("b", 2024, "gia_below_min", 30.0, 40),
            ("a", 2024, "ege_mean", 70.0, 20),
            ("b", 2024, "ege_mean", 50.0, 20),
            ("a", 2024, "vpr_mean_mark", 3.0, 30),
            ("b", 2024, "vpr_mean_mark", 4.0, 30),
            ("c", 2024, "vpr_mean_mark", 3.5, 30),
        ]
    )
    idx = results_index.compute_index(comp, W).set_index("school_id")
    # a: below_min best (1), ege best (1), vpr worst (0) → (0.4 + 0.2 + 0) / 0.8
    assert idx.loc["a", "results_index"] == pytest.approx(0.6 / 0.8)
    # b: below_min 0, ege 0, vpr 1 → 0.2 / 0.8
    assert idx.loc["b", "results_index"] == pytest.approx(0.2 / 0.8)
    # c: only vpr (0.2 of 1.0 < 0.5) → no index, with the reason
    assert np.isnan(idx.loc["c", "results_index"])
    assert "менее 50 %" in idx.loc["c", "no_index_reason"]
    assert idx.loc["a", "weight_share"] == pytest.approx(0.8)


def test_quartiles_by_population_thresholds():
    values = pd.Series([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    q = results_index.quartile(values)
    assert q.tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert results_index.quartile(pd.Series([0.1, 0.2, 0.3])).isna().all()


def _index_frame(quartiles: dict[str, list[int]], years=(2022, 2023, 2024)):
    rows = []
    for sid, qs in quartiles.items():
        for y, q in zip(years, qs, strict=True):
            rows.append(
                {"school_id": sid, "year": y, "results_index": q / 4.0, "results_quartile": q}
            )
    return pd.DataFrame(rows)


def test_low_results_and_leader_rules():
    idx = _index_frame(
        {"a": [1, 2, 1], "b": [2, 1, 2], "c": [1, 1, 2], "d": [4, 4, 3], "e": [4, 3, 4]}
    )
    risk = pd.DataFrame({"school_id": ["b"], "year": [2023], "risk": [True], "reason": ["x"]})
    out = results_index.classify(
        idx, 2024, [2022, 2023, 2024], risk=risk, excluded_schools={"e"}
    ).set_index("school_id")
    assert out["low_results"].to_dict() == {
        "a": True,
        "b": False,
        "c": False,
        "d": False,
        "e": False,
    }
    assert "2022, 2024" in out.loc["a", "low_results_reason"]
    assert out["leader"].to_dict() == {"a": False, "b": False, "c": False, "d": True, "e": False}
    assert out.loc["b", "risk_group"] and not out.loc["a", "risk_group"]


def test_exclusions_drop_units_from_vpr_component():
    vpr = pd.DataFrame(
        {
            "school_id": ["a"] * 4 + ["b"] * 2,
            "year": [2024] * 6,
            "grade": [5, 5, 6, 6, 5, 5],
            "subject": [
                "Математика",
                "Математика",
                "Математика",
                "Русский язык",
                "Математика",
                "Математика",
            ],
            "mark": [5, 5, 3, 3, 4, 4],
            "student_id": list("pqrstu"),
        }
    )
    base = results_index.components({"vpr": vpr}, None, [2024], 3)
    assert base.set_index("school_id").loc["a", "value"] == pytest.approx(4.0)
    ex = pd.DataFrame(
        {
            "school_id": ["a"],
            "year": [2024],
            "procedure": ["ВПР"],
            "grade": [5],
            "subject": ["Математика"],
        }
    )
    after = results_index.components({"vpr": vpr}, None, [2024], 3, exclusions=ex)
    assert after.set_index("school_id").loc["a", "value"] == pytest.approx(3.0)
    assert after.set_index("school_id").loc["a", "n"] == 2


def test_below_minimum_from_thresholds_and_oge_mark_fallback():
    gia = pd.DataFrame(
        {
            "school_id": ["a"] * 5,
            "year": [2024] * 5,
            "student_id": list("pqrst"),
            "exam": ["ЕГЭ", "ЕГЭ", "ЕГЭ", "ОГЭ", "ОГЭ"],
            "subject": [
                "Русский язык",
                "Русский язык",
                "Математика (профильный уровень)",
                "Химия",
                "Химия",
            ],
            "score": [23, 24, 26, 5, 20],
            "mark": [pd.NA, pd.NA, pd.NA, 2, 4],
        }
    )
    thr = pd.DataFrame(
        {
            "exam": ["ЕГЭ", "ЕГЭ"],
            "subject": ["Русский язык", "Математика (профильный уровень)"],
            "year": [2024, 2024],
            "min_score": [24, 27],
        }
    )
    marked = min_scores.mark_below_min(gia, thr)
    assert marked["below_min"].tolist() == [True, False, True, True, False]
    pooled = min_scores.pooled_window(marked, [2024])
    assert pooled.loc[0, "below"] == 3 and pooled.loc[0, "n"] == 5
    assert pooled.loc[0, "share"] == pytest.approx(60.0)


def test_rosobrnadzor_risk_sign_both_conditions():
    per = pd.DataFrame(
        {
            "school_id": ["a", "a", "b", "b", "c"],
            "year": [2024, 2024, 2023, 2024, 2024],
            "exam": ["ОГЭ", "ОГЭ", "ЕГЭ", "ЕГЭ", "ОГЭ"],
            "subject": [
                "Математика",
                "Русский язык",
                "Математика (профильный уровень)",
                "Математика (профильный уровень)",
                "Математика",
            ],
            "share": [35.0, 31.0, 40.0, 30.0, 50.0],
        }
    )
    risk = min_scores.risk_sign(per).set_index(["school_id", "year"])
    assert risk.loc[("a", 2024), "risk"]  # two procedures in one year
    assert risk.loc[("b", 2024), "risk"] and "два года подряд" in risk.loc[("b", 2024), "reason"]
    assert not risk.loc[("b", 2023), "risk"]
    assert not risk.loc[("c", 2024), "risk"]  # a single procedure, one year


def test_temryuk_ege_weighted_mean_and_welch_change():
    gia = pd.DataFrame(
        {
            "school_id": ["a"] * 6,
            "year": [2023, 2023, 2023, 2024, 2024, 2024],
            "student_id": list("pqrstu"),
            "exam": ["ЕГЭ"] * 6,
            "subject": ["Русский язык"] * 6,
            "score": [60.0, 70.0, 80.0, 70.0, 80.0, 90.0],
            "mark": [pd.NA] * 6,
        }
    )
    out = indicators.temryuk_dynamics({"gia": gia})
    row = out[
        (out["indicator_id"] == "c1_1_ege_mean_rus")
        & (out["level"] == "school")
        & (out["year"] == 2024)
    ].iloc[0]
    assert row["value"] == pytest.approx(80.0) and row["n"] == 3
    assert row["change"] == pytest.approx(10.0)
    # Welch with equal sd 10 and n 3: se = sqrt(200/3), df = 4
    half = 2.7764451051977987 * np.sqrt(200 / 3)
    assert row["change_ci_low"] == pytest.approx(10 - half)
    assert row["change_status"] == "без значимых изменений"


def test_components_from_small_groups_are_left_out():
    vpr = pd.DataFrame(
        {
            "school_id": ["a"] * 12 + ["b"] * 3,
            "year": [2024] * 15,
            "grade": [5] * 15,
            "subject": ["Математика"] * 15,
            "mark": [4] * 12 + [5] * 3,
            "student_id": [f"s{i}" for i in range(15)],
        }
    )
    comp = results_index.components({"vpr": vpr}, None, [2024], 3, min_n=10)
    assert comp["school_id"].tolist() == ["a"]


def test_primary_only_school_gets_an_index_from_vpr4():
    # Tiny fixture: 100003 is an НОШ (ВПР 4 кл. only, marks 4, 4, 5, 3 → mean 4.0). 100001 also
    # writes ВПР 4 (marks 3, 3, 2, 2 → 2.5): the component is scaled over both (100003 → 1,
    # 100001 → 0) but enters only the ИОР of 100003, which has nothing else.
    from conftest import tiny_tables

    t = tiny_tables()
    g4 = t["vpr"][t["vpr"]["school_id"] == "100001"].assign(grade=4)
    g4["mark"] = g4["student_id"].map({"S00": 3, "S01": 3, "S02": 2, "S03": 2})
    g4["student_id"] = g4["student_id"] + "g4"
    vpr = pd.concat([t["vpr"], g4], ignore_index=True)
    comp = results_index.components({"vpr": vpr}, None, [2024], 3)
    v4 = comp[comp["component"] == "vpr4_mean_mark"].set_index("school_id")["value"]
    assert v4.to_dict() == {"100001": 2.5, "100003": 4.0}
    weights = {**W, "vpr4_mean_mark": 0.2}
    # ВПР 5–6 alone is 0.2 of the weight: let it suffice here so the regular schools have an ИОР
    idx = results_index.compute_index(
        comp, weights, only_primary={"vpr4_mean_mark"}, min_weight_share=0.2
    ).set_index("school_id")
    # regular: 100001 ВПР 5 mean 3.5 → 1, 100002 3.0 → 0; grade 4 does not enter 100001's ИОР
    assert idx.loc["100001", "results_index"] == pytest.approx(1.0)
    assert idx.loc["100002", "results_index"] == pytest.approx(0.0)
    assert np.isnan(idx.loc["100001", "vpr4_mean_mark_scaled"])
    assert idx.loc["100001", "weight_share"] == pytest.approx(0.2)
    # 100003: the best grade 4 (percentile 1) → the top of the regular ИОР distribution
    assert idx.loc["100003", "results_index"] == pytest.approx(1.0)
    assert idx.loc["100003", "weight_share"] == pytest.approx(1.0)
    assert bool(idx.loc["100003", "primary_only"]) and not bool(idx.loc["100001", "primary_only"])
    # without only_primary ВПР 4 is an ordinary component of every school that has it
    every = results_index.compute_index(comp, weights).set_index("school_id")
    assert every.loc["100001", "weight_share"] == pytest.approx(0.4 / 1.2)
    assert every.loc["100003", "weight_share"] == pytest.approx(0.2 / 1.2)
    assert np.isnan(every.loc["100003", "results_index"])


def test_index_of_other_schools_unchanged_by_the_primary_component():
    comp = _comp(
        [
            ("a", 2024, "gia_below_min", 10.0, 40),
            ("b", 2024, "gia_below_min", 30.0, 40),
            ("a", 2024, "vpr_mean_mark", 3.0, 30),
            ("b", 2024, "vpr_mean_mark", 4.0, 30),
            ("a", 2024, "vpr4_mean_mark", 4.5, 30),
            ("n", 2024, "vpr4_mean_mark", 3.0, 30),
        ]
    )
    base = results_index.compute_index(comp[comp["component"] != "vpr4_mean_mark"], W)
    idx = results_index.compute_index(
        comp, {**W, "vpr4_mean_mark": 0.2}, only_primary={"vpr4_mean_mark"}
    )
    got = idx.set_index("school_id")
    assert got.loc[["a", "b"], "results_index"].tolist() == pytest.approx(
        base.set_index("school_id").loc[["a", "b"], "results_index"].tolist()
    )
    # n has the lower of two ВПР 4 means (percentile 0): placed at the lowest regular ИОР, b's
    # (a: (0.4 · 1 + 0.2 · 0) / 0.6; b: (0.4 · 0 + 0.2 · 1) / 0.6)
    assert got.loc["n", "results_index"] == pytest.approx(0.2 / 0.6)
