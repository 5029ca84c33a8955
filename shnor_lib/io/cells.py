"""Cell values as real exports write them: the words that mean «no result», and the
normalisation that is unambiguous (NFKC, zero-width characters, Latin/Cyrillic look-alikes).
"""

from __future__ import annotations

import re
import unicodedata

# «отсутствовал»: the pupil did not sit the paper — not a participant (the row is dropped).
ABSENT = frozenset(
    {"отсутствовал", "отсутствовала", "отсутствовали", "отсутствует", "не явился", "неявка"}
)
# «нет отметки», «X»/«Х» (Latin, Cyrillic): no mark. In a mark column the mark is missing;
# in a ВПР task cell «Х» means «не приступал к заданию» (0 points, as ФИС ОКО counts it).
NO_MARK = frozenset({"нет отметки", "x", "х", "нет оценки", "н/о"})
NOT_ATTEMPTED = frozenset({"x", "х"})

ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# thousands separators a number may carry (space, nbsp, narrow nbsp, thin space)
THOUSANDS = ("\u00a0", "\u202f", "\u2009", "\u2007", " ")

# Latin letters that look like Cyrillic ones, and back.
_LAT_TO_CYR = str.maketrans("AaBCcEeHKMOoPpTXxYy", "АаВСсЕеНКМОоРрТХхУу")
_CYR_TO_LAT = str.maketrans("АаВСсЕеНКМОоРрТХхУу", "AaBCcEeHKMOoPpTXxYy")
_CYR = re.compile("[\u0400-\u04ff]")
_LAT = re.compile("[A-Za-z]")


def clean(text: str) -> str:
    """NFKC (full-width digits, non-breaking spaces → plain), zero-width characters removed."""
    return ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))


def token(value: object) -> str:
    """A cell as a lower-case key for the word sets above."""
    return re.sub(r"\s+", " ", clean(str(value))).strip().lower().replace("ё", "е")


def is_absent(value: object) -> bool:
    return token(value) in ABSENT


def is_no_mark(value: object) -> bool:
    return token(value) in NO_MARK or token(value) in ABSENT


def cyrillic_word(text: str) -> str:
    """«Pусский язык» (a Latin P) → «Русский язык»: only when the text is mostly Cyrillic,
    so the look-alike can only have been meant as Cyrillic."""
    if _LAT.search(text) and len(_CYR.findall(text)) > len(_LAT.findall(text)):
        return text.translate(_LAT_TO_CYR)
    return text


def latin_id(text: str) -> str:
    """«еdu203389» (a Cyrillic е) → «edu203389»: an id made of Latin letters and digits
    with a few Cyrillic look-alikes is a Latin id. Ids in Cyrillic stay as they are."""
    if _CYR.search(text) and _LAT.search(text):
        swapped = text.translate(_CYR_TO_LAT)
        if not _CYR.search(swapped) and len(_LAT.findall(text)) >= len(_CYR.findall(text)):
            return swapped
    return text
