"""M6 teachers: deficit levels at the cut scores, school shares with Wilson intervals,
small-cell suppression, and no teacher row in the stage's output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib.config import load_params
from shnor_lib.methods import teachers
from shnor_lib.methods.stats import wilson_ci

CUTS = [50, 70, 85]


def test_levels_at_the_cut_boundaries():
    scores = pd.Series([0, 49.9, 50, 69.9, 70, 84.9, 85, 100, np.nan])
    got = teachers.deficit_level(scores, CUTS).tolist()
    assert got[:8] == ["A", "A", "B", "B", "C", "C", "D", "D"]
    assert got[8] is pd.NA


def test_level_uses_the_mean_of_available_scores():
    t = pd.DataFrame(
        {
            "expert_score": [40.0, 60.0, np.nan, np.nan, 49.8],
            "test_score": [np.nan, 80.0, 85.0, np.nan, 50.0],
        }
    )
    levels = teachers.with_levels(t, CUTS)
    assert levels["deficit_score"].tolist()[:3] == [40.0, 70.0, 85.0]
    assert np.isnan(levels["deficit_score"].iloc[3])
    assert levels["deficit_score"].iloc[4] == pytest.approx(49.9)
    assert levels["deficit_level"].tolist()[:3] == ["A", "C", "D"]
    assert levels["deficit_level"].iloc[3] is pd.NA  # none → no level
    assert levels["deficit_level"].iloc[4] == "A"


def test_other_cuts_and_bad_cuts():
    assert teachers.deficit_level(pd.Series([59.9, 60]), [60, 75, 90]).tolist() == ["A", "B"]
    for bad in ([50, 70], [70, 50, 85], [50, 70, 120]):
        with pytest.raises(ValueError):
            teachers.check_cuts(bad)


def _fixture() -> pd.DataFrame:
    """School 100001: 12 teachers in 2024 (published); 100002: 3 teachers (suppressed)."""
    rows = []
    big = [30, 45, 50, 55, 60, 65, 72, 78, 84.9, 85, 95, None]
    for i, s in enumerate(big):
        rows.append(
            {
                "year": 2024,
                "school_id": "100001",
                "teacher_id": f"T{i:02d}",
                "expert_score": s,
                "test_score": None,
                "pd_last_year": i % 2 == 0,
                "category": ["высшая", "первая", "соответствие", "нет"][i % 4],
                "teaches_advanced": i < 3,
                "diagnosed": s is not None,
                "post_course_support": i < 2,
                "network_involved": None if i == 0 else i < 5,
                "has_iom": i == 7,
            }
        )
    for i, s in enumerate([40, 90, 75]):
        rows.append(
            {
                "year": 2024,
                "school_id": "100002",
                "teacher_id": f"U{i}",
                "expert_score": s,
                "test_score": s,
                "pd_last_year": True,
                "category": "высшая",
                "teaches_advanced": False,
                "diagnosed": True,
                "post_course_support": False,
                "network_involved": False,
                "has_iom": False,
            }
        )
    frame = pd.DataFrame(rows)
    for c in ("pd_last_year", "teaches_advanced", "diagnosed", "post_course_support"):
        frame[c] = frame[c].astype("boolean")
    frame["network_involved"] = frame["network_involved"].astype("boolean")
    frame["has_iom"] = frame["has_iom"].astype("boolean")
    frame["year"] = frame["year"].astype("Int64")
    return frame


@pytest.fixture
def params():
    return load_params(overrides={"min_group_size": 10})


def test_shares_with_wilson_intervals(params):
    res = teachers.stage({"teachers": _fixture()}, params)
    b = res.by_school
    s1 = b[(b["level"] == "school") & (b["school_id"] == "100001")].set_index("indicator_id")
    # diagnosed: 11 of 12 listed teachers
    row = s1.loc["teacher_diagnostics_share"]
    assert (row["numerator"], row["n"]) == (11, 12)
    lo, hi = wilson_ci(11, 12, 0.95)
    assert row["value"] == pytest.approx(100 * 11 / 12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * lo, 100 * hi))
    # category высшая/первая: i % 4 in (0, 1) → 6 of 12
    assert s1.loc["teacher_category_share", "numerator"] == 6
    # network: an empty flag counts as «нет» (same convention as indicators A37–A40)
    assert s1.loc["teacher_network_share", "numerator"] == 4
    assert s1.loc["teacher_network_share", "n"] == 12
    # A+B among the 11 with a level: 30, 45 (A); 50, 55, 60, 65 (B)
    ab = s1.loc["teacher_deficit_ab_share"]
    assert (ab["numerator"], ab["n"]) == (6, 11)
    lo, hi = wilson_ci(6, 11, 0.95)
    assert (ab["ci_low"], ab["ci_high"]) == pytest.approx((100 * lo, 100 * hi))


def test_small_cells_blank_with_n_kept(params):
    res = teachers.stage({"teachers": _fixture()}, params)
    b = res.by_school
    s2 = b[(b["level"] == "school") & (b["school_id"] == "100002")]
    assert len(s2) > 0
    assert s2["value"].isna().all() and s2["ci_low"].isna().all()
    assert s2["numerator"].isna().all()
    assert (s2["n"] == 3).all()
    m = b[(b["level"] == "municipality")].set_index("indicator_id")
    assert m.loc["teacher_diagnostics_share", "n"] == 15
    assert m.loc["teacher_diagnostics_share", "numerator"] == 14
    d = res.distribution.set_index(res.distribution["school_id"].fillna("muni"))
    assert d.loc["100001", ["n_a", "n_b", "n_c", "n_d"]].tolist() == [2, 4, 3, 2]
    assert d.loc["100001", "n_assessed"] == 11 and d.loc["100001", "n_teachers"] == 12
    assert d.loc["100001", "share_ab"] == pytest.approx(100 * 6 / 11)
    assert np.isnan(d.loc["100002", "n_a"]) and np.isnan(d.loc["100002", "share_ab"])
    assert d.loc["100002", "n_assessed"] == 3
    assert d.loc["muni", ["n_a", "n_b", "n_c", "n_d"]].tolist() == [3, 4, 4, 3]


def test_no_teacher_row_leaves_the_stage(params):
    t = _fixture()
    res = teachers.stage({"teachers": t}, params)
    for frame in (res.by_school, res.distribution):
        assert "teacher_id" not in frame.columns
        assert not frame.isin(set(t["teacher_id"])).any().any()
        assert set(frame["level"]) == {"school", "municipality"}
    assert list(res.by_school.columns) == teachers.BY_SCHOOL_COLUMNS
    assert list(res.distribution.columns) == teachers.DISTRIBUTION_COLUMNS


def test_absent_teachers_table_is_no_data(params):
    res = teachers.stage({}, params)
    assert res.empty
    assert "нет данных" in res.notes[0]
    assert list(res.by_school.columns) == teachers.BY_SCHOOL_COLUMNS


def test_years_after_the_reporting_year_are_ignored(params):
    t = _fixture()
    later = t.assign(year=pd.array([2025] * len(t), dtype="Int64"))
    res = teachers.stage({"teachers": pd.concat([t, later], ignore_index=True)}, params)
    assert set(res.by_school["year"]) == {2024}


def _schools(shnor: set[str], hard: set[str]) -> pd.DataFrame:
    ids = ["100001", "100002", "100003"]
    return pd.DataFrame(
        {
            "school_id": ids,
            "low_results": [i in shnor for i in ids],
            "hard_context": pd.array([i in hard for i in ids], dtype="boolean"),
        }
    )


def test_shares_by_school_group(params):
    # 100001 is ШНОР (12 teachers, 11 diagnosed), 100002 ШССУ (3 teachers, all diagnosed)
    res = teachers.stage({"teachers": _fixture()}, params, _schools({"100001"}, {"100002"}))
    g = res.by_group.set_index(["group", "indicator_id"])
    assert g.loc[("ШНОР", "teacher_diagnostics_share"), ["numerator", "n"]].tolist() == [11, 12]
    assert g.loc[("ШНОР и ШССУ", "teacher_diagnostics_share"), ["numerator", "n"]].tolist() == [
        14,
        15,
    ]
    assert g.loc[("все ОО", "teacher_diagnostics_share"), "n"] == 15
    # A+B of ШНОР: 6 of the 11 with a level
    assert g.loc[("ШНОР", "teacher_deficit_ab_share"), ["numerator", "n"]].tolist() == [6, 11]
    assert "teacher_id" not in res.by_group.columns


def test_deficits_by_subject_and_group_with_scores_apart():
    t = _fixture()
    # 100001: the first 6 teach Математика, the rest Русский язык; 100002: Математика
    t["subject"] = ["Математика"] * 6 + ["Русский язык"] * 6 + ["Математика"] * 3
    p = load_params(overrides={"min_group_size": 3, "unsafe_small_groups": True})
    res = teachers.stage({"teachers": t}, p, _schools({"100001"}, {"100002"}))
    d = res.deficits.set_index(["group", "subject"])
    # ШНОР, Математика: scores 30, 45, 50, 55, 60, 65 → A 2, B 4
    math = d.loc[("ШНОР", "Математика")]
    assert [math[c] for c in ("n_a", "n_b", "n_c", "n_d")] == [2, 4, 0, 0]
    assert math["expert_mean"] == pytest.approx((30 + 45 + 50 + 55 + 60 + 65) / 6)
    assert math["n_test"] == 0 and np.isnan(math["test_mean"])
    # ШССУ (не ШНОР), Математика: expert 40, 90, 75 and test the same
    hard = d.loc[("ШССУ (не ШНОР)", "Математика")]
    assert hard["expert_mean"] == pytest.approx(205 / 3) == hard["test_mean"]
    assert [hard[c] for c in ("n_a", "n_b", "n_c", "n_d")] == [1, 0, 1, 1]
    # all schools, all subjects: 14 with a level; Русский язык of ШНОР has 5 (one without)
    assert d.loc[("все ОО", "все предметы"), "n_assessed"] == 14
    assert d.loc[("ШНОР", "Русский язык"), "n_assessed"] == 5
    assert ("прочие ОО", "все предметы") not in d.index  # no teachers there


def test_deficits_small_groups_blank(params):
    t = _fixture().assign(subject="Математика")
    res = teachers.stage({"teachers": t}, params, _schools({"100001"}, {"100002"}))
    d = res.deficits.set_index(["group", "subject"])
    small = d.loc[("ШССУ (не ШНОР)", "Математика")]  # 3 teachers < 10
    assert np.isnan(small["n_a"]) and np.isnan(small["expert_mean"])
    assert np.isnan(small["score_mean"]) and small["n_assessed"] == 3
    big = d.loc[("ШНОР", "Математика")]  # 11 with a level, 11 expert scores
    assert big["n_assessed"] == 11 and not np.isnan(big["expert_mean"])


def test_group_and_deficit_views_from_published_tables(params, tmp_path):
    from shnor_lib.io import publish
    from shnor_lib.pipeline import Results
    from shnor_lib.report.sections import support as views_support

    t = _fixture().assign(subject="Математика")
    res = teachers.stage({"teachers": t}, params, _schools({"100001"}, {"100002"}))
    for name, frame in (("teachers_by_group", res.by_group), ("teachers_deficits", res.deficits)):
        publish.write_csv(frame, tmp_path / f"{name}.csv")
    back = {p.stem: publish.read_csv(p) for p in tmp_path.glob("*.csv")}
    r = Results(params=params, tables=back)
    shares = views_support.teachers_shares_by_group(r).set_index("Показатель")
    diag = shares.loc[teachers.indicator_names()["teacher_diagnostics_share"]]
    assert diag["n (ШНОР)"] == 12 and diag["n (ШНОР и ШССУ)"] == 15
    assert diag["ШНОР, % [95 % ДИ]"].startswith("91,7")  # 11 of 12
    table = views_support.teachers_deficits(r)
    row = table[(table["Группа ОО"] == "ШНОР") & (table["Предмет"] == "Математика")].iloc[0]
    assert row["A"] == "2 (18 %)" and row["Тестовая оценка, средний балл"] == "—"
    small = table[table["Группа ОО"] == "ШССУ (не ШНОР)"].iloc[0]
    assert small["A"] == views_support.SMALL_N


def test_tutor_coverage_of_ab_teachers_in_shnor(params):
    # ШНОР 100001: A/B teachers are T00–T05 (scores 30–65); the МТКП form names T01, T04 and
    # T09 (level D: not counted) of 100001 and U0 of 100002 (not ШНОР) → 2 of 6
    pairs = pd.DataFrame(
        {
            "tutor_code": ["Т-01", "Т-01", "Т-02", "Т-02"],
            "teacher_code": ["T01", "T04", "T09", "U0"],
            "school_id": ["100001", "100001", "100001", "100002"],
        }
    )
    p = load_params(overrides={"min_group_size": 5})
    res = teachers.stage({"teachers": _fixture()}, p, _schools({"100001"}, set()), pairs)
    row = res.by_group[res.by_group["indicator_id"] == "teacher_ab_tutor_share"].iloc[0]
    assert (row["group"], row["numerator"], row["n"]) == ("ШНОР", 2, 6)
    lo, hi = wilson_ci(2, 6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * lo, 100 * hi))
    none = teachers.stage({"teachers": _fixture()}, p, _schools({"100001"}, set()))
    assert "teacher_ab_tutor_share" not in set(none.by_group["indicator_id"])
