"""Monitoring forms of seed 001 and their scores (docs/methods.md M7; docs/data_contract.md).

The forms are the user's interface: ``shnor forms`` writes blank Excel workbooks (one per
block of seed 001: methodical help, МНЦ, МТКП, and the roadmap), the authority sends them
out, and the filled workbooks placed in ``data/raw/<m>/forms/`` are read and validated by
ingest (:mod:`shnor_lib.io.forms_read`, so ``shnor validate`` reports a broken form with the
other input problems). This module only scores the parsed forms it is given
(:class:`~shnor_lib.io.forms_read.FormsData`, from the ingest result): no file is read here.

Item definitions (ids, seed wording, kinds, indicator grouping, the seed's printed ranges)
live in ``shnor_lib/data/forms.yml``, not in this code.

Layouts (rows are 1-based sheet rows):

- «Методическая помощь» (``help``): one row per item as in the seed — № п/п, wording,
  «Баллы (наличие — 1, отсутствие — 0)», «Количественные показатели», item code. The cell
  that does not apply is grey with «*» (the seed's asterisk).
- «МНЦ», «МТКП» (``units``): one row per assessed unit (mentor × ШНОР management team;
  tutor × teacher), identified by pseudonymous codes and the school_id, one 0/1 column per
  sub-item. Rows 1–3: titles and wording; row 4: machine codes; data from row 5.
- «Дорожная карта» (``events``): the ``roadmap`` table contract (event_id, title, level,
  form, due, responsible, done, published_url). Row 2: Russian headers; row 3: codes; data
  from row 4.

Every workbook also has an «Инструкция» sheet with the municipality and the reporting year;
a filled form whose year differs from the reporting year is set aside with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from shnor_lib.errors import Problem, ValidationError
from shnor_lib.io.forms_spec import SCORED_BLOCKS, FormsData, load_forms, range_notes
from shnor_lib.io.personal import mask_names

SUPPORT_COLUMNS = [
    "block",
    "indicator_id",
    "unit",
    "score",
    "max_score",
    "share_of_max",
    "level",
    "school_id",
    "n",
    "score_kind",
    "name_ru",
    "seed_max",
    "report_date",
]


ROADMAP_SUMMARY_COLUMNS = [
    "report_date",
    "source",
    "n_events",
    "n_due",
    "n_done_by_date",
    "completeness",
    "n_done",
    "n_on_time",
    "n_done_late",
    "timeliness",
    "n_overdue",
    "n_not_yet_due",
    "n_published",
]


OVERDUE_COLUMNS = [
    "event_id",
    "title",
    "level",
    "form",
    "responsible",
    "due",
    "done",
    "status",
    "days_late",
]


STATUS_OVERDUE = "не выполнено, срок истёк"


STATUS_LATE = "выполнено с опозданием"


# Russian headers and sheet names of the published tables (to merge into publish.RU_HEADERS
# and publish.SHEET_NAMES); the support.csv contract columns are already there.
RU_HEADERS = {
    "score_kind": "Тип значения",
    "name_ru": "Наименование",
    "seed_max": "Максимум в форме 001",
    "report_date": "Дата отчёта",
    "event_id": "Номер мероприятия",
    "title": "Мероприятие",
    "form": "Форма проведения",
    "responsible": "Ответственный",
    "due": "Срок исполнения",
    "done": "Дата выполнения",
    "status": "Состояние",
    "days_late": "Просрочка, дней",
    "section": "Раздел отчёта",
    "note_kind": "Вид примечания",
    "note_ru": "Примечание",
    "n_teachers": "Педагогов",
    "n_assessed": "Педагогов с оценкой",
    "n_a": "Уровень A",
    "n_b": "Уровень B",
    "n_c": "Уровень C",
    "n_d": "Уровень D",
    "share_a": "Доля A, %",
    "share_b": "Доля B, %",
    "share_c": "Доля C, %",
    "share_d": "Доля D, %",
    "share_ab": "Доля A+B, %",
    "share_ab_ci_low": "Доля A+B: нижняя граница",
    "share_ab_ci_high": "Доля A+B: верхняя граница",
}


SHEET_NAMES = {
    "teachers_by_school": "Педагоги по ОО",
    "teachers_distribution": "Уровни дефицитов",
    "roadmap_overdue": "Дорожная карта: просрочка",
    "support_notes": "Примечания (кадры, помощь)",
}


# ---------------------------------------------------------------------------- scores
def _row(block: str, indicator_id: str, **kw: Any) -> dict[str, Any]:
    base = {c: np.nan for c in SUPPORT_COLUMNS}
    base.update(block=block, indicator_id=indicator_id, unit="municipality", level="municipality")
    base["school_id"] = pd.NA
    base["report_date"] = pd.NA
    base.update(kw)
    return base


def _share(score: float, max_score: float) -> float:
    if max_score is None or not np.isfinite(max_score) or max_score <= 0 or not np.isfinite(score):
        return np.nan
    return 100.0 * score / max_score


def help_scores(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Methodical help: presence items 0/1 (max 1), counts as counts, and the presence total."""
    if frame is None or frame.empty:
        return []
    block = load_forms()["help"]
    values = dict(zip(frame["item_id"], frame["value"], strict=True))
    rows = []
    for item in block.items:
        if item.id not in values:
            continue
        v = float(values[item.id])
        if item.kind == "presence":
            rows.append(
                _row(
                    "help",
                    item.id,
                    score=v,
                    max_score=1.0,
                    share_of_max=_share(v, 1.0),
                    n=1,
                    score_kind="presence",
                    name_ru=f"{item.num}. {item.text_ru}",
                )
            )
        else:
            rows.append(
                _row(
                    "help",
                    item.id,
                    score=v,
                    n=1,
                    score_kind="count",
                    name_ru=f"{item.num}. {item.text_ru}",
                )
            )
    presence = [it for it in block.items if it.kind == "presence" and it.id in values]
    if presence:
        total = float(sum(values[it.id] for it in presence))
        mx = float(len(presence))
        rows.append(
            _row(
                "help",
                "help_presence_total",
                score=total,
                max_score=mx,
                share_of_max=_share(total, mx),
                n=1,
                score_kind="total",
                name_ru="Сумма баллов по пунктам наличия (1–7, 13)",
            )
        )
    return rows


