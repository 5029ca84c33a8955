"""Report views: «Динамика статусов и эффект поддержки» (the management cycle).

Presentation only: every number was computed by :mod:`shnor_lib.methods.cycle` and published as
``status_history``, ``status_counts``, ``transitions`` and ``support_effect``. Each function
takes the report's ``Results`` and returns a DataFrame for ``display.table``, a Figure, or a
Russian text; a missing or empty table never raises (the section says «нет данных»).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from shnor_lib.fmt import fmt_number
from shnor_lib.methods import cycle
from shnor_lib.notes import select
from shnor_lib.report import display
from shnor_lib.tables import (
    EARLY_WARNING,
    EARLY_WARNING_CHECK,
    FOLLOW_UP,
    FORMS_CROSSCHECK,
    GROUP_DYNAMICS,
    SCHOOLS,
    STATUS_COUNTS,
    STATUS_HISTORY,
    SUPPORT_EFFECT,
    TRANSITIONS,
)

if TYPE_CHECKING:
    from shnor_lib.pipeline import Results

STATUS_ORDER = list(cycle.STATUS_COLUMNS)


def _t(res: Results, name: str) -> pd.DataFrame:
    frame = res.tables.get(name) if hasattr(res, "tables") else None
    return frame if frame is not None else pd.DataFrame()


def _names(res: Results) -> dict[str, str]:
    s = _t(res, SCHOOLS)
    if s.empty or "school_name" not in s:
        return {}
    return dict(zip(s["school_id"].astype(str), s["school_name"], strict=True))


def _flag(s: pd.Series) -> pd.Series:
    """A published boolean column (CSV: true/false/empty) as a nullable boolean."""
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype("boolean")
    m = s.astype(str).str.lower().map({"true": True, "false": False, "1": True, "0": False})
    return m.astype("boolean")


def rule_text(res: Results) -> str:
    """Which rule made the ШНОР of the report, and the other rule's count beside it."""
    h = _t(res, STATUS_HISTORY)
    if h.empty:
        return "Статусы по годам не рассчитаны: нет ИОР ни за один год."
    rule = str(h["rule"].iloc[0])
    other = cycle.ABSOLUTE if rule == cycle.RELATIVE else cycle.RELATIVE
    return (
        f"ШНОР в этом отчёте определены по правилу «{cycle.RULE_RU.get(rule, rule)}». "
        f"Рядом показано число ШНОР по второму правилу («{cycle.RULE_RU[other]}»). "
        "По относительному правилу около четверти ОО попадают в ШНОР каждый год при любых "
        "результатах, поэтому их число не может снизиться; по абсолютному правилу оно снижается, "
        "когда школы улучшают результаты."
    )


def counts_by_year(res: Results) -> pd.DataFrame:
    """Number of schools in each status, by year (the ШНОР by both rules)."""
    h = _t(res, STATUS_HISTORY)
    if h.empty:
        return pd.DataFrame()
    rows = {}
    for status, col in cycle.STATUS_COLUMNS.items():
        flags = _flag(h[col])
        known = flags.notna()
        by = flags[known].astype(bool).groupby(h.loc[known, "year"]).sum()
        rows["ШНОР (правило отчёта)" if status == cycle.STATUS_LOW else status] = by
    out = pd.DataFrame(rows).T
    counts = _t(res, STATUS_COUNTS)
    if not counts.empty:
        for rule in (cycle.RELATIVE, cycle.ABSOLUTE):
            c = counts[counts["rule"] == rule].set_index("year")["n_low_results"]
            out.loc[f"ШНОР по правилу «{cycle.RULE_RU[rule]}»"] = c
    out.loc["ОО с ИОР"] = h[h["results_index"].notna()].groupby("year").size()
    out.columns = [f"{int(y)} г." for y in out.columns]
    out = out.reset_index().rename(columns={"index": "Статус"})
    for c in out.columns[1:]:
        out[c] = out[c].map(lambda v: "—" if pd.isna(v) else fmt_number(v, 0))
    return out


