"""Which file is what: every file under ``data/raw/<m>/`` is previewed once and handed to the
first registered layout that recognises it.

The registry is filled by importing the layout modules listed in :data:`LAYOUT_MODULES`
(a module registers its layouts at import). To add a layout, write ``shnor_lib/io/<x>.py``
calling :func:`shnor_lib.io.layouts.register` and add ONE line to :data:`LAYOUT_MODULES`.
Order matters only among the specific layouts; the contract layout (plain ``vpr.csv``,
``schools.xlsx``… or a file whose header row is a contract table's) is always tried last.
"""

from __future__ import annotations

import html
import importlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from shnor_lib.errors import ShnorError
from shnor_lib.io.layouts import LAYOUTS, Extract, Layout, Preview, ReadProblem, preview

# One line per layout module; the contract fallback is moved to the end whatever its place.
LAYOUT_MODULES: tuple[str, ...] = (
    "shnor_lib.io.fisoko",  # ФИС ОКО Ф1 «Индивидуальные результаты», «Форма сбора результатов»
    "shnor_lib.io.fioko",  # ФИОКО: перечень ОО с признаками необъективности (широкая таблица)
    "shnor_lib.io.fisoko_stats",  # Ф3 «Статистика по отметкам», сравнение с журналом
    "shnor_lib.io.rcoi",  # РЦОИ «Протокол проверки результатов» (ОГЭ/ЕГЭ), .xls/.xlsx
    "shnor_lib.io.rbd",  # выгрузка РБД ГИА (SchoolCode;…;PrimaryMark;Mark5)
    "shnor_lib.io.contract",  # fallback: contract tables by file name or header row
)
FALLBACK = "contract"

# Sub-folders not recognised file by file: the monitoring forms (read and validated by ingest
# through io/forms_read.py, `forms_spec.FORMS_SUBDIR`) and the user's scales.
OTHER_STAGE_DIRS = {
    "forms": "формы мониторинга (проверяются как формы: лист, ячейка, пункт)",
    "scales": "шкалы отметок пользователя (читает справочник: reference.vpr_scales)",
}
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
            uncached = uncached_formulas(path)
            if uncached:
                found.problem = _formula_problem(uncached)
                return found
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


def uncached_formulas(path: Path, limit: int = 5) -> list[str]:
    """Cells («Лист!B2») holding a formula whose value the file does not store: written by a
    program that does not calculate (a script, some converters), they read as empty."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return []
    try:
        with zipfile.ZipFile(path) as z:
            names = _sheet_files(z)
            found: list[str] = []
            for target, sheet in names.items():
                try:
                    data = z.read(target)
                except KeyError:
                    continue
                if b"<f" not in data:
                    continue
                for m in re.finditer(rb"<c ([^>]*?)(?:/>|>(.*?)</c>)", data, re.S):
                    inner = m[2] or b""
                    if b"<f" in inner and not re.search(rb"<v>[^<]", inner):
                        ref = re.search(rb'r="([A-Z]+[0-9]+)"', m[1])
                        found.append(f"{sheet}!{ref[1].decode() if ref else '?'}")
                        if len(found) >= limit:
                            return found
            return found
    except (zipfile.BadZipFile, OSError):
        return []


def _sheet_files(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part → sheet name, from the workbook and its relationships."""
    try:
        book = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
        rid = re.search(rb'\bId="([^"]+)"', rel[0])
        target = re.search(rb'\bTarget="([^"]+)"', rel[0])
        if rid and target:
            t = target[1].decode().lstrip("/")
            targets[rid[1].decode()] = t if t.startswith("xl/") else "xl/" + t
    out = {}
    for sheet in re.finditer(rb"<sheet\b[^>]*>", book):
        name = re.search(rb'\bname="([^"]*)"', sheet[0])
        rid = re.search(rb'\br:id="([^"]+)"', sheet[0])
        if name and rid and rid[1].decode() in targets:
            out[targets[rid[1].decode()]] = html.unescape(name[1].decode("utf-8"))
    return out


