"""M10: addressed recommendations from declarative rules (``data/recommendations.yml``).

Each rule has a level (school / cluster / municipality), conditions that must all hold,
an addressee (seed 002 plus the municipal level), a kind (seed 000 §7.2) and Russian
templates for the text and for the evidence (the figure that triggered it). The
vocabulary of conditions and placeholders is documented in the YAML header and enforced
by :func:`parse_rules`: anything unknown is an error naming the rule id.

:func:`generate` evaluates the rules on plain frames and returns the
``recommendations.csv`` table (school_id, cluster, addressee, kind, text, evidence, plus
level and rule_id). Order: municipal rules, then clusters (by number), then schools (by
school_id), each in the rule order of the data file. Numbers are printed in Russian format.
"""

from __future__ import annotations

import math
import numbers
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shnor_lib.errors import ShnorError
from shnor_lib.fmt import MISSING, fmt_number, fmt_percent
from shnor_lib.methods.clusters import feature_phrase, fmt_z
from shnor_lib.methods.pairing import HORIZONTAL, MODELS, VERTICAL
from shnor_lib.methods.risk_profile import HIGH, categories, factors

LEVELS = ("municipality", "cluster", "school")
STATUSES = (
    "low_results",
    "hard_context",
    "resilient",
    "resilient_strict",
    "resilient_contextual",
    "leader",
    "risk_group",
)
OUTPUT_COLUMNS = [
    "school_id",
    "cluster",
    "addressee",
    "kind",
    "text",
    "evidence",
    "level",
    "rule_id",
]
DEFAULT_SETTINGS: dict[str, float] = {"cluster_z": 0.5, "max_listed": 5}

SCHOOL_FIELDS = (
    "school_name",
    "results_index",
    "results_quartile",
    "results_level",
    "social_index",
    "social_quartile",
    "expected_result",
    "residual",
    "vs_expected",
    "low_results_reason",
    "leader_reason",
    "risk_reason",
    "top_risks",
    "cluster",
    "cluster_name",
    "cluster_description",
    "teachers_ab_share",
    "excluded_units",
    "excluded_list",
    "partners",
    "horizontal_partner",
    "horizontal_distance",
    "vertical_partner",
    "vertical_partner_type",
    "vertical_distance",
    "unpaired_reasons",
    "mentees",
    "mentee_count",
    "partner_basis",
    "mentee_group",
    "named_mentors",
    "named_tutored_teachers",
)
NUMERIC_SCHOOL_FIELDS = (
    "results_index",
    "social_index",
    "expected_result",
    "residual",
    "teachers_ab_share",
)
TEXT_SCHOOL_COLUMNS = (
    "results_level",
    "vs_expected",
    "low_results_reason",
    "leader_reason",
    "risk_reason",
    "top_risks",
)
RISK_FIELDS = ("factor_name", "factor_label", "factor_value", "factor_project", "factor_category")
CLUSTER_FIELDS = (
    "cluster",
    "cluster_name",
    "cluster_description",
    "cluster_size",
    "cluster_schools",
    "cluster_low_results",
    "cluster_low_results_names",
    "cluster_hard_context",
    "cluster_leaders",
    "cluster_leader_names",
    "cluster_mean_results_index",
    "cluster_mean_social_index",
    "cluster_features",
    "cluster_results_z",
)
CLUSTER_RISK_FIELDS = (
    "factor_name",
    "factor_label",
    "factor_z",
    "factor_project",
    "factor_category",
)
MUNICIPAL_KEYS = (
    "year",
    "n_schools",
    "n_low_results",
    "n_hard_context",
    "n_low_and_hard",
    "n_resilient",
    "n_leaders",
    "n_risk_group",
    "n_pairs",
    "n_paired_low_results",
    "n_unpaired_low_results",
    "share_paired",
    "n_excluded_schools",
    "n_excluded_units",
    "units_total",
    "excluded_share",
    "unmet_targets",
    "n_unmet_targets",
    "teachers_ab_share",
    "n_clusters",
    "low_results_names",
    "hard_context_names",
    "resilient_names",
    "leader_names",
)


class RulesError(ShnorError):
    """The recommendation rules file is invalid (the message names the rule)."""


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    when: Mapping[str, Any]
    addressee: str
    kind: str
    text: str
    evidence: str


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    addressees: tuple[str, ...]
    kinds: tuple[str, ...]
    settings: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))


# ---------------------------------------------------------------------------- validation


class _Bad(Exception):
    def __init__(self, ru: str, en: str) -> None:
        super().__init__(en)
        self.ru, self.en = ru, en


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _v_statuses(value: Any) -> tuple[str, ...]:
    items = _as_list(value)
    bad = [v for v in items if v not in STATUSES]
    if bad or not items:
        raise _Bad(
            f"неизвестный статус {bad}; допустимы: {', '.join(STATUSES)}",
            f"unknown status {bad}; allowed: {', '.join(STATUSES)}",
        )
    return tuple(items)