def transitions_table(res: Results) -> pd.DataFrame:
    """Entered / left / stayed per status and pair of years (counts)."""
    tr = _t(res, TRANSITIONS)
    if tr.empty:
        return pd.DataFrame()
    g = tr.groupby(["status", "from_year", "to_year", "change"]).size().unstack("change")
    for c in (cycle.ENTERED, cycle.LEFT, cycle.STAYED):
        if c not in g:
            g[c] = 0
    g = g[[cycle.ENTERED, cycle.LEFT, cycle.STAYED]].fillna(0).astype(int).reset_index()
    g["_o"] = g["status"].map({s: i for i, s in enumerate(STATUS_ORDER)})
    g = g.sort_values(["_o", "from_year"]).drop(columns="_o").reset_index(drop=True)
    g["Годы"] = (
        g["from_year"].astype(int).astype(str) + " → " + g["to_year"].astype(int).astype(str)
    )
    return g.rename(
        columns={"status": "Статус", "вошла": "Вошли", "вышла": "Вышли", "осталась": "Остались"}
    )[["Статус", "Годы", "Вошли", "Вышли", "Остались"]]


def shnor_trajectories(res: Results) -> pd.DataFrame:
    """The trajectory of each current ШНОР: ИОР quartile by year, and the years it was ШНОР."""
    h = _t(res, STATUS_HISTORY)
    if h.empty:
        return pd.DataFrame()
    year = int(h["year"].max())
    low = _flag(h["low_results"]).fillna(False).astype(bool)
    now = sorted(h.loc[(h["year"] == year) & low, "school_id"].astype(str))
    if not now:
        return pd.DataFrame()
    sel = h[h["school_id"].astype(str).isin(now)]
    q = sel.pivot_table(
        index="school_id", columns="year", values="results_quartile", aggfunc="first"
    )
    q = q.map(lambda v: "—" if pd.isna(v) else f"Q{int(v)}")
    q.columns = [f"{int(y)} г." for y in q.columns]
    in_years = (
        sel[low[sel.index]]
        .groupby("school_id")["year"]
        .agg(lambda s: ", ".join(str(int(y)) for y in sorted(s)))
    )
    out = q.reset_index()
    out.insert(1, "ОО", out["school_id"].astype(str).map(_names(res)).fillna(""))
    out["ШНОР в годы"] = out["school_id"].map(in_years).fillna("")
    return out.rename(columns={"school_id": "Код ОО"})


def effect_table(res: Results) -> pd.DataFrame:
    """support_effect with Russian headers."""
    e = _t(res, SUPPORT_EFFECT)
    if e.empty:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "Когорта": e["group"],
            "ОО": e["n_schools"].astype(int),
            "Изменение ИОР": e["change"].map(lambda v: fmt_number(v, 3)),
            "Ожидалось без поддержки": e["expected_change"].map(lambda v: fmt_number(v, 3)),
            "Эффект поддержки": e["effect"].map(lambda v: fmt_number(v, 3)),
            "95 % интервал": [
                f"[{fmt_number(lo, 3)}; {fmt_number(hi, 3)}]"
                for lo, hi in zip(e["ci_low"], e["ci_high"], strict=True)
            ],
            "Вывод": [
                "эффект есть (рост)"
                if lo > 0
                else ("хуже ожидаемого" if hi < 0 else "не выявлен: интервал включает 0")
                for lo, hi in zip(e["ci_low"], e["ci_high"], strict=True)
            ],
        }
    )
    return out


def effect_text(res: Results) -> str:
    """What the effect table means, in plain Russian."""
    e = _t(res, SUPPORT_EFFECT)
    base = (
        "Школы попадают в ШНОР после низких результатов, а в низком результате одного года "
        "всегда есть доля случайности. Поэтому на следующий год такие школы в среднем "
        "улучшаются даже без всякой помощи («возврат к среднему»). Сравнение «до и после» "
        "(столбец «Изменение ИОР») приписало бы это улучшение программе. Поэтому изменение "
        "ШНОР сравнивается с изменением, которого следовало ожидать без поддержки: его "
        "оценивают по школам, не бывшим ШНОР, с такими же результатами в прошлые годы. "
        "«Эффект поддержки» — разница между ними. Интервал показывает, в каких пределах с "
        "вероятностью 95 % лежит настоящий эффект: если он включает 0, данные не позволяют "
        "утверждать, что поддержка помогла (но и что не помогла — тоже). Когда в когорте "
        "несколько десятков школ, интервал широкий и виден только большой эффект; по "
        "региону (сотни школ) оценка становится информативной."
    )
    if e.empty:
        return (
            base + " Сейчас оценить эффект нельзя: нужны когорты ШНОР, вошедших в статус после "
            "первого года данных, хотя бы из 3 школ, и хотя бы один следующий год результатов."
        )
    return base