def unit_scores(frame: pd.DataFrame | None, block_key: str) -> pd.DataFrame:
    """Per assessed unit: the indicator sums and the block total (stays in memory)."""
    block = load_forms()[block_key]
    if frame is None or frame.empty:
        return pd.DataFrame()
    out = frame[[k for k in block.key_ids if k in frame]].copy()
    for ind in block.indicators:
        out[ind.id] = frame[[it.id for it in ind.items]].astype("float64").sum(axis=1)
    out[f"{block_key}_total"] = out[[i.id for i in block.indicators]].sum(axis=1)
    return out


def block_scores(frame: pd.DataFrame | None, block_key: str, min_n: int) -> list[dict[str, Any]]:
    """МНЦ / МТКП: «средний балл по показателю» over the assessed units and % of maximum;
    sub-item shares; the block total; per school with small-cell suppression (M11)."""
    block = load_forms()[block_key]
    units = unit_scores(frame, block_key)
    if units.empty:
        return []
    rows = []
    n = len(units)
    total_id = f"{block_key}_total"
    for ind in block.indicators:
        mean = float(units[ind.id].mean())
        rows.append(
            _row(
                block_key,
                ind.id,
                score=mean,
                max_score=float(ind.max_score),
                share_of_max=_share(mean, ind.max_score),
                n=n,
                score_kind="indicator",
                name_ru=f"{ind.num}. {ind.title_ru}",
                seed_max=np.nan if ind.seed_max is None else float(ind.seed_max),
            )
        )
        if len(ind.items) > 1:
            for item in ind.items:
                share = float(frame[item.id].astype("float64").mean())
                rows.append(
                    _row(
                        block_key,
                        item.id,
                        score=share,
                        max_score=1.0,
                        share_of_max=_share(share, 1.0),
                        n=n,
                        score_kind="sub_item",
                        name_ru=f"{item.num}. {item.text_ru}",
                    )
                )
    mean = float(units[total_id].mean())
    rows.append(
        _row(
            block_key,
            total_id,
            score=mean,
            max_score=float(block.max_total),
            share_of_max=_share(mean, block.max_total),
            n=n,
            score_kind="total",
            name_ru=f"Сумма баллов по показателям 1–{len(block.indicators)}",
        )
    )
    if "school_id" in units:
        for sid, grp in units.groupby("school_id", sort=True):
            k = len(grp)
            small = k < min_n
            for ind_id, mx, name in [
                *((i.id, i.max_score, f"{i.num}. {i.title_ru}") for i in block.indicators),
                (
                    total_id,
                    block.max_total,
                    f"Сумма баллов по показателям 1–{len(block.indicators)}",
                ),
            ]:
                mean = np.nan if small else float(grp[ind_id].mean())
                rows.append(
                    _row(
                        block_key,
                        ind_id,
                        unit=str(sid),
                        level="school",
                        school_id=str(sid),
                        score=mean,
                        max_score=float(mx),
                        share_of_max=_share(mean, mx),
                        n=k,
                        score_kind="total" if ind_id == total_id else "indicator",
                        name_ru=name,
                    )
                )
    return rows


