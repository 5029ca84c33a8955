"""M1 share indicators on the tiny fixture, computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import tiny_tables

from shnor_lib import indicators
from shnor_lib.stats import newcombe_diff_ci, wilson_ci


@pytest.fixture
def ind():
    return indicators.compute(tiny_tables())


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
    ind = indicators.compute(t)
    r = _row(ind, "vpr5_passed_all_share", "100001", 2024)
    assert (r["numerator"], r["n"]) == (4, 4)
    assert r["change"] == pytest.approx(25.0)
    lo, hi = newcombe_diff_ci(4, 4, 3, 4)
    assert r["change_ci_low"] == pytest.approx(100 * lo)
    assert r["change_status"] == "без значимых изменений"
    assert r["target_status"] == "не определён"


def test_ege_80_100_and_absent_indicators_listed_as_no_data(ind):
    r = _row(ind, "ege_80_100_share", "100001", 2024)
    assert (r["numerator"], r["n"]) == (1, 2)
    absent = ind[ind["indicator_id"] == "noo_basic_share"]
    assert len(absent) > 0 and (absent["target_status"] == "нет данных").all()
    assert set(indicators.load_catalog()["indicator_id"]) <= set(ind["indicator_id"])


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
        ind = indicators.compute(t)
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
    pub = indicators.suppress_small(indicators.compute(t), 10)
    r = pub[
        (pub["indicator_id"] == "vpr5_passed_all_share")
        & (pub["school_id"] == "100001")
        & (pub["year"] == 2024)
    ].iloc[0]
    assert r["n"] == 12 and pd.notna(r["value"]) and r["n_prev"] == 4
    assert pd.isna(r["change"]) and r["change_status"] == "н/д (мало участников)"
