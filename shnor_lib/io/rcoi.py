"""РЦОИ protocols «Протокол проверки результатов» (ОГЭ and ЕГЭ), .xls (BIFF) and .xlsx.

The layout, as the regional centre sends it::

    Протокол проверки результатов
    20 - Чеченская Республика

    12 - Обществознание 2026.07.03          ← a block: subject code - subject, exam date
                                             ← a blank row
    № |  | Код ОО |  | Класс |  | … | Первичный балл |  | Оценка   ← header, empty spacer columns
    1 |  | 9306   |  | 9А    |  | … | 24             |  | 4
    …
    Средние |  | … | 21,3 |  | 3,6            ← ends the block
    (the next block, or the next sheet)

The exam is recognised from the header (ЕГЭ: «Итоговый балл»/«Тестовый балл», «Код участника»
…; ОГЭ: «Оценка» and no test score), the year from the block's date, the subject from its
title. Each block becomes one :class:`Extract` of table ``gia`` with the file's own headers
for the columns the contract uses («Код ОО», «Первичный балл», «Итоговый балл»/«Тестовый
балл», «Оценка», «Код участника»). The ОГЭ protocol has no participant code: ``student_id``
is a keyed pseudonym of surname, name, patronymic, class and school code
(:mod:`shnor_lib.io.pseudonym`); the name columns never leave this module.

Both formats are read with python-calamine (``layouts.read_sheets``): it reads BIFF .xls,
which openpyxl cannot, and is several times faster than openpyxl on .xlsx (see
``docs/layouts.md`` for the measurement).
"""

from __future__ import annotations

import re

import pandas as pd

from shnor_lib.io import pseudonym, schema
from shnor_lib.io.layouts import Extract, Layout, Preview, ReadProblem, _cell_text, grid, register

TITLE = "протокол проверки результатов"
# «12 - Обществознание 2026.07.03» (also «… 03.07.2026»)
_BLOCK = re.compile(
    r"^\s*(?P<code>\d{1,3})\s*[-–—]\s*(?P<subject>.+?)\s+"
    r"(?:(?P<y1>\d{4})[.\-/]\d{1,2}[.\-/]\d{1,2}|\d{1,2}[.\-/]\d{1,2}[.\-/](?P<y2>\d{4}))\s*$"
)
_END = ("средние", "среднее", "средний балл")
# Header cells (normalised) → what they are; only these columns reach the extract.
_KEEP = {
    "код оо": "school",
    "первичный балл": "primary",
    "итоговый балл": "score",
    "тестовый балл": "score",
    "оценка": "mark",
    "код участника": "student",
}
_NAMES = ("фамилия", "имя", "отчество")
_EGE_SIGNS = ("итоговый балл", "тестовый балл", "код участника", "профиль", "код ооп", "вариант")
# ЕГЭ mathematics: the level is in the subject code (ФЦТ codes), not always in the name.
_EGE_MATH = {"2": "Математика (профильный уровень)", "22": "Математика (базовый уровень)"}


def _norm(text: str) -> str:
    return schema.norm_key(text)


def sniff(preview: Preview) -> bool:
    """A sheet whose first rows carry «Протокол проверки результатов» and a block title."""
    for rows in preview.sheets.values():
        head = [_norm(c) for row in rows[:10] for c in row if c]
        if TITLE in head and any(_block_title(row) for row in rows):
            return True
    return False


def _block_title(row: list[str]) -> re.Match[str] | None:
    cells = [c for c in row if c]
    if not cells or len(cells) > 3:
        return None
    return _BLOCK.match(" ".join(cells))


def read(preview: Preview) -> list[Extract]:
    """One extract per block of every sheet; a structural problem raises ReadProblem."""
    path = preview.path
    problems: list[ReadProblem] = []
    extracts: list[Extract] = []
    key: bytes | None = None
    for sheet in preview.sheets:
        rows = [[_cell_text(v) for v in r] for r in grid(preview, sheet).itertuples(index=False)]
        for block in _blocks(rows, str(sheet), problems):
            if block["exam"] == "ОГЭ" and key is None:
                key = pseudonym.load_key(pseudonym.key_path(path))
            ext = _extract(block, rows, str(sheet), key, problems)
            if ext is not None:
                extracts.append(ext)
    if problems:
        first = problems[0]
        if len(problems) > 1:
            first.ru += f" (и ещё мест в файле: {len(problems) - 1})"
        raise first
    if not extracts:
        raise ReadProblem("хотя бы один блок результатов", "at least one block of results")
    return extracts


