"""Regenerate the «Таблицы и столбцы» section of docs/data_contract.md from shnor_lib.io.schema.

Run from the project root: ``python -m shnor_lib.devtools.docgen`` (the test of docs/ says when)."""

from __future__ import annotations

import sys
from pathlib import Path

from shnor_lib.io import schema

KIND_RU = {
    "id": "код (текст)",
    "int": "целое",
    "float": "число",
    "year": "год",
    "bool": "0/1",
    "bool01": "0/1",
    "str": "текст",
    "date": "дата",
    "subject": "предмет",
    "exam": "экзамен",
}
START, END = "## Таблицы и столбцы\n", "\n## Выходные таблицы"
HEADER = (
    "| столбец | тип | обяз. | допустимые значения "
    "| заголовки-синонимы (регистр, пробелы, точки и «ё» не важны) |\n|---|---|---|---|---|\n"
)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v).replace(".", ",")


def _range(col: schema.Column) -> str:
    if col.choices:
        return ", ".join(col.choices)
    if col.lo is None and col.hi is None:
        return ""
    lo = _num(col.lo) if col.lo is not None else ""
    hi = _num(col.hi) if col.hi is not None else ""
    return f"{lo}…{hi}"


def table_section(table: schema.Table) -> str:
    """One table of the contract as Markdown: heading, key, notes and the column table."""
    need = "обязательная" if table.required else "необязательная"
    key = ", ".join(f"`{k}`" for k in table.key)
    lines = [f"### `{table.name}` — {table.title_ru}", ""]
    lines.append(
        f"Таблица {need}"
        + (f"; одна строка на ключ {key} (повтор ключа — ошибка)." if key else ".")
    )
    if table.extra_counts:
        lines.append(
            "Кроме перечисленных, допускаются любые столбцы-счётчики (целые ≥ 0): пары "
            "«числитель / знаменатель» показателей-долей из `docs/indicators.md`."
        )
    lines.append("")
    rows = [
        f"| `{c.name}` | {KIND_RU.get(c.kind, c.kind)} | {'да' if c.required else ''} "
        f"| {_range(c)} | {'; '.join(f'«{a}»' for a in c.aliases)} |"
        for c in table.columns
    ]
    return "\n".join(lines) + "\n" + HEADER + "\n".join(rows) + "\n"


def contract_tables() -> str:
    """The whole «Таблицы и столбцы» section, every table of :data:`schema.TABLES` in order."""
    return START + "\n" + "\n".join(table_section(t) for t in schema.TABLES.values())


def rewrite(path: Path) -> bool:
    """Replace the section in ``path``; True when the file changed."""
    text = path.read_text("utf-8")
    head, rest = text.split(START, 1)
    tail = rest[rest.index(END) :]
    new = head + contract_tables() + tail
    if new != text:
        path.write_text(new, "utf-8")
    return new != text


if __name__ == "__main__":
    doc = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/data_contract.md")
    print(("обновлён: " if rewrite(doc) else "без изменений: ") + str(doc))
