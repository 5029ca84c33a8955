"""Reading and validating the filled monitoring forms (methodical help, МНЦ, МТКП, дорожная
карта): part of ingest (:func:`shnor_lib.io.ingest.ingest` calls :func:`read_forms`), so
``shnor validate`` lists a broken form's problems together with the tables' ones.

Every problem names the file, sheet, cell (as Excel shows it: «C7»), the item or column as
the form captions it, the value and what was expected, as ingest does for the tables. The
school of a МНЦ/МТКП row is the name chosen from the form's drop-down (or a school_id); it is
mapped back to the school_id here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnor_lib.errors import Problem, ValidationError
from shnor_lib.io import schema
from shnor_lib.io.forms_spec import (
    BLOCKS,
    EVENTS_CODE_ROW,
    EXCEL_DATE_MAX,
    EXCEL_DATE_MIN,
    HELP_HEADER_ROW,
    INSTRUCTIONS_SHEET,
    UNITS_CODE_ROW,
    YEAR_LABEL,
    Block,
    Column,
    FormsData,
    Item,
    load_forms,
    school_labels,
)
from shnor_lib.io.personal import mask_names  # noqa: F401  (re-exported: the forms' masking)

# A row of a units / events sheet is unique on these columns.
ROW_KEYS = {
    "mnc": ("mentor_code", "school_id"),
    "mtkp": ("tutor_code", "teacher_code"),
    "roadmap": ("event_id",),
}


# ---------------------------------------------------------------------------- reading helpers
def _rel(path: Path, root: Path | None) -> str:
    if root is None:
        return str(path)
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _norm(text: Any) -> str:
    return schema.norm_key(text) if text is not None else ""


def _text(v: Any) -> str | None:
    """A cell as stripped text (integral floats without «.0»); None when blank."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, float):
        if np.isnan(v):
            return None
        if v.is_integer():
            return str(int(v))
    if isinstance(v, datetime | date):
        return v.strftime("%Y-%m-%d")
    s = str(v).replace("\u00a0", " ").strip()
    return s or None


_BOOL01 = {"0": 0, "1": 1, "да": 1, "нет": 0}


_NA_MARKS = {"*", "-", "—", "–", "х", "x"}


def _presence(v: Any) -> tuple[int | None, str | None]:
    """(value, error) for a 0/1 cell: error is 'blank' or 'bad'."""
    if isinstance(v, bool):
        return int(v), None
    if isinstance(v, int | float) and not (isinstance(v, float) and np.isnan(v)):
        return (int(v), None) if v in (0, 1) else (None, "bad")
    s = _text(v)
    if s is None:
        return None, "blank"
    s = s.lower().replace(",", ".")
    if s in ("0.0", "1.0"):
        s = s[0]
    if s in _BOOL01:
        return _BOOL01[s], None
    return None, "bad"


def _count(v: Any) -> tuple[int | None, str | None]:
    """(value, error) for a non-negative integer cell: error is 'blank', 'text' or 'range'."""
    if isinstance(v, bool):
        return None, "text"
    if isinstance(v, int | float) and not (isinstance(v, float) and np.isnan(v)):
        num = float(v)
    else:
        s = _text(v)
        if s is None:
            return None, "blank"
        s = s.replace(" ", "").replace("\u202f", "").replace(",", ".")
        try:
            num = float(s)
        except ValueError:
            return None, "text"
        if not np.isfinite(num):
            return None, "text"
    if not num.is_integer():
        return None, "text"
    if num < 0:
        return None, "range"
    return int(num), None


def _date(v: Any) -> pd.Timestamp | None | str:
    """A date cell → Timestamp; None when blank; the string 'bad' when not a date."""
    if v is None:
        return None
    if isinstance(v, datetime | date):
        return pd.Timestamp(v).normalize()
    if isinstance(v, int | float) and not isinstance(v, bool):
        if np.isnan(v):
            return None
        if EXCEL_DATE_MIN <= v <= EXCEL_DATE_MAX:
            return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(v))).normalize()
        return "bad"
    s = _text(v)
    if s is None:
        return None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return pd.Timestamp(datetime.strptime(s, fmt)).normalize()
        except ValueError:
            continue
    return "bad"


