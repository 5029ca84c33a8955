"""Report figures (matplotlib), Russian titles and labels. Each returns a Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from shnor_lib.pipeline import Results  # noqa: E402
from shnor_lib.report.display import axis_format  # noqa: E402
from shnor_lib.report.wording import ci_label  # noqa: E402
from shnor_lib.tables import INDICATORS, PARTICIPANTS, RESULTS_INDEX, SCHOOLS  # noqa: E402

QUARTILE_COLORS = {1: "#D55E00", 2: "#E69F00", 3: "#56B4E9", 4: "#009E73"}
QUARTILE_NAMES = {4: "Q4 высокий", 3: "Q3 выше среднего", 2: "Q2 ниже среднего", 1: "Q1 низкий"}


def participants_by_year(res: Results):
    """Results per procedure and year: seaborn sums the long table itself (no pivot) and
    draws empty axes, not an error, for a municipality without results."""
    import seaborn as sns

    p = res.tables[PARTICIPANTS]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    if p.empty:
        ax.text(0.5, 0.5, "нет данных", ha="center", va="center", transform=ax.transAxes)
    else:
        sns.barplot(
            p, x="year", y="participants", hue="procedure", estimator="sum", errorbar=None, ax=ax
        )
        ax.legend(title=None)
    ax.set_title("Участники оценочных процедур по годам")
    ax.set_xlabel("Год")
    ax.set_ylabel("Участников (результатов по предметам)")
    axis_format(ax, "y", decimals=0)
    return fig


def indicator_dynamics(res: Results, ids: list[str], names: dict[str, str]):
    """Municipal values with 95 % intervals over the years, one line per indicator."""
    ind = res.tables[INDICATORS]
    sel = ind[
        (ind["level"] == "municipality") & ind["indicator_id"].isin(ids) & ind["value"].notna()
    ]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for k, iid in enumerate(ids):
        d = sel[sel["indicator_id"] == iid].sort_values("year")
        if d.empty:
            continue
        x = d["year"].to_numpy() + (k - len(ids) / 2) * 0.04
        err = np.vstack([d["value"] - d["ci_low"], d["ci_high"] - d["value"]])
        ax.errorbar(x, d["value"], yerr=err, marker="o", capsize=3, label=names.get(iid, iid))
    ax.set_title(f"Динамика показателей муниципалитета ({ci_label(res.params.confidence)})")
    ax.set_xlabel("Год")
    ax.set_ylabel("Значение, %")
    years = sorted(sel["year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    axis_format(ax, "y", decimals=0, percent=True)
    if ax.get_legend_handles_labels()[0]:  # no lines: no legend (and no warning)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    else:
        ax.text(0.5, 0.5, "нет данных", ha="center", va="center", transform=ax.transAxes)
    return fig


def results_ranking(res: Results):
    """Horizontal bars of ИОР in the reporting year, coloured by quartile class."""
    idx = res.tables[RESULTS_INDEX]
    cur = idx[(idx["year"] == res.params.year) & idx["results_index"].notna()]
    cur = cur.sort_values(["results_index", "school_id"])
    names = dict(
        zip(res.tables[SCHOOLS]["school_id"], res.tables[SCHOOLS]["school_name"], strict=True)
    )
    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.22 * len(cur) + 1)))
    colors = [
        QUARTILE_COLORS.get(int(q), "#999999") if pd.notna(q) else "#999999"
        for q in cur["results_quartile"]
    ]
    ax.barh(np.arange(len(cur)), cur["results_index"], color=colors)
    ax.set_yticks(np.arange(len(cur)), [names.get(s, s) for s in cur["school_id"]], fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("ИОР (0 — худший результат в муниципалитете, 1 — лучший)")
    ax.set_title(f"Индекс образовательных результатов, {res.params.year} г.")
    handles = [plt.Rectangle((0, 0), 1, 1, color=QUARTILE_COLORS[q]) for q in (4, 3, 2, 1)]
    ax.legend(handles, [QUARTILE_NAMES[q] for q in (4, 3, 2, 1)], loc="lower right")
    ax.grid(axis="y", visible=False)
    axis_format(ax, "x", decimals=1)
    return fig


def results_trajectory(res: Results):
    """ИОР over the window: ШНОР highlighted, other schools in grey."""
    idx = res.tables[RESULTS_INDEX]
    s = res.tables[SCHOOLS].set_index("school_id")
    low = set(s.index[s["low_results"].astype("boolean").fillna(False).astype(bool)])
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for sid, d in idx[idx["results_index"].notna()].groupby("school_id"):
        d = d.sort_values("year")
        if sid in low:
            ax.plot(
                d["year"],
                d["results_index"],
                marker="o",
                linewidth=2,
                label=s.loc[sid, "school_name"] if sid in s.index else sid,
            )
        else:
            ax.plot(d["year"], d["results_index"], color="#bbbbbb", linewidth=0.8, zorder=0)
    years = sorted(idx["year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylim(0, 1)
    ax.set_xlabel("Год")
    ax.set_ylabel("ИОР")
    ax.set_title("Траектория ИОР: ШНОР (цветом) на фоне остальных ОО (серым)")
    if low:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    axis_format(ax, "y", decimals=1)
    return fig
