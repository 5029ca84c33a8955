"""Aggregated ФИС ОКО ВПР exports: «Статистика по отметкам» (Ф3) and «Сравнение отметок с
отметками по журналу».

Some municipalities receive no pupil rows (Ф1), only these per-group statistics. Both files
have title rows naming the procedure, year, subject and grade («ВПР 2026. Русский язык
4 класс», or «Всероссийские проверочные работы 2026 (4 класс)» plus «Предмет: Русский язык»),
a header row starting with «Группы участников», then one row (Ф3) or one block of rows
(journal comparison) per group: the whole sample, the region, the municipality, then the
schools. A school is recognised by its ФИС ОКО login — in brackets in the group name
(«МБОУ «СОШ №1»(edu203389)», «(sch203389) МБОУ …») or in a «Логин ОО»/«Код ОО» column; the
other groups are reference rows and are not school data.

Ф3 gives the marks «2»…«5» in percent of the participants only: counts are rebuilt as
``round(n × p / 100)``. Exact when every product is within the rounding error the percent's
printed decimals allow and the counts add up to n; otherwise the counts are made to add up
to n by the largest remainders, ``exact`` is 0 and a note names the file and rows — the
counts are then approximate and so is every share built on them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shnor_lib.errors import ShnorError
from shnor_lib.io import schema
from shnor_lib.io.layouts import Extract, Layout, Preview, read_sheets, register

LOGIN_RE = re.compile(r"\(\s*((?:edu|sch)\d+)\s*\)", re.IGNORECASE)
MARK_TABLE = "vpr_stats"
JOURNAL_TABLE = "vpr_journal_stats"
JOURNAL_KINDS = {"понизили": "lowered", "подтвердили": "confirmed", "повысили": "raised"}
_CODE_HEADERS = ("логин оо", "логин", "код оо", "код организации", "login")
MAX_ROWS_NAMED = 10  # rows listed by name in one note; the rest counted


# ---------------------------------------------------------------------------- helpers


def _key(cell: object) -> str:
    return schema.norm_key(cell) if cell is not None else ""


def _text(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _number(cell: object) -> float | None:
    """A number as the export writes it (decimal comma, spaces, «%» sign); None if blank."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return None if isinstance(cell, float) and math.isnan(cell) else float(cell)
    s = _text(cell).replace("\u00a0", "").replace(" ", "").replace(",", ".").rstrip("%")
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        return None


def _decimals(value: float) -> int:
    """The decimals the value was printed with (the fewest that reproduce it), at most 6."""
    for d in range(7):
        if abs(round(value, d) - value) < 1e-9:
            return d
    return 6


def _header_index(rows: list[list[str]], test) -> int | None:
    for i, row in enumerate(rows):
        if test([_key(c) for c in row]):
            return i
    return None


def _is_marks_header(keys: list[str]) -> bool:
    return (
        bool(keys)
        and "группы участников" in keys
        and "кол-во участников" in keys
        and all(m in keys for m in ("2", "3", "4", "5"))
    )


def _is_journal_header(keys: list[str]) -> bool:
    return "группы участников" in keys and any(k.startswith("кол-во участников") for k in keys)


def _mentions_journal(rows: list[list[str]]) -> bool:
    text = " ".join(_key(c) for row in rows for c in row)
    return "сравнение отметок с отметками по журналу" in text or (
        "понизили" in text and "подтвердили" in text and "повысили" in text
    )


@dataclass
class Meta:
    year: int
    subject: str
    grade: int


def title_meta(title_rows: list[list[str]], sheet: str, file: str) -> Meta:
    """Year, subject and grade from the title rows above the header (and the sheet name)."""
    cells = [c for row in title_rows for c in row if c]
    text = " ".join(cells + [sheet])
    year = re.search(r"\b(20\d\d)\b", text)
    grade = re.search(r"\b(\d{1,2})\s*(?:-?\s*(?:й|го))?\s*класс", text, re.IGNORECASE)
    subject = _subject_from(title_rows, text)
    missing = [
        what for what, found in (("год", year), ("класс", grade), ("предмет", subject)) if not found
    ]
    if missing:
        shown = " / ".join(cells[:4])[:120]
        raise ShnorError(
            f"{file}: в строках над заголовком «Группы участников» не найдены: "
            f"{', '.join(missing)} (строки заголовка: «{shown}»). Ожидалась строка вида "
            "«ВПР 2026. Русский язык 4 класс» или «Предмет: Русский язык»; не удаляйте "
            "строки над таблицей из выгрузки ФИС ОКО",
            f"{file}: the title rows above the «Группы участников» header do not give the "
            f"{', '.join(missing)}; keep the title rows of the ФИС ОКО export",
        )
    return Meta(int(year.group(1)), subject, int(grade.group(1)))


