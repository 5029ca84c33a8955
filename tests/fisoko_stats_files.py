"""Aggregated ФИС ОКО ВПР exports written in their real shape, from pupil rows (test helper).

«Статистика по отметкам» (Ф3): title rows (form name, «ВПР 2026. Русский язык 4 класс»,
date, maximum), a spanning row «Распределение групп баллов в %» over the mark columns, the
header `Группы участников | Кол-во ОО | Кол-во участников | 2 | 3 | 4 | 5`, then the whole
sample, the region, the municipality and the schools («МБОУ «СОШ №1»(edu203389)»), percents
with two decimals. «Сравнение отметок с отметками по журналу»: title rows, header
`Группы участников | Кол-во участников | %`, then per group a name row and the rows
«Понизили (Отметка < Отметка по журналу) %», «Подтвердили …», «Повысили …», «Всего».
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

MARK_KEYS = ["year", "grade", "subject"]


def _title(year: int, subject: str, grade: int) -> str:
    return f"ВПР {year}. {subject} {grade} класс"


def _pct(k: int, n: int) -> float:
    return round(100 * k / n, 2) if n else 0.0


def write_marks_stats(vpr: pd.DataFrame, names: dict[str, str], folder: Path) -> list[Path]:
    """One Ф3 file per year × grade × subject; school rows carry the login in brackets."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for (year, grade, subject), g in vpr.groupby(MARK_KEYS, sort=True):
        path = folder / f"Статистика по отметкам {subject} {grade} кл {year}.xlsx"
        wb = xlsxwriter.Workbook(path)
        ws = wb.add_worksheet("Статистика по отметкам")
        ws.write(0, 0, "Статистика по отметкам")
        ws.write(1, 0, _title(year, subject, grade))
        ws.write(2, 0, "Дата:")
        ws.write(2, 1, f"20.04.{year}")
        ws.write(3, 0, "Максимальный первичный балл:")
        ws.write(3, 1, int(g["max_score"].max()))
        ws.merge_range(5, 3, 5, 6, "Распределение групп баллов в %")
        for c, h in enumerate(["Группы участников", "Кол-во ОО", "Кол-во участников"]):
            ws.write(6, c, h)
        for c, m in enumerate("2345"):
            ws.write_number(6, 3 + c, int(m))
        row = 7
        marks = g["mark"].astype(int)
        allc = [int((marks == m).sum()) for m in (2, 3, 4, 5)]
        n_all = len(g)
        for label, scale in (("Вся выборка", 700), ("Чеченская Республика", 40)):
            _group_row(ws, row, label, 999, n_all * scale, [_pct(k, n_all) for k in allc])
            row += 1
        _group_row(ws, row, "Урус-Мартановский муниципальный район", g["school_id"].nunique(),
                   n_all, [_pct(k, n_all) for k in allc])  # fmt: skip
        row += 1
        for sid, s in g.groupby("school_id", sort=True):
            m = s["mark"].astype(int)
            counts = [int((m == k).sum()) for k in (2, 3, 4, 5)]
            label = f"{names[sid]}({sid})"
            _group_row(ws, row, label, 1, len(s), [_pct(k, len(s)) for k in counts])
            row += 1
        wb.close()
        out.append(path)
    return out


def _group_row(ws, row: int, label: str, schools: int, n: int, pcts: list[float]) -> None:
    ws.write(row, 0, label)
    ws.write_number(row, 1, schools)
    ws.write_number(row, 2, n)
    for c, p in enumerate(pcts):
        ws.write_number(row, 3 + c, p)


JOURNAL_ROWS = (
    ("Понизили (Отметка < Отметка по журналу) %", "lowered"),
    ("Подтвердили (Отметка = Отметке по журналу) %", "confirmed"),
    ("Повысили (Отметка > Отметка по журналу) %", "raised"),
)


def write_journal_stats(vpr: pd.DataFrame, names: dict[str, str], folder: Path) -> list[Path]:
    """One «Сравнение отметок с отметками по журналу» file per year × grade × subject."""
    folder.mkdir(parents=True, exist_ok=True)
    v = vpr[vpr["journal_mark"].notna()]
    out = []
    for (year, grade, subject), g in v.groupby(MARK_KEYS, sort=True):
        path = folder / f"Сравнение с журналом {subject} {grade} кл {year}.xlsx"
        wb = xlsxwriter.Workbook(path)
        ws = wb.add_worksheet("Сравнение отметок")
        ws.write(0, 0, "Сравнение отметок с отметками по журналу")
        ws.write(1, 0, _title(year, subject, grade))
        ws.write(2, 0, "Дата:")
        ws.write(2, 1, f"20.04.{year}")
        for c, h in enumerate(["Группы участников", "Кол-во участников", "%"]):
            ws.write(4, c, h)
        row = 5
        groups = [("Урус-Мартановский муниципальный район", g)]
        groups += [(f"{names[sid]}({sid})", s) for sid, s in g.groupby("school_id", sort=True)]
        for label, s in groups:
            ws.write(row, 0, label)
            row += 1
            d = s["mark"].astype(int) - s["journal_mark"].astype(int)
            counts = {"lowered": int((d < 0).sum()), "confirmed": int((d == 0).sum())}
            counts["raised"] = int((d > 0).sum())
            for text, key in JOURNAL_ROWS:
                ws.write(row, 0, text)
                ws.write_number(row, 1, counts[key])
                ws.write_number(row, 2, _pct(counts[key], len(s)))
                row += 1
            ws.write(row, 0, "Всего")
            ws.write_number(row, 1, len(s))
            ws.write_number(row, 2, 100)
            row += 1
        wb.close()
        out.append(path)
    return out
