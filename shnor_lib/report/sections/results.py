"""Report views: computed tables reshaped for reading (Russian headers, formatted values).

Presentation only: every number here was computed by the method modules and written to
`outputs/<m>/<year>/tables/`. A notebook cell calls one view and shows it with
`display.table`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor_lib.methods import results_index
from shnor_lib.pipeline import Results
from shnor_lib.report.sections.common import SMALL, _value_ci, _yesno, school_names
from shnor_lib.report.wording import ci_label, years
from shnor_lib.tables import (
    MIN_SCORES_WINDOW,
    RESULTS_INDEX,
    SCHOOLS,
)


# ---------------------------------------------------------------------------- ИОР
def results_ranking(res: Results) -> pd.DataFrame:
    """Reporting-year ИОР ranking with quartile class and scaled components."""
    idx = res.tables[RESULTS_INDEX]
    cur = idx[(idx["year"] == res.params.year) & idx["results_index"].notna()]
    cur = cur.sort_values(["results_index", "school_id"], ascending=[False, True])
    names = school_names(res)
    out = pd.DataFrame(
        {
            "Место": np.arange(1, len(cur) + 1),
            "ОО": cur["school_id"].map(names),
            "ИОР": cur["results_index"],
            "Уровень": cur["results_level"],
        }
    )
    for comp, label in results_index.COMPONENT_SHORT.items():
        col = f"{comp}_scaled"
        if col in cur:
            out[label] = cur[col].to_numpy()
    return out.reset_index(drop=True)


def components_raw(res: Results) -> pd.DataFrame:
    """Reporting-year raw component values (before scaling) per school."""
    idx = res.tables[RESULTS_INDEX]
    cur = idx[idx["year"] == res.params.year].copy()
    names = school_names(res)
    out = pd.DataFrame({"ОО": cur["school_id"].map(names)})
    units = {
        "gia_below_min": " (%)",
        "ege_mean": " (балл)",
        "oge_mean_mark": "",
        "vpr_mean_mark": "",
        "vpr4_mean_mark": "",
    }
    for comp, label in results_index.COMPONENT_LABELS.items():
        col = f"{comp}_value"
        if col in cur:  # the gia window is the params' window, not the label's default
            label = label.replace("за 3 года", f"за {years(res.params.window)}")
            out[label + units[comp]] = cur[col].to_numpy()
    out["Доля веса компонентов"] = cur["weight_share"].to_numpy()
    return out.sort_values("ОО").reset_index(drop=True)


def no_index_list(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    sel = s[s["results_index"].isna()]
    return pd.DataFrame(
        {
            "ОО": sel["school_name"],
            "Тип": sel.get("school_type"),
            "Причина": sel.get("no_index_reason"),
        }
    ).reset_index(drop=True)


def low_results_list(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    sel = s[s["low_results"].astype("boolean").fillna(False).astype(bool)].sort_values(
        "results_index"
    )
    return pd.DataFrame(
        {
            "ОО": sel["school_name"],
            "ИОР": sel["results_index"],
            "Почему в списке ШНОР": sel["low_results_reason"],
            "Группа риска (М2)": sel["risk_group"].map(_yesno),
        }
    ).reset_index(drop=True)


def risk_group_list(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    sel = s[s["risk_group"].astype("boolean").fillna(False).astype(bool)]
    return pd.DataFrame(
        {
            "ОО": sel["school_name"],
            "ШНОР": sel["low_results"].map(_yesno),
            "Признак риска (доля ниже минимума)": sel["risk_reason"],
        }
    ).reset_index(drop=True)


def leaders_list(res: Results) -> pd.DataFrame:
    s = res.tables[SCHOOLS]
    sel = s[s["leader"].astype("boolean").fillna(False).astype(bool)].sort_values(
        "results_index", ascending=False
    )
    return pd.DataFrame(
        {"ОО": sel["school_name"], "ИОР": sel["results_index"], "Основание": sel["leader_reason"]}
    ).reset_index(drop=True)


def trajectory(res: Results) -> pd.DataFrame:
    """ИОР level per school and year of the window (ШНОР first)."""
    idx = res.tables[RESULTS_INDEX]
    win = idx[idx["year"].isin(res.params.years)]
    wide = win.pivot_table(
        index="school_id", columns="year", values="results_level", aggfunc="first"
    ).reindex(columns=res.params.years)
    s = res.tables[SCHOOLS].set_index("school_id")
    wide = wide.reindex(s.index)
    order = s["low_results"].astype("boolean").fillna(False).astype(bool).map({True: 0, False: 1})
    wide = wide.assign(_o=order, _i=s["results_index"]).sort_values(["_o", "_i"])
    out = pd.DataFrame(
        {
            "ОО": s.loc[wide.index, "school_name"].to_numpy(),
            "ШНОР": s.loc[wide.index, "low_results"].map(_yesno).to_numpy(),
        }
    )
    for y in res.params.years:
        out[str(y)] = wide[y].fillna("—").to_numpy()
    return out


def min_scores_window(res: Results) -> pd.DataFrame:
    m = res.tables[MIN_SCORES_WINDOW]
    names = school_names(res)
    m = m.sort_values("share", ascending=False)
    return pd.DataFrame(
        {
            "ОО": m["school_id"].map(names),
            "Результатов ГИА": m["n"],
            "Ниже минимума": m["below"],
            f"Доля ниже минимума [{ci_label(res.params.confidence)}]": [
                SMALL if pd.isna(v) else _value_ci(v, lo, hi)
                for v, lo, hi in zip(m["share"], m["ci_low"], m["ci_high"], strict=True)
            ],
        }
    ).reset_index(drop=True)
