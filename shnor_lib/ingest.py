"""Raw files → validated, canonical tables (DESIGN.md §4), written as parquet.

Every problem of every file is collected before stopping, so the analyst fixes them in one
pass. Personal-data columns are dropped at read time and never reach a DataFrame that is
persisted. Output goes to a temporary folder and replaces `data/processed/<m>/<year>/`
only when complete.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema
from .config import Params
from .errors import Problem, ShnorError, ValidationError
from .io import atomic
from .schema import Column, Table

MAX_PROBLEMS_PER_COLUMN = 20  # beyond this, one summary problem per column keeps messages readable


@dataclass
class Source:
    table: str
    file: str
    sha256: str
    rows: int


@dataclass
class IngestResult:
    tables: dict[str, pd.DataFrame]
    warnings: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    dropped_personal: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- reading


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1251"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _sniff_sep(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda s: (counts[s], s == ";"))


def read_raw(path: Path, engine: str = "auto") -> pd.DataFrame:
    """Read a .csv (UTF-8 or cp1251; `,` `;` or tab) or .xlsx (first sheet) as text columns.

    Cells stay as text (or the spreadsheet's native numbers); parsing happens per column kind.
    A CSV is read by pyarrow's multithreaded reader into Arrow-backed string columns (the
    common case: a clean export); anything it does not take exactly as pandas would (a
    ragged row, a duplicate header, an odd quote) goes through the pandas C reader, so the
    problems reported are the same either way. ``engine="pandas"`` forces the latter.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ShnorError(
                f"Не удалось прочитать Excel-файл {path}: {exc}",
                f"Cannot read Excel file {path}: {exc}",
            ) from None
        frame = frame.dropna(how="all")
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame
    raw = path.read_bytes()
    text = _decode(raw)
    if not text or text.isspace():
        return pd.DataFrame()
    head = text[:65536].lstrip("\ufeff")
    if len(head) >= 65530 and not any(c in head for c in "\n\r"):
        head = text.lstrip("\ufeff")  # a first line longer than the sample
    lines = head.splitlines()
    if not lines:
        return pd.DataFrame()
    first = lines[0]
    sep = _sniff_sep(first)
    if engine == "auto":
        frame = _read_csv_arrow(raw, text, first, sep)
        if frame is not None:
            return _line_index(frame, text, sep)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as exc:
        raise ShnorError(
            f"Файл {path} не является корректной таблицей CSV: {exc}",
            f"File {path} is not a valid CSV table: {exc}",
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return _line_index(frame, text, sep)


def _line_index(frame: pd.DataFrame, text: str, sep: str) -> pd.DataFrame:
    """Index the rows by their line in the file minus 2 (messages say row = index + 2) when
    the file has blank lines, which the readers skip; unchanged when there are none, or
    when the rows found here are not the rows the reader read."""
    body = text.lstrip("\ufeff")
    if not re.search(r"\n[ \t]*\r?\n", body):
        return frame
    reader = csv.reader(io.StringIO(body), delimiter=sep, skipinitialspace=True)
    starts, line = [], 1  # the line each record starts on (a quoted cell may span lines)
    for k, record in enumerate(reader):
        if k and record and not (len(record) == 1 and not record[0].strip()):  # not blank
            starts.append(line)
        line = reader.line_num + 1
    if len(starts) != len(frame):
        return frame
    frame.index = pd.Index(np.asarray(starts, dtype="int64") - 2)
    return frame


def _read_csv_arrow(raw: bytes, text: str, first: str, sep: str) -> pd.DataFrame | None:
    """The CSV as Arrow-backed string columns, or None when pandas must read it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if ' "' in text or '\t"' in text:
        return None  # a space before a quote: pandas' skipinitialspace unquotes the cell
    header = next(csv.reader([first.strip("\r\n")], delimiter=sep, skipinitialspace=True), [])
    names = [str(h) for h in header]
    if not names or len(set(names)) != len(names) or any(n.strip() == "" for n in names):
        return None  # pandas renames duplicate / blank headers: keep its behaviour
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raw = text.lstrip("\ufeff").encode("utf-8")  # cp1251 decoded above
    try:
        table = pacsv.read_csv(
            pa.py_buffer(raw),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, quote_char='"', double_quote=True, newlines_in_values='"' in text
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        return None
    if table.num_columns != len(names) or any(
        not pa.types.is_string(t) for t in table.schema.types
    ):
        return None
    columns = {
        name.strip(): pd.arrays.ArrowStringArray(col)
        for name, col in zip(names, table.columns, strict=True)
    }
    if len(columns) != len(names):
        return None
    return pd.DataFrame(columns)


def find_files(raw_dir: Path, table: str) -> list[Path]:
    """`<table>.csv|xlsx` and `<table>_<anything>.csv|xlsx` (e.g. per-year exports)."""
    out = []
    for p in sorted(raw_dir.glob("*")):
        if p.suffix.lower() not in (".csv", ".xlsx", ".xlsm") or p.name.startswith(("~$", ".")):
            continue
        stem = p.stem.lower()
        if stem == table or stem.startswith(table + "_"):
            out.append(p)
    return out


# ---------------------------------------------------------------------------- parsing


def _is_arrow_text(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped strings; spreadsheet floats like 230101.0 become '230101'; blanks NA.

    Arrow-backed columns (CSV) stay Arrow-backed here (trimmed in C++); see :func:`_python_text`.
    """

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        s = str(v).strip()
        return s if s else pd.NA

    if _is_arrow_text(series):
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pc.utf8_trim_whitespace(series.array._pa_array)
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        return pd.Series(pd.arrays.ArrowStringArray(arr), index=series.index)
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) != "string":
        return series.map(one).astype("string")  # spreadsheet cells: numbers, dates, text
    text = series.astype("string").str.strip()
    return text.mask(text == "")


