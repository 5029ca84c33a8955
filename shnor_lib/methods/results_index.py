"""Index of educational results (ИОР), M3: components, scaling, weighting, quartiles, and the
school classes it defines (ШНОР, группа риска, школы-лидеры).

Components are computed per school × year from student-level results; units excluded for
non-objectivity (M5) are dropped before aggregation. Each component is scaled to 0..1 across
the schools that have it in that year (1 = best); ИОР is the weighted mean over the
components a school has, or none when less than `min_weight_share` of the weight is there.

A primary-only school (НОШ) has none of these results: its ИОР comes from the
``primary_components`` of the params (ВПР 4 кл., русский язык и математика), ranked over
every school with grade-4 results and entering only the ИОР of school-years that have no
other component, so the other schools' ИОР are unchanged (docs/methods_choices.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

QUARTILE_LABELS = {4: "высокий", 3: "выше среднего", 2: "ниже среднего", 1: "низкий"}
COMPONENT_LABELS = {
    "gia_below_min": "Доля результатов ГИА ниже минимума (за 3 года)",
    "ege_mean": "Средний балл ЕГЭ (русский язык, профильная математика)",
    "oge_mean_mark": "Средняя отметка ОГЭ (русский язык, математика)",
    "vpr_mean_mark": "Средняя отметка ВПР (русский язык, математика, 5–6 кл.)",
    "vpr4_mean_mark": "Средняя отметка ВПР (русский язык, математика, 4 кл.; для НОШ)",
}
COMPONENT_SHORT = {
    "gia_below_min": "ГИА: ниже минимума",
    "ege_mean": "ЕГЭ: средний балл",
    "oge_mean_mark": "ОГЭ: средняя отметка",
    "vpr_mean_mark": "ВПР 5–6: средняя отметка",
    "vpr4_mean_mark": "ВПР 4: средняя отметка (НОШ)",
}
LOWER_IS_BETTER = {"gia_below_min"}
CORE_SUBJECTS = ("Русский язык", "Математика")
EGE_SUBJECTS = ("Русский язык", "Математика (профильный уровень)")
EXCLUSION_KEYS = ["school_id", "year", "procedure", "grade", "subject"]


def drop_excluded(
    frame: pd.DataFrame, exclusions: pd.DataFrame | None, procedure: str
) -> pd.DataFrame:
    """Rows of a student-level table outside the excluded units of `procedure`.

    An exclusion with an empty grade or subject covers every grade or subject.
    """
    if exclusions is None or exclusions.empty:
        return frame
    ex = exclusions[exclusions["procedure"] == procedure]
    if ex.empty:
        return frame
    hit = pd.Series(False, index=frame.index)
    for cols in (
        ["school_id", "year", "grade", "subject"],
        ["school_id", "year", "subject"],
        ["school_id", "year", "grade"],
        ["school_id", "year"],
    ):
        sel = ex
        for c in {"grade", "subject"} - set(cols):
            sel = sel[sel[c].isna()]
        for c in cols:
            sel = sel[sel[c].notna()]
        if sel.empty or not set(cols) <= set(frame.columns):
            continue
        keys = sel[cols].drop_duplicates().astype({c: frame[c].dtype for c in cols})
        merged = frame[cols].reset_index().merge(keys, on=cols, how="inner")
        hit.loc[merged["index"]] = True
    return frame[~hit]


def _mean_by(frame: pd.DataFrame, value: str, name: str) -> pd.DataFrame:
    g = frame.groupby(["school_id", "year"], observed=True)[value]
    return (
        pd.DataFrame({"value": g.mean().astype(float), "n": g.size()})
        .reset_index()
        .assign(component=name)
    )


def components(
    data: Mapping[str, pd.DataFrame],
    gia_marked: pd.DataFrame | None,
    years: list[int],
    window: int,
    exclusions: pd.DataFrame | None = None,
    min_n: int = 1,
) -> pd.DataFrame:
    """Long table school_id, year, component, value, n (raw, unscaled)."""
    parts = []
    vpr = data.get("vpr")
    if vpr is not None:
        v = vpr[vpr["subject"].isin(CORE_SUBJECTS) & vpr["grade"].isin([5, 6])]
        v = drop_excluded(v, exclusions, "ВПР")
        parts.append(_mean_by(v, "mark", "vpr_mean_mark"))
        v4 = vpr[vpr["subject"].isin(CORE_SUBJECTS) & (vpr["grade"] == 4)]
        v4 = drop_excluded(v4, exclusions, "ВПР")
        parts.append(_mean_by(v4, "mark", "vpr4_mean_mark"))
    if gia_marked is not None and not gia_marked.empty:
        g = gia_marked
        if "mark" in g:  # the ОГЭ mark is an optional column
            oge = g[(g["exam"] == "ОГЭ") & g["subject"].isin(CORE_SUBJECTS) & g["mark"].notna()]
            oge = drop_excluded(oge.assign(grade=9), exclusions, "ОГЭ")
            parts.append(_mean_by(oge, "mark", "oge_mean_mark"))
        ege = g[(g["exam"] == "ЕГЭ") & g["subject"].isin(EGE_SUBJECTS)]
        ege = drop_excluded(ege.assign(grade=11), exclusions, "ЕГЭ")
        parts.append(_mean_by(ege, "score", "ege_mean"))
        known = g[g["below_min"].notna()]
        known = pd.concat(
            [
                drop_excluded(known[known["exam"] == "ОГЭ"].assign(grade=9), exclusions, "ОГЭ"),
                drop_excluded(known[known["exam"] == "ЕГЭ"].assign(grade=11), exclusions, "ЕГЭ"),
            ]
        )
        for year in years:
            win = known[known["year"].between(year - window + 1, year)]
            agg = win.groupby("school_id", observed=True)["below_min"].agg(["sum", "size"])
            parts.append(
                pd.DataFrame(
                    {
                        "school_id": agg.index,
                        "year": year,
                        "value": 100.0 * agg["sum"].to_numpy(float) / agg["size"].to_numpy(float),
                        "n": agg["size"].to_numpy(),
                        "component": "gia_below_min",
                    }
                )
            )
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=["school_id", "year", "component", "value", "n"])
    out = pd.concat(parts, ignore_index=True)
    # A component from fewer than min_n results is noise (and would publish a small cell):
    # it is left out and the school's other components carry the weight.
    out = out[out["year"].isin(years) & (out["n"] >= min_n)]
    out["year"] = out["year"].astype("int64")
    out["n"] = out["n"].astype("int64")
    return (
        out[["school_id", "year", "component", "value", "n"]]
        .sort_values(["component", "year", "school_id"])
        .reset_index(drop=True)
    )


def scale(comp: pd.DataFrame, method: str = "minmax") -> pd.Series:
    """Scaled 0..1 values (1 = best) within component × year; NaN with fewer than 2 schools."""
    if comp.empty:
        return pd.Series(dtype=float)
    sign = np.where(comp["component"].isin(LOWER_IS_BETTER), -1.0, 1.0)
    x = comp["value"].astype(float) * sign
    grp = x.groupby([comp["component"], comp["year"]])
    count = grp.transform("count")
    if method == "percentile":
        out = (grp.rank(method="average") - 1) / (count - 1).where(count > 1)
    else:
        lo, hi = grp.transform("min"), grp.transform("max")
        span = hi - lo
        out = ((x - lo) / span.where(span > 0)).where(span > 0, 0.5)
    return out.where((count >= 2) & x.notna())


def quartile(values: pd.Series, reference: pd.Series | None = None) -> pd.Series:
    """Quartile class 1..4 of each value within its population (NaN when < 4 values).

    ``reference`` (bool, same index): the values whose quartiles set the thresholds (every
    value by default); the others are placed against them."""
    x = values.astype(float)
    ref = x if reference is None else x[reference.reindex(x.index, fill_value=False)]
    if ref.notna().sum() < 4:
        return pd.Series(np.nan, index=values.index)
    q1, q2, q3 = np.nanquantile(ref, [0.25, 0.5, 0.75])
    out = np.select([x <= q1, x <= q2, x <= q3, x > q3], [1, 2, 3, 4], default=np.nan)
    return pd.Series(np.where(x.isna(), np.nan, out), index=values.index)


def _place_primary(
    comp: pd.DataFrame, index: pd.Series, rows: pd.Series, w: pd.Series
) -> pd.Series:
    """The ИОР of the primary-only school-years ``rows``: their percentile rank on the
    only-primary components (among every school with them that year) read off the
    distribution of the regular ИОР of the year. A single component spreads over 0..1 while a
    weighted mean of several clusters in the middle; mapping ranks keeps the НОШ comparable
    with the rest (the worst grade 4 of the municipality is placed at the lowest ИОР)."""
    pc = comp[comp["component"].isin(w.index)]
    pct = pc.assign(p=scale(pc, "percentile")).pivot_table(
        index=["school_id", "year"], columns="component", values="p", aggfunc="first"
    )
    pct = pct.reindex(columns=w.index).reindex(index.index)
    avail = pct.notna().mul(w, axis=1).sum(axis=1).replace(0, np.nan)
    rank = pct.fillna(0).mul(w, axis=1).sum(axis=1) / avail
    out = index.copy()
    years = index.index.get_level_values("year")
    for year in np.unique(years[rows.to_numpy()]):
        in_year = years == year
        ref = index[in_year & ~rows.to_numpy()].dropna()
        sel = rows.to_numpy() & in_year
        if ref.empty:
            out[sel] = np.nan
            continue
        out[sel] = np.nanquantile(ref.to_numpy(), rank[sel].clip(0, 1).fillna(np.nan).to_numpy())
    return out


def compute_index(
    comp: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    method: str = "minmax",
    min_weight_share: float = 0.5,
    only_primary: Collection[str] = (),
) -> pd.DataFrame:
    """Per school × year: scaled components (wide), weight share, ИОР, quartile, reason.

    ``only_primary``: components that enter only the ИОР of school-years with none of the
    other components (НОШ); for those the weight share is over the only-primary weights."""
    comp = comp[comp["component"].isin(weights.keys())].copy()
    comp["scaled"] = scale(comp, method)
    wide = comp.pivot_table(
        index=["school_id", "year"], columns="component", values="scaled", aggfunc="first"
    )
    raw = comp.pivot_table(
        index=["school_id", "year"], columns="component", values="value", aggfunc="first"
    ).add_suffix("_value")
    names = [c for c in weights if weights[c] > 0]
    for c in names:
        if c not in wide:
            wide[c] = np.nan
    w = pd.Series({c: float(weights[c]) for c in names})
    primary = [c for c in names if c in set(only_primary)]
    regular = [c for c in names if c not in set(only_primary)]
    is_primary = wide[regular].isna().all(axis=1) if regular else pd.Series(True, wide.index)
    # only-primary components count only where nothing else does
    wide.loc[~is_primary, primary] = np.nan
    avail = wide[names].notna()
    w_avail = avail.mul(w, axis=1).sum(axis=1)
    possible = np.where(is_primary, w[primary].sum(), w[regular].sum())
    share = w_avail / pd.Series(possible, index=wide.index).replace(0, np.nan)
    index = wide[names].fillna(0).mul(w, axis=1).sum(axis=1) / w_avail.replace(0, np.nan)
    enough = share >= min_weight_share
    if primary:
        index = _place_primary(comp, index, is_primary & enough, w[primary])
    out = wide[names].add_suffix("_scaled").join(raw, how="left")
    out["primary_only"] = is_primary & bool(primary)
    out["weight_share"] = share
    out["results_index"] = index.where(enough)
    out["no_index_reason"] = np.where(
        enough, "", "доступно менее " + f"{100 * min_weight_share:g}" + " % веса компонентов ИОР"
    )
    out = out.reset_index()
    # The thresholds come from the ИОР of the regular components; НОШ are placed against them.
    out["results_quartile"] = np.nan
    for _year, g in out.groupby("year"):
        out.loc[g.index, "results_quartile"] = quartile(g["results_index"], ~g["primary_only"])
    regular_n = out["results_index"].where(~out["primary_only"])
    few = regular_n.groupby(out["year"]).transform(lambda s: s.notna().sum() < 4)
    out.loc[few & out["results_index"].notna(), "no_index_reason"] = (
        "в году менее 4 ОО с ИОР: квартили не определены"
    )
    out["results_level"] = out["results_quartile"].map(QUARTILE_LABELS)
    return out.sort_values(["year", "school_id"]).reset_index(drop=True)


FEDERAL_REASON = "Рособрнадзор"


def leader_disqualified(exclusions: pd.DataFrame | None, years: list[int]) -> set[str]:
    """Schools that cannot be leaders: an exclusion in the window that touches ИОР.

    M3 says "no objectivity exclusion in the window". Read literally over every ВПР unit
    (≈ 60 per school in 3 years), an honest school is almost sure to have one false flag at
    a 2 % false-positive rate (1 − 0.98^60 ≈ 70 %). We count the units that enter ИОР
    (ВПР grades 5–6, Russian and maths) and any unit on the Rosobrnadzor list.
    """
    if exclusions is None or exclusions.empty:
        return set()
    ex = exclusions[exclusions["year"].isin(years)]
    in_index = (
        (ex["procedure"] == "ВПР") & ex["grade"].isin([5, 6]) & ex["subject"].isin(CORE_SUBJECTS)
    )
    federal = (
        ex.get("reason", pd.Series("", index=ex.index)).fillna("").str.contains(FEDERAL_REASON)
    )
    return set(ex.loc[in_index | federal, "school_id"])


def classify(
    index: pd.DataFrame,
    year: int,
    years: list[int],
    *,
    low_years: int = 2,
    leader_years: int = 2,
    risk: pd.DataFrame | None = None,
    excluded_schools: set[str] | None = None,
) -> pd.DataFrame:
    """ШНОР, группа риска and leaders for the reporting year, with Russian reasons."""
    win = index[index["year"].isin(years)]
    q = win.pivot_table(
        index="school_id", columns="year", values="results_quartile", aggfunc="first", dropna=False
    )
    cur = index[index["year"] == year].set_index("school_id")
    schools = sorted(set(index["school_id"]))
    out = pd.DataFrame(index=pd.Index(schools, name="school_id"))
    out["results_index"] = cur["results_index"]
    out["results_quartile"] = cur["results_quartile"]
    q = q.reindex(out.index)

    def years_in(level: int) -> pd.Series:
        return pd.Series(
            [[int(y) for y in q.columns if row[y] == level] for _, row in q.iterrows()],
            index=q.index,
            dtype=object,
        )

    q1_years, q4_years = years_in(1), years_in(4)
    out["low_results"] = (out["results_quartile"] == 1) & (q1_years.map(len) >= low_years)
    excluded_schools = excluded_schools or set()
    out["leader"] = (q4_years.map(len) >= leader_years) & ~out.index.isin(excluded_schools)
    if risk is not None and not risk.empty:
        r = risk[risk["year"].isin(years) & risk["risk"]]
        risk_reason = (
            r.assign(text=r["year"].astype(str) + ": " + r["reason"])
            .sort_values("year")
            .groupby("school_id")["text"]
            .agg("; ".join)
        )
        out["risk_group"] = out.index.isin(risk_reason.index)
        out["risk_reason"] = risk_reason.reindex(out.index).fillna("")
    else:
        out["risk_group"] = False
        out["risk_reason"] = ""
    n_years = len(years)
    out["low_results_reason"] = [
        (
            f"ИОР в 1-м квартиле (низкий уровень) в {year} г. и в {len(y1)} из {n_years} лет "
            f"({', '.join(map(str, y1))})"
        )
        if low
        else ""
        for low, y1 in zip(out["low_results"], q1_years, strict=True)
    ]
    out["leader_reason"] = [
        (
            f"ИОР в 4-м квартиле в {len(y4)} из {n_years} лет ({', '.join(map(str, y4))}), "
            "без исключённых по объективности результатов, входящих в ИОР (ВПР 5–6 кл., русский язык и математика), и без классов в перечне Рособрнадзора"
        )
        if lead
        else ""
        for lead, y4 in zip(out["leader"], q4_years, strict=True)
    ]
    out["q1_years"] = q1_years.map(lambda v: ", ".join(map(str, v)))
    out["q4_years"] = q4_years.map(lambda v: ", ".join(map(str, v)))
    return out.reset_index()
