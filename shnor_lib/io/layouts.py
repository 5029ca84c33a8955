"""Real-export layouts: how one file, as exported, becomes rows of contract tables.

A *layout* knows one kind of real file (a ФИС ОКО Ф1 sheet, an РЦОИ protocol, the ФИОКО
list, a plain contract CSV …). Ingest looks at every file under ``data/raw/<m>/`` once
(:func:`preview`), asks each registered layout whether it recognises the file
(``sniff``), and lets the first that does cut the file into :class:`Extract` objects
(``read``). Each extract is a plain grid of the file's own cells with the file's own
headers (or contract names), plus the row number the user sees in the file; the usual
per-column parsing and checks of ingest then apply, so messages name the user's file,
row and column.

The registry is a plain ordered list: a layout module calls :func:`register` at import
and the more specific layouts come first (the contract CSV layout is the fallback).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

PREVIEW_ROWS = 40  # rows per sheet a layout may look at when sniffing


@dataclass
class Preview:
    """The first rows of every sheet of a file, as text, read once per file.

    ``sheets`` maps a sheet name (``""`` for a CSV) to its first :data:`PREVIEW_ROWS`
    rows, each a list of cell texts (``""`` for an empty cell, numbers as written).
    """

    path: Path
    sheets: dict[str, list[list[str]]]
    error: str | None = None  # why the file could not be read (set aside with this reason)
    # every sheet of a spreadsheet as read for the preview (calamine), so a layout reading
    # the whole sheet does not open the file again (:func:`grid`); not part of the sniffing
    grids: dict[str, pd.DataFrame] | None = field(default=None, repr=False, compare=False)


@dataclass
class Extract:
    """Rows of one contract table cut from one file (or one block of one sheet).

    ``frame`` has one column per source column, headed by the file's own header (mapped to
    contract columns by the schema's aliases) or by a contract name the layout fills in
    itself (e.g. ``year`` taken from a title row). ``rows`` holds, per frame row, the
    1-based row number in the source sheet, so a problem names the row the user sees.
    """

    table: str
    frame: pd.DataFrame
    rows: pd.Series
    layout: str
    sheet: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # year, procedure, subject, grade…
    notes: list[str] = field(default_factory=list)  # Russian warnings about this extract
    # the layout's own reading of a header, winning over the schema's aliases (e.g. Ф1's
    # «Класс» is a class ordinal, not the grade); "" = deliberately not used, no warning
    columns: dict[str, str] = field(default_factory=dict)


class ReadProblem(Exception):
    """A recognised file that cannot be read as its layout says (a missing title row, an
    unknown subject…): collected with the other problems, naming the file (and ``row``).

    ``ru``/``en`` say what was expected, as a :class:`shnor_lib.errors.Problem` does."""

    def __init__(self, ru: str, en: str, row: int | None = None, value: object = None) -> None:
        super().__init__(ru)
        self.ru, self.en, self.row, self.value = ru, en, row, value


@dataclass(frozen=True)
class Layout:
    """One kind of real file: its id, Russian title, and how to sniff and read it."""

    name: str  # id shown by `shnor inspect`, e.g. "rcoi_protocol"
    title_ru: str  # e.g. «Протокол РЦОИ (ОГЭ/ЕГЭ)»
    sniff: Callable[[Preview], bool]
    read: Callable[[Preview], list[Extract]]


LAYOUTS: list[Layout] = []


def register(layout: Layout) -> Layout:
    """Add a layout to the registry (idempotent by name; later registration replaces)."""
    for i, known in enumerate(LAYOUTS):
        if known.name == layout.name:
            LAYOUTS[i] = layout
            return layout
    LAYOUTS.append(layout)
    return layout


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def read_sheets(path: Path, nrows: int | None = None) -> dict[str, pd.DataFrame]:
    """Every sheet of an .xlsx/.xlsm/.xls file as a header-less grid (calamine).

    Rows and columns are positional (row 0 = sheet row 1), cells as the workbook caches them.
    Example: ``read_sheets(Path("protocol.xls"))["Лист1"].iloc[0, 0]``.
    """
    return pd.read_excel(
        path, sheet_name=None, header=None, dtype=object, engine="calamine", nrows=nrows
    )


def preview(path: Path) -> Preview:
    """Read the first rows of each sheet of ``path`` (spreadsheet) or of the CSV."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            grids = {str(name): grid for name, grid in read_sheets(path).items()}
            sheets = {
                name: [
                    [_cell_text(v) for v in row]
                    for row in grid.head(PREVIEW_ROWS).itertuples(index=False)
                ]
                for name, grid in grids.items()
            }
            return Preview(path, sheets, grids=grids)
        else:
            from shnor_lib.io.ingest import _decode  # one decoder for every CSV reader

            text = _decode(path.read_bytes()[: 1 << 16])
            lines = text.lstrip("\ufeff").splitlines()[:PREVIEW_ROWS]
            sheets = {"": [[line] for line in lines]}
    except Exception as exc:  # a broken file is set aside with the reason, never a crash
        return Preview(path, {}, error=f"{type(exc).__name__}: {exc}")
    return Preview(path, sheets)


def grid(view: Preview, sheet: str) -> pd.DataFrame:
    """The whole sheet as a header-less grid (row 0 = sheet row 1), read once per file."""
    if view.grids is not None and sheet in view.grids:
        return view.grids[sheet]
    return pd.read_excel(view.path, sheet_name=sheet, header=None, dtype=object, engine="calamine")
