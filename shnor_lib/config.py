"""Params: package defaults merged with a municipality's YAML, validated on load.

The defaults file is the schema: every key a params file may use is present there and the
type of its default is the type expected. Unknown keys and wrong types are errors that name
the key (dotted path), so a typo never silently falls back to a default.

A params file may arrive with a municipality's data, so it is treated as untrusted input:

- YAML is read by :class:`StrictLoader`: no aliases or anchors (an alias bomb cannot expand),
  duplicate keys are errors naming the key and both lines, files above
  :data:`MAX_PARAMS_BYTES` are refused before parsing.
- ``municipality`` must be given in the file (never defaulted) and, like ``region``, is a
  safe name (:data:`SAFE_ID`): it becomes a folder name and a link in the site index.
- ``paths.processed`` and ``paths.outputs`` (where the program writes) must lie inside the
  project root; ``paths.raw`` (only read) may be an absolute folder elsewhere (``shnor region
  --raw /mnt/…`` writes one) but a relative one may not climb out with ``..``.
- ``report.notebook`` given by a params file must be a notebook of the project's
  ``notebooks/`` folder (or ``notebooks/local/``): papermill executes it with the user's
  rights, so a notebook shipped inside ``data/raw/<m>/`` is refused.
- ``min_group_size`` below :data:`DISCLOSURE_FLOOR` publishes results of groups so small a
  pupil can be recognised: refused unless ``unsafe_small_groups: true``, and even then the
  report carries a warning (:meth:`Params.warnings`).
"""

from __future__ import annotations

import copy
import difflib
import functools
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from shnor_lib import DATA_DIR
from shnor_lib.errors import Problem, ShnorError, ValidationError

# A municipality or region id: a folder name and a link in the site index. Lower-case Latin
# letters, digits, «_» and «-», starting with a letter or digit, at most 64 characters.
SAFE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")  # .match or .fullmatch
SAFE_ID_RU = (
    "идентификатор из строчных латинских букв, цифр, «_» и «-» (начинается с буквы или цифры, "
    "не длиннее 64 символов), например temryuk или demo_region"
)
SAFE_ID_EN = "lower-case latin letters, digits, '_' and '-' (first a letter or digit, ≤ 64)"
# Smallest group whose results may be published (M11): below it a pupil can be recognised.
DISCLOSURE_FLOOR = 5
# A params file is a few hundred bytes; anything this large is not one (or is an attack).
MAX_PARAMS_BYTES = 256 * 1024
# Folders of the project root report notebooks may be run from (papermill executes them).
NOTEBOOK_DIRS = ("notebooks",)

# Enumerations and ranges the type check cannot express.
_CHOICES: dict[str, tuple[str, ...]] = {
    "results_index.scaling": ("minmax", "percentile"),
    "results_index.reference": ("municipality", "region"),
    "social_index.scope": ("auto", "municipality", "region"),
    "clusters.method": ("ward", "kmeans"),
    "clusters.risk_levels": ("terciles", "fixed"),
    "objectivity.procedure": ("ВПР",),
    "cycle.shnor_rule": ("relative", "absolute"),
    "report.cards_pdf": ("auto",),
}
# Keys that take true/false besides the text choices above (YAML reads true as a boolean).
_BOOL_OR_CHOICE = {"report.cards_pdf"}
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
    "clusters.min_cluster_share": (0.0, 0.5),
    "clusters.min_stability": (0.0, 1.0),
    "clusters.bootstrap": (1, 1000),
    "clusters.seed": (0, 2**31 - 1),
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
    "pairing.max_isb_gap": (0.0, 1.0),
    # values the methods divide by or compare with shares: out of range they crash or mislead
    "indicators.ege_high_score": (0, 100),
    "social_index.max_abs_corr": (0.5, 1.0),
    "social_index.max_missing_share": (0.0, 1.0),
    "social_index.min_fit_schools": (3, 100000),
    "social_index.min_schools_per_term": (1, 1000),
    "objectivity.min_excess_mark": (0.0, 3.0),
    "objectivity.min_schools": (2, 100000),
    "objectivity.targets.confirmed": (0.0, 100.0),
    "objectivity.targets.raised": (0.0, 100.0),
    "report.timeout_s": (1, 86400),
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
    "report.extra_notebooks": str,
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


