"""Params: package defaults merged with a municipality's YAML, validated on load.

The defaults file is the schema: every key a params file may use is present there and the
type of its default is the type expected. Unknown keys and wrong types are errors that name
the key (dotted path), so a typo never silently falls back to a default.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from . import DATA_DIR
from .errors import Problem, ShnorError, ValidationError

# A municipality (or region) id: it names files and folders (params/<id>.yml, data/raw/<id>/,
# outputs/<id>/), so only lower-case Latin letters, digits, "_" and "-", never a path.
SAFE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SAFE_ID = re.compile(SAFE_ID_PATTERN)

# Enumerations and ranges the type check cannot express.
_CHOICES: dict[str, tuple[str, ...]] = {
    "results_index.scaling": ("minmax", "percentile"),
    "results_index.reference": ("municipality", "region"),
    "social_index.scope": ("auto", "municipality", "region"),
    "clusters.method": ("ward", "kmeans"),
    "clusters.risk_levels": ("terciles", "fixed"),
    "cycle.shnor_rule": ("relative", "absolute"),
}
_RANGES: dict[str, tuple[float, float]] = {
    "confidence": (0.5, 0.9999),
    "window": (1, 10),
    "year": (2000, 2100),
    "min_group_size": (1, 1000),
    "results_index.min_weight_share": (0.0, 1.0),
    "social_index.alpha": (0.0001, 0.5),
    "social_index.max_terms": (1, 12),
    "objectivity.heaping_delta": (0.0, 0.5),
    "clusters.k_min": (2, 20),
    "clusters.k_max": (2, 20),
    "results_index.components.gia_below_min.weight": (0.0, 100.0),
    "results_index.components.ege_mean.weight": (0.0, 100.0),
    "results_index.components.oge_mean_mark.weight": (0.0, 100.0),
    "results_index.components.vpr_mean_mark.weight": (0.0, 100.0),
    "results_index.low_results_years": (1, 10),
    "results_index.leader_years": (1, 10),
    "min_scores.risk_share": (0.0, 100.0),
    "min_scores.risk_procedures": (1, 50),
    "min_scores.min_results": (1, 1000),
    "social_index.hard_context_quartile": (1, 4),
    "social_index.min_schools": (1, 100000),
    "objectivity.min_excess": (0.0, 100.0),
    "pairing.max_pairs_per_leader": (1, 100),
    "cycle.absolute_below_min_share": (0.0, 100.0),
    "cycle.effect_horizon": (1, 10),
    "cycle.positive_dynamics_quartiles": (1, 3),
}
# Keys whose default is null: the accepted non-null type.
_NULLABLE: dict[str, type] = {"region": str}
# List keys: the type of each element.
_LIST_ITEMS: dict[str, type] = {
    "social_index.candidates": str,
    "objectivity.exclusion_rule": str,
    "objectivity.context_predictors": str,
    "teachers.deficit_cuts": float,
}

_KEY = ("параметр", "key")
_TYPE_RU = {
    int: "целое число",
    float: "число",
    str: "строка",
    bool: "true/false",
    list: "список",
    dict: "раздел (словарь)",
}


def _load_defaults() -> dict[str, Any]:
    """The package defaults (a fresh copy: callers merge into it)."""
    return copy.deepcopy(_parsed_defaults(DATA_DIR / "defaults.yml"))


@functools.lru_cache(maxsize=4)
def _parsed_defaults(path: Path) -> dict[str, Any]:
    # parsed once per process: a region run loads params for every municipality
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text("utf-8"), Loader=loader)


def _type_ok(value: Any, expected: type) -> bool:
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _check(key: str, value: Any, default: Any, file: str, problems: list[Problem]) -> None:
    def bad(ru: str, en: str) -> None:
        problems.append(
            Problem(
                file=file,
                column=key,
                value=value,
                expected_ru=ru,
                expected_en=en,
                column_label=_KEY,
            )
        )

    if isinstance(default, dict):
        if not isinstance(value, dict):
            bad(
                "раздел с ключами " + ", ".join(default),
                "a mapping with keys " + ", ".join(default),
            )
            return
        for sub, sub_value in value.items():
            path = f"{key}.{sub}" if key else sub
            if sub not in default:
                near = difflib.get_close_matches(sub, list(default), n=1)
                hint_ru = (
                    f"возможно, вы имели в виду «{key + '.' if key else ''}{near[0]}»; "
                    if near
                    else ""
                )
                hint_en = f"did you mean '{key + '.' if key else ''}{near[0]}'? " if near else ""
                problems.append(
                    Problem(
                        file=file,
                        column=path,
                        value=sub_value,
                        expected_ru=f"неизвестный параметр; {hint_ru}допустимы: {', '.join(default)}",
                        expected_en=f"unknown key; {hint_en}allowed: {', '.join(default)}",
                        column_label=_KEY,
                    )
                )
                continue
            _check(path, sub_value, default[sub], file, problems)
        return
    if default is None:
        expected = _NULLABLE.get(key, str)
        if value is not None and not _type_ok(value, expected):
            bad(_TYPE_RU[expected] + " или null", f"{expected.__name__} or null")
        return
    expected = type(default)
    if (
        expected is int
        and key not in ("year", "window", "min_group_size")
        and isinstance(value, float)
    ):
        expected = float
    if not _type_ok(value, expected):
        bad(_TYPE_RU.get(expected, expected.__name__), expected.__name__)
        return
    if isinstance(value, list) and key in _LIST_ITEMS:
        item_type = _LIST_ITEMS[key]
        for item in value:
            if not _type_ok(item, item_type):
                bad(
                    f"список, каждый элемент — {_TYPE_RU[item_type]}",
                    f"list of {item_type.__name__}",
                )
                return
    if key in _CHOICES and value not in _CHOICES[key]:
        bad("одно из: " + ", ".join(_CHOICES[key]), "one of: " + ", ".join(_CHOICES[key]))
    if key in _RANGES:
        lo, hi = _RANGES[key]
        if not lo <= value <= hi:
            bad(f"значение от {lo} до {hi}", f"a value from {lo} to {hi}")


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class Params(Mapping[str, Any]):
    """Read-only params with attribute access: ``params.results_index.components``."""

    def __init__(
        self, data: Mapping[str, Any], source: str = "<defaults>", root: Path | None = None
    ):
        self._data = dict(data)
        self.source = source
        self.root = Path(root) if root is not None else Path.cwd()

    def __getitem__(self, key: str) -> Any:
        value = self._data[key]
        return Params(value, self.source, self.root) if isinstance(value, dict) else value

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(key) from exc

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def replace(self, **changes: Any) -> Params:
        """A copy with top-level keys changed (validated like a params file)."""
        merged = _merge(self._data, changes)
        problems: list[Problem] = []
        _check("", merged, _load_defaults(), self.source, problems)
        if problems:
            raise ValidationError(problems)
        return Params(merged, self.source, self.root)

    # Folders ---------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        """The analysis window, oldest first, ending at the reporting year."""
        return list(range(self.year - self.window + 1, self.year + 1))

    def raw_dir(self) -> Path:
        return self.root / self.paths.raw / self.municipality

    def processed_dir(self) -> Path:
        return self.root / self.paths.processed / self.municipality / str(self.year)

    def output_dir(self) -> Path:
        return self.root / self.paths.outputs / self.municipality / str(self.year)


def _cross_checks(merged: dict[str, Any], source: str) -> list[Problem]:
    """Rules that involve more than one key."""
    out: list[Problem] = []

    def bad(key: str, value: Any, ru: str, en: str) -> None:
        out.append(Problem(source, ru, en, column=key, value=value, column_label=_KEY))

    ri = merged["results_index"]
    if ri["reference"] == "region":  # accepted by the schema, implemented by a later issue
        bad(
            "results_index.reference",
            ri["reference"],
            "municipality: шкалирование ИОР по региону (region) пока не реализовано — "
            "уберите параметр или укажите municipality",
            "municipality: scaling ИОР over the region (region) is not implemented yet — "
            "remove the key or set municipality",
        )
    weights = [c.get("weight", 0) for c in ri["components"].values()]
    if all(isinstance(w, int | float) for w in weights) and sum(weights) <= 0:
        bad(
            "results_index.components",
            weights,
            "хотя бы один положительный вес компонента ИОР",
            "at least one positive ИОР component weight",
        )
    for key in ("low_results_years", "leader_years"):
        if isinstance(ri[key], int) and ri[key] > merged["window"]:
            bad(
                f"results_index.{key}",
                ri[key],
                f"не больше окна анализа (window = {merged['window']})",
                f"at most the window ({merged['window']})",
            )
    cuts = merged["teachers"]["deficit_cuts"]
    ok = (
        isinstance(cuts, list)
        and len(cuts) == 3
        and all(isinstance(c, int | float) and 0 <= c <= 100 for c in cuts)
        and cuts[0] < cuts[1] < cuts[2]
    )
    if not ok:
        bad(
            "teachers.deficit_cuts",
            cuts,
            "три возрастающих порога от 0 до 100 (A|B|C|D)",
            "three increasing cut scores within 0..100",
        )
    return out


def validate(data: Mapping[str, Any], source: str = "<params>") -> list[Problem]:
    """All problems of a params mapping against the defaults schema."""
    problems: list[Problem] = []
    _check("", dict(data), _load_defaults(), source, problems)
    return problems


def load_params(
    path: str | Path | None = None,
    *,
    root: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Params:
    """Load package defaults, overlay ``path`` (YAML) and ``overrides``; validate all."""
    defaults = _load_defaults()
    user: dict[str, Any] = {}
    source = "<defaults>"
    if path is not None:
        path = Path(path)
        source = str(path)
        if not path.exists():
            raise ShnorError(f"Файл параметров не найден: {path}", f"Params file not found: {path}")
        try:
            user = yaml.safe_load(path.read_text("utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ShnorError(
                f"Файл параметров {path} не является корректным YAML: {exc}",
                f"Params file {path} is not valid YAML: {exc}",
            ) from None
        if not isinstance(user, dict):
            raise ShnorError(
                f"Файл параметров {path} должен содержать раздел ключ: значение",
                f"Params file {path} must be a mapping of key: value",
            )
        if root is None:
            root = path.resolve().parent.parent if path.resolve().parent.name == "params" else None
    if overrides:
        user = _merge(user, overrides)
    problems = validate(user, source)
    merged = _merge(defaults, user)
    problems.extend(_cross_checks(merged, source))
    if merged["clusters"]["k_min"] > merged["clusters"]["k_max"]:
        problems.append(
            Problem(
                source,
                "k_min не больше k_max",
                "k_min <= k_max",
                column="clusters.k_min",
                value=merged["clusters"]["k_min"],
                column_label=_KEY,
            )
        )
    if problems:
        raise ValidationError(problems)
    return Params(merged, source, root)
