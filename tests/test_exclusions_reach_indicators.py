"""Exclusions reach every result indicator (issue 16 item 2): an excluded ВПР unit no longer
moves A11–A15 (passed every subject) or C1-2 (mean ВПР mark), the counts before and after are
published, and the journal agreement (A26–A36) stays on all data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnor_lib.io import reference
from shnor_lib.methods import indicators

CATALOG = reference.load_indicator_catalog()

YEAR = 2024
RUS, MAT = "Русский язык", "Математика"
EXCLUDED = ("900001", YEAR, 5, MAT)  # school B, grade 5 maths


def _vpr(marks_in_excluded: int, seed: int = 1) -> pd.DataFrame:
    """Two schools × grades 5, 6 × Russian and maths, 24 pupils each (student_id shared across
    subjects, as in ФИС ОКО Ф1); pupils 0–11 write both subjects, 12–23 Russian only. The
    excluded unit's marks are all ``marks_in_excluded``; everything else is drawn once from
    ``seed``."""
    rng = np.random.default_rng(seed)
    rows = []
    for school in ("900000", "900001"):
        for grade in (5, 6):
            for j in range(24):
                sid = f"{school}-{grade}-{j}"
                for subject in (RUS, MAT):
                    mark = int(rng.integers(2, 6))
                    if subject == MAT and j >= 12:
                        continue
                    journal = int(np.clip(mark + rng.integers(-1, 2), 2, 5))
                    if (school, YEAR, grade, subject) == EXCLUDED:
                        mark = marks_in_excluded
                    rows.append(
                        {
                            "year": YEAR,
                            "school_id": school,
                            "student_id": sid,
                            "grade": grade,
                            "subject": subject,
                            "mark": mark,
                            "journal_mark": journal,
                        }
                    )
    return pd.DataFrame(rows)


EXCLUSIONS = pd.DataFrame(
    [
        {
            "school_id": EXCLUDED[0],
            "year": EXCLUDED[1],
            "procedure": "ВПР",
            "grade": EXCLUDED[2],
            "subject": EXCLUDED[3],
            "reason": "превышение",
        }
    ]
).astype({"grade": "Int64"})


def _values(vpr: pd.DataFrame, exclusions) -> pd.DataFrame:
    tables = {"vpr": vpr}
    ind = indicators.compute(tables, catalog=CATALOG, exclusions=exclusions)
    c1 = indicators.temryuk_dynamics(tables, exclusions=exclusions)
    out = pd.concat([ind, c1], ignore_index=True)
    out["school_id"] = out["school_id"].astype(object).fillna("")
    return out.set_index(["indicator_id", "level", "school_id", "year"])[["value", "n"]]


A12, C12 = "vpr5_passed_all_share", "c1_2_vpr_mean_g5_math"
JOURNAL = ["vpr_confirm_math_share", "vpr_raise_math_share", "vpr_confirm_rus_share"]


@pytest.mark.parametrize(
    "ind,level,school",
    [(A12, "school", "900001"), (A12, "municipality", ""), (C12, "municipality", "")],
)
def test_excluded_unit_no_longer_moves_the_result_indicators(ind, level, school):
    inflated, honest = _vpr(5), _vpr(2)
    key = (ind, level, school, YEAR)
    # without exclusions the planted marks move the indicator …
    assert _values(inflated, None).loc[key, "value"] != _values(honest, None).loc[key, "value"]
    # … after the exclusion they do not, and the 12 pupils of the unit are out of n
    after_i, after_h = _values(inflated, EXCLUSIONS), _values(honest, EXCLUSIONS)
    assert after_i.loc[key, "value"] == pytest.approx(after_h.loc[key, "value"])
    assert after_i.loc[key, "n"] == _values(inflated, None).loc[key, "n"] - 12


def test_a_school_whose_only_unit_is_excluded_has_no_mean():
    after = _values(_vpr(5), EXCLUSIONS)
    assert (C12, "school", "900001", YEAR) not in after.index
    assert (C12, "school", "900000", YEAR) in after.index


def test_other_grades_and_schools_are_untouched():
    vpr = _vpr(5)
    before, after = _values(vpr, None), _values(vpr, EXCLUSIONS)
    for key in [
        (A12, "school", "900000", YEAR),
        ("vpr6_passed_all_share", "school", "900001", YEAR),
        ("c1_2_vpr_mean_g5_rus", "school", "900001", YEAR),  # the pupils' other subject
    ]:
        assert before.loc[key, "value"] == after.loc[key, "value"]
        assert before.loc[key, "n"] == after.loc[key, "n"]


def test_journal_agreement_stays_on_all_data():
    vpr = _vpr(5)
    before, after = _values(vpr, None), _values(vpr, EXCLUSIONS)
    for ind in JOURNAL:
        key = (ind, "school", "900001", YEAR)
        assert before.loc[key, "n"] == after.loc[key, "n"] == (24 + 24 if "rus" in ind else 24)
        assert before.loc[key, "value"] == after.loc[key, "value"]


def test_counts_before_and_after_are_published():
    effect = indicators.exclusion_effect({"vpr": _vpr(5)}, EXCLUSIONS, catalog=CATALOG, min_n=10)
    assert list(effect.columns) == indicators.EXCLUSION_EFFECT_COLUMNS
    e = effect.set_index(["indicator_id", "level"])
    school = e.loc[(A12, "school")]
    assert (school["school_id"], school["n_before"], school["n_after"]) == ("900001", 24, 12)
    assert school["value_after"] == pytest.approx(
        _values(_vpr(5), EXCLUSIONS).loc[(A12, "school", "900001", YEAR), "value"]
    )
    muni = e.loc[(C12, "municipality")]
    assert (muni["n_before"], muni["n_after"], muni["excluded_units"]) == (24, 12, 1)
    small = indicators.exclusion_effect({"vpr": _vpr(5)}, EXCLUSIONS, catalog=CATALOG, min_n=13)
    small = small.set_index(["indicator_id", "level"]).loc[(A12, "school")]
    assert small["n_after"] == 12 and pd.isna(small["value_after"])  # M11: n kept, value not
    assert muni["value_after"] == pytest.approx(
        _values(_vpr(5), EXCLUSIONS).loc[(C12, "municipality", "", YEAR), "value"]
    )
    # only the indicators the exclusion changes are listed; journal indicators never
    assert not set(effect["indicator_id"]) & set(JOURNAL)
    assert indicators.exclusion_effect({"vpr": _vpr(5)}, None, catalog=CATALOG).empty
