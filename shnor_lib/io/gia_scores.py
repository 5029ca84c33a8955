"""ГИА scores mean what their headers say, checked against the scale of exam × subject × year.

- ЕГЭ: ``score`` is the test score 0–100 («Тестовый балл», «Итоговый балл»); «Первичный
  балл» is ``primary_score``. Both may be present. A file with only the primary score is an
  error: the conversion to test scores changes every year and is not guessed here.
- ОГЭ and ЕГЭ base mathematics: the scale is the primary score; ``score`` and
  ``primary_score`` are the same number and each fills the other.
- A column whose values cannot be on the scale it is read as is an error naming the file,
  the column (the user's header), the value and what to fix: above 100 for an ЕГЭ test
  score, above the subject's primary maximum for a primary score, a test score below the
  primary score (columns swapped), and an ЕГЭ "test score" column whose maximum over at
  least :data:`AMBIGUOUS_MIN_N` results of a subject never exceeds the subject's primary
  maximum («похоже, это первичный балл»; with fewer results, a warning).

Maxima come from reference data (``ege_primary_max.csv``, ``oge_scales.csv``), taken for the
latest year not after the result's year; a year before every row is not checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor_lib.io import reference

BASE_MATH = "Математика (базовый уровень)"
AMBIGUOUS_MIN_N = 10  # fewer ЕГЭ results of a subject in a file: a warning, not an error


def check(frame: pd.DataFrame, out) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` (one file's parsed gia rows) with ``score`` filled where it is primary.

    ``out`` collects problems (``add``/``add_mask`` of ingest's collector, which names each
    row's file and the user's own headers); returns the frame and Russian warnings.
    """
    names = getattr(out, "names", {})  # contract column → the file's own header
    if "score" not in frame and "primary_score" not in frame:
        out.add(
            "столбец балла: «Тестовый балл» или «Итоговый балл» (ЕГЭ, 0–100) либо «Первичный "
            "балл» (ОГЭ)",
            "a score column: «Тестовый балл»/«Итоговый балл» (ЕГЭ, 0–100) or «Первичный балл»",
            row=1,
            column="score",
        )
        return frame, []
    frame = frame.copy()
    for col in ("score", "primary_score"):
        if col not in frame:
            frame[col] = np.nan
    primary_scale = (frame["exam"] == "ОГЭ") | (frame["subject"] == BASE_MATH)
    filled = frame["score"].where(~primary_scale | frame["primary_score"].isna())
    frame["score"] = filled.fillna(frame["primary_score"].where(primary_scale))
    frame["primary_score"] = frame["primary_score"].fillna(frame["score"].where(primary_scale))
    ege = (frame["exam"] == "ЕГЭ") & ~primary_scale
    _ege_needs_test_score(frame, ege, names, out)
    _ranges(frame, ege, names, out)
    return frame, _ambiguous(frame, ege, names, out)


def _label(names: dict, col: str) -> str:
    return names.get(col, col)


def _ege_needs_test_score(frame: pd.DataFrame, ege: pd.Series, names: dict, out) -> None:
    only_primary = ege & frame["score"].isna() & frame["primary_score"].notna()
    for subject, grp in frame[only_primary].groupby("subject", sort=True):
        out.add_mask(  # one problem per subject, at its first row (names the row's file)
            pd.Series(frame.index.isin(grp.index[:1]), index=frame.index),
            frame["_row"],
            "primary_score",
            frame["primary_score"],
            f"тестовый балл ЕГЭ (0–100) по предмету «{subject}»: в файле только первичный "
            f"балл ({len(grp)} результатов). Добавьте столбец «Тестовый балл» или «Итоговый "
            "балл» (перевод первичного балла в тестовый меняется по годам и не угадывается)",
            f"an ЕГЭ test score (0–100) for «{subject}»: the file has only the primary score "
            f"({len(grp)} results); add a «Тестовый балл» or «Итоговый балл» column",
        )


