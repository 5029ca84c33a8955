"""The synthetic generator (shnor_lib.demo.synth) and the reference data (shnor_lib.io.reference).

The planted truth is what the methods are validated against, so these tests recompute it
from the written files rather than trusting `_truth.json`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnor_lib.demo import synth
from shnor_lib.io import schema
from shnor_lib.io.reference import for_year, load_gia_min_scores, load_oge_scales, load_vpr_scales

TABLES = ("schools", "context", "vpr", "gia", "school_stats", "teachers", "rosobrnadzor", "roadmap")
UNIT = ["school_id", "year", "grade", "subject"]


def read(d: Path, name: str) -> pd.DataFrame:
    ids = {"school_id": str, "student_id": str, "teacher_id": str, "event_id": str}
    return pd.read_csv(d / f"{name}.csv", dtype=ids, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    truth = synth.generate(out)
    return out, truth


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("small")
    truth = synth.generate(out, seed=7, n_schools=12, years=(2023, 2024), inflated_units=5)
    return out, truth


# ---------------------------------------------------------------------------------- reference


def test_reference_loaders_types_and_real_values():
    mins = load_gia_min_scores()
    assert list(mins.columns) == ["exam", "subject", "year", "min_score"]
    assert mins["year"].dtype == np.int64 and mins["min_score"].dtype == np.float64
    assert set(mins["subject"]) <= set(schema.SUBJECTS)
    assert set(mins["exam"]) == {"ОГЭ", "ЕГЭ"}
    ege = mins[mins["exam"] == "ЕГЭ"].set_index(["subject", "year"])["min_score"]
    real = {
        "Русский язык": 24,
        "Математика (профильный уровень)": 27,
        "Физика": 36,
        "Химия": 36,
        "Биология": 36,
        "История": 32,
        "Обществознание": 42,
        "География": 37,
        "Информатика": 40,
        "Литература": 32,
        "Иностранный язык": 22,
    }
    for subject, value in real.items():
        for year in range(2019, 2027):
            assert ege[(subject, year)] == value
    vpr = load_vpr_scales()
    assert vpr[["year", "grade", "max_score", "cut3", "cut4", "cut5"]].dtypes.eq(np.int64).all()
    assert set(vpr["subject"]) <= set(schema.SUBJECTS)
    for year in range(2019, 2025):
        for grade in range(4, 9):
            for subject in ("Русский язык", "Математика"):
                row = vpr[(vpr.year == year) & (vpr.grade == grade) & (vpr.subject == subject)]
                assert len(row) == 1
    # 2025–2026 scales are not known to the package: no row, never a copy of an older year
    # (the shipped rows had copied 2019: grade 4 Russian 38 points, really 24 in 2026)
    assert not (vpr.year >= 2025).any()
    m5 = vpr[(vpr.year == 2024) & (vpr.grade == 5) & (vpr.subject == "Математика")].iloc[0]
    assert (m5.max_score, m5.cut3, m5.cut4, m5.cut5) == (20, 7, 11, 15)
    r5 = vpr[(vpr.year == 2024) & (vpr.grade == 5) & (vpr.subject == "Русский язык")].iloc[0]
    assert (r5.max_score, r5.cut3, r5.cut4, r5.cut5) == (45, 18, 29, 39)


def test_oge_minimum_is_the_cut_for_three():
    mins = load_gia_min_scores()
    oge = load_oge_scales()
    assert set(oge["subject"]) <= set(schema.SUBJECTS)
    merged = oge.merge(
        mins[mins["exam"] == "ОГЭ"], on=["subject", "year"], how="outer", indicator=True
    )
    assert (merged["_merge"] == "both").all()
    assert (merged["min_score"] == merged["cut3"]).all()
    rus = oge[(oge.subject == "Русский язык") & (oge.year == 2024)].iloc[0]
    mat = oge[(oge.subject == "Математика") & (oge.year == 2024)].iloc[0]
    assert (rus.max_score, rus.cut3) == (33, 15)
    assert (mat.max_score, mat.cut3) == (31, 8)


def test_for_year_picks_latest_version_and_falls_back(tmp_path):
    vpr = load_vpr_scales()
    m7 = vpr[(vpr.grade == 7) & (vpr.subject == "Математика")]
    assert for_year(m7, 2022).iloc[0].max_score == 16
    assert for_year(m7, 2023).iloc[0].max_score == 19
    late = for_year(m7, 2040).iloc[0]
    assert (late.year, late.source_year, late.max_score) == (2040, 2024, 19)
    early = for_year(m7, 2000).iloc[0]
    assert (early.source_year, early.max_score) == (2019, 16)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "year,grade,subject,max_score,cut3,cut4,cut5\n2024,5,Математика,20,11,7,15\n", "utf-8"
    )
    with pytest.raises(ValueError, match="cut3 < cut4"):
        load_vpr_scales(bad)


# ------------------------------------------------------------------------------- files, shape


def test_writes_every_table_with_schema_columns(demo):
    d, truth = demo
    files = sorted(p.name for p in d.iterdir() if p.is_file())
    assert files == sorted([f"{t}.csv" for t in TABLES] + ["_truth.json"])
    for name in TABLES:
        frame = read(d, name)
        table = schema.TABLES[name]
        required = [c.name for c in table.columns if c.required]
        assert set(required) <= set(frame.columns), name
        if not table.extra_counts:
            assert set(frame.columns) <= set(table.by_name), name
        if table.key:
            assert not frame.duplicated(list(table.key)).any(), name
        assert truth["rows"][name] == len(frame)


def test_deterministic_bytes(demo, tmp_path):
    d, _ = demo
    synth.generate(tmp_path / "again")
    for name in [*TABLES, "_truth"]:
        suffix = ".json" if name == "_truth" else ".csv"
        assert (d / f"{name}{suffix}").read_bytes() == (
            tmp_path / "again" / f"{name}{suffix}"
        ).read_bytes(), name


def test_different_seed_differs(small, tmp_path):
    d, _ = small
    synth.generate(tmp_path / "other", seed=8, n_schools=12, years=(2023, 2024), inflated_units=5)
    for name in ("context", "vpr", "gia", "teachers"):
        assert (d / f"{name}.csv").read_bytes() != (
            tmp_path / "other" / f"{name}.csv"
        ).read_bytes(), name


def test_school_mix(demo):
    d, truth = demo
    schools = read(d, "schools")
    assert len(schools) == 40
    assert schools["school_id"].str.fullmatch(r"\d{6}").all()
    assert schools["school_id"].is_unique
    counts = schools["school_type"].value_counts().to_dict()
    assert (
        counts
        == truth["school_types"]
        == {"НОШ": 2, "ООШ": 7, "СОШ": 22, "СОШ с УИОП": 3, "лицей": 3, "гимназия": 3}
    )
    assert (schools["locality"] == "село").mean() == pytest.approx(0.55, abs=0.03)
    urban = schools[schools.locality == "город"]
    rural = schools[schools.locality == "село"]
    assert urban.distance_km.between(0, 5).all() and rural.distance_km.between(5, 80).all()
    assert schools.loc[schools.is_small == 1, "locality"].eq("село").all()
    assert schools["school_name"].str.contains("№").all()
    assert (schools["municipality"] == "demo").all()


def test_ranges_and_consistency(demo):
    d, _ = demo
    known = set(read(d, "schools")["school_id"])
    for name in ("context", "vpr", "gia", "school_stats", "teachers", "rosobrnadzor"):
        assert set(read(d, name)["school_id"]) <= known, name
    vpr = read(d, "vpr")
    assert vpr["mark"].between(2, 5).all() and vpr["journal_mark"].between(2, 5).all()
    assert (vpr["primary_score"] >= 0).all() and (vpr["primary_score"] <= vpr["max_score"]).all()
    assert set(vpr["grade"]) == {4, 5, 6, 7, 8}
    # marks follow the shipped scales
    scales = load_vpr_scales()
    m = vpr.merge(scales, on=["year", "grade", "subject"], suffixes=("", "_ref"))
    assert len(m) == len(vpr)
    assert (m["max_score"] == m["max_score_ref"]).all()
    expect = (
        2
        + (m.primary_score >= m.cut3).astype(int)
        + (m.primary_score >= m.cut4)
        + (m.primary_score >= m.cut5)
    )
    assert (expect == m["mark"]).all()
    gia = read(d, "gia")
    oge, ege = gia[gia.exam == "ОГЭ"], gia[gia.exam == "ЕГЭ"]
    assert ege["score"].between(0, 100).all() and ege["mark"].isna().all()
    o = oge.merge(load_oge_scales(), on=["subject", "year"])
    assert len(o) == len(oge) and (o.score <= o.max_score).all()
    expect = 2 + (o.score >= o.cut3).astype(int) + (o.score >= o.cut4) + (o.score >= o.cut5)
    assert (expect == o["mark"]).all()
    assert set(gia["subject"]) <= set(schema.SUBJECTS)
    assert {"Русский язык", "Математика"} <= set(oge.subject)
    assert "Математика (профильный уровень)" in set(ege.subject)
    ctx = read(d, "context")
    for col in schema.CONTEXT_STUDENT_COUNTS:
        assert (ctx[col] <= ctx["students_total"]).all() and (ctx[col] >= 0).all(), col
    for col in schema.CONTEXT_TEACHER_COUNTS:
        assert (ctx[col] <= ctx["teachers_total"]).all(), col
    assert ctx["internet_mbps"].gt(0).all() and ctx["computers"].gt(0).all()
    teachers = read(d, "teachers")
    assert teachers.groupby(["school_id", "year"]).size().between(5, 60).all()
    per_sy = teachers.groupby(["school_id", "year"]).size().rename("n").reset_index()
    per_sy = per_sy.merge(ctx[["school_id", "year", "teachers_total"]])
    assert (per_sy["n"] == per_sy["teachers_total"]).all()
    for col in ("expert_score", "test_score"):
        vals = teachers[col].dropna()
        assert vals.between(0, 100).all() and 0 < teachers[col].isna().mean() < 0.5
    assert set(teachers["category"]) == set(schema.CATEGORIES)


def test_school_levels(demo):
    d, _ = demo
    schools = read(d, "schools").set_index("school_id")
    vpr, gia = read(d, "vpr"), read(d, "gia")
    nosh = set(schools.index[schools.school_type == "НОШ"])
    oosh = set(schools.index[schools.school_type == "ООШ"])
    assert nosh and oosh
    assert not set(gia["school_id"]) & nosh
    assert set(vpr.loc[vpr.school_id.isin(nosh), "grade"]) == {4}
    assert set(gia.loc[gia.school_id.isin(oosh), "exam"]) == {"ОГЭ"}
    assert set(gia.loc[gia.exam == "ЕГЭ", "school_id"]) == set(
        schools.index[schools.school_type.isin(["СОШ", "СОШ с УИОП", "лицей", "гимназия"])]
    )
    # class sizes: small schools a few pupils per grade, big ones dozens
    per_grade = vpr[vpr.subject == "Русский язык"].groupby(["school_id", "year", "grade"]).size()
    assert per_grade.min() <= 5 and per_grade.max() >= 80
    stats = read(d, "school_stats").set_index("school_id")
    assert (
        stats.loc[list(nosh), ["g9_graduates", "g11_graduates", "g5_9_enrolled_ooo"]]
        .isna()
        .all()
        .all()
    )
    assert stats.loc[list(oosh), ["g11_graduates", "medalists_total"]].isna().all().all()
    assert stats.loc[list(oosh), "g9_graduates"].notna().all()


def test_school_stats_pairs_consistent(demo):
    d, _ = demo
    stats = read(d, "school_stats")
    pairs = [
        ("g1_4_basic_attained", "g1_4_enrolled_noo"),
        ("g1_4_advanced_attained", "g1_4_enrolled_noo_advanced"),
        ("g5_9_basic_attained", "g5_9_enrolled_ooo"),
        ("g5_9_advanced_attained", "g5_9_enrolled_ooo_advanced"),
        ("g9_certificate_awarded", "g9_graduates"),
        ("g9_gia_grades_4_5", "g9_gia_participants"),
        ("g10_11_basic_attained", "g10_11_enrolled_soo"),
        ("g10_11_advanced_attained", "g10_11_enrolled_soo_advanced"),
        ("g11_certificate_awarded", "g11_graduates"),
        ("pupils_fg_assessed", "pupils_total"),
        ("pupils_reading_lit_success", "pupils_reading_lit_assessed"),
        ("pupils_math_lit_success", "pupils_math_lit_assessed"),
        ("pupils_science_lit_success", "pupils_science_lit_assessed"),
        ("pupils_fin_lit_success", "pupils_fin_lit_assessed"),
        ("parents_satisfied", "parents_surveyed"),
        ("medalists_elective_ge70", "medalists_total"),
    ]
    for num, den in pairs:
        both = stats[[num, den]].dropna()
        assert len(both) > 0 and (both[num] <= both[den]).all() and (both[num] >= 0).all(), num
        assert stats[num].isna().equals(stats[den].isna()), num
    assert "objectivity_complaints_count" in stats
    # ГИА-9 participants are the distinct ОГЭ takers of gia.csv
    gia = read(d, "gia")
    takers = gia[gia.exam == "ОГЭ"].groupby(["school_id", "year"]).student_id.nunique()
    s = stats.set_index(["school_id", "year"])["g9_gia_participants"].dropna()
    assert (takers.reindex(s.index).fillna(0) == s).all()


# ------------------------------------------------------------------------------- pseudonymity


def test_ids_pseudonymous_and_stable(demo):
    d, _ = demo
    vpr, gia, teachers = read(d, "vpr"), read(d, "gia"), read(d, "teachers")
    for frame in (vpr, gia):
        assert frame["student_id"].str.fullmatch(r"S[0-9A-Z]{10}").all()
    assert teachers["teacher_id"].str.fullmatch(r"T[0-9A-Z]{10}").all()
    cyr = re.compile("[А-Яа-яЁё]")
    assert not any(
        cyr.search(x)
        for x in pd.concat([vpr.student_id, gia.student_id, teachers.teacher_id]).unique()
    )
    # one ВПР student sits several subjects under the same id within a year
    g5 = vpr[vpr.grade == 5].groupby(["year", "school_id", "student_id"]).subject.nunique()
    assert g5.median() >= 3
    # teacher ids persist across years (low turnover)
    a = set(teachers.loc[teachers.year == 2023, "teacher_id"])
    b = set(teachers.loc[teachers.year == 2024, "teacher_id"])
    assert len(a & b) / len(a) > 0.8


# ------------------------------------------------------------------------------- planted truth


def test_truth_keys(demo):
    d, truth = demo
    on_disk = json.loads((d / "_truth.json").read_text("utf-8"))
    assert on_disk == json.loads(json.dumps(truth))
    for key in (
        "context_effects",
        "context_effects_order",
        "context_effect_definition",
        "context_standardization",
        "school_latent",
        "resilient_schools",
        "expected_low_results",
        "inflated_units",
        "inflation_summary",
        "rosobrnadzor",
        "generator",
        "reporting_year",
    ):
        assert key in truth, key
    assert truth["generator"]["seed"] == 20240904
    eff = truth["context_effects"]
    assert set(eff) == set(synth.CANDIDATES)
    nonzero = {k: v for k, v in eff.items() if v != 0}
    assert nonzero == synth.CONTEXT_EFFECTS
    sizes = sorted(abs(v) for v in nonzero.values())
    assert all(b - a >= 0.049 for a, b in zip(sizes, sizes[1:], strict=False))
    assert truth["context_effects_order"] == sorted(nonzero, key=lambda k: -abs(nonzero[k]))


def test_context_effects_reproduce_from_files(demo):
    """mean − Q − intercept regressed on the z-scores built from context.csv gives beta."""
    d, truth = demo
    ctx = read(d, "context").merge(read(d, "schools"), on="school_id")
    std = truth["context_standardization"]
    X = {}
    for name in truth["context_effects_order"]:
        x = (
            (ctx["locality"] == "село").astype(float)
            if name == "rural"
            else ctx[name] / ctx["students_total"]
        )
        assert x.mean() == pytest.approx(std[name]["mean"], abs=1e-5)
        assert x.std(ddof=0) == pytest.approx(std[name]["sd"], abs=1e-5)
        X[name] = (x - std[name]["mean"]) / std[name]["sd"]
    lat = truth["school_latent"]
    y = np.array(
        [
            lat[s]["mean"][str(yr)] - lat[s]["Q"] - lat[s]["support_part"][str(yr)]
            for s, yr in zip(ctx.school_id, ctx.year, strict=True)
        ]
    )
    A = np.column_stack([np.ones(len(y)), *X.values()])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    assert coef[0] == pytest.approx(synth.INTERCEPT, abs=0.02)
    for name, c in zip(X, coef[1:], strict=True):
        assert c == pytest.approx(truth["context_effects"][name], abs=0.02), name
    # zero-effect characteristics still go with disadvantage (real social passports do): every
    # pair clearly positive (under independence |r| would stay below ~0.15 at 40 schools)
    share = ctx[["low_income", "parents_unemployed", "single_parent"]].div(
        ctx.students_total, axis=0
    )
    assert share.corr().min().min() > 0.2


def test_inflated_units_recomputed_from_files(demo):
    d, truth = demo
    vpr = read(d, "vpr")
    units = pd.DataFrame(truth["inflated_units"])
    n_units = vpr.groupby(UNIT).ngroups
    assert truth["inflation_summary"]["n_vpr_units"] == n_units
    assert len(units) == pytest.approx(0.08 * n_units, abs=2)
    g = vpr.assign(h=vpr.mark >= 4).groupby(UNIT).agg(n=("h", "size"), share=("h", "mean"))
    m = units.merge(g.reset_index(), on=UNIT, suffixes=("", "_file"))
    assert len(m) == len(units)
    assert (m["n"] == m["n_file"]).all()
    assert np.allclose(m["share_4_5_inflated"], 100 * m["share"], atol=0.01)
    assert np.allclose(m["share_4_5_inflated"] - m["share_4_5_honest"], m["lift_pp"], atol=0.02)
    assert (m["lift_pp"] > 0).all()
    # varied: small and gross lifts, small and large units
    assert m["lift_pp"].min() < 15 and m["lift_pp"].max() >= 25
    assert ((m.lift_pp >= 4) & (m.lift_pp < 10)).sum() >= 10
    assert (m.lift_pp >= 30).sum() >= 10
    assert m["n"].min() < 10 and m["n"].max() >= 60
    # chosen independently of school quality: mean Q of inflated units ≈ all units
    q = {s: v["Q"] for s, v in truth["school_latent"].items()}
    all_q = g.reset_index()["school_id"].map(q)
    assert units["school_id"].map(q).mean() == pytest.approx(all_q.mean(), abs=0.1)


def test_inflation_signs_in_the_data(demo):
    d, truth = demo
    vpr = read(d, "vpr")
    key = pd.DataFrame(truth["inflated_units"])[UNIT].assign(infl=True)
    v = vpr.merge(key, on=UNIT, how="left", indicator=True)
    inflated = (v["_merge"] == "both").to_numpy()
    honest, infl = v[~inflated], v[inflated]
    diff = np.sign(honest.mark - honest.journal_mark)
    assert 0.65 <= (diff == 0).mean() <= 0.78
    assert 0.14 <= (diff < 0).mean() <= 0.26
    assert 0.04 <= (diff > 0).mean() <= 0.10
    assert (infl.mark > infl.journal_mark).mean() > 2 * (diff > 0).mean()
    # heaping at the «3» cut: in inflated units almost nobody sits one point below it
    scales = load_vpr_scales()

    def at_below(frame):
        f = frame.merge(scales, on=["year", "grade", "subject"])
        return (f.primary_score == f.cut3).sum(), (f.primary_score == f.cut3 - 1).sum()

    a_h, b_h = at_below(honest)
    a_i, b_i = at_below(infl)
    assert a_h / (a_h + b_h) < 0.6
    assert a_i / (a_i + b_i) > 0.8


def test_federal_list(demo):
    d, truth = demo
    ros = read(d, "rosobrnadzor")
    assert (ros["procedure"] == "ВПР").all()
    listed = pd.DataFrame(truth["rosobrnadzor"])
    assert len(ros) == len(listed)
    assert (listed["inflated"] == False).sum() == 1  # noqa: E712 - one false listing
    units = pd.DataFrame(truth["inflated_units"])
    m = listed[listed.inflated].merge(units, on=UNIT)
    assert len(m) == listed.inflated.sum() and (m["lift_pp"] >= 25).all()
    gross = units[units.lift_pp >= 25]
    for year, grp in gross.groupby("year"):
        k = int(listed[(listed.year == year) & listed.inflated].shape[0])
        assert abs(k - len(grp) / 2) <= 1
    assert units["on_federal_list"].sum() == listed.inflated.sum()


def test_resilient_and_low_results(demo):
    d, truth = demo
    lat = truth["school_latent"]
    res = truth["resilient_schools"]
    assert 2 <= len(res) <= 3
    ctx_mean = {s: np.mean(list(v["context_part"].values())) for s, v in lat.items()}
    q25 = np.quantile(list(ctx_mean.values()), 0.25)
    q_all = np.array([v["Q"] for v in lat.values()])
    for s in res:
        assert ctx_mean[s] <= q25 and lat[s]["school_type"] != "НОШ"
        assert lat[s]["Q"] >= np.quantile(q_all, 0.9)
    low = truth["expected_low_results"]
    assert 4 <= len(low) <= 12
    year = str(truth["reporting_year"])
    for s in low:
        assert lat[s]["q1"][year] and sum(lat[s]["q1"].values()) >= 2
        assert lat[s]["school_type"] != "НОШ"
    assert not set(low) & set(res)


def test_gia_realism_and_weak_schools_fail_more(demo):
    d, truth = demo
    gia = read(d, "gia").merge(load_gia_min_scores(), on=["exam", "subject", "year"])
    gia["below"] = gia.score < gia.min_score
    ege = gia[gia.exam == "ЕГЭ"]
    rus = ege[ege.subject == "Русский язык"].score
    prof = ege[ege.subject == "Математика (профильный уровень)"].score
    assert 62 <= rus.mean() <= 74 and 11 <= rus.std() <= 18
    assert 48 <= prof.mean() <= 62 and 14 <= prof.std() <= 22
    assert (
        0.3
        <= ege.student_id.isin(ege[ege.subject.str.startswith("Матем")].student_id).mean()
        <= 0.7
    )
    assert 0.02 <= gia["below"].mean() <= 0.12
    mu = {s: np.mean(list(v["mean"].values())) for s, v in truth["school_latent"].items()}
    per = gia.groupby("school_id").below.mean().to_frame().assign(mu=lambda f: f.index.map(mu))
    q = pd.qcut(per["mu"], 4, labels=False)
    weak, strong = per.below[q == 0].mean(), per.below[q == 3].mean()
    assert weak > 2.5 * strong


def test_inflated_units_override_and_ingest_accepts_output(small):
    d, truth = small
    assert len(truth["inflated_units"]) == 5
    from shnor_lib.config import load_params
    from shnor_lib.io import ingest

    params = load_params(Path(__file__).resolve().parents[1] / "params" / "demo.yml")
    result = ingest.ingest(params, raw_dir=d)
    assert set(result.tables) == set(TABLES)
    assert not result.dropped_personal


def test_roadmap(demo):
    d, _ = demo
    rm = read(d, "roadmap")
    assert 20 <= len(rm) <= 30 and rm["event_id"].is_unique
    due = pd.to_datetime(rm["due"], format="%Y-%m-%d")
    done = pd.to_datetime(rm["done"], format="%Y-%m-%d")
    assert (due.dt.year == 2024).all()
    assert done.isna().sum() >= 2 and (done > due).sum() >= 2 and (done <= due).sum() >= 10
    assert set(rm["level"]) == set(schema.ROADMAP_LEVELS)
    assert rm["published_url"].isna().any() and rm["published_url"].notna().any()
    assert rm["title"].str.contains("[А-Яа-я]").all()


def test_xlsx_format_is_deterministic(tmp_path):
    kw = dict(seed=3, n_schools=5, years=(2024,), fmt="xlsx")
    synth.generate(tmp_path / "a", **kw)
    synth.generate(tmp_path / "b", **kw)
    for name in TABLES:
        assert (tmp_path / "a" / f"{name}.xlsx").read_bytes() == (
            tmp_path / "b" / f"{name}.xlsx"
        ).read_bytes(), name
    schools = pd.read_excel(tmp_path / "a" / "schools.xlsx", dtype={"school_id": str})
    assert len(schools) == 5
    with pytest.raises(ValueError):
        synth.generate(tmp_path / "c", fmt="parquet")


def test_region_small(tmp_path):
    ids = synth.generate_region(tmp_path / "r", n_municipalities=3, n_schools=60)
    assert ids == ["region_m01", "region_m02", "region_m03"]
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ids
    all_ids = []
    for mid in ids:
        folder = tmp_path / "r" / mid
        assert all((folder / f"{t}.csv").exists() for t in TABLES)
        truth = json.loads((folder / "_truth.json").read_text("utf-8"))
        assert truth["municipality"] == mid and truth["years"] == list(synth.DEFAULT_YEARS)
        assert len(truth["years"]) >= 5 and truth["support"]["n_entered"] > 0
        schools = read(folder, "schools")
        assert (schools["municipality"] == mid).all()
        all_ids += list(schools["school_id"])
    assert len(all_ids) == 60 and len(set(all_ids)) == 60
    half = synth.generate_region(tmp_path / "h", n_municipalities=3, n_schools=60, scale=0.5)
    n_half = sum(len(read(tmp_path / "h" / m, "schools")) for m in half)
    assert n_half == 30


def test_inflation_touches_only_inflated_units(small, tmp_path):
    """Same seed without inflation: honest tables identical, ВПР differs only in planted units."""
    d, truth = small
    honest_dir = tmp_path / "honest"
    synth.generate(honest_dir, seed=7, n_schools=12, years=(2023, 2024), inflated_units=0)
    for name in ("schools", "context", "gia", "school_stats", "teachers", "roadmap"):
        assert (d / f"{name}.csv").read_bytes() == (honest_dir / f"{name}.csv").read_bytes()
    a, b = read(d, "vpr"), read(honest_dir, "vpr")
    assert a[["student_id", "subject", "journal_mark"]].equals(
        b[["student_id", "subject", "journal_mark"]]
    )
    changed = a[(a.primary_score != b.primary_score)][UNIT].drop_duplicates()
    planted = pd.DataFrame(truth["inflated_units"])[UNIT]
    assert len(changed.merge(planted)) == len(changed) == len(planted)
    assert (a.primary_score >= b.primary_score).all()
    for u in truth["inflated_units"]:
        sel = (b[UNIT] == pd.Series(u)[UNIT]).all(axis=1)
        assert 100 * (b.loc[sel, "mark"] >= 4).mean() == pytest.approx(
            u["share_4_5_honest"], abs=0.01
        )
