"""One type for everything a stage has to tell the reader besides its tables.

A :class:`Note` replaces the tuples, prefixed strings, note columns and manifest warnings the
stages used to return. Every note of a run is written to ``results.json`` (``notes``), in
stage order; the report picks them by stage, level and table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

Level = Literal["info", "warning"]
LEVELS: tuple[str, ...] = ("info", "warning")


@dataclass(frozen=True)
class Note:
    """A Russian sentence from a stage.

    ``level``: ``warning`` — a data-quality problem the reader must know about; ``info`` —
    how the method went (choices made, what was left out). ``table``: the published table the
    note belongs to, when the report shows it with that table (``None``: a general note, listed
    with the data-quality warnings when it is a warning). ``school_id``: the school concerned,
    if any."""

    stage: str
    level: Level
    text_ru: str
    table: str | None = None
    school_id: str | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"Note.level must be one of {LEVELS}, not {self.level!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Note:
        return cls(**{k: d.get(k) for k in ("stage", "level", "text_ru", "table", "school_id")})


def select(
    notes: Iterable[Note],
    *,
    stage: str | None = None,
    level: str | None = None,
    table: str | None | type[Ellipsis] = ...,
) -> list[Note]:
    """The notes of ``stage`` / ``level`` / ``table`` (``table=None``: only general notes;
    left out: any table), in their order."""
    return [
        n
        for n in notes
        if (stage is None or n.stage == stage)
        and (level is None or n.level == level)
        and (table is ... or n.table == table)
    ]