def _v_status(value: Any) -> str:
    if isinstance(value, list):
        raise _Bad("ожидался один статус", "a single status expected")
    return _v_statuses(value)[0]


def _v_factors(value: Any) -> tuple[str, ...]:
    items = _as_list(value)
    known = factors()
    bad = [v for v in items if v not in known]
    if bad or not items:
        raise _Bad(
            f"неизвестный фактор риска {bad}; допустимы: {', '.join(known)}",
            f"unknown risk factor {bad}; allowed: {', '.join(known)}",
        )
    return tuple(items)


def _v_factor(value: Any) -> str:
    if isinstance(value, list):
        raise _Bad("ожидался один фактор риска", "a single risk factor expected")
    return _v_factors(value)[0]


def _v_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad("ожидалось true или false", "true or false expected")
    return value


def _v_true(value: Any) -> bool:
    if value is not True:
        raise _Bad("ожидалось true", "true expected")
    return True


def _v_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _Bad("ожидалось число", "a number expected")
    return float(value)


def _v_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("ожидался текст", "a text expected")
    return value


def _v_all(value: Any) -> str:
    if value != "all":
        raise _Bad("ожидалось значение all", "the value 'all' expected")
    return "all"


def _v_model(value: Any) -> str:
    if value not in MODELS:
        raise _Bad(f"ожидалось одно из: {', '.join(MODELS)}", f"one of {MODELS} expected")
    return value


def _v_muni_key(value: Any) -> str:
    if value not in MUNICIPAL_KEYS:
        raise _Bad(
            f"неизвестный муниципальный показатель «{value}»",
            f"unknown municipal key '{value}'",
        )
    return value


def _v_thresholds(allowed: Callable[[], tuple[str, ...]]) -> Callable[[Any], dict[str, float]]:
    def check(value: Any) -> dict[str, float]:
        if not isinstance(value, Mapping) or not value:
            raise _Bad("ожидался словарь {поле: число}", "a mapping {field: number} expected")
        ok = allowed()
        bad = [k for k in value if k not in ok]
        if bad:
            raise _Bad(
                f"неизвестные поля {bad}; допустимы: {', '.join(ok)}",
                f"unknown fields {bad}; allowed: {', '.join(ok)}",
            )
        return {str(k): _v_number(v) for k, v in value.items()}

    return check


def _numeric_school_fields() -> tuple[str, ...]:
    return NUMERIC_SCHOOL_FIELDS + tuple(factors())


CONDITIONS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "school": {
        "status": _v_statuses,
        "status_any": _v_statuses,
        "not_status": _v_statuses,
        "risk_high": _v_factor,
        "excluded_objectivity": _v_bool,
        "teachers_ab_share_above": _v_number,
        "above": _v_thresholds(_numeric_school_fields),
        "below": _v_thresholds(_numeric_school_fields),
        "vs_expected": _v_text,
        "paired": _v_bool,
        "pair_model": _v_model,
        "unpaired": _v_true,
        "mentor": _v_true,
        "mentor_named": _v_bool,
        "tutor_named": _v_bool,
    },
    "cluster": {
        "cluster": _v_all,
        "cluster_has": _v_status,
        "cluster_risk_high": _v_factors,
        "cluster_results_low": _v_true,
    },
    "municipality": {
        "municipality": _v_all,
        "muni_above": _v_thresholds(lambda: MUNICIPAL_KEYS),
        "muni_below": _v_thresholds(lambda: MUNICIPAL_KEYS),
        "muni_nonempty": _v_muni_key,
    },
}
_SPEC = re.compile(r"(?P<sign>\+)?(?:\.(?P<dec>\d+))?(?P<kind>[fpd]?)")


def placeholders(level: str, when: Mapping[str, Any]) -> tuple[str, ...]:
    """The placeholders a rule of this level and these conditions may use."""
    if level == "school":
        extra = RISK_FIELDS if "risk_high" in when else ()
        return SCHOOL_FIELDS + tuple(factors()) + extra
    if level == "cluster":
        extra = CLUSTER_RISK_FIELDS if "cluster_risk_high" in when else ()
        return CLUSTER_FIELDS + extra
    return MUNICIPAL_KEYS


def _check_template(template: Any, allowed: tuple[str, ...], what: str, need_field: bool) -> None:
    if not isinstance(template, str) or not template.strip():
        raise _Bad(f"поле {what} пусто", f"{what} is empty")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise _Bad(f"{what}: ошибка в шаблоне ({exc})", f"{what}: bad template ({exc})") from None
    names = [p[1] for p in parsed if p[1] is not None]
    for name, spec, conv in ((p[1], p[2], p[3]) for p in parsed if p[1] is not None):
        if name not in allowed:
            raise _Bad(
                f"{what}: неизвестная подстановка {{{name}}}; допустимы: {', '.join(allowed)}",
                f"{what}: unknown placeholder {{{name}}}",
            )
        if conv is not None or not _SPEC.fullmatch(spec or ""):
            raise _Bad(
                f"{what}: неверный формат {{{name}:{spec}}} (допустимы .Nf, +.Nf, .Np, d)",
                f"{what}: bad format spec {{{name}:{spec}}}",
            )
    if need_field and not names:
        raise _Bad(
            f"{what}: основание должно приводить показатель (хотя бы одну подстановку)",
            f"{what}: the evidence must cite a figure (at least one placeholder)",
        )


