"""Synthetic demo municipality (and region) with planted, recorded truth.

`generate()` writes every raw table of docs/data_contract.md for one municipality plus `_truth.json`;
`generate_region()` writes many municipalities for the benchmark. Everything is vectorized
numpy over students; Python loops run at most per school (names) or per scale key.

The model (all recorded in `_truth.json`):

- per school: disadvantage `S` ~ N(0, 1) + 0.5·rural, a language factor `M` ~ N(0, 1) and
  quality `Q` ~ N(0, Q_SD), independent of `S`;
- context counts per school-year are binomial draws from logistic probabilities driven by `S`
  (`M` for non-native Russian), locality and size, with slow drift across years;
- school-year mean on the student latent scale
  `mu = INTERCEPT + Q + Σ_j beta_j·z_j + e`, e ~ N(0, YEAR_SD), where `z_j` is the share
  count/students_total
  (or the rural 0/1 flag) standardized over all school-years of the municipality (ddof = 0);
  `beta` is `CONTEXT_EFFECTS`, exactly 0 for every other candidate of M4;
- student latent `theta = mu + N(0, 1)`; a result's latent `eta = theta + unit effect +
  N(0, SUBJ_SD)`; a primary score is Binomial(max_score, Φ(a·eta + b)) with (a, b) calibrated
  per scale to realistic national mark distributions; ЕГЭ test scores are a skewed normal
  transform of eta;
- resilient schools: 2–3 non-НОШ schools in the least favourable quartile of the planted context
  part get Q = 3–3.5·Q_SD (a clear positive residual; not necessarily an ИОР in Q4);
- inflated ВПР units (random units, independent of quality): students just below «4» are pushed
  to the «4» cut, students 1–w points below «3» are set exactly to the «3» cut (heaping).
  The class-register (journal) mark stays honest.
- the management cycle (six years by default, DEFAULT_YEARS): ШНОР is decided every year on
  the latent means by the M3 rule; a share SUPPORT_SHARE of the schools that entered gain
  SUPPORT_EFFECT from the year after their first entry (``entry_year``,
  ``supported_with_effect`` and ``support`` in `_truth.json`). With the year noise and the
  sampling of pupils, regression to the mean is real: a school picked for a low year improves
  on average without help.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from scipy.special import betainc, expit, ndtr

from shnor_lib import __version__
from shnor_lib.io.reference import for_year, load_gia_min_scores, load_oge_scales, load_vpr_scales

TABLE_NAMES = (
    "schools",
    "context",
    "vpr",
    "gia",
    "school_stats",
    "teachers",
    "rosobrnadzor",
    "roadmap",
)
FORMATS = ("csv", "xlsx")

# ---------------------------------------------------------------------------------------------
# Planted model constants
# ---------------------------------------------------------------------------------------------

# Effect on the school mean (student-SD units) of one SD of the standardized characteristic.
CONTEXT_EFFECTS: dict[str, float] = {
    "low_income": -0.40,
    "parents_higher_ed": 0.25,
    "non_native_russian": -0.15,
    "rural": -0.10,
}
# The M4 candidates (defaults.yml social_index.candidates); all but the above have effect 0.
CANDIDATES = (
    "low_income",
    "single_parent",
    "large_family",
    "disabled",
    "non_native_russian",
    "at_risk_registered",
    "difficult_situation",
    "parents_higher_ed",
    "parents_unemployed",
    "rural",
    "distance_km",
    "is_small",
    "vacancies_share",
    "multi_subject_share",
    "no_subject_degree_share",
    "computers_per_student",
)
Q_SD = 0.25  # school quality, independent of context
YEAR_SD = 0.10  # school-year noise of the mean (regression to the mean is real: see SUPPORT_*)
UNIT_SD = 0.10  # school-year-grade-subject deviation
SUBJ_SD = 0.45  # student × subject deviation
# Honest journal mark: floor(W·band position of the ВПР score + (1 − W)·position of the expected
# score + BIAS + SD·N(0, 1)), clipped to 2..5; a journal «2» becomes «3» with probability 0.6.
JOURNAL_W, JOURNAL_BIAS, JOURNAL_SD = 0.6, 0.2, 0.25
SCHOOL_SD = 0.50  # between-school SD assumed when calibrating scales
SD_ETA = math.sqrt(SCHOOL_SD**2 + 1.0 + SUBJ_SD**2 + UNIT_SD**2)
INTERCEPT = -0.30  # location of the school means (student-weighted mean ≈ 0)
INFLATED_SHARE = 0.08
RES_Q_SD = (3.0, 3.5)  # resilient schools: planted Q, in units of Q_SD
# Planted support (the management cycle): a school becomes ШНОР by the M3 rule applied to the
# latent means (Q1 of the non-НОШ schools this year and in >= SUPPORT_LOW_YEARS of the
# SUPPORT_WINDOW years ending now); from the year after it first becomes ШНОР, a share
# SUPPORT_SHARE of such schools (drawn once per school) gains SUPPORT_EFFECT on the latent mean
# every later year. The others are supported with no effect.
SUPPORT_EFFECT = Q_SD
SUPPORT_SHARE = 0.5
SUPPORT_WINDOW, SUPPORT_LOW_YEARS = 3, 2
DEFAULT_YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
# Context shares: logit p = a + b·S + c·rural + (1.0·M for non-native) + N(0, sd) per school
# + (trend + N(0, 0.04))·t + N(0, 0.05) per school-year.  name: (a, b, c, sd, trend)
CONTEXT_SPEC: dict[str, tuple[float, float, float, float, float]] = {
    "low_income": (-2.0, 0.50, 0.30, 0.45, -0.03),
    "single_parent": (-1.6, 0.35, -0.10, 0.35, 0.0),
    "large_family": (-2.0, 0.20, 0.50, 0.35, 0.02),
    "disabled": (-2.9, 0.20, 0.10, 0.40, 0.03),
    "non_native_russian": (-3.4, 0.20, 0.0, 0.10, 0.02),
    "at_risk_registered": (-4.2, 0.45, 0.0, 0.40, 0.0),
    "difficult_situation": (-3.5, 0.45, 0.10, 0.40, 0.0),
    "parents_higher_ed": (-0.6, -0.35, -0.35, 0.40, 0.02),
    "parents_unemployed": (-2.6, 0.50, 0.35, 0.35, -0.02),
}
DEMO_RURAL_SHARE = 0.55

TYPE_SHARES = {
    "НОШ": 0.05,
    "ООШ": 0.175,
    "СОШ": 0.55,
    "СОШ с УИОП": 0.075,
    "лицей": 0.075,
    "гимназия": 0.075,
}
N_GRADES = {"НОШ": 4, "ООШ": 9}  # others 11
OGE_TYPES = ("ООШ", "СОШ", "СОШ с УИОП", "лицей", "гимназия")
EGE_TYPES = ("СОШ", "СОШ с УИОП", "лицей", "гимназия")
STRONG_TYPES = ("СОШ с УИОП", "лицей", "гимназия")

RUS, MAT = "Русский язык", "Математика"
MAT_PROF = "Математика (профильный уровень)"
VPR_GRADES = (4, 5, 6, 7, 8)
VPR_SUBJECTS = (RUS, MAT, "Окружающий мир", "История", "Биология")
VPR_BY_GRADE = {
    4: (RUS, MAT, "Окружающий мир"),
    5: (RUS, MAT, "История", "Биология"),
    6: (RUS, MAT, "История", "Биология"),
    7: (RUS, MAT, "История", "Биология"),
    8: (RUS, MAT, "История", "Биология"),
}
# Target national shares of mark «2» and of «4»–«5» used to calibrate each scale.
VPR_TARGETS = {
    RUS: (0.14, 0.42),
    MAT: (0.12, 0.45),
    "Окружающий мир": (0.04, 0.62),
    "История": (0.10, 0.45),
    "Биология": (0.10, 0.42),
}
OGE_ELECTIVES = {
    "Обществознание": 0.55,
    "География": 0.40,
    "Информатика": 0.35,
    "Биология": 0.25,
    "Английский язык": 0.12,
    "Химия": 0.10,
    "Физика": 0.10,
    "История": 0.05,
    "Литература": 0.03,
}
OGE_TARGETS = {
    RUS: (0.03, 0.62),
    MAT: (0.06, 0.48),
    "Обществознание": (0.07, 0.40),
    "География": (0.05, 0.50),
    "Информатика": (0.06, 0.50),
    "Биология": (0.05, 0.40),
    "Английский язык": (0.02, 0.75),
    "Химия": (0.03, 0.65),
    "Физика": (0.04, 0.50),
    "История": (0.05, 0.45),
    "Литература": (0.03, 0.60),
}
EGE_ELECTIVES = {
    "Обществознание": 0.45,
    "Информатика": 0.20,
    "Физика": 0.18,
    "Биология": 0.18,
    "История": 0.14,
    "Химия": 0.13,
    "Английский язык": 0.10,
    "Литература": 0.06,
    "География": 0.03,
}
# ЕГЭ test score = mean + sd·skew(x), x ~ N(0, 1) in the population of takers.
EGE_PARAMS = {
    RUS: (68, 14),
    MAT_PROF: (55, 18),
    "Обществознание": (57, 16),
    "Информатика": (60, 18),
    "Физика": (55, 16),
    "Биология": (52, 17),
    "История": (56, 17),
    "Химия": (55, 20),
    "Английский язык": (68, 18),
    "Литература": (63, 15),
    "География": (60, 14),
}
EGE_SUBJECTS = (RUS, MAT_PROF, *EGE_ELECTIVES)
EGE_SKEW = 0.15
PROFILE_SHIFT = 0.55  # latent selection of profile-maths takers, removed before scoring

SETTLEMENTS = (
    "ст. Выселки",
    "ст. Новоберезанская",
    "х. Садовый",
    "пос. Заречный",
    "с. Красное",
    "ст. Отрадная",
    "х. Степной",
    "пос. Октябрьский",
    "ст. Кирпильская",
    "х. Труд",
    "пос. Первомайский",
    "ст. Медвёдовская",
    "х. Восточный",
    "с. Успенское",
    "ст. Роговская",
    "пос. Южный",
    "х. Красный Октябрь",
    "ст. Старолеушковская",
    "с. Белая Глина",
    "пос. Мирный",
    "х. Лебеди",
    "ст. Незамаевская",
    "пос. Зелёный",
    "ст. Павловская",
    "х. Братский",
    "с. Новопокровское",
    "ст. Ладожская",
    "пос. Верхний",
    "х. Бойкопонура",
    "ст. Бриньковская",
    "пос. Ильич",
    "х. Могукоровский",
    "ст. Камышеватская",
    "с. Николаевка",
    "ст. Должанская",
    "х. Новый",
    "пос. Светлый",
    "ст. Ясенская",
    "х. Лиман",
    "с. Ивановка",
)
NAME_PATTERNS = {
    "НОШ": "МБОУ НОШ № {k}",
    "ООШ": "МБОУ ООШ № {k}",
    "СОШ": "МБОУ СОШ № {k}",
    "СОШ с УИОП": "МАОУ СОШ с УИОП № {k}",
    "лицей": "МАОУ лицей № {k}",
    "гимназия": "МАОУ гимназия № {k}",
}

ROADMAP_EVENTS = (
    ("Краевой семинар по адресной поддержке ШНОР", "край", "семинар", "ГБОУ ИРО"),
    ("Семинар для управленческих команд ШНОР", "муниципалитет", "семинар", "МКУ ИМЦ"),
    ("Анализ результатов ВПР и ГИА в ШНОР", "муниципалитет", "аналитическая справка", "УО"),
    ("Диагностика профессиональных дефицитов учителей ШНОР", "край", "диагностика", "ГБОУ ИРО"),
    ("Разработка ИОМ педагогов ШНОР", "ОО", "индивидуальная работа", "Руководители ШНОР"),
    ("Заседание муниципального наставнического центра", "муниципалитет", "совещание", "МКУ ИМЦ"),
    (
        "Мастер-класс школ-лидеров для педагогов ШНОР",
        "муниципалитет",
        "мастер-класс",
        "Школы-лидеры",
    ),
    ("Курсы повышения квалификации учителей математики ШНОР", "край", "курсы ПК", "ГБОУ ИРО"),
    ("Курсы повышения квалификации учителей русского языка ШНОР", "край", "курсы ПК", "ГБОУ ИРО"),
    (
        "Мониторинг реализации программ перехода ШНОР в эффективный режим",
        "муниципалитет",
        "мониторинг",
        "УО",
    ),
    ("Совещание руководителей ОО по итогам оценочных процедур", "муниципалитет", "совещание", "УО"),
    ("Вебинар по формированию функциональной грамотности", "муниципалитет", "вебинар", "МКУ ИМЦ"),
    ("Общественное наблюдение при проведении ВПР", "ОО", "наблюдение", "Руководители ОО"),
    (
        "Корректировка программ антирисковых мер ШНОР",
        "ОО",
        "разработка документов",
        "Руководители ШНОР",
    ),
    (
        "Стажировка управленческих команд ШНОР в школах-лидерах",
        "муниципалитет",
        "стажировка",
        "МКУ ИМЦ",
    ),
    ("Круглый стол по объективности оценивания", "муниципалитет", "круглый стол", "УО"),
    ("Родительское собрание по подготовке к ГИА", "ОО", "собрание", "Руководители ОО"),
    ("Публикация аналитической справки на сайте УО", "муниципалитет", "публикация", "УО"),
    ("Тьюторское сопровождение учителей ШНОР", "муниципалитет", "сопровождение", "МКУ ИМЦ"),
    (
        "Методический день муниципальной тьюторской команды",
        "муниципалитет",
        "методический день",
        "МКУ ИМЦ",
    ),
    (
        "Заключение соглашений о сетевом взаимодействии со школами-лидерами",
        "ОО",
        "разработка документов",
        "Руководители ОО",
    ),
    ("Краевой вебинар для муниципальных координаторов", "край", "вебинар", "ГБОУ ИРО"),
    ("Самодиагностика ШНОР по факторам риска", "ОО", "самодиагностика", "Руководители ШНОР"),
    ("Отчёт о реализации дорожной карты", "муниципалитет", "отчёт", "УО"),
    ("Открытые уроки педагогов школ-лидеров", "ОО", "открытые уроки", "Школы-лидеры"),
)
TEACHER_SUBJECTS = {
    "": 0.30,
    RUS: 0.12,
    "Литература": 0.04,
    MAT: 0.12,
    "Информатика": 0.03,
    "Физика": 0.04,
    "Химия": 0.03,
    "Биология": 0.04,
    "География": 0.03,
    "История": 0.05,
    "Обществознание": 0.02,
    "Английский язык": 0.08,
    "Окружающий мир": 0.0,
    "Немецкий язык": 0.01,
}
TEACHER_SUBJECTS.pop("Окружающий мир")

_STREAMS = (
    "schools",
    "context",
    "latent",
    "vpr",
    "inflation",
    "gia",
    "school_stats",
    "teachers",
    "rosobrnadzor",
    "roadmap",
    "support",  # appended last: the earlier streams (and their tables) do not change
)
_B32 = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)
_U64 = np.uint64


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer on a uint64 array (wrapping arithmetic)."""
    z = np.asarray(x, dtype=np.uint64) + _U64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _hash_ids(prefix: str, *parts: np.ndarray | int) -> np.ndarray:
    """Pseudonymous ids `prefix` + 10 Crockford base-32 characters from a hash of the parts."""
    arrays = [np.atleast_1d(np.asarray(p, dtype=np.int64)).astype(np.uint64) for p in parts]
    n = max(a.size for a in arrays)
    h = np.full(n, 0x5348_4E4F_5231, dtype=np.uint64)  # "SHNOR1"
    for a in arrays:
        h = _mix(h ^ np.broadcast_to(a, (n,)))
    shifts = np.arange(10, dtype=np.uint64) * _U64(5)
    digits = ((h[:, None] >> shifts[None, :]) & _U64(31)).astype(np.intp)
    pre = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    buf = np.concatenate([np.broadcast_to(pre, (n, pre.size)), _B32[digits]], axis=1)
    width = pre.size + 10
    return np.ascontiguousarray(buf).view(f"S{width}").ravel().astype(f"U{width}")


