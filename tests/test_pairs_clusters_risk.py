"""Issue 16 items 5, 6, 8: pairs (one model, ИСБ gap, vertical fallback, eligible partners,
ШССУ, forms), clusters (k by minimum share and bootstrap stability) and the risk profile
(«500+» factors by hand, the per-school profile table). Planted data and hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib.io import reference
from shnor_lib.methods import clusters, pairing, risk_profile
from shnor_lib.methods import recommendations as rec
from shnor_lib.methods.risk_profile import HIGH, LOW, MID, NO_DATA

RULES = reference.load_recommendation_rules()

# ---------------------------------------------------------------------------- pairing

COLS = [
    "school_id",
    "low_results",
    "hard_context",
    "leader",
    "resilient_strict",
    "social_index",
    "results_index",
    "results_quartile",
    "school_type",
    "distance_km",
]


def _schools(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS)


def _pairs(r: pairing.PairResult) -> dict[str, tuple[str, str]]:
    return {
        m: (lead, model)
        for m, lead, model in r.pairs[
            ["low_results_school_id", "leader_school_id", "model"]
        ].itertuples(index=False)
    }


def test_each_school_gets_one_model_within_the_isb_gap_else_vertical():
    s = _schools(
        [
            # partners: a close leader (ИСБ 0.30), a far leader of a higher type (ИСБ 0.90)
            ("L_near", False, False, True, False, 0.30, 0.90, 4, "СОШ", 5.0),
            ("L_far", False, False, True, False, 0.90, 0.95, 4, "лицей", 5.0),
            # ШНОР: a close one (gap 0.05) and a far one (gap to L_near 0.40, to L_far 0.20)
            ("a", True, False, False, False, 0.25, 0.10, 1, "СОШ", 5.0),
            ("b", True, False, False, False, 0.70, 0.20, 1, "СОШ", 5.0),
        ]
    )
    r = pairing.pair(s, max_pairs_per_leader=2, max_isb_gap=0.15)
    got = _pairs(r)
    assert got == {
        "a": ("L_near", pairing.HORIZONTAL),
        # no partner within 0.15 of 0.70: a vertical pair with the strongest leader of a
        # same-or-higher type (the lyceum, a higher type), regardless of its ИСБ
        "b": ("L_far", pairing.VERTICAL),
    }
    assert r.pairs["low_results_school_id"].is_unique  # one model per school
    hz = r.pairs[r.pairs["model"] == pairing.HORIZONTAL]
    assert (hz["social_distance"] <= 0.15 + 1e-12).all()
    assert r.pairs.set_index("low_results_school_id").loc["a", "social_distance"] == (
        pytest.approx(0.05)
    )
    assert r.unpaired.empty
    # with a wider bound «b» gets L_far horizontally (gap 0.20), still one model
    wide = _pairs(pairing.pair(s, max_isb_gap=0.25))
    assert wide["b"] == ("L_far", pairing.HORIZONTAL)


def test_horizontal_prefers_a_school_that_overcame_difficulties():
    s = _schools(
        [
            ("L", False, False, True, False, 0.40, 0.95, 4, "СОШ", 1.0),  # gap 0.00
            ("R", False, False, False, True, 0.50, 0.60, 3, "СОШ", 1.0),  # resilient, gap 0.10
            ("F", False, False, False, False, 0.45, 0.70, 3, "СОШ", 1.0),  # former ШНОР, 0.05
            ("a", True, False, False, False, 0.40, 0.10, 1, "СОШ", 1.0),
            ("b", True, False, False, False, 0.40, 0.12, 1, "СОШ", 1.0),
            ("c", True, False, False, False, 0.40, 0.14, 1, "СОШ", 1.0),
        ]
    )
    history = pd.DataFrame(
        {"school_id": ["F", "F"], "year": [2022, 2024], "low_results": [True, False]}
    )
    r = pairing.pair(s, max_pairs_per_leader=1, history=history, year=2024)
    got = _pairs(r)
    # neediest first; the preferred partners (F: smaller gap, then R) before the leader L
    assert got == {
        "a": ("F", pairing.HORIZONTAL),
        "b": ("R", pairing.HORIZONTAL),
        "c": ("L", pairing.HORIZONTAL),
    }
    basis = r.pairs.set_index("low_results_school_id")["partner_basis"]
    assert basis.to_dict() == {"a": pairing.FORMER, "b": pairing.RESILIENT, "c": pairing.LEADER}
    # without the history F is an ordinary school (not a leader): not a partner at all
    assert "F" not in set(pairing.pair(s, max_pairs_per_leader=1).pairs["leader_school_id"])


def test_a_leader_without_current_ior_or_with_an_exclusion_is_no_partner():
    s = _schools(
        [
            ("L_noior", False, False, True, False, 0.40, np.nan, np.nan, "ООШ", 1.0),
            ("L_excl", False, False, True, False, 0.40, 0.99, 4, "СОШ", 1.0),
            ("L_ok", False, False, True, False, 0.80, 0.90, 4, "СОШ", 1.0),
            ("a", True, False, False, False, 0.40, 0.10, 1, "ООШ", 1.0),
            ("b", True, False, False, False, 0.40, 0.20, 1, "ООШ", 1.0),
        ]
    )
    # one excluded unit of L_excl in the window (grade 8 history: not an ИОР unit) and one
    # of L_ok before the window (does not count)
    ex = pd.DataFrame(
        {
            "school_id": ["L_excl", "L_ok"],
            "year": [2023, 2019],
            "procedure": ["ВПР", "ВПР"],
            "grade": [8, 5],
            "subject": ["История", "Математика"],
        }
    )
    r = pairing.pair(s, exclusions=ex, window_years=[2022, 2023, 2024])
    assert set(r.pairs["leader_school_id"]) == {"L_ok"}
    assert _pairs(r) == {"a": ("L_ok", pairing.VERTICAL), "b": ("L_ok", pairing.VERTICAL)}
    why = r.ineligible.set_index("school_id")["reason"]
    assert set(why.index) == {"L_noior", "L_excl"}
    assert "нет ИОР" in why["L_noior"] and "необъективн" in why["L_excl"]
    # the excluded row flagged `excluded: False` does not count
    r2 = pairing.pair(
        s, exclusions=ex.assign(excluded=[False, True]), window_years=[2022, 2023, 2024]
    )
    assert "L_excl" in set(r2.pairs["leader_school_id"])


def test_hard_context_schools_are_paired_after_shnor_and_capacity_is_said():
    s = _schools(
        [
            ("L", False, False, True, False, 0.20, 0.95, 4, "СОШ", 1.0),
            ("h", False, True, False, False, 0.10, 0.50, 2, "СОШ", 1.0),  # ШССУ
            ("hr", False, True, False, True, 0.10, 0.80, 4, "СОШ", 1.0),  # resilient ШССУ
            ("a", True, True, False, False, 0.15, 0.10, 1, "СОШ", 1.0),  # ШНОР and ШССУ
            ("b", True, False, False, False, 0.20, 0.30, 1, "СОШ", 1.0),
        ]
    )
    r = pairing.pair(s, max_pairs_per_leader=2)
    got = _pairs(r)
    # hr (resilient ШССУ) is a partner, not a mentee; ШНОР first: a, b; then the ШССУ h
    assert got["h"][1] == pairing.HORIZONTAL and "hr" not in got
    group = r.pairs.set_index("low_results_school_id")["mentee_group"]
    assert group["h"] == pairing.SSSU and group["a"] == pairing.SHNOR
    assert set(got) == {"a", "b", "h"}
    r1 = pairing.pair(s, max_pairs_per_leader=1)
    # two partners (L, hr) with one place each: a and b get them, the ШССУ h waits
    assert set(_pairs(r1)) == {"a", "b"}
    u = r1.unpaired.set_index("low_results_school_id")
    assert u.loc["h", "reason"] == pairing.capacity_reason(1)
    assert u.loc["h", "mentee_group"] == pairing.SSSU


def test_unpaired_reasons_without_partners_or_isb():
    none = pairing.pair(_schools([("a", True, False, False, False, 0.5, 0.1, 1, "СОШ", 1.0)]))
    assert none.pairs.empty and none.unpaired["reason"].tolist() == [pairing.NO_PARTNERS]
    s = _schools(
        [
            ("L", False, False, True, False, 0.9, 0.9, 4, "ООШ", 1.0),
            ("a", True, False, False, False, np.nan, 0.1, 1, "СОШ", 1.0),
        ]
    )
    # no ИСБ of its own and the only leader is of a lower type: neither model fits
    reason = pairing.pair(s).unpaired.set_index("low_results_school_id").loc["a", "reason"]
    assert reason == f"{pairing.NO_OWN_ISB}; {pairing.NO_LEADER_TYPE}"


# ---------------------------------------------------------------------------- recommendations


def _rec_schools() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": ["1", "2"],
            "school_name": ["СОШ № 1", "СОШ № 2"],
            "low_results": [True, True],
            "results_index": [0.1, 0.2],
            "teachers_ab_share": [40.0, 40.0],
        }
    )


def test_no_mentor_or_tutor_recommendation_when_the_form_names_one():
    named = rec.named_support(
        pd.DataFrame({"mentor_code": ["M1", "M2"], "school_id": ["2", "2"]}),
        pd.DataFrame({"tutor_code": ["T1"], "teacher_code": ["P7"], "school_id": ["1"]}),
    )
    assert named.set_index("school_id").to_dict("index") == {
        "1": {"mentors": 0, "tutored_teachers": 1},
        "2": {"mentors": 2, "tutored_teachers": 0},
    }
    out = rec.generate(_rec_schools(), named=named, rules=RULES)
    by = out.groupby("rule_id")["school_id"].apply(set)
    assert by["low_results_curator"] == {"1"}  # «2» has its МНЦ mentors
    assert by["teacher_deficits_routes"] == {"2"}  # «1» has a МТКП tutor
    assert by["teacher_deficits_routes_tutored"] == {"1"}
    # no forms at all: nothing is known, both schools are told
    bare = rec.generate(_rec_schools(), rules=RULES)
    assert set(bare.loc[bare["rule_id"] == "low_results_curator", "school_id"]) == {"1", "2"}


def test_pairs_feed_one_recommendation_per_school():
    s = _schools(
        [
            ("L", False, False, True, False, 0.90, 0.95, 4, "лицей", 1.0),
            ("a", True, False, False, False, 0.20, 0.10, 1, "СОШ", 1.0),
        ]
    ).assign(school_name=["Лицей № 1", "СОШ № 2"])
    r = pairing.pair(s)
    out = rec.generate(s, pairs=r.pairs, unpaired=r.unpaired, rules=RULES)
    mine = set(out.loc[out["school_id"] == "a", "rule_id"])
    assert "low_results_vertical_partner" in mine
    assert "low_results_horizontal_partner" not in mine and "low_results_no_partner" not in mine
    assert not any("второй модели" in t for t in out["text"])


# ---------------------------------------------------------------------------- clusters


def _planted_with_outliers(seed: int) -> pd.DataFrame:
    """Three planted groups of 12 schools and a pair of outlying schools (2 of 38 = 5 %)."""
    rng = np.random.default_rng(seed)
    rows = []
    centers = [(0, 0, 0), (6, 0, 2), (3, 5, 4)]
    for g, c in enumerate(centers):
        for i in range(12):
            rows.append(
                {
                    "school_id": f"g{g}{i:02d}",
                    "disabled_share": c[0] + rng.normal(0, 0.5),
                    "vacancies_share": c[1] + rng.normal(0, 0.5),
                    "results_index": c[2] + rng.normal(0, 0.5),
                }
            )
    rows += [
        {"school_id": "out0", "disabled_share": 3.0, "vacancies_share": -6.0, "results_index": 2},
        {"school_id": "out1", "disabled_share": 3.3, "vacancies_share": -6.3, "results_index": 2},
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 3])
def test_k_rejects_a_tiny_cluster_and_picks_the_stable_planted_k(seed):
    df = _planted_with_outliers(seed)
    res = clusters.cluster(df, bootstrap=20, min_cluster_share=0.1, min_stability=0.75)
    c = res.choice.set_index("k")
    # silhouette alone would split off the two outliers (k = 4, smallest cluster 2 of 38)
    assert c["silhouette"].idxmax() == 4 and c.loc[4, "min_share"] == pytest.approx(2 / 38)
    alone = clusters.cluster(df, bootstrap=20, min_cluster_share=0.0, min_stability=0.0)
    assert alone.k == 4
    # k = 2 merges two planted groups: big clusters but unstable under resampling
    assert c.loc[2, "stability"] < 0.75 <= c.loc[3, "stability"]
    assert res.k == 3
    planted = res.labels[res.labels.index.str.startswith("g")]
    groups = planted.index.str[1]
    assert (pd.crosstab(planted.to_numpy(), groups) > 0).sum(axis=1).eq(1).all()  # pure
    assert res.descriptions["size"].min() >= 0.1 * len(df)
    again = clusters.cluster(df.sample(frac=1, random_state=5), bootstrap=20, min_cluster_share=0.1)
    pd.testing.assert_series_equal(res.labels, again.labels)
    pd.testing.assert_frame_equal(res.choice, again.choice)  # same seed: same stability


def test_stability_by_hand_and_descriptions_say_what_sets_a_cluster_apart():
    grid = np.array([[i % 4, i // 4] for i in range(12)], dtype=float) / 10
    x = np.vstack([grid, grid + 10])
    lab = np.repeat([0, 1], 12)
    # two far groups: every resample finds them again (ARI = 1 each time)
    assert clusters.stability(x, lab, 2, "ward", 10, 0) == pytest.approx(1.0)
    # labels that cut across the groups: the resamples never reproduce them (ARI ≈ 0)
    assert clusters.stability(x, np.tile([0, 1], 12), 2, "ward", 10, 0) < 0.1
    z = pd.DataFrame(
        {"disabled_share": [1.0, 1.0, -1.0, -1.0], "results_index": [0.2, 0.0, 0.0, -0.2]},
        index=["a", "b", "c", "d"],
    )
    labels = pd.Series([1, 1, 2, 2], index=z.index)
    d = clusters.apart(z, labels)
    # cluster 1: ОВЗ mean 1 vs rest −1 → +2; ИОР mean 0.1 vs −0.1 → +0.2 (below 0.5: silent)
    assert d.loc[1, "disabled_share"] == pytest.approx(2.0)
    assert d.loc[1, "results_index"] == pytest.approx(0.2)
    desc = clusters._describe(d, labels, z).set_index("cluster")
    assert desc.loc[1, "key_features"] == "disabled_share"
    assert desc.loc[1, "description"].startswith("от остальных ОО отличают:")
    assert "ОВЗ" in desc.loc[1, "description"] and "+2,0 ст. откл." in desc.loc[1, "description"]
    assert "ИОР" not in desc.loc[1, "description"]


# ---------------------------------------------------------------------------- risk profile


def test_risk_factor_values_by_hand():
    schools = pd.DataFrame({"school_id": ["s1", "s2"]})
    ctx = pd.DataFrame(
        {
            "school_id": ["s1", "s2"],
            "students_total": [200, 50],
            "low_income": [50, 5],
            "parents_higher_ed": [30, 25],
            "at_risk_registered": [4, 0],
            "teachers_total": [20, 8],
            "teachers_multi_subject": [5, 4],
            "teachers_no_subject_degree": [1, 0],
        }
    )
    teachers = pd.DataFrame(
        {
            "school_id": ["s1"] * 5 + ["s2"] * 3,
            "pd_last_year": [1, 0, 0, 0, np.nan, 1, 1, 0],
            "category": ["высшая", "первая", "соответствие", "нет", None, "первая", "Нет", ""],
        }
    )
    v = risk_profile.factor_values(schools, ctx, teachers_year=teachers)
    assert v.loc["s1", "low_income_share"] == pytest.approx(25.0)  # 50 / 200
    assert v.loc["s2", "low_income_share"] == pytest.approx(10.0)
    assert v.loc["s1", "parents_higher_ed_share"] == pytest.approx(15.0)
    assert v.loc["s1", "at_risk_registered_share"] == pytest.approx(2.0)
    assert v.loc["s1", "teachers_multi_subject_share"] == pytest.approx(25.0)  # 5 / 20
    assert v.loc["s2", "teachers_multi_subject_share"] == pytest.approx(50.0)
    assert v.loc["s1", "teachers_no_subject_degree_share"] == pytest.approx(5.0)
    # ПК: s1 — 3 of the 4 teachers with a mark had no КПК (the blank one does not count)
    assert v.loc["s1", "teachers_no_pd_share"] == pytest.approx(75.0)
    assert v.loc["s2", "teachers_no_pd_share"] == pytest.approx(100 / 3)
    # category: s1 — «соответствие» and «нет» of 4 known; s2 — «Нет» of 2 known
    assert v.loc["s1", "teachers_no_category_share"] == pytest.approx(50.0)
    assert v.loc["s2", "teachers_no_category_share"] == pytest.approx(50.0)
    absent = v.attrs["absent"]
    assert "single_parent_share" in absent and "single_parent" in absent["single_parent_share"]
    lev = risk_profile.levels(v, method="fixed")
    # fixed thresholds of risk_factors.yml: low income ≥ 25 высокий, < 10 низкий
    assert lev.loc["s1", "low_income_share"] == HIGH and lev.loc["s2", "low_income_share"] == MID
    # parents with higher education: lower is risk, ≤ 20 высокий
    assert lev.loc["s1", "parents_higher_ed_share"] == HIGH
    assert lev.loc["s2", "parents_higher_ed_share"] == LOW  # 50 % > 40


def test_profile_table_lists_every_factor_with_threshold_level_and_source():
    schools = pd.DataFrame({"school_id": ["s1"]})
    ctx = pd.DataFrame({"school_id": ["s1"], "students_total": [100], "disabled": [12]})
    v = risk_profile.factor_values(schools, ctx)
    lev = risk_profile.levels(v, method="fixed")
    t = risk_profile.profile_table(v, lev, method="fixed")
    assert list(t.columns) == risk_profile.PROFILE_COLUMNS
    assert t["factor"].tolist() == list(risk_profile.factors())  # all, in file order
    row = t.set_index("factor").loc["disabled_share"]
    assert row["value"] == pytest.approx(12.0) and row["level"] == HIGH
    assert row["threshold"] == 10 and row["threshold_low"] == 4
    assert "disabled / students_total" in row["source"]
    miss = t.set_index("factor").loc["teachers_no_pd_share"]
    assert np.isnan(miss["value"]) and miss["level"] == NO_DATA
    assert "pd_last_year" in miss["source"]
    terc = risk_profile.profile_table(v, risk_profile.levels(v), method="terciles")
    assert terc["threshold"].isna().all()


def test_demo_risk_profile_table_is_published(demo_computed):
    from shnor_lib.pipeline import load_results

    _, params, _ = demo_computed
    res = load_results(params)
    t, schools = res.tables["risk_profile_school"], res.tables["schools"]
    assert len(t) == len(schools) * len(risk_profile.factors())
    pd_rows = t[t["factor"] == "teachers_no_pd_share"]
    assert pd_rows["value"].notna().all()  # the demo's teachers table has pd_last_year
    pairs = res.tables["pairs"]
    assert pairs["low_results_school_id"].is_unique  # one model per school
