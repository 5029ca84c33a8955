"""Russian phrases for numbers that come from params.

Every sentence of the report that states a configurable number (a confidence level, a
threshold, a weight, a number of years) is built with these helpers from the params it
ran with, so a municipality that changes a param never publishes a report that
contradicts itself.
"""

from __future__ import annotations

from shnor_lib.console import plural  # one Russian plural rule (pandas-free)
from shnor_lib.fmt import fmt_number

# Cardinal numerals in the genitive and prepositional cases («из трёх», «в двух»).
_GENITIVE = {
    1: "одного",
    2: "двух",
    3: "трёх",
    4: "четырёх",
    5: "пяти",
    6: "шести",
    7: "семи",
    8: "восьми",
    9: "девяти",
    10: "десяти",
}
_PREPOSITIONAL = {**_GENITIVE, 1: "одном"}


def number(x: float) -> str:
    """A number as the report prints it, without trailing zeros: 0,4; 10; 97,5."""
    x = float(x)
    if x == int(x):
        return fmt_number(int(x), 0)
    for decimals in (1, 2, 3):
        if round(x, decimals) == round(x, 4):
            return fmt_number(x, decimals)
    return fmt_number(x, 4)


def genitive(n: int) -> str:
    """«из трёх»: the numeral in words up to ten, digits beyond."""
    return _GENITIVE.get(int(n), str(int(n)))


def prepositional(n: int) -> str:
    """«в двух»: the numeral in words up to ten, digits beyond."""
    return _PREPOSITIONAL.get(int(n), str(int(n)))


def years(n: int) -> str:
    """«3 года», «5 лет», «1 год»."""
    return f"{int(n)} {plural(n, 'год', 'года', 'лет')}"


def percent_level(confidence: float) -> str:
    """The confidence level in percent: 0.95 → «95», 0.975 → «97,5»."""
    return number(round(100 * float(confidence), 4))


def ci_label(confidence: float) -> str:
    """The bracketed interval label of a column: «95 % ДИ»."""
    return f"{percent_level(confidence)} % ДИ"


def percent_adjective(confidence: float, ending: str = "ным") -> str:
    """«95-процентным» (``ending``: ный, ного, ным, ными, ный, ных …)."""
    return f"{percent_level(confidence)}-процент{ending}"


def min_participants(n: int) -> str:
    """«менее чем по 10 участникам» → the «10 участникам» part (dative after «по»)."""
    return f"{int(n)} {plural(n, 'участнику', 'участникам', 'участникам')}"


def k_of_window(k: int, window: int) -> str:
    """«не менее чем в двух из трёх лет»; «во все три года» when k equals the window."""
    k, window = int(k), int(window)
    if window <= 1:
        return "в отчётном году"
    if k >= window:
        return "во все " + (
            f"{_NOMINATIVE.get(window, str(window))} {plural(window, 'год', 'года', 'лет')}"
        )
    return f"не менее чем в {prepositional(k)} из {genitive(window)} лет"


_NOMINATIVE = {2: "два", 3: "три", 4: "четыре", 5: "пять", 6: "шесть", 7: "семь"}


def quartile_phrase(q: int) -> str:
    """ИСБ «в нижнем квартиле» (q = 1) or «в 1–2-м квартилях» (q > 1)."""
    q = int(q)
    return "в нижнем квартиле" if q <= 1 else f"в 1–{q}-м квартилях"
