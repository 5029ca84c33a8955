"""Implausible data: values each valid on its own that cannot all be true together.

Every finding names file, row, column, value and why, like the type checks of ingest.
Errors stop the run (a number computed from them would be silently wrong); warnings are
stored in the manifest and shown in the report.

Errors:

- a ВПР mark that contradicts its primary score under the ВПР scale of that year, grade and
  subject (``data/vpr_scales.csv``; checked only where the scale is known and its maximum
  equals the row's ``max_score``);
- ``max_score`` differing within one procedure × year × grade × subject (one test has one
  maximum; two maxima mean two variants or a typo, and shares of the maximum would mix);
- a ВПР subject impossible in that grade (``data/vpr_subject_grades.csv``: the grades each
  subject is taught and written in; e.g. История from grade 5, Физика from grade 7);
- more participants of one ВПР work (year × school × grade × subject) or one ГИА exam
  (year × school × exam × subject) than the school has pupils (``context.students_total``);
- a numerator above its denominator in ``school_stats`` (the pairs of
  ``data/indicators_catalog.csv``): a share above 100 % has no confidence interval;
- «Математика (профильный уровень)» or «(базовый уровень)» in ОГЭ (the levels exist in ЕГЭ
  only): the file is ЕГЭ, or the exam column is wrong;
- a roadmap link that is not an ``http(s)://host/…`` address (the report links it).

Warnings (the file is set aside, not read):

- a stray copy beside its original: ``vpr (копия).csv``, ``vpr - copy.csv``, ``vpr(1).csv``,
  ``Копия vpr.csv`` next to ``vpr.csv`` (:func:`stray_copy`);
- a file with exactly the same content (sha256) as another one already read.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from shnor_lib import DATA_DIR

MAX_SHOWN = 20

# «vpr (копия)», «vpr - Копия (2)», «vpr - copy», «vpr(1)», «vpr_копия», «vpr copy 2»,
# «Копия vpr», «Copy of vpr»: the Windows, macOS and Excel ways of naming a duplicate.
_COPY_SUFFIX = re.compile(
    r"^(?P<orig>.+?)(?:\s*[-_]?\s*(?:\(?(?:копия|copy)\)?)(?:\s*\(?\d{1,2}\)?)?"
    r"|\s*\(\d{1,2}\)|\s+\d{1,2})$",
    re.IGNORECASE,
)
_COPY_PREFIX = re.compile(r"^(?:копия|copy of)\s+(?P<orig>.+)$", re.IGNORECASE)
_DATA_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")


def _original_stem(stem: str) -> str | None:
    """The stem a copy was made from, or None when ``stem`` is not named like a copy."""
    m = _COPY_PREFIX.match(stem) or _COPY_SUFFIX.match(stem)
    return m.group("orig").strip() if m else None


def stray_copy(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """``(copy, original)`` for every file named like a copy of another file of ``paths``
    (same folder, any data suffix). A «copy» whose original is absent is not a stray: it is
    the only file there is."""
    paths = list(paths)
    by_key = {(p.parent, p.stem.casefold()): p for p in paths}
    out = []
    for p in paths:
        stem = p.stem
        seen = set()
        while (orig := _original_stem(stem)) is not None and orig not in seen:
            seen.add(orig)
            match = by_key.get((p.parent, orig.casefold()))
            if match is not None and match != p:
                out.append((p, match))
                break
            stem = orig
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def set_aside(files: list[Path], warnings: list[str], rel=str) -> list[Path]:
    """``files`` of one table without stray copies and exact duplicates (warned).

    Copies named like ``vpr (копия).csv`` are looked for beside the files too, so a copy the
    file finder would not pick up is still mentioned.
    """
    if not files:
        return files
    folder_files = sorted(
        {
            p
            for f in files
            for p in f.parent.iterdir()
            if p.is_file() and p.suffix.lower() in _DATA_SUFFIXES and not p.name.startswith("~$")
        }
    )
    kept = list(files)
    mine = {f.stem.casefold() for f in files}
    for copy, orig in stray_copy(folder_files):
        if orig.stem.casefold() not in mine and copy not in files:
            continue
        if copy in kept:
            kept.remove(copy)
        warnings.append(
            f"{rel(copy)}: похоже на копию файла {rel(orig)} — отложен и не прочитан, чтобы "
            "строки не посчитались дважды; если это другие данные, переименуйте файл "
            f"(a stray copy of {orig.name}, set aside)"
        )
    first_of: dict[str, Path] = {}
    for f in list(kept):
        digest = _sha256(f)
        if digest in first_of:
            kept.remove(f)
            warnings.append(
                f"{rel(f)}: тот же файл, что {rel(first_of[digest])} (совпадает содержимое) — "
                f"отложен и не прочитан (same content as {first_of[digest].name}, set aside)"
            )
        else:
            first_of[digest] = f
    return kept


# ---------------------------------------------------------------------------- reference data


@functools.lru_cache(maxsize=1)
def subject_grades() -> pd.DataFrame:
    """The grades each ВПР subject is written in (``data/vpr_subject_grades.csv``)."""
    table = pd.read_csv(DATA_DIR / "vpr_subject_grades.csv", dtype={"subject": str})
    return table.set_index("subject")[["first_grade", "last_grade"]]


def _vpr_scales() -> pd.DataFrame | None:
    try:
        from shnor_lib.io.reference import load_vpr_scales

        return load_vpr_scales()
    except Exception:  # noqa: BLE001 - no scale file: nothing is checked against it
        return None


@functools.lru_cache(maxsize=1)
def _stats_pairs() -> list[tuple[str, str]]:
    cat = pd.read_csv(DATA_DIR / "indicators_catalog.csv", dtype=str, keep_default_na=False)
    cat = cat[(cat["source"] == "stats") & (cat["numerator"] != "") & (cat["denominator"] != "")]
    return sorted(set(zip(cat["numerator"], cat["denominator"], strict=True)))


# ---------------------------------------------------------------------------- one table


def check_table(name: str, frame: pd.DataFrame, out) -> None:
    """Checks within one parsed table (``frame`` has ``_row``); problems go to ``out``."""
    if frame.empty:
        return
    if name == "vpr":
        _vpr_subject_grade(frame, out)
        _vpr_mark_vs_scale(frame, out)
    if name == "gia":
        _oge_math_levels(frame, out)
    if name == "school_stats":
        _numerator_above_denominator(frame, out)
    if name == "roadmap" and "published_url" in frame:
        _roadmap_urls(frame, out)


def _add_rows(out, mask: pd.Series, frame: pd.DataFrame, column: str, ru, en) -> None:
    """One problem per flagged row (the first MAX_SHOWN), ``ru``/``en``: text or f(row)."""
    idx = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
    for i in idx[:MAX_SHOWN]:
        r = frame.iloc[i]
        out.add(
            ru(r) if callable(ru) else ru,
            en(r) if callable(en) else en,
            row=int(r["_row"]),
            column=column,
            value=r[column],
        )
    if len(idx) > MAX_SHOWN:
        out.add(
            f"то же ещё в {len(idx) - MAX_SHOWN} строках (столбец {column})",
            f"the same in {len(idx) - MAX_SHOWN} more rows",
            column=column,
        )


def _vpr_subject_grade(frame: pd.DataFrame, out) -> None:
    ref = subject_grades()
    known = frame["subject"].isin(ref.index)
    first = frame["subject"].map(ref["first_grade"])
    last = frame["subject"].map(ref["last_grade"])
    bad = known & frame["grade"].notna() & ((frame["grade"] < first) | (frame["grade"] > last))

    def ru(r):
        lo, hi = ref.loc[r["subject"]]
        return (
            f"предмет, по которому в {int(r['grade'])} классе пишут ВПР: «{r['subject']}» "
            f"пишут в {lo}–{hi} классах — проверьте столбцы «Класс» и «Предмет»"
        )

    def en(r):
        lo, hi = ref.loc[r["subject"]]
        return f"a ВПР subject of grade {int(r['grade'])}; {r['subject']} is written in {lo}–{hi}"

    _add_rows(out, bad, frame, "subject", ru, en)


def _vpr_mark_vs_scale(frame: pd.DataFrame, out) -> None:
    scales = _vpr_scales()
    if scales is None or scales.empty:
        return
    keys = ["year", "grade", "subject"]
    cols = keys + ["max_score", "cut3", "cut4", "cut5"]
    sc = scales[cols].rename(columns={"max_score": "_scale_max"})
    sc = sc.astype({"year": "float64", "grade": "float64"})
    left = frame[keys + ["primary_score", "max_score", "mark", "_row"]].copy()
    left = left.astype({"year": "float64", "grade": "float64"})
    m = left.reset_index().merge(sc, on=keys, how="inner")
    m = m[(m["_scale_max"] == m["max_score"]) & m["primary_score"].notna() & m["mark"].notna()]
    if m.empty:
        return
    score = m["primary_score"]
    expected = np.where(
        score >= m["cut5"], 5, np.where(score >= m["cut4"], 4, np.where(score >= m["cut3"], 3, 2))
    )
    bad = m[m["mark"].astype("float64").to_numpy() != expected].copy()
    if bad.empty:
        return
    bad["_expected"] = expected[m["mark"].astype("float64").to_numpy() != expected]
    bad = bad.sort_values("_row")
    n = len(bad)
    for _, r in bad.head(MAX_SHOWN).iterrows():
        out.add(
            f"отметку по шкале перевода ВПР {int(r['year'])} года ({int(r['grade'])} класс, "
            f"{r['subject']}): первичный балл {r['primary_score']:g} из {r['max_score']:g} — "
            f"отметка {int(r['_expected'])} (границы «3», «4», «5»: {int(r['cut3'])}, "
            f"{int(r['cut4'])}, {int(r['cut5'])}); проверьте, не перепутаны ли столбцы "
            f"отметки и балла (в файле таких строк: {n})",
            f"the mark of the ВПР {int(r['year'])} scale: score {r['primary_score']:g} of "
            f"{r['max_score']:g} gives {int(r['_expected'])} ({n} such rows)",
            row=int(r["_row"]),
            column="mark",
            value=int(r["mark"]),
        )


_LEVELS = ("Математика (профильный уровень)", "Математика (базовый уровень)")


def _oge_math_levels(frame: pd.DataFrame, out) -> None:
    bad = (frame["exam"] == "ОГЭ") & frame["subject"].isin(_LEVELS)
    _add_rows(
        out,
        bad,
        frame,
        "subject",
        "предмет ОГЭ: в ОГЭ одна «Математика», базовый и профильный уровни бывают только в "
        "ЕГЭ — проверьте столбец «Экзамен» (или это результаты ЕГЭ)",
        "an ОГЭ subject: math levels (base/profile) exist in ЕГЭ only",
    )


def _numerator_above_denominator(frame: pd.DataFrame, out) -> None:
    for num, den in _stats_pairs():
        if num not in frame or den not in frame:
            continue
        bad = (frame[num] > frame[den]).fillna(False)
        _add_rows(
            out,
            bad,
            frame,
            num,
            lambda r, num=num, den=den: (
                f"не больше знаменателя «{den}» ({r[den]:g}): доля {num}/{den} не может "
                "превышать 100 %"
            ),
            lambda r, num=num, den=den: f"not above the denominator {den} ({r[den]:g})",
        )


_URL = re.compile(
    r"https?://(?:[A-Za-z0-9А-Яа-яёЁ-]+\.)+(?:[A-Za-zА-Яа-яёЁ]{2,}|xn--[a-z0-9-]+)"
    r"(?::\d{1,5})?(?:[/?#]\S*)?"
)


def url_ok(text: str) -> bool:
    """Every link of a cell (separated by spaces, «,» or «;») is an http(s)://host… address."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    return bool(parts) and all(_URL.fullmatch(p) for p in parts)