def _parse_rule(raw: Any, addressees: tuple[str, ...], kinds: tuple[str, ...]) -> Rule:
    if not isinstance(raw, Mapping):
        raise _Bad("правило должно быть словарём", "a rule must be a mapping")
    keys = {"id", "level", "when", "addressee", "kind", "text", "evidence"}
    unknown = [k for k in raw if k not in keys]
    missing = [k for k in keys if k not in raw]
    if unknown or missing:
        raise _Bad(
            f"лишние поля {unknown}, недостающие поля {sorted(missing)}",
            f"unknown keys {unknown}, missing keys {sorted(missing)}",
        )
    level = raw["level"]
    if level not in LEVELS:
        raise _Bad(f"level: ожидалось одно из {LEVELS}", f"level: one of {LEVELS} expected")
    when = raw["when"]
    if not isinstance(when, Mapping) or not when:
        raise _Bad("when: нужны условия", "when: conditions needed")
    vocab = CONDITIONS[level]
    parsed: dict[str, Any] = {}
    for key, value in when.items():
        if key not in vocab:
            raise _Bad(
                f"неизвестное условие «{key}» для уровня {level}; допустимы: {', '.join(vocab)}",
                f"unknown condition '{key}' for level {level}; allowed: {', '.join(vocab)}",
            )
        try:
            parsed[key] = vocab[key](value)
        except _Bad as exc:
            raise _Bad(f"условие «{key}»: {exc.ru}", f"condition '{key}': {exc.en}") from None
    if raw["addressee"] not in addressees:
        raise _Bad(f"адресат «{raw['addressee']}» не из списка", "addressee not in the list")
    if raw["kind"] not in kinds:
        raise _Bad(f"направление «{raw['kind']}» не из списка", "kind not in the list")
    allowed = placeholders(level, parsed)
    _check_template(raw["text"], allowed, "text", need_field=False)
    _check_template(raw["evidence"], allowed, "evidence", need_field=True)
    return Rule(
        id=str(raw["id"]),
        level=level,
        when=parsed,
        addressee=raw["addressee"],
        kind=raw["kind"],
        text=" ".join(raw["text"].split()),
        evidence=" ".join(raw["evidence"].split()),
    )


def _error(source: str, rid: str, ru: str, en: str) -> RulesError:
    return RulesError(f"{source}, правило «{rid}»: {ru}", f"{source}, rule '{rid}': {en}")


def _str_list(data: Mapping[str, Any], key: str, source: str) -> tuple[str, ...]:
    items = data.get(key)
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise RulesError(
            f"{source}: «{key}» — нужен список строк",
            f"{source}: '{key}' must be a list of strings",
        )
    return tuple(items)


def parse_rules(data: Mapping[str, Any], source: str = "recommendations.yml") -> RuleSet:
    """Validate a rules mapping (as loaded from YAML); :class:`RulesError` names the rule."""
    if not isinstance(data, Mapping):
        raise RulesError(f"{source}: ожидался словарь", f"{source}: a mapping expected")
    unknown = [k for k in data if k not in ("settings", "addressees", "kinds", "rules")]
    if unknown:
        raise RulesError(
            f"{source}: лишние разделы {unknown}", f"{source}: unknown sections {unknown}"
        )
    settings = dict(DEFAULT_SETTINGS)
    for key, value in (data.get("settings") or {}).items():
        if (
            key not in DEFAULT_SETTINGS
            or isinstance(value, bool)
            or not isinstance(value, numbers.Real)
        ):
            raise RulesError(
                f"{source}: settings.{key} — неизвестный или нечисловой параметр",
                f"{source}: bad setting {key}",
            )
        settings[key] = float(value)
    addressees = _str_list(data, "addressees", source)
    kinds = _str_list(data, "kinds", source)
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("rules") or []):
        rid = str(raw.get("id", f"#{i + 1}")) if isinstance(raw, Mapping) else f"#{i + 1}"
        if not re.fullmatch(r"[A-Za-z0-9_]+", rid):
            raise _error(
                source, rid, "id: латинские буквы, цифры, _", "id: latin letters, digits, _"
            )
        if rid in seen:
            raise _error(source, rid, "повторяющийся id", "duplicate id")
        seen.add(rid)
        try:
            rules.append(_parse_rule(raw, addressees, kinds))
        except _Bad as exc:
            raise _error(source, rid, exc.ru, exc.en) from None
    if not rules:
        raise RulesError(f"{source}: нет правил", f"{source}: no rules")
    return RuleSet(tuple(rules), addressees, kinds, settings)


# The rules file (``data/recommendations.yml``) is read by
# :func:`shnor_lib.io.reference.load_recommendation_rules`, which parses it with
# :func:`parse_rules`; the pipeline passes the RuleSet to :func:`generate` (``rules=``).