def _ranges(frame: pd.DataFrame, ege: pd.Series, names: dict, out) -> None:
    rows = frame["_row"]
    score, primary = frame["score"], frame["primary_score"]
    out.add_mask(
        (ege & (score > 100)).fillna(False),
        rows,
        "score",
        score,
        "тестовый балл ЕГЭ от 0 до 100",
        "an ЕГЭ test score 0–100",
    )
    swapped = ege & score.notna() & primary.notna() & (score < primary)
    out.add_mask(
        swapped.fillna(False),
        rows,
        "score",
        score,
        f"тестовый балл ЕГЭ не меньше первичного («{_label(names, 'primary_score')}»); похоже, "
        "столбцы перепутаны",
        "an ЕГЭ test score not below the primary score; the columns seem swapped",
    )
    maxima = _primary_maxima(frame)
    col = "primary_score" if "primary_score" in names or "score" not in names else "score"
    over = (primary > maxima).fillna(False)
    for (exam, subject, year), grp in frame[over].groupby(["exam", "subject", "year"]):
        limit = float(maxima[grp.index].iloc[0])
        out.add_mask(
            pd.Series(True, index=grp.index),
            grp["_row"],
            col,
            grp["primary_score"],
            f"первичный балл {exam} по предмету «{subject}» ({year} г.) не больше {limit:g}",
            f"an {exam} primary score for «{subject}» ({year}) not above {limit:g}",
        )


def _primary_maxima(frame: pd.DataFrame) -> pd.Series:
    """Per row, the primary maximum of its exam × subject × year (NaN when unknown)."""
    out = pd.Series(np.nan, index=frame.index)
    tables = {"ЕГЭ": reference.load_ege_primary_max(), "ОГЭ": reference.load_oge_scales()}
    for (exam, year), grp in frame.groupby(["exam", "year"], sort=False):
        table = tables.get(str(exam))
        if table is None or pd.isna(year):
            continue
        limits = reference.since_year(table, int(year)).set_index("subject")["max_score"]
        out[grp.index] = grp["subject"].map(limits).astype("float64").to_numpy()
    return out


def _ambiguous(frame: pd.DataFrame, ege: pd.Series, names: dict, out) -> list[str]:
    """An ЕГЭ test-score column that never leaves the primary scale: error (or warning)."""
    warnings: list[str] = []
    sel = frame[ege & frame["score"].notna()]
    if sel.empty:
        return warnings
    maxima = _primary_maxima(sel)
    label = _label(names, "score")
    for (subject, year), grp in sel.groupby(["subject", "year"], sort=True):
        limit = maxima[grp.index].max()
        top = grp["score"].max()
        if pd.isna(limit) or top > limit:
            continue
        what = (
            f"столбец «{label}» читается как тестовый балл ЕГЭ (0–100), но по предмету "
            f"«{subject}» ({year} г.) его максимум {top:g} при {len(grp)} результатах не выше "
            f"максимального первичного балла {limit:g}: похоже, это первичный балл"
        )
        fix = (
            "Если это первичные баллы, назовите столбец «Первичный балл» и добавьте "
            "тестовые баллы («Тестовый балл» или «Итоговый балл»)"
        )
        at_top = grp.index[grp["score"] == top][:1]  # the row of the column's maximum
        if len(grp) >= AMBIGUOUS_MIN_N:
            out.add_mask(
                pd.Series(frame.index.isin(at_top), index=frame.index),
                frame["_row"],
                "score",
                frame["score"],
                f"{what}. {fix}",
                f"column '{label}' is read as the ЕГЭ test score (0–100), but for «{subject}» "
                f"({year}) its maximum {top:g} over {len(grp)} results is not above the "
                f"primary maximum {limit:g}: it looks like the primary score",
            )
        else:
            file = out.file_of(frame["_row"], int(frame.index.get_loc(at_top[0])))
            warnings.append(f"{file}: {what}? Проверьте. {fix}.")
    return warnings
