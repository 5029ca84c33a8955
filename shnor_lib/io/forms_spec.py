"""The monitoring forms of seed 001 as data: blocks, indicators and columns from
``data/forms.yml``, shared by the writer, the reader and the M7 scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd
import yaml

from shnor_lib import DATA_DIR

INSTRUCTIONS_SHEET = "Инструкция"


FORMS_SUBDIR = "forms"  # data/raw/<m>/forms/: the filled forms, read by ingest


LISTS_SHEET = "Списки"  # hidden sheet: the municipality's schools for the drop-down (label, id)


BLOCKS = ("help", "mnc", "mtkp", "roadmap")


SCORED_BLOCKS = ("mnc", "mtkp")


# Sheet layout (1-based rows / columns)
HELP_HEADER_ROW = 2


UNITS_CODE_ROW = 4


EVENTS_CODE_ROW = 3


YEAR_LABEL = "Отчётный год"


COMMENT_ID = "comment"


EXCEL_DATE_MIN = 36526  # 01.01.2000 as an Excel serial date


EXCEL_DATE_MAX = 73415  # 31.12.2100


BLOCK_NAMES_RU = {
    "help": "Методическая помощь",
    "mnc": "МНЦ",
    "mtkp": "МТКП",
    "roadmap": "Дорожная карта",
}


# ---------------------------------------------------------------------------- definitions
@dataclass(frozen=True)
class Item:
    id: str
    block: str
    num: str  # as shown in the form: "8" (help) or "3.2" (МНЦ/МТКП)
    kind: str  # presence | count
    text_ru: str
    indicator: int | None = None
    unit_ru: str = ""


@dataclass(frozen=True)
class Indicator:
    block: str
    num: int
    title_ru: str
    items: tuple[Item, ...]
    seed_max: int | None

    @property
    def id(self) -> str:
        return f"{self.block}_{self.num}"

    @property
    def max_score(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Column:
    """A column of a units or events sheet (keys, items, roadmap fields)."""

    id: str
    label_ru: str
    kind: str  # key | presence | id | text | choice | date | comment
    required: bool = True
    hint_ru: str = ""
    choices: tuple[str, ...] = ()
    width: float = 14
    item: Item | None = None


@dataclass(frozen=True)
class Block:
    key: str
    file: str
    sheet: str
    title_ru: str
    short_ru: str
    layout: str  # items | units | events
    file_tokens: tuple[str, ...]
    items: tuple[Item, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    keys: tuple[Column, ...] = ()
    columns: tuple[Column, ...] = ()  # units: keys + items + comment; events: fields
    unit_ru: str = ""

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.keys)

    @property
    def max_total(self) -> int:
        return sum(i.max_score for i in self.indicators)


_FILE_TOKENS = {
    "help": ("metod", "method", "help", "помощ", "form1"),
    "mnc": ("mnc", "мнц", "form2"),
    "mtkp": ("mtkp", "мткп", "form3"),
    "roadmap": ("roadmap", "дорожн", "form4"),
}


@lru_cache(maxsize=1)
def _raw_forms() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((DATA_DIR / "forms.yml").read_text("utf-8"), Loader=loader)


@lru_cache(maxsize=1)
def load_forms() -> dict[str, Block]:
    """The four blocks of seed 001 as defined in ``shnor_lib/data/forms.yml``."""
    raw = _raw_forms()
    out: dict[str, Block] = {}
    for key, b in raw["blocks"].items():
        common = dict(
            key=key,
            file=b["file"],
            sheet=b["sheet"],
            title_ru=b["title_ru"],
            short_ru=b["short_ru"],
            layout=b["layout"],
            file_tokens=_FILE_TOKENS[key],
            unit_ru=b.get("unit_ru", ""),
        )
        if b["layout"] == "items":
            items = tuple(
                Item(
                    id=i["id"],
                    block=key,
                    num=str(i["num"]),
                    kind=i["kind"],
                    text_ru=i["text_ru"],
                    unit_ru=i.get("unit_ru", ""),
                )
                for i in b["items"]
            )
            out[key] = Block(**common, items=items)
        elif b["layout"] == "units":
            indicators = []
            for ind in b["indicators"]:
                items = tuple(
                    Item(
                        id=i["id"],
                        block=key,
                        num=f"{ind['num']}.{k + 1}" if len(ind["items"]) > 1 else str(ind["num"]),
                        kind="presence",
                        text_ru=i["text_ru"],
                        indicator=int(ind["num"]),
                    )
                    for k, i in enumerate(ind["items"])
                )
                indicators.append(
                    Indicator(key, int(ind["num"]), ind["title_ru"], items, ind.get("seed_max"))
                )
            keys = tuple(
                Column(k["id"], k["label_ru"], "key", True, k.get("hint_ru", ""), width=16)
                for k in b["keys"]
            )
            items = tuple(it for ind in indicators for it in ind.items)
            columns = (
                *keys,
                *(
                    Column(it.id, f"{it.num}. {it.text_ru}", "presence", True, item=it, width=22)
                    for it in items
                ),
                Column(COMMENT_ID, "Примечание", "comment", False, width=30),
            )
            out[key] = Block(
                **common, items=items, indicators=tuple(indicators), keys=keys, columns=columns
            )
        else:
            columns = tuple(
                Column(
                    c["id"],
                    c["label_ru"],
                    c["kind"],
                    bool(c.get("required", False)),
                    choices=tuple(c.get("choices", ())),
                    width=float(c.get("width", 14)),
                )
                for c in b["columns"]
            )
            out[key] = Block(**common, columns=columns)
    missing = set(BLOCKS) - set(out)
    if missing:
        raise RuntimeError(f"forms.yml lacks blocks {sorted(missing)}")
    return out


@dataclass
class FormsData:
    """The filled forms as ingest parsed and validated them (:func:`shnor_lib.io.forms_read.
    read_forms`); their rows stay in memory and are never published (only the M7 scores are)."""

    help: pd.DataFrame | None = None  # item_id, kind, value
    mnc: pd.DataFrame | None = None  # keys + item ids (0/1), _file, _row
    mtkp: pd.DataFrame | None = None
    roadmap: pd.DataFrame | None = None  # the roadmap table contract
    files: dict[str, list[str]] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def get(self, key: str) -> pd.DataFrame | None:
        return getattr(self, key)


def school_labels(names: Mapping[str, Any]) -> dict[str, str]:
    """The drop-down label of each school (school_id → label), in label order.

    The label is the school's name; a blank name gives the code, and a name shared by two
    schools gets its code appended («СОШ № 1 (код 0102)»), so every label maps back to one
    school_id."""
    base = {}
    for sid, name in names.items():
        text = "" if name is None or (isinstance(name, float) and name != name) else str(name)
        base[str(sid)] = " ".join(text.split()) or str(sid)
    seen: dict[str, int] = {}
    for label in base.values():
        seen[label.casefold()] = seen.get(label.casefold(), 0) + 1
    out = {
        sid: (f"{label} (код {sid})" if seen[label.casefold()] > 1 else label)
        for sid, label in base.items()
    }
    return dict(sorted(out.items(), key=lambda kv: (kv[1].casefold(), kv[0])))


def range_notes() -> list[str]:
    """Russian notes where the seed's printed range differs from the number of sub-items."""
    notes = []
    for key in SCORED_BLOCKS:
        block = load_forms()[key]
        for ind in block.indicators:
            if ind.seed_max is None:
                notes.append(
                    f"{block.short_ru}, показатель {ind.num} «{ind.title_ru}»: диапазон балла в "
                    f"форме не указан; балл — от 0 до {ind.max_score} "
                    f"(подпунктов: {ind.max_score})."
                )
            elif ind.seed_max != ind.max_score:
                notes.append(
                    f"{block.short_ru}, показатель {ind.num} «{ind.title_ru}»: в форме указан "
                    f"диапазон «от 0 до {ind.seed_max}», но подпунктов {ind.max_score}; балл "
                    f"считается от 0 до {ind.max_score} (опечатка формы исправлена)."
                )
    return notes
