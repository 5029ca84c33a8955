"""Personal data where a code is expected: names, birth dates, phones, e-mails, СНИЛС.

The contract keeps people pseudonymous: pupils and teachers appear only as codes
(``student_id``, ``teacher_id``), the roadmap names positions, not people. Columns whose
*header* says «ФИО» are dropped at read time (``schema.is_personal``); this module looks at
the *values* — a «Код участника» column that holds «Иванов Иван Иванович», a teacher code
that is a phone number, a count in ``school_stats`` that is a phone — and at headers that
are themselves a person's name.

Rules (documented for users in ``docs/data_contract_empty.md`` and the data contract):

- an id column (``student_id``, ``teacher_id``, ``school_id``, ``event_id``) whose value
  looks like a name, a date of birth, a phone, an e-mail, a СНИЛС or a passport number is an
  error naming file, row and column; the value is shown masked («Ив*** И. И.»);
- ``roadmap.responsible`` must name a position or an organisation («МКУ ИМЦ», «главный
  специалист УО»): a person's name in it is replaced by «(ФИО скрыто)» before anything is
  written, with a warning naming the rows;
- a ``school_stats`` count that is a phone number (10–11 digits starting with 7/8/9) is an
  error;
- a column header that is a person's name is never echoed: the column is dropped and every
  warning text passes through :func:`mask_text` before it is stored or shown in the report.

The checks are built for precision: a code like ``S01``, ``230101``, ``ДК-2024-01`` or a
hash never matches. School names and event titles are not checked (schools are named after
people: «СОШ им. Кирова» is not personal data).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

# A capitalised word: «Иванов», «Анна-Мария», «O'Neil» (Cyrillic or Latin).
_WORD = r"[А-ЯЁA-Z][а-яёa-z]+(?:[-'][А-ЯЁA-Z]?[а-яёa-z]+)?"
_INITIAL = r"[А-ЯЁA-Z]\."
# «Иванов Иван», «Иванов Иван Иванович», «Ivan Petrov»
_FULL_NAME = re.compile(rf"^{_WORD}(?:\s+{_WORD}){{1,2}}$")
# «Иванов И.И.», «Иванов И. И.», «И.И. Иванов», «Иванов И.»
_INITIALS = re.compile(
    rf"^(?:{_WORD}\s*,?\s+{_INITIAL}\s*(?:{_INITIAL})?|{_INITIAL}\s*(?:{_INITIAL}\s*)?{_WORD})$"
)
# a patronymic anywhere in a letters-only value: «Иванович», «Петровна», «Ильинична»
_PATRONYMIC = re.compile(r"(?:вич|вна|ична|инична|ьич)$", re.IGNORECASE)
# «иванов иван иванович», «ИВАНОВ ИВАН ИВАНОВИЧ»: letters only, the last word a patronymic
_PATRONYMIC_NAME = re.compile(
    r"^[А-ЯЁа-яё-]{2,}\s+[А-ЯЁа-яё-]{2,}\s+[А-ЯЁа-яё]+(?:вич|вна|ична|инична|ьич)$", re.IGNORECASE
)
# a single capitalised word of letters only, with a Russian surname ending
_SURNAME = re.compile(
    r"^[А-ЯЁ][а-яё]+(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|цкий|ская|цкая|енко|ук|юк|"
    r"ич|вич|ян|дзе|швили|их|ых)$"
)
_LATIN_SURNAME = re.compile(r"^[A-Z][a-z]+(?:ov|ev|in|ova|eva|ina|sky|skiy|skaya|enko)$")
_DATE = re.compile(
    r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{1,2}-\d{1,2})"
    r"(?:[ T]00:00(?::00)?)?$"
)
_PHONE = re.compile(
    r"^(?:\+7|8|7)9\d{9}$"  # a mobile number written as digits: 89181234567, +79181234567
    r"|^(?:\+7|8|7)?[\s(-]*9\d{2}[\s)-]+\d{3}[\s-]+\d{2}[\s-]+\d{2}$"  # 918 123-45-67
    r"|^(?:\+7|8)[\s(-]*\d{3,5}[\s)-]+\d{1,3}[\s-]*\d{2}[\s-]*\d{2}$"  # 8 (86148) 4-12-34
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-zА-Яа-я]{2,}")
_SNILS = re.compile(r"^\d{3}[- ]\d{3}[- ]\d{3}[- ]\d{2}$")
_PASSPORT = re.compile(r"^\d{2}\s\d{2}\s№?\s?\d{6}$|^\d{4}\s№?\s?\d{6}$")

ID_COLUMNS = ("student_id", "teacher_id", "school_id", "event_id")
_KIND_RU = {
    "name": "ФИО",
    "date": "дату (рождения?)",
    "phone": "номер телефона",
    "email": "адрес электронной почты",
    "snils": "СНИЛС",
    "passport": "номер паспорта",
}
_KIND_EN = {
    "name": "a person's name",
    "date": "a date (of birth?)",
    "phone": "a phone number",
    "email": "an e-mail address",
    "snils": "a СНИЛС number",
    "passport": "a passport number",
}


def is_name(text: str, strict: bool = False) -> bool:
    """A person's name: «Иванов Иван Иванович», «Иванов И.И.», «Петрова», «Ivan Petrov»,
    also written in capitals or in lower case («ИВАНОВ И.И.», «иванов иван»).

    ``strict`` (free text: a position, a header): two or three capitalised words are a name
    only with a surname ending or a patronymic («Начальник Управления» is not; in an id
    column, where no words belong, it is)."""
    s = " ".join(str(text).split())
    if not s or any(ch.isdigit() for ch in s):
        return False
    if (" " in s and (s.isupper() or s.islower())) or (s.islower() and re.search("[а-яё]", s)):
        # «ИВАНОВ ИВАН», «иванов и.и.» → «Иванов Иван»: case does not hide a name; but
        # «ГБОУ ИРО», «главный специалист» must not become «Гбоу Иро»: a surname is required
        # (a one-word Latin code in capitals, «TEPKJSMNRIN», stays a code)
        words = [w if re.fullmatch(r"(?:\w\.)+", w) else w.capitalize() for w in s.split()]
        if not any(_SURNAME.match(w) or _LATIN_SURNAME.match(w) for w in words):
            return bool(_PATRONYMIC_NAME.match(s))
        s = " ".join(words)
    if _INITIALS.match(s):
        return True
    words = s.split()
    if _FULL_NAME.match(s):
        evidence = any(
            _SURNAME.match(w) or _LATIN_SURNAME.match(w) or _PATRONYMIC.search(w)
            for w in re.split(r"[\s-]+", s)
        )
        if evidence or not strict:
            return True
    letters_only = all(re.fullmatch(r"[А-ЯЁа-яёA-Za-z'-]+", w) for w in words)
    if letters_only and len(words) <= 3 and any(_PATRONYMIC.search(w) for w in words[1:]):
        return True
    if len(words) != 1:
        return False
    if _SURNAME.match(s):
        return True
    # a Latin surname, pronounceable (random codes have consonant clusters): «Ivanov»
    return bool(_LATIN_SURNAME.match(s)) and not re.search(r"[^aeiouy]{4}", s.lower())


def personal_kind(value: object, strict: bool = False) -> str | None:
    """What personal datum ``value`` looks like ("name", "phone", …), or None for a code
    (``strict``: see :func:`is_name`)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    s = str(value).strip()
    if not s:
        return None
    if _EMAIL.search(s):
        return "email"
    if _SNILS.match(s):
        return "snils"
    if _PHONE.match(s):
        return "phone"
    if _PASSPORT.match(s):
        return "passport"
    if _DATE.match(s):
        return "date"
    if is_name(s, strict):
        return "name"
    return None if strict else _inside_kind(s)