def report_date(params) -> pd.Timestamp:
    """``support.report_date`` (ГГГГ-ММ-ДД) or 31 December of the reporting year."""
    value = params.support.report_date
    if value is None or (isinstance(value, str) and not value.strip()):
        return pd.Timestamp(int(params.year), 12, 31)
    d = _param_date(value)
    if d is None:
        raise ValidationError(
            [
                Problem(
                    getattr(params, "source", "<params>"),
                    "дата отчёта в формате ГГГГ-ММ-ДД (в кавычках) или null",
                    "a report date as YYYY-MM-DD (quoted) or null",
                    column="support.report_date",
                    value=value,
                    column_label=("параметр", "key"),
                )
            ]
        )
    return d


def _param_date(value: Any) -> pd.Timestamp | None:
    """A date param (a YAML date, «ГГГГ-ММ-ДД» or «ДД.ММ.ГГГГ»); None when it is not a date."""
    if hasattr(value, "year") and hasattr(value, "month"):
        return pd.Timestamp(value).normalize()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return pd.Timestamp(datetime.strptime(str(value).strip(), fmt))
        except ValueError:
            continue
    return None


def roadmap_status(roadmap: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Per event: due_by_date, done_by_date, on_time, late, overdue (events stay in memory)."""
    rm = roadmap.copy()
    due = pd.to_datetime(rm["due"], errors="coerce")
    done = (
        pd.to_datetime(rm["done"], errors="coerce")
        if "done" in rm
        else pd.Series(pd.NaT, index=rm.index)
    )
    rm["due"], rm["done"] = due, done
    done_by = done.notna() & (done <= when)
    rm["due_by_date"] = due <= when
    rm["done_by_date"] = done_by
    rm["on_time"] = done_by & (done <= due)
    rm["late"] = done_by & (done > due)
    rm["overdue"] = rm["due_by_date"] & ~done_by
    url = rm["published_url"] if "published_url" in rm else pd.Series(pd.NA, index=rm.index)
    rm["published"] = done_by & url.notna() & (url.astype("string").str.strip() != "")
    return rm


def roadmap_scores(
    roadmap: pd.DataFrame | None, when: pd.Timestamp, source: str
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    """Completeness, timeliness, overdue (M7): support rows, the summary, the late list."""
    if roadmap is None or roadmap.empty:
        return (
            [],
            pd.DataFrame(columns=ROADMAP_SUMMARY_COLUMNS),
            pd.DataFrame(columns=OVERDUE_COLUMNS),
        )
    rm = roadmap_status(roadmap, when)
    n_events = len(rm)
    n_due = int(rm["due_by_date"].sum())
    n_done_due = int((rm["due_by_date"] & rm["done_by_date"]).sum())
    n_done = int(rm["done_by_date"].sum())
    n_on_time = int(rm["on_time"].sum())
    n_late = int(rm["late"].sum())
    n_overdue = int(rm["overdue"].sum())
    n_future = int((~rm["due_by_date"]).sum())
    n_pub = int(rm["published"].sum())
    iso = when.strftime("%Y-%m-%d")
    summary = pd.DataFrame(
        [
            {
                "report_date": iso,
                "source": source,
                "n_events": n_events,
                "n_due": n_due,
                "n_done_by_date": n_done_due,
                "completeness": _share(n_done_due, n_due),
                "n_done": n_done,
                "n_on_time": n_on_time,
                "n_done_late": n_late,
                "timeliness": _share(n_on_time, n_done),
                "n_overdue": n_overdue,
                "n_not_yet_due": n_future,
                "n_published": n_pub,
            }
        ],
        columns=ROADMAP_SUMMARY_COLUMNS,
    )
    spec = [
        (
            "roadmap_completeness",
            n_done_due,
            n_due,
            "Полнота: выполнено мероприятий из тех, срок которых наступил",
        ),
        (
            "roadmap_timeliness",
            n_on_time,
            n_done,
            "Своевременность: выполнено в срок из выполненных",
        ),
        ("roadmap_overdue", n_overdue, n_due, "Просрочено (срок истёк, не выполнено)"),
        ("roadmap_done_late", n_late, n_done, "Выполнено с опозданием"),
        ("roadmap_published", n_pub, n_done, "Выполненные мероприятия со ссылкой на материалы"),
        ("roadmap_not_yet_due", n_future, n_events, "Срок ещё не наступил"),
    ]
    rows = [
        _row(
            "roadmap",
            ind,
            score=float(k),
            max_score=float(m),
            share_of_max=_share(k, m),
            n=n_events,
            score_kind="share",
            name_ru=name,
            report_date=iso,
        )
        for ind, k, m, name in spec
    ]
    late = rm[rm["overdue"] | rm["late"]].copy()
    late["status"] = np.where(late["overdue"], STATUS_OVERDUE, STATUS_LATE)
    end = late["done"].where(~late["overdue"], when)
    late["days_late"] = (end - late["due"]).dt.days.astype("int64")
    late["_o"] = late["overdue"].map({True: 0, False: 1})
    late = late.sort_values(["_o", "due", "event_id"])
    for c in OVERDUE_COLUMNS:
        if c not in late:
            late[c] = pd.NA
    late["due"] = late["due"].dt.strftime("%Y-%m-%d")
    late["done"] = late["done"].dt.strftime("%Y-%m-%d").where(late["done"].notna(), pd.NA)
    late["event_id"] = late["event_id"].astype(str)
    if "responsible" in late:
        late["responsible"] = late["responsible"].map(mask_names)
    return rows, summary, late[OVERDUE_COLUMNS].reset_index(drop=True)


def _same_roadmap(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    def norm(f: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "event_id": f["event_id"].astype(str).str.strip(),
                "title": f["title"].astype(str).str.strip(),
                "due": pd.to_datetime(f["due"], errors="coerce"),
                "done": pd.to_datetime(f.get("done"), errors="coerce") if "done" in f else pd.NaT,
            }
        )
        return out.sort_values("event_id").reset_index(drop=True)

    try:
        return norm(a).equals(norm(b))
    except (KeyError, TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------- stage
@dataclass
class SupportResult:
    """Published-ready tables of M7 (nothing finer than a school).

    - ``table``: SUPPORT_COLUMNS — publish as ``support.csv``;
    - ``roadmap``: one-row completeness/timeliness summary (ROADMAP_SUMMARY_COLUMNS);
    - ``overdue``: overdue and late roadmap events (OVERDUE_COLUMNS) — publish as
      ``roadmap_overdue.csv``;
    - ``notes``: Russian notes (method, the МНЦ indicator 3 range correction, «нет данных»);
    - ``warnings``: data-quality warnings (for the manifest's warnings);
    """

    table: pd.DataFrame
    roadmap: pd.DataFrame
    overdue: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=SUPPORT_COLUMNS)
    for c in ("score", "max_score", "share_of_max", "seed_max"):
        frame[c] = frame[c].astype("float64")
    frame["n"] = frame["n"].astype("Int64")
    for c in ("block", "indicator_id", "unit", "level", "score_kind", "name_ru"):
        frame[c] = frame[c].astype(object)
    return frame


def stage(forms: FormsData | None, data: dict[str, pd.DataFrame], params) -> SupportResult:
    """M7: score the filled forms parsed and validated by ingest (``forms``; None: none).

    The roadmap comes from the filled roadmap form when there is one, else from the
    ``roadmap`` table (``data["roadmap"]``); when both exist the form is used, with a
    warning if they differ.
    """
    when = report_date(params)
    forms = forms if forms is not None else FormsData()
    min_n = int(params.min_group_size)
    notes: list[str] = []
    warnings = list(forms.warnings)

    rows = help_scores(forms.help)
    if forms.help is None:
        notes.append(
            "Методическая помощь: нет данных (форма «Методическая помощь» не представлена)."
        )
    for key in SCORED_BLOCKS:
        frame = forms.get(key)
        rows += block_scores(frame, key, min_n)
        block = load_forms()[key]
        if frame is None or frame.empty:
            notes.append(
                f"{block.short_ru}: нет данных (форма «{block.sheet}» не представлена или не заполнена)."
            )
    if forms.mnc is not None and not forms.mnc.empty:
        notes += [n for n in range_notes() if n.startswith("МНЦ")]
    if forms.mtkp is not None and not forms.mtkp.empty:
        notes += [n for n in range_notes() if n.startswith("МТКП")]
    if (forms.mnc is not None and not forms.mnc.empty) or (
        forms.mtkp is not None and not forms.mtkp.empty
    ):
        notes.append(
            "Балл по показателю МНЦ/МТКП — сумма его подпунктов (наличие — 1, отсутствие — 0); "
            "«средний балл по показателю» — среднее по всем оценённым единицам формы (наставник "
            "и управленческая команда ШНОР; тьютор и педагог), также в % от максимума. Значения "
            f"по отдельной ОО публикуются, если по ней оценено не менее {min_n} единиц."
        )

    table_rm = data.get("roadmap")
    form_rm = forms.roadmap
    roadmap, source = None, ""
    if form_rm is not None and not form_rm.empty:
        roadmap = form_rm.drop(columns=["_row", "_file"], errors="ignore")
        source = "форма «Дорожная карта», " + ", ".join(forms.files.get("roadmap", []))
        if table_rm is not None and not table_rm.empty:
            if _same_roadmap(roadmap, table_rm):
                notes.append(
                    "Дорожная карта: таблица roadmap и форма «Дорожная карта» совпадают; "
                    "используется форма."
                )
            else:
                warnings.append(
                    "Дорожная карта: найдены и таблица roadmap (roadmap.csv/.xlsx), и форма "
                    "«Дорожная карта», они различаются; используется форма "
                    "(both the roadmap table and the roadmap form exist and differ; the form wins)"
                )
    elif table_rm is not None and not table_rm.empty:
        roadmap, source = table_rm, "таблица roadmap"
    rm_rows, summary, overdue = roadmap_scores(roadmap, when, source)
    rows += rm_rows
    if roadmap is None:
        notes.append("Дорожная карта: нет данных (ни таблица roadmap, ни форма не представлены).")
    else:
        notes.append(
            f"Дорожная карта — источник: {source}; дата отчёта {when.strftime('%d.%m.%Y')}. Полнота — доля "
            "выполненных к дате отчёта мероприятий среди тех, срок которых наступил; "
            "своевременность — доля выполненных не позже срока среди выполненных."
        )
    table = _table(rows)
    return SupportResult(
        table=table,
        roadmap=summary,
        overdue=overdue,
        notes=notes,
        warnings=warnings,
    )


NOTES_COLUMNS = ["section", "note_kind", "note_ru"]


def notes_table(
    result: SupportResult | None = None, teacher_notes: Sequence[str] = ()
) -> pd.DataFrame:
    """The notes of M6 (``teacher_notes``) and M7 as a small table (publish as
    ``support_notes.csv``) so the report shows them: section (teachers | support | roadmap),
    note_kind (info | data), note_ru."""
    rows = []
    for text in teacher_notes:
        kind = "data" if text.startswith("Качество данных") else "info"
        rows.append(("teachers", kind, text))
    if result is not None:
        for text in result.notes:
            section = "roadmap" if text.startswith("Дорожная карта") else "support"
            rows.append((section, "info", text))
        for text in result.warnings:
            section = "roadmap" if text.startswith("Дорожная карта") else "support"
            rows.append((section, "data", text))
    return pd.DataFrame(rows, columns=NOTES_COLUMNS)