# ---------------------------------------------------------------------------- formatting


def _number(v: Any) -> float | None:
    """A cell as a float, None when missing or not a number (as pd.to_numeric coerces)."""
    if isinstance(v, str):
        v = v.strip()
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float | np.floating) and math.isnan(v)


def _join(items: list | tuple, max_listed: int) -> str:
    items = [str(i) for i in items if not _missing(i) and str(i) != ""]
    if not items:
        return MISSING
    if len(items) > max_listed:
        rest = len(items) - max_listed
        return "; ".join(items[:max_listed]) + f" и ещё {rest}"
    return "; ".join(items)


def format_value(v: Any, spec: str = "", max_listed: int = 5) -> str:
    """One placeholder value in Russian format (see the YAML header for the specs)."""
    if isinstance(v, list | tuple):
        return _join(v, max_listed)
    if _missing(v):
        return MISSING
    if isinstance(v, bool | np.bool_):
        return "да" if v else "нет"
    if isinstance(v, str):
        return v if v.strip() else MISSING
    m = _SPEC.fullmatch(spec or "")
    if m is None:
        raise ValueError(f"bad format spec {spec!r}")
    x = float(v)
    dec = m["dec"]
    if m["kind"] == "p":
        text = fmt_percent(x, int(dec) if dec else 1)
    elif m["kind"] == "d":
        text = fmt_number(round(x), 0)
    else:
        text = fmt_number(x, int(dec) if dec else (0 if x.is_integer() else 2))
    if m["sign"] and x > 0 and any(ch in "123456789" for ch in text):
        text = "+" + text
    return text


class _RuFormatter(string.Formatter):
    def __init__(self, max_listed: int) -> None:
        super().__init__()
        self.max_listed = max_listed

    def format_field(self, value: Any, format_spec: str) -> str:
        return format_value(value, format_spec, self.max_listed)


def render(template: str, ctx: Mapping[str, Any], max_listed: int = 5) -> str:
    """Fill a template; the first letter is capitalized."""
    text = _RuFormatter(max_listed).vformat(template, (), ctx)
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------- inputs