_DATE_IN = re.compile(r"(?<!\d)\d{1,2}[./]\d{1,2}[./](?:19|20)\d{2}(?!\d)")
_TWO_WORDS = re.compile(r"[А-ЯЁ][а-яё]{2,}\s+[А-ЯЁ][а-яё]{2,}")


def _inside_kind(s: str) -> str | None:
    """A name, a contact or a date inside a longer value: «Иванов Иван 5А», «S01 (Петров
    П.П.)», «ученик 12.03.2012»."""
    if _CONTACT_IN_TEXT.search(s):
        return "phone"
    if _DATE_IN.search(s):
        return "date"
    if _IN_TEXT.search(s) or _TWO_WORDS.search(s):
        return "name"
    return None


def mask(value: object) -> str:
    """A value shown without disclosing it: «Иванов Иван» → «Ив*** И***», «+79181234567» →
    «+7*********67», «ivan@mail.ru» → «iv***@***»."""
    s = " ".join(str(value).split())
    if "@" in s:
        return s[:2] + "***@***"
    if sum(ch.isdigit() for ch in s) >= 6:
        return s[:2] + re.sub(r"\d", "*", s[2:-2]) + s[-2:]
    out = []
    for w in s.split():
        if re.fullmatch(r"(?:[А-ЯЁA-Z]\.)+", w):
            out.append(w)  # initials are shown as they are
        elif len(w) <= 2:
            out.append(w[0] + "*")
        else:
            out.append(w[:2] + "***" if w[0].isupper() and len(out) == 0 else w[0] + "***")
    return " ".join(out)