def _python_text(text: pd.Series) -> pd.Series:
    """The canonical text dtype of validated tables ("string", Python storage)."""
    return text.astype("string") if _is_arrow_text(text) else text


def _to_number(text: pd.Series) -> pd.Series:
    """Numbers with a decimal point or comma and spaces as thousands separators."""
    if _is_arrow_text(text):
        num = _to_number_arrow(text)
        if num is not None:
            return num
        text = _python_text(text)
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    retry = (num.isna() & text.notna()).to_numpy(dtype=bool)
    if retry.any():  # only the cells plain parsing failed on (decimal comma, spaces)
        cleaned = (
            text[retry]
            .str.replace("\u00a0", "", regex=False)
            .str.replace(" ", "", regex=False)
            .str.replace(",", ".", regex=False)
        )
        num[retry] = pd.to_numeric(cleaned, errors="coerce").astype("float64").to_numpy()
    return num


def _to_number_arrow(text: pd.Series) -> pd.Series | None:
    """All cells parsed by Arrow (after removing spaces and reading a decimal comma as a
    point, which is what the slow path does to the cells plain parsing fails on), or None
    when some cell is not a number: then the slow path finds exactly which."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = text.array._pa_array
    for attempt in range(2):
        try:
            num = pc.cast(arr, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if attempt:
                return None
            arr = pc.replace_substring(arr, "\u00a0", "")
            arr = pc.replace_substring(arr, " ", "")
            arr = pc.replace_substring(arr, ",", ".")
            continue
        values = num.to_numpy() if num.num_chunks != 1 else num.chunk(0).to_numpy(False)
        return pd.Series(np.asarray(values, dtype="float64"), index=text.index)
    return None


def _lookup(text: pd.Series, mapping) -> pd.Series:
    """``text.map(mapping)`` for few distinct values: each value is looked up once."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    values = np.array(
        [mapping(u) for u in np.asarray(uniques, dtype=object)] + [None], dtype=object
    )
    out = values[codes]  # code -1 (missing) takes the trailing None
    return pd.Series(out, index=text.index, dtype=object)


_BOOL = {
    "1": 1,
    "0": 0,
    "да": 1,
    "нет": 0,
    "true": 1,
    "false": 0,
    "истина": 1,
    "ложь": 0,
    "yes": 1,
    "no": 0,
    "1.0": 1,
    "0.0": 0,
    "+": 1,
    "-": 0,
}