def _roadmap_urls(frame: pd.DataFrame, out) -> None:
    url = frame["published_url"]
    bad = url.notna() & ~url.astype("string").fillna("").map(url_ok).astype(bool)
    _add_rows(
        out,
        bad,
        frame,
        "published_url",
        "ссылка вида https://сайт/страница (или пустая ячейка, если материалы не "
        "опубликованы): по ссылке отчёт считает мероприятие опубликованным",
        "an http(s)://host/… link or an empty cell",
    )


# ---------------------------------------------------------------------------- across tables


def check_tables(tables: dict[str, pd.DataFrame], collector) -> list:
    """Checks that need several tables or several files of one table (frames still carry
    ``_row`` and ``_file``); returns the problems."""
    problems: list = []
    if "vpr" in tables and not tables["vpr"].empty:
        problems += _max_score_consistent(tables["vpr"], collector)
    for name, keys in (("vpr", ["grade", "subject"]), ("gia", ["exam", "subject"])):
        if name in tables and not tables[name].empty and "context" in tables:
            problems += _participants_above_pupils(tables[name], tables["context"], collector, keys)
    return problems


def _max_score_consistent(vpr: pd.DataFrame, collector) -> list:
    keys = ["year", "grade", "subject"]
    v = vpr.dropna(subset=keys + ["max_score"])
    n_max = v.groupby(keys, sort=True)["max_score"].transform("nunique")
    mixed = v[n_max > 1]
    problems: list = []
    for key, grp in mixed.groupby(keys, sort=True):
        counts = grp["max_score"].value_counts()
        usual = counts.index[0]
        odd = grp[grp["max_score"] != usual].sort_values(["_file", "_row"])
        for _, r in odd.head(MAX_SHOWN).iterrows():
            out = collector(str(r["_file"]))
            out.add(
                f"один максимальный балл для ВПР {int(key[0])} года, {int(key[1])} класс, "
                f"{key[2]}: в {int(counts.iloc[0])} строках {usual:g}, здесь {r['max_score']:g} "
                f"(строк с другим максимумом: {len(odd)}) — разные варианты или опечатка",
                f"one max_score per ВПР year × grade × subject: {usual:g} in most rows",
                row=int(r["_row"]),
                column="max_score",
                value=r["max_score"],
            )
            problems += out.problems
    return problems


