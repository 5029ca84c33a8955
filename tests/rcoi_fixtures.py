"""РЦОИ protocols and RBD CSVs in their exact real shape, written for tests.

Shape (as the regional centre sends them): two title rows, then per sheet one or more blocks
«<code> - <subject> <YYYY.MM.DD>», a blank row, a header with an EMPTY SPACER COLUMN after
every field, pupil rows, a «Средние» row closing the block, a blank row before the next.
.xls is written with xlwt (BIFF8; a test-only dependency), .xlsx with XlsxWriter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

OGE_HEADER = [
    "№",
    "Код ОО",
    "Класс",
    "Код ППЭ",
    "Аудитория",
    "Код МСУ",
    "Фамилия",
    "Имя",
    "Отчество",
    "Задания с кратким ответом",
    "Задания с развёрнутым ответом",
    "Первичный балл",
    "Оценка",
]
EGE_HEADER = [
    "№",
    "Код ППЭ",
    "Код ОО",
    "Класс",
    "Код ООП",
    "Профиль",
    "Фамилия",
    "Имя",
    "Отчество",
    "Вариант",
    "Код участника",
    "№ бланка",
    "Ответы в краткой форме",
    "Ответы в развернутой форме",
    "Первичный балл",
    "Итоговый балл",
]
SURNAMES = ["Алиев", "Умаров", "Исаев", "Хасанов", "Магомадов", "Висаитов", "Гайрбеков"]
NAMES = ["Ахмед", "Зелимхан", "Макка", "Хеда", "Ислам", "Амина", "Рамзан"]
PATRONYMICS = ["Русланович", "Адамович", "Султановна", "Ибрагимовна", "Магомедович"]


@dataclass
class Block:
    title: str  # «12 - Обществознание 2026.07.03»
    header: list[str]
    rows: list[list[object]]


def oge_block(
    code: int, subject: str, date: str, schools: dict[str, list[int]], seed: int = 0
) -> Block:
    """An ОГЭ block: ``schools`` maps a РЦОИ school code to its pupils' primary scores."""
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = []
    for school, scores in schools.items():
        for k, score in enumerate(scores):
            mark = 2 if score < 8 else 3 if score < 15 else 4 if score < 22 else 5
            rows.append(
                [
                    len(rows) + 1,
                    int(school),
                    f"9{'АБ'[k % 2]}",
                    "0101",
                    f"00{10 + k % 3}",
                    "01",
                    SURNAMES[(k + seed) % len(SURNAMES)],
                    NAMES[(k * 3 + seed) % len(NAMES)],
                    PATRONYMICS[(k + 2 * seed) % len(PATRONYMICS)],
                    "".join(rng.choice(["+", "-"], 12)),
                    "1(2)0(2)2(2)",
                    int(score),
                    mark,
                ]
            )
    return Block(f"{code} - {subject} {date}", OGE_HEADER, rows)


def ege_block(
    code: int,
    subject: str,
    date: str,
    pupils: list[tuple[str, str, int, int]],
    final: str = "Итоговый балл",
) -> Block:
    """An ЕГЭ block: ``pupils`` = (school code, participant code, primary, test score)."""
    header = [*EGE_HEADER[:-1], final]
    rows: list[list[object]] = []
    for k, (school, pid, primary, test) in enumerate(pupils):
        rows.append(
            [
                len(rows) + 1,
                "0102",
                int(school),
                "11А",
                "",
                "универсальный",
                SURNAMES[k % len(SURNAMES)],
                NAMES[(2 * k) % len(NAMES)],
                PATRONYMICS[k % len(PATRONYMICS)],
                301 + k % 2,
                pid,
                f"2{k:011d}",
                "++-+-++",
                "2(2)1(3)",
                int(primary),
                int(test),
            ]
        )
    return Block(f"{code} - {subject} {date}", header, rows)


def _grid(blocks: list[Block], region: str) -> list[list[object]]:
    """The sheet as rows of cells, spacer columns included."""
    grid: list[list[object]] = [["Протокол проверки результатов"], [region], []]
    for b in blocks:
        grid.append([b.title])
        grid.append([])
        grid.append(_spaced(b.header))
        for row in b.rows:
            grid.append(_spaced(row))
        means = []
        for j, h in enumerate(b.header):
            if h in ("Первичный балл", "Итоговый балл", "Тестовый балл", "Оценка"):
                vals = [float(r[j]) for r in b.rows]
                means.append(round(sum(vals) / len(vals), 2))
            else:
                means.append("")
        means[0] = "Средние"
        grid.append(_spaced(means))
        grid.append([])
    return grid


def _spaced(cells: list[object]) -> list[object]:
    out: list[object] = []
    for c in cells:
        out += [c, ""]
    return out[:-1]


def write_protocol(
    path: Path, sheets: dict[str, list[Block]], region: str = "20 - Чеченская Республика"
) -> Path:
    """Write a protocol workbook (.xls via xlwt, .xlsx via XlsxWriter)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    grids = {name: _grid(blocks, region) for name, blocks in sheets.items()}
    if path.suffix.lower() == ".xls":
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        for name, grid in grids.items():
            ws = book.add_sheet(name)
            for i, row in enumerate(grid):
                for j, v in enumerate(row):
                    if v != "":
                        ws.write(i, j, v)
        book.save(str(path))
    else:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path))
        for name, grid in grids.items():
            ws = book.add_worksheet(name)
            for i, row in enumerate(grid):
                for j, v in enumerate(row):
                    if v != "":
                        ws.write(i, j, v)
        book.close()
    return path