_KIND_RU = {
    "id": ("непустой идентификатор", "a non-empty identifier"),
    "year": ("год (четыре цифры, 2000–2100)", "a four-digit year 2000–2100"),
    "int": ("целое число", "an integer"),
    "float": (
        "число (десятичный разделитель — запятая или точка)",
        "a number (decimal comma or point)",
    ),
    "bool01": ("0 или 1 (да/нет)", "0 or 1 (yes/no)"),
    "date": ("дата (ДД.ММ.ГГГГ или ГГГГ-ММ-ДД)", "a date (DD.MM.YYYY or YYYY-MM-DD)"),
    "subject": (
        "название предмета из справочника (например «Русский язык», «Математика»)",
        "a known subject name (e.g. «Русский язык», «Математика»)",
    ),
    "exam": ("ОГЭ или ЕГЭ", "ОГЭ or ЕГЭ"),
    "str": ("текст", "text"),
}


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add_mask(
        self, mask: pd.Series, rows: pd.Series, column: str, values: pd.Series, ru: str, en: str
    ) -> None:
        idx = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
        for i in idx[:MAX_PROBLEMS_PER_COLUMN]:
            self.problems.append(
                Problem(self.file, ru, en, int(rows.iloc[i]), column, values.iloc[i])
            )
        if len(idx) > MAX_PROBLEMS_PER_COLUMN:
            rest = len(idx) - MAX_PROBLEMS_PER_COLUMN
            self.problems.append(
                Problem(
                    self.file,
                    f"{ru} (ещё {rest} таких строк не показано)",
                    f"{en} ({rest} more such rows not shown)",
                    None,
                    column,
                )
            )

    def add(
        self,
        ru: str,
        en: str,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.problems.append(Problem(self.file, ru, en, row, column, value))


def _parse_column(col: Column, raw: pd.Series, rows: pd.Series, out: _Collector) -> pd.Series:
    text = _as_text(raw)
    present = text.notna()
    if col.required:
        out.add_mask(
            ~present,
            rows,
            col.name,
            text,
            "обязательное значение (ячейка пуста)",
            "a required value (the cell is empty)",
        )
    ru, en = _KIND_RU[col.kind]
    if col.kind == "id":
        # a CSV saved from Excel writes a numeric code as 230101.0 (Excel input is already
        # normalized by _as_text): the same code
        decimal = text.str.contains(r"^\d+\.0+$", regex=True, na=False)  # vectorized (Arrow)
        if decimal.any():  # the rare file: its few such cells rewritten
            text = text.mask(decimal, text[decimal].str.replace(r"\.0+$", "", regex=True))
        return _python_text(text)
    if col.kind in ("int", "float", "year"):
        num = _to_number(text)
        bad = present & num.isna()
        if col.kind in ("int", "year"):
            bad |= present & num.notna() & (num != np.floor(num))
        out.add_mask(bad, rows, col.name, text, ru, en)
        lo, hi = (2000, 2100) if col.kind == "year" else (col.lo, col.hi)
        if lo is not None or hi is not None:
            rng = pd.Series(False, index=num.index)
            if lo is not None:
                rng |= num < lo
            if hi is not None:
                rng |= num > hi
            span = (
                f"от {lo:g} до {hi:g}"
                if lo is not None and hi is not None
                else (f"не меньше {lo:g}" if lo is not None else f"не больше {hi:g}")
            )
            span_en = (
                f"from {lo:g} to {hi:g}"
                if lo is not None and hi is not None
                else (f"at least {lo:g}" if lo is not None else f"at most {hi:g}")
            )
            out.add_mask(rng & ~bad, rows, col.name, text, f"{ru} {span}", f"{en} {span_en}")
        if col.kind == "float":
            return num.astype("float64")
        return num.round().astype("Int64")
    if col.kind == "bool01":
        mapped = _lookup(text, lambda v: _BOOL.get(v.lower()))
        out.add_mask(present & mapped.isna(), rows, col.name, text, ru, en)
        return mapped.astype("boolean")
    if col.kind == "date":
        parsed = _parse_dates(raw, text)
        out.add_mask(present & parsed.isna(), rows, col.name, text, ru, en)
        return parsed
    if col.kind == "subject":
        mapped = _lookup(text, schema.subject_canonical)
        out.add_mask(present & mapped.isna(), rows, col.name, text, ru, en)
        return mapped.astype("string")
    if col.kind == "exam":
        mapped = _lookup(text, lambda v: schema.EXAM_ALIASES.get(schema.norm_key(v)))
        out.add_mask(present & mapped.isna(), rows, col.name, text, ru, en)
        return mapped.astype("string")
    # plain string, possibly with a closed set of values
    if col.choices:
        lookup = {schema.norm_key(c): c for c in col.choices}
        if col.name == "locality":
            lookup.update(schema.LOCALITY_ALIASES)
        if col.name == "procedure":
            mapped = _lookup(text, lambda v: lookup.get(schema.procedure_key(v)))
        else:
            mapped = _lookup(text, lambda v: lookup.get(schema.norm_key(v)))
        out.add_mask(
            present & mapped.isna(),
            rows,
            col.name,
            text,
            "одно из: " + ", ".join(col.choices),
            "one of: " + ", ".join(col.choices),
        )
        return mapped.astype("string")
    return _python_text(text)


def _parse_dates(raw: pd.Series, text: pd.Series) -> pd.Series:
    def one(v: object) -> object:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return pd.NaT
        if isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "year"):
            return pd.Timestamp(v).normalize()
        s = str(v).strip()
        for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
            try:
                return pd.to_datetime(s, format=fmt)
            except (ValueError, TypeError):
                continue
        return pd.NaT

    return pd.to_datetime(raw.map(one), errors="coerce").astype("datetime64[ns]")


