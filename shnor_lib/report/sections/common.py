"""Helpers shared by the report sections: indicator and school names, «да/нет», a value
with its interval and a change with its interval, as the reader sees them.
"""

from __future__ import annotations

import pandas as pd

from shnor_lib.fmt import fmt_number, fmt_percent
from shnor_lib.io import publish, reference
from shnor_lib.methods import indicators
from shnor_lib.pipeline import Results
from shnor_lib.tables import (
    SCHOOLS,
)

SMALL = publish.SMALL_CELL


def indicator_names() -> dict[str, str]:
    cat = reference.load_indicator_catalog()
    names = {r.indicator_id: f"{r.ref}. {r.name_ru}" for r in cat.itertuples()}
    names.update({k: f"C1. {v}" for k, v in indicators.C1_LABELS.items()})
    return names


def school_names(res: Results) -> dict[str, str]:
    s = res.tables[SCHOOLS]
    return dict(zip(s["school_id"], s["school_name"], strict=True))


def _yesno(v: object) -> str:
    if v is True:
        return "да"
    if v is False:
        return "нет"
    return "—"


# ---------------------------------------------------------------------------- indicators
def _value_ci(value, lo, hi, unit: str = "%") -> str:
    if pd.isna(value):
        return "—"
    if unit == "%":
        return f"{fmt_percent(value)} [{fmt_number(lo)}; {fmt_number(hi)}]"
    return f"{fmt_number(value, 2)} [{fmt_number(lo, 2)}; {fmt_number(hi, 2)}]"


def _change_ci(change, lo, hi, unit: str = "п.п.") -> str:
    if pd.isna(change):
        return "—"
    d = 1 if unit == "п.п." else 2
    sign = "+" if change > 0 else ""
    return f"{sign}{fmt_number(change, d)} {unit} [{fmt_number(lo, d)}; {fmt_number(hi, d)}]"
