"""A card per school: what the УО sends a director «в форме информационного письма».

All cards of a municipality are built in ONE pass from the published tables (no notebook
kernel per card): every table is split by school once, each card is a dict of already
formatted Russian strings, and one Jinja2 template (``templates/card/``) renders it with
autoescaping (school names and recommendation texts come from inputs). The cards are
written to ``outputs/<m>/<year>/schools/<school_id>.html`` (and ``.pdf``, printed by
headless Chromium through :mod:`shnor_lib.report.pdf`) inside the same staged folder as
the report, so they are published together with it or not at all.

A block whose table has no row for the school is replaced by one line saying so; values
from fewer than ``min_group_size`` people are never shown (the published tables are already
suppressed; a small school's indicators fall back to the window pooled over the years,
``indicators_pooled``). Teachers appear as counts per deficit level only, never by name.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shnor_lib.fmt import MISSING, fmt_number
from shnor_lib.report.sections.spravka import CONTROL_LABELS
from shnor_lib.tables import (
    INDICATORS,
    INDICATORS_POOLED,
    MIN_SCORES_WINDOW,
    OBJECTIVITY,
    OBJECTIVITY_EXCLUSIONS,
    PAIRS,
    PAIRS_UNPAIRED,
    RECOMMENDATIONS,
    RESULTS_INDEX,
    RISK_LEVELS,
    SCHOOLS,
    SOCIAL_INDEX,
    SOCIAL_MODEL,
    STATUS_HISTORY,
    TEACHERS_BY_SCHOOL,
)

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "card"
CARDS_DIR = "schools"  # outputs/<m>/<year>/schools/
MANAGEMENT_DECISIONS = "management_decisions"  # written by the справка (may be absent)
RISK_PROFILE_TABLES = ("risk_profile", RISK_LEVELS)  # the first one published is shown
SMALL = "н/д (мало участников)"
SMALL_TEACHERS = "н/д (мало педагогов)"
MINUS = "\u2212"
STATUS_YEARS = 3

# The key indicators of a card (school level), in this order; labels beside the ids.
KEY_INDICATORS: tuple[tuple[str, str, int], ...] = (
    ("c1_1_ege_mean_rus", "ЕГЭ, русский язык: средний балл", 1),
    ("c1_1_ege_mean_math_profile", "ЕГЭ, математика (профиль): средний балл", 1),
    ("gia9_grades_4_5_share", "ГИА-9: доля отметок «4» и «5», %", 1),
    ("ege_80_100_share", "ЕГЭ: доля результатов 80–100 баллов, %", 1),
    ("c1_2_vpr_mean_g5_rus", "ВПР, 5 кл., русский язык: средняя отметка", 2),
    ("c1_2_vpr_mean_g5_math", "ВПР, 5 кл., математика: средняя отметка", 2),
    ("c1_2_vpr_mean_g6_rus", "ВПР, 6 кл., русский язык: средняя отметка", 2),
    ("c1_2_vpr_mean_g6_math", "ВПР, 6 кл., математика: средняя отметка", 2),
    ("vpr4_passed_all_share", "ВПР, 4 кл.: доля справившихся со всеми работами, %", 1),
    ("vpr_confirm_rus_share", "ВПР, русский язык: отметка подтверждена журналом, %", 1),
    ("vpr_confirm_math_share", "ВПР, математика: отметка подтверждена журналом, %", 1),
)
STATUS_LABELS = (
    ("low_results", "ШНОР"),
    ("hard_context", "ШССУ"),
    ("leader", "Школа-лидер"),
    ("risk_group", "Группа риска"),
    ("resilient", "Резильентная"),
)
RI_COMPONENTS = ("gia_below_min", "ege_mean", "oge_mean_mark", "vpr_mean_mark", "vpr4_mean_mark")
TEACHER_LEVELS = ("a", "b", "c", "d")
CHECK_RU = {
    "share_4_5": "доля «4»–«5» выше ожидаемой",
    "mean_mark": "средняя отметка выше ожидаемой",
    "heaping_3": "скопление баллов на пороге «3»",
    "journal_confirmed": "расхождение с журналом (подтверждение)",
    "journal_raised": "расхождение с журналом (завышение)",
    "federal_list": "перечень Рособрнадзора",
}
# Columns of a risk profile table shown on the card, in this order (those present).
RISK_COLUMNS = {  # the factor's group is left to the report: one line a factor on the card
    "factor_name": "Фактор",
    "value": "Значение",
    "level": "Уровень риска",
    "note": "Примечание",
}
# levels listed in the table; the others in one line (a card fits two pages)
RISK_SHOWN = ("высокий",)
DECISION_COLUMNS = {
    "decision": "Решение",
    "owner": "Ответственный",
    "deadline": "Срок",
    "control_indicator": "Контрольный показатель",
    "control_value": "Текущее значение",
    "target_value": "Целевое значение",
}


# Formatting ---------------------------------------------------------------------------------
def num(x: Any, decimals: int = 1) -> str:
    """A number in Russian format with the true minus «−»; missing → «—»."""
    return fmt_number(x, decimals).replace("-", MINUS)


def interval(value: Any, lo: Any, hi: Any, decimals: int = 1) -> str:
    """``75,3 [70,1; 80,2]`` (the interval omitted when it is missing)."""
    if _missing(value):
        return MISSING
    if _missing(lo) or _missing(hi):
        return num(value, decimals)
    return f"{num(value, decimals)} [{num(lo, decimals)}; {num(hi, decimals)}]"


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _yes_no(x: Any) -> str:
    if _missing(x):
        return MISSING
    if isinstance(x, str):
        x = x.strip().lower() in {"true", "1", "да"}
    return "да" if bool(x) else "нет"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _text(x: Any) -> str:
    return "" if _missing(x) else str(x)


# Splitting the tables by school (one pass) --------------------------------------------------
Row = dict[str, Any]


def _by_school(frame: pd.DataFrame | None, column: str = "school_id") -> dict[str, list[Row]]:
    """A table's rows as plain dicts, grouped by school: the cards then read plain Python
    (a pandas filter per card and block cost seconds for a municipality)."""
    if frame is None or frame.empty or column not in frame:
        return {}
    out: dict[str, list[Row]] = {}
    ids = frame[column].astype("string").tolist()
    for sid, row in zip(ids, frame.to_dict("records"), strict=True):
        if not _missing(sid):
            out.setdefault(str(sid), []).append(row)
    return out


@dataclass
class Sources:
    """The published tables split by school once, for every card."""

    tables: Mapping[str, pd.DataFrame]
    year: int
    min_n: int
    years: list[int] = field(default_factory=list)
    split: dict[str, dict[str, list[Row]]] = field(default_factory=dict)

    def rows(self, table: str, school_id: str, column: str = "school_id") -> list[Row]:
        key = f"{table}:{column}"
        if key not in self.split:
            self.split[key] = _by_school(self.tables.get(table), column)
        return self.split[key].get(school_id, [])

    @property
    def model_terms(self) -> list[Row]:
        """The ИСБ model's characteristics (the same for every school)."""
        model = self.tables.get(SOCIAL_MODEL)
        if model is None or model.empty or "weight" not in model:
            return []
        return model.to_dict("records")


