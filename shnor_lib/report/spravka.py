"""``spravka.docx``: the «аналитическая справка» as a Word document a УО signs and sends.

Filled from the published tables ``conclusions`` and ``management_decisions`` (the same views
as the report's section, :mod:`shnor_lib.report.sections.spravka`) into a copy of the template
``shnor_lib/templates/spravka.docx`` (a УО restyles it: fonts, margins, the page header).
Byte-identical across runs: the core properties are fixed (dates from the reporting year, no
author) and the zip is rewritten with fixed timestamps in a fixed member order."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from shnor_lib.errors import ShnorError
from shnor_lib.tables import CONCLUSIONS, MANAGEMENT_DECISIONS, SCHOOLS

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "spravka.docx"
FILE_NAME = "spravka.docx"
TABLE_TEXT_STYLE = "Spravka Table Text"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
SIGNATURE = (
    "Начальник управления образования  ____________________  / ____________________ /",
    "Исполнитель  ____________________  тел. ____________________",
    "«____» ____________ 20___ г.",
)


def normalise_docx(data: bytes) -> bytes:
    """The same package with fixed member timestamps and order ([Content_Types].xml first,
    then by name): python-docx writes the current time into every zip entry."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            dst.writestr(info, src.read(name))
    return out.getvalue()


def _style(doc, name: str, fallback: str = "Normal"):
    """A style of the template, or ``fallback`` when a УО removed it."""
    try:
        return doc.styles[name]
    except KeyError:
        return doc.styles[fallback]


def _landscape(doc) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION

    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    if sec.orientation != WD_ORIENT.LANDSCAPE:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width


def _decisions_table(doc, frame: pd.DataFrame) -> None:
    table = doc.add_table(rows=1, cols=len(frame.columns))
    if "Table Grid" in [st.name for st in doc.styles]:  # a УО's template may lack it
        table.style = doc.styles["Table Grid"]
    text_style = _style(doc, TABLE_TEXT_STYLE)
    for cell, label in zip(table.rows[0].cells, frame.columns, strict=True):
        p = cell.paragraphs[0]
        p.style = text_style
        p.add_run(str(label)).bold = True
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            p = cell.paragraphs[0]
            p.style = text_style
            p.add_run("" if value is None or pd.isna(value) else str(value))


def build(
    tables: Mapping[str, pd.DataFrame],
    *,
    title: str,
    year: int,
    template: Path | str | None = None,
) -> bytes:
    """The справка as .docx bytes (deterministic)."""
    from docx import Document

    from shnor_lib.report.sections import spravka as views

    doc = Document(str(template or TEMPLATE))
    doc.add_paragraph("Аналитическая справка", style=_style(doc, "Title"))
    doc.add_paragraph(
        f"о результатах мониторинга школ с низкими образовательными результатами и школ, "
        f"функционирующих в сложных социальных условиях, за {year} год"
    )
    doc.add_paragraph(f"Муниципальное образование: {title}")
    doc.add_paragraph("Выводы", style=_style(doc, "Heading 1"))
    for no, text, anchor in views.conclusion_items(tables):
        p = doc.add_paragraph(f"{no}. {text} (раздел отчёта «{views.section_title(anchor)}»)")
        p.paragraph_format.first_line_indent = 0
    _landscape(doc)
    doc.add_paragraph("Предлагаемые управленческие решения", style=_style(doc, "Heading 1"))
    _decisions_table(doc, views.decisions_frame(tables))
    doc.add_paragraph("")
    for line in SIGNATURE:
        doc.add_paragraph(line)
    cp = doc.core_properties
    stamp = dt.datetime(int(year), 1, 1)
    cp.created = cp.modified = cp.last_printed = stamp
    cp.author = cp.last_modified_by = "shnor"
    cp.title = f"Аналитическая справка: {title}, {year} год"
    cp.revision = 1
    cp.comments = cp.keywords = cp.subject = cp.category = ""
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_docx(buf.getvalue())


def write(tables_dir: Path, out: Path, *, title: str, year: int) -> Path:
    """``spravka.docx`` from the published tables in ``tables_dir`` (the staged output folder
    of a render, so it is published with the report in one swap)."""
    from shnor_lib.io import publish

    tables = {}
    for name in (CONCLUSIONS, MANAGEMENT_DECISIONS, SCHOOLS):
        path = Path(tables_dir) / f"{name}.csv"
        if not path.exists():
            raise ShnorError(
                f"Нет таблицы {path.name} для аналитической справки: выполните shnor compute",
                f"No table {path.name} for the справка: run shnor compute",
            )
        tables[name] = publish.read_csv(path)
    out.write_bytes(build(tables, title=title, year=year))
    return out
