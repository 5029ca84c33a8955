"""Report views for «Риски и кластеры», «Сетевое взаимодействие», «Адресные рекомендации».

Presentation only: every number was computed by :mod:`risk_profile`, :mod:`clusters`,
:mod:`pairing` and :mod:`recommendations` and published in ``tables/``. The views read
``res.tables``:

- ``schools`` — school_id, school_name, school_type, results_index, social_index,
  low_results, hard_context, leader, resilient_strict, resilient_contextual, cluster,
  top_risks;
- ``risk_levels`` — long: school_id, factor, factor_name, category, category_name,
  direction, value, level (:func:`shnor_lib.methods.risk_profile.long_table`);
- ``clusters`` — cluster, name, description, size, schools, key_features,
  mean_results_index, mean_social_index, ``z_<feature>`` (:meth:`ClusterResult.table`);
- ``pairs`` and ``pairs_unpaired`` (:class:`shnor_lib.methods.pairing.PairResult`);
- ``recommendations`` (:func:`shnor_lib.methods.recommendations.generate`).

A missing or empty table gives an empty frame or ``None`` instead of a figure; use
:func:`figure_or_note` in a cell. Figures follow :mod:`shnor_lib.report.figures` (Agg, Russian
labels, Okabe–Ito colours).
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import ListedColormap, TwoSlopeNorm  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from shnor_lib.fmt import fmt_number  # noqa: E402
from shnor_lib.methods import clusters as clusters_mod  # noqa: E402
from shnor_lib.methods import pairing  # noqa: E402
from shnor_lib.methods.risk_profile import (  # noqa: E402
    HIGH,
    LOW,
    MID,
    NO_DATA,
    factors,
    features,
    wide_from_long,
)
from shnor_lib.notes import select  # noqa: E402
from shnor_lib.report import display
from shnor_lib.tables import CLUSTERS, PAIRS, PAIRS_UNPAIRED, RECOMMENDATIONS, RISK_LEVELS, SCHOOLS  # noqa: E402

LEVEL_COLORS = {HIGH: "#D55E00", MID: "#F2C14E", LOW: "#9FD8BF", NO_DATA: "#EEEEEE"}
CLUSTER_COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000"]
STATUS_LABELS = {
    "low_results": "ШНОР",
    "hard_context": "ШССУ",
    "resilient": "резильентная",
    "leader": "школа-лидер",
}
FOCUS = ("low_results", "hard_context")


# ---------------------------------------------------------------------------- helpers


class HtmlBlocks:
    """Several report blocks as one cell output (headings and tables, in order)."""

    def __init__(self, blocks: list[Any]) -> None:
        self.blocks = blocks

    def _repr_html_(self) -> str:
        return "".join(str(b) for b in self.blocks)

    def __repr__(self) -> str:  # text/plain without memory addresses (determinism)
        return "<HTML>"


def figure_or_note(
    fig: Any, *, alt: str, caption: str | None = None, empty: str = "Нет данных."
) -> Any:
    """``display.figure`` for a figure, a «нет данных» note when the view returned None."""
    if fig is None:
        return display.note(empty, kind="info")
    return display.figure(fig, alt=alt, caption=caption)


def _table(res: Any, name: str) -> pd.DataFrame:
    t = res.tables.get(name)
    return t.copy() if t is not None else pd.DataFrame()


def _flag(s: pd.DataFrame, col: str) -> pd.Series:
    if col not in s:
        return pd.Series(False, index=s.index)
    return s[col].astype("boolean").fillna(False).astype(bool)


def _schools(res: Any) -> pd.DataFrame:
    s = _table(res, SCHOOLS)
    if s.empty:
        return s
    s["school_id"] = s["school_id"].astype(str)
    s["resilient"] = _flag(s, "resilient_strict") | _flag(s, "resilient_contextual")
    for col in ("low_results", "hard_context", "leader"):
        s[col] = _flag(s, col)
    s.index = pd.Index(s["school_id"].to_numpy())
    return s


def school_names(res: Any) -> dict[str, str]:
    s = _schools(res)
    if s.empty:
        return {}
    return dict(zip(s["school_id"], s["school_name"].fillna(s["school_id"]), strict=True))


def status_text(row: pd.Series) -> str:
    """«ШНОР, ШССУ» from a schools row ('' when none)."""
    return ", ".join(label for col, label in STATUS_LABELS.items() if bool(row.get(col, False)))


def _cluster_int(v: Any) -> int | None:
    return None if pd.isna(v) else int(v)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


# ---------------------------------------------------------------------------- risks


def _risk_order(s: pd.DataFrame, ids: list[str]) -> list[str]:
    """ШНОР first, then ШССУ, then the others; within a group by ИОР (lowest first)."""
    sub = s.loc[[i for i in ids if i in s.index]].copy()
    sub["_g"] = np.where(sub["low_results"], 0, np.where(sub["hard_context"], 1, 2))
    sub["_ri"] = pd.to_numeric(sub.get("results_index"), errors="coerce").fillna(np.inf)
    return list(sub.sort_values(["_g", "_ri", "school_name", "school_id"]).index)


def risk_heatmap(res: Any) -> Any:
    """School × factor heatmap of the risk levels (value in each cell); None if no data."""
    values, lev = wide_from_long(_table(res, RISK_LEVELS))
    s = _schools(res)
    if lev.empty or s.empty:
        return None
    lev.index = lev.index.astype(str)
    values.index = values.index.astype(str)
    order = _risk_order(s, list(lev.index))
    return risk_heatmap_figure(lev.loc[order], values.loc[order], s)


def risk_heatmap_figure(lev: pd.DataFrame, values: pd.DataFrame, s: pd.DataFrame) -> Any:
    """The heatmap from wide levels and values (rows in display order)."""
    meta = factors()
    codes = {HIGH: 3, MID: 2, LOW: 1, NO_DATA: 0}
    grid = lev.apply(lambda col: col.map(codes).fillna(0)).to_numpy(dtype=float)
    cmap = ListedColormap([LEVEL_COLORS[k] for k in (NO_DATA, LOW, MID, HIGH)])
    n, m = grid.shape
    fig, ax = plt.subplots(figsize=(max(6.5, 1.0 * m + 3.8), 0.24 * n + 2.0))
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=3.5, aspect="auto", interpolation="nearest")
    for i in range(n):
        for j, fid in enumerate(lev.columns):
            v = values.iat[i, j]
            if pd.notna(v):
                color = "white" if lev.iat[i, j] == HIGH else "black"
                ax.text(
                    j,
                    i,
                    fmt_number(v, meta[fid].decimals),
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color=color,
                )
    ax.set_xticks(range(m), [_wrap(meta[f].axis_label, 16) for f in lev.columns], fontsize=7.5)
    ax.xaxis.tick_top()
    rows = [
        f"{s.at[i, 'school_name']}{' — ' + st if (st := status_text(s.loc[i])) else ''}"
        for i in lev.index
    ]
    ax.set_yticks(range(n), rows, fontsize=7)
    ax.set_xticks(np.arange(-0.5, m, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="both", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    handles = [Patch(color=LEVEL_COLORS[k], label=k) for k in (HIGH, MID, LOW, NO_DATA)]
    ax.legend(
        handles=handles,
        title="Уровень риска",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
    )
    ax.set_title("Рисковый профиль ОО: уровень риска по каждому фактору", pad=12)
    return fig


def risk_summary(res: Any) -> pd.DataFrame:
    """Per factor: the category and the number of schools at each level."""
    long = _table(res, RISK_LEVELS)
    if long.empty:
        return pd.DataFrame()
    meta = factors()
    counts = long.pivot_table(
        index="factor", columns="level", values="school_id", aggfunc="count", fill_value=0
    )
    counts = counts.reindex(columns=[HIGH, MID, LOW, NO_DATA], fill_value=0)
    order = [f for f in meta if f in counts.index]
    cats = long.drop_duplicates("factor").set_index("factor")["category_name"]
    out = pd.DataFrame(
        {
            "Фактор риска": [meta[f].axis_label for f in order],
            "Что измеряется": [meta[f].measure for f in order],
            "Категория риска": [cats.get(f) for f in order],
        }
    )
    for lv in (HIGH, MID, LOW, NO_DATA):
        out[f"ОО: {lv}"] = counts.loc[order, lv].to_numpy(dtype=int)
    return out


def risk_profiles(res: Any, statuses: tuple[str, ...] = FOCUS) -> pd.DataFrame:
    """ШНОР and ШССУ (by default) with their cluster and high risk factors."""
    s = _schools(res)
    if s.empty:
        return pd.DataFrame()
    mask = np.zeros(len(s), dtype=bool)
    for st in statuses:
        mask |= s[st].to_numpy(dtype=bool)
    sel = s[mask]
    sel = sel.loc[_risk_order(s, list(sel.index))]
    return pd.DataFrame(
        {
            "ОО": sel["school_name"],
            "Статус": [status_text(r) for _, r in sel.iterrows()],
            "ИОР": pd.to_numeric(sel.get("results_index"), errors="coerce"),
            "Кластер": sel.get("cluster", pd.Series(pd.NA, index=sel.index))
            .map(_cluster_int)
            .astype("Int64"),
            "Факторы с высоким уровнем риска": sel.get("top_risks", pd.Series("", index=sel.index))
            .fillna("")
            .replace("", "—"),
        }
    ).reset_index(drop=True)


# ---------------------------------------------------------------------------- clusters


def _z_columns(cl: pd.DataFrame) -> list[str]:
    return [c[2:] for c in cl.columns if c.startswith("z_")]


def cluster_table(res: Any) -> pd.DataFrame:
    """Cluster descriptions with sizes, member schools and status counts."""
    cl = _table(res, CLUSTERS)
    s = _schools(res)
    if cl.empty:
        return pd.DataFrame()
    names = school_names(res)
    rows = []
    for _, r in cl.sort_values("cluster").iterrows():
        c = int(r["cluster"])
        members = s[s["cluster"].map(_cluster_int) == c] if "cluster" in s else s.iloc[:0]
        rows.append(
            {
                "Кластер": c,
                "Название": r["name"],
                "Чем отличается от остальных ОО": r["description"],
                "Число ОО": int(r["size"]),
                "ШНОР": int(members["low_results"].sum()),
                "ШССУ": int(members["hard_context"].sum()),
                "Школы-лидеры": int(members["leader"].sum()),
                "Средний ИОР": r.get("mean_results_index"),
                "Средний ИСБ": r.get("mean_social_index"),
                "ОО кластера": "; ".join(
                    names.get(x, x) for x in sorted(members.index, key=lambda i: names.get(i, i))
                ),
            }
        )
    return pd.DataFrame(rows)


def cluster_profile_figure(res: Any) -> Any:
    """Cluster × feature mean z; colour: red = unfavourable deviation, blue = favourable."""
    cl = _table(res, CLUSTERS)
    if cl.empty:
        return None
    cl = cl.sort_values("cluster")
    feats = _z_columns(cl)
    meta = features()
    z = cl[[f"z_{f}" for f in feats]].to_numpy(dtype=float)
    sign = np.array([_unfavourable_sign(f) for f in feats], dtype=float)
    risk = z * sign
    fig, ax = plt.subplots(figsize=(max(6.5, 1.1 * len(feats) + 3.5), 0.55 * len(cl) + 2.2))
    lim = max(1.0, float(np.nanmax(np.abs(risk))) if risk.size else 1.0)
    im = ax.imshow(risk, cmap="RdBu_r", norm=TwoSlopeNorm(0, -lim, lim), aspect="auto")
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            if np.isfinite(z[i, j]):
                txt = fmt_number(z[i, j], 1)
                txt = ("+" + txt) if z[i, j] > 0 and txt != "0,0" else txt
                ax.text(
                    j,
                    i,
                    txt,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if abs(risk[i, j]) > 0.6 * lim else "black",
                )
    labels = [_wrap(meta[f].label if f in meta else f, 13) for f in feats]
    ax.set_xticks(range(len(feats)), labels, fontsize=7.5)
    ax.xaxis.tick_top()
    rows = [
        f"{int(r.cluster)}. {_wrap(str(r.name), 34)} ({int(r.size)} ОО)" for r in cl.itertuples()
    ]
    ax.set_yticks(range(len(cl)), rows, fontsize=8)
    ax.grid(False)
    ax.tick_params(length=0)
    cbar = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    cbar.set_label("отклонение от среднего, ст. откл.\n(красный — неблагоприятное)", fontsize=8)
    display.axis_format(cbar.ax, "y", decimals=1)
    ax.set_title(
        "Профили кластеров: средние значения признаков (z) относительно муниципалитета", pad=12
    )
    return fig


def _unfavourable_sign(fid: str) -> int:
    """+1 when a larger value is unfavourable (risk factors), −1 for ИОР and ИСБ."""
    meta = factors().get(fid)
    return meta.risk_sign if meta else -1


def cluster_map(res: Any) -> Any:
    """Schools on the first two principal components of the standardized profile."""
    s = _schools(res)
    cl = _table(res, CLUSTERS)
    values, _ = wide_from_long(_table(res, RISK_LEVELS))
    if s.empty or cl.empty or "cluster" not in s:
        return None
    values.index = values.index.astype(str)
    profile = clusters_mod.profile_frame(values.reindex(s.index), s)
    z, _ = clusters_mod.prepare(profile)
    feats = [f for f in _z_columns(cl) if f in z.columns]
    if len(feats) < 2 or len(z) < 3:
        return None
    x = z[feats].to_numpy()
    u, sv, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    idx = np.abs(vt).argmax(axis=1)  # fix the SVD sign: largest loading positive
    vt = vt * np.sign(vt[np.arange(len(vt)), idx])[:, None]
    scores = (x - x.mean(axis=0)) @ vt[:2].T
    share = 100 * sv[:2] ** 2 / (sv**2).sum()
    return _cluster_map_figure(z.index, scores, share, s)


def _cluster_map_figure(
    ids: pd.Index, scores: np.ndarray, share: np.ndarray, s: pd.DataFrame
) -> Any:
    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    lab = s.loc[ids, "cluster"].map(_cluster_int)
    low = s.loc[ids, "low_results"].to_numpy(dtype=bool)
    for c in sorted({v for v in lab if v is not None}):
        color = CLUSTER_COLORS[(c - 1) % len(CLUSTER_COLORS)]
        sel = (lab == c).to_numpy()
        ax.scatter(
            scores[sel & ~low, 0],
            scores[sel & ~low, 1],
            color=color,
            s=36,
            label=f"кластер {c}",
            edgecolor="white",
            linewidth=0.5,
        )
        ax.scatter(
            scores[sel & low, 0],
            scores[sel & low, 1],
            color=color,
            s=60,
            marker="^",
            edgecolor="black",
            linewidth=0.7,
        )
    ax.scatter([], [], marker="^", color="#bbbbbb", edgecolor="black", label="ШНОР")
    ax.set_xlabel(f"Главная компонента 1 ({fmt_number(share[0], 0)} % различий)")
    ax.set_ylabel(f"Главная компонента 2 ({fmt_number(share[1], 0)} % различий)")
    ax.set_title("ОО на плоскости двух главных компонент профиля рисков и результатов")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    display.axis_format(ax, "both", decimals=1)
    return fig


def risk_method_text(method: str = "fixed") -> str:
    """How the risk levels were set (params ``clusters.risk_levels``), in Russian; for the
    fixed thresholds, each factor's thresholds."""
    if method == "fixed":
        parts = []
        for f in factors().values():
            worse = "не ниже" if f.risk_sign > 0 else "не выше"
            better = "ниже" if f.risk_sign > 0 else "выше"
            parts.append(
                f"{f.label}: «высокий» — {worse} {f.format_value(f.high)}, «низкий» — "
                f"{better} {f.format_value(f.low)}"
            )
        return (
            "Уровень риска по каждому фактору определён по фиксированным порогам из "
            "справочника факторов риска (shnor_lib/data/risk_factors.yml; их можно изменить под "
            "муниципалитет): " + "; ".join(parts) + ". Между порогами — «средний». Пороги — "
            "ориентиры по умолчанию, а не нормативы; в отличие от терцилей они не делают «высоким» "
            "риск у трети ОО по построению."
        )
    return (
        "Уровень риска по каждому фактору определён по терцилям среди ОО муниципалитета: "
        "треть ОО с наибольшим риском — «высокий», треть с наименьшим — «низкий», остальные — "
        "«средний»; равные значения получают одинаковый уровень. Это сравнение ОО между собой, "
        "а не с нормативом: «высокий» означает «хуже, чем у большинства ОО муниципалитета»."
    )