# The blocks of a card -----------------------------------------------------------------------
def _statuses(src: Sources, sid: str) -> dict[str, Any]:
    hist = sorted(
        (r for r in src.rows(STATUS_HISTORY, sid) if r["year"] <= src.year),
        key=lambda r: r["year"],
    )[-STATUS_YEARS:]
    if not hist:
        return {}
    resilient: dict[int, Any] = {}
    for r in src.rows(SOCIAL_INDEX, sid):
        flags = [r.get(c) for c in ("resilient_strict", "resilient_contextual")]
        known = [f for f in flags if not _missing(f)]
        resilient[int(r["year"])] = any(_yes_no(f) == "да" for f in known) if known else None
    years = [int(r["year"]) for r in hist]
    rows = []
    for col, label in STATUS_LABELS:
        if col == "resilient":
            cells = [_yes_no(resilient.get(y)) for y in years]
        elif col in hist[0]:
            cells = [_yes_no(r[col]) for r in hist]
        else:
            continue
        rows.append({"label": label, "cells": cells})
    return {"years": years, "rows": rows}


def _indicator_value(row: Row | None, pooled: Row | None, decimals: int) -> dict:
    if row is not None and not _missing(row.get("value")):
        return {
            "value": interval(row["value"], row.get("ci_low"), row.get("ci_high"), decimals),
            "n": num(row.get("n"), 0),
            "basis": str(int(row["year"])),
        }
    if pooled is not None and not _missing(pooled.get("value")):
        first, last = int(pooled["year_first"]), int(pooled["year_last"])
        span = f"{first}–{last}" if first != last else f"{first}"
        return {
            "value": interval(
                pooled["value"], pooled.get("ci_low"), pooled.get("ci_high"), decimals
            ),
            "n": num(pooled.get("n"), 0),
            "basis": f"{span}*",
        }
    return {"value": SMALL, "n": MISSING, "basis": MISSING}


