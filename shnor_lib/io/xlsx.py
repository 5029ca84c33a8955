"""A small, fast, deterministic XLSX writer for the published tables (tables.xlsx).

Why not pandas' ``to_excel``: it formats every cell through Python objects (``ExcelCell``,
CSS conversion) and then XlsxWriter writes them one by one — about 30 µs a cell, 13 s of
the 21 s `shnor compute` of an 80-school municipality. Here a sheet is built column by
column as SpreadsheetML text (inline strings, numbers, dates) and zipped once: the same
workbook content in about a tenth of the time.

What a sheet holds: a bold header row (frozen, with an autofilter over every row), one row
per table row, column widths from the header and the first 200 values. Numbers are written
as numbers (shortest repr that round-trips) with the number format the caller gives their
column (:data:`FORMATS`: 0.0 %, 0.0, 0.00, 0.000, integers, dates), dates as dates
(ДД.ММ.ГГГГ), everything else as text; missing values are empty cells. A sheet may link the
cells of one column to the sheets they name (the contents sheet). The file is byte-identical
for the same tables: fixed document dates and zip timestamps.

Why not XlsxWriter for the formats: a format is one ``<xf>`` in the fixed style sheet below
and an ``s=`` attribute on a cell, which keeps the column-at-a-time speed; XlsxWriter writes
cell by cell.

No cell is ever a formula: text is written as an inline string (``t="inlineStr"``), so a
school name such as ``=HYPERLINK(…)`` or ``@SUM(…)`` stays text when Excel opens the file
(the CSV files need an apostrophe for that: :func:`shnor_lib.io.publish.neutralise_text`).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MAX_STRING = 32767  # Excel's limit for the text of one cell
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = np.datetime64("1899-12-30")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_DOC_TIME = "2000-01-01T00:00:00Z"

_STYLE_HEADER = 1
_STYLE_DATE = 2

_CONTENT_TYPES_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>shnor</Application></Properties>"
)
# number formats by column kind (docs/data_contract.md, «tables.xlsx»): the cell style index
# of each kind; "text" and None are General
FORMATS = {
    "date": 2,
    "share": 3,  # a share 0–1 shown as 61.8 %
    "dec1": 4,  # a mean, a percent 0–100, a score: one decimal
    "dec2": 5,
    "int": 6,  # counts and years: no thousands separator, no decimals
    "dec3": 7,  # coefficients, p-values
}
_STYLE_LINK = 8
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="5"><numFmt numFmtId="164" formatCode="dd\\.mm\\.yyyy"/>'
    '<numFmt numFmtId="165" formatCode="0.0%"/><numFmt numFmtId="166" formatCode="0.0"/>'
    '<numFmt numFmtId="167" formatCode="0.00"/><numFmt numFmtId="168" formatCode="0.000"/>'
    "</numFmts>"
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom>'
    "<diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="9"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" '
    'applyAlignment="1"><alignment horizontal="center" vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="168" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _col_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _esc(text: str) -> str:
    if len(text) > MAX_STRING:
        text = text[:MAX_STRING]
    if _SPECIAL.search(text) is None:
        return text
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _num(x: float) -> str | None:
    """A finite number as SpreadsheetML text; None for NaN; 'inf' text handled by callers."""
    if x != x:  # NaN
        return None
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"  # written as text, like pandas' inf_rep
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def _number_texts(vals: np.ndarray) -> list[str | None]:
    """:func:`_num` of every value, whole numbers converted in one go."""
    finite = np.isfinite(vals)
    whole = finite & (np.floor(vals) == vals) & (np.abs(vals) < 1e16)
    out = np.full(vals.shape, None, dtype=object)
    if whole.any():
        out[whole] = vals[whole].astype(np.int64).astype(str).tolist()
    rest = finite & ~whole
    if rest.any():
        out[rest] = [repr(x) for x in vals[rest].tolist()]
    inf = np.isinf(vals)
    if inf.any():
        out[inf] = np.where(vals[inf] > 0, "inf", "-inf").tolist()
    return out.tolist()


def _inf(ref: str, text: str | None) -> str:
    return "" if text is None else _string_cell(ref, text)


def _number_cell(ref: str, x: float, style: str = "") -> str:
    text = _num(x)
    if text is None:
        return ""
    if text.endswith("inf"):
        return _string_cell(ref, text)
    return f'<c r="{ref}"{style}><v>{text}</v></c>'


def _string_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_esc(text)}</t></is></c>'


def _cells(series: pd.Series, letter: str, rows: list[str], style: int = 0) -> list[str]:
    """The <c> elements of one column (``rows``: the row numbers, from 2; ``style``: the cell
    style of its numbers, :data:`FORMATS`); '' for an empty cell."""
    dtype = series.dtype
    sa = f' s="{style}"' if style else ""
    if pd.api.types.is_datetime64_any_dtype(dtype):
        s = series.dt.tz_localize(None) if getattr(dtype, "tz", None) is not None else series
        vals = s.to_numpy(dtype="datetime64[ns]")
        days = (vals - _EXCEL_EPOCH) / np.timedelta64(1, "D")
        ok = ~np.isnat(vals)
        return [
            f'<c r="{letter}{r}" s="{_STYLE_DATE}"><v>{_num(d)}</v></c>' if good else ""
            for r, d, good in zip(rows, days.tolist(), ok.tolist(), strict=True)
        ]
    if pd.api.types.is_integer_dtype(dtype) and not series.hasnans:
        return [
            f'<c r="{letter}{r}"{sa}><v>{v}</v></c>'
            for r, v in zip(rows, series.to_numpy().tolist(), strict=True)
        ]
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        vals = series.to_numpy(dtype="float64", na_value=np.nan)
        return [
            f'<c r="{letter}{r}"{sa}><v>{t}</v></c>'
            if t is not None and t[-1] != "f"
            else _inf(f"{letter}{r}", t)
            for r, t in zip(rows, _number_texts(vals), strict=True)
        ]
    values = series.astype(object)
    kinds = pd.api.types.infer_dtype(values, skipna=True)
    if kinds in ("string", "boolean", "empty"):  # text (or да/нет): each distinct value once
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        bodies = [
            None if (isinstance(u, str) and u == "") else _esc(_text(u)) for u in uniques.tolist()
        ]
        bodies.append(None)  # code -1: missing
        return [
            ""
            if (b := bodies[c]) is None
            else f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">{b}</t></is></c>'
            for r, c in zip(rows, codes.tolist(), strict=True)
        ]
    out = []
    for r, v in zip(rows, values.tolist(), strict=True):
        ref = f"{letter}{r}"
        if isinstance(v, str):
            out.append(_string_cell(ref, v) if v != "" else "")
        elif v is None or v is pd.NA or v is pd.NaT:
            out.append("")
        elif isinstance(v, bool | np.bool_):
            out.append(_string_cell(ref, _text(v)))
        elif isinstance(v, int | float | np.integer | np.floating):
            out.append(_number_cell(ref, float(v), sa))
        elif isinstance(v, pd.Timestamp | np.datetime64):
            ts = pd.Timestamp(v)
            if pd.isna(ts):
                out.append("")
            else:
                d = (ts.tz_localize(None) - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
                out.append(f'<c r="{ref}" s="{_STYLE_DATE}"><v>{_num(d)}</v></c>')
        else:
            out.append(_string_cell(ref, str(v)))
    return out


def _text(v: object) -> str:
    if isinstance(v, bool | np.bool_):
        return "да" if v else "нет"
    return str(v)


_KIND_WIDTH = {"share": 9, "dec1": 9, "dec2": 9, "dec3": 10, "date": 12}


def _width(header: str, values: Iterable[object], kind: str | None = None) -> float:
    """Wide enough for the values (a formatted number: its format's width) and for the
    header's longest word; a long header wraps (the header style wraps text)."""
    if kind in _KIND_WIDTH:
        body = _KIND_WIDTH[kind]
    else:
        body = max((len(str(v)) for v in values if not _missing(v)), default=0)
        if kind == "int":
            body = min(body, 12)
    word = max((len(w) for w in str(header).split()), default=0)
    head = max(word, min(len(str(header)), 18))
    return float(min(max(8, body + 2, head + 2), 60))


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


@dataclass(frozen=True)
class Sheet:
    """One sheet: the frame (headers as shown), the number format of some of its columns
    (header → a key of :data:`FORMATS`) and, when ``link_column`` is set, that column's cells
    link to the sheet their text names (the contents sheet)."""

    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    link_column: int | None = None


def _quoted(sheet: str) -> str:
    """A sheet name as a formula reference: 'Name' with apostrophes doubled."""
    return "'" + sheet.replace("'", "''") + "'"


def sheet_xml(sheet: Sheet | pd.DataFrame) -> str:
    """The worksheet XML of one table: header row (bold, frozen, autofilter), then the rows."""
    if isinstance(sheet, pd.DataFrame):
        sheet = Sheet(sheet)
    frame = sheet.frame
    columns = [str(c) for c in frame.columns]
    kinds = [sheet.formats.get(c) for c in columns]
    unknown = {k for k in kinds if k is not None and k != "text" and k not in FORMATS}
    if unknown:
        raise ValueError(f"unknown number formats {sorted(unknown)}; known: {sorted(FORMATS)}")
    letters = [_col_letter(i) for i in range(len(columns))]
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    ]
    last = f"{letters[-1]}{len(frame) + 1}" if columns else "A1"
    parts.append(f'<dimension ref="A1:{last}"/>')
    parts.append(
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
    )
    if columns:
        parts.append("<cols>")
        for i, col in enumerate(frame.columns):
            head = frame.iloc[:200, i].tolist()
            w = _width(str(col), head, kinds[i])
            parts.append(f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>')
        parts.append("</cols>")
    parts.append("<sheetData>")
    links: list[str] = []
    if columns:
        header = "".join(
            f'<c r="{letter}1" s="{_STYLE_HEADER}" t="inlineStr"><is><t xml:space="preserve">'
            f"{_esc(name)}</t></is></c>"
            for letter, name in zip(letters, columns, strict=True)
        )
        parts.append(f'<row r="1">{header}</row>')
        rows = [str(r) for r in range(2, len(frame) + 2)]
        cols = [
            _cells(frame.iloc[:, i], letters[i], rows, FORMATS.get(kinds[i] or "", 0))
            for i in range(len(columns))
        ]
        if sheet.link_column is not None:
            cols[sheet.link_column], links = _links(
                frame.iloc[:, sheet.link_column], letters[sheet.link_column], rows
            )
        parts.extend(
            f'<row r="{r}">{"".join(cells)}</row>'
            for r, cells in enumerate(zip(*cols, strict=True), start=2)
        )
    parts.append("</sheetData>")
    parts.append(f'<autoFilter ref="{autofilter_ref(frame)}"/>')
    if links:
        parts.append(f"<hyperlinks>{''.join(links)}</hyperlinks>")
    parts.append("</worksheet>")
    return "".join(parts)


def autofilter_ref(frame: pd.DataFrame) -> str:
    """The header row and every row below it (A1 alone for a sheet without columns)."""
    if len(frame.columns) == 0:
        return "A1"
    return f"A1:{_col_letter(len(frame.columns) - 1)}{len(frame) + 1}"


def _links(series: pd.Series, letter: str, rows: list[str]) -> tuple[list[str], list[str]]:
    """Cells that link to the sheet their text names (no relationship part: an internal
    ``location``), and the <hyperlink> elements."""
    cells, links = [], []
    for r, name in zip(rows, series.astype(str).tolist(), strict=True):
        ref = f"{letter}{r}"
        cells.append(
            f'<c r="{ref}" s="{_STYLE_LINK}" t="inlineStr"><is><t xml:space="preserve">'
            f"{_esc(name)}</t></is></c>"
        )
        target = _attr(f"{_quoted(name)}!A1")
        links.append(f'<hyperlink ref="{ref}" location="{target}" display="{_attr(name)}"/>')
    return cells, links


def _attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;")


def write(
    sheets: Mapping[str, Sheet | pd.DataFrame], path: Path, *, compresslevel: int = 1
) -> None:
    """Write ``{sheet title: sheet or frame}`` (titles already valid and unique) to ``path``."""
    sheets = {k: v if isinstance(v, Sheet) else Sheet(v) for k, v in sheets.items()}
    names = list(sheets)
    content_types = [_CONTENT_TYPES_HEAD]
    wb_sheets, wb_rels = [], []
    for i, _ in enumerate(names, start=1):
        content_types.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
    content_types.append("</Types>")
    for i, name in enumerate(names, start=1):
        title = _attr(name)
        wb_sheets.append(f'<sheet name="{title}" sheetId="{i}" r:id="rId{i}"/>')
        wb_rels.append(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        )
    k = len(names) + 1
    wb_rels.append(
        f'<Relationship Id="rId{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/>'
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{''.join(wb_sheets)}</sheets>{_filter_names(sheets)}</workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(wb_rels)
        + "</Relationships>"
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>shnor</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{_FIXED_DOC_TIME}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_FIXED_DOC_TIME}</dcterms:modified>'
        "</cp:coreProperties>"
    )
    parts: list[tuple[str, str]] = [
        ("[Content_Types].xml", "".join(content_types)),
        ("_rels/.rels", _ROOT_RELS),
        ("docProps/app.xml", _APP),
        ("docProps/core.xml", core),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", _STYLES),
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        for name, text in parts:
            _put(zf, name, text)
        for i, name in enumerate(names, start=1):
            _put(zf, f"xl/worksheets/sheet{i}.xml", sheet_xml(sheets[name]))


def _filter_names(sheets: Mapping[str, Sheet]) -> str:
    """The hidden names Excel keeps for each sheet's autofilter range."""
    names = []
    for i, (name, sheet) in enumerate(sheets.items()):
        ref = ":".join(f"${c[0]}${c[1]}" for c in _split_refs(autofilter_ref(sheet.frame)))
        names.append(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{_esc(_quoted(name))}!{ref}</definedName>"
        )
    return f"<definedNames>{''.join(names)}</definedNames>" if names else ""


def _split_refs(ref: str) -> list[tuple[str, str]]:
    return [re.match(r"([A-Z]+)(\d+)", part).groups() for part in ref.split(":")]  # type: ignore[union-attr]


def _put(zf: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, text.encode("utf-8"), compresslevel=zf.compresslevel)