_NAME_RE = re.compile(
    r"^[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?\s+(?:[А-ЯЁ]\.\s*[А-ЯЁ]?\.?|[А-ЯЁ][а-яё]+(?:\s+[А-ЯЁ][а-яё]+)?)$"
)


def looks_like_name(value: str) -> bool:
    """«Иванова И.И.», «Иванова Ирина Петровна»: a person's name, not a pseudonymous code."""
    return bool(_NAME_RE.match(str(value).strip()))


class _Problems:
    """Problems of one form file, with locations «лист "…", ячейка …, пункт …»."""

    LABEL = ("место", "location")

    def __init__(self, file: str, sheet: str) -> None:
        self.file = file
        self.sheet = sheet
        self.items: list[Problem] = []

    def where(self, coord: str | None = None, what: str | None = None) -> str:
        parts = [f'лист "{self.sheet}"']
        if coord:
            parts.append(f"ячейка {coord}")
        if what:
            parts.append(what)
        return ", ".join(parts)

    def add(
        self,
        ru: str,
        en: str,
        *,
        row: int | None = None,
        coord: str | None = None,
        what: str | None = None,
        value: Any = None,
    ) -> None:
        self.items.append(
            Problem(
                self.file,
                ru,
                en,
                row=row,
                column=self.where(coord, what),
                value=value,
                column_label=self.LABEL,
            )
        )


@dataclass(frozen=True)
class SchoolLookup:
    """The known schools, found by school_id or by the drop-down label (the school's name)."""

    ids: frozenset[str]
    by_label: dict[str, str]

    @classmethod
    def build(cls, ids: Iterable[str], names: Mapping[str, Any] | None = None) -> SchoolLookup:
        known = frozenset(str(s) for s in ids)
        labels = school_labels({sid: (names or {}).get(sid) for sid in sorted(known)})
        by_label: dict[str, str] = {}
        for sid, label in labels.items():
            by_label[_norm(label)] = sid
        for sid in sorted(known):  # a unique plain name also maps (typed, not chosen)
            name = (names or {}).get(sid)
            if isinstance(name, str) and name.strip():
                by_label.setdefault(_norm(name), sid)
        return cls(known, by_label)

    def resolve(self, text: str) -> str | None:
        """school_id of a cell's text (a code or a label); None when it names no school."""
        if text in self.ids:
            return text
        return self.by_label.get(_norm(text))


def _item_label(item: Item) -> str:
    return f"пункт {item.num} ({item.id})"


# ---------------------------------------------------------------------------- reading forms
def _sheet_rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _cell(rows: list[tuple], r: int, c: int) -> Any:
    """Value at 1-based (row, col); None outside the used range."""
    if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
        return rows[r - 1][c - 1]
    return None


def _coord(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c)}{r}"


def _form_year(wb, out: _Problems) -> int | None:
    if INSTRUCTIONS_SHEET not in wb.sheetnames:
        return None
    rows = _sheet_rows(wb[INSTRUCTIONS_SHEET])
    for r in range(1, min(len(rows), 20) + 1):
        if _norm(_cell(rows, r, 1)) == _norm(YEAR_LABEL):
            v = _cell(rows, r, 2)
            if v is None or _text(v) is None:
                return None
            num, err = _count(v)
            if err or not 2000 <= (num or 0) <= 2100:
                p = _Problems(out.file, INSTRUCTIONS_SHEET)
                p.add(
                    "отчётный год четырьмя цифрами (например, 2024)",
                    "the reporting year as four digits (e.g. 2024)",
                    row=r,
                    coord=_coord(r, 2),
                    what=f"«{YEAR_LABEL}»",
                    value=v,
                )
                out.items.extend(p.items)
                return None
            return num
    return None


