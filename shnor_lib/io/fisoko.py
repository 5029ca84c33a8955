"""ФИС ОКО pupil-level ВПР files: Ф1 «Индивидуальные результаты» (what the system exports,
one file per school × subject × grade) and «Форма сбора результатов» (what a school fills in).

Both give the ``vpr`` table (one row per pupil) and ``vpr_tasks`` (one row per pupil × task)
for the task-level analysis. Traps handled here, not by the user:

- Ф1 «ОО» holds the school's ФИС ОКО login (edu203389): it is the school code;
- Ф1 «Класс» is the class's ordinal within the grade (1, 2…): kept as ``class_no``, never
  the grade, which comes from the title row «ВПР 2026 Русский язык 4 класс» only;
- the task columns «1 (2б)», «9.1 (1б)», «4К1 (3б)» carry the task's maximum; «Х» in a task
  cell is «не приступал» (0 points, as ФИС ОКО counts it); a pupil whose row says
  «отсутствовал» is not a participant and is dropped (counted in a note).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shnor_lib.io import cells, schema
from shnor_lib.io.layouts import Extract, Layout, Preview, ReadProblem, grid, register

F1 = "fisoko_f1"
FORM = "fisoko_form"

TITLE_RE = re.compile(
    r"^\s*ВПР\s+(?:(?P<y1>\d{4})\s*[/\-–]\s*)?(?P<year>\d{4})\s*(?:г\.?\s*)?"
    r"(?P<subject>.+?)\s+(?P<grade>\d{1,2})\s*(?:-?й\s*)?класс",
    re.IGNORECASE,
)
TASK_RE = re.compile(
    r"^\s*(?P<task>[0-9]+[0-9A-Za-zА-Яа-я.,]*)\s*\(\s*(?P<max>\d+(?:[.,]\d+)?)\s*б", re.I
)
GROUP_LOGIN_RE = re.compile(r"\((?P<login>[^()]+)\)\s*(?:кол-во участников|$)", re.I)


def _key(text: object) -> str:
    return schema.norm_key(cells.clean(str(text)))


@dataclass
class F1Sheet:
    """Where things are on one Ф1 sheet (0-based rows and columns)."""

    header_row: int
    header: list[str]
    year: int
    subject: str
    grade: int
    title: str
    title_row: int
    max_score: float | None
    levels: dict[int, str]


def _header_row(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows):
        keys = {_key(c) for c in row}
        if "код участника" in keys and "первичный балл" in keys and "оо" in keys:
            return i
    return None


def _is_f1(rows: list[list[str]]) -> bool:
    head = [_key(c) for row in rows[:8] for c in row if c]
    return "индивидуальные результаты" in head and _header_row(rows) is not None


def _f1_sheet(rows: list[list[str]], label: str) -> F1Sheet:
    """The title, maximum and level rows above the header of a Ф1 sheet, checked."""
    h = _header_row(rows)
    assert h is not None
    title = None
    max_score = None
    levels: dict[int, str] = {}
    for i, row in enumerate(rows[:h]):
        first = next((c for c in row if c), "")
        m = TITLE_RE.match(cells.clean(first))
        if m and title is None:
            title = (i, first, m)
        if _key(first).startswith("предмет") and title is not None:
            named = next((c for c in row[1:] if c), "")
            stated = schema.subject_canonical(cells.cyrillic_word(cells.clean(named)))
            if stated is not None and stated != schema.subject_canonical(
                cells.cyrillic_word(title[2]["subject"].strip())
            ):
                raise ReadProblem(
                    f"лист «{label}»: предмет в строке {i + 1} («{named}») тот же, что в "
                    f"заголовке «{title[1]}»",
                    f"sheet '{label}': the subject in row {i + 1} as in the title row",
                    row=i + 1,
                    value=named,
                )
        if _key(first).startswith("максимальный первичный балл"):
            rest = [c for c in row[1:] if c]
            try:
                max_score = float(cells.clean(rest[0]).replace(",", ".")) if rest else None
            except ValueError:
                raise ReadProblem(
                    f"лист «{label}»: в строке {i + 1} максимальный первичный балл — число",
                    f"sheet '{label}': row {i + 1} a maximum primary score (a number)",
                    row=i + 1,
                    value=rest[0],
                ) from None
        if _key(first).startswith("уровень сложности"):
            levels = {j: cells.token(c).upper() for j, c in enumerate(row) if j and c}
    if title is None:
        raise ReadProblem(
            f"лист «{label}»: над заголовком таблицы строка вида «ВПР 2026 Русский язык "
            "4 класс» — только из неё берутся год, предмет и класс",
            f"sheet '{label}': a title row like «ВПР 2026 Русский язык 4 класс» above the "
            "header (the only source of year, subject and grade)",
            row=3,
        )
    i, text, m = title
    subject = schema.subject_canonical(cells.cyrillic_word(m["subject"].strip()))
    grade = int(m["grade"])
    if subject is None or grade not in schema.VPR_GRADES:
        raise ReadProblem(
            f"лист «{label}», строка {i + 1}: известный предмет и класс ВПР (4–8, 10, 11) "
            "в заголовке «ВПР <год> <предмет> <класс> класс»",
            f"sheet '{label}', row {i + 1}: a known subject and a ВПР grade in the title",
            row=i + 1,
            value=text,
        )
    header = [cells.clean(c).strip() for c in rows[h]]
    return F1Sheet(h, header, int(m["year"]), subject, grade, text, i, max_score, levels)


def _tasks(header: list[str]) -> list[tuple[int, str, float]]:
    """(column, task, maximum) of every task column «9.1 (1б)»."""
    out = []
    for j, text in enumerate(header):
        m = TASK_RE.match(text)
        if m:
            out.append((j, m["task"].replace(",", "."), float(m["max"].replace(",", "."))))
    return out


def _grid(view: Preview, sheet: str) -> pd.DataFrame:
    """The whole sheet (calamine, read once with the preview: hundreds of files stay fast)."""
    return grid(view, sheet)


def _col(header: list[str], *names: str) -> int | None:
    keys = [_key(c) for c in header]
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _task_long(
    body: pd.DataFrame,
    rows: np.ndarray,
    tasks: list[tuple[int, str, float]],
    levels: dict[int, str],
    const: dict[str, object],
    school: np.ndarray,
    student: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray, tuple[int, int]]:
    """Pupil × task rows; «Х» → 0 points (counted); blank task cells are left out (a
    note counts them: the task is not in the pupil's data, not a zero)."""
    n = len(body)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("task", "max", "level", "score", "i")}
    not_attempted = blanks = 0
    for j, task, top in tasks:
        values = body.iloc[:, j].to_numpy(dtype=object)
        keep = np.ones(n, dtype=bool)
        scores = np.empty(n, dtype=object)
        for k, v in enumerate(values):
            if _blank(v):
                keep[k] = False
            elif isinstance(v, str) and cells.token(v) in cells.NOT_ATTEMPTED:
                scores[k] = 0
                not_attempted += 1
            else:
                scores[k] = v
        idx = np.flatnonzero(keep)
        blanks += n - len(idx)
        parts["task"].append(np.full(len(idx), task, dtype=object))
        parts["max"].append(np.full(len(idx), top))
        parts["level"].append(np.full(len(idx), levels.get(j) or None, dtype=object))
        parts["score"].append(scores[idx])
        parts["i"].append(idx)
    order = np.concatenate(parts["i"]) if parts["i"] else np.array([], dtype=int)
    frame = pd.DataFrame(
        {
            "school_id": school[order],
            "student_id": student[order],
            **{k: v for k, v in const.items()},
            "Задание": np.concatenate(parts["task"]) if tasks else [],
            "Максимальный балл за задание": np.concatenate(parts["max"]) if tasks else [],
            "Уровень сложности задания": np.concatenate(parts["level"]) if tasks else [],
            "Балл за задание": np.concatenate(parts["score"]) if tasks else [],
        }
    )
    return frame, rows[order], (not_attempted, blanks)


