"""M9: pairing of ШНОР and ШССУ with partner schools (seed 003 network programme; M9).

Seed 003: «Сетевое взаимодействие ПНОР и школ-лидеров может иметь ОДНУ ИЗ ДВУХ моделей».
Each supported school (ШНОР, then ШССУ that are not resilient) gets at most one partner and
one model:

- **горизонтальная** — «образовательные организации, находящиеся в сходных условиях, причём
  одна из школ должна работать в эффективном режиме: школа, преодолевшая трудности»: the
  partner's ИСБ differs by at most ``max_isb_gap`` (both ИСБ known). Candidates: leaders,
  resilient schools (strict or contextual) and former ШНОР now out whose current ИОР is in the
  upper half (quartile ≥ 3). Schools that overcame difficulties (resilient or former ШНОР) are
  preferred; then the smallest ИСБ gap, the closest remoteness, the school id.
- **вертикальная** — made only when no horizontal partner fits: «школа-лидер, реализующая
  более сложную образовательную программу … и работающая в эффективном режиме», regardless of
  context. Candidates: leaders of the same or a higher school type (:data:`TYPE_RANK`; a
  school of unknown type may take any leader); a higher type first, then the highest current
  ИОР, then the school id.

A partner must be able to lead now (:func:`eligible_partners`): a current ИОР (the reporting
year) and no result excluded as non-objective in the window (any procedure, grade, subject).
A partner is never itself a ШНОР or a supported ШССУ. Capacity: at most
``max_pairs_per_leader`` schools per partner over both models. Order: ШНОР first, neediest
first (lowest ИОР; no ИОР last), then ШССУ by lowest ИСБ, ties by school id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

HORIZONTAL, VERTICAL = "горизонтальная", "вертикальная"
MODELS = (HORIZONTAL, VERTICAL)
SHNOR, SSSU = "ШНОР", "ШССУ"
LEADER, RESILIENT, FORMER = "школа-лидер", "резильентная ОО", "бывшая ШНОР"
TYPE_RANK: dict[str, int] = {
    "НОШ": 1,
    "ООШ": 2,
    "СОШ": 3,
    "СОШ с УИОП": 4,
    "лицей": 4,
    "гимназия": 4,
}
FORMER_MIN_QUARTILE = 3  # a former ШНОР «works in effective mode» with ИОР in the upper half

NO_PARTNERS = "в муниципалитете нет школ, которые могут быть партнёрами"
NO_OWN_ISB = "у школы не рассчитан ИСБ"
NO_CLOSE = "нет партнёра со сходными условиями (различие ИСБ не более {gap})"
NO_LEADER_TYPE = "нет школы-лидера того же или более высокого типа ОО"

PAIR_COLUMNS = [
    "low_results_school_id",
    "leader_school_id",
    "model",
    "social_distance",
    "distance_difference_km",
    "mentee_group",
    "partner_basis",
]
# Russian headers of the published tables (merged into publish.RU_HEADERS / TABLE_HEADERS).
RU_HEADERS = {
    "mentee_group": "Группа ОО",
    "partner_basis": "Партнёр — кто",
    "distance_difference_km": "Разница удалённости, км",
}
TABLE_HEADERS = {
    "pairs": {"low_results_school_id": "Код ОО (ШНОР, ШССУ)", "leader_school_id": "Код партнёра"},
    "pairs_unpaired": {"low_results_school_id": "Код ОО (ШНОР, ШССУ)"},
}
SHEET_NAMES: dict[str, str] = {}
UNPAIRED_COLUMNS = ["low_results_school_id", "mentee_group", "model", "reason"]
INELIGIBLE_COLUMNS = ["school_id", "reason"]


def capacity_reason(max_pairs: int) -> str:
    return f"исчерпана квота партнёров (не более {max_pairs} ОО на одного партнёра)"


def _gap_text(gap: float) -> str:
    return f"{gap:.2f}".replace(".", ",")


def describe(max_pairs_per_leader: int, max_isb_gap: float = 0.15) -> str:
    """The pairing rules in Russian, for the report."""
    return (
        "Каждая ШНОР и каждая ШССУ (кроме резильентных) получает одного партнёра по одной из "
        "двух моделей сетевого взаимодействия. Горизонтальная модель — партнёр в сходных "
        f"условиях: ИСБ различается не более чем на {_gap_text(max_isb_gap)}; партнёром может "
        "быть школа-лидер, резильентная ОО или бывшая ШНОР, чей ИОР теперь в верхней половине; "
        "предпочтение — школам, преодолевшим трудности (резильентным и бывшим ШНОР). Если "
        "такого партнёра нет, подбирается вертикальная модель: школа-лидер того же или более "
        "высокого типа ОО (сначала более высокого), с наибольшим ИОР, независимо от условий. "
        "Партнёр должен иметь ИОР за отчётный год и ни одного результата, исключённого как "
        f"необъективный, за период. Один партнёр работает не более чем с {max_pairs_per_leader} "
        "ОО. Первыми партнёров получают ШНОР с более низким ИОР, затем ШССУ."
    )


@dataclass
class PairResult:
    pairs: pd.DataFrame  # PAIR_COLUMNS
    unpaired: pd.DataFrame  # UNPAIRED_COLUMNS: supported schools without a partner, why
    load: pd.Series = field(default_factory=lambda: pd.Series(dtype=int))  # partner → count
    ineligible: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=INELIGIBLE_COLUMNS)
    )  # leaders that cannot lead now, with the reason


def _bool(schools: pd.DataFrame, col: str) -> np.ndarray:
    if col not in schools:
        return np.zeros(len(schools), dtype=bool)
    return schools[col].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").astype(float).to_numpy()


def _rank(t: object) -> float:
    return float(TYPE_RANK.get(t.strip(), np.nan)) if isinstance(t, str) else np.nan


def _frame(schools: pd.DataFrame, former: set[str]) -> pd.DataFrame:
    sid = schools["school_id"].astype(str).to_numpy()
    types = schools.get("school_type", pd.Series([None] * len(schools), index=schools.index))
    out = pd.DataFrame(
        {
            "sid": sid,
            "low": _bool(schools, "low_results"),
            "hard": _bool(schools, "hard_context"),
            "leader": _bool(schools, "leader"),
            "resilient": _bool(schools, "resilient_strict")
            | _bool(schools, "resilient_contextual"),
            "isb": _num(schools, "social_index"),
            "ior": _num(schools, "results_index"),
            "quartile": _num(schools, "results_quartile"),
            "dist": _num(schools, "distance_km"),
            "rank": [_rank(t) for t in types],
        }
    )
    out["former"] = out["sid"].isin(former) & ~out["low"]
    return out.sort_values("sid", ignore_index=True)


def former_low_results(history: pd.DataFrame | None, year: int) -> set[str]:
    """Schools that were ШНОР in an earlier year of ``status_history`` and are not now."""
    if history is None or history.empty or "low_results" not in history:
        return set()
    h = history.assign(school_id=history["school_id"].astype(str))
    low = h["low_results"].astype("boolean").fillna(False).astype(bool)
    before = set(h.loc[low & (h["year"] < year), "school_id"])
    now = set(h.loc[low & (h["year"] == year), "school_id"])
    return before - now


def excluded_in_window(exclusions: pd.DataFrame | None, years: Iterable[int]) -> set[str]:
    """Schools with at least one result excluded as non-objective in ``years``."""
    if exclusions is None or exclusions.empty:
        return set()
    ex = exclusions
    if "excluded" in ex:
        ex = ex[ex["excluded"].astype("boolean").fillna(False).astype(bool)]
    if "year" in ex:
        ex = ex[ex["year"].isin(list(years))]
    return set(ex["school_id"].astype(str))


def eligible_partners(df: pd.DataFrame, excluded: set[str]) -> tuple[pd.Series, pd.DataFrame]:
    """Which schools may lead now, and the leaders that may not (with the reason)."""
    no_ior = np.isnan(df["ior"].to_numpy())
    has_ex = df["sid"].isin(excluded).to_numpy()
    ok = ~no_ior & ~has_ex & ~df["low"].to_numpy()
    rows = []
    for r, a, b in zip(df.itertuples(index=False), no_ior, has_ex, strict=True):
        if r.leader and not r.low and (a or b):
            why = []
            if a:
                why.append("нет ИОР за отчётный год")
            if b:
                why.append("есть результаты, исключённые как необъективные, за период")
            rows.append({"school_id": r.sid, "reason": "; ".join(why)})
    return pd.Series(ok, index=df.index), pd.DataFrame(rows, columns=INELIGIBLE_COLUMNS)


def _key(delta: float) -> float:
    return float("inf") if np.isnan(delta) else round(abs(delta), 9)


def _horizontal(m: pd.Series, cands: pd.DataFrame, gap: float) -> pd.DataFrame:
    if np.isnan(m["isb"]):
        return cands.iloc[:0]
    close = cands[(cands["isb"] - m["isb"]).abs().round(9) <= gap + 1e-12]
    keys = [
        (not (c.resilient or c.former), _key(m["isb"] - c.isb), _key(m["dist"] - c.dist), c.sid)
        for c in close.itertuples(index=False)
    ]
    order = [k[3] for k in sorted(keys)]
    return close.set_index("sid").loc[order].reset_index()


def _vertical(m: pd.Series, leaders: pd.DataFrame) -> pd.DataFrame:
    own = m["rank"]
    ok = leaders[leaders["rank"].isna() | np.isnan(own) | (leaders["rank"] >= own)]
    keys = [
        (not (c.rank > own), -round(c.ior, 9), c.sid)  # NaN rank: not «higher»
        for c in ok.itertuples(index=False)
    ]
    order = [k[2] for k in sorted(keys)]
    return ok.set_index("sid").loc[order].reset_index()


def _basis(c: pd.Series) -> str:
    if c["resilient"]:
        return RESILIENT
    if c["former"]:
        return FORMER
    return LEADER


def pair(
    schools: pd.DataFrame,
    *,
    max_pairs_per_leader: int = 2,
    max_isb_gap: float = 0.15,
    exclusions: pd.DataFrame | None = None,
    window_years: Iterable[int] = (),
    history: pd.DataFrame | None = None,
    year: int | None = None,
) -> PairResult:
    """One partner and one model for each ШНОР and each non-resilient ШССУ.

    ``schools``: school_id, low_results, hard_context, leader, resilient_strict,
    resilient_contextual (bool), social_index (0..1), results_index, results_quartile
    (reporting year), school_type, distance_km. ``exclusions``: the objectivity exclusions
    (school_id, year[, excluded]); ``window_years`` the years that count. ``history``: the
    ``status_history`` table (former ШНОР), ``year`` the reporting year.
    """
    former = former_low_results(history, year) if year is not None else set()
    df = _frame(schools, former)
    ok, ineligible = eligible_partners(df, excluded_in_window(exclusions, window_years))
    mentee = df["low"] | (df["hard"] & ~df["resilient"])
    eff = df["leader"] | df["resilient"] | (df["former"] & (df["quartile"] >= FORMER_MIN_QUARTILE))
    partners = df[ok & eff & ~mentee].reset_index(drop=True)
    cap = dict.fromkeys(partners["sid"], int(max_pairs_per_leader))
    pairs, unpaired = [], []
    for _, m in _mentees(df[mentee]).iterrows():
        group = SHNOR if m["low"] else SSSU
        avail = partners[partners["sid"].map(cap) > 0]
        hz = partners[partners["isb"].notna()]
        if partners.empty:
            unpaired.append(_miss(m, group, NO_PARTNERS))
            continue
        chosen, model = _horizontal(m, avail[avail["isb"].notna()], max_isb_gap), HORIZONTAL
        if chosen.empty:
            chosen, model = _vertical(m, avail[avail["leader"]]), VERTICAL
        if chosen.empty:
            unpaired.append(
                _miss(m, group, _why(m, hz, partners, max_isb_gap, max_pairs_per_leader))
            )
            continue
        c = chosen.iloc[0]
        cap[c["sid"]] -= 1
        pairs.append(
            {
                "low_results_school_id": m["sid"],
                "leader_school_id": c["sid"],
                "model": model,
                "mentee_group": group,
                "partner_basis": _basis(c),
                "social_distance": abs(m["isb"] - c["isb"]),
                "distance_difference_km": abs(m["dist"] - c["dist"]),
            }
        )
    load = pd.Series(
        {k: max_pairs_per_leader - v for k, v in sorted(cap.items())}, dtype=int, name="load"
    )
    load.index.name = "leader_school_id"
    return PairResult(
        pairs=pd.DataFrame(pairs, columns=PAIR_COLUMNS)
        .sort_values("low_results_school_id")
        .reset_index(drop=True),
        unpaired=pd.DataFrame(unpaired, columns=UNPAIRED_COLUMNS)
        .sort_values("low_results_school_id")
        .reset_index(drop=True),
        load=load,
        ineligible=ineligible,
    )


def _mentees(m: pd.DataFrame) -> pd.DataFrame:
    """ШНОР by lowest ИОР (none last), then ШССУ by lowest ИСБ, then id."""
    return m.assign(
        _g=(~m["low"]).astype(int),
        _need=np.where(m["low"], m["ior"], m["isb"]),
    ).sort_values(["_g", "_need", "sid"], na_position="last", ignore_index=True)


def _why(m: pd.Series, hz: pd.DataFrame, partners: pd.DataFrame, gap: float, cap: int) -> str:
    """Why neither model found a partner for ``m`` (capacity or no candidate at all)."""
    parts = []
    if np.isnan(m["isb"]):
        parts.append(NO_OWN_ISB)
    elif not _horizontal(m, hz, gap).empty:
        return capacity_reason(cap)
    else:
        parts.append(NO_CLOSE.format(gap=_gap_text(gap)))
    if not _vertical(m, partners[partners["leader"]]).empty:
        return capacity_reason(cap)
    parts.append(NO_LEADER_TYPE)
    return "; ".join(parts)


def _miss(m: pd.Series, group: str, reason: str) -> dict:
    return {"low_results_school_id": m["sid"], "mentee_group": group, "model": "", "reason": reason}