def _bool_col(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df:
        return pd.Series(False, index=df.index)
    return df[col].astype("boolean").fillna(False).astype(bool)


def _num_col(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def _text(v: Any) -> str | None:
    return None if _missing(v) or str(v).strip() == "" else str(v)


def _statuses(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for s in (
        "low_results",
        "hard_context",
        "resilient_strict",
        "resilient_contextual",
        "leader",
        "risk_group",
    ):
        out[s] = _bool_col(df, s)
    out["resilient"] = out["resilient_strict"] | out["resilient_contextual"]
    return out


def _unit_label(row: pd.Series) -> str:
    parts = []
    if "procedure" in row and _text(row["procedure"]):
        parts.append(str(row["procedure"]))
    if "grade" in row and not _missing(row["grade"]):
        parts.append(f"{int(row['grade'])} кл.")
    if "subject" in row and _text(row["subject"]):
        parts.append(str(row["subject"]))
    if "year" in row and not _missing(row["year"]):
        parts.append(f"{int(row['year'])} г.")
    return ", ".join(parts) or "результат"


@dataclass
class _Exclusions:
    units: dict[str, list[str]]  # school → labels of excluded units
    n_units: int
    n_schools: int
    units_total: int | None


def _exclusions(ex: pd.DataFrame | None) -> _Exclusions | None:
    if ex is None:
        return None
    df = ex.assign(school_id=ex["school_id"].astype(str)) if len(ex) else ex
    keys = ["school_id"] + [c for c in ("year", "procedure", "grade", "subject") if c in df]
    total = None
    if "excluded" in df:
        total = len(df.drop_duplicates(keys)) if len(df) else 0
        df = df[_bool_col(df, "excluded")]
    units = df.drop_duplicates(keys).sort_values(keys) if len(df) else df
    per: dict[str, list[str]] = {}
    for _, row in units.iterrows():
        per.setdefault(str(row["school_id"]), []).append(_unit_label(row))
    return _Exclusions(per, len(units), len(per), total)


@dataclass
class _Pairing:
    partner: dict[str, dict[str, tuple[str, float]]]  # mentee → model → (partner, ИСБ gap)
    mentees: dict[str, list[str]]  # partner → mentees
    unpaired: dict[str, list[str]]  # mentee → reasons
    n_pairs: int
    basis: dict[str, str] = field(default_factory=dict)  # partner → why it can lead
    group: dict[str, str] = field(default_factory=dict)  # mentee → ШНОР | ШССУ


def _pairing(pairs: pd.DataFrame | None, unpaired: pd.DataFrame | None) -> _Pairing | None:
    if pairs is None:
        return None
    partner: dict[str, dict[str, tuple[str, float]]] = {}
    mentees: dict[str, list[str]] = {}
    basis: dict[str, str] = {}
    group: dict[str, str] = {}
    for row in pairs.itertuples(index=False):
        low, lead = str(row.low_results_school_id), str(row.leader_school_id)
        dist = float(row.social_distance) if not _missing(row.social_distance) else float("nan")
        partner.setdefault(low, {})[row.model] = (lead, dist)
        if low not in mentees.setdefault(lead, []):
            mentees[lead].append(low)
        basis.setdefault(lead, _text(getattr(row, "partner_basis", None)))
        group[low] = _text(getattr(row, "mentee_group", None))
    reasons: dict[str, list[str]] = {}
    if unpaired is not None:
        for row in unpaired.itertuples(index=False):
            g = _text(getattr(row, "mentee_group", None))
            if g:
                group[str(row.low_results_school_id)] = g
            model = _text(row.model)
            reasons.setdefault(str(row.low_results_school_id), []).append(
                f"{model} модель — {row.reason}" if model else str(row.reason)
            )
    return _Pairing(partner, mentees, reasons, len(pairs), basis, group)


def named_support(mnc: pd.DataFrame | None, mtkp: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per school, what the filled forms already name: МНЦ mentors (form «МНЦ»: mentor ×
    school rows) and teachers with a МТКП tutor (form «МТКП»: tutor × teacher rows). None
    when neither form was given (then nothing is known and no rule is held back)."""
    if mnc is None and mtkp is None:
        return None

    def count(df: pd.DataFrame | None, key: str) -> pd.Series:
        if df is None or df.empty or "school_id" not in df or key not in df:
            return pd.Series(dtype=int)
        d = df.dropna(subset=["school_id", key]).assign(
            school_id=lambda x: x["school_id"].astype(str)
        )
        return d.groupby("school_id")[key].nunique()

    out = pd.DataFrame(
        {"mentors": count(mnc, "mentor_code"), "tutored_teachers": count(mtkp, "teacher_code")}
    ).fillna(0)
    out = out.astype(int).rename_axis("school_id").reset_index()
    out.attrs["forms"] = {"mnc": mnc is not None, "mtkp": mtkp is not None}
    return out


# ---------------------------------------------------------------------------- contexts


@dataclass
class _Inputs:
    schools: pd.DataFrame  # indexed by school_id (str), sorted
    status: pd.DataFrame
    names: dict[str, str]
    types: dict[str, str]
    clusters: pd.DataFrame | None  # indexed by cluster number
    pairing: _Pairing | None
    exclusions: _Exclusions | None
    settings: Mapping[str, float]
    named: pd.DataFrame | None = None  # school_id → mentors, tutored_teachers (forms)


def _prepare(
    schools: pd.DataFrame,
    clusters: pd.DataFrame | None,
    pairs: pd.DataFrame | None,
    unpaired: pd.DataFrame | None,
    exclusions: pd.DataFrame | None,
    settings: Mapping[str, float],
    named: pd.DataFrame | None = None,
) -> _Inputs:
    if schools["school_id"].duplicated().any():
        raise ValueError("schools: one row per school_id expected")
    s = (
        schools.assign(school_id=schools["school_id"].astype(str))
        .set_index("school_id")
        .sort_index()
    )
    names = {
        sid: (_text(n) or sid)
        for sid, n in s.get("school_name", pd.Series(s.index, index=s.index)).items()
    }
    types = {
        sid: _text(t) or "" for sid, t in s.get("school_type", pd.Series("", index=s.index)).items()
    }
    cl = None
    if clusters is not None and len(clusters):
        cl = (
            clusters.assign(cluster=clusters["cluster"].astype(int))
            .set_index("cluster")
            .sort_index()
        )
    return _Inputs(
        s,
        _statuses(s),
        names,
        types,
        cl,
        _pairing(pairs, unpaired),
        _exclusions(exclusions),
        settings,
        None
        if named is None
        else named.assign(school_id=named["school_id"].astype(str)).set_index("school_id"),
    )


def _cluster_of(row: pd.Series) -> int | None:
    v = row.get("cluster")
    return None if _missing(v) else int(v)


def _school_pair_fields(sid: str, inp: _Inputs) -> dict[str, Any]:
    p = inp.pairing
    if p is None:
        return {"_paired": None, "_models": set(), "_unpaired": False, "mentee_count": None}
    mine = p.partner.get(sid, {})
    ctx: dict[str, Any] = {
        "_paired": bool(mine),
        "_models": set(mine),
        "_unpaired": sid in p.unpaired,
        "partners": [
            f"{inp.names.get(lead, lead)} ({m})"
            for m, (lead, _) in sorted(mine.items(), key=lambda kv: MODELS.index(kv[0]))
        ],
        "unpaired_reasons": p.unpaired.get(sid, []),
        "mentees": [inp.names.get(x, x) for x in p.mentees.get(sid, [])],
        "mentee_count": len(p.mentees.get(sid, [])),
    }
    for model, key in ((HORIZONTAL, "horizontal"), (VERTICAL, "vertical")):
        if model in mine:
            lead, dist = mine[model]
            ctx[f"{key}_partner"] = inp.names.get(lead, lead)
            ctx[f"{key}_distance"] = dist
    if VERTICAL in mine:
        ctx["vertical_partner_type"] = inp.types.get(mine[VERTICAL][0]) or None
    ctx["partner_basis"] = p.basis.get(sid) or None
    ctx["mentee_group"] = p.group.get(sid) or None
    return ctx


def _named_fields(sid: str, inp: _Inputs) -> dict[str, Any]:
    """What the forms name for the school: ``_mentor_named`` / ``_tutor_named`` are None when
    the form is absent (unknown), else whether it names at least one."""
    n = inp.named
    if n is None:
        return {"_mentor_named": None, "_tutor_named": None}
    forms = n.attrs.get("forms", {"mnc": True, "mtkp": True})
    mentors = int(n.at[sid, "mentors"]) if sid in n.index else 0
    tutored = int(n.at[sid, "tutored_teachers"]) if sid in n.index else 0
    return {
        "_mentor_named": (mentors > 0) if forms.get("mnc", True) else None,
        "_tutor_named": (tutored > 0) if forms.get("mtkp", True) else None,
        "named_mentors": mentors,
        "named_tutored_teachers": tutored,
    }


def _school_context(sid: str, row: pd.Series, inp: _Inputs) -> dict[str, Any]:
    ctx: dict[str, Any] = dict.fromkeys(SCHOOL_FIELDS + tuple(factors()) + RISK_FIELDS)
    ctx["school_name"] = inp.names[sid]
    for col in NUMERIC_SCHOOL_FIELDS + tuple(factors()):
        if col in row.index:
            ctx[col] = _number(row[col])
    for col in ("results_quartile", "social_quartile"):
        if col in row.index and not _missing(row[col]):
            ctx[col] = int(float(row[col]))
    for col in TEXT_SCHOOL_COLUMNS:
        if col in row.index:
            ctx[col] = _text(row[col])
    c = _cluster_of(row)
    ctx["cluster"] = c
    if c is not None and inp.clusters is not None and c in inp.clusters.index:
        ctx["cluster_name"] = _text(inp.clusters.loc[c].get("name"))
        ctx["cluster_description"] = _text(inp.clusters.loc[c].get("description"))
    ex = inp.exclusions
    if ex is not None:
        ctx["excluded_units"] = len(ex.units.get(sid, []))
        ctx["excluded_list"] = ex.units.get(sid, [])
    ctx["_excluded"] = None if ex is None else ctx["excluded_units"]
    ctx["_status"] = {k for k, v in inp.status.loc[sid].items() if v}
    ctx["_levels"] = {f: row.get(f"risk_{f}") for f in factors() if f"risk_{f}" in row.index}
    ctx.update(_school_pair_fields(sid, inp))
    ctx.update(_named_fields(sid, inp))
    return ctx


def _risk_fields(fid: str, value: Any) -> dict[str, Any]:
    f = factors()[fid]
    return {
        "factor_name": f.name,
        "factor_label": f.label,
        "factor_value": f.format_value(value) if not _missing(value) else MISSING,
        "factor_project": f.project_factor,
        "factor_category": categories()[f.category or ""],
    }


def _cmp(v: Any, x: float, above: bool) -> bool:
    if _missing(v) or isinstance(v, str | list | tuple):
        return False
    return float(v) > x if above else float(v) < x


def _school_check(key: str, value: Any, ctx: Mapping[str, Any]) -> dict[str, Any] | None:
    st = ctx["_status"]
    ok: bool
    if key == "status":
        ok = all(s in st for s in value)
    elif key == "status_any":
        ok = any(s in st for s in value)
    elif key == "not_status":
        ok = not any(s in st for s in value)
    elif key == "risk_high":
        if ctx["_levels"].get(value) != HIGH:
            return None
        return _risk_fields(value, ctx.get(value))
    elif key == "excluded_objectivity":
        ok = ctx["_excluded"] is not None and (ctx["_excluded"] > 0) == value
    elif key == "teachers_ab_share_above":
        ok = _cmp(ctx["teachers_ab_share"], value, True)
    elif key in ("above", "below"):
        ok = all(_cmp(ctx.get(f), x, key == "above") for f, x in value.items())
    elif key == "vs_expected":
        ok = ctx["vs_expected"] == value
    elif key == "paired":
        ok = ctx["_paired"] is not None and ctx["_paired"] == value
    elif key == "pair_model":
        ok = value in ctx["_models"]
    elif key == "unpaired":
        ok = bool(ctx["_unpaired"])
    elif key == "mentor":
        ok = bool(ctx.get("mentee_count"))
    elif key in ("mentor_named", "tutor_named"):
        # false: no form says so (absent form included: recommending is then the safe side);
        # true: the form names one
        got = ctx[f"_{key}"]
        ok = bool(got) if value else not got
    else:  # pragma: no cover - validated on load
        raise KeyError(key)
    return {} if ok else None


def _cluster_context(c: int, inp: _Inputs) -> dict[str, Any]:
    row = inp.clusters.loc[c] if inp.clusters is not None else pd.Series(dtype=object)
    s = inp.schools
    members = [sid for sid in s.index if _cluster_of(s.loc[sid]) == c]
    st = inp.status.loc[members] if members else inp.status.iloc[:0]
    z = {
        col[2:]: float(row[col])
        for col in row.index
        if col.startswith("z_") and not _missing(row[col])
    }
    top = sorted(z, key=lambda f: (-round(abs(z[f]), 9), list(z).index(f)))[:3]

    def names(status: str) -> list[str]:
        return [inp.names[sid] for sid in members if st.loc[sid, status]]

    return {
        "cluster": c,
        "cluster_name": _text(row.get("name")),
        "cluster_description": _text(row.get("description")),
        "cluster_size": len(members) if members else _int_or_none(row.get("size")),
        "cluster_schools": [inp.names[sid] for sid in members],
        "cluster_low_results": int(st["low_results"].sum()),
        "cluster_low_results_names": names("low_results"),
        "cluster_hard_context": int(st["hard_context"].sum()),
        "cluster_leaders": int(st["leader"].sum()),
        "cluster_leader_names": names("leader"),
        "cluster_mean_results_index": _float_or_none(row.get("mean_results_index")),
        "cluster_mean_social_index": _float_or_none(row.get("mean_social_index")),
        "cluster_features": [f"{feature_phrase(f, z[f])} ({fmt_z(z[f])})" for f in top],
        "cluster_results_z": fmt_z(z["results_index"]) if "results_index" in z else None,
        "_z": z,
        "_counts": {k: int(st[k].sum()) for k in st.columns},
    }


def _int_or_none(v: Any) -> int | None:
    return None if _missing(v) else int(v)


def _float_or_none(v: Any) -> float | None:
    return None if _missing(v) else float(v)


def _cluster_check(
    key: str, value: Any, ctx: Mapping[str, Any], settings: Mapping[str, float]
) -> dict[str, Any] | None:
    z, cz = ctx["_z"], settings["cluster_z"]
    if key == "cluster":
        return {}
    if key == "cluster_has":
        return {} if ctx["_counts"].get(value, 0) > 0 else None
    if key == "cluster_results_low":
        return {} if z.get("results_index", 0.0) <= -cz else None
    if key == "cluster_risk_high":
        meta = factors()
        oriented = [(meta[f].risk_sign * z[f], -i, f) for i, f in enumerate(value) if f in z]
        hits = [t for t in oriented if t[0] >= cz]
        if not hits:
            return None
        fid = max(hits)[2]
        fields = _risk_fields(fid, None)
        fields.pop("factor_value")
        return {**fields, "factor_z": fmt_z(z[fid])}
    raise KeyError(key)  # pragma: no cover - validated on load


def _municipal_context(inp: _Inputs, given: Mapping[str, Any]) -> dict[str, Any]:
    st, names = inp.status, inp.names
    ctx: dict[str, Any] = dict.fromkeys(MUNICIPAL_KEYS)

    def listed(status: str) -> list[str]:
        return [names[sid] for sid in st.index if st.loc[sid, status]]

    n_low = int(st["low_results"].sum())
    ctx.update(
        n_schools=len(st),
        n_low_results=n_low,
        n_hard_context=int(st["hard_context"].sum()),
        n_low_and_hard=int((st["low_results"] & st["hard_context"]).sum()),
        n_resilient=int(st["resilient"].sum()),
        n_leaders=int(st["leader"].sum()),
        n_risk_group=int(st["risk_group"].sum()),
        low_results_names=listed("low_results"),
        hard_context_names=listed("hard_context"),
        resilient_names=listed("resilient"),
        leader_names=listed("leader"),
    )
    if inp.pairing is not None:
        lows = set(st.index[st["low_results"]])
        paired = len(lows & set(inp.pairing.partner))
        ctx.update(
            n_pairs=inp.pairing.n_pairs,
            n_paired_low_results=paired,
            n_unpaired_low_results=n_low - paired,
            share_paired=100.0 * paired / n_low if n_low else None,
        )
    ex = inp.exclusions
    if ex is not None:
        ctx.update(
            n_excluded_schools=ex.n_schools, n_excluded_units=ex.n_units, units_total=ex.units_total
        )
        if ex.units_total:
            ctx["excluded_share"] = 100.0 * ex.n_units / ex.units_total
    if inp.clusters is not None:
        ctx["n_clusters"] = len(inp.clusters)
    for key, value in given.items():
        if key not in MUNICIPAL_KEYS:
            raise KeyError(f"municipal: unknown key {key!r}; allowed: {', '.join(MUNICIPAL_KEYS)}")
        ctx[key] = list(value) if isinstance(value, list | tuple | set) else value
    if isinstance(ctx.get("unmet_targets"), list) and "n_unmet_targets" not in given:
        ctx["n_unmet_targets"] = len(ctx["unmet_targets"])
    return ctx


def _muni_check(key: str, value: Any, ctx: Mapping[str, Any]) -> dict[str, Any] | None:
    if key == "municipality":
        return {}
    if key in ("muni_above", "muni_below"):
        ok = all(_cmp(ctx.get(k), x, key == "muni_above") for k, x in value.items())
        return {} if ok else None
    if key == "muni_nonempty":
        v = ctx.get(value)
        return {} if isinstance(v, list | tuple | str) and len(v) > 0 else None
    raise KeyError(key)  # pragma: no cover - validated on load


# ---------------------------------------------------------------------------- generate


def _fire(rule: Rule, ctx: dict[str, Any], check: Callable[[str, Any], dict | None]) -> dict | None:
    extra: dict[str, Any] = {}
    for key, value in rule.when.items():
        got = check(key, value)
        if got is None:
            return None
        extra.update(got)
    return {**ctx, **extra}


def _row(
    rule: Rule, ctx: Mapping[str, Any], school_id: str | None, cluster: int | None, n: int
) -> dict:
    evidence = render(rule.evidence, ctx, n)
    if not evidence.strip():  # pragma: no cover - templates are checked on load
        raise RulesError(
            f"правило «{rule.id}»: пустое основание", f"rule '{rule.id}': empty evidence"
        )
    return {
        "school_id": school_id,
        "cluster": cluster,
        "addressee": rule.addressee,
        "kind": rule.kind,
        "text": render(rule.text, ctx, n),
        "evidence": evidence,
        "level": rule.level,
        "rule_id": rule.id,
    }


def generate(
    schools: pd.DataFrame,
    *,
    clusters: pd.DataFrame | None = None,
    pairs: pd.DataFrame | None = None,
    exclusions: pd.DataFrame | None = None,
    municipal: Mapping[str, Any] | None = None,
    unpaired: pd.DataFrame | None = None,
    rules: RuleSet,
    named: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The recommendations table (recommendations.csv columns plus level and rule_id).

    - ``rules``: the rule set (:func:`shnor_lib.io.reference.load_recommendation_rules`).

    - ``schools``: one row per school. Used (all optional except school_id): school_name,
      school_type, low_results, hard_context, resilient_strict, resilient_contextual,
      leader, risk_group (booleans); results_index, results_quartile, results_level,
      social_index, social_quartile, expected_result, residual, vs_expected,
      low_results_reason, leader_reason, risk_reason, cluster, top_risks,
      teachers_ab_share (percent); per risk factor ``<factor_id>`` (value) and
      ``risk_<factor_id>`` (level), see :func:`shnor_lib.methods.risk_profile.school_columns`.
    - ``clusters``: the clusters table (:meth:`ClusterResult.table`: cluster, name,
      description, size, mean_results_index, mean_social_index, ``z_<feature>``).
    - ``pairs`` / ``unpaired``: :class:`shnor_lib.methods.pairing.PairResult` frames.
    - ``named``: :func:`named_support` of the filled МНЦ / МТКП forms (school_id, mentors,
      tutored_teachers): a rule with ``mentor_named: false`` / ``tutor_named: false`` is not
      given to a school the form already names a mentor / tutor for.
    - ``exclusions``: objectivity rows with school_id (and year, procedure, grade,
      subject); if it has an ``excluded`` column only those rows count and the distinct
      units of the whole frame give the denominator of the municipal share.
    - ``municipal``: figures for municipal rules (keys: :data:`MUNICIPAL_KEYS`), e.g.
      ``{"year": 2024, "unmet_targets": [...], "teachers_ab_share": 34.0}``; given values
      win over the ones computed from the frames.
    A frame passed as None means "not available": its conditions never hold.
    """
    rs = rules
    n = int(rs.settings["max_listed"])
    inp = _prepare(schools, clusters, pairs, unpaired, exclusions, rs.settings, named)
    rows: list[dict] = []
    muni = _municipal_context(inp, municipal or {})
    for rule in (r for r in rs.rules if r.level == "municipality"):
        ctx = _fire(rule, muni, lambda k, v: _muni_check(k, v, muni))
        if ctx is not None:
            rows.append(_row(rule, ctx, None, None, n))
    for c in inp.clusters.index if inp.clusters is not None else []:
        cctx = _cluster_context(int(c), inp)
        for rule in (r for r in rs.rules if r.level == "cluster"):
            ctx = _fire(rule, cctx, lambda k, v, cc=cctx: _cluster_check(k, v, cc, rs.settings))
            if ctx is not None:
                rows.append(_row(rule, ctx, None, int(c), n))
    for sid, srow in inp.schools.iterrows():
        sctx = _school_context(str(sid), srow, inp)
        for rule in (r for r in rs.rules if r.level == "school"):
            ctx = _fire(rule, sctx, lambda k, v, sc=sctx: _school_check(k, v, sc))
            if ctx is not None:
                rows.append(_row(rule, ctx, str(sid), sctx["cluster"], n))
    out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS)
    out["cluster"] = out["cluster"].astype("Int64")
    return out