def _read_help(rows: list[tuple], block: Block, out: _Problems) -> pd.DataFrame:
    by_id = {it.id: it for it in block.items}
    by_num = {it.num: it for it in block.items}
    # header row: the columns «Баллы» and «Количественные показатели»
    score_col, count_col, num_col, code_col, header_row = 3, 4, 1, None, HELP_HEADER_ROW
    for r in range(1, min(len(rows), 10) + 1):
        found = {}
        for c, v in enumerate(rows[r - 1], start=1):
            t = _norm(v)
            if t.startswith("баллы"):
                found["score"] = c
            elif t.startswith("количеств"):
                found["count"] = c
            elif t.startswith("№"):
                found["num"] = c
            elif t.startswith("код пункта"):
                found["code"] = c
        if "score" in found and "count" in found:
            score_col, count_col = found["score"], found["count"]
            num_col = found.get("num", num_col)
            code_col = found.get("code")
            header_row = r
            break
    seen: dict[str, int] = {}
    values = []
    for r in range(header_row + 1, len(rows) + 1):
        row = rows[r - 1]
        item = None
        if code_col is not None and _text(_cell(rows, r, code_col)) in by_id:
            item = by_id[_text(_cell(rows, r, code_col))]
        else:
            for v in row:
                if _text(v) in by_id:
                    item = by_id[_text(v)]
                    break
            if item is None and _text(_cell(rows, r, num_col)) in by_num:
                item = by_num[_text(_cell(rows, r, num_col))]
        if item is None:
            continue
        if item.id in seen:
            out.add(
                f"одна строка на пункт; пункт уже есть в строке {seen[item.id]}",
                f"one row per item; the item is already in row {seen[item.id]}",
                row=r,
                what=_item_label(item),
            )
            continue
        seen[item.id] = r
        value_col, na_col = (
            (score_col, count_col) if item.kind == "presence" else (count_col, score_col)
        )
        raw = _cell(rows, r, value_col)
        if item.kind == "presence":
            value, err = _presence(raw)
            if err == "blank":
                out.add(
                    "заполненная ячейка «Баллы»: 1 (наличие) или 0 (отсутствие); пустая ячейка "
                    "не допускается",
                    "a filled score cell: 1 (present) or 0 (absent); a blank is not allowed",
                    row=r,
                    coord=_coord(r, value_col),
                    what=_item_label(item),
                )
            elif err:
                out.add(
                    "1 (наличие) или 0 (отсутствие)",
                    "1 (present) or 0 (absent)",
                    row=r,
                    coord=_coord(r, value_col),
                    what=_item_label(item),
                    value=raw,
                )
        else:
            value, err = _count(raw)
            _count_problem(out, err, r, _coord(r, value_col), _item_label(item), raw)
        other = _text(_cell(rows, r, na_col))
        if other is not None and other not in _NA_MARKS:
            col_ru = "Количественные показатели" if item.kind == "presence" else "Баллы"
            out.add(
                f"пустая ячейка или «*»: для этого пункта столбец «{col_ru}» не заполняется "
                "(значение, возможно, введено не в тот столбец)",
                "an empty cell or «*»: this column does not apply to the item "
                "(the value may be in the wrong column)",
                row=r,
                coord=_coord(r, na_col),
                what=_item_label(item),
                value=_cell(rows, r, na_col),
            )
        if value is not None:
            values.append({"item_id": item.id, "kind": item.kind, "value": int(value), "_row": r})
    for item in block.items:
        if item.id not in seen:
            out.add(
                "строка пункта формы (не найдена: пункт удалён или изменён его код/номер)",
                "the item's row (not found: deleted, or its code/number changed)",
                what=_item_label(item),
            )
    return pd.DataFrame(values, columns=["item_id", "kind", "value", "_row"])


