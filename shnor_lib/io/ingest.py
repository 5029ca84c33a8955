"""Raw files → validated, canonical tables (docs/data_contract.md), written as parquet.

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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from shnor_lib.config import Params
from shnor_lib.errors import Problem, ShnorError, ValidationError
from shnor_lib.io import (
    atomic,
    cells,
    empty,
    forms_read,
    forms_spec,
    gia_scores,
    personal,
    plausibility,
    recognise,
    reference,
    schema,
    school_codes,
)
from shnor_lib.io.layouts import Extract
from shnor_lib.io.schema import Column, Table
from shnor_lib.methods import vpr_counts

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
    # the filled monitoring forms (data/raw/<m>/forms/), parsed and validated; their rows stay
    # in memory (the support and teachers stages read them from here, never from the files)
    forms: forms_read.FormsData = field(default_factory=forms_read.FormsData)


# ---------------------------------------------------------------------------- reading


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's «Unicode text»: UTF-16 + BOM
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for enc in ("utf-8-sig", "cp1251"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _check_one_encoding(raw: bytes, path: Path) -> None:
    """A file not valid as UTF-8 that still holds many UTF-8 Cyrillic letters was pasted
    together from UTF-8 and Windows-1251 parts: any decoding garbles one of them."""
    try:
        raw.decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    utf8_letters = len(re.findall(rb"[\xd0\xd1][\x80-\xbf]", raw))
    if utf8_letters >= 5:
        raise ShnorError(
            f"Файл {path} в смешанной кодировке: часть строк в UTF-8, часть в Windows-1251 — "
            "такой текст нельзя прочитать без искажений. Откройте файл в Excel или блокноте и "
            "сохраните заново в одной кодировке (лучше UTF-8), либо сохраните как .xlsx.",
            f"File {path} mixes UTF-8 and Windows-1251 text: re-save it in one encoding.",
        )


SEP_LINE = re.compile(r"^\ufeff?sep=(.)\s*$", re.IGNORECASE)


def _sniff_sep(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda s: (counts[s], s == ";"))


def read_raw(path: Path, engine: str = "auto", sheet: str | None = None) -> pd.DataFrame:
    """Read a .csv (UTF-8 or cp1251; `,` `;` or tab) or .xlsx/.xls (``sheet``, by default the
    first) as text columns.

    Cells stay as text (or the spreadsheet's native numbers); parsing happens per column kind.
    A CSV is read by pyarrow's multithreaded reader into Arrow-backed string columns (the
    common case: a clean export); anything it does not take exactly as pandas would (a
    ragged row, a duplicate header, an odd quote) goes through the pandas C reader, so the
    problems reported are the same either way. ``engine="pandas"`` forces the latter.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        # .xls (BIFF) only calamine reads; .xlsx stays with openpyxl (same cells as before)
        excel_engine = "calamine" if path.suffix.lower() == ".xls" else "openpyxl"
        try:
            frame = pd.read_excel(
                path, sheet_name=0 if sheet is None else sheet, dtype=object, engine=excel_engine
            )
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ShnorError(
                f"Не удалось прочитать Excel-файл {path}: {exc}",
                f"Cannot read Excel file {path}: {exc}",
            ) from None
        frame = frame.dropna(how="all")
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame
    raw = path.read_bytes()
    _check_one_encoding(raw, path)
    text = _decode(raw)
    # Excel's «sep=;» first line names the separator: honoured and skipped (rows keep their
    # line numbers in messages)
    sep_line = SEP_LINE.match(text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r"))
    if sep_line:
        text = text.lstrip("\ufeff").split("\n", 1)[1] if "\n" in text else ""
        raw = text.encode("utf-8")
        frame = _read_csv_text(path, raw, text, engine, sep_line[1])
        frame.index = frame.index + 1
        return frame
    return _read_csv_text(path, raw, text, engine, None)


def _read_csv_text(path: Path, raw: bytes, text: str, engine: str, sep: str | None) -> pd.DataFrame:
    if not text or text.isspace():
        return pd.DataFrame()
    head = text[:65536].lstrip("\ufeff")
    if len(head) >= 65530 and not any(c in head for c in "\n\r"):
        head = text.lstrip("\ufeff")  # a first line longer than the sample
    lines = head.splitlines()
    if not lines:
        return pd.DataFrame()
    first = lines[0]
    sep = sep or _sniff_sep(first)
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
        cleaned = text[retry].map(cells.clean, na_action="ignore").astype("string")
        for space in cells.THOUSANDS:  # space, nbsp, narrow nbsp (U+202F), thin space
            cleaned = cleaned.str.replace(space, "", regex=False)
        cleaned = cleaned.str.replace(",", ".", regex=False)
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
            for space in cells.THOUSANDS:
                arr = pc.replace_substring(arr, space, "")
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
    """Problems of one file (or sheet); columns named by the user's own headers when known."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.names: dict[str, str] = {}  # contract column → the file's own header
        # several files read as one batch: each row's own file (by frame index)
        self.row_files: pd.Series | None = None

    def file_of(self, rows: pd.Series, i: int) -> str:
        if self.row_files is None:
            return self.file
        return str(self.row_files.loc[rows.index[i]])

    def _name(self, column: str | None) -> str | None:
        return self.names.get(column, column) if column is not None else None

    def add_mask(
        self, mask: pd.Series, rows: pd.Series, column: str, values: pd.Series, ru: str, en: str
    ) -> None:
        idx = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
        for i in idx[:MAX_PROBLEMS_PER_COLUMN]:
            self.problems.append(
                Problem(
                    self.file_of(rows, i),
                    ru,
                    en,
                    int(rows.iloc[i]),
                    self._name(column),
                    values.iloc[i],
                )
            )
        if len(idx) > MAX_PROBLEMS_PER_COLUMN:
            rest = len(idx) - MAX_PROBLEMS_PER_COLUMN
            self.problems.append(
                Problem(
                    self.file,
                    f"{ru} (ещё {rest} таких строк не показано)",
                    f"{en} ({rest} more such rows not shown)",
                    None,
                    self._name(column),
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
        self.problems.append(Problem(self.file, ru, en, row, self._name(column), value))


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
        odd = _non_ascii(text)
        if odd.any():  # zero-width characters, full-width digits, a Cyrillic «е» in edu…
            fixed = _lookup(text[odd], lambda v: cells.latin_id(cells.clean(v)).strip())
            text = text.mask(odd, fixed.astype("string"))
        return _python_text(text)
    if col.kind in ("int", "float", "year"):
        num = _to_number(text)
        bad = present & num.isna()
        if bad.any():  # «нет отметки», «Х»: no value; «2025/2026»: the procedure year 2026
            num, bad = _number_words(col, text, num, bad)
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
        mapped = _lookup(text, _subject)
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


def _subject(value: str) -> str | None:
    """A subject name; «Pусский язык» typed with a Latin P and zero-width spaces too."""
    return schema.subject_canonical(value) or schema.subject_canonical(
        cells.cyrillic_word(cells.clean(value))
    )


def _non_ascii(text: pd.Series) -> pd.Series:
    """Cells with a character outside ASCII (Arrow's check when the column is Arrow-backed)."""
    if _is_arrow_text(text):
        import pyarrow.compute as pc

        ascii_ = pc.string_is_ascii(text.array._pa_array)
        if pc.all(pc.fill_null(ascii_, True)).as_py():
            return pd.Series(False, index=text.index)
    return text.str.contains(r"[^\x00-\x7f]", regex=True, na=False)


def _number_words(
    col: Column, text: pd.Series, num: pd.Series, bad: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Cells a number column may hold in real exports that are not numbers: «нет отметки»,
    «Х» (Latin or Cyrillic), «отсутствовал» mean no value; a school year «2025/2026» or
    «2025-2026» in a year column is the year the procedure took place (2026)."""
    idx = np.flatnonzero(bad.to_numpy(dtype=bool, na_value=False))
    num, bad = num.copy(), bad.copy()
    for i in idx:
        value = str(text.iloc[i])
        if cells.is_no_mark(value):
            bad.iloc[i] = False
            continue
        if col.kind == "year":
            m = re.fullmatch(
                r"(\d{4})\s*[/\-–—]\s*(\d{2}|\d{4})(?:\s*(?:уч\.?\s*)?г(?:од|г)?\.?)?", value
            )
            if m:
                first, second = int(m[1]), int(m[2]) if len(m[2]) == 4 else int(m[1][:2] + m[2])
                if second == first + 1:
                    num.iloc[i], bad.iloc[i] = float(second), False
    return num, bad


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
    frame: pd.DataFrame,
    table: Table,
    out: _Collector,
    result: IngestResult,
    explicit: dict[str, str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Original header → canonical column; personal-data columns dropped; unknown listed.

    ``explicit`` (a layout's own reading of its headers) wins over the aliases; a header
    mapped to "" is deliberately not used (no warning)."""
    hmap = schema.header_map(table)
    explicit = explicit or {}
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for header in frame.columns:
        if schema.is_personal(header):
            result.dropped_personal.append(f"{out.file}: «{header}»")
            continue
        if header in explicit and not explicit[header]:
            continue
        canon = explicit.get(header) or hmap.get(schema.norm_key(cells.clean(str(header))))
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


def _read_extract(
    extract: Extract, table: Table, result: IngestResult, out: _Collector
) -> pd.DataFrame | None:
    """One extract's cells → parsed contract columns (+ ``_row``, ``_file``), or None."""
    frame = extract.frame
    if frame.shape[0] == 0:  # an empty federal list is a fact; an empty vpr.csv is not
        return empty.empty_table(table, frame, out, result.warnings)
    mapping, unknown = _map_headers(frame, table, out, result, extract.columns)
    out.names = {canon: header for header, canon in mapping.items() if header != canon}
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
    # Row numbers as the user sees them in the sheet (the layout counted them)
    rows = pd.Series(np.asarray(extract.rows, dtype="int64"), index=frame.index)
    frame, rows = _drop_non_participants(table, frame, rows, mapping, result, out)
    data = {}
    for header, canon in mapping.items():
        col = table.by_name.get(canon) or Column(canon, "int", lo=0)  # extra counts
        data[canon] = _parse_column(col, frame[header], rows, out)
    parsed = pd.DataFrame(data, index=frame.index)
    parsed["_row"] = rows
    parsed["_file"] = out.file if out.row_files is None else out.row_files.loc[parsed.index]
    # the user's headers, for io.personal (a header the layout itself mapped — «Логин» of the
    # ФИОКО list — is a known column of that layout, never a person's name)
    parsed.attrs["headers"] = {h: c for h, c in mapping.items() if h not in extract.columns}
    return parsed


# The result columns whose «отсутствовал» / «нет отметки» / «Х» means the pupil has no result
# at all: not a participant, the row is dropped (counted in a warning).
PARTICIPATION = {"vpr": ("mark", "primary_score"), "gia": ("score",)}


def _drop_non_participants(
    table: Table,
    frame: pd.DataFrame,
    rows: pd.Series,
    mapping: dict[str, str],
    result: IngestResult,
    out: _Collector,
) -> tuple[pd.DataFrame, pd.Series]:
    headers = [h for h, c in mapping.items() if c in PARTICIPATION.get(table.name, ())]
    absent = pd.Series(False, index=frame.index)
    for header in headers:
        col = frame[header]
        if pd.api.types.is_numeric_dtype(col.dtype):
            continue
        text = _as_text(col)
        if _is_arrow_text(text) and _to_number_arrow(text) is not None:
            continue  # plain numbers: the common case, one Arrow cast
        wordy = text.str.contains(r"[^\d\s.,+\-]", regex=True, na=False)
        if not wordy.any():
            continue
        words = _lookup(text[wordy], cells.is_no_mark).to_numpy(dtype=object)
        absent[wordy[wordy].index] = np.fromiter((w is True for w in words), bool, len(words))
    if not absent.any():
        return frame, rows
    n = int(absent.sum())
    shown = ", ".join(f"«{h}»" for h in headers)
    result.warnings.append(
        f"{out.file}: {n} строк без результата ({shown}: «отсутствовал», «нет отметки», «Х») "
        "— не участники, исключены из результатов (rows without a result dropped)"
    )
    return frame[~absent], rows[~absent]


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
    if name in schema.VPR_AGGREGATED:  # counts given as a table: they must add up to n
        parts = ["n2", "n3", "n4", "n5"] if name == "vpr_stats" else list(schema.JOURNAL_COUNTS)
        total = frame[parts].sum(axis=1, min_count=len(parts))
        out.add_mask(
            (total != frame["n"]).fillna(False),
            rows,
            "n",
            frame["n"],
            f"число участников, равное сумме {' + '.join(parts)}",
            f"the number of participants, equal to {' + '.join(parts)}",
        )
    if name == "vpr_tasks":
        over = (frame["score"] > frame["max_task_score"]).fillna(False)
        out.add_mask(
            over,
            rows,
            "score",
            frame["score"],
            "балл за задание не больше максимального за задание",
            "a task score not above the task maximum",
        )
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


def _check_duplicates(table: Table, frame: pd.DataFrame, out: _Collector) -> pd.DataFrame:
    key = [k for k in table.key if k in frame.columns]
    if not key:
        return frame
    dup = frame.duplicated(subset=key, keep=False)
    if dup.any():
        dups = frame[dup]
        first_rows = dups.groupby(key, dropna=False)["_row"].transform("first")
        later = dups[dups.duplicated(subset=key, keep="first")]
        shown = later.head(MAX_PROBLEMS_PER_COLUMN)
        first_files = dups.groupby(key, dropna=False)["_file"].transform("first")
        for (_, r), first, first_file in zip(
            shown.iterrows(), first_rows[shown.index], first_files[shown.index], strict=True
        ):
            keyval = ", ".join(f"{k}={r[k]}" for k in key)
            where = "" if first_file == r["_file"] else f" файла {first_file}"
            where_en = "" if first_file == r["_file"] else f" of file {first_file}"
            out.problems.append(
                Problem(
                    str(r["_file"]),
                    f"уникальная строка; повторяет строку {int(first)}{where} ({keyval})",
                    f"a unique row; repeats row {int(first)}{where_en} ({keyval})",
                    int(r["_row"]),
                    " + ".join(key),
                    keyval,
                )
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
    """Read and validate every table of the contract; raise ValidationError with all problems.

    Every file under the raw folder (sub-folders too) is recognised by its content
    (:mod:`shnor_lib.io.recognise`); files nobody recognises are set aside with a warning.
    """
    raw_dir = Path(raw_dir) if raw_dir is not None else params.raw_dir()
    if not raw_dir.is_dir():
        raise ShnorError(
            f"Папка с исходными данными не найдена: {raw_dir}",
            f"Raw data folder not found: {raw_dir}",
        )
    result = IngestResult(tables={}, warnings=params.warnings())
    found = recognise.scan(raw_dir, lambda p: _rel(p, params.root))
    problems, by_table = _sort_recognised(found, result)
    notes: list[tuple[str, str]] = []
    for name, table in schema.TABLES.items():
        items = _without_copies(by_table.get(name, []), result, params)
        if not items:
            if table.required and not set(schema.REPLACED_BY.get(name, ())) & set(by_table):
                problems.append(_missing_table_problem(raw_dir, name, table, found))
            continue
        frame = _read_items(table, items, params, result, problems, notes)
        if frame is not None:
            result.tables[name] = frame
    result.warnings.extend(_summarise_notes(notes))
    problems.extend(school_codes.resolve(result.tables))  # any system's code → school_id
    problems.extend(_read_forms(raw_dir, params, result))
    if not problems:  # cross-table plausibility needs every code mapped to its school_id
        problems.extend(plausibility.check_tables(result.tables, _Collector))
    if problems:
        raise ValidationError(problems)
    _check_reporting_year(result, params)
    if "vpr" in result.tables:  # «шкала неизвестна»: said at validation, never a guessed scale
        vpr = result.tables["vpr"]
        scales = reference.vpr_scales(raw_dir)
        result.warnings.extend(
            reference.vpr_scale_warnings(vpr[vpr["year"] <= params.year], scales)
        )
    result.warnings.extend(vpr_counts.pupil_rows_missing(result.tables, params.year))
    _finish(result, params)
    return result


def read_schools(params: Params) -> pd.DataFrame:
    """Only the ``schools`` table of the municipality, read and validated as ingest reads it
    (``shnor forms --params``: the school drop-down of the forms, before the other exports
    exist); ValidationError names what to fix."""
    raw_dir = params.raw_dir()
    result = IngestResult(tables={})
    found = recognise.scan(raw_dir, lambda p: _rel(p, params.root))
    _, by_table = _sort_recognised(found, result)  # other files' problems: not ours here
    table = schema.TABLES["schools"]
    problems: list[Problem] = []
    items = _without_copies(by_table.get("schools", []), result, params)
    if not items:
        raise ValidationError([_missing_table_problem(raw_dir, "schools", table, found)])
    frame = _read_items(table, items, params, result, problems, [])
    if problems or frame is None:
        raise ValidationError(problems)
    return frame.drop(columns=["_row", "_file"]).sort_values("school_id").reset_index(drop=True)


def _read_forms(raw_dir: Path, params: Params, result: IngestResult) -> list[Problem]:
    """The filled monitoring forms in ``<raw>/forms/`` into ``result.forms``: their problems
    (returned, listed with the tables' ones) or their rows, sources and warnings."""
    schools = result.tables.get("schools")
    ids = names = None
    if schools is not None and "school_id" in schools:
        ids = schools["school_id"].astype(str).tolist()
        if "school_name" in schools:
            names = dict(zip(ids, schools["school_name"], strict=True))
    try:
        forms = forms_read.read_forms(
            raw_dir / forms_spec.FORMS_SUBDIR,
            year=int(params.year),
            school_ids=ids,
            school_names=names,
            root=params.root,
        )
    except ValidationError as exc:
        return exc.problems
    forms.warnings = personal.scrub_warnings(forms.warnings)
    result.forms = forms
    result.sources.extend(Source(**s) for s in forms.sources)
    return []


def _sort_recognised(
    found: list[recognise.Recognised], result: IngestResult
) -> tuple[list[Problem], dict[str, list[tuple[recognise.Recognised, Extract]]]]:
    """Problems of files that could not be read, warnings for files set aside, and the
    extracts of the others by table."""
    problems: list[Problem] = []
    by_table: dict[str, list[tuple[recognise.Recognised, Extract]]] = {}
    for rec in found:
        if rec.error is not None and rec.layout is not None:
            problems.append(
                Problem(
                    rec.rel,
                    f"файл, читаемый как «{rec.layout.title_ru}»; прочитать не удалось: "
                    f"{rec.error}",
                    f"a file readable as '{rec.layout.name}'; reading failed: {rec.error}",
                )
            )
        elif rec.problem is not None:
            p = rec.problem
            problems.append(Problem(rec.rel, p.ru, p.en, p.row, None, p.value))
        elif rec.set_aside is not None and not rec.skipped:
            result.warnings.append(
                f"{rec.rel}: файл отложен и не используется — {rec.set_aside} "
                "(file set aside, not used)"
            )
        for extract in rec.extracts:
            by_table.setdefault(extract.table, []).append((rec, extract))
    return problems, by_table


def _without_copies(
    items: list[tuple[recognise.Recognised, Extract]], result: IngestResult, params: Params
) -> list[tuple[recognise.Recognised, Extract]]:
    """A table's extracts without those of stray copies («vpr (копия).csv») and of files
    byte-identical to another one (:func:`plausibility.set_aside` warns about each)."""
    paths = list(dict.fromkeys(rec.path for rec, _ in items))
    kept = set(plausibility.set_aside(paths, result.warnings, lambda p: _rel(p, params.root)))
    return [(rec, one) for rec, one in items if rec.path in kept]


def _read_items(
    table: Table,
    items: list[tuple[recognise.Recognised, Extract]],
    params: Params,
    result: IngestResult,
    problems: list[Problem],
    notes: list[tuple[str, str]],
) -> pd.DataFrame | None:
    """Every extract of one table parsed and checked (in batches of the same shape), the
    parts concatenated and checked for duplicates; None when nothing could be parsed."""
    parts = []
    for batch in _batches(items):
        rec, extract = batch[0]
        out = _Collector(extract_label(rec.rel, extract))
        if len(batch) > 1:
            extract, out = _batch_extract(batch, out)
        if "municipality_column" in extract.meta:
            extract = _own_municipality(extract, params, result, out)
        part = _read_extract(extract, table, result, out)
        for rec, one in batch:
            notes.extend((extract_label(rec.rel, one), note) for note in one.notes)
        if part is not None:
            _check_rows(table.name, part, out)
            part = personal.check_table(table.name, part, out, result.warnings)
            plausibility.check_table(table.name, part, out)
            if table.name == "gia":  # score semantics: test vs primary score (io/gia_scores.py)
                part, score_notes = gia_scores.check(part, out)
                result.warnings.extend(score_notes)
            parts.append(part)
        problems.extend(out.problems)
        counts = part["_file"].value_counts().to_dict() if part is not None else {}
        for rec, one in batch:
            n = counts.get(extract_label(rec.rel, one), 0)
            result.sources.append(Source(table.name, rec.rel, _sha256_cached(rec), n))
    if not parts:
        return None
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    out = _Collector(", ".join(dict.fromkeys(rec.rel for rec, _ in items)))
    _check_duplicates(table, frame, out)
    problems.extend(out.problems)
    return frame


def inspect(params: Params, *, raw_dir: Path | None = None) -> list[str]:
    """Lines of `shnor inspect`: every file found, what it was recognised as, what was set
    aside and why (nothing is validated or written)."""
    raw_dir = Path(raw_dir) if raw_dir is not None else params.raw_dir()
    if not raw_dir.is_dir():
        raise ShnorError(
            f"Папка с исходными данными не найдена: {raw_dir}",
            f"Raw data folder not found: {raw_dir}",
        )
    found = recognise.scan(raw_dir, lambda p: _rel(p, params.root))
    return recognise.inspect_lines(found, _rel(raw_dir, params.root))


_GENERIC_PLACE_WORDS = frozenset(
    [
        "муниципальный",
        "муниципальное",
        "муниципалитет",
        "образование",
        "район",
        "округ",
        "городской",
        "город",
        "г",
        "мо",
        "мр",
        "го",
        "рн",
        "р-н",
        "городского",
        "сельского",
        "поселение",
    ]
)


def _place_stems(text: object) -> set[str]:
    """«Урус-Мартановский муниципальный район» → {"урус-м"}: the distinctive words, cut to
    their stems (so «Урус-Мартановский район» matches)."""
    words = re.findall(r"[0-9a-zа-я\-]+", schema.norm_key(cells.clean(str(text))))
    return {w[:6] for w in words if w not in _GENERIC_PLACE_WORDS and len(w) > 2}


def same_municipality(cell: object, params: Params) -> bool:
    """Whether a «Муниципалитет» cell names this municipality (its params title or id)."""
    cell_stems = _place_stems(cell)
    if not cell_stems:
        return False
    for name in (params.title, params.municipality):
        own = _place_stems(name)
        if own and (own <= cell_stems or cell_stems <= own):
            return True
    return False


def _own_municipality(
    extract: Extract, params: Params, result: IngestResult, out: _Collector
) -> Extract:
    """A region-wide file (the ФИОКО list): this municipality's rows only — by the
    «Муниципалитет» cell or by a school code of `schools`; the rest set aside with one
    warning; disagreeing duplicate rows of own schools are problems naming both rows."""
    column = extract.meta["municipality_column"]
    known: set[str] = set()
    if "schools" in result.tables:  # any system's code of the schools list (login, РЦОИ…)
        s = result.tables["schools"]
        known = {str(v) for c in school_codes.CODE_COLUMNS if c in s for v in s[c].dropna()}
    wide = extract.meta.get("wide")
    cache: dict[object, bool] = {}

    def own(cell: object, school: object) -> bool:
        if cell not in cache:
            cache[cell] = same_municipality(cell, params)
        return cache[cell] or str(school) in known

    if wide is not None and len(wide):
        mine = np.array(
            [own(m, s) for m, s in zip(wide["municipality"], wide["school_id"], strict=True)]
        )
        other = int((~mine).sum())
        if other:
            names = sorted({str(m) for m in wide["municipality"][~mine]})
            result.warnings.append(
                f"{out.file}: {other} строк других муниципалитетов отложены "
                f"({len(names)} муниципалитетов, например «{names[0]}»); свои строки "
                f"узнаются по столбцу «{column}» (как «{params.title}») или по коду ОО из "
                "schools (rows of other municipalities set aside)"
            )
        if not mine.any():
            result.warnings.append(
                f"{out.file}: ни одной строки муниципалитета «{params.title}» — проверьте "
                f"title в {params.source} или коды ОО в schools (no rows of this municipality)"
            )
    for c in extract.meta.get("conflicts", []):
        if own(c["municipality"], c["school_id"]):
            first, second = c["rows"]
            cols = ", ".join(f"«{x}»" for x in c["columns"])
            out.add(
                f"одна строка на ОО и год; строки {first} и {second} (ОО {c['school_id']}, "
                f"год {c['year']}) расходятся в маркерах {cols} — оставьте верную",
                f"one row per school and year; rows {first} and {second} disagree on {cols}",
                row=second,
                column=_school_header(extract),
                value=c["school_id"],
            )
    frame = extract.frame
    keep = np.array(
        [own(m, s) for m, s in zip(frame[column], frame[_school_header(extract)], strict=True)],
        dtype=bool,
    )
    return replace(extract, frame=frame[keep], rows=extract.rows[keep])


def _school_header(extract: Extract) -> str:
    return next(h for h, c in extract.columns.items() if c == "school_id")


def _batches(
    items: list[tuple[recognise.Recognised, Extract]],
) -> list[list[tuple[recognise.Recognised, Extract]]]:
    """Extracts of one layout with the same columns are parsed together (hundreds of Ф1
    files: one pass instead of hundreds); others alone. Order is kept."""
    groups: dict[tuple, list[tuple[recognise.Recognised, Extract]]] = {}
    for rec, extract in items:
        if extract.layout == "contract" or "municipality_column" in extract.meta:
            key: tuple = (id(extract),)
        else:
            key = (
                extract.layout,
                tuple(map(str, extract.frame.columns)),
                tuple(sorted(extract.columns.items())),
            )
        groups.setdefault(key, []).append((rec, extract))
    return list(groups.values())


def _batch_extract(
    batch: list[tuple[recognise.Recognised, Extract]], out: _Collector
) -> tuple[Extract, _Collector]:
    """One extract of a batch's frames; the collector knows each row's own file."""
    first = batch[0][1]
    frame = pd.concat([e.frame for _, e in batch], ignore_index=True)
    rows = pd.Series(np.concatenate([np.asarray(e.rows, dtype="int64") for _, e in batch]))
    labels = np.repeat(
        np.array([extract_label(r.rel, e) for r, e in batch], dtype=object),
        [len(e.frame) for _, e in batch],
    )
    out = _Collector(f"{out.file} (и ещё {len(batch) - 1} файлов того же вида)")
    out.row_files = pd.Series(labels, index=frame.index)
    combined = Extract(first.table, frame, rows, first.layout, None, {}, [], first.columns)
    return combined, out


def _summarise_notes(notes: list[tuple[str, str]], per_file: int = 3) -> list[str]:
    """Layouts' notes, one line per file — or, when the same kind of note (differing only in
    its numbers) comes from many files (hundreds of Ф1 files), the first one and the count
    of the others (`shnor inspect` lists each file's notes)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for file, note in notes:
        groups.setdefault(re.sub(r"\d+", "#", note), []).append((file, note))
    out = []
    for items in groups.values():
        if len(items) <= per_file:
            out.extend(f"{file}: {note}" for file, note in items)
            continue
        file, note = items[0]
        out.append(
            f"{file}: {note}; такие же примечания ещё в {len(items) - 1} файлах "
            "(по каждому файлу — shnor inspect)"
        )
    return out


def extract_label(rel: str, extract: Extract) -> str:
    """How messages name an extract's source: the file, and the sheet when it matters."""
    return f"{rel}, лист «{extract.sheet}»" if extract.sheet else rel


def _sha256_cached(rec: recognise.Recognised) -> str:
    if rec.sha256 is None:  # once per file, however many extracts it gives
        rec.sha256 = sha256_of(rec.path)
    return rec.sha256


def _missing_table_problem(
    raw_dir: Path, name: str, table: Table, found: list[recognise.Recognised]
) -> Problem:
    aside = [r.rel for r in found if r.set_aside is not None and not r.skipped]
    hint_ru = (
        " Не распознаны файлы: "
        + ", ".join(aside[:5])
        + (" …" if len(aside) > 5 else "")
        + " — см. shnor inspect."
        if aside
        else ""
    )
    return Problem(
        str(raw_dir / f"{name}.csv"),
        f"обязательный файл «{name}» ({table.title_ru}) в формате .csv, .xlsx или .xls, "
        f"или выгрузка, из которой он получается (см. docs/layouts.md).{hint_ru}",
        f"required file '{name}' (.csv, .xlsx or .xls) or an export it is read from",
    )


def _check_reporting_year(result: IngestResult, params: Params) -> None:
    """The reporting year must have results: a typo in `year` must not give an empty report."""
    years: set[int] = set()
    for name in ("vpr", "gia", *schema.VPR_AGGREGATED):
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
    result.warnings = personal.scrub_warnings(result.warnings)  # stored and shown in the report


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
    for w in [*result.warnings, *result.forms.warnings]:  # forms: notes of the support stage
        print("Предупреждение: " + w, file=sys.stderr)
    return result