def _indicators(src: Sources, sid: str) -> list[dict]:
    this_year = {r["indicator_id"]: r for r in src.rows(INDICATORS, sid) if r["year"] == src.year}
    pooled = {r["indicator_id"]: r for r in src.rows(INDICATORS_POOLED, sid)}
    out = []
    window = src.rows(MIN_SCORES_WINDOW, sid)
    if window:
        r = window[0]
        small = _missing(r.get("share"))
        out.append(
            {
                "label": "ГИА: доля результатов ниже минимального балла, % (за окно лет)",
                "value": SMALL
                if small
                else interval(r["share"], r.get("ci_low"), r.get("ci_high")),
                "n": num(r.get("n"), 0),
                "basis": f"{min(src.years)}–{max(src.years)}" if src.years else MISSING,
            }
        )
    for iid, label, decimals in KEY_INDICATORS:
        row, prow = this_year.get(iid), pooled.get(iid)
        if row is None and prow is None:
            continue
        out.append({"label": label, **_indicator_value(row, prow, decimals)})
    return out


def _first(rows: list[Row], column: str, value: Any) -> Row | None:
    return next((r for r in rows if r.get(column) == value), None)


def _index_block(src: Sources, sid: str) -> dict[str, Any]:
    from shnor_lib.methods.results_index import COMPONENT_LABELS

    ri = _first(src.rows(RESULTS_INDEX, sid), "year", src.year)
    soc = _first(src.rows(SOCIAL_INDEX, sid), "year", src.year)
    block: dict[str, Any] = {"results": {}, "social": {}}
    if ri is not None:
        comps = []
        for c in RI_COMPONENTS:
            scaled, raw = ri.get(f"{c}_scaled"), ri.get(f"{c}_value")
            if _missing(scaled) and _missing(raw):
                continue
            comps.append(
                {
                    "label": COMPONENT_LABELS.get(c, c),
                    "value": num(raw, 2),
                    "scaled": num(scaled, 2),
                }
            )
        block["results"] = {
            "value": num(ri.get("results_index"), 2),
            "quartile": num(ri.get("results_quartile"), 0),
            "level": _text(ri.get("results_level")),
            "reason": _text(ri.get("no_index_reason")),
            "components": comps,
        }
    if soc is not None:
        terms = [
            {
                "label": _text(r.get("label")) or _text(r.get("term")),
                "weight": num(r.get("weight"), 2),
                "sign": "повышает" if (r.get("sign") or 0) > 0 else "снижает",
            }
            for r in src.model_terms
        ]
        block["social"] = {
            "value": num(soc.get("social_index"), 2),
            "quartile": num(soc.get("social_quartile"), 0),
            "level": _text(soc.get("social_level")),
            "main_factor": _text(soc.get("main_factor")),
            "reason": _text(soc.get("no_social_reason")),
            "terms": terms,
        }
    return block


def _expected(school: Row) -> dict[str, str]:
    if _missing(school.get("expected_result")) or _missing(school.get("results_index")):
        return {}
    return {
        "actual": num(school.get("results_index"), 2),
        "expected": num(school.get("expected_result"), 2),
        "residual": interval(
            school.get("residual"), school.get("residual_ci_low"), school.get("residual_ci_high"), 2
        ),
        "verdict": _text(school.get("vs_expected")),
    }


