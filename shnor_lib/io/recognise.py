"""Which file is what: every file under ``data/raw/<m>/`` is previewed once and handed to the
first registered layout that recognises it.

The registry is filled by importing the layout modules listed in :data:`LAYOUT_MODULES`
(a module registers its layouts at import). To add a layout, write ``shnor_lib/io/<x>.py``
calling :func:`shnor_lib.io.layouts.register` and add ONE line to :data:`LAYOUT_MODULES`.
Order matters only among the specific layouts; the contract layout (plain ``vpr.csv``,
``schools.xlsx``… or a file whose header row is a contract table's) is always tried last.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from shnor_lib.errors import ShnorError
from shnor_lib.io.layouts import LAYOUTS, Extract, Layout, Preview, ReadProblem, preview

# One line per layout module; the contract fallback is moved to the end whatever its place.
LAYOUT_MODULES: tuple[str, ...] = (
    "shnor_lib.io.fisoko",  # ФИС ОКО Ф1 «Индивидуальные результаты», «Форма сбора результатов»
    "shnor_lib.io.contract",  # fallback: contract tables by file name or header row
)
FALLBACK = "contract"

# Sub-folders read by other stages, not by ingest (support forms: `support.FORMS_SUBDIR`).
OTHER_STAGE_DIRS = {"forms": "формы мониторинга (читает этап поддержки ШНОР)"}
SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")


@dataclass
class Recognised:
    """One file found under the raw folder and what became of it."""

    path: Path
    rel: str  # path relative to the project root, as messages show it
    layout: Layout | None = None
    extracts: list[Extract] = field(default_factory=list)
    set_aside: str | None = None  # Russian reason the file is not read
    error: str | None = None  # recognised, but the layout failed to read it (a problem)
    problem: ReadProblem | None = None  # recognised, but not as the layout expects it
    sha256: str | None = None  # computed once, when a source is recorded
    skipped: bool = False  # an auxiliary file (README, _mapping.csv…): listed, not a warning


def layouts() -> list[Layout]:
    """The registered layouts, every module of :data:`LAYOUT_MODULES` imported, fallback last."""
    for module in LAYOUT_MODULES:
        importlib.import_module(module)
    specific = [lay for lay in LAYOUTS if lay.name != FALLBACK]
    return specific + [lay for lay in LAYOUTS if lay.name == FALLBACK]


def _skip_reason(path: Path, raw_dir: Path) -> str | None:
    """Why a file found under the raw folder is not data (None: it is a candidate)."""
    parts = path.relative_to(raw_dir).parts
    if any(p.startswith(".") for p in parts):
        return "скрытый файл"
    name = path.name
    if name.startswith("~$"):
        return "временный файл Excel (файл открыт в Excel)"
    if name.lower().startswith("readme"):
        return "описание папки (README)"
    if name.startswith("_"):
        return "служебный файл (имя начинается с «_»)"
    if len(parts) > 1 and parts[0] in OTHER_STAGE_DIRS:
        return OTHER_STAGE_DIRS[parts[0]]
    return None


def walk(raw_dir: Path) -> list[Path]:
    """Every file under ``raw_dir`` (sub-folders included), in a stable order."""
    return sorted((p for p in raw_dir.rglob("*") if p.is_file()), key=lambda p: p.as_posix())


def recognise(path: Path, rel: str, candidates: list[Layout] | None = None) -> Recognised:
    """Preview ``path`` once; the first layout whose ``sniff`` says yes reads it."""
    found = Recognised(path, rel)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        found.set_aside = (
            f"формат «{path.suffix or 'без расширения'}» не читается (ожидались .csv, .xlsx, .xls)"
        )
        return found
    view: Preview = preview(path)
    if view.error:
        found.set_aside = f"файл не удалось открыть: {view.error}"
        return found
    for layout in candidates if candidates is not None else layouts():
        if layout.sniff(view):
            found.layout = layout
            try:
                found.extracts = layout.read(view)
            except ReadProblem as exc:
                found.problem = exc
            except ShnorError:
                raise
            except Exception as exc:  # a layout's bug or a broken file: named, never a traceback
                found.error = f"{type(exc).__name__}: {exc}"
            return found
    found.set_aside = _unrecognised_reason(view)
    return found


def _unrecognised_reason(view: Preview) -> str:
    from shnor_lib.io.contract import split_line

    first = ""
    for sheet, rows in view.sheets.items():
        for row in rows:
            cells = [c for c in (split_line(row[0]) if sheet == "" else row) if c]
            if cells:
                first = " | ".join(cells[:6])
                break
        if first:
            break
    shown = first if len(first) <= 80 else first[:77] + "…"
    return (
        "не похож ни на одну известную выгрузку и ни на таблицу контракта"
        + (f" (первая строка: «{shown}»)" if shown else " (файл пуст)")
        + "; см. docs/layouts.md"
    )


def scan(raw_dir: Path, rel_of) -> list[Recognised]:
    """Every file of the raw folder recognised (or set aside / skipped with the reason)."""
    candidates = layouts()
    out: list[Recognised] = []
    for path in walk(raw_dir):
        reason = _skip_reason(path, raw_dir)
        if reason is not None:
            out.append(Recognised(path, rel_of(path), set_aside=reason, skipped=True))
            continue
        out.append(recognise(path, rel_of(path), candidates))
    return out