_IN_TEXT = re.compile(
    rf"{_WORD}\s+{_INITIAL}\s*(?:{_INITIAL})?"  # Иванов И.И.
    rf"|{_INITIAL}\s*(?:{_INITIAL}\s*)?{_WORD}"  # И.И. Иванов
    rf"|{_WORD}\s+{_WORD}\s+[А-ЯЁ][а-яё]+(?:вич|вна|ична|инична|ьич)\b"  # Иванов Иван Иванович
    rf"|{_WORD}\s+[А-ЯЁ][а-яё]+(?:вич|вна|ична|инична|ьич)\b"  # Иван Иванович
)
_CONTACT_IN_TEXT = re.compile(
    r"[^@\s«»\"'(]+@[^@\s«»\"')]+\.[A-Za-z]{2,}"
    r"|\+7[\s(-]*\d{3,5}[\s)-]*\d{1,3}[\s-]*\d{2}[\s-]*\d{2}(?![\w-])"
    r"|(?<![\w-])8\s*\(\d{3,5}\)\s*\d{1,3}[\s-]?\d{2}[\s-]?\d{2}(?![\w-])"
    r"|(?<![\w-])8[\s-]\d{3}[\s-]\d{3}[\s-]\d{2}[\s-]\d{2}(?![\w-])"
)


def mask_text(text: str, replacement: Callable[[re.Match], str] | None = None) -> str:
    """``text`` with every name and contact in it replaced (masked by default)."""
    repl = replacement or (lambda m: mask(m.group(0)))
    return _IN_TEXT.sub(repl, _CONTACT_IN_TEXT.sub(repl, text))


def hide_names(text: object) -> object:
    """«Симоненко Людмила Ивановна, главный специалист УО» → «(ФИО скрыто), главный
    специалист УО»: positions and organisations stay, people go."""
    if not isinstance(text, str):
        return text
    out = _CONTACT_IN_TEXT.sub("(контакт скрыт)", text)
    out = _IN_TEXT.sub("(ФИО скрыто)", out)
    whole = out.strip(" ,;")
    if personal_kind(whole, strict=True) is not None:
        return "(ФИО скрыто)"
    return out


_INITIALS_RE = re.compile(
    r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?\s+[А-ЯЁ]\.\s*(?:[А-ЯЁ]\.)?|[А-ЯЁ]\.\s*(?:[А-ЯЁ]\.\s*)?[А-ЯЁ][а-яё]+"
)


def mask_names(value: object) -> object:
    """«Симоненко Л.И., главный специалист УО» → «(ФИО скрыто), главный специалист УО»:
    surnames with initials are not published (M11); organisations and posts stay."""
    if not isinstance(value, str):
        return value
    return hide_names(_INITIALS_RE.sub("(ФИО скрыто)", value))


def check_table(name: str, frame: pd.DataFrame, out, warnings: list[str]) -> pd.DataFrame:
    """The personal-data checks of one parsed table (``frame`` has ``_row``); problems go to
    ``out`` (ingest's collector), warnings to ``warnings``; returns the frame to keep."""
    rows = frame["_row"]
    for col in ID_COLUMNS:
        if col in frame:
            _check_ids(frame[col], rows, col, out)
    from shnor_lib.io.schema import TABLES, header_map, norm_key

    known = header_map(TABLES[name]) if name in TABLES else {}
    headers = frame.attrs.get("headers", {})
    for header, canon in headers.items():
        if canon in frame and norm_key(header) not in known and is_name(header, strict=True):
            frame = frame.drop(columns=[canon])
            warnings.append(
                f"{out.file}: столбец с заголовком, похожим на ФИО («{mask(header)}»), "
                "удалён и не сохраняется (a column headed by a person's name was dropped)"
            )
    if name == "roadmap":
        for col in ("responsible", "title", "form"):
            if col in frame:
                frame = _hide_in_text(frame, col, out.file, warnings)
    if name in ("school_stats", "context"):
        _check_phone_counts(frame, out)
    return frame