def _sum_check(
    kept: pd.DataFrame, tasks: list[tuple[int, str, float]], c_total: int | None, header: list[str]
) -> list[str]:
    """A note when task scores do not add up to the primary score (a shifted column, a
    hand edit): the rows are kept, both numbers stay as written."""
    if c_total is None or not tasks or kept.empty:
        return []

    def number(v: object) -> float:
        if isinstance(v, str) and cells.token(v) in cells.NOT_ATTEMPTED:
            return 0.0
        try:
            return float(str(v).replace(",", "."))
        except ValueError:
            return float("nan")

    scores = np.array([[number(v) for v in kept.iloc[:, j]] for j, _, _ in tasks]).T
    total = np.array([number(v) for v in kept.iloc[:, c_total]])
    differ = np.abs(np.nansum(scores, axis=1) - total) > 1e-9
    differ &= ~np.isnan(total)
    if not differ.any():
        return []
    return [
        f"в {int(differ.sum())} строках сумма баллов за задания не равна «{header[c_total]}» "
        "— проверьте, не сдвинуты ли столбцы"
    ]


def _blank_note(blanks: int) -> list[str]:
    if not blanks:
        return []
    return [f"{blanks} пустых ячеек заданий у участников не учтены в результатах по заданиям"]


# the long task table's own headers (messages name these, not the contract's)
TASK_COLUMNS = {
    "Задание": "task",
    "Максимальный балл за задание": "max_task_score",
    "Уровень сложности задания": "level",
    "Балл за задание": "score",
}


