"""The contract layout: a plain table of the contract (``vpr.csv``, ``schools.xlsx``…).

Recognised by its file name (``<table>.csv``, ``<table>_<anything>.xlsx``, as before) or,
whatever the name (``ВПР итог.xlsx``), by its header row: the first non-empty row of a
sheet that holds every required column of exactly one table (aliases included). The sheet
whose header matches is read, so data on a workbook's second sheet is found. Registered as
the fallback: tried after every specific layout.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from shnor_lib.io import schema
from shnor_lib.io.cells import clean
from shnor_lib.io.layouts import Extract, Layout, Preview, register

NAME = "contract"
MIN_HEADER_MATCHES = 3  # a header recognises a table only with this many known columns
MIN_SHARE = 0.6  # … making at least this share of the header's (non-personal) cells


def table_by_name(path: Path) -> str | None:
    """``vpr.csv``, ``vpr_2023.xlsx`` → ``vpr``; the longest table name wins
    (``vpr_tasks.csv`` is ``vpr_tasks``, not a part of ``vpr``)."""
    stem = path.stem.lower()
    for name in sorted(schema.TABLES, key=len, reverse=True):
        if stem == name or stem.startswith(name + "_"):
            return name
    return None


def split_line(line: str) -> list[str]:
    """A CSV line as cells, with the separator the ingest reader would choose."""
    from shnor_lib.io.ingest import _sniff_sep

    sep = _sniff_sep(line)
    return [c.strip() for c in next(csv.reader([line], delimiter=sep), [])]


def header_cells(view: Preview, sheet: str) -> tuple[int, list[str]]:
    """The first non-empty row of a sheet (0-based index) as cells."""
    from shnor_lib.io.ingest import SEP_LINE

    for i, row in enumerate(view.sheets.get(sheet, [])):
        if sheet == "" and len(row) == 1 and SEP_LINE.match(row[0]):
            continue  # Excel's «sep=;» line
        cells = split_line(row[0]) if sheet == "" and len(row) == 1 else row
        if any(c.strip() for c in cells):
            return i, cells
    return -1, []


def table_by_header(cells: list[str]) -> str | None:
    """The one table whose required columns all appear in ``cells`` (most matches wins;
    a tie, or fewer than :data:`MIN_HEADER_MATCHES` known columns, recognises nothing)."""
    keys = [schema.norm_key(clean(c)) for c in cells if c.strip() and not schema.is_personal(c)]
    scored: list[tuple[int, str]] = []
    for name, table in schema.TABLES.items():
        hmap = schema.header_map(table)
        found = {hmap[k] for k in keys if k in hmap}
        required = {c.name for c in table.columns if c.required}
        # most of the header must be this table's: the federal list's few required columns
        # (year, school) would otherwise claim any results file
        share = sum(k in hmap for k in keys) / max(len(keys), 1)
        if required <= found and len(found) >= MIN_HEADER_MATCHES and share >= MIN_SHARE:
            scored.append((len(found), name))
    scored.sort(reverse=True)
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def decide(view: Preview) -> tuple[str, str | None, str] | None:
    """(table, sheet to read, how it was recognised) for a contract file, or None.
    ``sheet`` None: the first."""
    by_name = table_by_name(view.path)
    sheets = list(view.sheets)
    for sheet in sheets:
        row, cells = header_cells(view, sheet)
        by_header = table_by_header(cells)
        if by_header is not None and (by_name is None or by_header == by_name):
            how = "имени файла и заголовку" if by_name else f"заголовку (строка {row + 1})"
            return by_header, (None if sheet == (sheets[0] if sheets else "") else sheet), how
    if by_name is not None:
        return by_name, None, "имени файла"
    return None


def sniff(view: Preview) -> bool:
    return decide(view) is not None


def read(view: Preview) -> list[Extract]:
    from shnor_lib.io import ingest  # the module attribute: tests swap the CSV reader

    decided = decide(view)
    assert decided is not None
    table, sheet, how = decided
    frame = ingest.read_raw(view.path, sheet=sheet)
    # the header is row 1; the readers keep the index of rows after skipped blank ones. An
    # odd index (a ragged title line made pandas use a column as index) counts positions.
    if pd.api.types.is_integer_dtype(frame.index) and frame.index.nlevels == 1:
        numbers = frame.index.to_numpy(dtype="int64") + 2
    else:
        numbers = np.arange(len(frame), dtype="int64") + 2
    rows = pd.Series(numbers, index=frame.index)
    return [Extract(table, frame, rows, NAME, sheet=sheet, meta={"recognised_by": how})]


LAYOUT = register(Layout(NAME, "Таблица контракта (csv/xlsx/xls)", sniff, read))