def _subject_from(title_rows: list[list[str]], text: str) -> str | None:
    for row in title_rows:  # «Предмет:» | «Русский язык»
        cells = [c for c in row if c]
        for i, c in enumerate(cells):
            if _key(c).rstrip(":").strip() == "предмет" and i + 1 < len(cells):
                found = schema.subject_canonical(cells[i + 1])
                if found:
                    return found
            if _key(c).startswith("предмет:"):
                found = schema.subject_canonical(c.split(":", 1)[1])
                if found:
                    return found
    low = " " + schema.norm_key(text) + " "
    names = sorted(
        {schema.norm_key(s) for s in schema.SUBJECTS} | set(schema.SUBJECT_ALIASES),
        key=len,
        reverse=True,
    )
    for name in names:  # the longest spelling first: «математика профильная» before «математика»
        if len(name) > 4 and f" {name} " in low:
            return schema.subject_canonical(name)
    return None


def _code_column(header: list[str]) -> int | None:
    keys = [_key(c) for c in header]
    for i, k in enumerate(keys):
        if k in _CODE_HEADERS:
            return i
    return None


def _school_login(name: str, row: list[object], code_col: int | None) -> str | None:
    if code_col is not None and code_col < len(row):
        code = _text(row[code_col])
        if code:
            return code
    found = LOGIN_RE.search(name)
    return found.group(1).lower() if found else None


def _grid_rows(grid: pd.DataFrame) -> list[list[object]]:
    return [list(r) for r in grid.itertuples(index=False)]


def _named(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_NAMED])
    more = len(rows) - MAX_ROWS_NAMED
    return shown + (f" и ещё {more}" if more > 0 else "")


# ---------------------------------------------------------------------------- counts


def counts_from_percent(
    n: int, percents: list[float | None], decimals: int | None = None
) -> tuple[list[int], bool, str]:
    """Counts behind percentages of ``n`` participants, whether they are exact, and why not.

    Exact: each ``n × p / 100`` is within the rounding error of the printed percent
    (``n × 0.5·10⁻ᵈ / 100`` for d decimals: ``decimals``, the precision of the whole sheet —
    a spreadsheet stores 18.00 as 18 — else read off each value) of one integer — and of only one (a tolerance of
    half a pupil or more leaves two candidates) — and the counts sum to n. Otherwise the
    counts are the largest-remainder apportionment of n (they sum to n) and the reason is
    returned. Blank percentages count as 0.
    """
    p = [0.0 if v is None else float(v) for v in percents]
    raw = [n * v / 100 for v in p]
    counts = [int(round(x)) for x in raw]
    why = []
    for v, x, c in zip(p, raw, counts, strict=True):
        d = _decimals(v) if decimals is None else max(decimals, _decimals(v))
        tol = n * 0.5 * 10 ** (-d) / 100 + 1e-9
        if abs(x - c) > tol:
            why.append(f"{_pct(v)} % × {n} = {x:.2f}, не целое число")
        elif tol >= 0.5:
            why.append(f"{_pct(v)} % от {n} с точностью процента не определяет число участников")
    if sum(counts) != n:
        why.append(f"восстановленные числа дают в сумме {sum(counts)}, а не {n}")
        counts = _largest_remainder(n, raw)
    return counts, not why, "; ".join(why)


def _pct(v: float) -> str:
    return f"{v:g}".replace(".", ",")