def _absent_rows(body: pd.DataFrame, columns: list[int]) -> np.ndarray:
    """Rows where a task / score / mark cell says «отсутствовал»."""
    mask = np.zeros(len(body), dtype=bool)
    for j in columns:
        values = body.iloc[:, j].to_numpy(dtype=object)
        mask |= np.fromiter(
            (isinstance(v, str) and cells.is_absent(v) for v in values), bool, len(values)
        )
    return mask


# ---------------------------------------------------------------------------- Ф1


def sniff_f1(view: Preview) -> bool:
    return any(_is_f1(rows) for rows in view.sheets.values())


def read_f1(view: Preview) -> list[Extract]:
    out: list[Extract] = []
    for sheet, preview_rows in view.sheets.items():
        if not _is_f1(preview_rows):
            continue
        info = _f1_sheet(preview_rows, sheet)
        grid = _grid(view, sheet)
        out.extend(_f1_extracts(grid, info, sheet))
    return out


def _f1_extracts(grid: pd.DataFrame, info: F1Sheet, sheet: str) -> list[Extract]:
    header = info.header
    c_school = _col(header, "оо")
    c_code = _col(header, "код участника")
    c_class = _col(header, "класс")
    c_primary = _col(header, "первичный балл")
    c_mark = _col(header, "отметка")
    c_journal = _col(header, "отметка по журналу")
    tasks = _tasks(header)
    body = grid.iloc[info.header_row + 1 :]
    body = body.reindex(columns=range(max(len(header), grid.shape[1])))
    rows = np.arange(info.header_row + 2, info.header_row + 2 + len(body), dtype="int64")
    code = body.iloc[:, c_code].to_numpy(dtype=object)
    first = body.iloc[:, 0].to_numpy(dtype=object)
    pupil = np.array([not _blank(v) for v in code], dtype=bool)
    # group rows («МБОУ «СОШ №1»(edu203389) Кол-во участников: 89») give the login to
    # pupils whose «ОО» cell is empty
    login = np.empty(len(body), dtype=object)
    current = None
    for k in range(len(body)):
        if pupil[k]:
            login[k] = current
        elif not _blank(first[k]):
            m = GROUP_LOGIN_RE.search(" ".join(str(v) for v in body.iloc[k] if not _blank(v)))
            current = m["login"].strip() if m else current
    school = body.iloc[:, c_school].to_numpy(dtype=object).copy()
    empty = np.array([_blank(v) for v in school], dtype=bool)
    school[empty] = login[empty]
    school = np.array(
        [cells.latin_id(str(v)) if not _blank(v) else v for v in school], dtype=object
    )
    score_cols = [j for j, _, _ in tasks] + [c for c in (c_primary, c_mark) if c is not None]
    absent = _absent_rows(body, score_cols) & pupil
    keep = pupil & ~absent
    notes = []
    if absent.any():
        notes.append(
            f"{int(absent.sum())} участник(ов) с отметкой «отсутствовал» — не участники ВПР, "
            "исключены из результатов"
        )
    kept = body[keep]
    const = {
        "year": info.year,
        "subject": info.subject,
        "grade": info.grade,
    }
    vpr = pd.DataFrame(
        {
            header[c_school]: school[keep],
            header[c_code]: kept.iloc[:, c_code].to_numpy(dtype=object),
            **(
                {header[c_class]: kept.iloc[:, c_class].to_numpy(dtype=object)}
                if c_class is not None
                else {}
            ),
            **(
                {
                    header[c]: kept.iloc[:, c].to_numpy(dtype=object)
                    for c in (c_primary, c_mark, c_journal)
                    if c is not None
                }
            ),
        }
    )
    for k, v in const.items():
        vpr[k] = v
    max_score = info.max_score
    if max_score is None and tasks:
        max_score = float(sum(t for _, _, t in tasks))
        notes.append(
            "нет строки «Максимальный первичный балл»: максимум — сумма максимумов заданий "
            f"({max_score:g})"
        )
    vpr["max_score"] = max_score
    notes.extend(_sum_check(kept, tasks, c_primary, header))
    columns = {header[c_school]: "school_id"}
    if c_class is not None:
        columns[header[c_class]] = "class_no"
    meta = {
        "year": info.year,
        "subject": info.subject,
        "grade": info.grade,
        "procedure": "ВПР",
        "source": f"строки {info.title_row + 1} «{info.title}»",
    }
    extracts = [Extract("vpr", vpr, pd.Series(rows[keep]), F1, sheet, meta, notes, columns)]
    if tasks:
        long, long_rows, (not_attempted, blanks) = _task_long(
            kept,
            rows[keep],
            tasks,
            info.levels,
            const,
            school[keep],
            kept.iloc[:, c_code].to_numpy(dtype=object),
        )
        task_notes = _blank_note(blanks)
        if not_attempted:
            task_notes.append(
                f"«Х» (не приступал к заданию) считается 0 баллов: {not_attempted} ячеек"
            )
        extracts.append(
            Extract(
                "vpr_tasks",
                long,
                pd.Series(long_rows),
                F1,
                sheet,
                dict(meta),
                task_notes,
                TASK_COLUMNS,
            )
        )
    return extracts