def _count_problem(out: _Problems, err: str | None, r: int, coord: str, what: str, raw) -> None:
    if err == "blank":
        out.add(
            "заполненная ячейка: целое число не меньше 0 (0, если таких нет); пустая ячейка не "
            "допускается",
            "a filled cell: a whole number >= 0 (0 if none); a blank is not allowed",
            row=r,
            coord=coord,
            what=what,
        )
    elif err == "text":
        out.add(
            "целое число не меньше 0 (цифрами, без текста)",
            "a whole number >= 0 (digits, no text)",
            row=r,
            coord=coord,
            what=what,
            value=raw,
        )
    elif err == "range":
        out.add(
            "целое число не меньше 0",
            "a whole number >= 0",
            row=r,
            coord=coord,
            what=what,
            value=raw,
        )


def _find_code_row(rows: list[tuple], lookup: dict[str, str], need: int) -> int | None:
    best, best_n = None, 0
    for r in range(1, min(len(rows), 12) + 1):
        n = sum(1 for v in rows[r - 1] if _norm(v) in lookup)
        if n >= best_n and n >= need:
            best, best_n = r, n
    return best


def _header_text(rows: list[tuple], code_row: int, c: int) -> str:
    parts = [_text(_cell(rows, r, c)) for r in range(2, code_row + 1)]
    return " ".join(p for p in parts if p)


def _read_table_sheet(
    rows: list[tuple],
    block: Block,
    out: _Problems,
    warnings: list[str],
    *,
    schools: SchoolLookup | None,
) -> pd.DataFrame:
    """МНЦ, МТКП (units) and roadmap (events) sheets: one row per unit / event."""
    lookup: dict[str, str] = {}
    for col in block.columns:
        lookup[_norm(col.id)] = col.id
        lookup[_norm(col.label_ru)] = col.id
        lookup[_norm(col.label_ru + " *")] = col.id
    if block.layout == "events":
        for alias, canon in schema.header_map(schema.TABLES["roadmap"]).items():
            lookup.setdefault(alias, canon)
    need = len(block.keys) + 1 if block.layout == "units" else 2
    code_row = _find_code_row(rows, lookup, need)
    code_row_default = UNITS_CODE_ROW if block.layout == "units" else EVENTS_CODE_ROW
    if code_row is None:
        out.add(
            f"служебная строка с кодами столбцов (строка {code_row_default} бланка: "
            f"{', '.join(c.id for c in block.columns[:3])}, …); заполните бланк, выданный "
            "командой shnor forms",
            f"the row of column codes (row {code_row_default} of the blank form); use the blank "
            "written by shnor forms",
            row=code_row_default,
        )
        return pd.DataFrame()
    width = max((len(r) for r in rows), default=0)
    col_of: dict[str, int] = {}
    dropped_personal, unknown = [], []
    for c in range(1, width + 1):
        key = lookup.get(_norm(_cell(rows, code_row, c)))
        header = _header_text(rows, code_row, c)
        if key is None:
            if header and schema.is_personal(header):
                dropped_personal.append(header)
                continue
            has_data = any(_text(_cell(rows, r, c)) for r in range(code_row + 1, len(rows) + 1))
            if has_data or header:
                unknown.append(header or _coord(code_row, c))
            continue
        if key in col_of:
            out.add(
                f"один столбец «{key}», а найдены два: {_coord(code_row, col_of[key])} и "
                f"{_coord(code_row, c)}",
                f"one column '{key}', found two",
                row=code_row,
                coord=_coord(code_row, c),
                value=key,
            )
            continue
        col_of[key] = c
    if dropped_personal:
        warnings.append(
            f"{out.file}, лист «{out.sheet}»: удалены столбцы с персональными данными (не "
            "используются и не сохраняются): "
            + ", ".join(f"«{h}»" for h in dropped_personal)
            + " (personal-data columns dropped)"
        )
    if unknown:
        warnings.append(
            f"{out.file}, лист «{out.sheet}»: неизвестные столбцы отложены и не используются: "
            + ", ".join(f"«{u[:60]}»" for u in unknown)
            + " (unknown columns set aside)"
        )
    missing = [c for c in block.columns if c.id not in col_of and c.kind != "comment"]
    for col in missing:
        if col.item is None and not col.required:
            continue  # an optional roadmap column (level, form, done, …) may be left out
        what = _item_label(col.item) if col.item else f"столбец «{col.label_ru}» ({col.id})"
        out.add(
            "столбец формы (не найден: удалён или изменён его код в служебной строке)",
            "the form's column (not found: deleted, or its code changed)",
            row=code_row,
            what=what,
        )
    if any(c.item is None and c.required for c in missing):
        return pd.DataFrame()  # rows cannot be identified
    used = [c for c in block.columns if c.id in col_of and c.kind != "comment"]
    records = []
    for r in range(code_row + 1, len(rows) + 1):
        cells = {c.id: _cell(rows, r, col_of[c.id]) for c in used}
        if all(_text(v) is None for v in cells.values()):
            continue
        rec: dict[str, Any] = {"_row": r}
        for col in used:
            v = cells[col.id]
            coord = _coord(r, col_of[col.id])
            rec[col.id] = _parse_cell(col, v, r, coord, out, schools)
        records.append(rec)
    frame = pd.DataFrame(records, columns=["_row", *[c.id for c in used]])
    key = list(ROW_KEYS[block.key])
    key = [k for k in key if k in frame]
    if key and not frame.empty:
        ok = frame[key].notna().all(axis=1)
        dup = frame[ok].duplicated(subset=key, keep="first")
        first = frame[ok].groupby(key, dropna=False)["_row"].transform("min")
        for idx in frame[ok].index[dup.to_numpy()]:
            keyval = ", ".join(f"{k}={frame.at[idx, k]}" for k in key)
            out.add(
                f"уникальная строка; повторяет строку {int(first[idx])} ({keyval})",
                f"a unique row; repeats row {int(first[idx])} ({keyval})",
                row=int(frame.at[idx, "_row"]),
                what=" + ".join(key),
                value=keyval,
            )
    return frame