def notes(res: Results) -> list[tuple[str, str | None, str]]:
    """The cycle stage's notes as (kind, title, text) for ``display.notes``."""
    manifest_notes = res.notes if hasattr(res, "notes") else []
    return [(n.level, None, n.text_ru) for n in select(manifest_notes, stage="cycle")]


def counts_figure(res: Results):
    """ШНОР by year by both rules (a line each); None when there is nothing to draw."""
    c = _t(res, STATUS_COUNTS)
    if c.empty:
        return None
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    for rule, style in ((cycle.RELATIVE, "o-"), (cycle.ABSOLUTE, "s--")):
        s = c[c["rule"] == rule].sort_values("year")
        ax.plot(s["year"].astype(int), s["n_low_results"], style, label=cycle.RULE_RU[rule])
    ax.set_xticks(sorted(c["year"].astype(int).unique()))
    ax.set_ylabel("Число ШНОР")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False)
    return fig


def counts_chart(res: Results):
    """The figure of :func:`counts_figure` ready for the report, or a «нет данных» note."""
    fig = counts_figure(res)
    if fig is None:
        return display.note("Нет данных о ШНОР по годам.", "data", title="Нет данных.")
    return display.figure(
        fig,
        alt="Число ШНОР по годам по относительному и по абсолютному правилу",
        caption="Число ШНОР по годам: относительное правило (квартиль ИОР) и абсолютное "
        "(доля результатов ГИА ниже минимума за окно)",
    )


def early_warning_table(res: Results, top: int = 10) -> pd.DataFrame:
    """«Группа раннего предупреждения»: the schools not ШНОР now most likely to enter next
    year (the ``top`` highest probabilities of the forecast)."""
    ew = _t(res, EARLY_WARNING)
    if ew.empty:
        return pd.DataFrame()
    f = ew[ew["kind"] == cycle.EW_FORECAST].sort_values(
        ["probability", "school_id"], ascending=[False, True]
    )
    f = f.head(top)
    return pd.DataFrame(
        {
            "Код ОО": f["school_id"].astype(str),
            "ОО": f["school_id"].astype(str).map(_names(res)).fillna(""),
            "Вероятность войти в ШНОР, %": (100 * f["probability"]).map(lambda v: fmt_number(v, 0)),
            "Главный сигнал": f["signal"],
        }
    )


def early_warning_text(res: Results) -> str:
    """How the probability is obtained and how well it predicted the earlier years."""
    ew, chk = _t(res, EARLY_WARNING), _t(res, EARLY_WARNING_CHECK)
    base = (
        "Группа раннего предупреждения — школы, которые сейчас не ШНОР, но по траектории "
        "результатов и факторам риска могут войти в ШНОР в следующем году. Вероятность "
        "оценена логистической моделью по прошлым годам этого же отчёта: низкий ИОР, его "
        "снижение за год, число лет в 1-м квартиле в окне, признак риска Рособрнадзора."
    )
    if ew.empty:
        return (
            base
            + " Сейчас прогноз не построен: мало лет с данными или входов в ШНОР в прошлых годах."
        )
    if chk.empty:
        return base + (
            " Проверить прогноз на прошлых годах пока нельзя (мало лет с данными), поэтому "
            "вероятности ориентировочные."
        )
    r = chk.iloc[0]
    return base + (
        f" Проверка на прошлых годах ({int(r['n_predictions'])} прогнозов, "
        f"{int(r['n_entries'])} входов в ШНОР): оценка Брайера {fmt_number(r['brier'], 3)} "
        f"(без модели — {fmt_number(r['brier_base'], 3)}; меньше — лучше); среди 10 % школ "
        f"с наибольшей вероятностью в ШНОР вошли {fmt_number(100 * r['top_decile_hit_rate'], 0)} % "
        f"(в среднем по всем — {fmt_number(100 * r['base_rate'], 0)} %)."
    )


# ------------------------------------------------------------------------------ group dynamics


def _ci(v: float, lo: float, hi: float, digits: int) -> str:
    if pd.isna(v):
        return "—"
    if pd.isna(lo) or pd.isna(hi):
        return fmt_number(v, digits)
    return f"{fmt_number(v, digits)} [{fmt_number(lo, digits)}; {fmt_number(hi, digits)}]"


GROUP_DIGITS = {"C1-1": 1, "C1-2": 2, "below_min": 1}


