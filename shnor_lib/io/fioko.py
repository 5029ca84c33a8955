"""ФИОКО list of schools with signs of non-objective ВПР results (xlsx), as published:

``Год | Логин | Муниципалитет | ОО | 4 РУ | 4 МА | 5 РУ | 5 МА | Количество маркеров`` —
one row per school × year, a 0/1 marker per grade × subject column («4 РУ» = grade 4,
Russian). A blank marker and 0 both mean «no marker» (years differ). Real files carry a
year's block twice and the rows of every municipality of the region.

Melted here into ``rosobrnadzor`` units (year, school, ВПР, grade, subject), one per marker.
Exact duplicate rows are collapsed (a note); rows of other municipalities are set aside by
ingest (it knows the municipality; ``meta["municipality_column"]``) with one warning; two
rows of the same school and year that disagree are errors, raised by ingest for the
municipality's own rows only (``meta["conflicts"]``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from shnor_lib.io import cells, schema
from shnor_lib.io.layouts import Extract, Layout, Preview, ReadProblem, grid, register

NAME = "fioko_objectivity"
MARKER_RE = re.compile(r"^\s*(?P<grade>\d{1,2})\s*(?:кл\.?\s*)?(?P<code>[A-Za-zА-Яа-яЁё]{2,4})\s*$")
# ФИС ОКО subject codes as the list writes them
SUBJECT_CODES = {
    "РУ": "Русский язык",
    "МА": "Математика",
    "ОМ": "Окружающий мир",
    "ИС": "История",
    "БИ": "Биология",
    "ГЕ": "География",
    "ОБ": "Обществознание",
    "ФИ": "Физика",
    "ХИ": "Химия",
    "ЛИ": "Литература",
    "АН": "Английский язык",
    "НЕ": "Немецкий язык",
    "ФР": "Французский язык",
    "ИН": "Иностранный язык",
    "ИНФ": "Информатика",
}
REQUIRED = ("год", "логин", "муниципалитет")


def _key(text: object) -> str:
    return schema.norm_key(cells.clean(str(text)))


def _header(rows: list[list[str]]) -> tuple[int, list[str]] | None:
    for i, row in enumerate(rows[:15]):
        keys = [_key(c) for c in row]
        if all(k in keys for k in REQUIRED) and any(MARKER_RE.match(c or "") for c in row):
            return i, row
    return None


def sniff(view: Preview) -> bool:
    return any(_header(rows) is not None for rows in view.sheets.values())


def _marker(value: object) -> int | None:
    """1 → 1; 0 or blank → 0; anything else → None (not a marker value)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0
    text = cells.token(value)
    if text in ("", "0", "0.0", "-", "нет"):
        return 0
    if text in ("1", "1.0", "да", "+"):
        return 1
    return None


def read(view: Preview) -> list[Extract]:
    out = []
    for sheet, rows in view.sheets.items():
        found = _header(rows)
        if found is None:
            continue
        h, header = found
        out.append(_extract(grid(view, sheet), h, [cells.clean(c).strip() for c in header], sheet))
    return out


def _extract(grid: pd.DataFrame, h: int, header: list[str], sheet: str) -> Extract:
    keys = [_key(c) for c in header]
    c_year, c_login, c_mun = (keys.index(k) for k in REQUIRED)
    c_name = keys.index("оо") if "оо" in keys else None
    c_count = next((j for j, k in enumerate(keys) if k.startswith("количество маркеров")), None)
    markers = []
    for j, text in enumerate(header):
        m = MARKER_RE.match(text)
        if not m:
            continue
        subject = SUBJECT_CODES.get(cells.cyrillic_word(m["code"]).upper())
        if subject is None:
            raise ReadProblem(
                f"столбец «{text}»: «<класс> <код предмета>», код из " + ", ".join(SUBJECT_CODES),
                f"column '{text}': '<grade> <subject code>'",
                row=h + 1,
                value=text,
            )
        markers.append((j, int(m["grade"]), subject))
    body = grid.iloc[h + 1 :].reindex(columns=range(max(grid.shape[1], len(header))))
    body = body[~body.isna().all(axis=1)]
    rows = body.index.to_numpy(dtype="int64") + 1
    values = np.empty((len(body), len(markers)), dtype=np.int8)
    for k, (j, _, _) in enumerate(markers):
        for i, v in enumerate(body.iloc[:, j].to_numpy(dtype=object)):
            m = _marker(v)
            if m is None:
                raise ReadProblem(
                    f"столбец «{header[j]}»: маркер 1, 0 или пустая ячейка",
                    f"column '{header[j]}': a marker 1, 0 or blank",
                    row=int(rows[i]),
                    value=v,
                )
            values[i, k] = m
    year = body.iloc[:, c_year].map(lambda v: cells.clean(str(v)).strip()).to_numpy(dtype=object)
    login = body.iloc[:, c_login].map(lambda v: cells.latin_id(cells.clean(str(v)).strip()))
    login = login.to_numpy(dtype=object)
    mun = body.iloc[:, c_mun].to_numpy(dtype=object)
    notes: list[str] = []
    # exact duplicates (a year's block carried twice) collapse; disagreeing ones are conflicts
    seen: dict[tuple, int] = {}
    keep = np.ones(len(body), dtype=bool)
    conflicts = []
    for i in range(len(body)):
        key = (year[i], login[i])
        if key in seen:
            first = seen[key]
            keep[i] = False
            if not (values[i] == values[first]).all():
                cols = [
                    header[j]
                    for k, (j, _, _) in enumerate(markers)
                    if values[i, k] != values[first, k]
                ]
                conflicts.append(
                    {
                        "rows": (int(rows[first]), int(rows[i])),
                        "school_id": login[i],
                        "municipality": mun[i],
                        "year": year[i],
                        "columns": cols,
                    }
                )
        else:
            seen[key] = i
    duplicates = int((~keep).sum()) - len(conflicts)
    if duplicates:
        notes.append(
            f"{duplicates} повторяющихся строк (тот же год и ОО, те же маркеры — блок года "
            "встречается дважды) учтены один раз"
        )
    if c_count is not None:
        stated = pd.to_numeric(body.iloc[:, c_count], errors="coerce").to_numpy()
        differ = keep & ~np.isnan(stated) & (stated != values.sum(axis=1))
        if differ.any():
            notes.append(
                f"в {int(differ.sum())} строках «{header[c_count]}» не равно числу маркеров "
                f"(первая — строка {int(rows[np.flatnonzero(differ)[0]])}); учтены маркеры"
            )
    ii, kk = np.nonzero(values * keep[:, None])
    frame = pd.DataFrame(
        {
            header[c_year]: year[ii],
            header[c_login]: login[ii],
            header[c_mun]: mun[ii],
            "procedure": "ВПР",
            "grade": [markers[k][1] for k in kk],
            "subject": [markers[k][2] for k in kk],
        }
    )
    columns = {header[c_login]: "school_id", header[c_mun]: ""}
    if c_name is not None:
        columns[header[c_name]] = ""
    meta = {
        "procedure": "ВПР",
        "municipality_column": header[c_mun],
        "conflicts": conflicts,
        # the list's rows (one per school × year), for ingest to count other municipalities
        "wide": pd.DataFrame(
            {"row": rows[keep], "municipality": mun[keep], "school_id": login[keep]}
        ),
    }
    return Extract("rosobrnadzor", frame, pd.Series(rows[ii]), NAME, sheet, meta, notes, columns)


register(Layout(NAME, "ФИОКО: перечень ОО с признаками необъективности ВПР", sniff, read))
