"""Numbers on the console in the Russian format, as in the report: one helper for every message.

Russian typography writes a decimal comma and groups thousands with a space («18,3 с»,
«183 979 строк»). The console uses the report's own formatter
(:func:`shnor_lib.fmt.fmt_number`), so both write the same: the group separator is
U+202F NARROW NO-BREAK SPACE (a terminal never breaks a number across lines), halves round
up, NaN is «—». The functions are tiny on purpose: the console must not depend on a locale
installed on the user's machine.
"""

from __future__ import annotations

import sys
import time

GROUP = "\u202f"  # narrow no-break space: the thousands separator (as display.NNBSP)


def num(x: float | int, digits: int = 0) -> str:
    """``x`` with ``digits`` decimals, a decimal comma and grouped thousands: 183 979; 18,3."""
    from shnor_lib.fmt import fmt_number  # pandas is imported lazily: `shnor --help` stays fast

    return fmt_number(x, digits)


def secs(seconds: float) -> str:
    """A duration in seconds with one decimal: «18,3 с»; from a minute on «2 мин 05 с»."""
    if seconds < 60:
        return f"{num(seconds, 1)} с"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{num(minutes)} мин {rest:02d} с"


def since(t0: float) -> str:
    """The time since ``t0`` (a ``time.perf_counter()`` value), formatted by :func:`secs`."""
    return secs(time.perf_counter() - t0)


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian noun form for ``n``: 1 строка, 2 строки, 5 строк (21 строка, 11 строк)."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count(n: int, one: str, few: str, many: str) -> str:
    """A count with its noun: «183 979 строк», «1 таблица»."""
    return f"{num(n)} {plural(n, one, few, many)}"


def say(msg: str) -> None:
    """Print a progress or result line for the user (stderr: stdout stays for data)."""
    print(msg, file=sys.stderr, flush=True)


class Progress:
    """A line per *finished* unit with the elapsed time and an estimate of what remains.

    The estimate is the units left at the throughput so far (elapsed / finished units),
    so parallel workers are accounted for; it is printed as «осталось ≈ …». The elapsed time
    is the wall time since the start of the whole run (cumulative), and every line says so
    («с начала»).
    """

    def __init__(self, total: int, say=say) -> None:
        self.total = total
        self.done = 0
        self.t0 = time.perf_counter()
        self._say = say

    def finished(self, what: str) -> str:
        """Count one more finished unit and print (and return) its line."""
        self.done += 1
        elapsed = time.perf_counter() - self.t0
        line = f"[{self.done}/{self.total}] {what} — с начала {secs(elapsed)}"
        left = self.total - self.done
        if left > 0:
            line += f", осталось ≈ {secs(elapsed * left / self.done)}"
        self._say(line)
        return line