register(Layout(F1, "ФИС ОКО Ф1 «Индивидуальные результаты» (ВПР)", sniff_f1, read_f1))


# ---------------------------------------------------------------------------- «Форма сбора»

# ВПР_<год>_<предмет>_<класс>_<логин ОО>.xlsx — e.g. ВПР_2026_РУ_5_edu203389.xlsx; the subject
# is a code of the ФИОКО list («РУ», «МА»…) or a name («Русский язык»)
FORM_NAME_RE = re.compile(
    r"^(?:ВПР|VPR)[_\s]+(?P<year>\d{4})[_\s]+(?P<subject>[^_]+?)[_\s]+(?P<grade>\d{1,2})"
    r"(?:\s*кл(?:асс)?)?[_\s]+(?P<school>[^_\s]+)$",
    re.IGNORECASE,
)
MAPPING_FILE = "_mapping.csv"  # in the folder of the forms: файл;год;предмет;класс;ОО
FORM_FIELDS = {"year": "год", "subject": "предмет", "grade": "класс", "school_id": "ОО"}
_MAPPING_HEADERS = {
    "файл": "file",
    "имя файла": "file",
    "год": "year",
    "предмет": "subject",
    "класс": "grade",
    "оо": "school_id",
    "логин": "school_id",
    "логин оо": "school_id",
    "код оо": "school_id",
}


def _form_header(rows: list[list[str]]) -> tuple[int, list[str]] | None:
    for i, row in enumerate(rows[:10]):
        keys = {_key(c) for c in row}
        form = "итого баллов" in keys or "порядковый номер класса" in keys
        if "код участника" in keys and form and any(TASK_RE.match(c or "") for c in row):
            return i, row
    return None


def _form_sheet(view: Preview) -> str | None:
    names = sorted(view.sheets, key=lambda s: _key(s) != "протокол")  # «Протокол» first
    return next((s for s in names if _form_header(view.sheets[s]) is not None), None)


def sniff_form(view: Preview) -> bool:
    return _form_sheet(view) is not None


def _subject_of(text: str) -> str | None:
    from shnor_lib.io.fioko import SUBJECT_CODES

    text = cells.clean(text).strip()
    return SUBJECT_CODES.get(cells.cyrillic_word(text).upper()) or schema.subject_canonical(
        cells.cyrillic_word(text)
    )


