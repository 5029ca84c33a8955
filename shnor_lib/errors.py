"""User-facing errors: every problem names file, row, column, value and expectation.

Messages are bilingual (Russian first, English second) because the users are Russian
analysts while the code and logs are English.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


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


# Environment errors --------------------------------------------------------------------
# What the operating system refused, named for the user: not a bug of the program and not
# a problem of the data. The CLI exits with EXIT_ENVIRONMENT (see docs/exit_codes.md).

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USER = 2  # bad data, bad params, bad command line (argparse's own code)
EXIT_ENVIRONMENT = 3
EXIT_SIGINT = 130  # 128 + SIGINT (Ctrl-C)
EXIT_SIGTERM = 143  # 128 + SIGTERM

_SPACE = ("освободите место на диске", "free some disk space")
_RIGHTS = ("дайте права на запись в эту папку", "make the folder writable")
_FILE = ("переименуйте или удалите этот файл", "rename or remove that file")
_LIMIT = (
    "снимите ограничение размера файла (ulimit -f) или квоту",
    "lift the file-size limit (ulimit -f) or quota",
)
_DISK = ("проверьте диск и систему", "check the disk and the system")
# errno → (cause in Russian, in English, what to do)
_ENV_CAUSES: dict[int, tuple[str, str, tuple[str, str]]] = {
    errno.ENOSPC: ("нет места на диске", "no space left on device", _SPACE),
    errno.EDQUOT: ("превышена дисковая квота", "disk quota exceeded", _SPACE),
    errno.EFBIG: ("превышен допустимый размер файла", "file size limit exceeded", _LIMIT),
    errno.EROFS: ("файловая система только для чтения", "read-only file system", _RIGHTS),
    errno.EACCES: ("нет прав на запись", "permission denied", _RIGHTS),
    errno.EPERM: ("нет прав на запись", "operation not permitted", _RIGHTS),
    errno.ENOTDIR: ("путь занят файлом", "a file is in the way of the folder", _FILE),
    errno.EEXIST: ("путь занят файлом", "a file is in the way of the folder", _FILE),
    errno.EIO: ("ошибка ввода-вывода диска", "input/output error", _DISK),
    errno.EMFILE: ("слишком много открытых файлов", "too many open files", _DISK),
    errno.ENFILE: ("слишком много открытых файлов", "too many open files", _DISK),
    errno.ENAMETOOLONG: ("слишком длинное имя файла", "file name too long", _DISK),
}


class EnvironmentProblem(ShnorError):
    """The operating system refused to write (disk full, no permission, a file in the way,
    a file-size limit): the user or the administrator fixes the machine, not the data."""

    def __init__(self, message_ru: str, message_en: str, *, errno_: int | None = None) -> None:
        self.errno = errno_
        super().__init__(message_ru, message_en)


def _errno_of(exc: BaseException) -> int | None:
    """The errno of an OS error, also when a library (pyarrow) only put it in the text."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code in _ENV_CAUSES:
        return code
    text = str(exc)
    for num in _ENV_CAUSES:
        if os.strerror(num) in text or f"[Errno {num}]" in text:
            return num
    return None


def _blocking_file(path: Path) -> Path | None:
    """The nearest ancestor of ``path`` (or itself) that exists and is not a folder."""
    for p in [path, *path.parents]:
        if p.exists() or p.is_symlink():
            return None if p.is_dir() else p
    return None


def environment_problem(exc: BaseException, folder: Path | None = None) -> BaseException:
    """``exc`` as an :class:`EnvironmentProblem` naming ``folder`` (the output being
    written) and the cause in Russian and English; ``exc`` itself when it is not an
    environment error (a bug keeps its traceback)."""
    if isinstance(exc, ShnorError):
        return exc
    code = _errno_of(exc)
    if code is None:
        return exc
    ru, en, (todo_ru, todo_en) = _ENV_CAUSES[code]
    where = Path(folder) if folder is not None else None
    filename = getattr(exc, "filename", None)
    detail = detail_en = ""
    if code in (errno.ENOTDIR, errno.EEXIST):
        blocker = _blocking_file(where or Path(filename or "."))
        if blocker is None and filename:
            blocker = _blocking_file(Path(filename))
        where = blocker or where
    elif where is None and filename:
        where = Path(filename)
    elif filename and str(filename) != str(where):
        detail, detail_en = f" (файл {filename})", f" (file {filename})"
    shown = str(where) if where is not None else "?"
    return EnvironmentProblem(
        f"Не удалось записать результаты — {ru}: {shown}{detail}. Предыдущие результаты "
        f"не изменены; {todo_ru} и запустите снова.",
        f"Could not write the outputs — {en}: {shown}{detail_en}. The previous outputs are "
        f"unchanged; {todo_en} and run again.",
        errno_=code,
    )
