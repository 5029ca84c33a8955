"""User-facing errors: every problem names file, row, column, value and expectation.

Messages are bilingual (Russian first, English second) because the users are Russian
analysts while the code and logs are English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input (a file, a params key, a form cell)."""

    file: str
    expected_ru: str
    expected_en: str
    row: int | None = None  # 1-based row as the user sees it in the file (header = row 1)
    column: str | None = None
    value: object = None
    column_label: tuple[str, str] = ("столбец", "column")  # ("параметр", "key") for params

    def format(self) -> str:
        where_ru = [f"файл {self.file}"]
        where_en = [f"file {self.file}"]
        if self.row is not None:
            where_ru.append(f"строка {self.row}")
            where_en.append(f"row {self.row}")
        if self.column is not None:
            where_ru.append(f"{self.column_label[0]} «{self.column}»")
            where_en.append(f"{self.column_label[1]} '{self.column}'")
        val = ""
        if self.value is not None:
            shown = str(self.value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            val = f": значение «{shown}»"
            val_en = f": value '{shown}'"
        else:
            val_en = ""
        return (
            f"{', '.join(where_ru)}{val} — ожидалось: {self.expected_ru}\n"
            f"    ({', '.join(where_en)}{val_en} — expected: {self.expected_en})"
        )


class ShnorError(Exception):
    """An error the user can fix; the CLI prints it without a traceback and exits non-zero."""

    def __init__(self, message_ru: str, message_en: str = "") -> None:
        self.message_ru = message_ru
        self.message_en = message_en
        super().__init__(self.format())

    def format(self) -> str:
        if self.message_en:
            return f"{self.message_ru}\n    ({self.message_en})"
        return self.message_ru


class ValidationError(ShnorError):
    """A collection of problems, reported together so the user fixes them in one pass."""

    def __init__(self, problems: Iterable[Problem], max_shown: int = 200) -> None:
        self.problems = list(problems)
        self.max_shown = max_shown
        n = len(self.problems)
        super().__init__(
            f"Найдено проблем во входных данных: {n}",
            f"{n} problem(s) found in the input",
        )

    def format(self) -> str:
        n = len(self.problems)
        lines = [
            f"Найдено проблем во входных данных: {n} (problems found in the input: {n})",
        ]
        for p in self.problems[: self.max_shown]:
            lines.append("- " + p.format())
        if n > self.max_shown:
            rest = n - self.max_shown
            lines.append(f"… и ещё {rest} (and {rest} more)")
        return "\n".join(lines)
