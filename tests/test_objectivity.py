"""M5 objectivity: the exclusion test, the signs, the exclusion rule, the validation targets.

Small hand-made municipalities test each rule; synthetic municipalities (synth → ingest →
stage, as the pipeline does) test the whole stage and the validation targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import report_cells

from shnor_lib.config import load_params
from shnor_lib.demo import synth
from shnor_lib.devtools import bench_objectivity
from shnor_lib.errors import ShnorError
from shnor_lib.io import ingest, publish, reference
from shnor_lib.methods import min_scores, objectivity, results_index

# what the pipeline's objectivity stage passes in (the shipped ВПР scales, the catalogue)
_REF = {
    "vpr_scales": reference.vpr_scales(),
    "catalog": reference.load_indicator_catalog(),
}

YEAR = 2024
RUS, MAT, BIO = "Русский язык", "Математика", "Биология"


# ----------------------------------------------------------------------------- fixtures


def _params(tmp_path: Path | None = None, **objectivity_overrides):
    over = {"municipality": "t", "year": YEAR}
    if objectivity_overrides:
        over["objectivity"] = objectivity_overrides
    return load_params(overrides=over, root=tmp_path)


def make_data(
    *,
    schools: int = 14,
    grades: dict[int, int] | None = None,
    subjects: tuple[str, ...] = (RUS,),
    pupils: int = 30,
    no_gia: tuple[int, ...] = (),
    inflate: dict[tuple[int, int, str], float] | None = None,
    seed: int = 3,
) -> dict[str, pd.DataFrame]:
    """A small municipality: school quality q drives ВПР and ОГЭ alike (one year).

    `grades` maps grade → number of schools that have it (default: all schools, grade 5);
    `no_gia` lists school indexes without ГИА; `inflate` maps (school, grade, subject) to
    the share of pupils below «4» lifted to the «4» cut.
    """
    rng = np.random.default_rng(seed)
    ids = [f"9{i:05d}" for i in range(schools)]
    q = rng.normal(0, 0.5, schools)
    scales = reference.for_year(reference.load_vpr_scales(), YEAR).set_index(["grade", "subject"])
    grades = grades or {5: schools}
    inflate = inflate or {}
    rows = []
    for g, n_sch in grades.items():
        for subject in subjects:
            key = (g, subject)
            mx, c3, c4, c5 = (
                (int(scales.loc[key, c]) for c in ("max_score", "cut3", "cut4", "cut5"))
                if key in scales.index
                else (30, 10, 18, 25)
            )
            for i in range(n_sch):
                eta = q[i] + rng.standard_normal(pupils)
                score = np.clip(np.rint(mx * (0.5 + 0.18 * eta)), 0, mx).astype(int)
                share = inflate.get((i, g, subject), 0.0)
                if share:
                    below = np.flatnonzero(score < c4)
                    k = int(round(share * pupils))
                    score[below[np.argsort(-score[below])][:k]] = c4
                mark = 2 + (score >= c3) + (score >= c4) + (score >= c5)
                journal = np.clip(mark + rng.integers(-1, 2, pupils), 2, 5)
                for j in range(pupils):
                    rows.append(
                        {
                            "year": YEAR,
                            "school_id": ids[i],
                            "student_id": f"S{i}-{g}-{j}",
                            "grade": g,
                            "subject": subject,
                            "primary_score": float(score[j]),
                            "max_score": float(mx),
                            "mark": int(mark[j]),
                            "journal_mark": int(journal[j]),
                        }
                    )
    vpr = pd.DataFrame(rows)
    gia_rows = []
    for i in range(schools):
        if i in no_gia:
            continue
        for subject, base in (("Русский язык", 22.0), ("Математика", 14.0)):
            s = np.clip(np.rint(base + 6 * (q[i] + rng.standard_normal(25))), 0, 33)
            for j, v in enumerate(s):
                gia_rows.append(
                    {
                        "year": YEAR,
                        "school_id": ids[i],
                        "student_id": f"G{i}-{j}",
                        "exam": "ОГЭ",
                        "subject": subject,
                        "score": float(v),
                        "mark": 2 + int(v >= 15) + int(v >= 22) + int(v >= 29),
                    }
                )
    gia = pd.DataFrame(gia_rows)
    context = pd.DataFrame(
        {
            "school_id": ids,
            "year": YEAR,
            "students_total": 500,
            "low_income": rng.binomial(500, 0.15, schools),
            "parents_higher_ed": rng.binomial(500, 0.3, schools),
        }
    )
    schools_t = pd.DataFrame(
        {
            "school_id": ids,
            "school_name": [f"МБОУ СОШ № {i + 1}" for i in range(schools)],
            "locality": "город",
            "school_type": "СОШ",
        }
    )
    return {"schools": schools_t, "context": context, "vpr": vpr, "gia": gia}


def _marked(data):
    return min_scores.mark_below_min(data["gia"], reference.load_gia_min_scores())


def _rows(res, check, **keys):
    t = res.table[res.table["check"] == check]
    for k, v in keys.items():
        t = t[t[k] == v] if v is not None else t[t[k].isna()]
    return t


# ----------------------------------------------------------------------------- hand-made


def test_table_has_the_design_columns_and_one_row_per_unit_and_check():
    data = make_data()
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    assert list(res.table.columns[: len(objectivity.COLUMNS)]) == objectivity.COLUMNS
    unit_checks = res.table[res.table["grade"].notna()]
    assert not unit_checks.duplicated(["school_id", "year", "grade", "subject", "check"]).any()
    assert set(unit_checks["check"]) >= {
        "share_4_5",
        "mean_mark",
        "heaping_3",
        "journal_confirmed",
        "journal_raised",
    }
    assert (res.table["procedure"] == "ВПР").all()


def test_gross_inflation_is_flagged_and_excluded_and_honest_units_are_not():
    data = make_data(schools=16, inflate={(3, 5, RUS): 0.45})
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    share = _rows(res, "share_4_5")
    hit = share[share["school_id"] == "900003"].iloc[0]
    assert bool(hit["flagged"]) and bool(hit["excluded"])
    assert hit["ci_low"] > 0 and hit["statistic"] >= 10
    assert hit["statistic"] == pytest.approx(hit["observed"] - hit["expected"])
    assert "результаты исключены" in hit["reason"]
    assert share["basis"].str.startswith(objectivity.BASIS_GIA).all()
    assert share["flagged"].fillna(False).astype(bool).sum() == 1
    ex = res.exclusions
    assert list(ex.columns) == [*results_index.EXCLUSION_KEYS, "reason"]
    assert ex[["school_id", "grade", "subject"]].values.tolist() == [["900003", 5, RUS]]
    # the exclusion feeds the ИОР components: the unit's rows are dropped
    kept = results_index.drop_excluded(data["vpr"], ex, "ВПР")
    assert len(data["vpr"]) - len(kept) == 30
    assert not ((kept["school_id"] == "900003") & (kept["subject"] == RUS)).any()


def test_unit_below_min_group_size_is_not_tested():
    data = make_data(pupils=30)
    v = data["vpr"]
    drop = (v["school_id"] == "900000") & (v["student_id"].str.split("-").str[-1].astype(int) >= 6)
    data["vpr"] = v[~drop]
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    for check in ("share_4_5", "mean_mark"):
        row = _rows(res, check, school_id="900000").iloc[0]
        assert row["n"] == 6
        assert row["reason"].startswith("недостаточно участников")
        assert np.isnan(row["statistic"]) and pd.isna(row["flagged"])
    journal = _rows(res, "journal_confirmed", school_id="900000").iloc[0]
    assert np.isnan(journal["statistic"]) and journal["reason"].startswith("недостаточно")


def test_grade_with_too_few_schools_uses_the_municipal_mean():
    data = make_data(schools=14, grades={5: 14, 6: 3})
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    six = _rows(res, "share_4_5", grade=6)
    assert len(six) == 3
    assert (six["basis"] == objectivity.BASIS_MEAN).all()
    assert six["expected"].notna().all() and six["ci_low"].notna().all()
    # leave-one-out municipal mean: each unit is compared with the other two
    for i in six.index:
        others = six["observed"].drop(i)
        assert others.min() - 1e-9 <= six.loc[i, "expected"] <= others.max() + 1e-9
    assert (_rows(res, "share_4_5", grade=5)["basis"].str.startswith(objectivity.BASIS_GIA)).all()


def test_school_without_gia_is_predicted_from_context_and_the_table_says_so():
    data = make_data(schools=14, no_gia=(0,))
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    row = _rows(res, "share_4_5", school_id="900000").iloc[0]
    assert row["basis"] == objectivity.BASIS_CONTEXT
    assert np.isfinite(row["expected"]) and np.isfinite(row["ci_low"])
    other = _rows(res, "share_4_5", school_id="900001").iloc[0]
    assert other["basis"].startswith(objectivity.BASIS_GIA)


def test_no_gia_at_all_falls_back_to_context_for_everyone():
    data = make_data(schools=12)
    res = objectivity.stage(data, None, _params(), **_REF)
    share = _rows(res, "share_4_5")
    assert (share["basis"] == objectivity.BASIS_CONTEXT).all()


def test_without_context_columns_schools_without_gia_get_the_municipal_mean():
    data = make_data(schools=14, no_gia=(0,))
    data["context"] = data["context"][["school_id", "year", "students_total"]]
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    row = _rows(res, "share_4_5", school_id="900000").iloc[0]
    assert row["basis"] == objectivity.BASIS_MEAN
    assert (
        _rows(res, "share_4_5", school_id="900001")
        .iloc[0]["basis"]
        .startswith(objectivity.BASIS_GIA)
    )


def test_heaping_with_unknown_scale_is_not_assessed():
    data = make_data(schools=12, subjects=(RUS, "Физика"))  # no ВПР physics scale for grade 5
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    phys = _rows(res, "heaping_3", subject="Физика")
    assert len(phys) == 12
    assert phys["reason"].str.startswith("не оценивался").all()
    assert phys["statistic"].isna().all() and phys["flagged"].isna().all()
    # pooled per school: only the results with a known scale (Russian)
    pooled = _rows(res, "heaping_3", grade=None)
    assert len(pooled) == 12
    assert (pooled["participants"] == 60).all()


def test_heaping_scale_mismatch_is_not_assessed():
    data = make_data(schools=12)
    data["vpr"]["max_score"] = 99.0
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    h = _rows(res, "heaping_3")
    assert h[h["grade"].notna()]["reason"].str.contains("не совпадает").all()


def test_heaping_at_the_cut_is_flagged():
    data = make_data(schools=12, pupils=60)
    v = data["vpr"]
    cut3 = int(
        reference.for_year(reference.load_vpr_scales(), YEAR)
        .set_index(["grade", "subject"])
        .loc[(5, RUS), "cut3"]
    )
    sel = (v["school_id"] == "900002") & v["primary_score"].between(cut3 - 4, cut3 - 1)
    v.loc[sel, "primary_score"] = float(cut3)
    v.loc[sel, "mark"] = 3
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    row = _rows(res, "heaping_3", school_id="900002", grade=5).iloc[0]
    assert row["statistic"] == pytest.approx(100.0)
    assert bool(row["flagged"]) and row["ci_low"] > 65
    assert not bool(row["excluded"])  # a reported sign, not an exclusion by default


def test_journal_agreement_keeps_both_meanings_of_confirmed():
    data = make_data(schools=12, subjects=(RUS, BIO), pupils=32)
    v = data["vpr"]
    # school 0: per 4 pupils — 2 equal, 1 raised (ВПР above the journal), 1 lowered
    s0 = v["school_id"] == "900000"
    j = np.arange(s0.sum()) % 4
    v.loc[s0, "mark"] = 3
    v.loc[s0, "journal_mark"] = np.select([j < 2, j == 2], [3, 2], 4)
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    rus = _rows(res, "journal_confirmed", school_id="900000", subject=RUS).iloc[0]
    bio = _rows(res, "journal_confirmed", school_id="900000", subject=BIO).iloc[0]
    assert rus["statistic"] == pytest.approx(50.0)  # A26: equal marks only
    assert bio["statistic"] == pytest.approx(75.0)  # A30: not lower = equal + raised
    assert rus["definition"] == objectivity.MEANING_EQUAL
    assert bio["definition"] == objectivity.MEANING_NOT_LOWER
    assert rus["expected"] == 75.0 and rus["target_status"] == "не достигнут"
    raised = _rows(res, "journal_raised", school_id="900000", subject=RUS).iloc[0]
    assert raised["statistic"] == pytest.approx(25.0) and raised["expected"] == 10.0
    j = res.journal
    school = j[(j["school_id"] == "900000") & (j["year"] == YEAR)].set_index("ref")
    assert school.loc["A26", "value"] == pytest.approx(50.0)
    assert school.loc["A27", "value"] == pytest.approx(25.0)
    assert school.loc["A30", "value"] == pytest.approx(75.0)
    assert school.loc["A26", "confirmed_share"] == pytest.approx(50.0)
    assert school.loc["A30", "confirmed_share"] == pytest.approx(50.0)
    assert school.loc["A30", "raised_share"] == pytest.approx(25.0)
    assert school.loc["A26", "lowered_share"] == pytest.approx(25.0)
    muni = j[j["level"] == "municipality"]
    assert set(muni["ref"]) == {"A26", "A27", "A30"}


def test_exclusion_rule_comes_from_params():
    data = make_data(schools=16, inflate={(3, 5, RUS): 0.45})
    data["rosobrnadzor"] = pd.DataFrame(
        {
            "year": [YEAR],
            "school_id": ["900007"],
            "procedure": ["ВПР"],
            "grade": [5],
            "subject": [RUS],
        }
    )
    marked = _marked(data)
    default = objectivity.stage(data, marked, _params(), **_REF)
    assert set(default.exclusions["school_id"]) == {"900003", "900007"}
    fed_row = _rows(default, "federal_list", school_id="900007").iloc[0]
    assert bool(fed_row["flagged"]) and bool(fed_row["excluded"])
    only_fed = objectivity.stage(data, marked, _params(exclusion_rule=["federal_list"]), **_REF)
    assert set(only_fed.exclusions["school_id"]) == {"900007"}
    share = _rows(only_fed, "share_4_5", school_id="900003").iloc[0]
    assert bool(share["flagged"]) and not bool(share["excluded"])
    only_test = objectivity.stage(data, marked, _params(exclusion_rule=["excess"]), **_REF)
    assert set(only_test.exclusions["school_id"]) == {"900003"}


def test_federal_list_without_grade_covers_the_whole_school_year():
    data = make_data(schools=12, grades={5: 12, 6: 12})
    data["rosobrnadzor"] = pd.DataFrame({"year": [YEAR], "school_id": ["900004"]})
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    ex = res.exclusions
    # one row per unit the entry covers (grade 5 and 6 Russian), so rows count units
    assert ex[["grade", "subject"]].values.tolist() == [[5, RUS], [6, RUS]]
    assert (ex["school_id"] == "900004").all()
    covered = res.table[(res.table["school_id"] == "900004")]
    assert covered["excluded"].all()
    kept = results_index.drop_excluded(data["vpr"], ex, "ВПР")
    assert not (kept["school_id"] == "900004").any()


def test_school_flag_excludes_every_unit_of_the_school_year_and_the_rule_decides():
    """School 0 inflates all four of its units (grades 5, 6 × Russian, maths): the pooled test
    flags the school-year and the rule «school» excludes every unit, also one the unit test
    alone does not flag; without «school» in the rule only the unit flags exclude."""
    inflate = {(0, g, s): 0.3 for g in (5, 6) for s in (RUS, MAT)}
    data = make_data(schools=20, grades={5: 20, 6: 20}, subjects=(RUS, MAT), inflate=inflate)
    res = objectivity.stage(data, _marked(data), _params(), **_REF)
    sch = res.schools.set_index("school_id")
    assert list(res.schools.columns) == objectivity.SCHOOL_COLUMNS
    assert bool(sch.loc["900000", "flagged"]) and bool(sch.loc["900000", "excluded"])
    assert sch.loc["900000", "units_tested"] == 4 and sch.loc["900000", "excluded_units"] == 4
    mine = res.exclusions[res.exclusions["school_id"] == "900000"]
    assert len(mine) == 4 and mine["reason"].str.contains("во всей ВПР ОО").all()
    share = _rows(res, "share_4_5", school_id="900000")
    assert share["school_flagged"].all() and share["excluded"].all()
    # honest schools: hardly any flagged at the school level
    assert sch.drop(index="900000")["flagged"].fillna(False).astype(bool).sum() <= 1
    unit_only = objectivity.stage(
        data, _marked(data), _params(exclusion_rule=["excess", "federal_list"]), **_REF
    )
    flagged = _rows(unit_only, "share_4_5", school_id="900000")["flagged"].fillna(False)
    ex = unit_only.exclusions[unit_only.exclusions["school_id"] == "900000"]
    assert len(ex) == int(flagged.astype(bool).sum()) < 4  # the school test adds units
    assert not unit_only.schools.set_index("school_id").loc["900000", "excluded"]


def test_exclusion_counts_use_one_window():
    ex = pd.DataFrame(
        {
            "school_id": ["1", "1", "2", "3"],
            "year": [2021, 2023, 2024, 2024],
            "procedure": "ВПР",
            "grade": pd.array([5, 5, 6, 7], dtype="Int64"),
            "subject": [RUS, RUS, MAT, MAT],
            "reason": "x",
        }
    )
    c = objectivity.exclusion_counts(ex, [2022, 2023, 2024])
    assert (c.units, c.schools, c.school_years, c.years) == (3, 3, 3, (2022, 2023, 2024))
    assert c.window_text() == "2022–2024 гг." and c.share is None
    c1 = objectivity.exclusion_counts(pd.concat([ex, ex]), [2021])  # duplicates count once
    assert (c1.units, c1.schools) == (1, 1)
    assert objectivity.exclusion_window(_params()) == [YEAR - 2, YEAR - 1, YEAR]


def test_bad_params_are_named():
    data = make_data(schools=12)
    with pytest.raises(ShnorError, match="exclusion_rule"):
        objectivity.stage(
            data, _marked(data), _params(exclusion_rule=["excess", "nonsense"]), **_REF
        )
    with pytest.raises(ShnorError, match="procedure"):
        objectivity.stage(data, _marked(data), _params(procedure="ОГЭ"), **_REF)


def test_variance_estimate_recovers_overdispersion():
    rng = np.random.default_rng(0)
    n = rng.integers(10, 120, 4000)
    v = 1 / (4 * n + 2)
    d = rng.normal(0, np.sqrt(0.04**2 + 1.3 * v))
    tau2, kappa = objectivity._estimate_variance(d, v, np.zeros_like(v))
    assert np.sqrt(tau2) == pytest.approx(0.04, abs=0.01)
    assert kappa == pytest.approx(1.3, abs=0.2)


# ----------------------------------------------------------------------------- synthetic


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("obj")
    truth = synth.generate(root / "data" / "raw" / "t", seed=11, n_schools=30)
    (root / "params").mkdir()
    path = root / "params" / "t.yml"
    path.write_text(f"municipality: t\nyear: {truth['reporting_year']}\n", "utf-8")
    params = load_params(path)
    data = ingest.ingest(params).tables
    marked = _marked(data)
    res = objectivity.stage(data, marked, params, **_REF)
    return data, marked, params, truth, res


def test_stage_on_synthetic_data(synthetic):
    data, marked, params, truth, res = synthetic
    t = res.table
    share = t[t["check"] == "share_4_5"]
    n_units = data["vpr"].groupby(["school_id", "year", "grade", "subject"]).ngroups
    assert len(share) == n_units
    tested = share[share["statistic"].notna()]
    assert (tested["n"] >= params.min_group_size).all()
    assert (share[share["statistic"].isna()]["n"] < params.min_group_size).all()
    # НОШ (no ГИА) are predicted from context and say so
    noosh = [s for s, d in truth["school_latent"].items() if d["school_type"] == "НОШ"]
    if noosh:
        rows = share[share["school_id"].isin(noosh) & share["statistic"].notna()]
        assert (rows["basis"] == objectivity.BASIS_CONTEXT).all()
    # flag ⇔ interval above 0 and excess >= min_excess
    f = tested["flagged"].astype(bool)
    assert (f == ((tested["ci_low"] > 0) & (tested["statistic"] >= 10))).all()
    # every federal-list unit is excluded, and every flagged unit
    fed = t[t["check"] == "federal_list"]
    assert len(fed) == len(truth["rosobrnadzor"]) and fed["excluded"].all()
    ex_keys = set(map(tuple, res.exclusions[["school_id", "year", "grade", "subject"]].values))
    for r in tested[f].itertuples():
        assert (r.school_id, r.year, r.grade, r.subject) in ex_keys
    # most flags are planted units
    planted = {
        (u["school_id"], u["year"], u["grade"], u["subject"]) for u in truth["inflated_units"]
    }
    hits = [(r.school_id, r.year, r.grade, r.subject) in planted for r in tested[f].itertuples()]
    assert np.mean(hits) >= 0.5


def test_exclusions_change_the_results_index(synthetic):
    data, marked, params, truth, res = synthetic
    years = sorted(set(data["vpr"]["year"]) | set(data["gia"]["year"]))
    weights = {k: v.weight for k, v in params.results_index.components.items()}

    def index(exclusions):
        comps = results_index.components(data, marked, years, params.window, exclusions)
        return results_index.compute_index(comps, weights)

    e = objectivity.index_effect(index(None), index(res.exclusions), res.exclusions)
    assert not e.empty
    assert (e["excluded_units"] > 0).all()
    changed = ~np.isclose(e["results_index_before"], e["results_index_after"])
    assert changed.any()
    years = sorted(set(e["year"]))
    comps = results_index.components(data, marked, years, params.window, res.exclusions)
    vpr = comps[comps["component"] == "vpr_mean_mark"].set_index(["school_id", "year"])["value"]
    for r in e.itertuples():
        assert vpr.get((r.school_id, r.year), np.nan) == pytest.approx(
            r.vpr_mean_mark_after, nan_ok=True
        )


def test_published_tables_roundtrip_and_views(synthetic, tmp_path):
    from shnor_lib import pipeline
    from shnor_lib.report import display
    from shnor_lib.report.sections import objectivity as views_objectivity

    data, marked, params, truth, res = synthetic
    tables = {
        **res.tables(),
        "schools": pipeline.schools_table(data, params),
        "objectivity_effect": objectivity.index_effect(None, pd.DataFrame(), res.exclusions),
    }
    read = {}
    for name, frame in tables.items():
        publish.write_csv(frame, tmp_path / f"{name}.csv")
        read[name] = publish.read_csv(tmp_path / f"{name}.csv")
    text = (tmp_path / "objectivity.csv").read_text("utf-8")
    assert text.splitlines()[0].startswith(",".join(objectivity.COLUMNS))
    assert "true" in text and "True" not in text
    r = pipeline.Results(params=params, tables=read)
    display.setup()
    assert views_objectivity.key_numbers(r)["Исключено единиц"] == int(
        (res.exclusions["year"] == params.year).sum()
    )
    for fn in (
        views_objectivity.summary_by_year,
        views_objectivity.exclusions_list,
        views_objectivity.effect_table,
        views_objectivity.journal_municipal,
        views_objectivity.heaping_table,
        views_objectivity.models_table,
        views_objectivity.flagged_not_excluded,
    ):
        display.table(fn(r))
    vals, status = views_objectivity.journal_schools(r)
    display.table(vals, cell_class=views_objectivity.status_cell_class(status))
    for fig in (views_objectivity.funnel_plot(r), views_objectivity.excess_scatter(r)):
        html = str(display.figure(fig, alt="рисунок"))
        assert html.startswith("<figure")
    for text_fn in (
        views_objectivity.intro_text,
        views_objectivity.plain_note,
        views_objectivity.journal_text,
        views_objectivity.heaping_note,
    ):
        assert text_fn(r)


def test_report_section_cells_compile():
    cells = report_cells("Объективность результатов")
    assert "views_objectivity" in cells[0][1]  # the notebook imports the section's views
    assert cells[1] == ("markdown", "## Объективность результатов", [])
    for cell in cells:
        assert cell[0] in ("markdown", "code") and isinstance(cell[1], str)
        if cell[0] == "code":
            compile(cell[1], "<cell>", "exec")


# ----------------------------------------------------------------------------- validation

VALIDATION_SEEDS = (11, 12)


@pytest.fixture(scope="module")
def bench_small():
    """Both planted scenarios of bench_objectivity on two small seeds (40 schools, 4 years)."""
    return {
        sc: [bench_objectivity.evaluate_seed(s, sc) for s in VALIDATION_SEEDS]
        for sc in bench_objectivity.SCENARIOS
    }


def _summary(runs, school=False):
    units = pd.concat([r["units"] for r in runs], ignore_index=True)
    schools = pd.concat([r["school_years"] for r in runs], ignore_index=True)
    return bench_objectivity.summarize(units, schools if school else None)


def test_school_wide_inflation_is_found_with_few_honest_units_excluded(bench_small):
    """The goal of the issue on planted school-wide inflation: recall >= 0.80 of gross lifts
    (>= 25 points, n >= 20) with <= 2 % of honest units excluded. The 20-seed benchmark
    (docs/validation.md) measures the same figures on 20 municipalities."""
    r = _summary(bench_small["school"], school=True)
    assert r["gross_units"] >= 40, r
    assert r["false_exclusion"] <= bench_objectivity.TARGET_FALSE_EXCLUSION, r
    assert r["recall_gross"] >= bench_objectivity.TARGET_RECALL, r
    # the school-level test finds gross school-years and flags hardly any honest one
    gross = next(x for x in r["school_recall"] if x["lift"] == "≥ 25")
    assert gross["total"] >= 5 and gross["found"] / gross["total"] >= 0.8, r
    assert r["school_years_honest_flagged"] <= 0.02 * r["school_years_honest"], r


def test_single_class_inflation_keeps_honest_exclusions_low_and_power_grows(bench_small):
    r = _summary(bench_small["class"])
    # honest units excluded beside really inflated classes of their school-year (the school
    # test flags the whole procedure then) are the price of the school rule; the others stay
    # within the target (docs/validation.md gives both)
    clean = r["honest_excluded"] - r["honest_excluded_beside_planted"]
    assert clean <= bench_objectivity.TARGET_FALSE_EXCLUSION * r["honest_units"], r
    assert r["false_exclusion"] <= 0.05, r
    rec = {x["lift"]: x for x in r["recall"]}

    def recall(lift, size):
        row = rec[lift]
        return row[f"{size}: found"] / max(row[f"{size}: total"], 1)

    big, small = "n ≥ 20", "n < 20"
    assert recall("≥ 25", big) > recall("15–25", big) > recall("< 15", big)
    assert recall("≥ 25", big) > recall("≥ 25", small)


def test_pooling_finds_school_wide_inflation_the_unit_test_misses(bench_small):
    """Pooled evidence is the point of the school test: in the school scenario, planted units
    of small classes (n < 20) are excluded far more often than the unit test flags them."""
    units = pd.concat([r["units"] for r in bench_small["school"]], ignore_index=True)
    small = units[units["planted"] & (units["n"] < 20) & (units["lift_pp"] >= 25)]
    assert len(small) >= 20
    assert small["excluded"].mean() >= small["flagged"].mean() + 0.3


def test_simulator_plants_both_scenarios_as_described():
    data, truth = bench_objectivity.simulate(5, "school", n_schools=30)
    planted = pd.DataFrame(truth["units"])
    assert planted["school_wide"].all() and len(truth["school_years"]) >= 1
    # every unit of an inflating school-year is planted
    vpr = data["vpr"]
    for sy in truth["school_years"]:
        units = vpr[(vpr["school_id"] == sy["school_id"]) & (vpr["year"] == sy["year"])]
        n_units = len(units.drop_duplicates(["grade", "subject"]))
        mine = planted[(planted["school_id"] == sy["school_id"]) & (planted["year"] == sy["year"])]
        assert len(mine) == n_units
    data, truth = bench_objectivity.simulate(5, "class", n_schools=30)
    planted = pd.DataFrame(truth["units"])
    assert not planted["school_wide"].any() and truth["school_years"] == []
    n_units = len(data["vpr"].drop_duplicates(["school_id", "year", "grade", "subject"]))
    assert 0.02 < len(planted) / n_units < 0.12
    assert (planted["lift_pp"] >= 0).all() and (planted["lift_pp"] > 0).mean() > 0.9


def test_truth_is_not_read_by_the_stage(synthetic, tmp_path):
    data, marked, params, truth, res = synthetic
    assert "inflated_units" in json.dumps(truth)
    src = Path(objectivity.__file__).read_text("utf-8")
    assert "_truth" not in src


# ----------------------------------------------------------------------------- one count


def test_exclusion_counts_agree_in_summary_objectivity_section_and_recommendations(
    demo_computed,
):
    """One definition of the exclusion counts (issue: the summary said 112 units / 34 schools
    over 3 years, the recommendations 159 / 36 over 4): the overview, the objectivity section
    and the municipal recommendation all quote objectivity.exclusion_counts over the window."""
    import re

    from shnor_lib.pipeline import load_results
    from shnor_lib.report.sections import objectivity as views
    from shnor_lib.report.sections import overview

    _root, params, _truth = demo_computed
    res = load_results(params)
    ex = res.tables["objectivity_exclusions"]
    counts = objectivity.exclusion_counts(ex, objectivity.exclusion_window(params))
    assert counts.years == tuple(params.years)
    # the data have exclusions outside the window too: the window is what is counted
    assert len(ex.drop_duplicates(results_index.EXCLUSION_KEYS)) > counts.units > 0

    key = overview.key_numbers(res)
    assert key[next(k for k in key if k.startswith("Исключено единиц ВПР"))] == counts.units
    row = overview.summary(res).set_index("Группа").filter(like="исключёнными", axis=0)
    assert f"единиц: {counts.units}" in row.index[0]
    assert int(row["Число ОО"].iloc[0]) == counts.schools
    section = views.key_numbers(res)
    assert section[next(k for k in section if k.startswith("Исключено единиц за"))] == counts.units

    recs = res.tables["recommendations"]
    text = " ".join(recs["evidence"].astype(str))
    m = re.search(r"исключённых как необъективные:\s*(\d+); ОО с исключениями: (\d+)", text)
    assert m, "the municipal recommendation on objectivity quotes the counts"
    assert (int(m.group(1)), int(m.group(2))) == (counts.units, counts.schools)
