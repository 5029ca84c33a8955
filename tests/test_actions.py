"""M8–M10: risk profile, clusters, leader pairing, recommendations, their views and cells."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import report_cells

from shnor_lib.config import load_params
from shnor_lib.io import publish, reference
from shnor_lib.methods import clusters, pairing, risk_profile
from shnor_lib.methods import recommendations as rec
from shnor_lib.methods.risk_profile import HIGH, LOW, MID, NO_DATA
from shnor_lib.notes import Note
from shnor_lib.pipeline import Results
from shnor_lib.report import display
from shnor_lib.report.sections import actions as views_actions

ROOT = Path(__file__).resolve().parents[1]
RULES = reference.load_recommendation_rules()


# ---------------------------------------------------------------------------- risk profile


def _values(**cols: list[float]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    idx = pd.Index([f"s{i}" for i in range(n)], name="school_id")
    return pd.DataFrame(cols, index=idx, dtype=float)


def test_terciles_split_in_three_and_orient_by_direction():
    v = _values(
        disabled_share=[1, 2, 3, 4, 5, 6, np.nan],  # higher = more risk
        computers_per_student=[0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07],  # lower = more risk
    )
    lev = risk_profile.levels(v)
    assert lev["disabled_share"].tolist() == [LOW, LOW, MID, MID, HIGH, HIGH, NO_DATA]
    assert lev["computers_per_student"].tolist() == [HIGH, HIGH, MID, MID, MID, LOW, LOW]


def test_terciles_ties_get_one_level_and_are_order_free():
    v = _values(vacancies_share=[0, 0, 0, 0, 5, 10], internet_mbps=[50] * 6)
    lev = risk_profile.levels(v)
    # four tied zeros share mid-rank 2.5 → p = 2/6 → «средний» (not split by order)
    assert lev["vacancies_share"].tolist() == [MID, MID, MID, MID, HIGH, HIGH]
    assert set(lev["internet_mbps"]) == {MID}  # no variation
    shuffled = risk_profile.levels(v.iloc[::-1])
    pd.testing.assert_frame_equal(shuffled.loc[lev.index], lev)


def test_fixed_thresholds_from_data_file_and_overrides():
    v = _values(disabled_share=[10, 9.9, 4, 3.9], computers_per_student=[0.10, 0.11, 0.25, 0.26])
    lev = risk_profile.levels(v, method="fixed")
    assert lev["disabled_share"].tolist() == [HIGH, MID, MID, LOW]  # high 10, low 4
    assert lev["computers_per_student"].tolist() == [HIGH, MID, MID, LOW]  # high 0.10, low 0.25
    lev2 = risk_profile.levels(v, method="fixed", thresholds={"disabled_share": {"high": 4}})
    assert lev2["disabled_share"].tolist() == [HIGH, HIGH, HIGH, LOW]
    with pytest.raises(KeyError, match="not risk factors"):
        risk_profile.levels(_values(unknown=[1.0]))


def test_fixed_thresholds_are_the_default_and_the_report_states_them():
    from shnor_lib.config import load_params
    from shnor_lib.report.sections import actions as views_actions

    assert load_params().clusters.risk_levels == "fixed"
    text = views_actions.risk_method_text(load_params().clusters.risk_levels)
    # every factor with its thresholds, from the data file
    f = risk_profile.factors()["disabled_share"]
    assert (f.high, f.low) == (10.0, 4.0)
    assert "обучающиеся с ОВЗ: «высокий» — не ниже 10,0 %, «низкий» — ниже 4,0 %" in text
    assert "компьютеров на обучающегося: «высокий» — не выше 0,10" in text
    assert all(g.label in text for g in risk_profile.factors().values())
    assert "терцил" in views_actions.risk_method_text("terciles")


def test_factor_values_from_context_and_passed_shares():
    schools = pd.DataFrame({"school_id": ["a", "b", "c"]})
    ctx = pd.DataFrame(
        {
            "school_id": ["a", "b"],
            "students_total": [100, 0],
            "computers": [20, 5],
            "disabled": [7, 1],
            "teachers_total": [10, 8],
            "vacancies": [1, 2],
        }
    )
    tab = pd.Series({"a": 40.0, "c": 10.0})
    v = risk_profile.factor_values(schools, ctx, teachers_ab_share=tab)
    assert list(v.index) == ["a", "b", "c"]
    assert v.loc["a", "computers_per_student"] == pytest.approx(0.2)
    assert np.isnan(v.loc["b", "computers_per_student"])  # no students: no ratio, no inf
    assert v.loc["a", "disabled_share"] == pytest.approx(7.0)
    assert v.loc["b", "vacancies_share"] == pytest.approx(25.0)
    assert v.loc["c", "teachers_ab_share"] == 10.0
    for absent in ("internet_mbps", "non_native_share", "vpr_fail_share", "below_min_share"):
        assert absent not in v.columns and absent in v.attrs["absent"]
    with pytest.raises(ValueError, match="0..100"):
        risk_profile.factor_values(schools, ctx, vpr_fail_share=pd.Series({"a": 140.0}))


def test_top_risks_joins_names_of_high_factors_in_file_order():
    lev = pd.DataFrame(
        {"disabled_share": [HIGH, LOW], "vacancies_share": [HIGH, MID]},
        index=pd.Index(["a", "b"], name="school_id"),
    )
    meta = risk_profile.factors()
    top = risk_profile.top_risks(lev)
    assert top["a"] == f"{meta['vacancies_share'].name}; {meta['disabled_share'].name}"
    assert top["b"] == ""


def test_long_table_round_trip():
    v = _values(disabled_share=[1, 2, np.nan], vacancies_share=[3, 1, 2])
    lev = risk_profile.levels(v)
    long = risk_profile.long_table(v, lev)
    assert list(long.columns)[:3] == ["school_id", "factor", "factor_name"]
    assert (long.loc[long["value"].isna(), "level"] == NO_DATA).all()
    vals, lev2 = risk_profile.wide_from_long(long)
    pd.testing.assert_frame_equal(lev2, lev[lev2.columns], check_names=False)
    pd.testing.assert_frame_equal(vals, v[vals.columns], check_names=False)


# ---------------------------------------------------------------------------- clusters


def _planted(seed: int = 7) -> tuple[pd.DataFrame, dict[str, str]]:
    """24 schools in three well-separated groups."""
    rng = np.random.default_rng(seed)
    rows, truth = [], {}
    centers = {
        "ovz": {"disabled_share": 18, "vacancies_share": 4, "results_index": 0.2},
        "staff": {"disabled_share": 5, "vacancies_share": 20, "results_index": 0.5},
        "good": {"disabled_share": 5, "vacancies_share": 4, "results_index": 0.9},
    }
    for g, c in centers.items():
        for i in range(8):
            sid = f"{g}{i:02d}"
            truth[sid] = g
            rows.append(
                {
                    "school_id": sid,
                    "disabled_share": c["disabled_share"] + rng.normal(0, 1),
                    "vacancies_share": c["vacancies_share"] + rng.normal(0, 1),
                    "results_index": c["results_index"] + rng.normal(0, 0.03),
                    "internet_mbps": 100.0,  # constant: dropped
                }
            )
    return pd.DataFrame(rows), truth


@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_clusters_recover_planted_groups_deterministically(method):
    profile, truth = _planted()
    res = clusters.cluster(profile, k_min=2, k_max=6, method=method)
    again = clusters.cluster(profile.sample(frac=1, random_state=3), method=method)
    assert res.k == 3
    assert res.silhouette.idxmax() == 3
    pd.testing.assert_series_equal(res.labels, again.labels)
    groups = pd.Series(truth).reindex(res.labels.index)
    assert (pd.crosstab(res.labels, groups) > 0).sum(axis=1).eq(1).all()  # pure clusters
    assert res.labels[groups == "ovz"].iloc[0] == 1  # 1 = lowest mean ИОР
    assert res.labels[groups == "good"].iloc[0] == 3
    d = res.descriptions.set_index("cluster")
    assert "ОВЗ" in d.loc[1, "description"] and "низкий ИОР" in d.loc[1, "description"]
    assert "вакансий" in d.loc[2, "description"]
    assert d["size"].tolist() == [8, 8, 8]
    assert any("без различий" in n for n in res.notes)  # constant internet dropped
    table = res.table()
    assert {"z_disabled_share", "z_results_index"} <= set(table.columns)


def test_clusters_impute_and_degenerate_cases():
    profile, _ = _planted()
    profile.loc[[0, 9], "vacancies_share"] = np.nan
    res = clusters.cluster(profile)
    assert res.k == 3 and any("медианой" in n for n in res.notes)
    few = clusters.cluster(profile.head(2), k_min=2)
    assert few.k == 0 and few.labels.isna().all() and "не проводилась" in few.notes[-1]
    one = clusters.cluster(profile[["school_id", "disabled_share"]])
    assert one.k == 0 and one.descriptions.empty and "двух признаков" in one.notes[-1]


# pairing: tests/test_pairs_clusters_risk.py


# ---------------------------------------------------------------------------- recommendations


def _rules_data() -> dict:
    return yaml.safe_load((ROOT / "shnor_lib" / "data" / "recommendations.yml").read_text("utf-8"))


def test_rules_file_validates_and_covers_the_vocabulary():
    rs = reference.load_recommendation_rules()
    assert len(rs.rules) >= 25
    assert set(rs.addressees) == {
        "руководителям ОО",
        "педагогам",
        "родителям",
        "муниципальному уровню",
    }
    assert {r.level for r in rs.rules} == set(rec.LEVELS)
    statuses = {s for r in rs.rules for k in ("status", "status_any") for s in r.when.get(k, ())}
    assert statuses >= {"low_results", "hard_context", "resilient", "leader", "risk_group"}
    assert {r.when["risk_high"] for r in rs.rules if "risk_high" in r.when} == set(
        risk_profile.factors()
    )
    assert any("excluded_objectivity" in r.when for r in rs.rules)
    assert any("teachers_ab_share_above" in r.when for r in rs.rules)
    assert {r.when.get("pair_model") for r in rs.rules} >= set(pairing.MODELS)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"when": {"status": "low_results", "colour": "red"}}, "неизвестное условие «colour»"),
        ({"when": {"status": "ШНОР"}}, "неизвестный статус"),
        ({"when": {"risk_high": "no_such_factor"}}, "неизвестный фактор"),
        ({"text": "ИОР {ior:.2f}"}, "неизвестная подстановка {ior}"),
        ({"text": "ИОР {results_index:.2e}"}, "неверный формат"),
        ({"evidence": "без цифр"}, "хотя бы одну подстановку"),
        ({"addressee": "министру"}, "адресат"),
        ({"level": "region"}, "level"),
    ],
)
def test_invalid_rule_is_an_error_naming_the_rule(patch, message):
    data = _rules_data()
    rule = next(r for r in data["rules"] if r["id"] == "low_results_program")
    rule.update(patch)
    with pytest.raises(rec.RulesError, match=message) as err:
        rec.parse_rules(data)
    assert "low_results_program" in str(err.value)


def test_duplicate_rule_id_is_an_error():
    data = _rules_data()
    data["rules"].append(dict(data["rules"][0]))
    with pytest.raises(rec.RulesError, match=data["rules"][0]["id"]):
        rec.parse_rules(data)


def test_format_value_is_russian():
    assert rec.format_value(0.1234, ".2f") == "0,12"
    assert rec.format_value(45.62, ".1p") == "45,6 %"
    assert rec.format_value(0.05, "+.2f") == "+0,05"
    assert rec.format_value(-0.05, "+.2f") == "\u22120,05"  # the true minus sign
    assert rec.format_value(3.0) == "3"
    assert rec.format_value(12345.5) == "12\u202f345,50"
    assert rec.format_value(np.nan, ".2f") == "—"
    assert rec.format_value(["a", "b", "c"], max_listed=2) == "a; b и ещё 1"


def _fixture() -> dict:
    """Schools, clusters, pairs and exclusions on which every rule fires."""
    factor_ids = list(risk_profile.factors())
    s = pd.DataFrame(
        {
            "school_id": ["100", "200", "300", "400", "500", "600", "700", "800"],
            "school_name": [
                "ООШ № 1",
                "СОШ № 2",
                "СОШ № 3",
                "Лицей № 4",
                "Гимназия № 5",
                "СОШ № 6",
                "СОШ № 7",
                "СОШ № 8",
            ],
            "school_type": ["ООШ", "СОШ", "СОШ", "лицей", "гимназия", "СОШ", "СОШ", "СОШ"],
            "low_results": [True, True, True, False, False, False, False, False],
            "hard_context": [True, False, False, False, False, True, False, False],
            "resilient_strict": [False, False, False, False, False, True, False, False],
            "resilient_contextual": [False] * 8,
            "leader": [False, False, False, True, True, False, False, False],
            "risk_group": [False, False, False, False, False, False, False, True],
            "results_index": [0.1234, 0.15, 0.2, 0.95, 0.9, 0.8, 0.4, 0.5],
            "results_quartile": [1, 1, 1, 4, 4, 4, 2, 2],
            "results_level": ["низкий"] * 3 + ["высокий"] * 3 + ["ниже среднего"] * 2,
            "social_index": [0.2, 0.5, 0.6, 0.7, 0.3, 0.1, 0.6, 0.5],
            "social_quartile": [1, 2, 3, 4, 2, 1, 3, 2],
            "expected_result": [0.2, 0.3, 0.3, 0.8, 0.6, 0.3, 0.6, 0.5],
            "residual": [-0.08, -0.15, -0.1, 0.15, 0.3, 0.5, -0.2, 0.0],
            "vs_expected": [None, None, None, None, None, None, "ниже ожидаемого", None],
            "low_results_reason": ["ИОР в 1-м квартиле в 3 из 3 лет"] * 3 + [None] * 5,
            "leader_reason": [None] * 3 + ["ИОР в 4-м квартиле в 3 из 3 лет"] * 2 + [None] * 3,
            "risk_reason": [None] * 7 + ["2024: ОГЭ математика 35 % ниже минимума"],
            "cluster": [1, 1, 2, 2, 2, 1, 2, 2],
            "top_risks": ["вакансии педагогов"] + [""] * 7,
            "teachers_ab_share": [61.5, 20, 20, 10, 10, 35.04, 5, 5],
        }
    )
    for f in factor_ids:
        if f != "teachers_ab_share":  # the factor value and the teacher column are one column
            s[f] = 12.5
        s[f"risk_{f}"] = [HIGH] + [MID] * 7
    cl = pd.DataFrame(
        {
            "cluster": [1, 2],
            "name": ["Низкий ИОР и много вакансий", "Высокий ИОР"],
            "description": ["низкий ИОР, много вакансий", "высокий ИОР"],
            "size": [3, 5],
            "mean_results_index": [0.36, 0.59],
            "mean_social_index": [0.27, 0.54],
        }
    )
    for f in factor_ids:
        cl[f"z_{f}"] = [1.2 * risk_profile.factors()[f].risk_sign, 0.0]
    cl["z_results_index"] = [-1.3, 0.8]
    pairs = pd.DataFrame(
        {
            "low_results_school_id": ["100", "300"],
            "leader_school_id": ["400", "500"],
            "model": [pairing.HORIZONTAL, pairing.VERTICAL],
            "mentee_group": [pairing.SHNOR, pairing.SHNOR],
            "partner_basis": [pairing.LEADER, pairing.LEADER],
            "social_distance": [0.1, 0.3],
        }
    )
    unpaired = pd.DataFrame(
        {
            "low_results_school_id": ["200"],
            "mentee_group": [pairing.SHNOR],
            "model": [""],
            "reason": [pairing.capacity_reason(2)],
        }
    )
    # the МНЦ form names a mentor for 200, the МТКП form tutors for teachers of 600
    named = pd.DataFrame(
        {"school_id": ["200", "600"], "mentors": [1, 0], "tutored_teachers": [0, 3]}
    )
    ex = pd.DataFrame(
        {
            "school_id": ["100", "100", "700", "700"],
            "year": [2024] * 4,
            "procedure": ["ВПР"] * 4,
            "grade": [5, 6, 5, 5],
            "subject": ["Математика", "Русский язык", "Математика", "Математика"],
            "check": ["excess", "excess", "excess", "heaping"],
            "excluded": [True, True, False, False],
        }
    )
    muni = {"year": 2024, "unmet_targets": ["A1. Доля обучающихся"], "teachers_ab_share": 31.0}
    return {
        "schools": s,
        "clusters": cl,
        "pairs": pairs,
        "unpaired": unpaired,
        "ex": ex,
        "muni": muni,
        "named": named,
    }


def _generate(fx: dict, **over) -> pd.DataFrame:
    kw = {
        "clusters": fx["clusters"],
        "pairs": fx["pairs"],
        "unpaired": fx["unpaired"],
        "exclusions": fx["ex"],
        "municipal": fx["muni"],
        "named": fx["named"],
    }
    kw.update(over)
    return rec.generate(fx["schools"], rules=RULES, **kw)


def test_every_rule_fires_on_the_fixture_and_cites_its_figure():
    fx = _fixture()
    out = _generate(fx)
    no_leaders = fx["schools"].assign(leader=False)
    out2 = rec.generate(no_leaders, pairs=fx["pairs"].iloc[:0], municipal={}, rules=RULES)
    fired = set(out["rule_id"]) | set(out2["rule_id"])
    missing = {r.id for r in reference.load_recommendation_rules().rules} - fired
    assert not missing, f"rules that never fired: {sorted(missing)}"
    assert list(out.columns)[:6] == [
        "school_id",
        "cluster",
        "addressee",
        "kind",
        "text",
        "evidence",
    ]
    assert out["evidence"].str.strip().ne("").all() and out["text"].str.strip().ne("").all()
    for col in ("text", "evidence"):  # no English decimals anywhere
        assert not out[col].str.contains(r"\d\.\d").any()
    by = out[out["level"] == "school"].set_index(["school_id", "rule_id"])
    assert "0,12" in by.loc[("100", "low_results_program"), "evidence"]
    assert "62 %" in by.loc[("100", "teacher_deficits_routes"), "evidence"]
    assert "12,5 %" in by.loc[("100", "risk_disabled"), "evidence"]
    assert "Лицей № 4" in by.loc[("100", "low_results_horizontal_partner"), "text"]
    assert "Гимназия № 5" in by.loc[("300", "low_results_vertical_partner"), "text"]
    assert "ООШ № 1" in by.loc[("400", "leader_mentor"), "text"]
    assert "ВПР, 5 кл., Математика, 2024 г." in by.loc[("100", "objectivity_admin"), "evidence"]
    muni = out[out["level"] == "municipality"].set_index("rule_id")
    # 2 excluded of 3 distinct units (school 700 has two check rows for one unit)
    assert "66,7 % (2 из 3)" in muni.loc["muni_objectivity_share", "evidence"]
    assert muni["school_id"].isna().all() and muni["cluster"].isna().all()
    clus = out[out["level"] == "cluster"]
    assert clus["school_id"].isna().all() and clus["cluster"].notna().all()
    assert "+1,2 ст. откл." in clus.set_index("rule_id").loc["cluster_social", "evidence"]


def test_recommendations_are_deterministic_and_ordered():
    fx = _fixture()
    a, b = _generate(fx), _generate(fx)
    pd.testing.assert_frame_equal(a, b)
    levels = a["level"].map({"municipality": 0, "cluster": 1, "school": 2})
    assert levels.is_monotonic_increasing
    school_ids = a.loc[a["level"] == "school", "school_id"]
    assert school_ids.is_monotonic_increasing


def test_absent_inputs_never_fire_their_rules():
    fx = _fixture()
    out = rec.generate(fx["schools"], municipal={}, rules=RULES)
    ids = set(out["rule_id"])
    for rid in ("low_results_no_partner", "low_results_horizontal_partner", "leader_mentor"):
        assert rid not in ids
    assert not any(i.startswith("objectivity_") or i.startswith("cluster_") for i in ids)
    assert "low_results_program" in ids
    bare = rec.generate(pd.DataFrame({"school_id": ["1"], "school_name": ["ОО"]}), rules=RULES)
    assert bare.empty or set(bare["level"]) == {"municipality"}


# ---------------------------------------------------------------------------- views and cells


def _published(tmp_path: Path) -> Results:
    """The published tables of a planted municipality, read back as the report reads them."""
    profile, truth = _planted()
    ids = profile["school_id"]
    s = pd.DataFrame(
        {
            "school_id": ids,
            "school_name": [f"МБОУ СОШ № {i + 1}" for i in range(len(ids))],
            "school_type": ["СОШ", "ООШ", "лицей"] * 8,
            "results_index": profile["results_index"],
            "social_index": np.linspace(0.05, 0.95, len(ids)),
            "distance_km": np.arange(len(ids), dtype=float),
        }
    )
    s["low_results"] = s["results_index"] < 0.25
    s["leader"] = s["results_index"] > 0.88
    s["hard_context"] = s["social_index"] < 0.3
    values = profile.set_index("school_id")[["disabled_share", "vacancies_share", "internet_mbps"]]
    lev = risk_profile.levels(values)
    s["top_risks"] = ids.map(risk_profile.top_risks(lev))
    cres = clusters.cluster(clusters.profile_frame(values, s))
    s["cluster"] = ids.map(cres.labels)
    pres = pairing.pair(s)
    recs = rec.generate(
        s.merge(risk_profile.school_columns(values, lev), on="school_id"),
        clusters=cres.table(),
        pairs=pres.pairs,
        unpaired=pres.unpaired,
        rules=RULES,
    )
    tables = {
        "schools": s,
        "risk_levels": risk_profile.long_table(values, lev),
        "clusters": cres.table(),
        "pairs": pres.pairs,
        "pairs_unpaired": pres.unpaired,
        "recommendations": recs,
    }
    for name, frame in tables.items():
        publish.write_csv(frame, tmp_path / f"{name}.csv")
    back = {p.stem: publish.read_csv(p) for p in sorted(tmp_path.glob("*.csv"))}
    notes = [Note("clusters", "info", t, table="clusters").to_dict() for t in cres.notes]
    return Results(params=load_params(), tables=back, manifest={"notes": notes})


def test_views_and_cells_run_on_published_tables(tmp_path):
    res = _published(tmp_path)
    assert "Число кластеров k = " in views_actions.cluster_notes(res)
    assert views_actions.risk_summary(res)["ОО: высокий"].sum() > 0
    assert not views_actions.pairs_table(res).empty
    ct = views_actions.cluster_table(res)
    assert ct["Число ОО"].sum() == 24
    blocks = views_actions.recommendation_blocks(res)._repr_html_()
    assert "<h4" in blocks and "МБОУ СОШ" in blocks
    for fig in (
        views_actions.risk_heatmap(res),
        views_actions.cluster_profile_figure(res),
        views_actions.cluster_map(res),
    ):
        assert fig is not None
        plt.close(fig)

    CELLS = report_cells("Риски и кластеры", "Сетевое взаимодействие", "Адресные рекомендации")
    ns = {"res": res, "params": res.params, "display": display, "views_actions": views_actions}
    for cell in CELLS:
        if cell[0] == "code":
            exec(compile(cell[1], "<cell>", "exec"), ns)  # noqa: S102
    empty = Results(params=res.params, tables={}, manifest={})
    for cell in CELLS:  # every cell also runs when the tables are absent
        if cell[0] == "code":
            exec(compile(cell[1], "<cell>", "exec"), {**ns, "res": empty})  # noqa: S102
    assert re.search("Тепловая", " ".join(c[1] for c in CELLS))