def _blocks(rows: list[list[str]], sheet: str, problems: list[ReadProblem]) -> list[dict]:
    """Block boundaries: title row, header row, data row indices, whether «Средние» closed it."""
    found: list[dict] = []
    i = 0
    while i < len(rows):
        title = _block_title(rows[i])
        if title is None:
            i += 1
            continue
        h = i + 1
        while h < len(rows) and not any(rows[h]):
            h += 1
        if h >= len(rows):
            problems.append(
                _problem(
                    sheet,
                    i,
                    "заголовок таблицы под названием блока",
                    "a table header below the block title",
                )
            )
            break
        header = {j: _norm(c) for j, c in enumerate(rows[h]) if c}
        exam = _exam(header)
        if exam is None:
            problems.append(
                _problem(
                    sheet,
                    h,
                    "заголовок протокола ОГЭ или ЕГЭ со столбцом «Первичный балл»",
                    "an ОГЭ or ЕГЭ protocol header with a «Первичный балл» column",
                    " | ".join(c for c in rows[h] if c),
                )
            )
            i = h + 1
            continue
        data, closed, j = [], False, h + 1
        while j < len(rows):
            cells = [_norm(c) for c in rows[j] if c]
            if any(c in _END for c in cells):
                closed = True
                break
            if _block_title(rows[j]):
                break
            if cells:
                data.append(j)
            j += 1
        found.append(
            {"title": title, "title_row": i, "header_row": h, "header": header}
            | {"exam": exam, "data": data, "closed": closed}
        )
        i = j + 1 if closed else j
    return found


def _exam(header: dict[int, str]) -> str | None:
    names = set(header.values())
    if "первичный балл" not in names:
        return None
    if names & set(_EGE_SIGNS):
        return "ЕГЭ"
    if "оценка" in names:
        return "ОГЭ"
    return None


def _subject(title: re.Match[str], exam: str) -> str | None:
    name = title["subject"].strip()
    canon = schema.subject_canonical(name)
    if exam == "ЕГЭ" and canon == "Математика":
        return _EGE_MATH.get(title["code"].lstrip("0"))
    return canon


def _extract(
    block: dict,
    rows: list[list[str]],
    sheet: str,
    key: bytes | None,
    problems: list[ReadProblem],
) -> Extract | None:
    title, exam = block["title"], block["exam"]
    subject = _subject(title, exam)
    if subject is None:
        problems.append(
            _problem(
                sheet,
                block["title_row"],
                "название предмета из справочника (например «1 - Русский язык 2026.06.03»)",
                "a known subject name (e.g. «1 - Русский язык 2026.06.03»)",
                title.group(0).strip(),
            )
        )
        return None
    year = int(title["y1"] or title["y2"])
    header = block["header"]
    cols = {j: h for j, h in header.items() if h in _KEEP}
    data = block["data"]
    frame = pd.DataFrame(
        {_header_text(rows, block, j): [rows[r][j] or None for r in data] for j in cols}
    )
    if exam == "ОГЭ":
        frame["student_id"] = _pseudonyms(rows, block, key)
    frame["year"] = year
    frame["exam"] = exam
    frame["subject"] = subject
    notes = []
    if not block["closed"]:
        notes.append(
            f"блок «{title.group(0).strip()}» (строка {block['title_row'] + 1}): нет строки "
            "«Средние» в конце блока — проверьте, что файл не обрезан"
        )
    return Extract(
        table="gia",
        frame=frame,
        rows=pd.Series([r + 1 for r in data], dtype="int64"),
        layout="rcoi_protocol",
        sheet=sheet,
        meta={
            "year": year,
            "procedure": exam,
            "exam": exam,
            "subject": subject,
            "subject_code": title["code"],
            "block_row": block["title_row"] + 1,
        },
        notes=notes,
    )


def _header_text(rows: list[list[str]], block: dict, j: int) -> str:
    """The header cell as the user wrote it (messages use the file's own column names)."""
    return rows[block["header_row"]][j]


def _pseudonyms(rows: list[list[str]], block: dict, key: bytes | None) -> list[str]:
    header = block["header"]
    pos = {h: j for j, h in header.items()}
    parts = [pos.get(n) for n in (*_NAMES, "класс", "код оо")]
    assert key is not None
    return pseudonym.pseudonyms(
        key, ([rows[r][j] if j is not None else "" for j in parts] for r in block["data"])
    )


def _problem(sheet: str, row: int, ru: str, en: str, value: object = None) -> ReadProblem:
    return ReadProblem(f"лист «{sheet}»: {ru}", f"sheet «{sheet}»: {en}", row + 1, value)


LAYOUT = register(
    Layout(
        name="rcoi_protocol",
        title_ru="Протокол РЦОИ «Протокол проверки результатов» (ОГЭ/ЕГЭ)",
        sniff=sniff,
        read=read,
    )
)