def cluster_method_text(
    method: str,
    k_min: int,
    k_max: int,
    min_cluster_share: float = 0.1,
    min_stability: float = 0.75,
    bootstrap: int = 50,
) -> str:
    """How the clusters were built (params ``clusters``), in Russian."""
    how = "иерархической кластеризацией методом Уорда" if method == "ward" else "методом k-средних"
    share = fmt_number(100 * min_cluster_share, 0)
    return (
        f"ОО сгруппированы {how} по стандартизованному профилю: факторы риска, ИОР и ИСБ. "
        f"Число кластеров (от {k_min} до {k_max}) выбрано так: в каждом кластере не менее "
        f"{share} % ОО (без групп из одной-двух школ); группы устойчивы — при повторной "
        f"кластеризации {bootstrap} случайных выборок ОО с возвращением они воспроизводятся "
        f"(средний скорректированный индекс Рэнда не ниже {fmt_number(min_stability, 2)}); "
        "среди таких вариантов — с наибольшей шириной силуэта (насколько ОО ближе к своему "
        "кластеру, чем к соседнему). Кластер 1 — с самым низким средним ИОР. Описание "
        "кластера называет признаки, которыми он отличается от остальных ОО (разница средних "
        "не менее 0,5 стандартного отклонения)."
    )