def _participants_above_pupils(
    results: pd.DataFrame, context: pd.DataFrame, collector, work: list[str]
) -> list:
    """Participants of one work (a ВПР grade × subject, an exam × subject) above the
    school's pupils that year: a wrong school code or year in one of the files."""
    keys = ["year", "school_id", *work]
    n = results.groupby(keys, sort=True).agg(n=("student_id", "nunique"), _file=("_file", "first"))
    n = n.reset_index()
    pupils = context.dropna(subset=["students_total"]).drop_duplicates(["school_id", "year"])
    pupils = pupils[["school_id", "year", "students_total", "_file", "_row"]].rename(
        columns={"_file": "_ctx_file", "_row": "_ctx_row"}
    )
    m = n.merge(pupils, on=["school_id", "year"], how="inner")
    over = m[m["n"] > m["students_total"]].sort_values(keys)
    problems: list = []
    for _, r in over.head(MAX_SHOWN).iterrows():
        out = collector(str(r["_file"]))
        what = (
            f"ВПР ({int(r['grade'])} класс, {r['subject']})"
            if "grade" in work
            else f"{r['exam']} ({r['subject']})"
        )
        out.add(
            f"не больше обучающихся ОО {r['school_id']} в {int(r['year'])} году "
            f"({int(r['students_total'])}, {r['_ctx_file']}, строка {int(r['_ctx_row'])}): "
            f"участников {what} — {int(r['n'])}; проверьте код ОО и год в обоих файлах",
            f"at most the school's pupils ({int(r['students_total'])}): {int(r['n'])} "
            f"participants of {what}",
            column="student_id",
            value=int(r["n"]),
        )
        problems += out.problems
    return problems