def _check_ids(values: pd.Series, rows: pd.Series, col: str, out) -> None:
    text = values.astype("string")
    uniques = pd.Series(pd.unique(text.dropna()), dtype="string")
    # Latin letters mixed with digits («SW7FVQATDZA», «a3f9c2») and short or long digit runs
    # are codes: no name, date or phone looks like that (the bulk of a large file, skipped
    # in one vectorised pass)
    code = uniques.str.fullmatch(r"(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]+", na=False)
    code |= uniques.str.fullmatch(r"\d{1,9}|\d{12,}", na=False)
    kinds = {u: personal_kind(u) for u in uniques[~code].tolist()}
    bad = {u: k for u, k in kinds.items() if k is not None}
    if not bad:
        return
    hit = text.isin(list(bad)).fillna(False).to_numpy(dtype=bool)
    idx = [i for i, h in enumerate(hit) if h]
    n = len(idx)
    for i in idx[:5]:
        v = str(text.iloc[i])
        kind = bad[v]
        out.add(
            f"обезличенный код, а значение похоже на {_KIND_RU[kind]} — персональные данные "
            "в отчёт и таблицы не попадают: замените на коды участников "
            f"(в столбце таких строк: {n})",
            f"a pseudonymous code; the value looks like {_KIND_EN[kind]} "
            f"({n} such rows in the column)",
            row=int(rows.iloc[i]),
            column=col,
            value=mask(v),
        )


_ROADMAP_RU = {"responsible": "Ответственный", "title": "Мероприятие", "form": "Форма"}


def _hide_in_text(frame: pd.DataFrame, col: str, file: str, warnings: list[str]) -> pd.DataFrame:
    """Names and contacts in a roadmap text column replaced (the roadmap is published)."""
    before = frame[col]
    after = before.map(hide_names) if col == "responsible" else before.map(_hide_parts)
    changed = before.notna() & (before.astype(object) != after.astype(object))
    if not changed.any():
        return frame
    frame = frame.copy()
    frame[col] = after.astype(before.dtype)
    shown = ", ".join(str(int(r)) for r in frame.loc[changed, "_row"].head(10))
    more = " и др." if int(changed.sum()) > 10 else ""
    warnings.append(
        f"{file}: в столбце «{_ROADMAP_RU[col]}» указаны ФИО или контакты (строки "
        f"{shown}{more}); дорожная карта называет должности и организации, поэтому они "
        "заменены на «(ФИО скрыто)» / «(контакт скрыт)» и нигде не сохраняются "
        f"(names and contacts in '{col}' replaced: the roadmap names positions)"
    )
    return frame


def _hide_parts(text: object) -> object:
    """Names (with initials or a patronymic) and contacts inside a title; the title stays."""
    if not isinstance(text, str):
        return text
    out = _CONTACT_IN_TEXT.sub("(контакт скрыт)", text)
    return _IN_TEXT.sub("(ФИО скрыто)", out)


def _check_phone_counts(frame: pd.DataFrame, out) -> None:
    for col in frame.columns:
        if col in ("school_id", "year") or col.startswith("_"):
            continue
        s = frame[col]
        if not pd.api.types.is_numeric_dtype(s):
            continue
        num = pd.to_numeric(s, errors="coerce")
        # no school counts a billion pupils: 10–11 digits are a phone number
        looks = num[(num >= 1e9) & (num < 1e11)].map(lambda x: str(int(x)))
        for i in looks.index[:5]:
            out.add(
                "число (количество обучающихся или педагогов), а значение похоже на номер "
                "телефона — уберите контакты из таблицы",
                "a count; the value looks like a phone number",
                row=int(frame.at[i, "_row"]),
                column=col,
                value=mask(looks[i]),
            )


_QUOTED = re.compile(r"«([^«»]{1,200})»")


def scrub_warnings(warnings: list[str]) -> list[str]:
    """Warnings with any name or contact in them masked: warnings are stored in the
    manifest and shown in the report (a header quoted «Ivan Petrov» included)."""

    def quoted(m: re.Match) -> str:
        inner = m.group(1)
        return f"«{mask(inner)}»" if personal_kind(inner, strict=True) else m.group(0)

    return [mask_text(_QUOTED.sub(quoted, w)) for w in warnings]