# ---------------------------------------------------------------------------- one table


def _map_headers(
    frame: pd.DataFrame, table: Table, out: _Collector, result: IngestResult
) -> tuple[dict[str, str], list[str]]:
    """Original header → canonical column; personal-data columns dropped; unknown listed."""
    hmap = schema.header_map(table)
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for header in frame.columns:
        if schema.is_personal(header):
            result.dropped_personal.append(f"{out.file}: «{header}»")
            continue
        canon = hmap.get(schema.norm_key(header))
        if canon is None and table.extra_counts and _is_count_name(header):
            canon = schema.norm_key(header).replace(" ", "_")
        if canon is None:
            unknown.append(header)
            continue
        if canon in mapping.values():
            first = next(h for h, c in mapping.items() if c == canon)
            out.add(
                f"один столбец «{canon}», а найдены два: «{first}» и «{header}»",
                f"one column '{canon}', found two: '{first}' and '{header}'",
                column=header,
            )
            continue
        mapping[header] = canon
    return mapping, unknown


def _is_count_name(header: str) -> bool:
    key = schema.norm_key(header).replace(" ", "_")
    return key.isascii() and key.replace("_", "").isalnum() and key[0].isalpha()


def _read_table(
    path: Path, table: Table, result: IngestResult, out: _Collector
) -> pd.DataFrame | None:
    frame = read_raw(path)
    if frame.shape[0] == 0:
        out.add(
            "непустая таблица с заголовком и хотя бы одной строкой данных",
            "a non-empty table with a header and at least one data row",
        )
        return None
    mapping, unknown = _map_headers(frame, table, out, result)
    if unknown:
        result.warnings.append(
            f"{out.file}: неизвестные столбцы отложены и не используются: "
            + ", ".join(f"«{u}»" for u in unknown)
            + " (unknown columns set aside, not used)"
        )
    missing = [c.name for c in table.columns if c.required and c.name not in mapping.values()]
    for name in missing:
        col = table.by_name[name]
        hint = ", ".join(f"«{a}»" for a in col.aliases[:3])
        out.add(
            f"обязательный столбец «{name}»" + (f" (или {hint})" if hint else ""),
            f"required column '{name}'",
            row=1,
            column=name,
        )
    if missing:
        _header_below_hint(frame, table, len(mapping), out)
        return None
    # Row numbers as the user sees them (header = row 1); Excel's blank rows were dropped with
    # their index kept, so the index still points at the sheet row.
    rows = pd.Series(np.asarray(frame.index, dtype="int64") + 2, index=frame.index)
    data = {}
    for header, canon in mapping.items():
        col = table.by_name.get(canon) or Column(canon, "int", lo=0)  # extra counts
        data[canon] = _parse_column(col, frame[header], rows, out)
    parsed = pd.DataFrame(data, index=frame.index)
    parsed["_row"] = rows
    parsed["_file"] = out.file
    return parsed


def _header_below_hint(frame: pd.DataFrame, table: Table, found: int, out: _Collector) -> None:
    """A title row above the header (a common export) leaves every column «missing»: say
    which row looks like the header instead."""
    hmap = schema.header_map(table)
    for pos, (idx, values) in enumerate(frame.head(10).iterrows()):
        # split: a title row can also make the reader guess the wrong separator, leaving
        # whole lines in one cell
        cells = [c for v in values if isinstance(v, str) for c in re.split(r"[;,\t]", v)]
        known = {hmap.get(schema.norm_key(c)) for c in cells} - {None}
        if len(known) >= max(2, found + 1):
            row = int(idx) + 2 if isinstance(idx, int | np.integer) else pos + 2
            out.add(
                f"заголовок таблицы в первой строке; похоже, он в строке {row} — удалите "
                "строки над ним (название таблицы, пустые строки)",
                f"the header in the first row; it seems to be in row {row} — delete the rows "
                "above it (a title, blank rows)",
                row=row,
            )
            return


