"""M1 share indicators on the tiny fixture, computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import tiny_tables

from shnor_lib.io import reference
from shnor_lib.methods import indicators
from shnor_lib.methods.stats import newcombe_diff_ci, wilson_ci

CATALOG = reference.load_indicator_catalog()


@pytest.fixture
def ind():
    return indicators.compute(tiny_tables(), catalog=CATALOG)


def _row(ind, iid, sid, year):
    sel = ind[(ind["indicator_id"] == iid) & (ind["year"] == year)]
    sel = sel[sel["level"] == "municipality"] if sid is None else sel[sel["school_id"] == sid]
    assert len(sel) == 1
    return sel.iloc[0]


def test_vpr_passed_all_subjects(ind):
    # school 100001, grade 5: marks 5, 4, 3, 2 in both subjects → 3 of 4 passed all
    r = _row(ind, "vpr5_passed_all_share", "100001", 2023)
    assert (r["numerator"], r["n"], r["value"]) == (3, 4, 75.0)
    lo, hi = wilson_ci(3, 4)
    assert r["ci_low"] == pytest.approx(100 * lo) and r["ci_high"] == pytest.approx(100 * hi)
    m = _row(ind, "vpr5_passed_all_share", None, 2023)  # pooled: 100001 3/4 + 100002 3/4
    assert (m["numerator"], m["n"]) == (6, 8)


def test_journal_agreement_two_meanings_of_confirmed(ind):
    # pupils j=0..3: ВПР 5/4/3/2 vs journal 4/4/2/2 → raised, confirmed, raised, confirmed
    conf = _row(ind, "vpr_confirm_rus_share", "100001", 2024)
    raised = _row(ind, "vpr_raise_rus_share", "100001", 2024)
    assert (conf["numerator"], conf["n"]) == (2, 4)
    assert (raised["numerator"], raised["n"]) == (2, 4)
    assert conf["target"] == "не менее 75 %"


def test_dynamics_with_newcombe_interval():
    t = tiny_tables()
    t["vpr"].loc[
        (t["vpr"]["year"] == 2024) & (t["vpr"]["school_id"] == "100001") & (t["vpr"]["mark"] == 2),
        "mark",
    ] = 3
    ind = indicators.compute(t, catalog=CATALOG)
    r = _row(ind, "vpr5_passed_all_share", "100001", 2024)
    assert (r["numerator"], r["n"]) == (4, 4)
    assert r["change"] == pytest.approx(25.0)
    lo, hi = newcombe_diff_ci(4, 4, 3, 4)
    assert r["change_ci_low"] == pytest.approx(100 * lo)
    assert r["change_status"] == "без значимых изменений"
    # the plain verdict: the actual share rose (+25 п.п.), the interval does not confirm it
    assert r["target_status"] == "достигнут"
    assert r["target_confirmed"] == "не подтверждено"


def test_ege_80_100_and_absent_indicators_listed_as_no_data(ind):
    r = _row(ind, "ege_80_100_share", "100001", 2024)
    assert (r["numerator"], r["n"]) == (1, 2)
    absent = ind[ind["indicator_id"] == "noo_basic_share"]
    assert len(absent) > 0 and (absent["target_status"] == "нет данных").all()
    assert set(CATALOG["indicator_id"]) <= set(ind["indicator_id"])


def test_zero_denominator_gives_no_data_without_warnings():
    t = tiny_tables()
    t["school_stats"] = pd.DataFrame(
        {
            "school_id": ["100001", "100002"],
            "year": [2024, 2024],
            "g9_certificate_awarded": [0, 10],
            "g9_graduates": [0, 10],
        }
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ind = indicators.compute(t, catalog=CATALOG)
    cert = ind[ind["indicator_id"] == "ooo_certificate_share"]
    assert "100001" not in set(cert["school_id"].dropna())
    assert _row(ind, "ooo_certificate_share", "100002", 2024)["value"] == 100.0


def test_small_cells_suppressed_for_publication(ind):
    pub = indicators.suppress_small(ind, 10)
    r = pub[(pub["indicator_id"] == "vpr5_passed_all_share") & (pub["school_id"] == "100001")].iloc[
        0
    ]
    assert pd.isna(r["value"]) and pd.isna(r["numerator"]) and r["n"] == 4
    assert r["target_status"] == "н/д (мало участников)"


def test_change_hidden_when_last_year_was_small():
    # this year 12 pupils, last year 4: the change would reveal last year's small cell
    rows = []
    for year, n in ((2023, 4), (2024, 12)):
        for j in range(n):
            for subject in ("Русский язык", "Математика"):
                rows.append(
                    {
                        "year": year,
                        "school_id": "100001",
                        "student_id": f"S{year}{j}",
                        "grade": 5,
                        "subject": subject,
                        "primary_score": 10,
                        "max_score": 30,
                        "mark": 3 if j % 3 else 2,
                        "journal_mark": 3,
                    }
                )
    t = tiny_tables()
    t["vpr"] = pd.DataFrame(rows)
    pub = indicators.suppress_small(indicators.compute(t, catalog=CATALOG), 10)
    r = pub[
        (pub["indicator_id"] == "vpr5_passed_all_share")
        & (pub["school_id"] == "100001")
        & (pub["year"] == 2024)
    ].iloc[0]
    assert r["n"] == 12 and pd.notna(r["value"]) and r["n_prev"] == 4
    assert pd.isna(r["change"]) and r["change_status"] == "н/д (мало участников)"


def _stats_tables(rows: list[tuple[str, int, int, int]], num: str, den: str) -> dict:
    t = tiny_tables()
    t["school_stats"] = pd.DataFrame(
        [{"school_id": s, "year": y, num: k, den: n} for s, y, k, n in rows]
    )
    return t


def test_full_count_meets_a_100_percent_target():
    # A25 (medalists with ≥ 70 on an elective ЕГЭ), target «не менее 100 %»: 7 of 7 meets it
    # although the Wilson interval of 7/7 reaches down to 64.6 %; 6 of 7 does not.
    t = _stats_tables(
        [("100001", 2024, 7, 7), ("100002", 2024, 6, 7)],
        "medalists_elective_ge70",
        "medalists_total",
    )
    ind = indicators.compute(t, catalog=CATALOG)
    full = _row(ind, "medalists_ege70_share", "100001", 2024)
    assert full["value"] == 100.0 and full["ci_low"] < 100
    assert (full["target_status"], full["target_confirmed"]) == ("достигнут", "не подтверждено")
    short = _row(ind, "medalists_ege70_share", "100002", 2024)
    assert short["target_status"] == "не достигнут"
    # 6/7 = 85.7 %: the interval (wilson_ci(6, 7) reaches 97.4 %) stays below 100 % → confirmed
    assert 100 * wilson_ci(6, 7)[1] < 100
    assert short["target_confirmed"] == "подтверждено интервалом"
    muni = _row(ind, "medalists_ege70_share", None, 2024)  # 13 of 14 → not met
    assert (muni["numerator"], muni["n"], muni["target_status"]) == (13, 14, "не достигнут")


def test_min_target_verdict_and_interval_confirmation():
    # A24 «не менее 95 %»: 960/1000 = 96 % — met, but lo = 94.6 % < 95 → not confirmed;
    # 990/1000 — met and confirmed (lo = 98.2 %); 900/1000 — not met, confirmed (hi = 91.7 %).
    t = _stats_tables(
        [("100001", 2024, 960, 1000), ("100002", 2024, 990, 1000), ("100003", 2024, 900, 1000)],
        "parents_satisfied",
        "parents_surveyed",
    )
    ind = indicators.compute(t, catalog=CATALOG)
    got = {
        sid: tuple(
            _row(ind, "parent_satisfaction_assessment", sid, 2024)[
                ["target_status", "target_confirmed"]
            ]
        )
        for sid in ("100001", "100002", "100003")
    }
    assert got == {
        "100001": ("достигнут", "не подтверждено"),
        "100002": ("достигнут", "подтверждено интервалом"),
        "100003": ("не достигнут", "подтверждено интервалом"),
    }


def test_dynamics_verdict_zero_change_not_met_and_no_previous_year_no_data():
    # A5 (аттестат 9 кл.), «положительная динамика»: 2023 80/100 → 2024 80/100 (no change:
    # not met); 100002 2023 50/100 → 2024 70/100 (+20 п.п., interval above 0: confirmed).
    t = _stats_tables(
        [
            ("100001", 2023, 80, 100),
            ("100001", 2024, 80, 100),
            ("100002", 2023, 50, 100),
            ("100002", 2024, 70, 100),
        ],
        "g9_certificate_awarded",
        "g9_graduates",
    )
    ind = indicators.compute(t, catalog=CATALOG)
    same = _row(ind, "ooo_certificate_share", "100001", 2024)
    assert same["change"] == 0 and same["target_status"] == "не достигнут"
    assert same["target_confirmed"] == "не подтверждено"
    up = _row(ind, "ooo_certificate_share", "100002", 2024)
    assert up["change_ci_low"] > 0
    assert (up["target_status"], up["target_confirmed"]) == ("достигнут", "подтверждено интервалом")
    first = _row(ind, "ooo_certificate_share", "100002", 2023)
    assert (first["target_status"], first["target_confirmed"]) == ("нет данных", "")


def test_indicator_without_target_says_so():
    t = _stats_tables(
        [("100001", 2024, 3, 10)], "pupils_fin_lit_success", "pupils_fin_lit_assessed"
    )
    r = _row(
        indicators.compute(t, catalog=CATALOG), "financial_lit_success_share", "100001", 2024
    )  # A21
    assert (r["target"], r["target_status"]) == ("", "цель не установлена")


def test_teacher_shares_are_over_the_teachers_of_shnor():
    # A37 «доля педагогов ШНОР, прошедших диагностику»: 100001 (ШНОР) 3 of 4 diagnosed,
    # 100002 (not ШНОР) 1 of 4. Over ШНОР: 3/4; over every school it would be 4/8.
    t = tiny_tables()
    t["teachers"] = pd.DataFrame(
        {
            "year": 2024,
            "school_id": ["100001"] * 4 + ["100002"] * 4,
            "teacher_id": [f"T{i}" for i in range(8)],
            "diagnosed": [True, True, True, False, True, False, False, None],
        }
    )
    every = _row(indicators.compute(t, catalog=CATALOG), "teacher_diagnostics_share", None, 2024)
    assert (every["numerator"], every["n"]) == (4, 8)
    ind = indicators.compute(t, teacher_schools={"100001"}, catalog=CATALOG)
    shnor = _row(ind, "teacher_diagnostics_share", None, 2024)
    assert (shnor["numerator"], shnor["n"], shnor["value"]) == (3, 4, 75.0)
    rows = ind[(ind["indicator_id"] == "teacher_diagnostics_share") & (ind["level"] == "school")]
    assert set(rows["school_id"]) == {"100001"}
    none = indicators.compute(
        t, teacher_schools=set(), catalog=CATALOG
    )  # no ШНОР: no data, not all teachers
    assert _row(none, "teacher_diagnostics_share", None, 2024)["target_status"] == "нет данных"