def _allocate(n: int, shares: dict[str, float], ensure_sosh: bool = True) -> dict[str, int]:
    """Largest-remainder allocation of n items to the keys of shares."""
    keys = list(shares)
    raw = np.array([shares[k] for k in keys]) * n
    base = np.floor(raw).astype(int)
    rest = n - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    out = dict(zip(keys, base.tolist(), strict=True))
    if ensure_sosh and n >= 1 and out.get("СОШ", 0) == 0:
        donor = max(out, key=lambda k: out[k])
        out[donor] -= 1
        out["СОШ"] = 1
    return out


def _rank_within(group: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Rank (0-based) of each element within its group, following the given sort order."""
    g_sorted = group[order]
    n = g_sorted.size
    start = np.ones(n, dtype=bool)
    start[1:] = g_sorted[1:] != g_sorted[:-1]
    idx = np.arange(n)
    first = np.maximum.accumulate(np.where(start, idx, 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = idx - first
    return rank


def _marks(score: np.ndarray, c3, c4, c5) -> np.ndarray:
    return (2 + (score >= c3).astype(np.int64) + (score >= c4) + (score >= c5)).astype(np.int64)


def _band_position(x, c3, c4, c5, mx) -> np.ndarray:
    """Continuous mark position: mark + fraction of the way through its score band."""
    lo = np.select([x < c3, x < c4, x < c5], [0, c3, c4], c5).astype(float)
    hi = np.select([x < c3, x < c4, x < c5], [c3, c4, c5], mx + 1).astype(float)
    return _marks(x, c3, c4, c5) + (x - lo) / (hi - lo)


def _lift_z(honest_45: float, inflated_45: float, n: float) -> float:
    """Lift of the 4–5 share in units of its binomial standard error under honest marking."""
    p = min(max(honest_45 / n, 0.5 / n), 1 - 0.5 / n)
    return (inflated_45 - honest_45) / n / math.sqrt(p * (1 - p) / n)


def _fmt(values: np.ndarray, digits: int) -> np.ndarray:
    """Fixed decimal formatting; NaN → ''."""
    out = np.array([f"{v:.{digits}f}" if np.isfinite(v) else "" for v in values], dtype=object)
    return out


def _r(x: float, nd: int = 4) -> float:
    return float(round(float(x), nd))


def _gumbel_topk(rng: np.random.Generator, n: int, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct categories per row, sampled without replacement proportionally to weights."""
    keys = np.log(weights)[None, :] - np.log(-np.log(rng.random((n, weights.size))))
    return np.argsort(-keys, axis=1, kind="stable")[:, :k]


# ---------------------------------------------------------------------------------------------
# Calibration of scales
# ---------------------------------------------------------------------------------------------

_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(40)
_GH_W = _GH_W / _GH_W.sum()


def _p_at_least(c: int, n: int, p: np.ndarray) -> np.ndarray:
    if c <= 0:
        return np.ones_like(p)
    if c > n:
        return np.zeros_like(p)
    return betainc(c, n - c + 1, p)


@lru_cache(maxsize=512)
def _calibrate(mx: int, c3: int, c4: int, target2: float, target45: float) -> tuple[float, float]:
    """(a, b) with P(mark 2) = target2 and P(mark ≥ 4) ≈ target45 for eta ~ N(0, SD_ETA)."""
    eta = _GH_X * SD_ETA

    def shares(a: float, b: float) -> tuple[float, float]:
        p = ndtr(a * eta + b)
        return (float(1 - _GH_W @ _p_at_least(c3, mx, p)), float(_GH_W @ _p_at_least(c4, mx, p)))

    def solve_b(a: float) -> float:
        lo, hi = -6.0, 6.0
        for _ in range(40):
            mid = (lo + hi) / 2
            if shares(a, mid)[0] > target2:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    lo_a, hi_a = 0.05, 2.5
    for _ in range(30):
        mid = (lo_a + hi_a) / 2
        if shares(mid, solve_b(mid))[1] < target45:
            lo_a = mid
        else:
            hi_a = mid
    a = (lo_a + hi_a) / 2
    return a, solve_b(a)


def _ege_skew(x: np.ndarray) -> np.ndarray:
    return x - EGE_SKEW * np.minimum(x, 0.0) ** 2


def _scale_arrays(
    table: pd.DataFrame,
    years: tuple[int, ...],
    subjects: tuple[str, ...],
    grades: tuple[int, ...],
    targets: dict[str, tuple[float, float]],
    what: str,
):
    """Arrays [year, grade, subject] of (max, c3, c4, c5) and of (a, b); -1 where unused."""
    Y = len(years)
    G = max(grades) + 1
    arr = np.full((Y, G, len(subjects), 4), -1, dtype=np.int64)
    ab = np.zeros((Y, G, len(subjects), 2))
    for yi, year in enumerate(years):
        cur = for_year(table, year)
        look = {
            ((int(r.grade) if "grade" in cur.columns else 0), r.subject): (
                int(r.max_score),
                int(r.cut3),
                int(r.cut4),
                int(r.cut5),
            )
            for r in cur.itertuples(index=False)
        }
        for g in grades:
            for si, s in enumerate(subjects):
                key = (g, s)
                if key not in look:
                    if what == "vpr" and s not in VPR_BY_GRADE.get(g, ()):
                        continue
                    raise ValueError(f"{what} scale missing for year {year}, grade {g}, {s!r}")
                arr[yi, g, si] = look[key]
                ab[yi, g, si] = _calibrate(*look[key][:3], *targets[s])
    return arr, ab


def _prepare_scales(years: tuple[int, ...]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    vpr = _scale_arrays(load_vpr_scales(), years, VPR_SUBJECTS, VPR_GRADES, VPR_TARGETS, "vpr")
    oge = _scale_arrays(
        load_oge_scales(), years, (RUS, MAT, *OGE_ELECTIVES), (0,), OGE_TARGETS, "oge"
    )
    mins = load_gia_min_scores()
    ege_min = np.zeros((len(years), len(EGE_SUBJECTS)))
    for yi, year in enumerate(years):
        cur = for_year(mins[mins["exam"] == "ЕГЭ"], year)
        look = dict(zip(cur["subject"], cur["min_score"], strict=True))
        for si, subj in enumerate(EGE_SUBJECTS):
            if subj not in look:
                raise ValueError(f"ЕГЭ minimum score missing for year {year}, {subj!r}")
            ege_min[yi, si] = look[subj]
    return {"vpr": vpr, "oge": oge, "ege_min": ege_min}


# ---------------------------------------------------------------------------------------------
# One municipality
# ---------------------------------------------------------------------------------------------


class _Muni:
    """All generated tables and truth for one municipality (kept as column dicts)."""

    def __init__(
        self,
        *,
        seed_seq: np.random.SeedSequence,
        seed: int,
        mid: str,
        code: int,
        n_schools: int,
        years: tuple[int, ...],
        rural_share: float,
        inflated_units: int | None,
        scales: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
        shift: float = 0.0,
        support_effect: float = SUPPORT_EFFECT,
        support_share: float = SUPPORT_SHARE,
    ) -> None:
        if n_schools < 1:
            raise ValueError("n_schools must be >= 1")
        if not years:
            raise ValueError("years must not be empty")
        # one independent stream per component: changing e.g. the number of inflated units
        # leaves every honest table byte-identical
        self.rngs = {
            name: np.random.default_rng(child)
            for name, child in zip(_STREAMS, seed_seq.spawn(len(_STREAMS)), strict=True)
        }
        self.seed = int(seed)
        self.salt = int(seed_seq.generate_state(1, dtype=np.uint64)[0] & np.uint64(2**62 - 1))
        self.mid = mid
        self.code = code
        self.n = n_schools
        self.years = tuple(sorted(int(y) for y in years))
        self.rural_share = rural_share
        self.inflated_units = inflated_units
        self.shift = float(shift)
        self.support_effect = float(support_effect)
        self.support_share = float(support_share)
        self.scales = scales if scales is not None else _prepare_scales(self.years)
        self.tables: dict[str, dict[str, object]] = {}
        self.truth: dict[str, object] = {}
        self._schools()
        self._context()
        self._latent()
        self._vpr()
        self._gia()
        self._school_stats()
        self._teachers()
        self._rosobrnadzor()
        self._roadmap()
        self._truth()

    # -- schools ------------------------------------------------------------------------------
    def _schools(self) -> None:
        rng, n = self.rngs["schools"], self.n
        counts = _allocate(n, TYPE_SHARES)
        types = np.array([t for t, c in counts.items() for _ in range(c)], dtype=object)
        types = types[rng.permutation(n)]
        rural = np.isin(types, ("НОШ", "ООШ"))
        n_rural = int(round(self.rural_share * n))
        need = n_rural - int(rural.sum())
        sosh = np.flatnonzero(types == "СОШ")
        if need > 0:
            rural[rng.permutation(sosh)[: min(need, sosh.size)]] = True
        elif need < 0:  # too few rural slots: some ООШ become urban
            oosh = np.flatnonzero(types == "ООШ")
            rural[rng.permutation(oosh)[: min(-need, oosh.size)]] = False
        p_small = np.select([types == "НОШ", types == "ООШ", types == "СОШ"], [0.8, 0.7, 0.25], 0)
        small = rural & (rng.random(n) < p_small)
        # base size: log-uniform within a range by type / locality / size
        lo = np.select(
            [
                small & (types == "СОШ"),
                small,
                types == "НОШ",
                types == "ООШ",
                (types == "СОШ") & rural,
                types == "СОШ",
                types == "СОШ с УИОП",
            ],
            [70, 25, 60, 100, 180, 450, 700],
            600,
        ).astype(float)
        hi = np.select(
            [
                small & (types == "СОШ"),
                small,
                types == "НОШ",
                types == "ООШ",
                (types == "СОШ") & rural,
                types == "СОШ",
                types == "СОШ с УИОП",
            ],
            [160, 110, 200, 250, 600, 1300, 1400],
            1200,
        ).astype(float)
        hi = np.where((types == "НОШ") & ~rural, 350.0, hi)
        lo = np.where((types == "НОШ") & ~rural, 150.0, lo)
        size = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        dist = np.where(rural, rng.uniform(5, 80, n), rng.uniform(0, 5, n))
        numbers = rng.permutation(n) + 1
        places = rng.permutation(len(SETTLEMENTS))
        names, r_i = [], 0
        for i in range(n):
            name = NAME_PATTERNS[types[i]].format(k=int(numbers[i]))
            if rural[i]:
                name += " " + SETTLEMENTS[int(places[r_i % len(SETTLEMENTS)])]
                r_i += 1
            names.append(name)
        width = 2 if n <= 99 else 3
        ids = np.array([f"23{self.code:02d}{i + 1:0{width}d}" for i in range(n)], dtype=object)
        n_grades = np.array([N_GRADES.get(t, 11) for t in types])
        self.ids, self.types, self.rural, self.small = ids, types, rural, small
        self.base_size, self.dist, self.n_grades = size, dist, n_grades
        self.tables["schools"] = {
            "school_id": ids,
            "school_name": np.array(names, dtype=object),
            "municipality": np.full(n, self.mid, dtype=object),
            "locality": np.where(rural, "село", "город").astype(object),
            "distance_km": _fmt(np.round(dist, 1), 1),
            "is_small": small.astype(np.int64),
            "school_type": types,
        }

    # -- context ------------------------------------------------------------------------------
    def _context(self) -> None:
        rng, n, Y = self.rngs["context"], self.n, len(self.years)
        t = np.arange(Y, dtype=float)[None, :] - (Y - 1) / 2
        rural = self.rural.astype(float)[:, None]
        small = self.small.astype(float)[:, None]
        S = rng.standard_normal(n) + 0.5 * self.rural
        M = rng.standard_normal(n)
        self.S, self.M = S, M
        growth = rng.normal(-0.005, 0.02, n)[:, None]
        total = np.rint(self.base_size[:, None] * np.exp(growth * t + rng.normal(0, 0.02, (n, Y))))
        total = np.maximum(total, 8).astype(np.int64)
        Sx = S[:, None]
        # logit = a + b·S + c·rural + extra + school effect + slope·t + year noise
        spec = CONTEXT_SPEC
        ctx: dict[str, object] = {
            "school_id": np.repeat(self.ids, Y),
            "year": np.tile(np.array(self.years), n),
            "students_total": total.ravel(),
        }
        counts: dict[str, np.ndarray] = {}
        for name, (a, b, c, sd, trend) in spec.items():
            extra = 1.0 * M[:, None] if name == "non_native_russian" else 0.0
            logit = (
                a
                + b * Sx
                + c * rural
                + extra
                + rng.normal(0, sd, n)[:, None]
                + (trend + rng.normal(0, 0.04, n)[:, None]) * t
                + rng.normal(0, 0.05, (n, Y))
            )
            counts[name] = rng.binomial(total, expit(logit))
            ctx[name] = counts[name].ravel()
        ratio = np.where(
            self.rural,
            np.where(self.small, rng.uniform(5, 8, n), rng.uniform(8, 11, n)),
            rng.uniform(14, 18, n),
        )
        teachers = np.clip(np.rint(total / ratio[:, None]), 5, 60).astype(np.int64)
        staff_spec = {
            "vacancies": (-3.3, 0.20, 0.8, 0.0),
            "teachers_multi_subject": (-2.4, 0.10, 1.6, 0.8),
            "teachers_no_subject_degree": (-2.8, 0.30, 0.8, 0.0),
        }
        ctx["teachers_total"] = teachers.ravel()
        for name, (a, b, c, d) in staff_spec.items():
            logit = (
                a
                + b * Sx
                + c * rural
                + d * small
                + rng.normal(0, 0.4, n)[:, None]
                + rng.normal(0, 0.1, (n, Y))
            )
            counts[name] = rng.binomial(teachers, expit(logit))
            ctx[name] = counts[name].ravel()
        rate = np.exp(rng.normal(np.log(0.12) + 0.3 * self.small, 0.3))
        computers = np.maximum(np.rint(total * rate[:, None] * (1 + 0.04 * (t - t.min()))), 3)
        ctx["computers"] = computers.astype(np.int64).ravel()
        speed = np.exp(
            rng.normal(
                np.where(self.rural, np.log(25), np.log(100)), np.where(self.rural, 0.6, 0.5)
            )
        )
        internet = speed[:, None] * 1.12 ** (t - t.min()) * np.exp(rng.normal(0, 0.05, (n, Y)))
        ctx["internet_mbps"] = _fmt(np.round(internet, 1).ravel(), 1)
        self.total, self.teachers_total, self.counts = total, teachers, counts
        self.tables["context"] = ctx

    # -- latent achievement -------------------------------------------------------------------
    def _latent(self) -> None:
        rng, n, Y = self.rngs["latent"], self.n, len(self.years)
        feats = {
            "low_income": self.counts["low_income"] / self.total,
            "parents_higher_ed": self.counts["parents_higher_ed"] / self.total,
            "non_native_russian": self.counts["non_native_russian"] / self.total,
            "rural": np.repeat(self.rural.astype(float)[:, None], Y, axis=1),
        }
        std: dict[str, dict[str, float]] = {}
        ctx_part = np.zeros((n, Y))
        for name, beta in CONTEXT_EFFECTS.items():
            x = feats[name]
            m, s = float(x.mean()), float(x.std())
            z = (x - m) / s if s > 0 else np.zeros_like(x)
            std[name] = {"mean": _r(m, 6), "sd": _r(s, 6)}
            ctx_part += beta * z
        Q = rng.normal(0, Q_SD, n)
        noise = rng.normal(0, YEAR_SD, (n, Y))
        # resilient: most unfavourable context quartile, get a high planted Q
        ctx_mean = ctx_part.mean(axis=1)
        eligible = np.flatnonzero(
            np.isin(self.types, OGE_TYPES)
            & (ctx_mean <= np.quantile(ctx_mean, 0.25))
            & (self.base_size >= 60)
        )
        big = eligible[self.base_size[eligible] >= 150]
        if big.size >= 3:
            eligible = big
        k_res = min(0 if n < 8 else (2 if n < 60 else 3), eligible.size)
        res = (
            np.sort(rng.choice(eligible, size=k_res, replace=False))
            if k_res
            else np.array([], dtype=int)
        )
        Q[res] = rng.uniform(RES_Q_SD[0], RES_Q_SD[1], res.size) * Q_SD
        self.Q, self.ctx_part, self.resilient = Q, ctx_part, res
        self.mu = INTERCEPT + Q[:, None] + ctx_part + noise + self.shift
        self.standardization = std
        self._support()

    def _support(self) -> None:
        """ШНОР year by year on the latent means and the planted support effect (see
        SUPPORT_EFFECT): applied in year order, because this year's effect moves next year's
        quartiles — supported schools that improve leave the bottom quartile and others enter."""
        rng, n, Y = self.rngs["support"], self.n, len(self.years)
        can = np.isin(self.types, OGE_TYPES)
        responds = rng.random(n) < self.support_share
        first = np.full(n, -1)
        q1 = np.zeros((n, Y), dtype=bool)
        low = np.zeros((n, Y), dtype=bool)
        self.support_part = np.zeros((n, Y))
        for j in range(Y):
            helped = (first >= 0) & (first < j) & responds
            self.mu[helped, j] += self.support_effect
            self.support_part[helped, j] = self.support_effect
            if can.any():
                q1[can, j] = self.mu[can, j] <= np.quantile(self.mu[can, j], 0.25)
            start = max(0, j - SUPPORT_WINDOW + 1)
            need = min(SUPPORT_LOW_YEARS, j + 1 - start)
            low[:, j] = q1[:, j] & (q1[:, start : j + 1].sum(axis=1) >= need)
            first = np.where((first < 0) & low[:, j], j, first)
        self.latent_low, self.first_entry, self.responds = low, first, responds

    # -- ВПР ----------------------------------------------------------------------------------
    def _vpr(self) -> None:
        rng, Y = self.rngs["vpr"], len(self.years)
        sc, ab = self.scales["vpr"]
        yy, ss, gg = (
            a.ravel()
            for a in np.meshgrid(
                np.arange(Y), np.arange(self.n), np.array(VPR_GRADES), indexing="ij"
            )
        )
        allowed = (self.types[ss] != "НОШ") | (gg == 4)
        cohort = self.total[ss, yy] / self.n_grades[ss] * rng.uniform(0.85, 1.15, ss.size)
        npart = rng.binomial(np.maximum(np.rint(cohort), 1).astype(np.int64), 0.94)
        npart = np.where(allowed, npart, 0)
        st_combo = np.repeat(np.arange(ss.size), npart)
        n_st = st_combo.size
        ordinal = np.arange(n_st) - np.repeat(np.cumsum(npart) - npart, npart)
        theta = self.mu[ss[st_combo], yy[st_combo]] + rng.standard_normal(n_st)
        st_ids = _hash_ids(
            "S",
            self.salt,
            1,
            np.array(self.years)[yy[st_combo]],
            ss[st_combo],
            gg[st_combo],
            ordinal,
        )
        # rows: student × subject of the grade
        subj_mat = np.full((max(VPR_GRADES) + 1, 4), -1, dtype=np.int64)
        for g, subs in VPR_BY_GRADE.items():
            subj_mat[g, : len(subs)] = [VPR_SUBJECTS.index(s) for s in subs]
        nsub = (subj_mat >= 0).sum(axis=1)
        st_grade = gg[st_combo]
        r_st = np.repeat(np.arange(n_st), nsub[st_grade])
        r_k = np.arange(r_st.size) - np.repeat(
            np.cumsum(nsub[st_grade]) - nsub[st_grade], nsub[st_grade]
        )
        present = rng.random(r_st.size) < 0.97
        r_st, r_k = r_st[present], r_k[present]
        r_combo = st_combo[r_st]
        r_y, r_s, r_g = yy[r_combo], ss[r_combo], gg[r_combo]
        r_subj = subj_mat[r_g, r_k]
        unit_key = r_combo * 8 + r_subj
        ukeys, unit = np.unique(unit_key, return_inverse=True)
        n_units = ukeys.size
        eta = (
            theta[r_st] + rng.normal(0, UNIT_SD, n_units)[unit] + rng.normal(0, SUBJ_SD, r_st.size)
        )
        mx, c3, c4, c5 = (sc[r_y, r_g, r_subj, i] for i in range(4))
        p = ndtr(ab[r_y, r_g, r_subj, 0] * eta + ab[r_y, r_g, r_subj, 1])
        score_h = rng.binomial(mx, p)
        mark_h = _marks(score_h, c3, c4, c5)
        # honest journal mark: from the expected score (year-long performance), lenient on average
        pos = JOURNAL_W * _band_position(score_h, c3, c4, c5, mx) + (
            1 - JOURNAL_W
        ) * _band_position(mx * p, c3, c4, c5, mx)
        journal = np.floor(pos + JOURNAL_BIAS + JOURNAL_SD * rng.standard_normal(r_st.size))
        journal = np.clip(journal, 2, 5)
        journal = np.where((journal == 2) & (rng.random(r_st.size) < 0.6), 3, journal)
        journal = journal.astype(np.int64)

        # --- inflation -----------------------------------------------------------------------
        rng = self.rngs["inflation"]
        u_n = np.bincount(unit, minlength=n_units)
        below4 = score_h < c4
        u_below4 = np.bincount(unit, weights=below4, minlength=n_units)
        eligible = np.flatnonzero((u_n >= 5) & (u_below4 >= 0.2 * u_n))
        k = (
            int(round(INFLATED_SHARE * n_units))
            if self.inflated_units is None
            else int(self.inflated_units)
        )
        k = max(0, min(k, eligible.size))
        chosen = (
            np.sort(rng.choice(eligible, size=k, replace=False))
            if k
            else np.array([], dtype=np.int64)
        )
        n_small, n_gross = int(round(0.35 * k)), int(round(0.30 * k))
        if k >= 3:
            n_small, n_gross = max(n_small, 1), max(n_gross, 1)
        tiers = np.array(
            ["small"] * n_small + ["gross"] * n_gross + ["moderate"] * (k - n_small - n_gross),
            dtype=object,
        )[rng.permutation(k)]
        lo = np.select([tiers == "small", tiers == "gross"], [4.0, 25.0], 10.0)
        hi = np.select([tiers == "small", tiers == "gross"], [10.0, 45.0], 25.0)
        target = rng.uniform(lo, hi) if k else np.zeros(0)
        infl = np.zeros(n_units, dtype=bool)
        infl[chosen] = True
        k_push = np.zeros(n_units, dtype=np.int64)
        k_push[chosen] = np.minimum(np.ceil(target / 100 * u_n[chosen]), u_below4[chosen])
        # heaping window (points below the «3» cut) by tier
        first_row = np.zeros(n_units, dtype=np.int64)
        first_row[unit[::-1]] = np.arange(unit.size)[::-1]
        band = (c4 - c3)[first_row]
        w3 = np.zeros(n_units, dtype=np.int64)
        w3[chosen] = np.select(
            [tiers == "small", tiers == "moderate"],
            [np.ones(k, dtype=np.int64), np.maximum(1, np.rint(0.15 * band[chosen]))],
            np.maximum(2, np.rint(0.3 * band[chosen])),
        ).astype(np.int64)
        order = np.lexsort((rng.random(unit.size), -score_h, ~below4, unit))
        rank = _rank_within(unit, order)
        push4 = infl[unit] & below4 & (rank < k_push[unit])
        bump = rng.integers(0, 3, unit.size)
        score = score_h.copy()
        score[push4] = np.minimum(c4 + np.minimum(bump, np.maximum(c5 - c4 - 1, 0)), mx)[push4]
        heap3 = infl[unit] & ~push4 & (score_h < c3) & (score_h >= c3 - w3[unit])
        score[heap3] = c3[heap3]
        mark = _marks(score, c3, c4, c5)

        u_h45 = np.bincount(unit, weights=mark_h >= 4, minlength=n_units)
        u_i45 = np.bincount(unit, weights=mark >= 4, minlength=n_units)
        u_push = np.bincount(unit, weights=push4, minlength=n_units)
        u_heap = np.bincount(unit, weights=heap3, minlength=n_units)
        fr = first_row[chosen]
        units_truth = []
        for j, u in enumerate(chosen):
            f = fr[j]
            units_truth.append(
                {
                    "school_id": str(self.ids[r_s[f]]),
                    "year": int(self.years[r_y[f]]),
                    "grade": int(r_g[f]),
                    "subject": VPR_SUBJECTS[r_subj[f]],
                    "n": int(u_n[u]),
                    "share_4_5_honest": _r(100 * u_h45[u] / u_n[u], 2),
                    "share_4_5_inflated": _r(100 * u_i45[u] / u_n[u], 2),
                    "lift_pp": _r(100 * (u_i45[u] - u_h45[u]) / u_n[u], 2),
                    "target_lift_pp": _r(target[j], 2),
                    "severity": str(tiers[j]),
                    "heaping_window": int(w3[u]),
                    "n_pushed_to_4": int(u_push[u]),
                    "n_heaped_at_3": int(u_heap[u]),
                    "lift_z": _r(_lift_z(u_h45[u], u_i45[u], u_n[u]), 2),
                }
            )
        self.inflated = units_truth
        self.n_vpr_units = int(n_units)
        self._vpr_unit_info = (first_row, u_n, infl, r_s, r_y, r_g, r_subj)
        self.tables["vpr"] = {
            "year": np.array(self.years)[r_y],
            "school_id": self.ids[r_s],
            "student_id": st_ids[r_st],
            "grade": r_g,
            "subject": np.array(VPR_SUBJECTS, dtype=object)[r_subj],
            "primary_score": score,
            "max_score": mx,
            "mark": mark,
            "journal_mark": journal,
        }

    # -- ГИА ----------------------------------------------------------------------------------
    def _gia(self) -> None:
        rng, Y, years = self.rngs["gia"], len(self.years), np.array(self.years)
        oge_subjects = (RUS, MAT, *OGE_ELECTIVES)
        sc, ab = self.scales["oge"]
        sc, ab = sc[:, 0], ab[:, 0]
        yy, ss = (a.ravel() for a in np.meshgrid(np.arange(Y), np.arange(self.n), indexing="ij"))
        # grade-9 cohort (ОГЭ); no ОГЭ in 2020, only compulsory subjects in 2021
        ok9 = np.isin(self.types[ss], OGE_TYPES) & (years[yy] != 2020)
        coh9 = np.maximum(
            np.rint(self.total[ss, yy] / self.n_grades[ss] * rng.uniform(0.85, 1.15, ss.size)), 1
        ).astype(np.int64)
        n9 = np.where(ok9, rng.binomial(coh9, 0.98), 0)
        self.g9_cohort = coh9.reshape(Y, self.n).T
        st = np.repeat(np.arange(ss.size), n9)
        ordinal = np.arange(st.size) - np.repeat(np.cumsum(n9) - n9, n9)
        theta = self.mu[ss[st], yy[st]] + rng.standard_normal(st.size)
        ids9 = _hash_ids("S", self.salt, 2, years[yy[st]], ss[st], 9, ordinal)
        w = np.array(list(OGE_ELECTIVES.values()))
        el = _gumbel_topk(rng, st.size, w, 2) + 2
        with_el = years[yy[st]] != 2021
        r_st = np.concatenate(
            [
                np.arange(st.size),
                np.arange(st.size),
                np.flatnonzero(with_el),
                np.flatnonzero(with_el),
            ]
        )
        r_subj = np.concatenate(
            [
                np.zeros(st.size, np.int64),
                np.ones(st.size, np.int64),
                el[with_el, 0],
                el[with_el, 1],
            ]
        )
        o = np.lexsort((r_subj, r_st))
        r_st, r_subj = r_st[o], r_subj[o]
        r_y = yy[st[r_st]]
        eta = theta[r_st] + rng.normal(0, SUBJ_SD, r_st.size)
        mx, c3, c4, c5 = (sc[r_y, r_subj, i] for i in range(4))
        p = ndtr(ab[r_y, r_subj, 0] * eta + ab[r_y, r_subj, 1])
        oge_score = rng.binomial(mx, p)
        oge_mark = _marks(oge_score, c3, c4, c5)
        oge_school, oge_year = ss[st[r_st]], r_y
        oge = {
            "year": years[r_y],
            "school_id": self.ids[ss[st[r_st]]],
            "student_id": ids9[r_st],
            "exam": np.full(r_st.size, "ОГЭ", dtype=object),
            "subject": np.array(oge_subjects, dtype=object)[r_subj],
            "score": oge_score,
            "mark": oge_mark,
        }
        # per student: failed a compulsory subject, all marks >= 4
        fail_c = np.bincount(r_st, weights=(r_subj < 2) & (oge_mark == 2), minlength=st.size) > 0
        all45 = np.bincount(r_st, weights=oge_mark < 4, minlength=st.size) == 0
        self.g9 = {
            "participants": np.bincount(st, minlength=ss.size),
            "fail": np.bincount(st, weights=fail_c, minlength=ss.size).astype(np.int64),
            "all45": np.bincount(st, weights=all45, minlength=ss.size).astype(np.int64),
            "has_oge": ok9,
        }

        # grade-11 cohort (ЕГЭ)
        ok11 = np.isin(self.types[ss], EGE_TYPES)
        keep = np.where(
            np.isin(self.types[ss], STRONG_TYPES),
            rng.uniform(0.65, 0.9, ss.size),
            np.where(
                self.rural[ss], rng.uniform(0.3, 0.55, ss.size), rng.uniform(0.45, 0.7, ss.size)
            ),
        )
        coh11 = np.maximum(np.rint(self.total[ss, yy] / self.n_grades[ss] * keep), 1)
        coh11 = coh11.astype(np.int64)
        take = np.where(years[yy] == 2020, 0.7, 0.98)
        n11 = np.where(ok11, rng.binomial(coh11, take), 0)
        st = np.repeat(np.arange(ss.size), n11)
        ordinal = np.arange(st.size) - np.repeat(np.cumsum(n11) - n11, n11)
        theta = self.mu[ss[st], yy[st]] + 0.2 + rng.standard_normal(st.size)
        ids11 = _hash_ids("S", self.salt, 3, years[yy[st]], ss[st], 11, ordinal)
        ege_subjects = EGE_SUBJECTS
        strong = np.isin(self.types[ss[st]], STRONG_TYPES)
        prof = rng.random(st.size) < expit(
            1.6 * (theta - 0.2) / SD_ETA + np.where(strong, 0.8, -0.2)
        )
        k_el = rng.choice(4, size=st.size, p=[0.08, 0.47, 0.40, 0.05])
        el = _gumbel_topk(rng, st.size, np.array(list(EGE_ELECTIVES.values())), 3) + 2
        parts_st = [np.arange(st.size), np.flatnonzero(prof)]
        parts_sub = [np.zeros(st.size, np.int64), np.ones(int(prof.sum()), np.int64)]
        for j in range(3):
            sel = np.flatnonzero(k_el > j)
            parts_st.append(sel)
            parts_sub.append(el[sel, j])
        r_st = np.concatenate(parts_st)
        r_subj = np.concatenate(parts_sub)
        o = np.lexsort((r_subj, r_st))
        r_st, r_subj = r_st[o], r_subj[o]
        eta = theta[r_st] - 0.2 + rng.normal(0, SUBJ_SD, r_st.size)
        eta = eta - np.where(r_subj == 1, PROFILE_SHIFT, 0.0)
        x = eta / SD_ETA
        mean = np.array([EGE_PARAMS[s][0] for s in ege_subjects], dtype=float)[r_subj]
        sd = np.array([EGE_PARAMS[s][1] for s in ege_subjects], dtype=float)[r_subj]
        ege_score = np.clip(np.rint(mean + sd * _ege_skew(x)), 0, 100).astype(np.int64)
        r_y = yy[st[r_st]]
        ege = {
            "year": years[r_y],
            "school_id": self.ids[ss[st[r_st]]],
            "student_id": ids11[r_st],
            "exam": np.full(r_st.size, "ЕГЭ", dtype=object),
            "subject": np.array(ege_subjects, dtype=object)[r_subj],
            "score": ege_score,
            "mark": np.full(r_st.size, -1, dtype=np.int64),
        }
        below_min = ege_score < self.scales["ege_min"][r_y, r_subj]
        fail11 = (r_subj <= 1) & below_min  # Russian or profile maths below the minimum
        fail_st = np.bincount(r_st, weights=fail11, minlength=st.size) > 0
        rus = np.zeros(st.size)
        rus[r_st[r_subj == 0]] = ege_score[r_subj == 0]
        any70 = np.bincount(r_st, weights=(r_subj >= 2) & (ege_score >= 70), minlength=st.size) > 0
        n_grads = np.bincount(st, minlength=ss.size)
        medal_k = rng.binomial(n_grads, np.clip(expit(-2.4 + 1.0 * self.mu[ss, yy]), 0, 0.5))
        order = np.lexsort((-rus, st))
        rank = _rank_within(st, order)
        medal = rank < medal_k[st]
        self.g11 = {
            "participants": n_grads,
            "fail": np.bincount(st, weights=fail_st, minlength=ss.size).astype(np.int64),
            "medalists": np.bincount(st, weights=medal, minlength=ss.size).astype(np.int64),
            "medal70": np.bincount(st, weights=medal & any70, minlength=ss.size).astype(np.int64),
        }
        # one table, sorted by year, school, exam (ОГЭ, ЕГЭ), student, subject
        gia = {c: np.concatenate([oge[c], ege[c]]) for c in oge}
        exam_code = np.repeat([0, 1], [oge_school.size, r_st.size])
        school = np.concatenate([oge_school, ss[st[r_st]]])
        year_idx = np.concatenate([oge_year, r_y])
        seq = np.arange(exam_code.size)  # within an exam rows are already in student order
        o = np.lexsort((seq, exam_code, school, year_idx))
        self.tables["gia"] = {c: v[o] for c, v in gia.items()}

    # -- school_stats -------------------------------------------------------------------------
    def _school_stats(self) -> None:
        rng, n, Y = self.rngs["school_stats"], self.n, len(self.years)
        years = np.array(self.years)
        total = self.total
        mu = self.mu
        t = self.types[:, None]
        strong = np.isin(t, STRONG_TYPES)
        ng = self.n_grades[:, None].astype(float)
        e14 = np.rint(total * np.minimum(4, ng) / ng).astype(np.int64)
        e59 = np.where(ng >= 9, np.rint(total * 5 / ng), 0).astype(np.int64)
        e1011 = np.where(ng >= 11, np.maximum(total - e14 - e59, 0), 0).astype(np.int64)

        # ГИА-derived counts are (year, school) in self.g9/g11; reshape to (school, year)
        def sy(a):
            return np.asarray(a).reshape(Y, n).T

        g9p, g9f, g9a = sy(self.g9["participants"]), sy(self.g9["fail"]), sy(self.g9["all45"])
        has9 = np.isin(self.types, OGE_TYPES)[:, None] & np.ones((1, Y), bool)
        oge_year = sy(self.g9["has_oge"])
        g9_grads = np.where(oge_year, g9p, self.g9_cohort)
        retake = rng.binomial(g9f, 0.3)
        g9_cert = np.where(oge_year, g9p - retake, g9_grads - rng.binomial(g9_grads, 0.005))
        g11p, g11f = sy(self.g11["participants"]), sy(self.g11["fail"])
        has11 = np.isin(self.types, EGE_TYPES)[:, None] & np.ones((1, Y), bool)
        g11_cert = g11p - rng.binomial(g11f, 0.4)
        fg = rng.binomial(total, rng.uniform(0.25, 0.6, (n, Y)))
        stats: dict[str, object] = {"school_id": np.repeat(self.ids, Y), "year": np.tile(years, n)}

        def put(name, values, mask=None):
            v = np.asarray(values, dtype=np.int64)
            if mask is not None:
                v = np.where(mask, v, -1)
            stats[name] = v.ravel()

        put("g1_4_basic_attained", rng.binomial(e14, expit(2.3 + 1.3 * mu)))
        put("g1_4_enrolled_noo", e14)
        put("g1_4_advanced_attained", rng.binomial(e14, expit(-0.9 + 0.3 * strong + 1.3 * mu)))
        put("g1_4_enrolled_noo_advanced", e14)
        put("g5_9_basic_attained", rng.binomial(e59, expit(2.0 + 1.3 * mu)), has9)
        put("g5_9_enrolled_ooo", e59, has9)
        put(
            "g5_9_advanced_attained", rng.binomial(e59, expit(-1.1 + 0.3 * strong + 1.3 * mu)), has9
        )
        put("g5_9_enrolled_ooo_advanced", e59, has9)
        put("g9_certificate_awarded", g9_cert, has9)
        put("g9_graduates", g9_grads, has9)
        put("g9_gia_grades_4_5", g9a, has9 & oge_year)
        put("g9_gia_participants", g9p, has9 & oge_year)
        put("g10_11_basic_attained", rng.binomial(e1011, expit(2.2 + 1.3 * mu)), has11)
        put("g10_11_enrolled_soo", e1011, has11)
        put(
            "g10_11_advanced_attained",
            rng.binomial(e1011, expit(-0.8 + 0.3 * strong + 1.3 * mu)),
            has11,
        )
        put("g10_11_enrolled_soo_advanced", e1011, has11)
        put("g11_certificate_awarded", g11_cert, has11)
        put("g11_graduates", g11p, has11)
        put("pupils_fg_assessed", fg)
        put("pupils_total", total)
        for lit, a in (("reading", 0.5), ("math", 0.2), ("science", 0.3), ("fin", 0.6)):
            assessed = rng.binomial(fg, rng.uniform(0.4, 0.7, (n, Y)))
            put(f"pupils_{lit}_lit_success", rng.binomial(assessed, expit(a + 1.1 * mu)))
            put(f"pupils_{lit}_lit_assessed", assessed)
        put("objectivity_complaints_count", rng.poisson(0.08, (n, Y)))
        surveyed = rng.binomial(total, rng.uniform(0.2, 0.5, (n, Y)))
        put("parents_satisfied", rng.binomial(surveyed, expit(2.4 + 0.6 * mu)))
        put("parents_surveyed", surveyed)
        put("medalists_elective_ge70", sy(self.g11["medal70"]), has11)
        put("medalists_total", sy(self.g11["medalists"]), has11)
        self.tables["school_stats"] = stats

    # -- teachers -----------------------------------------------------------------------------
    def _teachers(self) -> None:
        rng, n, Y = self.rngs["teachers"], self.n, len(self.years)
        nt = self.teachers_total  # (n, Y)
        turnover = np.maximum(1, np.rint(0.08 * nt[:, 0])).astype(np.int64)
        pool = nt.max(axis=1) + turnover * Y
        # pool members: stable attributes
        p_school = np.repeat(np.arange(n), pool)
        p_idx = np.arange(p_school.size) - np.repeat(np.cumsum(pool) - pool, pool)
        p_id = _hash_ids("T", self.salt, 7, p_school, p_idx)
        subj_names = np.array(list(TEACHER_SUBJECTS), dtype=object)
        subj_w = np.array(list(TEACHER_SUBJECTS.values()))
        p_subj = subj_names[
            rng.choice(subj_names.size, size=p_school.size, p=subj_w / subj_w.sum())
        ]
        p_skill = 66 + 18 * self.Q[p_school] + rng.normal(0, 11, p_school.size)
        cats = np.array(["высшая", "первая", "соответствие", "нет"], dtype=object)
        p_cat = cats[rng.choice(4, size=p_school.size, p=[0.27, 0.30, 0.28, 0.15])]
        strong = np.isin(self.types[p_school], STRONG_TYPES)
        p_adv = rng.random(p_school.size) < np.where(strong, 0.3, 0.05)
        # active members per year: a sliding window over the pool
        yy, ss = (a.ravel() for a in np.meshgrid(np.arange(Y), np.arange(n), indexing="ij"))
        cnt = nt[ss, yy]
        start = (np.cumsum(pool) - pool)[ss] + turnover[ss] * yy
        row_sy = np.repeat(np.arange(ss.size), cnt)
        member = np.repeat(start, cnt) + (
            np.arange(row_sy.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        )
        m = row_sy.size
        diagnosed = rng.random(m) < 0.75
        expert = np.clip(p_skill[member] + rng.normal(0, 6, m), 0, 100)
        test = np.clip(p_skill[member] + rng.normal(0, 8, m), 0, 100)
        expert = np.where(diagnosed & (rng.random(m) < 0.9), np.round(expert, 1), np.nan)
        test = np.where(diagnosed & (rng.random(m) < 0.85), np.round(test, 1), np.nan)
        diagnosed = diagnosed & (np.isfinite(expert) | np.isfinite(test))
        pd_last = rng.random(m) < 0.42
        order = np.lexsort((p_id[member], ss[row_sy], yy[row_sy]))
        cols = {
            "year": np.array(self.years)[yy[row_sy]],
            "school_id": self.ids[ss[row_sy]],
            "teacher_id": p_id[member],
            "subject": p_subj[member],
            "expert_score": _fmt(expert, 1),
            "test_score": _fmt(test, 1),
            "pd_last_year": pd_last.astype(np.int64),
            "category": p_cat[member],
            "teaches_advanced": p_adv[member].astype(np.int64),
            "diagnosed": diagnosed.astype(np.int64),
            "post_course_support": (pd_last & (rng.random(m) < 0.45)).astype(np.int64),
            "network_involved": (rng.random(m) < 0.18).astype(np.int64),
            "has_iom": (rng.random(m) < np.where(diagnosed, 0.3, 0.05)).astype(np.int64),
        }
        self.tables["teachers"] = {c: np.asarray(v)[order] for c, v in cols.items()}

    # -- federal list -------------------------------------------------------------------------
    def _rosobrnadzor(self) -> None:
        rng = self.rngs["rosobrnadzor"]
        listed = []
        for year in self.years:
            gross = [u for u in self.inflated if u["year"] == year and u["lift_pp"] >= 25]
            k = int(round(len(gross) / 2))
            for i in np.sort(rng.permutation(len(gross))[:k]):
                listed.append(
                    {
                        **{c: gross[i][c] for c in ("school_id", "year", "grade", "subject")},
                        "inflated": True,
                    }
                )
        first_row, u_n, infl, r_s, r_y, r_g, r_subj = self._vpr_unit_info
        honest = np.flatnonzero(~infl & (u_n >= 10))
        if honest.size:
            u = int(rng.choice(honest))
            f = first_row[u]
            listed.append(
                {
                    "school_id": str(self.ids[r_s[f]]),
                    "year": int(self.years[r_y[f]]),
                    "grade": int(r_g[f]),
                    "subject": VPR_SUBJECTS[r_subj[f]],
                    "inflated": False,
                }
            )
        listed.sort(key=lambda d: (d["year"], d["school_id"], d["grade"], d["subject"]))
        self.federal = listed
        keyset = {(d["school_id"], d["year"], d["grade"], d["subject"]) for d in listed}
        for u in self.inflated:
            u["on_federal_list"] = (u["school_id"], u["year"], u["grade"], u["subject"]) in keyset
        self.tables["rosobrnadzor"] = {
            "year": np.array([d["year"] for d in listed], dtype=np.int64),
            "school_id": np.array([d["school_id"] for d in listed], dtype=object),
            "procedure": np.full(len(listed), "ВПР", dtype=object),
            "grade": np.array([d["grade"] for d in listed], dtype=np.int64),
            "subject": np.array([d["subject"] for d in listed], dtype=object),
        }

    # -- roadmap ------------------------------------------------------------------------------
    def _roadmap(self) -> None:
        rng = self.rngs["roadmap"]
        year = self.years[-1]
        k = len(ROADMAP_EVENTS)
        start = np.datetime64(f"{year}-01-15")
        offsets = np.sort(rng.integers(0, 330, k))
        due = start + offsets.astype("timedelta64[D]")
        status = rng.choice(3, size=k, p=[0.64, 0.16, 0.20])  # on time, late, not done
        done_off = np.where(status == 0, -rng.integers(0, 21, k), rng.integers(3, 41, k))
        done = due + done_off.astype("timedelta64[D]")
        published = (status != 2) & (rng.random(k) < 0.75)
        host = "".join(ch for ch in self.mid.lower() if ch.isascii() and (ch.isalnum()))
        host = host or "mo"
        self.tables["roadmap"] = {
            "event_id": np.array([f"ДК-{year}-{i + 1:02d}" for i in range(k)], dtype=object),
            "title": np.array([e[0] for e in ROADMAP_EVENTS], dtype=object),
            "level": np.array([e[1] for e in ROADMAP_EVENTS], dtype=object),
            "form": np.array([e[2] for e in ROADMAP_EVENTS], dtype=object),
            "due": np.array([str(d) for d in due], dtype=object),
            "responsible": np.array([e[3] for e in ROADMAP_EVENTS], dtype=object),
            "done": np.array(
                [str(d) if s != 2 else "" for d, s in zip(done, status, strict=True)], dtype=object
            ),
            "published_url": np.array(
                [
                    f"https://uo-{host}.ru/shnor/{year}/event-{i + 1:02d}.html"
                    if published[i]
                    else ""
                    for i in range(k)
                ],
                dtype=object,
            ),
        }
        self.roadmap_truth = {
            "n_events": k,
            "n_done_on_time": int((status == 0).sum()),
            "n_done_late": int((status == 1).sum()),
            "n_not_done": int((status == 2).sum()),
        }

    # -- truth --------------------------------------------------------------------------------
    def _truth(self) -> None:
        years = list(self.years)
        Y = len(years)
        can = np.isin(self.types, OGE_TYPES)  # schools that can have an ИОР (not НОШ)
        q1 = np.zeros((self.n, Y), dtype=bool)
        q4 = np.zeros((self.n, Y), dtype=bool)
        for yi in range(Y):
            v = self.mu[can, yi]
            if v.size:
                q1[can, yi] = self.mu[can, yi] <= np.quantile(v, 0.25)
                q4[can, yi] = self.mu[can, yi] >= np.quantile(v, 0.75)
        win = slice(max(0, Y - 3), Y)
        low = q1[:, -1] & (q1[:, win].sum(axis=1) >= min(2, Y))
        lead = q4[:, win].sum(axis=1) >= min(2, Y)
        latent = {}
        for i, sid in enumerate(self.ids):
            latent[str(sid)] = {
                "Q": _r(self.Q[i]),
                "S": _r(self.S[i]),
                "M": _r(self.M[i]),
                "school_type": str(self.types[i]),
                "rural": bool(self.rural[i]),
                "mean": {str(y): _r(self.mu[i, yi]) for yi, y in enumerate(years)},
                "context_part": {str(y): _r(self.ctx_part[i, yi]) for yi, y in enumerate(years)},
                "q1": {str(y): bool(q1[i, yi]) for yi, y in enumerate(years)},
                "q4": {str(y): bool(q4[i, yi]) for yi, y in enumerate(years)},
                "low_results": {str(y): bool(self.latent_low[i, yi]) for yi, y in enumerate(years)},
                "support_part": {
                    str(y): _r(self.support_part[i, yi]) for yi, y in enumerate(years)
                },
            }
        effects = {c: float(CONTEXT_EFFECTS.get(c, 0.0)) for c in CANDIDATES}
        lifts = [u["lift_pp"] for u in self.inflated]
        type_counts = {t: int((self.types == t).sum()) for t in TYPE_SHARES}
        self.truth = {
            "municipality": self.mid,
            "reporting_year": years[-1],
            "years": years,
            "context_effects": effects,
            "context_effects_order": sorted(
                CONTEXT_EFFECTS, key=lambda k: -abs(CONTEXT_EFFECTS[k])
            ),
            "context_effects_zero": [c for c in CANDIDATES if c not in CONTEXT_EFFECTS],
            "context_effect_definition": (
                "school-year mean on the student latent scale (student SD = 1): "
                "mu = intercept + Q + sum_j beta_j * z_j + e, e ~ N(0, year_sd); "
                "z_j = (share_j - mean_j) / sd_j "
                "where share_j = count_j / students_total from context.csv (rural: 1 if locality "
                "= село else 0), mean and sd (ddof=0) over all school-years of the municipality "
                "(see context_standardization). Q ~ N(0, q_sd) independent of the context "
                "(except the planted resilient schools). The standardized coefficients of an "
                "M4 fit are in other units (outcome ИОР, standardized); compare signs, "
                "selection and order."
            ),
            "context_standardization": self.standardization,
            "model": {
                "intercept": INTERCEPT,
                "q_sd": Q_SD,
                "year_sd": YEAR_SD,
                "unit_sd": UNIT_SD,
                "subject_sd": SUBJ_SD,
                "student_sd": 1.0,
                "school_sd_assumed": SCHOOL_SD,
            },
            "school_latent": latent,
            "resilient_schools": [str(self.ids[i]) for i in self.resilient],
            "resilient_definition": (
                "non-НОШ school (>= 150 pupils when possible) in the bottom quartile of the mean "
                "context part (least favourable planted context) whose Q was set to "
                f"{RES_Q_SD[0]}-{RES_Q_SD[1]} x q_sd: the latent mean is well above what its "
                "context predicts (contextual resilience); strict resilience (ИОР in Q4) is not "
                "guaranteed, see resilient_details"
            ),
            "resilient_details": {
                str(self.ids[i]): {
                    "Q": _r(self.Q[i]),
                    "Q_in_sd": _r(self.Q[i] / Q_SD, 2),
                    "context_part_mean": _r(self.ctx_part[i].mean()),
                    "latent_q4_reporting_year": bool(q4[i, -1]),
                    "latent_percentile_reporting_year": _r(
                        float((self.mu[can, -1] < self.mu[i, -1]).mean()), 3
                    ),
                }
                for i in self.resilient
            },
            "expected_low_results": sorted(str(s) for s in self.ids[low]),
            "expected_leaders": sorted(str(s) for s in self.ids[lead]),
            "low_results_definition": (
                "latent mean mu in the bottom quartile (<= 25th percentile among non-НОШ "
                "schools) in the reporting year and in >= 2 of the last 3 years; leaders: top "
                "quartile in >= 2 of the last 3 years (objectivity exclusions not considered)"
            ),
            "inflated_units": self.inflated,
            "inflation_summary": {
                "n_vpr_units": self.n_vpr_units,
                "n_inflated": len(self.inflated),
                "lift_pp_min": _r(min(lifts), 2) if lifts else None,
                "lift_pp_max": _r(max(lifts), 2) if lifts else None,
                "n_clear": sum(u["lift_pp"] >= 10 and u["lift_z"] >= 3 for u in self.inflated),
                "clear_definition": "lift_pp >= 10 (objectivity.min_excess) and lift_z >= 3, "
                "lift_z = lift / sqrt(p(1-p)/n) with p the honest share of 4-5: units a "
                "test with n-aware intervals can be expected to find; the rest are planted "
                "on purpose to be hard (small lifts, small units)",
                "n_by_severity": {
                    s: sum(u["severity"] == s for u in self.inflated)
                    for s in ("small", "moderate", "gross")
                },
                "unit": "school_id × year × grade × subject (procedure ВПР)",
                "lift_definition": "share of marks 4-5 (percent) with the generated (inflated) "
                "scores minus with the honest scores of the same students",
            },
            "rosobrnadzor": self.federal,
            "roadmap": self.roadmap_truth,
            **self._support_truth(),
            "school_types": type_counts,
            "n_schools": int(self.n),
            "rows": {name: int(len(next(iter(tab.values())))) for name, tab in self.tables.items()},
        }

    def _support_truth(self) -> dict[str, object]:
        """The planted ШНОР entries and support effect (keys as generate_cycle's truth)."""
        years, ids = list(self.years), self.ids
        entered = self.first_entry >= 0
        effective = entered & self.responds
        cohorts: dict[str, dict[str, int]] = {}
        for j, y in enumerate(years):
            sel = self.first_entry == j
            if sel.any():
                cohorts[str(y)] = {"n": int(sel.sum()), "with_effect": int((sel & effective).sum())}
        sd = float(self.mu[np.isin(self.types, OGE_TYPES)].std()) if self.n > 1 else 0.0
        return {
            "entry_year": {
                str(ids[i]): int(years[self.first_entry[i]]) for i in np.flatnonzero(entered)
            },
            "supported_with_effect": sorted(str(s) for s in ids[effective]),
            "support": {
                "effect": _r(self.support_effect),
                "share_with_effect": _r(self.support_share),
                "window": SUPPORT_WINDOW,
                "low_years": SUPPORT_LOW_YEARS,
                "between_school_sd": _r(sd),
                "effect_in_between_school_sd": _r(self.support_effect / sd) if sd > 0 else None,
                "cohorts": cohorts,
                "n_entered": int(entered.sum()),
                "n_with_effect": int(effective.sum()),
                "definition": (
                    "ШНОР on the latent means, year by year: non-НОШ school whose mean is in the "
                    "bottom quartile this year and in >= low_years of the window years ending "
                    "now (the first year: this year alone). entry_year: the first year a "
                    "school is ШНОР. A share share_with_effect of the entered schools (drawn "
                    "once per school, independent of everything else) gains `effect` on the "
                    "latent mean (student SD = 1) in every year after its entry year; the "
                    "others are supported without effect. The effect is applied before the "
                    "next year's quartiles, so improving schools leave ШНОР and others enter "
                    "(the relative rule keeps about a quarter in Q1). Year noise e ~ N(0, "
                    "year_sd) and the sampling of pupils make a school picked for low results "
                    "partly unlucky: it improves on average without help (regression to the "
                    "mean)."
                ),
            },
            "municipality_shift": _r(self.shift),
        }


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

_BIG = ("vpr", "gia")


def _write_csv(path: Path, cols: dict[str, object]) -> None:
    names = list(cols)
    header = ",".join(names) + "\n"
    arrays = [np.asarray(cols[c]) for c in names]
    if path.stem in _BIG:
        pa_cols = []
        for a in arrays:
            if a.dtype.kind in "iu":
                pa_cols.append(pa.array(a, mask=a < 0))
            else:
                s = a.astype(str)
                pa_cols.append(pa.array(s, type=pa.string()))
        table = pa.Table.from_arrays(pa_cols, names=names)
        buf = io.BytesIO()
        buf.write(header.encode("utf-8"))
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none"))
        path.write_bytes(buf.getvalue())
        return
    conv = []
    for a in arrays:
        if a.dtype.kind in "iu":
            conv.append(["" if v < 0 else str(v) for v in a.tolist()])
        else:
            conv.append(["" if v is None else str(v) for v in a.tolist()])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(names)
        w.writerows(zip(*conv, strict=True))


def _write_xlsx(path: Path, cols: dict[str, object]) -> None:
    data = {}
    for c, v in cols.items():
        a = np.asarray(v)
        if a.dtype.kind in "iu":
            data[c] = pd.array(np.where(a < 0, 0, a), dtype="Int64")
            data[c][a < 0] = pd.NA
        else:
            data[c] = pd.Series(a.astype(str)).replace("", None)
    buf = io.BytesIO()
    pd.DataFrame(data).to_excel(buf, index=False, engine="openpyxl")
    # normalize: fixed zip timestamps and document properties, so output is byte-identical
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"<dcterms:(created|modified)([^>]*)>[^<]*<",
                    rb"<dcterms:\1\2>2000-01-01T00:00:00Z<",
                    content,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, content)
    path.write_bytes(out.getvalue())


def _write_muni(muni: _Muni, out_dir: Path, fmt: str) -> None:
    """Tables first, `_truth.json` last (a stale truth is removed before writing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "_truth.json").unlink(missing_ok=True)
    for name in TABLE_NAMES:
        for other in FORMATS:  # a stale copy in the other format would be read as well
            if other != fmt:
                (out_dir / f"{name}.{other}").unlink(missing_ok=True)
        cols = muni.tables[name]
        if fmt == "csv":
            _write_csv(out_dir / f"{name}.csv", cols)
        else:
            _write_xlsx(out_dir / f"{name}.xlsx", cols)
    text = json.dumps(muni.truth, ensure_ascii=False, sort_keys=True, indent=1)
    (out_dir / "_truth.json").write_text(text + "\n", encoding="utf-8")


def _check_fmt(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def generate(
    out_dir: Path,
    *,
    seed: int = 20240904,
    n_schools: int = 40,
    years: tuple[int, ...] = DEFAULT_YEARS,
    municipality: str = "demo",
    inflated_units: int | None = None,
    fmt: str = "csv",
    support_effect: float = SUPPORT_EFFECT,
    support_share: float = SUPPORT_SHARE,
) -> dict:
    """Write every raw table of docs/data_contract.md into out_dir (schools.csv, context.csv, vpr.csv,
    gia.csv, school_stats.csv, teachers.csv, rosobrnadzor.csv, roadmap.csv) plus
    out_dir/_truth.json; return the truth dict."""
    _check_fmt(fmt)
    out_dir = Path(out_dir)
    muni = _Muni(
        seed_seq=np.random.SeedSequence([int(seed), 0]),
        seed=seed,
        mid=municipality,
        code=1,
        n_schools=int(n_schools),
        years=tuple(years),
        rural_share=DEMO_RURAL_SHARE,
        inflated_units=inflated_units,
        support_effect=support_effect,
        support_share=support_share,
    )
    muni.truth["generator"] = {
        "module": "shnor_lib.demo.synth",
        "version": __version__,
        "seed": int(seed),
        "params": {
            "n_schools": int(n_schools),
            "years": [int(y) for y in years],
            "municipality": municipality,
            "inflated_units": inflated_units,
            "fmt": fmt,
            "support_effect": support_effect,
            "support_share": support_share,
        },
    }
    from shnor_lib.io import (
        forms_write,  # the filled monitoring forms of seed 001 (docs/methods.md M7)
    )

    forms_write.write_filled_forms(
        out_dir / "forms",
        seed=int(seed),
        year=max(int(y) for y in years),
        schools=muni.truth["expected_low_results"],
        teachers=muni.tables["teachers"],
        roadmap=muni.tables["roadmap"],
    )
    _write_muni(muni, out_dir, fmt)
    return muni.truth


def generate_region(
    root: Path,
    *,
    seed: int = 1,
    n_municipalities: int = 44,
    n_schools: int = 1500,
    years: tuple[int, ...] = DEFAULT_YEARS,
    scale: float = 1.0,
    region: str = "region",
    forms: bool = True,
    shifts: dict[int, float] | None = None,
    support_effect: float = SUPPORT_EFFECT,
    support_share: float = SUPPORT_SHARE,
) -> list[str]:
    """Scale mode for the benchmark: writes root/<municipality_id>/... for each municipality
    (ids like f"{region}_m01"), returns the municipality ids. scale=0.5 halves the schools.

    ``shifts``: {municipality index from 1: shift of every school's latent mean} — a
    municipality uniformly weaker (negative) or stronger than the others, recorded as
    ``municipality_shift`` in its ``_truth.json`` (within-municipality ranks do not change,
    region-wide ranks do). The planted support (``support_effect``, ``support_share``) is
    the one of :func:`generate`, per municipality.

    Every table of docs/data_contract.md is written, and (``forms=True``) the filled monitoring forms
    of seed 001 in root/<municipality_id>/forms/, as :func:`generate` writes them."""
    root = Path(root)
    total = max(int(round(n_schools * scale)), n_municipalities)
    ss = np.random.SeedSequence([int(seed), 1])
    rng = np.random.default_rng(ss)
    weights = np.exp(rng.normal(0, 0.5, n_municipalities))
    shares = {str(i): float(w) for i, w in enumerate(weights / weights.sum())}
    sizes = np.array(list(_allocate(total, shares, ensure_sosh=False).values()), dtype=np.int64)
    rural = rng.uniform(0.3, 0.75, n_municipalities)
    scales = _prepare_scales(tuple(sorted(int(y) for y in years)))
    children = ss.spawn(n_municipalities)
    width = max(2, len(str(n_municipalities)))
    ids = []
    for m in range(n_municipalities):
        mid = f"{region}_m{m + 1:0{width}d}"
        muni = _Muni(
            seed_seq=children[m],
            seed=seed,
            mid=mid,
            code=m + 1,
            n_schools=max(int(sizes[m]), 1),
            years=tuple(years),
            rural_share=float(rural[m]),
            inflated_units=None,
            scales=scales,
            shift=float((shifts or {}).get(m + 1, 0.0)),
            support_effect=support_effect,
            support_share=support_share,
        )
        muni.truth["generator"] = {
            "module": "shnor_lib.demo.synth",
            "version": __version__,
            "seed": int(seed),
            "params": {
                "region": region,
                "n_municipalities": n_municipalities,
                "n_schools": n_schools,
                "scale": scale,
                "years": [int(y) for y in years],
                "municipality_index": m + 1,
                "shifts": {str(k): float(v) for k, v in sorted((shifts or {}).items())},
                "support_effect": support_effect,
                "support_share": support_share,
            },
        }
        if forms:
            from shnor_lib.io import forms_write

            forms_write.write_filled_forms(
                root / mid / "forms",
                seed=int(seed) * 1000 + m + 1,
                year=max(int(y) for y in years),
                schools=muni.truth["expected_low_results"],
                teachers=muni.tables["teachers"],
                roadmap=muni.tables["roadmap"],
                municipality=mid,
            )
        _write_muni(muni, root / mid, "csv")
        ids.append(mid)
    return ids


# ------------------------------------------------------------------------------ the cycle


def _cycle_quartile(x: np.ndarray) -> np.ndarray:
    """Quartile 1..4 per value (the cut points of ``results_index.quartile``)."""
    q1, q2, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return np.select([x <= q1, x <= q2, x <= q3], [1, 2, 3], default=4)


def generate_cycle(
    seed: int,
    n_schools: int = 300,
    years: int | tuple[int, ...] = 5,
    *,
    effect_sd: float = 0.0,
    effect_share: float = 1.0,
    improvement_sd: float = 0.0,
    noise_sd: float = 0.6,
    window: int = 3,
    low_years: int = 2,
    rule: str = "relative",
    absolute_threshold: float = 30.0,
    out_dir: Path | None = None,
) -> dict:
    """A multi-year municipality (or region) for the management cycle: the ИОР table only.

    Model (recorded in ``truth``): school quality ``q`` ~ N(0, 1) persists over the years
    (between-school SD = 1); a year's score is ``q + improvement_sd·(year − first) + support
    + e``, e ~ N(0, ``noise_sd``) — so a school picked for one low year is partly unlucky and
    improves next year without help (regression to the mean is real). ИОР is the score
    min-max scaled within the year (as M3 does); ``gia_below_min_value`` is the ГИА
    below-minimum share pooled over the window, from ~30 results a year with probability
    Φ(−1.6 − 0.6·score) (≈ 8 % for an average school; it falls when schools improve).
    ШНОР is decided every year by ``rule`` (``relative``: Q1 this year and in ≥ ``low_years``
    of the window; ``absolute``: below-minimum share ≥ ``absolute_threshold``); a share
    ``effect_share`` of the schools that ever enter gets ``effect_sd`` added to every score
    from the year after their first entry. Returns ``{"results_index": frame, "truth":
    dict}``; with ``out_dir``, writes ``results_index.csv`` and ``_truth.json`` there.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 14]))
    yrs = tuple(range(2020, 2020 + years)) if isinstance(years, int) else tuple(years)
    n, m = int(n_schools), len(yrs)
    q = rng.normal(0.0, 1.0, n)
    noise = rng.normal(0.0, noise_sd, (n, m))
    responds = rng.random(n) < effect_share
    fails = np.zeros((n, m))
    first_entry = np.full(n, -1)
    score = np.zeros((n, m))
    index = np.zeros((n, m))
    quart = np.zeros((n, m), dtype=int)
    share = np.zeros((n, m))
    low = np.zeros((n, m), dtype=bool)
    n_results = 30
    for j in range(m):
        helped = (first_entry >= 0) & (first_entry < j) & responds
        score[:, j] = q + improvement_sd * j + noise[:, j] + effect_sd * helped
        lo, hi = score[:, j].min(), score[:, j].max()
        index[:, j] = (score[:, j] - lo) / (hi - lo)
        quart[:, j] = _cycle_quartile(index[:, j])
        fails[:, j] = rng.binomial(n_results, ndtr(-1.6 - 0.6 * score[:, j]))
        win = slice(max(0, j - window + 1), j + 1)
        share[:, j] = 100.0 * fails[:, win].sum(axis=1) / (n_results * (win.stop - win.start))
        if rule == "absolute":
            low[:, j] = share[:, j] >= absolute_threshold
        else:
            need = min(low_years, win.stop - win.start)
            low[:, j] = (quart[:, j] == 1) & ((quart[:, win] == 1).sum(axis=1) >= need)
        first_entry = np.where((first_entry < 0) & low[:, j], j, first_entry)
    ids = np.array([f"C{i:05d}" for i in range(n)])
    frame = pd.DataFrame(
        {
            "school_id": np.repeat(ids, m),
            "year": np.tile(np.array(yrs, dtype="int64"), n),
            "results_index": index.ravel(),
            "results_quartile": quart.ravel().astype(float),
            "gia_below_min_value": share.ravel(),
            "low_results": low.ravel(),
        }
    ).sort_values(["year", "school_id"], ignore_index=True)
    effective = (first_entry >= 0) & responds
    truth = {
        "generator": {
            "module": "shnor_lib.demo.synth.generate_cycle",
            "version": __version__,
            "seed": int(seed),
            "params": {
                "n_schools": n,
                "years": [int(y) for y in yrs],
                "effect_sd": effect_sd,
                "effect_share": effect_share,
                "improvement_sd": improvement_sd,
                "noise_sd": noise_sd,
                "window": window,
                "low_years": low_years,
                "rule": rule,
                "absolute_threshold": absolute_threshold,
            },
        },
        "between_school_sd": 1.0,
        "effect_in_index_units": [
            float(effect_sd / (score[:, j].max() - score[:, j].min())) for j in range(m)
        ],
        "entry_year": {
            str(i): int(yrs[e]) for i, e in zip(ids, first_entry, strict=True) if e >= 0
        },
        "supported_with_effect": sorted(ids[effective].tolist()),
    }
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out_dir / "results_index.csv", index=False)
        (out_dir / "_truth.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True), "utf-8"
        )
    return {"results_index": frame, "truth": truth}
