"""Russian number formats (comma decimals, narrow no-break thousands, «н/д»).

Shared by the methods (sentences with numbers in recommendations, clusters, risk
profiles) and the report, so that a method never imports the report package.
"""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

import pandas as pd

MISSING = "—"  # em dash: a value that is absent


NNBSP = "\u202f"  # narrow no-break space: thousands separator
MINUS = "\u2212"  # the true minus sign «−» (a hyphen is not a minus in Russian typography)


# Numbers -----------------------------------------------------------------------------
def _is_missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, float | numbers.Real) and not isinstance(x, numbers.Integral):
        try:
            return math.isnan(float(x))
        except (TypeError, ValueError):
            return False
    return False


def _group(int_digits: str) -> str:
    if len(int_digits) < 5:  # Russian typography: 1234, but 12 345
        return int_digits
    head = len(int_digits) % 3 or 3
    parts = [int_digits[:head]] + [int_digits[i : i + 3] for i in range(head, len(int_digits), 3)]
    return NNBSP.join(parts)


def fmt_number(x: Any, decimals: int = 1) -> str:
    """Russian number format: ``75,3``; ``12 345`` (narrow no-break space); NaN → ``—``.

    Rounds half up on the decimal representation (2.675 → ``2,68``, as Excel does).
    Strings pass through unchanged (e.g. :data:`SMALL_N`).
    """
    if _is_missing(x):
        return MISSING
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        x = int(x)
    try:
        if isinstance(x, numbers.Integral):
            d = Decimal(int(x))
        elif isinstance(x, Decimal):
            d = x
        else:
            f = float(x)
            if math.isinf(f):
                return "∞" if f > 0 else MINUS + "∞"
            d = Decimal(repr(f))
    except (TypeError, ValueError, InvalidOperation):
        return str(x)
    decimals = max(int(decimals), 0)
    with localcontext() as ctx:
        ctx.prec = 80
        q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if q == 0:
            q = abs(q)  # no "-0,0"
        text = f"{q:f}"
    sign = ""
    if text.startswith("-"):
        sign, text = MINUS, text[1:]
    int_part, _, frac = text.partition(".")
    return sign + _group(int_part) + ("," + frac if frac else "")


def fmt_percent(x: Any, decimals: int = 1) -> str:
    """``75,3 %`` for a value already in percent; NaN → ``—``; strings pass through."""
    if _is_missing(x):
        return MISSING
    if isinstance(x, str):
        return x
    return fmt_number(x, decimals) + " %"