def _largest_remainder(n: int, raw: list[float]) -> list[int]:
    total = sum(raw)
    scaled = [x * n / total for x in raw] if total > 0 else [0.0] * len(raw)
    floors = [int(math.floor(x)) for x in scaled]
    order = sorted(range(len(raw)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for i in order[: n - sum(floors)]:
        floors[i] += 1
    return floors


# ---------------------------------------------------------------------------- Ф3


def sniff_marks(view: Preview) -> bool:
    return any(
        _header_index(rows, _is_marks_header) is not None and not _mentions_journal(rows)
        for rows in view.sheets.values()
    )


def read_marks(view: Preview) -> list[Extract]:
    """One vpr_stats extract per sheet: the school rows with counts rebuilt from percent."""
    out = []
    for sheet, grid in read_sheets(view.path).items():
        rows = _grid_rows(grid)
        text_rows = [[_text(c) for c in r] for r in rows]
        h = _header_index(text_rows, _is_marks_header)
        if h is None:
            continue
        out.append(_marks_extract(view.path, str(sheet), rows, text_rows, h))
    return out


def _marks_extract(
    path: Path, sheet: str, rows: list[list[object]], text_rows: list[list[str]], h: int
) -> Extract:
    meta = title_meta(text_rows[:h], sheet, path.name)
    keys = [_key(c) for c in text_rows[h]]
    col = {k: keys.index(k) for k in ("группы участников", "кол-во участников", "2", "3", "4", "5")}
    code_col = _code_column(text_rows[h])
    records, lines, inexact, bad = [], [], [], []
    digits = _sheet_decimals(rows[h + 1 :], [col[m] for m in "2345"])
    for i in range(h + 1, len(rows)):
        row = rows[i]
        name = text_rows[i][col["группы участников"]] if col["группы участников"] < len(row) else ""
        n = _number(row[col["кол-во участников"]])
        if not name or n is None:
            continue
        login = _school_login(name, row, code_col)
        if login is None:  # the whole sample, the region, the municipality
            continue
        if n != int(n) or n < 0:
            bad.append(i + 1)
            continue
        pcts = [_number(row[col[m]]) for m in "2345"]
        counts, exact, why = counts_from_percent(int(n), pcts, digits)
        if not exact:
            inexact.append(f"строка {i + 1} ({why})")
        records.append(
            {
                "year": meta.year,
                "school_id": login,
                "grade": meta.grade,
                "subject": meta.subject,
                "n": int(n),
                **{f"n{m}": c for m, c in zip("2345", counts, strict=True)},
                "exact": int(exact),
            }
        )
        lines.append(i + 1)
    notes = _marks_notes(inexact, bad, len(records))
    frame = pd.DataFrame(
        records,
        columns=["year", "school_id", "grade", "subject", "n", "n2", "n3", "n4", "n5"] + ["exact"],
    )
    return Extract(
        MARK_TABLE,
        frame,
        pd.Series(lines, dtype="int64"),
        "fisoko_marks_stats",
        sheet=sheet,
        meta={"year": meta.year, "subject": meta.subject, "grade": meta.grade, "procedure": "ВПР"},
        notes=notes,
    )


def _sheet_decimals(rows: list[list[object]], cols: list[int]) -> int:
    """The decimals percents are printed with in the sheet: the most any of them shows."""
    found = 0
    for row in rows:
        for c in cols:
            v = _number(row[c]) if c < len(row) else None
            if v is not None:
                found = max(found, _decimals(v))
    return found


def _marks_notes(inexact: list[str], bad: list[int], schools: int) -> list[str]:
    notes = []
    if inexact:
        shown = "; ".join(inexact[:MAX_ROWS_NAMED])
        more = len(inexact) - MAX_ROWS_NAMED
        notes.append(
            f"число участников с отметкой восстановлено из процентов неточно — {shown}"
            + (f"; и ещё {more} строк" if more > 0 else "")
            + ". Доли по этим ОО приблизительны (exact = 0 в vpr_stats); точные числа даёт "
            "файл «Индивидуальные результаты» (Ф1)"
        )
    if bad:
        notes.append(f"строки {_named(bad)}: «Кол-во участников» не целое, не использованы")
    if schools == 0:
        notes.append("нет строк ОО (с логином ОО вида edu203389): данных по школам нет")
    return notes


# ---------------------------------------------------------------------------- journal


def sniff_journal(view: Preview) -> bool:
    return any(
        _mentions_journal(rows) and _header_index(rows, _is_journal_header) is not None
        for rows in view.sheets.values()
    )


def read_journal(view: Preview) -> list[Extract]:
    """One vpr_journal_stats extract per sheet (vertical blocks or one row per group)."""
    out = []
    for sheet, grid in read_sheets(view.path).items():
        rows = _grid_rows(grid)
        text_rows = [[_text(c) for c in r] for r in rows]
        h = _header_index(text_rows, _is_journal_header)
        if h is None or not _mentions_journal(text_rows):
            continue
        meta = title_meta(text_rows[:h], str(sheet), view.path.name)
        keys = [_key(c) for c in text_rows[h]]
        wide = {kind: _wide_col(keys, word) for word, kind in JOURNAL_KINDS.items()}
        if all(v is not None for v in wide.values()):
            groups = _journal_wide(rows, text_rows, h, keys, wide)
        else:
            groups = _journal_blocks(rows, text_rows, h, keys)
        out.append(_journal_extract(view.path, str(sheet), meta, groups, text_rows[h]))
    return out


def _wide_col(keys: list[str], word: str) -> int | None:
    return next((i for i, k in enumerate(keys) if k.startswith(word)), None)


@dataclass
class _Group:
    name: str
    row: int  # 1-based sheet row of the group's name
    cells: list[object]  # the group row (for a code column)
    counts: dict[str, float | None]
    percents: dict[str, float | None]
    total: float | None = None


def _journal_blocks(rows, text_rows, h: int, keys: list[str]) -> list[_Group]:
    """Vertical layout: a group name row, then «Понизили …», «Подтвердили …», «Повысили …»
    and «Всего» rows with the count in «Кол-во участников» and the percent in «%»."""
    name_col = keys.index("группы участников")
    n_col = next(i for i, k in enumerate(keys) if k.startswith("кол-во участников"))
    pct_col = next(
        (i for i, k in enumerate(keys) if k in ("%", "процент", "доля участников")), None
    )
    groups: list[_Group] = []
    for i in range(h + 1, len(rows)):
        label = text_rows[i][name_col] if name_col < len(text_rows[i]) else ""
        if not label:
            continue
        word = _key(label).split(" ")[0]
        kind = JOURNAL_KINDS.get(word)
        if kind is None and word != "всего":
            groups.append(_Group(label, i + 1, rows[i], {}, {}))
            continue
        if not groups:
            continue
        count = _number(rows[i][n_col]) if n_col < len(rows[i]) else None
        pct = _number(rows[i][pct_col]) if pct_col is not None and pct_col < len(rows[i]) else None
        if kind is None:
            groups[-1].total = count
        else:
            groups[-1].counts[kind] = count
            groups[-1].percents[kind] = pct
    return groups


def _journal_wide(rows, text_rows, h: int, keys: list[str], wide: dict) -> list[_Group]:
    """One row per group: count columns «Понизили…» etc., each optionally followed by «%»."""
    name_col = keys.index("группы участников")
    n_col = next(i for i, k in enumerate(keys) if k.startswith("кол-во участников"))
    groups = []
    for i in range(h + 1, len(rows)):
        label = text_rows[i][name_col] if name_col < len(text_rows[i]) else ""
        if not label:
            continue
        g = _Group(label, i + 1, rows[i], {}, {}, _number(rows[i][n_col]))
        for kind, c in wide.items():
            g.counts[kind] = _number(rows[i][c])
            nxt = c + 1
            if nxt < len(keys) and keys[nxt] in ("%", "процент"):
                g.percents[kind] = _number(rows[i][nxt])
        groups.append(g)
    return groups


def _journal_extract(path: Path, sheet: str, meta: Meta, groups, header) -> Extract:
    code_col = _code_column(header)
    records, lines, inexact = [], [], []
    for g in groups:
        login = _school_login(g.name, g.cells, code_col)
        if login is None:
            continue
        counts, exact, why = _journal_counts(g)
        if counts is None:
            inexact.append(f"строка {g.row} ({why})")
            continue
        if not exact:
            inexact.append(f"строка {g.row} ({why})")
        records.append(
            {
                "year": meta.year,
                "school_id": login,
                "grade": meta.grade,
                "subject": meta.subject,
                "n": sum(counts.values()),
                **counts,
                "exact": int(exact),
            }
        )
        lines.append(g.row)
    notes = []
    if inexact:
        notes.append(
            "сравнение с журналом неточно или неполно — "
            + "; ".join(inexact[:MAX_ROWS_NAMED])
            + (f"; и ещё {len(inexact) - MAX_ROWS_NAMED}" if len(inexact) > MAX_ROWS_NAMED else "")
        )
    cols = ["year", "school_id", "grade", "subject", "n", "lowered", "confirmed", "raised", "exact"]
    return Extract(
        JOURNAL_TABLE,
        pd.DataFrame(records, columns=cols),
        pd.Series(lines, dtype="int64"),
        "fisoko_journal_stats",
        sheet=sheet,
        meta={"year": meta.year, "subject": meta.subject, "grade": meta.grade, "procedure": "ВПР"},
        notes=notes,
    )


def _journal_counts(g: _Group) -> tuple[dict[str, int] | None, bool, str]:
    """The three counts of a group: given counts when present (checked against «Всего» and the
    percents), else rebuilt from the percents × «Всего»."""
    kinds = list(JOURNAL_KINDS.values())
    given = [g.counts.get(k) for k in kinds]
    if all(v is not None for v in given):
        counts = {k: int(round(v)) for k, v in zip(kinds, given, strict=True)}
        total = sum(counts.values())
        why = []
        if g.total is not None and int(round(g.total)) != total:
            why.append(f"«Всего» {int(round(g.total))}, а сумма трёх чисел {total}")
        for k in kinds:
            p = g.percents.get(k)
            if p is not None and total and abs(100 * counts[k] / total - p) > 0.5 + 1e-9:
                why.append(f"{_pct(p)} % не соответствует {counts[k]} из {total}")
        return counts, not why, "; ".join(why)
    if g.total is not None and all(g.percents.get(k) is not None for k in kinds):
        vals, exact, why = counts_from_percent(int(round(g.total)), [g.percents[k] for k in kinds])
        return dict(zip(kinds, vals, strict=True)), exact, why
    return None, False, "нет чисел участников «Понизили / Подтвердили / Повысили»"


register(Layout("fisoko_journal_stats", "ФИС ОКО: сравнение отметок с отметками по журналу",
                sniff_journal, read_journal))  # fmt: skip
register(Layout("fisoko_marks_stats", "ФИС ОКО: статистика по отметкам (Ф3)",
                sniff_marks, read_marks))  # fmt: skip