def _check_rows(name: str, frame: pd.DataFrame, out: _Collector) -> None:
    """Checks across columns of one row, per table."""
    rows = frame["_row"]
    if name == "vpr":
        over = frame["primary_score"] > frame["max_score"]
        out.add_mask(
            over.fillna(False),
            rows,
            "primary_score",
            frame["primary_score"],
            "первичный балл не больше максимального (max_score)",
            "primary score not above max_score",
        )
        grades = ~frame["grade"].isin(schema.VPR_GRADES) & frame["grade"].notna()
        out.add_mask(
            grades,
            rows,
            "grade",
            frame["grade"],
            "класс ВПР: 4–8, 10 или 11",
            "a ВПР grade: 4–8, 10 or 11",
        )
    if name == "gia":
        ege_over = (frame["exam"] == "ЕГЭ") & (frame["score"] > 100)
        out.add_mask(
            ege_over.fillna(False),
            rows,
            "score",
            frame["score"],
            "тестовый балл ЕГЭ от 0 до 100",
            "an ЕГЭ test score 0–100",
        )
        _check_oge_max(frame, out)
    if name == "context":
        for col in schema.CONTEXT_STUDENT_COUNTS:
            if col in frame:
                over = (frame[col] > frame["students_total"]).fillna(False)
                out.add_mask(
                    over,
                    rows,
                    col,
                    frame[col],
                    "не больше численности обучающихся (students_total)",
                    "not more than students_total",
                )
        if "teachers_total" in frame:
            for col in schema.CONTEXT_TEACHER_COUNTS:
                if col in frame:
                    over = (frame[col] > frame["teachers_total"]).fillna(False)
                    out.add_mask(
                        over,
                        rows,
                        col,
                        frame[col],
                        "не больше численности педагогов (teachers_total)",
                        "not more than teachers_total",
                    )


def _check_oge_max(frame: pd.DataFrame, out: _Collector) -> None:
    try:
        from .reference import load_oge_scales
    except ImportError:  # reference data not installed: the generic 0..100 bound applies
        return
    scales = load_oge_scales()
    oge = frame[frame["exam"] == "ОГЭ"]
    if oge.empty:
        return
    max_by = scales.groupby("subject")["max_score"].max()
    limit = oge["subject"].map(max_by)
    over = (oge["score"] > limit).fillna(False)
    out.add_mask(
        over,
        oge["_row"],
        "score",
        oge["score"],
        "первичный балл ОГЭ не больше максимального по предмету",
        "an ОГЭ primary score not above the subject maximum",
    )


def _check_duplicates(table: Table, frame: pd.DataFrame, out: _Collector) -> pd.DataFrame:
    key = [k for k in table.key if k in frame.columns]
    if not key:
        return frame
    dup = frame.duplicated(subset=key, keep=False)
    if dup.any():
        dups = frame[dup]
        first_rows = dups.groupby(key, dropna=False)["_row"].transform("min")
        later = dups[dups["_row"] != first_rows]
        shown = later.head(MAX_PROBLEMS_PER_COLUMN)
        for (_, r), first in zip(shown.iterrows(), first_rows[shown.index], strict=True):
            keyval = ", ".join(f"{k}={r[k]}" for k in key)
            out.add(
                f"уникальная строка; повторяет строку {int(first)} ({keyval})",
                f"a unique row; repeats row {int(first)} ({keyval})",
                row=int(r["_row"]),
                column=" + ".join(key),
                value=keyval,
            )
        if len(later) > len(shown):
            n = len(later) - len(shown)
            out.add(
                f"уникальные строки (ещё {n} повторов не показано)",
                f"unique rows ({n} more duplicates not shown)",
            )
    return frame


# ---------------------------------------------------------------------------- all tables


def ingest(params: Params, *, raw_dir: Path | None = None) -> IngestResult:
    """Read and validate every table of the contract; raise ValidationError with all problems."""
    raw_dir = Path(raw_dir) if raw_dir is not None else params.raw_dir()
    if not raw_dir.is_dir():
        raise ShnorError(
            f"Папка с исходными данными не найдена: {raw_dir}",
            f"Raw data folder not found: {raw_dir}",
        )
    result = IngestResult(tables={})
    problems: list[Problem] = []
    for name, table in schema.TABLES.items():
        files = find_files(raw_dir, name)
        if not files:
            if table.required:
                problems.append(
                    Problem(
                        str(raw_dir / f"{name}.csv"),
                        f"обязательный файл «{name}» ({table.title_ru}) в формате .csv или .xlsx",
                        f"required file '{name}' (.csv or .xlsx)",
                    )
                )
            continue
        parts = []
        for path in files:
            rel = _rel(path, params.root)
            out = _Collector(rel)
            part = _read_table(path, table, result, out)
            if part is not None:
                _check_rows(name, part, out)
                parts.append(part)
            problems.extend(out.problems)
            result.sources.append(
                Source(name, rel, sha256_of(path), 0 if part is None else len(part))
            )
        if parts:
            frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
            out = _Collector(", ".join(_rel(p, params.root) for p in files))
            _check_duplicates(table, frame, out)
            problems.extend(out.problems)
            result.tables[name] = frame
    problems.extend(_check_school_ids(result.tables))
    if problems:
        raise ValidationError(problems)
    _check_reporting_year(result, params)
    _finish(result, params)
    return result


