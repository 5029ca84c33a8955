"""RBD-style normalised ГИА CSV (the regional exam database's export), ``;``, UTF-8.

Columns::

    SchoolCode;ClassCode;DocumentSeriesCode;DocumentNumberCode;GovernmentCell;SurnameCell;
    NameCell;SecondNameCell;TestResultBCell;TestResultCCell;PrimaryMark;Mark5

- ``SchoolCode`` → ``school_id`` (any code the schools list knows, see io/school_codes.py);
  ``PrimaryMark`` → ``primary_score``; ``Mark5`` → ``mark``.
- The name and document fields are personal data: they are read only to make the keyed
  pseudonymous ``student_id`` (:mod:`shnor_lib.io.pseudonym`, the same recipe as the РЦОИ ОГЭ
  protocol — surname, name, patronymic, class, school code — so one pupil has one id in both)
  and never leave this module. Answer strings (``TestResult*``) and ``GovernmentCell`` are
  not used.
- The file carries no exam, subject or year. They come from the file name (e.g.
  ``ОГЭ_2026_Математика.csv``, ``rbd_oge_2026_02.csv`` with the ФЦТ subject code) or, when the
  name does not say, from ``_mapping.csv`` in the same folder (columns ``файл;экзамен;предмет;
  год`` or ``file;exam;subject;year``, one row per data file; the ВПР forms use the same
  file). What is missing is asked for in one message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from shnor_lib.io import pseudonym, schema
from shnor_lib.io.layouts import Extract, Layout, Preview, ReadProblem, register

COLUMNS = (
    "SchoolCode",
    "ClassCode",
    "DocumentSeriesCode",
    "DocumentNumberCode",
    "GovernmentCell",
    "SurnameCell",
    "NameCell",
    "SecondNameCell",
    "TestResultBCell",
    "TestResultCCell",
    "PrimaryMark",
    "Mark5",
)
KEEP = ("SchoolCode", "PrimaryMark", "Mark5")
ID_PARTS = ("SurnameCell", "NameCell", "SecondNameCell", "ClassCode", "SchoolCode")
MAPPING_FILE = "_mapping.csv"  # the folder's mapping file, shared with the ВПР forms
# ФЦТ subject codes as РЦОИ and RBD use them (ЕГЭ maths: 2 = profile, 22 = base level).
SUBJECT_CODES = {
    "1": "Русский язык",
    "2": "Математика",
    "3": "Физика",
    "4": "Химия",
    "5": "Информатика",
    "6": "Биология",
    "7": "История",
    "8": "География",
    "9": "Английский язык",
    "10": "Немецкий язык",
    "11": "Французский язык",
    "12": "Обществознание",
    "18": "Литература",
    "22": "Математика (базовый уровень)",
}


def sniff(preview: Preview) -> bool:
    """A CSV whose header is the RBD column set."""
    rows = preview.sheets.get("")
    if not rows:
        return False
    header = {c.strip().lstrip("\ufeff") for c in rows[0][0].split(";")}
    return {"SchoolCode", "PrimaryMark", "SurnameCell"} <= header


def describe(path: Path) -> dict[str, object]:
    """Exam, subject and year of an RBD file: from its name, else from ``_mapping.csv``."""
    found = _from_name(path.stem)
    mapped = _from_mapping(path)
    return {k: mapped.get(k) if found.get(k) is None else found[k] for k in _FIELDS}


_FIELDS = ("exam", "subject", "year")
_MAPPING_HEADERS = {"файл": "file", "имя файла": "file", "экзамен": "exam"} | {
    "предмет": "subject",
    "год": "year",
}


def _from_name(stem: str) -> dict[str, object]:
    tokens = [t for t in re.split(r"[\s_\-.]+", stem) if t]
    out: dict[str, object] = {"exam": None, "subject": None, "year": None}
    codes = []
    for i, tok in enumerate(tokens):
        key = schema.norm_key(tok)
        if key in schema.EXAM_ALIASES:
            out["exam"] = schema.EXAM_ALIASES[key]
        elif re.fullmatch(r"20\d\d", tok):
            out["year"] = int(tok)
        elif tok.isdigit():
            codes.append(tok.lstrip("0"))
        elif out["subject"] is None:
            for j in range(len(tokens), i, -1):  # longest run of tokens naming a subject
                name = schema.subject_canonical(" ".join(tokens[i:j]))
                if name is not None:
                    out["subject"] = name
                    break
    if out["subject"] is None and len(codes) == 1 and codes[0] in SUBJECT_CODES:
        out["subject"] = SUBJECT_CODES[codes[0]]
        if out["exam"] == "ЕГЭ" and codes[0] == "2":
            out["subject"] = "Математика (профильный уровень)"
    if out["exam"] == "ЕГЭ" and out["subject"] == "Математика":
        out["subject"] = None  # the level must be said (профильный / базовый)
    return out


def _from_mapping(path: Path) -> dict[str, object]:
    mapping = path.parent / MAPPING_FILE
    if not mapping.is_file():
        return {}
    table = pd.read_csv(mapping, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
    table.columns = [_MAPPING_HEADERS.get(schema.norm_key(c), schema.norm_key(c)) for c in table]
    if "file" not in table:
        return {}
    rows = table[table["file"].str.strip().str.lower() == path.name.lower()]
    if rows.empty:
        return {}
    row = rows.iloc[0]
    exam = schema.EXAM_ALIASES.get(schema.norm_key(row.get("exam", "")))
    subject = schema.subject_canonical(row.get("subject", ""))
    year = str(row.get("year", "")).strip()
    return {"exam": exam, "subject": subject, "year": int(year) if year.isdigit() else None}


def read(preview: Preview) -> list[Extract]:
    """The file as one gia extract; names and documents dropped after the pseudonym."""
    from shnor_lib.io.ingest import read_raw  # one CSV reader for every layout

    path = preview.path
    info = describe(path)
    missing = [k for k in _FIELDS if info[k] is None]
    if missing:
        raise _ask(path, missing)
    frame = read_raw(path)
    absent = [c for c in (*KEEP, *ID_PARTS) if c not in frame.columns]
    if absent:
        raise ReadProblem(
            f"столбцы RBD-выгрузки {', '.join(COLUMNS)}; нет: {', '.join(absent)}",
            f"the RBD columns {', '.join(COLUMNS)}; missing: {', '.join(absent)}",
            1,
        )
    key = pseudonym.load_key(pseudonym.key_path(path))
    ids = pseudonym.pseudonyms(key, frame[list(ID_PARTS)].itertuples(index=False, name=None))
    out = frame[list(KEEP)].copy()
    out["student_id"] = ids
    for k in _FIELDS:
        out[k] = info[k]
    rows = pd.Series(frame.index.to_numpy() + 2, dtype="int64")  # read_raw: line − 2
    return [
        Extract(
            table="gia",
            frame=out.reset_index(drop=True),
            rows=rows,
            layout="rbd_gia",
            meta={"exam": info["exam"], "procedure": info["exam"]}
            | {"subject": info["subject"], "year": info["year"]},
        )
    ]


def _ask(path: Path, missing: list[str]) -> ReadProblem:
    ru = {"exam": "экзамен (ОГЭ или ЕГЭ)", "subject": "предмет", "year": "год"}
    what = ", ".join(ru[m] for m in missing)
    return ReadProblem(
        f"{what} в имени файла (например «ОГЭ_2026_Математика.csv», «ЕГЭ_2026_22.csv» с кодом "
        f"предмета ФЦТ) или строка «{path.name};<экзамен>;<предмет>;<год>» в файле "
        f"{MAPPING_FILE} рядом с ним (столбцы файл;экзамен;предмет;год). Для ЕГЭ по "
        "математике укажите уровень: «Математика профильная» или «Математика базовая»",
        f"the {', '.join(missing)} in the file name (e.g. «ОГЭ_2026_Математика.csv») or a row "
        f"for it in {MAPPING_FILE} (файл;экзамен;предмет;год)",
        None,
        path.name,
    )


LAYOUT = register(
    Layout(
        name="rbd_gia",
        title_ru="Выгрузка РБД ГИА (SchoolCode;…;PrimaryMark;Mark5)",
        sniff=sniff,
        read=read,
    )
)