def read_mapping(folder: Path) -> dict[str, dict[str, str]]:
    """``_mapping.csv`` of a folder: file name → {year, subject, grade, school_id} as written."""
    path = folder / MAPPING_FILE
    if not path.is_file():
        return {}
    from shnor_lib.io.ingest import _decode, _sniff_sep

    text = _decode(path.read_bytes()).lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return {}
    reader = csv.reader(lines, delimiter=_sniff_sep(lines[0]))
    header = [_MAPPING_HEADERS.get(_key(h)) for h in next(reader)]
    out = {}
    for record in reader:
        row = {h: cells.clean(v).strip() for h, v in zip(header, record, strict=False) if h}
        if row.get("file"):
            out[row.pop("file").lower()] = row
    return out


def form_identity(path: Path) -> tuple[dict[str, object], str]:
    """Year, subject, grade and school of a «Форма сбора» file, and where they came from
    (the mapping file wins over the file name). Missing fields raise a ReadProblem that
    says how to give them."""
    found: dict[str, str] = {}
    sources = []
    m = FORM_NAME_RE.match(cells.clean(path.stem).strip())
    if m:
        found.update({k: m[k] for k in ("year", "subject", "grade", "school")})
        found["school_id"] = found.pop("school")
        sources.append("имени файла")
    mapped = read_mapping(path.parent).get(path.name.lower())
    if mapped:
        found.update({k: v for k, v in mapped.items() if v})
        sources.insert(0, f"{MAPPING_FILE}")
    identity: dict[str, object] = {}
    bad = []
    if found.get("year", "").isdigit():
        identity["year"] = int(found["year"])
    if found.get("grade", "").isdigit() and int(found["grade"]) in schema.VPR_GRADES:
        identity["grade"] = int(found["grade"])
    if found.get("subject"):
        subject = _subject_of(found["subject"])
        if subject is None:
            bad.append(f"предмет «{found['subject']}» неизвестен")
        else:
            identity["subject"] = subject
    if found.get("school_id"):
        identity["school_id"] = cells.latin_id(found["school_id"])
    missing = [ru for k, ru in FORM_FIELDS.items() if k not in identity]
    if missing or bad:
        raise ReadProblem(
            "«Форма сбора результатов»: год, предмет, класс и ОО — из имени файла "
            "«ВПР_<год>_<предмет>_<класс>_<логин ОО>.xlsx» (например "
            f"«ВПР_2026_РУ_5_edu203389.xlsx») или из строки «{path.name};<год>;<предмет>;"
            f"<класс>;<ОО>» в файле {MAPPING_FILE} рядом с ним; не хватает: "
            + ", ".join(missing + bad),
            "a «Форма сбора» file needs year, subject, grade and school from its name "
            f"(ВПР_<year>_<subject>_<grade>_<login>.xlsx) or from {MAPPING_FILE}; missing: "
            + ", ".join(k for k in FORM_FIELDS if k not in identity),
        )
    return identity, " и ".join(sources)


def _vpr_scale(year: int, grade: int, subject: str) -> tuple[float, float, float, float] | None:
    """(max, cut3, cut4, cut5) of exactly this year (a year without a scale is unknown,
    never another year's copy)."""
    from shnor_lib.io.reference import load_vpr_scales

    scales = load_vpr_scales()
    row = scales[
        (scales["year"] == year) & (scales["grade"] == grade) & (scales["subject"] == subject)
    ]
    if row.empty:
        return None
    r = row.iloc[0]
    return float(r["max_score"]), float(r["cut3"]), float(r["cut4"]), float(r["cut5"])