def _check_reporting_year(result: IngestResult, params: Params) -> None:
    """The reporting year must have results: a typo in `year` must not give an empty report."""
    years: set[int] = set()
    for name in ("vpr", "gia"):
        if name in result.tables:
            years |= {int(y) for y in result.tables[name]["year"].dropna().unique()}
    if params.year in years:
        return
    found = ", ".join(map(str, sorted(years))) or "нет"
    raise ShnorError(
        f"В исходных данных нет результатов ВПР и ГИА за отчётный год {params.year} "
        f"(годы в данных: {found}). Проверьте параметр year в {params.source} или "
        "укажите год: make report YEAR=<год>.",
        f"No ВПР or ГИА results for the reporting year {params.year} (years found: {found}); "
        f"check `year` in {params.source}.",
    )


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _check_school_ids(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    if "schools" not in tables:
        return []
    known = set(tables["schools"]["school_id"].dropna())
    problems: list[Problem] = []
    for name, frame in tables.items():
        if name == "schools" or "school_id" not in frame:
            continue
        bad = frame[frame["school_id"].notna() & ~frame["school_id"].isin(known)]
        if bad.empty:
            continue
        out = _Collector("")
        for file, grp in bad.groupby("_file", sort=True):
            out.file = str(file)
            out.add_mask(
                pd.Series(True, index=grp.index),
                grp["_row"],
                "school_id",
                grp["school_id"],
                "код ОО из перечня schools",
                "a school_id listed in the schools table",
            )
        problems.extend(out.problems)
    return problems


def _finish(result: IngestResult, params: Params) -> None:
    """Drop bookkeeping columns and future years; warn about what was set aside."""
    if result.dropped_personal:
        result.warnings.insert(
            0,
            "Удалены столбцы с персональными данными (не сохраняются): "
            + "; ".join(result.dropped_personal)
            + " (personal-data columns dropped, never persisted)",
        )
    for name, frame in list(result.tables.items()):
        if "year" in frame and schema.TABLES[name].year_column:
            later = frame["year"] > params.year
            if later.any():
                result.warnings.append(
                    f"{name}: строки за годы после отчётного {params.year} не используются "
                    f"({int(later.sum())} строк)"
                )
                frame = frame[~later]
        result.tables[name] = frame.drop(columns=["_row", "_file"]).reset_index(drop=True)


def write_processed(result: IngestResult, params: Params) -> Path:
    """Write the tables as parquet plus a manifest; replace the folder only when complete."""
    target = params.processed_dir()
    with atomic.staged_dir(target, carry_over=False) as tmp:
        for p in tmp.glob("*.parquet"):  # an outer run (shnor report) validated before
            p.unlink()
        for name, frame in result.tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        manifest = {
            "municipality": params.municipality,
            "year": params.year,
            "sources": [s.__dict__ for s in result.sources],
            "warnings": result.warnings,
        }
        (tmp / "_manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), "utf-8"
        )
    return target


def load_processed(params: Params) -> tuple[dict[str, pd.DataFrame], dict]:
    """The validated tables and the manifest written by `write_processed`."""
    folder = atomic.current(params.processed_dir(), "_manifest.json")
    manifest_path = folder / "_manifest.json"
    if not manifest_path.exists():
        raise ShnorError(
            f"Нет обработанных данных в {folder}: сначала выполните shnor validate",
            f"No processed data in {folder}: run shnor validate first",
        )
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    return tables, json.loads(manifest_path.read_text("utf-8"))


def run(params: Params) -> IngestResult:
    """Validate and write; print warnings (Russian) to stderr."""
    result = ingest(params)
    write_processed(result, params)
    for w in result.warnings:
        print("Предупреждение: " + w, file=sys.stderr)
    return result
