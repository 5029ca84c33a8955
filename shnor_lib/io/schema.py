"""The raw-data contract (docs/data_contract.md): tables, columns, types, ranges and header aliases.

Pure data: `ingest` applies it. Russian header aliases cover what Russian systems export
(ФИС ОКО, РЕГИСО, ФСН ОО-1); matching ignores case, spaces, dots and «ё».
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Column kinds: "id" (string identifier), "str", "int", "float", "bool01", "date", "year".


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    title_ru: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # duplicate rows on this key are errors
    required: bool = False
    year_column: str | None = "year"
    extra_counts: bool = False  # school_stats: unknown *numeric* count columns are accepted
    notes: str = ""
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})


def C(
    name: str, kind: str, *aliases: str, required: bool = False, lo=None, hi=None, choices=None
) -> Column:
    return Column(name, kind, required, lo, hi, tuple(choices) if choices else None, aliases)


SCHOOL_TYPES = ("НОШ", "ООШ", "СОШ", "СОШ с УИОП", "лицей", "гимназия")
LOCALITIES = ("город", "село")
EXAMS = ("ОГЭ", "ЕГЭ")
PROCEDURES = ("ВПР", "ОГЭ", "ЕГЭ", "НИКО", "КДР")
CATEGORIES = ("высшая", "первая", "соответствие", "нет")
ROADMAP_LEVELS = ("край", "муниципалитет", "ОО")
VPR_GRADES = (4, 5, 6, 7, 8, 10, 11)

_SCHOOL_ID = (
    "код оо",
    "код школы",
    "код организации",
    "идентификатор оо",
    "логин оо",
    "оо код",
    "schoolcode",  # RBD ГИА export
)
_YEAR = ("год", "учебный год", "год проведения")

TABLES: dict[str, Table] = {}


def _add(t: Table) -> None:
    TABLES[t.name] = t


_add(
    Table(
        "schools",
        "Перечень ОО",
        (
            # school_id: the municipality's own code; the codes other systems use for the
            # same school in their own columns (io/school_codes.py maps every table to it)
            # not required here: a list with only «Логин ОО» (or another system's code) uses
            # that code as school_id (io/school_codes.py), one of them must be present
            C("school_id", "id", *(a for a in _SCHOOL_ID if a != "логин оо")),
            C("login", "id", "логин оо", "логин", "логин фис око", "логин оо фис око"),
            C("rcoi_code", "id", "код оо рцои", "код рцои", "код оо (рцои)", "код оо в рцои"),
            C("oo1_code", "id", "код оо (оо-1)", "код оо оо-1", "код оо-1", "код по оо-1"),
            C(
                "school_name",
                "str",
                "наименование оо",
                "название оо",
                "наименование",
                "краткое наименование оо",
                "оо",
                required=True,
            ),
            C("municipality", "str", "муниципалитет", "мо", "муниципальное образование", "район"),
            C(
                "locality",
                "str",
                "местность",
                "тип местности",
                "город/село",
                "тип населенного пункта",
                required=True,
                choices=LOCALITIES,
            ),
            C(
                "distance_km",
                "float",
                "удаленность",
                "удаленность км",
                "расстояние до районного центра км",
                "расстояние км",
                lo=0,
                hi=2000,
            ),
            C("is_small", "bool01", "малокомплектная", "малокомплектная оо"),
            C("school_type", "str", "тип оо", "вид оо", "тип школы", choices=SCHOOL_TYPES),
        ),
        key=("school_id",),
        required=True,
        year_column=None,
    )
)

_add(
    Table(
        "context",
        "Социальный паспорт ОО",
        (
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C("year", "year", *_YEAR, required=True),
            C(
                "students_total",
                "int",
                "численность обучающихся",
                "всего обучающихся",
                "контингент",
                required=True,
                lo=0,
            ),
            C("low_income", "int", "малообеспеченные", "из малообеспеченных семей", lo=0),
            C("single_parent", "int", "неполные семьи", "из неполных семей", lo=0),
            C("large_family", "int", "многодетные", "из многодетных семей", lo=0),
            C("disabled", "int", "овз", "обучающиеся с овз", "дети с овз", lo=0),
            C(
                "non_native_russian",
                "int",
                "неродной русский",
                "русский язык неродной",
                "инофоны",
                lo=0,
            ),
            C(
                "at_risk_registered",
                "int",
                "на учете",
                "состоят на учете",
                "на профилактическом учете",
                lo=0,
            ),
            C("difficult_situation", "int", "тжс", "в трудной жизненной ситуации", lo=0),
            C(
                "parents_higher_ed",
                "int",
                "родители с высшим образованием",
                "высшее образование родителей",
                lo=0,
            ),
            C("parents_unemployed", "int", "родители безработные", "безработные родители", lo=0),
            C(
                "teachers_total",
                "int",
                "педагогов всего",
                "численность педагогов",
                "учителей всего",
                lo=0,
            ),
            C("vacancies", "int", "вакансии", "количество вакансий", lo=0),
            C(
                "teachers_multi_subject",
                "int",
                "ведут несколько предметов",
                "учителя нескольких предметов",
                lo=0,
            ),
            C(
                "teachers_no_subject_degree",
                "int",
                "без профильного образования",
                "нет профильного образования",
                lo=0,
            ),
            C("computers", "int", "компьютеры", "количество компьютеров", "пк", lo=0),
            C(
                "internet_mbps",
                "float",
                "скорость интернета",
                "интернет мбит/с",
                "скорость интернета мбит/с",
                lo=0,
            ),
        ),
        key=("school_id", "year"),
        required=True,
    )
)

# Counts in `context` that are shares of students_total (checked: count <= students_total).
CONTEXT_STUDENT_COUNTS = (
    "low_income",
    "single_parent",
    "large_family",
    "disabled",
    "non_native_russian",
    "at_risk_registered",
    "difficult_situation",
    "parents_higher_ed",
    "parents_unemployed",
)
CONTEXT_TEACHER_COUNTS = ("vacancies", "teachers_multi_subject", "teachers_no_subject_degree")

_add(
    Table(
        "vpr",
        "Результаты ВПР",
        (
            C("year", "year", *_YEAR, required=True),
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C(
                "student_id",
                "id",
                "код участника",
                "код обучающегося",
                "id участника",
                "идентификатор участника",
                required=True,
            ),
            C("grade", "int", "класс", "параллель", required=True, choices=None, lo=4, hi=11),
            C("subject", "subject", "предмет", "учебный предмет", required=True),
            C(
                "primary_score",
                "float",
                "первичный балл",
                "балл",
                "сумма баллов",
                required=True,
                lo=0,
            ),
            C("max_score", "float", "максимальный балл", "макс балл", required=True, lo=1),
            C(
                "mark",
                "int",
                "отметка",
                "отметка за впр",
                "оценка",
                "отметка впр",
                required=True,
                lo=2,
                hi=5,
            ),
            C(
                "journal_mark",
                "int",
                "отметка по журналу",
                "отметка в журнале",
                "журнальная отметка",
                "оценка по журналу",
                "годовая отметка",
                lo=2,
                hi=5,
            ),
            # the class within the grade (ФИС ОКО «Класс» = 1, 2…; «Порядковый номер класса»):
            # never the grade
            C("class_no", "str", "порядковый номер класса", "номер класса"),
        ),
        # grade too: a ФИС ОКО participant code is unique within a school's class of a
        # procedure, so the same code may appear in grades 4 and 5 of one school
        key=("year", "school_id", "student_id", "grade", "subject"),
        required=True,
    )
)

# Task scores of ВПР (ФИС ОКО Ф1, «Форма сбора результатов»): one row per pupil × task, for
# the task-level analysis. Optional: without it the task sections are not built.
VPR_TASK_LEVELS = ("Б", "П", "В")  # базовый, повышенный, высокий уровень сложности
_add(
    Table(
        "vpr_tasks",
        "Результаты ВПР по заданиям",
        (
            C("year", "year", *_YEAR, required=True),
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C("student_id", "id", "код участника", required=True),
            C("grade", "int", "параллель", required=True, lo=4, hi=11),
            C("subject", "subject", "предмет", "учебный предмет", required=True),
            C("task", "str", "задание", "номер задания", required=True),
            C("max_task_score", "float", "максимальный балл за задание", required=True, lo=0),
            C("level", "str", "уровень сложности", choices=VPR_TASK_LEVELS),
            C("score", "float", "балл за задание", "балл", required=True, lo=0),
        ),
        key=("year", "school_id", "student_id", "grade", "subject", "task"),
    )
)

_add(
    Table(
        "gia",
        "Результаты ГИА (ОГЭ, ЕГЭ)",
        (
            C("year", "year", *_YEAR, required=True),
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C(
                "student_id",
                "id",
                "код участника",
                "код обучающегося",
                "id участника",
                "идентификатор участника",
                required=True,
            ),
            C("exam", "exam", "экзамен", "форма гиа", "форма", "вид экзамена", required=True),
            C("subject", "subject", "предмет", "учебный предмет", required=True),
            # ЕГЭ: the test score 0–100 («Итоговый балл» in РЦОИ protocols); ОГЭ and ЕГЭ
            # base maths: the primary score. A file gives `score`, `primary_score` or both;
            # io/gia_scores.py fills `score` from `primary_score` where that is the scale.
            C("score", "float", "балл", "тестовый балл", "итоговый балл", "балл егэ", lo=0),
            C("primary_score", "float", "первичный балл", "первичные баллы", "primarymark", lo=0),
            C("mark", "int", "отметка", "оценка", "mark5", lo=2, hi=5),
        ),
        key=("year", "school_id", "student_id", "exam", "subject"),
        required=True,
    )
)

_add(
    Table(
        "school_stats",
        "Статистика ОО (показатели-доли)",
        (
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C("year", "year", *_YEAR, required=True),
        ),
        key=("school_id", "year"),
        extra_counts=True,
        notes="Any further column is a non-negative count (pairs numerator/denominator of docs/indicators.md).",
    )
)

_add(
    Table(
        "teachers",
        "Педагогические работники",
        (
            C("year", "year", *_YEAR, required=True),
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C(
                "teacher_id",
                "id",
                "код педагога",
                "идентификатор педагога",
                "код работника",
                required=True,
            ),
            C("subject", "subject", "предмет", "преподаваемый предмет"),
            C("expert_score", "float", "экспертная оценка", "балл экспертной оценки", lo=0, hi=100),
            C(
                "test_score",
                "float",
                "тестовая оценка",
                "балл тестирования",
                "результат тестирования",
                lo=0,
                hi=100,
            ),
            C(
                "pd_last_year",
                "bool01",
                "кпк за последний год",
                "повышение квалификации за год",
                "удостоверение кпк",
            ),
            C("category", "str", "квалификационная категория", "категория", choices=CATEGORIES),
            C(
                "teaches_advanced",
                "bool01",
                "углубленный уровень",
                "преподает на углубленном уровне",
            ),
            C("diagnosed", "bool01", "прошел диагностику", "диагностика дефицитов"),
            C("post_course_support", "bool01", "посткурсовое сопровождение"),
            C("network_involved", "bool01", "сетевое взаимодействие"),
            C("has_iom", "bool01", "иом", "наличие иом"),
        ),
        key=("year", "school_id", "teacher_id"),
    )
)

_add(
    Table(
        "rosobrnadzor",
        "Перечень Рособрнадзора (признаки необъективности)",
        (
            C("year", "year", *_YEAR, required=True),
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C("procedure", "str", "процедура", "оценочная процедура", choices=PROCEDURES),
            C("grade", "int", "класс", "параллель", lo=4, hi=11),
            C("subject", "subject", "предмет", "учебный предмет"),
        ),
        key=("year", "school_id", "procedure", "grade", "subject"),
    )
)

_add(
    Table(
        "roadmap",
        "Дорожная карта",
        (
            C("event_id", "id", "№", "номер", "номер мероприятия", "№ п/п", required=True),
            C("title", "str", "мероприятие", "наименование мероприятия", required=True),
            C("level", "str", "уровень", choices=ROADMAP_LEVELS),
            C("form", "str", "форма", "форма проведения"),
            C("due", "date", "срок", "срок исполнения", "срок выполнения", required=True),
            C("responsible", "str", "ответственный", "ответственные"),
            C("done", "date", "выполнено", "дата выполнения", "отметка о выполнении"),
            C("published_url", "str", "ссылка", "ссылка на сайт", "ссылка на материалы"),
        ),
        key=("event_id",),
        year_column=None,
    )
)

_COUNT = {"lo": 0}
_add(
    Table(
        "vpr_stats",
        "Статистика по отметкам ВПР по ОО (ФИС ОКО, Ф3)",
        (
            C("year", "year", *_YEAR, required=True),
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C("grade", "int", "класс", "параллель", required=True, lo=4, hi=11),
            C("subject", "subject", "предмет", "учебный предмет", required=True),
            C("n", "int", "кол-во участников", "число участников", required=True, lo=0),
            C("n2", "int", "отметка 2", required=True, **_COUNT),
            C("n3", "int", "отметка 3", required=True, **_COUNT),
            C("n4", "int", "отметка 4", required=True, **_COUNT),
            C("n5", "int", "отметка 5", required=True, **_COUNT),
            C("exact", "bool01", "точно"),
        ),
        key=("year", "school_id", "grade", "subject"),
        notes="Counts of marks per school × grade × subject, rebuilt from the percentages of "
        "«Статистика по отметкам»; exact = 0 when rounding left them approximate.",
    )
)

_add(
    Table(
        "vpr_journal_stats",
        "Сравнение отметок ВПР с отметками по журналу по ОО (ФИС ОКО)",
        (
            C("year", "year", *_YEAR, required=True),
            C("school_id", "id", *_SCHOOL_ID, required=True),
            C("grade", "int", "класс", "параллель", required=True, lo=4, hi=11),
            C("subject", "subject", "предмет", "учебный предмет", required=True),
            C("n", "int", "кол-во участников", "число участников", required=True, lo=0),
            C("lowered", "int", "понизили", required=True, **_COUNT),
            C("confirmed", "int", "подтвердили", required=True, **_COUNT),
            C("raised", "int", "повысили", required=True, **_COUNT),
            C("exact", "bool01", "точно"),
        ),
        key=("year", "school_id", "grade", "subject"),
        notes="Pupils whose ВПР mark is below / equal to / above the register mark, per unit.",
    )
)

# Aggregated ВПР tables: with them and no pupil rows (`vpr`), the report runs on counts.
VPR_AGGREGATED = ("vpr_stats", "vpr_journal_stats")
JOURNAL_COUNTS = ("lowered", "confirmed", "raised")
# A required table that may be absent when one of these is given instead.
REPLACED_BY = {"vpr": VPR_AGGREGATED}

REQUIRED_TABLES = tuple(n for n, t in TABLES.items() if t.required)

# Personal data: columns dropped at ingestion with a warning, whatever the table.
PERSONAL_DATA_PATTERNS = (
    r"^фио",
    r"ф\.?и\.?о",
    r"фамилия",
    r"^имя",
    r"отчество",
    r"дата рождения",
    r"^др$",
    r"снилс",
    r"паспорт",
    r"телефон",
    r"адрес",
    r"e-?mail",
    r"почта",
    r"^surname$",
    r"^last_?name$",
    r"^first_?name$",
    r"^middle_?name$",
    r"^patronymic$",
    r"^full_?name$",
    r"^name$",
    r"birth",
    r"^dob$",
    r"snils",
    r"passport",
    r"phone",
    r"address",
)

# Canonical subject names and the spellings exports use.
SUBJECTS = (
    "Русский язык",
    "Математика",
    "Математика (базовый уровень)",
    "Математика (профильный уровень)",
    "Физика",
    "Химия",
    "Биология",
    "География",
    "История",
    "Обществознание",
    "Литература",
    "Информатика",
    "Иностранный язык",
    "Английский язык",
    "Немецкий язык",
    "Французский язык",
    "Окружающий мир",
)
SUBJECT_ALIASES = {
    "рус яз": "Русский язык",
    "русский": "Русский язык",
    "русский язык": "Русский язык",
    "rus": "Русский язык",
    "russian": "Русский язык",
    "математика": "Математика",
    "матем": "Математика",
    "math": "Математика",
    "mathematics": "Математика",
    "математика профильная": "Математика (профильный уровень)",
    "профильная математика": "Математика (профильный уровень)",
    "математика профиль": "Математика (профильный уровень)",
    "математика (профильная)": "Математика (профильный уровень)",
    "математика профильный уровень": "Математика (профильный уровень)",
    "математика базовая": "Математика (базовый уровень)",
    "базовая математика": "Математика (базовый уровень)",
    "математика базовый уровень": "Математика (базовый уровень)",
    "физика": "Физика",
    "химия": "Химия",
    "биология": "Биология",
    "география": "География",
    "история": "История",
    "обществознание": "Обществознание",
    "литература": "Литература",
    "информатика": "Информатика",
    "информатика и икт": "Информатика",
    "иностранный язык": "Иностранный язык",
    "ин яз": "Иностранный язык",
    "английский язык": "Английский язык",
    "английский": "Английский язык",
    "немецкий язык": "Немецкий язык",
    "французский язык": "Французский язык",
    "окружающий мир": "Окружающий мир",
}
EXAM_ALIASES = {
    "огэ": "ОГЭ",
    "oge": "ОГЭ",
    "гиа-9": "ОГЭ",
    "гиа 9": "ОГЭ",
    "егэ": "ЕГЭ",
    "ege": "ЕГЭ",
    "гиа-11": "ЕГЭ",
    "гиа 11": "ЕГЭ",
}
LOCALITY_ALIASES = {
    "город": "город",
    "городская": "город",
    "г": "город",
    "urban": "город",
    "село": "село",
    "сельская": "село",
    "с": "село",
    "rural": "село",
    "поселок": "село",
    "посёлок": "село",
    "станица": "село",
    "хутор": "село",
    "деревня": "село",
    "аул": "село",
    "сельская местность": "село",
    "сельское поселение": "село",
    # urban-type settlements count as urban in Russian statistics (ФСН ОО-1)
    "пгт": "город",
    "поселок городского типа": "город",
    "рабочий поселок": "город",
    "городская местность": "город",
}


def procedure_key(text: object) -> str:
    """«ВПР-2024», «впр 2024 г.», «VPR» → «впр»: the procedure without its year."""
    key = re.sub(r"[\d\s\-–—]+|г$", "", norm_key(text))
    return {"vpr": "впр", "oge": "огэ", "ege": "егэ"}.get(key, key)


def norm_key(text: object) -> str:
    """Normalise a header or category for alias lookup."""
    s = str(text).strip().lower().replace("ё", "е")
    s = re.sub(r"[\s_.,«»\"']+", " ", s)
    return s.strip()


def subject_canonical(value: object) -> str | None:
    """Canonical subject name, or None when the spelling is unknown."""
    key = norm_key(value)
    for canon in SUBJECTS:
        if norm_key(canon) == key:
            return canon
    return SUBJECT_ALIASES.get(key)


def header_map(table: Table) -> dict[str, str]:
    """Normalised header → canonical column name (canonical English names included)."""
    out: dict[str, str] = {}
    for col in table.columns:
        out[norm_key(col.name)] = col.name
        for alias in col.aliases:
            out[norm_key(alias)] = col.name
    return out


def is_personal(header: str) -> bool:
    key = str(header).strip().lower().replace("ё", "е")
    return any(re.search(p, key) for p in PERSONAL_DATA_PATTERNS)
