"""Optional tables whose empty form is a fact, not a broken file (issue 18, item 1).

Most municipalities have no school on the Rosobrnadzor list; a year may pass without a
diagnostic of teachers. A file with only its header (or an empty sheet, an empty file) of
such a table is read as an empty table, and the report says what it means. For the other
tables an empty file stays an error: an empty list of schools or ВПР results is a broken
export, not a fact.

Decisions, table by table (also in ``docs/data_contract_empty.md``):

==============  =========================================================================
rosobrnadzor    empty = «в перечне Рособрнадзора нет ОО муниципалитета»: no school is
                excluded by the federal list; the objectivity section says so.
roadmap         empty = «в дорожной карте нет мероприятий»: completeness and timeliness
                have no events to count (shown as «нет данных»), nothing is overdue.
teachers        empty = «диагностика педагогов в эти годы не проводилась»: the teachers
                section has no A–D distribution; no zero is invented.
school_stats    empty = «статистика ОО не представлена»: the share indicators of the
                statistics block are not computed (as when the file is absent).
schools,        empty = error: a report cannot be built without schools, their context
context, vpr,   or results; the export is broken.
gia
==============  =========================================================================
"""

from __future__ import annotations

import pandas as pd

EMPTY_MEANS: dict[str, tuple[str, str]] = {
    "rosobrnadzor": (
        "в перечне Рособрнадзора нет ОО муниципалитета (файл без строк данных)",
        "no school of the municipality is on the Rosobrnadzor list",
    ),
    "roadmap": (
        "в дорожной карте нет мероприятий (файл без строк данных): выполнение и "
        "своевременность не рассчитываются, просроченных мероприятий нет",
        "the roadmap has no events",
    ),
    "teachers": (
        "диагностика педагогов не проводилась (файл без строк данных): распределение по "
        "уровням A–D не строится",
        "no teacher diagnostics in these years",
    ),
    "school_stats": (
        "статистика ОО не представлена (файл без строк данных): показатели-доли из неё не "
        "рассчитываются",
        "no school statistics: its share indicators are not computed",
    ),
}


def empty_table(table, frame: pd.DataFrame, out, warnings: list[str]) -> pd.DataFrame | None:
    """The parsed form of a file without data rows: an empty table with the contract's
    columns when emptiness means something for ``table``, else an error in ``out``."""
    from shnor_lib.io import schema
    from shnor_lib.io.ingest import _parse_column

    meaning = EMPTY_MEANS.get(table.name)
    if meaning is None:
        out.add(
            "непустая таблица с заголовком и хотя бы одной строкой данных",
            "a non-empty table with a header and at least one data row",
        )
        return None
    if len(frame.columns):  # a header without rows: it must still be this table's header
        hmap = schema.header_map(table)
        found = {hmap.get(schema.norm_key(h)) for h in frame.columns} - {None}
        missing = [c.name for c in table.columns if c.required and c.name not in found]
        if missing:
            out.add(
                f"заголовок таблицы «{table.name}» ({table.title_ru}): нет столбцов "
                + ", ".join(f"«{m}»" for m in missing),
                f"the header of '{table.name}': missing " + ", ".join(missing),
                row=1,
            )
            return None
    rows = pd.Series([], dtype="int64")
    data = {c.name: _parse_column(c, pd.Series([], dtype=object), rows, out) for c in table.columns}
    parsed = pd.DataFrame(data)
    parsed["_row"] = rows
    parsed["_file"] = pd.Series([], dtype=object)
    warnings.append(f"{out.file}: {meaning[0]} ({meaning[1]})")
    return parsed