class _Refused(yaml.YAMLError):
    """A YAML construct params files may not use (an alias, an anchor, a repeated key)."""

    def __init__(self, ru: str, en: str) -> None:
        super().__init__(en)
        self.ru, self.en = ru, en


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and anchors and reports duplicate keys.

    Aliases are how a «billion laughs» file expands to gigabytes; params never need them.
    A repeated key would otherwise silently keep the last value.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"строка {line}: ссылки YAML (*{event.anchor}) не допускаются — "
                "напишите значение полностью",
                f"line {line}: YAML aliases (*{event.anchor}) are not allowed",
            )
        if getattr(event, "anchor", None):
            raise _Refused(
                f"строка {line}: якоря YAML (&{event.anchor}) не допускаются — "
                "напишите значение полностью",
                f"line {line}: YAML anchors (&{event.anchor}) are not allowed",
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # noqa: D102
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:  # an unhashable key: SafeLoader explains it
                continue
            if first != line:
                raise _Refused(
                    f"ключ «{key}» повторяется: строки {first} и {line} — оставьте один",
                    f"key '{key}' repeated: lines {first} and {line}",
                )
        return super().construct_mapping(node, deep)


def read_yaml(path: Path, what_ru: str = "Файл параметров") -> Any:
    """A params-like YAML file read by :class:`StrictLoader`, size-bounded; ShnorError if bad."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ShnorError(
            f"{what_ru} {path} не читается: {exc.strerror}", f"Cannot read {path}: {exc}"
        ) from None
    if size > MAX_PARAMS_BYTES:
        raise ShnorError(
            f"{what_ru} {path} слишком большой ({size} байт, допускается до "
            f"{MAX_PARAMS_BYTES}): это не файл параметров",
            f"{path} is too large for a params file ({size} > {MAX_PARAMS_BYTES} bytes)",
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ShnorError(
            f"{what_ru} {path} не в кодировке UTF-8 (байт {exc.start}): сохраните его в UTF-8",
            f"{path} is not UTF-8 (byte {exc.start})",
        ) from None
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as exc:
        raise ShnorError(f"{what_ru} {path}: {exc.ru}", f"{path}: {exc.en}") from None
    except yaml.YAMLError as exc:
        raise ShnorError(
            f"{what_ru} {path} не является корректным YAML: {exc}",
            f"Params file {path} is not valid YAML: {exc}",
        ) from None
    except RecursionError:
        raise ShnorError(
            f"{what_ru} {path}: слишком глубокая вложенность",
            f"{path}: nesting too deep",
        ) from None


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
    if key in _BOOL_OR_CHOICE and isinstance(value, bool):
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
        extra = (", true, false") if key in _BOOL_OR_CHOICE else ""
        bad(
            "одно из: " + ", ".join(_CHOICES[key]) + extra,
            "one of: " + ", ".join(_CHOICES[key]) + extra,
        )
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
        if not problems:
            problems += _safety_checks(merged, self.source, self.root)
        if problems:
            raise ValidationError(problems)
        return Params(merged, self.source, self.root)

    def warnings(self) -> list[str]:
        """Russian warnings the report must carry about the params themselves."""
        out = []
        if self.min_group_size < DISCLOSURE_FLOOR:
            out.append(
                f"Порог малых групп min_group_size = {self.min_group_size} ниже порога "
                f"раскрытия {DISCLOSURE_FLOOR} (задано unsafe_small_groups: true): "
                "в таблицах могут быть результаты групп, по которым можно узнать отдельных "
                "обучающихся — такой отчёт не публикуется "
                f"(min_group_size below the disclosure floor {DISCLOSURE_FLOOR})"
            )
        return out

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
    if ri["reference"] == "region" and not merged.get("region"):
        bad(
            "results_index.reference",
            ri["reference"],
            "ИОР по региону (region) считается только в расчёте региона (shnor region, "
            "make region) для муниципалитета с параметром region: — укажите region: <id> и "
            "запускайте shnor region или укажите reference: municipality",
            "ИОР over the region (region) is computed only by a region run (shnor region) for "
            "a municipality with region: set — set region: <id> and run shnor region, or set "
            "reference: municipality",
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


def _without(data: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """``data`` without the dotted ``keys`` (a copy)."""
    out = copy.deepcopy(data)
    for key in sorted(keys):
        *parents, last = key.split(".")
        node: Any = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return out


def validate(data: Mapping[str, Any], source: str = "<params>") -> list[Problem]:
    """All problems of a params mapping against the defaults schema."""
    problems: list[Problem] = []
    _check("", dict(data), _load_defaults(), source, problems)
    return problems


def _inside(path: Path, folder: Path) -> bool:
    """``path`` lies strictly below ``folder``, judged on the written names (``..`` folded,
    symlinks not followed: a data folder linked to another disk stays accepted)."""
    p = Path(os.path.normpath(path))
    f = Path(os.path.normpath(folder))
    return p != f and p.is_relative_to(f)


def check_id(value: Any, key: str, source: str = "<params>") -> list[Problem]:
    """Problems of an id that becomes a folder name and a link (municipality, region)."""
    if not isinstance(value, str) or SAFE_ID.fullmatch(value):
        return []  # a wrong type is the type check's problem
    return [Problem(source, SAFE_ID_RU, SAFE_ID_EN, column=key, value=value, column_label=_KEY)]


def _path_checks(merged: dict[str, Any], source: str, root: Path) -> list[Problem]:
    """Folders the params name must lie where they are meant to (see the module docstring)."""
    out: list[Problem] = []
    paths = merged["paths"]
    root = Path(os.path.abspath(root))
    resolved: dict[str, Path] = {}
    for key in ("raw", "processed", "outputs"):
        value = paths[key]
        if not isinstance(value, str):
            continue
        given = Path(value)
        full = Path(os.path.normpath(root / given))  # an absolute `given` replaces root
        resolved[key] = full
        if value.strip() == "" or "\x00" in value:
            ok = False
        elif key == "raw" and given.is_absolute():
            ok = True  # read only: the data may sit on another disk (shnor region --raw)
        else:
            ok = _inside(full, root)
        if not ok:
            where = "относительный путь внутри папки проекта" + (
                " (или абсолютный путь к папке с данными)" if key == "raw" else ""
            )
            out.append(
                Problem(
                    source,
                    f"{where} {root}, без «..»: программа пишет и читает только там",
                    f"a path inside the project folder {root}",
                    column=f"paths.{key}",
                    value=value,
                    column_label=_KEY,
                )
            )
    for a, b in (("processed", "raw"), ("outputs", "raw"), ("raw", "processed")):
        if (
            a in resolved
            and b in resolved
            and (resolved[a] == resolved[b] or _inside(resolved[a], resolved[b]))
        ):
            out.append(
                Problem(
                    source,
                    f"папка paths.{a} вне папки paths.{b} ({paths[b]}): "
                    "результаты не пишутся в исходные данные",
                    f"paths.{a} outside paths.{b}",
                    column=f"paths.{a}",
                    value=paths[a],
                    column_label=_KEY,
                )
            )
    return out


def notebook_problems(value: Any, source: str, root: Path) -> list[Problem]:
    """A report notebook a params file names must be one of the project's ``notebooks/``.

    papermill executes the notebook with the user's rights; a params file received with a
    municipality's data could otherwise run an ``.ipynb`` shipped in ``data/raw/<m>/``.
    """
    if not isinstance(value, str):
        return []
    root = Path(os.path.abspath(root))
    full = Path(os.path.normpath(root / value))
    allowed = [root / d for d in NOTEBOOK_DIRS]
    ok = value.lower().endswith(".ipynb") and any(_inside(full, d) for d in allowed)
    if ok and full.exists():  # a symlink inside notebooks/ pointing at the data folder
        real = full.resolve()
        ok = any(_inside(real, d.resolve()) for d in allowed)
    if ok:
        return []
    return [
        Problem(
            source,
            "блокнот .ipynb из папки notebooks/ проекта (или notebooks/local/), например "
            "notebooks/report.ipynb: блокнот выполняется как программа с вашими правами, "
            "поэтому блокноты из других папок (например, присланные с данными в data/raw) "
            "не запускаются",
            "a .ipynb inside the project's notebooks/ (or notebooks/local/): notebooks run "
            "as programs with your rights, so notebooks from elsewhere (e.g. shipped with "
            "the data) are refused",
            column="report.notebook",
            value=value,
            column_label=_KEY,
        )
    ]


def _inside_data(path: Path, raw: Path) -> bool:
    """``path`` (resolved) lies in a raw-data folder: the project's ``paths.raw`` or any
    ``…/data/raw/…`` (a params file kept beside the data makes that folder the root)."""
    parts = path.parts
    in_data_raw = any(parts[i : i + 2] == ("data", "raw") for i in range(len(parts) - 1))
    return in_data_raw or _inside(path, raw)


def _data_notebook_problems(merged: dict[str, Any], source: str, root: Path) -> list[Problem]:
    """The notebook that would run lies in the data folder: refused whatever its name
    (``notebooks/report.ipynb`` under a root taken from ``data/raw/<m>/params/``)."""
    value = merged["report"]["notebook"]
    paths = merged["paths"]
    if not isinstance(value, str) or not isinstance(paths.get("raw"), str):
        return []
    full = Path(os.path.abspath(root / value))
    real = full.resolve() if full.exists() else full
    raw = Path(os.path.abspath(root / paths["raw"]))
    if not (_inside_data(full, raw) or _inside_data(real, raw)):
        return []
    return [
        Problem(
            source,
            f"блокнот не из папки исходных данных (он оказался бы {full}): блокнот "
            "выполняется как программа с вашими правами. Храните файл параметров в папке "
            "params/ проекта, а не рядом с данными",
            f"a notebook outside the raw-data folder (it would be {full}); keep the params "
            "file in the project's params/",
            column="report.notebook",
            value=value,
            column_label=_KEY,
        )
    ]


def _safety_checks(
    merged: dict[str, Any], source: str, root: Path, from_file: frozenset[str] = frozenset()
) -> list[Problem]:
    """Ids, folders and the disclosure floor: what keeps outputs inside and people unnamed.

    Folders are checked when a params file names them (``from_file``: the keys of
    ``paths`` it sets); folders given by the calling code or the command line are the
    user's own choice.
    """
    out = check_id(merged["municipality"], "municipality", source)
    if merged.get("region") is not None:
        out += check_id(merged["region"], "region", source)
    if from_file:
        out += [
            p
            for p in _path_checks(merged, source, root)
            if p.column.removeprefix("paths.") in from_file
            or any(f"paths.{k} " in p.expected_ru for k in from_file)
        ]
    if merged["min_group_size"] < DISCLOSURE_FLOOR and not merged["unsafe_small_groups"]:
        out.append(
            Problem(
                source,
                f"не меньше {DISCLOSURE_FLOOR}: в меньших группах можно узнать результат "
                "отдельного обучающегося; если это действительно нужно (не для публикации), "
                "добавьте unsafe_small_groups: true",
                f"at least {DISCLOSURE_FLOOR} (disclosure floor); or set unsafe_small_groups: true",
                column="min_group_size",
                value=merged["min_group_size"],
                column_label=_KEY,
            )
        )
    return out


def _written_by_shnor(path: Path) -> bool:
    """A params file ``shnor region`` generated (``outputs/<region>/<year>/
    municipality_params/<id>.yml``): its folders come from the command line, not a file."""
    return path.resolve().parent.name == "municipality_params"


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
        if not path.is_file():
            raise ShnorError(f"Файл параметров не найден: {path}", f"Params file not found: {path}")
        user = read_yaml(path)
        if user is None:
            user = {}
        if not isinstance(user, dict):
            raise ShnorError(
                f"Файл параметров {path} должен содержать раздел ключ: значение",
                f"Params file {path} must be a mapping of key: value",
            )
        if root is None:
            root = path.resolve().parent.parent if path.resolve().parent.name == "params" else None
    base = Path(root) if root is not None else Path.cwd()
    problems: list[Problem] = []
    from_file: frozenset[str] = frozenset()
    if path is not None and not _written_by_shnor(path):
        report_section = user.get("report")
        if isinstance(report_section, dict) and "notebook" in report_section:
            problems += notebook_problems(report_section["notebook"], source, base)
        if isinstance(user.get("paths"), dict):
            overridden = (overrides or {}).get("paths")
            overridden = set(overridden) if isinstance(overridden, dict) else set()
            from_file = frozenset(set(user["paths"]) - overridden)
    if overrides:
        user = _merge(user, overrides)
    if path is not None and "municipality" not in user:
        problems.append(
            Problem(
                source,
                "идентификатор муниципалитета (municipality: …) — имя папки в data/raw",
                "the municipality id (municipality: …), the folder name under data/raw",
                column="municipality",
                column_label=_KEY,
            )
        )
    problems += validate(user, source)
    # the rules below compare values: a key already refused takes its default there, so a
    # section given as a string or a number given as text is a message, not a crash
    merged = _merge(defaults, _without(user, {p.column for p in problems if p.column}))
    problems.extend(_cross_checks(merged, source))
    problems.extend(_safety_checks(merged, source, base, from_file))
    if path is not None and not _written_by_shnor(path) and not problems:
        problems.extend(_data_notebook_problems(merged, source, base))
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