def pairing_rules(max_pairs_per_leader: int, max_isb_gap: float = 0.15) -> str:
    """The pairing rules (params ``pairing``), in Russian."""
    return pairing.describe(max_pairs_per_leader, max_isb_gap)


def cluster_notes(res: Any) -> str:
    """The clustering notes (imputation, dropped features, choice of k) of the run."""
    return " ".join(n.text_ru for n in select(res.notes, stage="clusters"))


# ---------------------------------------------------------------------------- pairs


def pairs_table(res: Any) -> pd.DataFrame:
    """Pairs «ШНОР / ШССУ — партнёр» (one model each) with names, types, ИОР, ИСБ gap."""
    p = _table(res, PAIRS)
    s = _schools(res)
    if p.empty or s.empty:
        return pd.DataFrame()
    names = school_names(res)

    def col(ids: pd.Series, c: str) -> list:
        return [s.at[i, c] if i in s.index and c in s else None for i in ids.astype(str)]

    low, lead = p["low_results_school_id"].astype(str), p["leader_school_id"].astype(str)
    out = pd.DataFrame(
        {
            "ОО": low.map(names),
            "Группа": p.get("mentee_group", pd.Series("ШНОР", index=p.index)),
            "Тип ОО": col(low, "school_type"),
            "ИОР ОО": col(low, "results_index"),
            "Модель": p["model"],
            "Партнёр": lead.map(names),
            "Партнёр — кто": p.get("partner_basis", pd.Series("школа-лидер", index=p.index)),
            "Тип партнёра": col(lead, "school_type"),
            "ИОР партнёра": col(lead, "results_index"),
            "Различие ИСБ": pd.to_numeric(p["social_distance"], errors="coerce"),
        }
    )
    for c in ("ИОР ОО", "ИОР партнёра"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out


def unpaired_table(res: Any) -> pd.DataFrame:
    """ШНОР and ШССУ left without a partner, with the reason."""
    u = _table(res, PAIRS_UNPAIRED)
    if u.empty:
        return pd.DataFrame(columns=["ОО", "Группа", "Причина"])
    names = school_names(res)
    return pd.DataFrame(
        {
            "ОО": u["low_results_school_id"].astype(str).map(names),
            "Группа": u.get("mentee_group", pd.Series("ШНОР", index=u.index)),
            "Причина": u["reason"],
        }
    )


def leader_load(res: Any) -> pd.DataFrame:
    """Each leader and each partner school, with the schools it partners."""
    s = _schools(res)
    if s.empty:
        return pd.DataFrame()
    p = _table(res, PAIRS)
    names = school_names(res)
    partners = set(p["leader_school_id"].astype(str)) if not p.empty else set()
    ids = sorted(set(s.index[s["leader"].astype(bool)]) | partners)
    why = {n.school_id: n.text_ru for n in select(res.notes, stage="pairing") if n.school_id}
    rows = []
    for sid in ids:
        mine = p[p["leader_school_id"].astype(str) == sid] if not p.empty else p
        rows.append(
            {
                "Партнёр": names.get(sid, sid),
                "Тип": s.at[sid, "school_type"] if "school_type" in s and sid in s.index else None,
                "Число ОО": len(mine),
                "ОО-партнёры": "; ".join(
                    f"{names.get(str(a), a)} ({m})"
                    for a, m in zip(
                        mine.get("low_results_school_id", []), mine.get("model", []), strict=True
                    )
                )
                or (why[sid].split(": ", 1)[-1].rstrip(".") if sid in why else "—"),
            }
        )
    out = pd.DataFrame(rows, columns=["Партнёр", "Тип", "Число ОО", "ОО-партнёры"])
    return out.sort_values(["Число ОО", "Партнёр"], ascending=[False, True]).reset_index(drop=True)


# ---------------------------------------------------------------------------- recommendations


_REC_COLUMNS = {
    "addressee": "Адресат",
    "kind": "Направление",
    "text": "Рекомендация",
    "evidence": "Основание",
}


def _recs(res: Any) -> pd.DataFrame:
    r = _table(res, RECOMMENDATIONS)
    if r.empty:
        return r
    if "level" not in r:
        r["level"] = np.where(
            r["school_id"].notna(),
            "school",
            np.where(r["cluster"].notna(), "cluster", "municipality"),
        )
    return r


def recommendations_municipal(res: Any) -> pd.DataFrame:
    r = _recs(res)
    if r.empty:
        return pd.DataFrame(columns=list(_REC_COLUMNS.values()))
    sel = r[r["level"] == "municipality"]
    return sel[list(_REC_COLUMNS)].rename(columns=_REC_COLUMNS).reset_index(drop=True)


def recommendations_clusters(res: Any) -> pd.DataFrame:
    r = _recs(res)
    cols = ["Кластер", *_REC_COLUMNS.values()]
    if r.empty:
        return pd.DataFrame(columns=cols)
    sel = r[r["level"] == "cluster"].copy()
    sel["Кластер"] = sel["cluster"].map(_cluster_int).astype("Int64")
    return sel[["Кластер", *_REC_COLUMNS]].rename(columns=_REC_COLUMNS).reset_index(drop=True)


def _school_recs(
    res: Any, statuses: tuple[str, ...]
) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    r, s = _recs(res), _schools(res)
    if r.empty or s.empty:
        return pd.DataFrame(), [], s
    sel = r[r["level"] == "school"].copy()
    sel["school_id"] = sel["school_id"].astype(str)
    mask = np.zeros(len(s), dtype=bool)
    for st in statuses:
        mask |= s[st].to_numpy(dtype=bool)
    order = [i for i in _risk_order(s, list(s.index[mask])) if i in set(sel["school_id"])]
    return sel, order, s


def recommendations_schools(res: Any, statuses: tuple[str, ...] = FOCUS) -> pd.DataFrame:
    """One flat table: recommendations to the ШНОР and ШССУ (default), school by school."""
    sel, order, s = _school_recs(res, statuses)
    if not order:
        return pd.DataFrame(columns=["ОО", "Статус", *_REC_COLUMNS.values()])
    rank = {sid: i for i, sid in enumerate(order)}
    sel = sel[sel["school_id"].isin(rank)].assign(_o=lambda d: d["school_id"].map(rank))
    sel = sel.sort_values("_o", kind="stable")
    out = sel[list(_REC_COLUMNS)].rename(columns=_REC_COLUMNS)
    out.insert(0, "Статус", [status_text(s.loc[i]) for i in sel["school_id"]])
    out.insert(0, "ОО", [s.at[i, "school_name"] for i in sel["school_id"]])
    return out.reset_index(drop=True)


def recommendation_blocks(res: Any, statuses: tuple[str, ...] = FOCUS) -> HtmlBlocks:
    """Per school (ШНОР and ШССУ by default): a level-4 heading and its recommendations."""
    sel, order, s = _school_recs(res, statuses)
    if not order:
        return HtmlBlocks([display.note("Рекомендаций для ШНОР и ШССУ нет.", kind="info")])
    blocks: list[Any] = []
    for sid in order:
        row = s.loc[sid]
        head = f"{row['school_name']} ({status_text(row)})"
        risks = str(row.get("top_risks") or "").strip()
        blocks.append(display.heading(head, 4, toc=False))
        if risks:
            blocks.append(
                display.note(risks, kind="info", title="Факторы с высоким уровнем риска:")
            )
        mine = sel[sel["school_id"] == sid][list(_REC_COLUMNS)].rename(columns=_REC_COLUMNS)
        blocks.append(display.table(mine.reset_index(drop=True)))
    return HtmlBlocks(blocks)


def recommendation_counts(res: Any) -> pd.DataFrame:
    """Number of recommendations by addressee × kind (all levels)."""
    r = _recs(res)
    if r.empty:
        return pd.DataFrame()
    t = r.pivot_table(
        index="addressee", columns="kind", values="text", aggfunc="count", fill_value=0
    )
    t["Всего"] = t.sum(axis=1)
    t.index.name = "Адресат"
    t.columns.name = None
    return t.reset_index()


def key_numbers(res: Any) -> dict[str, int]:
    """Key figures of the three sections."""
    s, p, u, r = _schools(res), _table(res, PAIRS), _table(res, PAIRS_UNPAIRED), _recs(res)
    n_low = int(s["low_results"].sum()) if not s.empty else 0
    paired = set(p["low_results_school_id"].astype(str)) if not p.empty else set()
    clusters = _table(res, CLUSTERS)
    out = {
        "Кластеров": len(clusters),
        "Пар «ШНОР — школа-лидер»": len(p),
        "ШНОР без партнёра": n_low - len(paired),
        "Рекомендаций": len(r),
    }
    if u.empty and p.empty:
        out.pop("ШНОР без партнёра")
    return out
