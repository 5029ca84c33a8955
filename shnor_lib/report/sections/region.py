"""Views for notebooks/region.ipynb: the regional comparison of municipalities.

The data are the files ``shnor region`` writes to ``outputs/regions/<region>/<year>/``
(:func:`shnor_lib.region.write_summary`): ``region_summary.csv`` (one row per municipality),
``region_targets.csv`` (indicator × municipality target statuses) and ``region.json``.
Only pandas and the display helpers are imported here (matplotlib when a figure is drawn),
so the notebook starts quickly.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from shnor_lib.config import load_params
from shnor_lib.fmt import fmt_number
from shnor_lib.report import display
from shnor_lib.report.wording import k_of_window, quartile_phrase

MET, NOT_MET, UNDETERMINED, NO_DATA = "достигнут", "не достигнут", "не определён", "нет данных"
SCOPE_RU = {"region": "по региону", "municipality": "по муниципалитету", "": "—"}


@dataclass
class RegionData:
    region: str
    year: int
    summary: pd.DataFrame
    targets: pd.DataFrame
    meta: dict = field(default_factory=dict)
    root: Path = Path(".")
    outputs: str = "outputs"
    schools: pd.DataFrame = field(default_factory=pd.DataFrame)


def load(root: str | Path, region: str, year: int, outputs: str = "outputs") -> RegionData:
    """The regional summary files of ``<root>/<outputs>/<region>/<year>/``."""
    from shnor_lib.errors import ShnorError
    from shnor_lib.region import summary_dir

    folder = summary_dir(Path(root), region, int(year), outputs)
    path = folder / "region_summary.csv"
    if not path.is_file():
        raise ShnorError(
            f"Нет сводки по региону: {path} (выполните shnor region)",
            f"No regional summary: {path} (run shnor region)",
        )
    summary = pd.read_csv(path, keep_default_na=False, na_values=[""])
    tpath = folder / "region_targets.csv"
    targets = (
        pd.read_csv(tpath, keep_default_na=False, na_values=[""])
        if tpath.is_file()
        else pd.DataFrame(columns=["municipality", "indicator_id", "value", "target_status"])
    )
    mpath = folder / "region.json"
    meta = json.loads(mpath.read_text("utf-8")) if mpath.is_file() else {}
    spath = folder / "region_schools.csv"
    schools = (
        pd.read_csv(spath, keep_default_na=False, na_values=[""], dtype={"school_id": str})
        if spath.is_file()
        else pd.DataFrame()
    )
    return RegionData(region, int(year), summary, targets, meta, Path(root), outputs, schools)


def regional_reference(d: RegionData) -> bool:
    """ИОР and the ИСБ quartiles over the whole region in every municipality of the run."""
    ref = d.summary.get("reference")
    return ref is not None and len(ref) > 0 and bool((ref == "region").all())


def schools_list(d: RegionData, column: str) -> pd.DataFrame:
    """The ШНОР (``low_results``) or ШССУ (``hard_context``) of the whole region."""
    s = d.schools
    if s.empty or column not in s:
        return pd.DataFrame(columns=["Муниципалитет", "Код ОО", "ОО", "ИОР", "Квартиль ИОР"])
    flag = s[column].astype(str).str.lower().isin(["true", "1"])
    sel = s[flag].sort_values(["results_index", "school_id"], na_position="last")
    names = _names(d)
    return pd.DataFrame(
        {
            "Муниципалитет": sel["municipality"].map(names).fillna(sel["municipality"]),
            "Код ОО": sel["school_id"],
            "ОО": sel["school_name"],
            "ИОР": pd.to_numeric(sel["results_index"], errors="coerce"),
            "Квартиль ИОР": pd.to_numeric(sel["results_quartile"], errors="coerce"),
            "ШНОР": flag[sel.index].map({True: "да", False: "нет"})
            if column == "low_results"
            else sel["low_results"]
            .astype(str)
            .str.lower()
            .isin(["true", "1"])
            .map({True: "да", False: "нет"}),
        }
    ).reset_index(drop=True)


def support_table(d: RegionData) -> pd.DataFrame:
    """Forms and roadmap scores (% of the maximum) and the «500+» risk factors per
    municipality."""
    s = d.summary.sort_values("municipality")
    cols = {
        "help_score": "Методическая помощь, % макс.",
        "mnc_score": "МНЦ, % макс.",
        "mtkp_score": "МТКП, % макс.",
        "roadmap_completeness": "Дорожная карта: выполнено, %",
        "roadmap_timeliness": "Дорожная карта: в срок, %",
        "risk_high_per_school": "Факторов риска высокого уровня на ОО",
        "top_risk_category": "Чаще всего высокий риск",
    }
    out = pd.DataFrame({"Муниципалитет": s["title"]})
    for c, label in cols.items():
        out[label] = s[c] if c in s else float("nan")
    return out.reset_index(drop=True)


def title(d: RegionData) -> str:
    return f"Регион {d.region}: сравнение муниципалитетов, {d.year} год"


def _share(n: float, total: float) -> float:
    return 100.0 * n / total if total else float("nan")


def key_numbers(d: RegionData) -> dict[str, object]:
    s = d.summary
    schools = int(s["n_schools"].sum())
    defined = int(s["targets_defined"].sum())
    return {
        "Муниципалитетов": len(s),
        "ОО": schools,
        "ШНОР": int(s["n_low_results"].sum()),
        "ШНОР, % ОО": _share(s["n_low_results"].sum(), schools),
        "ШССУ": int(s["n_hard_context"].sum()),
        "ШССУ, % ОО": _share(s["n_hard_context"].sum(), schools),
        "Исключено единиц ВПР, %": _share(s["n_excluded_units"].sum(), s["n_units_tested"].sum()),
        "Целей достигнуто, %": _share(s["targets_met"].sum(), defined),
    }


def _names(d: RegionData) -> pd.Series:
    return d.summary.set_index("municipality")["title"]


def groups_table(d: RegionData) -> pd.DataFrame:
    """ШНОР, ШССУ and their overlap per municipality."""
    s = d.summary.sort_values(["share_low_results", "municipality"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Муниципалитет": s["title"],
            "ОО": s["n_schools"],
            "ОО с ИОР": s["n_with_index"],
            "ШНОР": s["n_low_results"],
            "ШНОР, %": s["share_low_results"],
            "ШССУ": s["n_hard_context"],
            "ШССУ, %": s["share_hard_context"],
            "ШНОР и ШССУ": s["n_low_and_hard"],
            "Лидеры": s["n_leaders"],
            "Резильентные": s["n_resilient"],
            "Модель ИСБ": s["social_scope"].fillna("").map(SCOPE_RU).fillna("—"),
        }
    ).reset_index(drop=True)


def groups_formats() -> dict[str, str]:
    return {"ШНОР, %": "percent:1", "ШССУ, %": "percent:1"}


def groups_figure(d: RegionData):
    """Horizontal bars: share of ШНОР and of ШССУ in each municipality."""
    import matplotlib.pyplot as plt
    import numpy as np

    s = d.summary.sort_values(["share_low_results", "municipality"], ascending=[True, False])
    n = len(s)
    fig, ax = plt.subplots(figsize=(7.5, max(2.5, 0.26 * n + 1.2)))
    y = np.arange(n)
    ax.barh(y + 0.2, s["share_low_results"], height=0.4, label="ШНОР", color="#D55E00")
    ax.barh(y - 0.2, s["share_hard_context"], height=0.4, label="ШССУ", color="#0072B2")
    ax.set_yticks(y, s["title"].tolist())
    ax.set_xlabel("Доля ОО муниципалитета, %")
    display.axis_format(ax, "x", 0)
    ax.legend(loc="lower right")
    ax.grid(axis="y", visible=False)
    ax.set_ylim(-0.7, n - 0.3)
    return fig


def objectivity_table(d: RegionData) -> pd.DataFrame:
    """ВПР units tested and excluded for non-objectivity in the reporting year."""
    s = d.summary.sort_values(["share_excluded_units", "municipality"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Муниципалитет": s["title"],
            "Результатов ВПР": s["vpr_results"],
            "Проверено единиц (ОО × класс × предмет)": s["n_units_tested"],
            "Исключено единиц": s["n_excluded_units"],
            "Исключено, % проверенных": s["share_excluded_units"],
            "ОО с исключениями": s["n_excluded_schools"],
        }
    ).reset_index(drop=True)


def objectivity_figure(d: RegionData):
    """Share of tested ВПР units excluded, per municipality, with the regional share."""
    import matplotlib.pyplot as plt
    import numpy as np

    s = d.summary.sort_values(["share_excluded_units", "municipality"], ascending=[True, False])
    n = len(s)
    fig, ax = plt.subplots(figsize=(7.5, max(2.5, 0.22 * n + 1.2)))
    y = np.arange(n)
    ax.barh(y, s["share_excluded_units"], height=0.6, color="#CC79A7")
    total = _share(s["n_excluded_units"].sum(), s["n_units_tested"].sum())
    if total == total:
        ax.axvline(total, color="#000000", linewidth=1, linestyle="--")
        ax.text(total, n - 0.4, f" регион: {fmt_number(total, 1)} %", va="bottom", fontsize=8)
    ax.set_yticks(y, s["title"].tolist())
    ax.set_xlabel("Исключено единиц ВПР, % проверенных")
    display.axis_format(ax, "x", 1)
    ax.grid(axis="y", visible=False)
    ax.set_ylim(-0.7, n + 0.3)
    return fig


def targets_table(d: RegionData) -> pd.DataFrame:
    """Target statuses of the municipal indicators (reporting year) per municipality."""
    s = d.summary.sort_values(["share_targets_met", "municipality"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Муниципалитет": s["title"],
            "Показателей с целью": s["targets_defined"],
            "Достигнуто": s["targets_met"],
            "Не достигнуто": s["targets_not_met"],
            "Не определено": s["targets_undetermined"],
            "Нет данных": s["targets_no_data"],
            "Достигнуто, %": s["share_targets_met"],
        }
    ).reset_index(drop=True)


def indicator_targets(d: RegionData) -> pd.DataFrame:
    """Per indicator: in how many municipalities its target is met / not met / undetermined."""
    t = d.targets
    if t.empty:
        return pd.DataFrame(
            columns=["Показатель", "Достигнут", "Не достигнут", "Не определён", "Нет данных"]
        )
    counts = (
        t.assign(status=t["target_status"].fillna(""))
        .pivot_table(index="indicator_id", columns="status", values="municipality", aggfunc="count")
        .reindex(columns=[MET, NOT_MET, UNDETERMINED, NO_DATA])
        .fillna(0)
        .astype(int)
    )
    names = _indicator_names()
    out = pd.DataFrame(
        {
            "Показатель": [names.get(i, i) for i in counts.index],
            "Достигнут": counts[MET].to_numpy(),
            "Не достигнут": counts[NOT_MET].to_numpy(),
            "Не определён": counts[UNDETERMINED].to_numpy(),
            "Нет данных": counts[NO_DATA].to_numpy(),
        }
    )
    return out.sort_values(["Не достигнут", "Показатель"], ascending=[False, True]).reset_index(
        drop=True
    )


def _indicator_names() -> dict[str, str]:
    from shnor_lib import DATA_DIR

    path = DATA_DIR / "indicators_catalog.csv"
    if not path.is_file():
        return {}
    cat = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(cat["indicator_id"], cat["name_ru"], strict=True))


def method_note(d: RegionData) -> str:
    s = d.summary
    pooled = int((s["social_scope"] == "region").sum())
    base = load_params(None)  # the package defaults each municipality starts from
    ri = base.results_index
    text = (
        "Каждый муниципалитет рассчитан по той же методике, что и его отчёт (shnor compute): "
        "ШНОР — ОО с низким уровнем ИОР (1-й квартиль в муниципалитете) в отчётном году и "
        f"{k_of_window(ri.low_results_years, base.window)} (по умолчанию; параметры "
        "results_index.low_results_years и window муниципалитета); ШССУ — ОО с ИСБ "
        f"{quartile_phrase(base.social_index.hard_context_quartile)}; исключённые "
        "единицы ВПР — классы × предметы, результаты которых признаны необъективными "
        "(превышение над ожидаемым по данным ГИА или перечень Рособрнадзора), доля — среди "
        "проверенных в отчётном году (проверка превышения — при числе участников не меньше "
        f"min_group_size, по умолчанию {int(base.min_group_size)}, — или единица из перечня); "
        "цели — показатели "
        "муниципальной модели с целевым значением («нет данных» — цель есть, исходных данных "
        "для показателя нет). "
    )
    if regional_reference(d):
        text = text.replace("(1-й квартиль в муниципалитете)", "(1-й квартиль в регионе)")
        text += (
            "ИОР шкалирован и разбит на квартили по всем ОО региона сразу "
            "(results_index.reference: region), модель ИСБ и её квартили — тоже по региону: "
            "ШНОР и ШССУ определены по краю, и доли ШНОР и ШССУ сравнимы между "
            "муниципалитетами — в более слабом муниципалитете их больше."
        )
    else:
        text += (
            "ИОР шкалирован внутри муниципалитета: в каждом около четверти ОО в 1-м квартиле, "
            "поэтому доли ШНОР между муниципалитетами не сравнивают уровень результатов "
            "(для сравнения по краю — shnor region --reference region)."
        )
    if pooled:
        text += (
            f" Для {pooled} муниципалитетов с числом ОО с ИОР меньше порога "
            "(social_index.min_schools) модель ИСБ оценена по школам всего региона "
            "(«Модель ИСБ: по региону»); квартили ИСБ у них — квартили региона."
        )
    return text


def reports_links(d: RegionData) -> display._Html:
    """Links to the municipalities' reports that exist next to this page."""
    items = []
    base = d.root / d.outputs
    for m, name in _names(d).items():
        if (base / str(m) / str(d.year) / "report.html").is_file():
            href = f"../../../{m}/{d.year}/report.html"  # from outputs/regions/<id>/<year>/
            items.append(
                f'<li><a href="{html.escape(href, quote=True)}">{html.escape(str(name))}</a></li>'
            )
    if not items:
        return display.note(
            "Отчёты муниципалитетов для этого года ещё не построены "
            "(make region … REPORTS=1 или shnor region … --reports).",
            kind="info",
            title="Отчёты муниципалитетов.",
        )
    return display.note(
        "<ul>" + "".join(items) + "</ul>",
        kind="info",
        title="Отчёты муниципалитетов:",
        html_text=True,
    )