def _grade(x: Any) -> str:
    return MISSING if _missing(x) else f"{int(float(x))} кл."


def _units(rows: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    """(year, reason, unit) rows as one line per year and reason: a school with many
    excluded classes still takes a few lines of the letter."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for year, reason, unit in rows:
        grouped.setdefault((year, reason), [])
        if unit not in grouped[(year, reason)]:
            grouped[(year, reason)].append(unit)
    return [
        {"year": y, "reason": r, "unit": "; ".join(units), "count": str(len(units))}
        for (y, r), units in grouped.items()
    ]


def _unit(r: Row) -> str:
    unit = _text(r.get("procedure"))
    if not _missing(r.get("grade")):
        unit += f", {_grade(r['grade'])}, {_text(r.get('subject'))}"
    return unit


def _sort_key(*cols: str):
    return lambda r: tuple((_missing(r.get(c)), str(r.get(c))) for c in cols)


def _in_window(src: Sources, rows: list[Row]) -> list[Row]:
    """Rows of the analysis window only (the one window every count of exclusions uses)."""
    years = set(src.years) or {src.year}
    return [r for r in rows if not _missing(r.get("year")) and int(r["year"]) in years]


def _objectivity(src: Sources, sid: str) -> dict[str, list[dict]]:
    excl = sorted(
        _in_window(src, src.rows(OBJECTIVITY_EXCLUSIONS, sid)),
        key=_sort_key("year", "grade", "subject"),
    )
    excluded = _units([(str(int(r["year"])), _text(r.get("reason")), _unit(r)) for r in excl])
    flags = [
        r
        for r in _in_window(src, src.rows(OBJECTIVITY, sid))
        if _yes_no(r.get("flagged")) == "да" and _yes_no(r.get("excluded")) != "да"
    ]
    flags.sort(key=_sort_key("year", "check", "grade", "subject"))
    flagged = _units(
        [
            (str(int(r["year"])), CHECK_RU.get(r.get("check"), _text(r.get("check"))), _unit(r))
            for r in flags
        ]
    )
    if not excluded and not flagged:
        return {}
    return {"excluded": excluded, "flagged": flagged}


def _risks(src: Sources, sid: str) -> dict[str, Any]:
    for name in RISK_PROFILE_TABLES:
        rows = src.rows(name, sid)
        if not rows:
            continue
        cols = [c for c in RISK_COLUMNS if c in rows[0]]
        body, other = [], []
        for r in rows:
            if "level" in r and str(r["level"]) not in RISK_SHOWN and "factor_name" in r:
                other.append(f"{_text(r['factor_name'])} — {_text(r['level'])}")
                continue
            body.append([num(r[c], 2) if isinstance(r[c], float) else _text(r[c]) for c in cols])
        return {"header": [RISK_COLUMNS[c] for c in cols], "rows": body, "other": other}
    return {}


def _teachers(src: Sources, sid: str) -> dict[str, Any]:
    t = [r for r in src.rows(TEACHERS_BY_SCHOOL, sid) if r["year"] == src.year]
    levels = []
    assessed = None
    for lvl in TEACHER_LEVELS:
        row = _first(t, "indicator_id", f"teacher_level_{lvl}_share")
        if row is None:
            continue
        assessed = row.get("n")
        small = _missing(row.get("numerator")) or _missing(assessed) or assessed < src.min_n
        levels.append(
            {
                "level": lvl.upper(),
                "count": SMALL_TEACHERS if small else num(row["numerator"], 0),
            }
        )
    if not levels:
        return {}
    return {"levels": levels, "assessed": num(assessed, 0)}


def _partner(src: Sources, sid: str, names: Mapping[str, str]) -> dict[str, Any]:
    out: list[dict[str, str]] = []
    for col, other, role in (
        ("low_results_school_id", "leader_school_id", "школа-лидер (наставник)"),
        ("leader_school_id", "low_results_school_id", "подопечная ШНОР"),
    ):
        for r in src.rows(PAIRS, sid, col):
            pid = _text(r.get(other))
            out.append(
                {
                    "role": role,
                    "name": names.get(pid, pid),
                    "model": _text(r.get("model")),
                    "distance": num(r.get("social_distance"), 2),
                }
            )
    unpaired = src.rows(PAIRS_UNPAIRED, sid, "low_results_school_id")
    reason = "; ".join(
        (f"{_text(r.get('model'))} модель — " if _text(r.get("model")) else "")
        + _text(r.get("reason"))
        for r in unpaired
        if _text(r.get("reason"))
    )
    if not out and not reason:
        return {}
    return {"pairs": out, "unpaired": reason}


def _decision_cell(column: str, value: Any) -> str:
    """A management decision's cell as the справка prints it: the control indicator by its
    Russian name, the deadline as a Russian date."""
    if column == "control_indicator":
        return CONTROL_LABELS.get(_text(value), _text(value))
    if column == "deadline" and not _missing(value):
        return pd.Timestamp(str(value)).strftime("%d.%m.%Y")
    return num(value, 2) if isinstance(value, float) else _text(value)


# A card is a letter of one or two A4 pages: it carries the first recommendations in the
# order the rules give them (the most pressing first) and says how many more the report has.
CARD_RECOMMENDATIONS = 6


def _recommendations(src: Sources, sid: str) -> dict[str, Any]:
    items = []
    rows = src.rows(RECOMMENDATIONS, sid)
    more = max(0, len(rows) - CARD_RECOMMENDATIONS)
    for r in rows[:CARD_RECOMMENDATIONS]:
        items.append(
            {
                "addressee": _text(r.get("addressee")),
                "kind": _text(r.get("kind")),
                "text": _text(r.get("text")),
                "evidence": _text(r.get("evidence")),
                "deadline": _text(r.get("deadline")),
                "control": _text(r.get("control_indicator")),
            }
        )
    dec = src.rows(MANAGEMENT_DECISIONS, sid)
    cols = [c for c in DECISION_COLUMNS if dec and c in dec[0]]
    decisions = [[_decision_cell(c, r[c]) for c in cols] for r in dec]
    if not items and not decisions:
        return {}
    groups: dict[str, list[dict[str, str]]] = {}
    for item in items:
        groups.setdefault(item["addressee"] or "ОО", []).append(item)
    return {
        "recs": items,
        "more": more,
        "groups": [{"addressee": _upper_first(k), "recs": v} for k, v in groups.items()],
        "has_deadline": any(i["deadline"] or i["control"] for i in items),
        "decisions": {"header": [DECISION_COLUMNS[c] for c in cols], "rows": decisions},
    }


# The cards ----------------------------------------------------------------------------------
def build_cards(tables: Mapping[str, pd.DataFrame], params: Any) -> list[dict[str, Any]]:
    """Every school's card as a dict of formatted strings (template context), by school id."""
    src = Sources(
        tables=tables,
        year=int(params.year),
        min_n=int(params.min_group_size),
        years=[int(y) for y in params.years],
    )
    frame = tables.get(SCHOOLS)
    if frame is None or frame.empty:
        return []
    schools = sorted(
        ({**r, "school_id": str(r["school_id"])} for r in frame.to_dict("records")),
        key=lambda r: r["school_id"],
    )
    names = {r["school_id"]: _text(r.get("school_name")) for r in schools}
    cards = []
    for school in schools:
        sid = school["school_id"]
        cards.append(
            {
                "school_id": sid,
                "name": _text(school.get("school_name")) or sid,
                "locality": _text(school.get("locality")),
                "school_type": _text(school.get("school_type")),
                "students": num(school.get("students_total"), 0),
                "statuses": _statuses(src, sid),
                "indicators": _indicators(src, sid),
                "index": _index_block(src, sid),
                "expected": _expected(school),
                "objectivity": _objectivity(src, sid),
                "risks": _risks(src, sid),
                "top_risks": _text(school.get("top_risks")),
                "teachers": _teachers(src, sid),
                "partner": _partner(src, sid, names),
                "recommendations": _recommendations(src, sid),
            }
        )
    return cards


def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render_html(cards: list[dict[str, Any]], params: Any) -> dict[str, str]:
    """school_id → the card's HTML (one template, compiled once)."""
    env = _environment()
    template = env.get_template("card.html.j2")
    css = (TEMPLATE_DIR / "card.css").read_text("utf-8")
    common = {
        "title": _text(params.title),
        "year": int(params.year),
        "min_n": int(params.min_group_size),
        "css": css,
    }
    return {c["school_id"]: template.render(card=c, **common) for c in cards}


@dataclass
class CardsResult:
    """What :func:`write_cards` produced (for the console and the bench)."""

    html: int = 0
    pdf: int = 0
    note: str = ""
    seconds_html: float = 0.0
    seconds_pdf: float = 0.0


def pdf_mode(params: Any) -> str:
    """``report.cards_pdf`` as auto | true | false (YAML booleans accepted)."""
    report = getattr(params, "report", None)
    value = getattr(report, "cards_pdf", "auto") if report is not None else "auto"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_cards(tables: Mapping[str, pd.DataFrame], params: Any, out_dir: Path) -> CardsResult:
    """Write every card into ``out_dir/schools/`` (``out_dir``: the staged year folder).

    The folder is rebuilt from scratch, so a school that left the list leaves no stale card.
    PDFs follow ``report.cards_pdf``: ``auto`` prints them when Chromium is found (else a
    Russian note), ``true`` requires it, ``false`` skips them."""
    import shutil

    from shnor_lib.report import pdf

    result = CardsResult()
    t0 = time.perf_counter()
    target = Path(out_dir) / CARDS_DIR
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    cards = build_cards(tables, params)
    pages = render_html(cards, params)
    paths = []
    for sid, html in pages.items():
        path = target / f"{_safe_name(sid)}.html"
        path.write_text(html, "utf-8")
        paths.append(path)
    result.html = len(paths)
    result.seconds_html = time.perf_counter() - t0
    mode = pdf_mode(params)
    browser = pdf.find_browser() if mode != "false" and paths else None
    if mode == "true" and browser is None:
        from shnor_lib.errors import EnvironmentProblem

        raise EnvironmentProblem(pdf.NO_BROWSER_RU, pdf.NO_BROWSER_EN)
    if mode == "auto" and browser is None and paths:
        result.note = pdf.NO_BROWSER_RU
    if browser is not None:
        t1 = time.perf_counter()
        pdf.print_many(browser, [(p, p.with_suffix(".pdf")) for p in paths])
        result.pdf = len(paths)
        result.seconds_pdf = time.perf_counter() - t1
    (target / "index.html").write_text(_index_html(cards, params, result), "utf-8")
    return result


def _status_line(card: dict[str, Any]) -> str:
    """The reporting year's statuses of a card, e.g. «ШНОР, ШССУ» (or «—»)."""
    st = card.get("statuses") or {}
    if not st.get("years") or st["years"][-1] is None:
        return MISSING
    on = [row["label"] for row in st["rows"] if row["cells"] and row["cells"][-1] == "да"]
    return ", ".join(on) or "—"


def _index_html(cards: list[dict[str, Any]], params: Any, result: CardsResult) -> str:
    """schools/index.html: every card of the municipality, linked (HTML and PDF)."""
    env = _environment()
    rows = [
        {
            "school_id": c["school_id"],
            "name": c["name"],
            "status": _status_line(c),
            "href": f"{_safe_name(c['school_id'])}.html",
            "pdf": f"{_safe_name(c['school_id'])}.pdf",
        }
        for c in cards
    ]
    return env.get_template("index.html.j2").render(
        cards=rows,
        title=_text(params.title),
        year=int(params.year),
        css=(TEMPLATE_DIR / "card.css").read_text("utf-8"),
        pdf=result.pdf > 0,
        note=result.note,
    )


# the tables a card reads (``load_tables`` reads only these)
CARD_TABLES = (
    SCHOOLS,
    STATUS_HISTORY,
    INDICATORS,
    INDICATORS_POOLED,
    MIN_SCORES_WINDOW,
    RESULTS_INDEX,
    SOCIAL_INDEX,
    SOCIAL_MODEL,
    OBJECTIVITY,
    OBJECTIVITY_EXCLUSIONS,
    *RISK_PROFILE_TABLES,
    TEACHERS_BY_SCHOOL,
    PAIRS,
    PAIRS_UNPAIRED,
    RECOMMENDATIONS,
    MANAGEMENT_DECISIONS,
)


# the columns read of the large tables (the others: all columns)
CARD_COLUMNS = {
    OBJECTIVITY: (
        "school_id",
        "year",
        "procedure",
        "grade",
        "subject",
        "check",
        "flagged",
        "excluded",
    ),
    INDICATORS: ("indicator_id", "level", "school_id", "year", "value", "ci_low", "ci_high", "n"),
}


def load_tables(tables_dir: Path) -> dict[str, pd.DataFrame]:
    """The published tables the cards read (those present), as :func:`publish.read_csv` gives."""
    from shnor_lib.io import publish

    out = {}
    for name in CARD_TABLES:
        path = Path(tables_dir) / f"{name}.csv"
        if path.exists():
            out[name] = publish.read_csv(path, columns=CARD_COLUMNS.get(name))
    return out


def publish_cards(params: Any, staged_year_dir: Path) -> CardsResult:
    """The cards of ``params``' municipality into the staged year folder of the report run
    (the tables as this run wrote them, else as published)."""
    from shnor_lib.io import atomic

    base = atomic.current(params.output_dir(), "tables")
    return write_cards(load_tables(base / "tables"), params, staged_year_dir)


def _safe_name(school_id: str) -> str:
    """A school id as a file name: ids are codes, but a hostile one must not leave the folder."""
    import re

    clean = re.sub(r"[^0-9A-Za-zА-Яа-яЁё_.-]", "_", school_id).lstrip(".")
    return clean or "_"


def card_href(school_id: str) -> str:
    """The link to a card from the year folder (report.html sits beside ``schools/``)."""
    return f"{CARDS_DIR}/{_safe_name(str(school_id))}.html"


class _Html:
    """Raw HTML for the notebook (``_repr_html_``): the report's list of cards."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:  # the notebook's text/plain: no memory address (determinism)
        return "Карточки школ"


def report_links(res: Any) -> _Html:
    """The report's «Карточки школ» list: every school, its statuses, links to its card
    (``schools/<id>.html`` and ``.pdf`` beside report.html, written by the same run)."""
    from html import escape

    tables = getattr(res, "tables", {}) or {}
    schools = tables.get(SCHOOLS)
    if schools is None or schools.empty:
        return _Html('<p class="shnor-empty">Карточек нет: нет перечня ОО.</p>')
    from shnor_lib.report import pdf

    params = getattr(res, "params", None)
    # the cards are printed after the notebook, by this run: PDFs exist when it can print
    with_pdf = pdf_mode(params) != "false" and pdf.find_browser() is not None
    items = []
    for r in schools.sort_values("school_id").to_dict("records"):
        sid = str(r["school_id"])
        flags = [label for col, label in STATUS_LABELS if col in r and _yes_no(r[col]) == "да"]
        status = f" — {', '.join(flags)}" if flags else ""
        href = escape(card_href(sid), quote=True)
        items.append(
            f'<li><a href="{href}">{escape(_text(r.get("school_name")) or sid)}</a>'
            f"{escape(status)}"
            + (f' (<a href="{href[:-5]}.pdf">PDF</a>)' if with_pdf else "")
            + "</li>"
        )
    return _Html(
        "<p>Карточка школы — информационное письмо руководителю ОО на одну-две страницы A4: "
        "статусы, ключевые показатели с интервалами, ИОР и ИСБ, объективность, риски, "
        "дефициты педагогов, школа-партнёр и рекомендации. "
        f'<a href="{CARDS_DIR}/index.html">Все карточки</a>.'
        + (
            ""
            if with_pdf
            else " PDF не создаются: нет браузера Chromium или report.cards_pdf: false."
        )
        + "</p>\n"
        '<ul class="shnor-cards">' + "".join(items) + "</ul>"
    )
