"""Build ``shnor_lib/templates/spravka.docx``: the Word template of the «аналитическая справка»
(styles, margins, page header). Run once; the file is committed and a УО restyles it in Word
(fonts, margins, the header with its own name). ``shnor_lib.report.spravka`` fills a copy.

    python -m shnor_lib.devtools.spravka_template
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from shnor_lib.report.spravka import TABLE_TEXT_STYLE, normalise_docx

OUT = Path(__file__).resolve().parents[1] / "templates" / "spravka.docx"


def build() -> bytes:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)
    normal.paragraph_format.space_after = Pt(4)
    for name in ("Title", "Heading 1", "Heading 2"):
        st = doc.styles[name]
        st.font.name = "Times New Roman"
        st.font.color.rgb = None
    doc.styles["Title"].font.size = Pt(16)
    doc.styles["Heading 1"].font.size = Pt(14)
    table_text = doc.styles.add_style(TABLE_TEXT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.font.size = Pt(9)
    table_text.paragraph_format.space_after = Pt(0)
    sec = doc.sections[0]
    sec.left_margin, sec.right_margin = Cm(3), Cm(1.5)
    sec.top_margin, sec.bottom_margin = Cm(2), Cm(2)
    header = sec.header.paragraphs[0]
    header.text = "Управление образования"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for p in list(doc.paragraphs):  # an empty body: the справка fills it
        p._element.getparent().remove(p._element)
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_docx(buf.getvalue())


def main() -> None:
    OUT.write_bytes(build())
    print(OUT)


if __name__ == "__main__":
    main()
