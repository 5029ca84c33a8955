"""Real export files built in their exact shape (title rows, group rows, the Б/П row, blocks),
for the layout tests. Nothing here is simplified: a layout must read these unedited.

Each builder writes one file with openpyxl (values, no formulas) and returns its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

SUBJECT_CODES = {"Русский язык": "РУ", "Математика": "МА", "Окружающий мир": "ОМ"}


@dataclass
class Pupil:
    """One pupil row of a ФИС ОКО file. ``tasks`` None: «отсутствовал» in every task cell."""

    code: str
    class_no: int
    tasks: Sequence[object] | None
    mark: object = None  # None: computed by the caller
    journal: object = None
    variant: int = 1

    @property
    def primary(self) -> float | None:
        if self.tasks is None:
            return None
        return float(sum(t for t in self.tasks if isinstance(t, int | float)))


@dataclass
class School:
    login: str  # the ФИС ОКО login, e.g. edu203389
    name: str
    pupils: list[Pupil] = field(default_factory=list)


# (task, max, level) of a 4th-grade Russian paper shaped like the 2026 one (max 24)
RU4_TASKS: tuple[tuple[str, int, str], ...] = (
    ("1", 4, "Б"),
    ("2", 3, "Б"),
    ("3", 2, "Б"),
    ("4", 2, "Б"),
    ("5", 2, "П"),
    ("6", 2, "Б"),
    ("7", 2, "Б"),
    ("8", 2, "П"),
    ("9.1", 1, "Б"),
    ("9.2", 1, "Б"),
    ("10", 3, "П"),
)


def f1_file(
    path: Path,
    schools: Sequence[School],
    *,
    year: int = 2026,
    subject: str = "Русский язык",
    grade: int = 4,
    tasks: Sequence[tuple[str, int, str]] = RU4_TASKS,
    municipality: str = "Урус-Мартановский муниципальный район",
    date: str = "20.04.2026",
    group_row_cells: int = 1,
) -> Path:
    """ФИС ОКО Ф1 «Индивидуальные результаты», exactly as exported:

    R1 title; R2 blank; R3 «ВПР 2026 Русский язык 4 класс»; R4 «Предмет:» | subject;
    R5 «Максимальный первичный балл:» | max; R6 «Дата:» | date; R7 «Уровень сложности
    задания» with Б/П above each task column; R8 header; then per school a group row in
    column 1 («…(edu203389)» and «Кол-во участников: N», in one cell or two) and its pupils.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = f"{SUBJECT_CODES.get(subject, 'XX')} {grade} Индивидуальные результаты"
    max_score = sum(m for _, m, _ in tasks)
    ws.append(["Индивидуальные результаты"])
    ws.append([])
    ws.append([f"ВПР {year} {subject} {grade} класс"])
    ws.append(["Предмет:", subject])
    ws.append(["Максимальный первичный балл:", max_score])
    ws.append(["Дата:", date])
    ws.append(
        ["Уровень сложности задания", None, None, None, None, None, *[lv for *_, lv in tasks]]
    )
    ws.append(
        [
            "ОО",
            "Муниципалитет",
            "Название ОО",
            "Код участника",
            "Класс",
            "Вариант",
            *[f"{t} ({m}б)" for t, m, _ in tasks],
            "Первичный балл",
            "Отметка",
            "Отметка по журналу",
        ]
    )
    for school in schools:
        head = f"{school.name}({school.login})"
        count = f"Кол-во участников: {len(school.pupils)}"
        ws.append([f"{head} {count}"] if group_row_cells == 1 else [head, count])
        for p in school.pupils:
            cells = ["отсутствовал"] * len(tasks) if p.tasks is None else list(p.tasks)
            ws.append(
                [
                    school.login,
                    municipality,
                    school.name,
                    p.code,
                    p.class_no,
                    p.variant,
                    *cells,
                    p.primary,
                    "отсутствовал" if p.tasks is None else p.mark,
                    p.journal,
                ]
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def mark_for(primary: float, max_score: float) -> int:
    """A plausible mark for a fixture pupil (shares of the maximum)."""
    share = primary / max_score
    return 5 if share >= 0.85 else 4 if share >= 0.6 else 3 if share >= 0.35 else 2


def pupils(
    prefix: str,
    n: int,
    tasks: Sequence[tuple[str, int, str]] = RU4_TASKS,
    *,
    seed: int = 0,
    absent: int = 0,
) -> list[Pupil]:
    """``n`` pupils with deterministic task scores (some «X» = not attempted) and ``absent``
    more whose rows say «отсутствовал»."""
    out = []
    max_score = sum(m for _, m, _ in tasks)
    for i in range(n):
        scores: list[object] = []
        for k, (_, m, _) in enumerate(tasks):
            v = (i * 7 + k * 3 + seed) % (m + 2)
            scores.append("X" if v == m + 1 and k % 4 == 3 else min(v, m))
        p = Pupil(f"{prefix}{i + 1:03d}", 1 + i % 2, scores)
        p.mark = mark_for(p.primary or 0, max_score)
        p.journal = "нет отметки" if i % 9 == 5 else min(5, int(p.mark) + (i % 3 == 0))
        out.append(p)
    for j in range(absent):
        out.append(Pupil(f"{prefix}{n + j + 1:03d}", 1, None, journal=4))
    return out


def fioko_file(path: Path, rows: Sequence[Sequence[object]], *, sheet: str = "Лист1") -> Path:
    """ФИОКО list of schools with signs of non-objective ВПР results: header row then one row
    per school × year (0/1 or blank markers), as given."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["Год", "Логин", "Муниципалитет", "ОО", "4 РУ", "4 МА", "5 РУ", "5 МА",
               "Количество маркеров"])  # fmt: skip
    for row in rows:
        ws.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def collection_form(
    path: Path,
    rows: Sequence[Sequence[object]],
    tasks: Sequence[tuple[str, int]],
) -> Path:
    """ФИС ОКО «Форма сбора результатов» as a school fills it: sheets «Протокол» (the data),
    «Служебный», «Порядковый номер класса»."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Протокол"
    ws.append(
        [
            "Код участника",
            "Вариант",
            *[f"{t} ({m}б)" for t, m in tasks],
            "Порядковый номер класса",
            "Отметка за предыдущий триместр/ четверть/полугодие",
            "Итого баллов",
        ]
    )
    for row in rows:
        ws.append(list(row))
    service = wb.create_sheet("Служебный")
    service.append(["Версия формы", "2026.1"])
    service.append(["Контрольная сумма", "a1b2c3"])
    classes = wb.create_sheet("Порядковый номер класса")
    classes.append(["Порядковый номер класса", "Буква класса"])
    classes.append([1, "А"])
    classes.append([2, "Б"])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def xls_table(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], sheet: str = "Лист1"
) -> Path:
    """A real .xls (BIFF8 in an OLE2 compound file) with one sheet: the header row and
    ``rows`` (text as LABEL, numbers as NUMBER records), as old systems still export.

    Written by hand because no maintained library writes .xls any more; calamine reads it."""
    import struct

    def record(kind: int, data: bytes) -> bytes:
        return struct.pack("<HH", kind, len(data)) + data

    def bof(dt: int) -> bytes:
        return record(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 0x06))

    def text(s: str) -> bytes:
        return struct.pack("<HB", len(s), 1) + s.encode("utf-16-le")

    cells = b""
    grid = [list(header), *[list(r) for r in rows]]
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, int | float):
                cells += record(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))
            else:
                cells += record(0x0204, struct.pack("<HHH", r, c, 0) + text(str(value)))
    ncols = max(len(row) for row in grid)
    sheet_stream = (
        bof(0x0010)
        + record(0x0200, struct.pack("<IIHHH", 0, len(grid), 0, ncols, 0))
        + cells
        + record(0x000A, b"")
    )
    name = sheet.encode("utf-16-le")

    def globals_(offset: int) -> bytes:
        boundsheet = struct.pack("<IBBBB", offset, 0, 0, len(sheet), 1) + name
        return (
            bof(0x0005)
            + record(0x0042, struct.pack("<H", 1200))
            + record(0x0085, boundsheet)
            + record(0x000A, b"")
        )

    head = globals_(0)
    stream = globals_(len(head)) + sheet_stream
    stream += b"\0" * (max(4096, -(-len(stream) // 512) * 512) - len(stream))  # no mini stream
    n = len(stream) // 512
    endchain, free, fatsect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    fat = [fatsect] + [i + 2 for i in range(n - 1)] + [endchain, endchain]  # FAT, stream, dir
    fat += [free] * (128 - len(fat))
    dir_sector = 1 + n

    def entry(name: str, kind: int, start: int, size: int, child: int) -> bytes:
        raw = (name + "\0").encode("utf-16-le")
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", free, free, child)
            + b"\0" * 16
            + b"\0" * 4
            + b"\0" * 16
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, endchain, 0, 1) + entry("Workbook", 2, 1, len(stream), free)
    directory = directory.ljust(512, b"\0")
    header_ = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, dir_sector, 0, 4096, endchain, 0, endchain, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header_ + struct.pack("<128I", *fat) + stream + directory)
    return path