def _formula_problem(cells: list[str]) -> ReadProblem:
    shown = ", ".join(cells)
    return ReadProblem(
        f"значения формул сохранены в файле; в ячейках {shown}… формулы без сохранённых "
        "значений (файл записан программой, которая не пересчитывает формулы) — откройте и "
        "сохраните файл в Excel",
        f"formula values stored in the file; cells {shown} hold formulas without cached "
        "values — open and save the file in Excel",
    )


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


# ---------------------------------------------------------------------------- inspect


def _values(extract: Extract, column: str) -> list[str]:
    """Distinct values of a contract column in an extract (meta first, else the frame)."""
    if column in extract.meta:
        return [str(extract.meta[column])]
    from shnor_lib.io import schema

    table = schema.TABLES.get(extract.table)
    if table is None:
        return []
    hmap = schema.header_map(table)
    for header in extract.frame.columns:
        name = extract.columns.get(header) or hmap.get(schema.norm_key(header))
        if name == column:
            vals = extract.frame[header].dropna().map(_short).unique().tolist()
            return sorted(vals)
    return []


def _short(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _span(values: list[str], limit: int = 4) -> str:
    if len(values) <= limit:
        return ", ".join(values)
    return ", ".join(values[:limit]) + f" … (всего {len(values)})"


def describe_extract(extract: Extract) -> str:
    """«vpr: 2026, Русский язык, 4 класс, строк 21 (…)» for `shnor inspect`."""
    parts = [extract.table]
    years = _values(extract, "year")
    subjects = _values(extract, "subject")
    grades = _values(extract, "grade")
    details = []
    if years:
        details.append("год " + _span(years))
    if subjects:
        details.append("предмет " + _span(subjects))
    if grades:
        details.append("класс " + _span(grades))
    details.append(f"строк {len(extract.frame)}")
    text = parts[0] + ": " + ", ".join(details)
    if extract.sheet:
        text += f"; лист «{extract.sheet}»"
    if extract.meta.get("recognised_by"):
        text += f"; распознан по {extract.meta['recognised_by']}"
    if extract.meta.get("source"):
        text += f"; год, предмет и класс — из {extract.meta['source']}"
    return text


def inspect_lines(found: list[Recognised], raw_dir_label: str) -> list[str]:
    """What `shnor inspect` prints: every file, what it was read as, what was set aside."""
    from shnor_lib.io import schema

    read = [r for r in found if r.extracts or r.problem or r.error]
    aside = [r for r in found if r.set_aside is not None and not r.skipped]
    skipped = [r for r in found if r.skipped]
    lines = [f"Папка исходных данных: {raw_dir_label} — файлов: {len(found)}", ""]
    lines.append(f"Распознаны ({len(read)}):")
    for r in read:
        title = r.layout.title_ru if r.layout else "?"
        lines.append(f"  {r.rel}")
        lines.append(f"    как: {title}")
        if r.problem is not None:
            lines.append(f"    ОШИБКА: {r.problem.ru}")
        if r.error is not None:
            lines.append(f"    ОШИБКА чтения: {r.error}")
        for e in r.extracts:
            lines.append(f"    → {describe_extract(e)}")
            lines.extend(f"      примечание: {note}" for note in e.notes)
    if not read:
        lines.append("  (нет)")
    lines.append("")
    lines.append(f"Отложены и не используются ({len(aside)}):")
    lines.extend(f"  {r.rel} — {r.set_aside}" for r in aside)
    if not aside:
        lines.append("  (нет)")
    if skipped:
        lines.append("")
        lines.append(f"Пропущены как служебные ({len(skipped)}):")
        lines.extend(f"  {r.rel} — {r.set_aside}" for r in skipped)
    tables = {e.table for r in found for e in r.extracts}
    missing = [n for n, t in schema.TABLES.items() if t.required and n not in tables]
    lines.append("")
    lines.append(
        "Таблицы найдены: " + (", ".join(n for n in schema.TABLES if n in tables) or "нет")
    )
    if missing:
        lines.append(
            "Не найдены обязательные таблицы: "
            + ", ".join(f"{n} ({schema.TABLES[n].title_ru})" for n in missing)
            + " — см. docs/layouts.md"
        )
    return lines
