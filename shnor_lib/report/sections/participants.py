"""Who the figures are about: schools by type and locality, participants by procedure,
year and grade."""

from __future__ import annotations

import pandas as pd

from shnor_lib.pipeline import Results
from shnor_lib.tables import (
    PARTICIPANTS,
    SCHOOLS,
)


def schools_by_type(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    # «Тип ОО» is optional in the contract: schools without it are counted as «не указан»
    kind = s["school_type"] if "school_type" in s else pd.Series(pd.NA, index=s.index)
    s = s.assign(school_type=kind.astype(object).where(kind.notna(), "не указан"))
    g = s.groupby(["school_type", "locality"], dropna=False).size().unstack(fill_value=0)
    g.index.name = "Тип ОО"
    g.columns.name = None
    g["Всего"] = g.sum(axis=1)
    return g.reset_index()


def participants_pivot(res: Results) -> pd.DataFrame:
    p = res.tables[PARTICIPANTS]
    wide = p.pivot_table(
        index=["procedure", "grade", "subject"],
        columns="year",
        values="participants",
        aggfunc="sum",
    ).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    return wide.rename(columns={"procedure": "Процедура", "grade": "Класс", "subject": "Предмет"})