def _parse_cell(
    col: Column, v: Any, r: int, coord: str, out: _Problems, schools: SchoolLookup | None
) -> Any:
    what = _item_label(col.item) if col.item else f"столбец «{col.label_ru}» ({col.id})"
    if col.kind == "presence":
        value, err = _presence(v)
        if err == "blank":
            out.add(
                "заполненная ячейка: 1 (наличие) или 0 (отсутствие); пустая ячейка не допускается",
                "a filled cell: 1 (present) or 0 (absent); a blank is not allowed",
                row=r,
                coord=coord,
                what=what,
            )
        elif err:
            out.add(
                "1 (наличие) или 0 (отсутствие)",
                "1 (present) or 0 (absent)",
                row=r,
                coord=coord,
                what=what,
                value=v,
            )
        return value
    if col.kind == "date":
        d = _date(v)
        if isinstance(d, str):
            out.add(
                "дата (ДД.ММ.ГГГГ)",
                "a date (DD.MM.YYYY)",
                row=r,
                coord=coord,
                what=what,
                value=v,
            )
            return None
        if d is None and col.required:
            out.add(
                "обязательная дата (ячейка пуста)",
                "a required date (the cell is empty)",
                row=r,
                coord=coord,
                what=what,
            )
        return d
    s = _text(v)
    if s is None:
        if col.required:
            out.add(
                f"обязательное значение (ячейка пуста){': ' + col.hint_ru if col.hint_ru else ''}",
                "a required value (the cell is empty)",
                row=r,
                coord=coord,
                what=what,
            )
        return None
    if col.kind == "key" and col.id != "school_id" and looks_like_name(s):
        out.add(
            "условный код (например, Н-01), а не фамилия и инициалы: персональные данные в "
            "формах не допускаются",
            "a pseudonymous code (e.g. Н-01), not a person's name: no personal data in forms",
            row=r,
            coord=coord,
            what=what,
            value="(скрыто: похоже на ФИО)",
        )
        return None
    if col.id == "school_id" and schools is not None:
        sid = schools.resolve(s)
        if sid is None:
            out.add(
                "ОО из раскрывающегося списка формы (название ОО из перечня ОО) или код ОО "
                "из перечня schools",
                "a school from the form's drop-down (a name in the schools table) or a "
                "school_id listed in the schools table",
                row=r,
                coord=coord,
                what=what,
                value=s,
            )
        return sid if sid is not None else s
    if col.kind == "choice":
        lookup = {_norm(c): c for c in col.choices}
        lookup.update({"муниципальный": "муниципалитет", "краевой": "край", "региональный": "край"})
        mapped = lookup.get(_norm(s))
        if mapped is None:
            out.add(
                "одно из: " + ", ".join(col.choices),
                "one of: " + ", ".join(col.choices),
                row=r,
                coord=coord,
                what=what,
                value=s,
            )
        return mapped
    return s