def read_form(view: Preview) -> list[Extract]:
    sheet = _form_sheet(view)
    assert sheet is not None
    identity, source = form_identity(view.path)
    h, header_cells = _form_header(view.sheets[sheet])
    header = [cells.clean(c).strip() for c in header_cells]
    tasks = _tasks(header)
    top = float(sum(t for _, _, t in tasks))
    year, grade, subject = identity["year"], identity["grade"], identity["subject"]
    scale = _vpr_scale(year, grade, subject)
    where = f"ВПР {year}, {grade} класс, {subject}"
    if scale is None or scale[0] != top:
        found = "" if scale is None else f" (в ней максимум {scale[0]:g})"
        raise ReadProblem(
            f"шкала перевода первичных баллов в отметки для {where} с максимумом {top:g} "
            f"(сумма максимумов заданий формы); в справочнике её нет{found} — в форме нет "
            "отметки ВПР, а без шкалы она не вычисляется; добавьте шкалу (docs/layouts.md) "
            "или загрузите Ф1 «Индивидуальные результаты»",
            f"a ВПР mark scale for {where} with maximum {top:g}: unknown",
        )
    grid = _grid(view, sheet)
    body = grid.iloc[h + 1 :].reindex(columns=range(max(grid.shape[1], len(header))))
    c_code = _col(header, "код участника")
    code = body.iloc[:, c_code].to_numpy(dtype=object)
    pupil = np.array([not _blank(v) for v in code], dtype=bool)
    rows = body.index.to_numpy(dtype="int64") + 1
    c_total = _col(header, "итого баллов")
    c_class = _col(header, "порядковый номер класса")
    c_prev = next(
        (j for j, c in enumerate(header) if _key(c).startswith("отметка за предыдущ")), None
    )
    c_variant = _col(header, "вариант")
    score_cols = [j for j, _, _ in tasks] + [c for c in (c_total, c_variant) if c is not None]
    absent = _absent_rows(body, score_cols) & pupil
    keep = pupil & ~absent
    kept = body[keep]
    notes = [f"год, предмет, класс и ОО — из {source}"]
    if absent.any():
        notes.append(
            f"{int(absent.sum())} участник(ов) с отметкой «отсутствовал» — не участники ВПР, "
            "исключены из результатов"
        )
    total = kept.iloc[:, c_total].to_numpy(dtype=object)
    primary = pd.to_numeric(
        pd.Series(total).map(lambda v: str(v).replace(",", ".")), errors="coerce"
    )
    _, cut3, cut4, cut5 = scale
    mark = np.select(
        [primary >= cut5, primary >= cut4, primary >= cut3, primary >= 0], [5, 4, 3, 2], 0
    )
    notes.extend(_sum_check(kept, tasks, c_total, header))
    notes.append(
        f"отметка ВПР вычислена по шкале {where}: «3» от {cut3:g}, «4» от {cut4:g}, "
        f"«5» от {cut5:g} баллов"
    )
    vpr = pd.DataFrame({header[c_code]: kept.iloc[:, c_code].to_numpy(dtype=object)})
    vpr[header[c_total]] = total
    if c_class is not None:
        vpr[header[c_class]] = kept.iloc[:, c_class].to_numpy(dtype=object)
    if c_prev is not None:
        vpr[header[c_prev]] = kept.iloc[:, c_prev].to_numpy(dtype=object)
    vpr["mark"] = pd.array([m if m else None for m in mark], dtype="object")
    for k in ("year", "school_id", "subject", "grade"):
        vpr[k] = identity[k]
    vpr["max_score"] = top
    columns = {header[c_total]: "primary_score"}
    if c_prev is not None:
        columns[header[c_prev]] = "journal_mark"
    meta = {**identity, "procedure": "ВПР", "source": source}
    out = [Extract("vpr", vpr, pd.Series(rows[keep]), FORM, sheet, meta, notes, columns)]
    if tasks:
        n = len(kept)
        long, long_rows, (not_attempted, blanks) = _task_long(
            kept,
            rows[keep],
            tasks,
            {},
            {k: identity[k] for k in ("year", "subject", "grade")},
            np.full(n, identity["school_id"], dtype=object),
            kept.iloc[:, c_code].to_numpy(dtype=object),
        )
        task_notes = _blank_note(blanks)
        if not_attempted:
            task_notes.append(
                f"«Х» (не приступал к заданию) считается 0 баллов: {not_attempted} ячеек"
            )
        out.append(
            Extract(
                "vpr_tasks",
                long,
                pd.Series(long_rows),
                FORM,
                sheet,
                dict(meta),
                task_notes,
                TASK_COLUMNS,
            )
        )
    return out


register(Layout(FORM, "ФИС ОКО «Форма сбора результатов» (ВПР)", sniff_form, read_form))
