"""M9: pairing of ШНОР with leader schools (seed 003 network programme; docs/methods.md M9).

Two models, each ШНОР may get one partner in each:

- **горизонтальная** — the leader with the nearest ИСБ (similar conditions); needs the ИСБ
  of the ШНОР and of the leader;
- **вертикальная** — a leader of a higher school type (:data:`TYPE_RANK`: НОШ < ООШ < СОШ <
  СОШ с УИОП = лицей = гимназия), the nearest ИСБ among those (leaders without ИСБ last);
  it works without ИСБ (then by distance). It is never the ШНОР's horizontal partner, so a
  ШНОР gets two different schools.

Capacity: a leader takes at most ``max_pairs_per_leader`` ШНОР over both models together
(a leader is never both partners of one ШНОР, so pairs = distinct ШНОР).

Greedy order: the horizontal pass first, the neediest ШНОР first (lowest ИОР; no ИОР last;
then school id); then the vertical pass, ШНОР still without any partner first, then the
same order. Ties in |ИСБ difference| (to 1e-9) are broken by the closest remoteness
(|difference of distance_km|, the distance to the municipal centre: schools equally far
from the centre are more often in similar localities), then by the leader's school id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

HORIZONTAL, VERTICAL = "горизонтальная", "вертикальная"
MODELS = (HORIZONTAL, VERTICAL)
TYPE_RANK: dict[str, int] = {
    "НОШ": 1,
    "ООШ": 2,
    "СОШ": 3,
    "СОШ с УИОП": 4,
    "лицей": 4,
    "гимназия": 4,
}

NO_LEADERS = "в муниципалитете нет школ-лидеров"
NO_OWN_ISB = "у ШНОР не рассчитан ИСБ"
NO_LEADER_ISB = "ни у одной школы-лидера не рассчитан ИСБ"
NO_TYPE = "тип ОО не указан или не распознан"
NO_HIGHER = "нет школы-лидера более высокого типа ОО"
ONLY_HORIZONTAL = (
    "единственная школа-лидер более высокого типа уже партнёр по горизонтальной модели"
)

PAIR_COLUMNS = [
    "low_results_school_id",
    "leader_school_id",
    "model",
    "social_distance",
    "distance_difference_km",
]
UNPAIRED_COLUMNS = ["low_results_school_id", "model", "reason"]


def capacity_reason(max_pairs: int) -> str:
    return f"исчерпана квота школ-лидеров (не более {max_pairs} ШНОР на одну школу-лидера)"


def describe(max_pairs_per_leader: int) -> str:
    """The pairing rules in Russian, for the report."""
    return (
        "Горизонтальная модель: ШНОР в пару подбирается школа-лидер с ближайшим значением ИСБ "
        "(сходные социальные условия). Вертикальная модель: школа-лидер более высокого типа "
        "(для НОШ — ООШ и выше, для ООШ — СОШ, СОШ с УИОП, лицей, гимназия; для СОШ — СОШ с "
        "УИОП, лицей, гимназия), среди них — с ближайшим ИСБ; это всегда другая школа, чем "
        "партнёр по горизонтальной модели. Одна школа-лидер работает не более чем с "
        f"{max_pairs_per_leader} ШНОР по обеим моделям вместе. ШНОР с более низким ИОР "
        "получают партнёров первыми; при равном различии ИСБ выбирается школа с более близкой "
        "удалённостью от центра муниципалитета, затем — с меньшим кодом."
    )


@dataclass
class PairResult:
    pairs: pd.DataFrame  # PAIR_COLUMNS
    unpaired: pd.DataFrame  # UNPAIRED_COLUMNS: ШНОР × model without a partner, with reason
    load: pd.Series = field(default_factory=lambda: pd.Series(dtype=int))  # leader → ШНОР


def _bool(s: pd.Series | None, n: int) -> np.ndarray:
    if s is None:
        return np.zeros(n, dtype=bool)
    return s.astype("boolean").fillna(False).to_numpy(dtype=bool)


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df:
        return pd.Series(np.nan, index=df.index)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def _frame(schools: pd.DataFrame) -> pd.DataFrame:
    n = len(schools)
    return pd.DataFrame(
        {
            "sid": schools["school_id"].astype(str).to_numpy(),
            "low": _bool(schools.get("low_results"), n),
            "leader": _bool(schools.get("leader"), n),
            "isb": _num(schools, "social_index").to_numpy(),
            "ior": _num(schools, "results_index").to_numpy(),
            "dist": _num(schools, "distance_km").to_numpy(),
            "rank": schools.get("school_type", pd.Series([None] * n))
            .map(lambda t: TYPE_RANK.get(str(t).strip()) if isinstance(t, str) else None)
            .to_numpy(dtype=object),
        }
    ).sort_values("sid", ignore_index=True)


def _key(delta: float) -> float:
    return float("inf") if np.isnan(delta) else round(abs(delta), 9)


def _choose(low: pd.Series, cands: pd.DataFrame) -> tuple[str, float, float]:
    """The best candidate for a ШНОР: nearest ИСБ, then remoteness, then id."""
    keys = sorted(
        (_key(low["isb"] - c.isb), _key(low["dist"] - c.dist), c.sid)
        for c in cands.itertuples(index=False)
    )
    best = cands.set_index("sid").loc[keys[0][2]]
    return keys[0][2], abs(low["isb"] - best["isb"]), abs(low["dist"] - best["dist"])


def pair(schools: pd.DataFrame, *, max_pairs_per_leader: int = 2) -> PairResult:
    """Pair each ШНОР with leader schools in the horizontal and vertical models.

    ``schools``: school_id, low_results (bool), leader (bool), social_index (0..1, may be
    NaN), results_index, school_type, distance_km. See the module docstring for the rules.
    """
    df = _frame(schools)
    lows = df[df["low"]].copy()
    lows["_need"] = lows["ior"].fillna(np.inf)
    lows = lows.sort_values(["_need", "sid"], ignore_index=True)
    leaders = df[df["leader"] & ~df["low"]].reset_index(drop=True)
    cap = dict.fromkeys(leaders["sid"], int(max_pairs_per_leader))
    pairs: list[dict] = []
    unpaired: list[dict] = []
    horizontal: dict[str, str] = {}

    def add(low: pd.Series, cands: pd.DataFrame, model: str) -> None:
        avail = cands[cands["sid"].map(cap) > 0]
        if avail.empty:
            unpaired.append(_miss(low, model, capacity_reason(max_pairs_per_leader)))
            return
        sid, d_isb, d_dist = _choose(low, avail)
        cap[sid] -= 1
        if model == HORIZONTAL:
            horizontal[low["sid"]] = sid
        pairs.append(
            {
                "low_results_school_id": low["sid"],
                "leader_school_id": sid,
                "model": model,
                "social_distance": d_isb,
                "distance_difference_km": d_dist,
            }
        )

    for _, low in lows.iterrows():
        reason = _horizontal_block(low, leaders)
        if reason:
            unpaired.append(_miss(low, HORIZONTAL, reason))
        else:
            add(low, leaders[leaders["isb"].notna()], HORIZONTAL)
    lows["_has"] = lows["sid"].isin(horizontal)
    for _, low in lows.sort_values(["_has", "_need", "sid"]).iterrows():
        cands, reason = _vertical_candidates(low, leaders, horizontal.get(low["sid"]))
        if reason:
            unpaired.append(_miss(low, VERTICAL, reason))
        else:
            add(low, cands, VERTICAL)
    return _result(pairs, unpaired, cap, max_pairs_per_leader)


def _miss(low: pd.Series, model: str, reason: str) -> dict:
    return {"low_results_school_id": low["sid"], "model": model, "reason": reason}


def _horizontal_block(low: pd.Series, leaders: pd.DataFrame) -> str:
    if leaders.empty:
        return NO_LEADERS
    if np.isnan(low["isb"]):
        return NO_OWN_ISB
    if leaders["isb"].notna().sum() == 0:
        return NO_LEADER_ISB
    return ""


def _vertical_candidates(
    low: pd.Series, leaders: pd.DataFrame, partner: str | None
) -> tuple[pd.DataFrame, str]:
    if leaders.empty:
        return leaders, NO_LEADERS
    if pd.isna(low["rank"]):
        return leaders.iloc[:0], NO_TYPE
    higher = leaders[leaders["rank"].map(lambda r: pd.notna(r) and r > low["rank"])]
    if higher.empty:
        return higher, NO_HIGHER
    other = higher[higher["sid"] != partner]
    if other.empty:
        return other, ONLY_HORIZONTAL
    return other, ""


def _result(
    pairs: list[dict], unpaired: list[dict], cap: dict[str, int], max_pairs: int
) -> PairResult:
    order = {m: i for i, m in enumerate(MODELS)}
    p = pd.DataFrame(pairs, columns=PAIR_COLUMNS)
    p = (
        p.assign(_m=p["model"].map(order))
        .sort_values(["low_results_school_id", "_m"])
        .drop(columns="_m")
        .reset_index(drop=True)
    )
    u = pd.DataFrame(unpaired, columns=UNPAIRED_COLUMNS)
    u = (
        u.assign(_m=u["model"].map(order))
        .sort_values(["low_results_school_id", "_m"])
        .drop(columns="_m")
        .reset_index(drop=True)
    )
    load = pd.Series({k: max_pairs - v for k, v in sorted(cap.items())}, dtype=int, name="load")
    load.index.name = "leader_school_id"
    return PairResult(pairs=p, unpaired=u, load=load)