def _block_by_sheet(sheetnames: Sequence[str]) -> dict[str, str]:
    """block key → the sheet name in this workbook."""
    names = {_norm(s): s for s in sheetnames}
    out = {}
    for key, block in load_forms().items():
        if _norm(block.sheet) in names:
            out[key] = names[_norm(block.sheet)]
    return out


def _block_by_file(path: Path) -> str | None:
    stem = path.stem.lower()
    for key, block in load_forms().items():
        if stem == Path(block.file).stem.lower() or any(t in stem for t in block.file_tokens):
            return key
    return None


def form_files(forms_dir: Path) -> list[Path]:
    """Candidate form files in ``forms_dir`` (Excel lock files and hidden files skipped)."""
    if not Path(forms_dir).is_dir():
        return []
    return [
        p
        for p in sorted(Path(forms_dir).iterdir())
        if p.is_file() and not p.name.startswith(("~$", ".", "_"))
    ]


def read_forms(
    forms_dir: Path,
    *,
    year: int | None = None,
    school_ids: Iterable[str] | None = None,
    school_names: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> FormsData:
    """Parse every filled form in ``forms_dir``; raise ValidationError with all problems.

    A form whose «Отчётный год» (sheet «Инструкция») is filled and differs from ``year`` is
    set aside with a warning. ``school_ids``: the known schools (codes are checked);
    ``school_names``: school_id → name, so a name chosen from the drop-down maps back to its
    school_id.
    """
    from openpyxl import load_workbook

    known = SchoolLookup.build(school_ids, school_names) if school_ids is not None else None
    forms = load_forms()
    result = FormsData()
    problems: list[Problem] = []
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in BLOCKS}
    for path in form_files(forms_dir):
        rel = _rel(path, root)
        suffix = path.suffix.lower()
        if suffix not in (".xlsx", ".xlsm"):
            if suffix in (".xls", ".ods", ".csv"):
                problems.append(
                    Problem(
                        rel,
                        "файл формы в формате .xlsx (сохраните его как «Книга Excel (.xlsx)»)",
                        "a form file in .xlsx format (save it as an Excel workbook .xlsx)",
                    )
                )
            else:
                result.warnings.append(
                    f"{rel}: не форма Excel, файл не используется (not an .xlsx form, ignored)"
                )
            continue
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            problems.append(
                Problem(
                    rel,
                    f"файл Excel (.xlsx), который открывается ({type(exc).__name__})",
                    f"an Excel file (.xlsx) that opens ({type(exc).__name__}: {exc})",
                )
            )
            continue
        try:
            out = _Problems(rel, INSTRUCTIONS_SHEET)
            form_year = _form_year(wb, out)
            problems.extend(out.items)
            found = _block_by_sheet(wb.sheetnames)
            if not found:
                guess = _block_by_file(path)
                if guess is not None:
                    block = forms[guess]
                    p = _Problems(rel, block.sheet)
                    p.add(
                        f"лист «{block.sheet}» с формой «{block.title_ru}» (лист не найден; "
                        f"листы в файле: {', '.join(wb.sheetnames)})",
                        f"a sheet named '{block.sheet}' (not found; sheets in the file: "
                        f"{', '.join(wb.sheetnames)})",
                        value=", ".join(wb.sheetnames),
                    )
                    problems.extend(p.items)
                else:
                    expected = ", ".join(f"«{b.sheet}»" for b in forms.values())
                    problems.append(
                        Problem(
                            rel,
                            f"форма мониторинга с листом {expected} (такого листа нет; листы в "
                            f"файле: {', '.join(wb.sheetnames)})",
                            "a monitoring form with one of the sheets "
                            f"{', '.join(b.sheet for b in forms.values())}",
                            value=", ".join(wb.sheetnames),
                        )
                    )
                continue
            if year is not None and form_year is not None and form_year != int(year):
                result.warnings.append(
                    f"{rel}: форма за {form_year} год отложена — отчётный год {year} "
                    f"(form for another year set aside)"
                )
                continue
            n_rows = 0
            for key, sheet in found.items():
                block = forms[key]
                out = _Problems(rel, sheet)
                rows = _sheet_rows(wb[sheet])
                if block.layout == "items":
                    frame = _read_help(rows, block, out)
                else:
                    frame = _read_table_sheet(rows, block, out, result.warnings, schools=known)
                problems.extend(out.items)
                if not frame.empty:
                    parts[key].append(frame.assign(_file=rel))
                n_rows += len(frame)
                result.files.setdefault(key, []).append(rel)
                if block.layout != "items" and frame.empty and not out.items:
                    result.warnings.append(
                        f"{rel}, лист «{sheet}»: форма не заполнена (нет строк с данными)"
                    )
            result.sources.append(
                {
                    "table": "forms:" + ",".join(found),
                    "file": rel,
                    "sha256": _sha256(path),
                    "rows": n_rows,
                }
            )
        finally:
            wb.close()
    if len(result.files.get("help", [])) > 1:
        problems.append(
            Problem(
                ", ".join(result.files["help"]),
                "одна форма «Методическая помощь» на муниципалитет (найдено несколько файлов)",
                "one methodical-help form per municipality (several files found)",
            )
        )
    problems.extend(_cross_file_duplicates(parts))
    if problems:
        raise ValidationError(problems)
    for key in BLOCKS:
        if parts[key]:
            frame = pd.concat(parts[key], ignore_index=True)
            setattr(result, key, frame)
    return result


def _cross_file_duplicates(parts: dict[str, list[pd.DataFrame]]) -> list[Problem]:
    keys = ROW_KEYS
    problems = []
    for block, frames in parts.items():
        if block not in keys or len(frames) < 2:
            continue
        frame = pd.concat(frames, ignore_index=True)
        k = [c for c in keys[block] if c in frame]
        if not k:
            continue
        dup = frame[frame[k].notna().all(axis=1)].duplicated(subset=k, keep="first")
        files = frame.loc[dup[dup].index]
        for _, r in files.iterrows():
            keyval = ", ".join(f"{c}={r[c]}" for c in k)
            problems.append(
                Problem(
                    str(r["_file"]),
                    f"уникальная строка: такая же строка есть в другом файле формы ({keyval})",
                    f"a unique row: the same row is in another form file ({keyval})",
                    row=int(r["_row"]),
                    column=f'лист "{load_forms()[block].sheet}"',
                    value=keyval,
                    column_label=_Problems.LABEL,
                )
            )
    return problems


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