def group_dynamics_table(res: Results, indicator: str) -> pd.DataFrame:
    """One indicator of group_dynamics: groups × years, «value [low; high]» (n schools)."""
    g = _t(res, GROUP_DYNAMICS)
    if g.empty:
        return pd.DataFrame()
    g = g[g["indicator"] == indicator]
    if g.empty:
        return pd.DataFrame()
    digits = GROUP_DIGITS.get(indicator, 2)
    cells = g.assign(
        cell=[
            f"{_ci(v, lo, hi, digits)} (ОО: {int(n)})"
            for v, lo, hi, n in zip(g["value"], g["ci_low"], g["ci_high"], g["n"], strict=True)
        ]
    )
    wide = cells.pivot(index="group", columns="year", values="cell")
    order = [cycle.GROUP_LOW, cycle.GROUP_HARD, cycle.GROUP_LEADER, cycle.GROUP_OTHER]
    order.append(cycle.GROUP_GAP)
    wide = wide.reindex([o for o in order if o in wide.index]).fillna("—")
    wide.columns = [str(int(c)) for c in wide.columns]
    return wide.reset_index().rename(columns={"group": "Группа ОО"})


def group_dynamics_text(res: Results) -> str:
    """How to read the group dynamics, and what the leader–ШНОР gap did (plain Russian)."""
    g = _t(res, GROUP_DYNAMICS)
    base = (
        "Для каждой группы — среднее по её школам (каждая школа считается один раз) и в "
        "скобках 95 % интервал; группа школы — её статус в том же году, поэтому состав групп "
        "меняется, когда школы входят в ШНОР и выходят из него. «Разрыв: лидеры − ШНОР» — "
        "разница средних школ-лидеров и ШНОР (задача «сокращение разрыва»): для баллов и "
        "отметок разрыв положительный, для доли результатов ниже минимума — отрицательный; "
        "сокращение разрыва — движение к нулю. Если интервалы двух лет перекрываются, "
        "изменение разрыва может быть случайным."
    )
    if g.empty:
        return base + " Сейчас данных для групп нет."
    gap = g[(g["group"] == cycle.GROUP_GAP) & (g["indicator"] == "C1-2")].sort_values("year")
    if len(gap) >= 2:
        first, last = gap.iloc[0], gap.iloc[-1]
        closer = abs(last["value"]) < abs(first["value"])
        overlap = not (last["ci_high"] < first["ci_low"] or last["ci_low"] > first["ci_high"])
        base += (
            f" Разрыв по средней отметке ВПР 5–6 кл. в {int(first['year'])} г. — "
            f"{fmt_number(first['value'], 2)}, в {int(last['year'])} г. — "
            f"{fmt_number(last['value'], 2)}: "
            + ("сократился" if closer else "не сократился")
            + (" (интервалы перекрываются: изменение может быть случайным)." if overlap else ".")
        )
    return base


# ------------------------------------------------------------------------------ follow-up, forms


def follow_up_table(res: Results) -> pd.DataFrame:
    """Last year's management decisions: due or not, the control indicator then and now."""
    f = _t(res, FOLLOW_UP)
    if f.empty:
        return pd.DataFrame()
    names = _names(res)
    due = _flag(f["due"]).map({True: "да", False: "нет"})
    return pd.DataFrame(
        {
            "Решение": f["item_id"],
            "ОО": f["school_id"].fillna("").astype(str).map(lambda s: names.get(s, s) or "УО"),
            "Показатель": f["control_indicator"],
            "Срок": f["deadline"],
            "Срок наступил": due.fillna("—"),
            "Год назад": f["previous_value"].map(lambda v: fmt_number(v, 1)),
            "Сейчас [95 % интервал]": [
                _ci(v, lo, hi, 1)
                for v, lo, hi in zip(f["current_value"], f["ci_low"], f["ci_high"], strict=True)
            ],
            "Изменение": f["moved"],
        }
    )


def crosscheck_table(res: Results) -> pd.DataFrame:
    """Forms against the computed lists: only the mismatches."""
    c = _t(res, FORMS_CROSSCHECK)
    if c.empty:
        return pd.DataFrame()
    c = c[c["status"] == cycle.CHECK_MISMATCH]
    names = _names(res)
    return pd.DataFrame(
        {
            "Проверка": c["text"],
            "ОО": c["unit"]
            .astype(str)
            .map(lambda s: names.get(s, "муниципалитет" if s == "municipality" else s)),
            "По форме": c["form_value"].map(lambda v: fmt_number(v, 0)),
            "По расчёту": c["computed_value"].map(lambda v: fmt_number(v, 0)),
        }
    ).reset_index(drop=True)
