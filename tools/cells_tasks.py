"""Report cells for «Дефициты по заданиям» (methods/tasks.py) and for ВПР given only as
ФИС ОКО statistics (methods/vpr_counts.py).

Same tuple format as tools/make_report_notebook.py: (kind, source[, tags]). The cells
assume `res`, `params` and `display` exist. ``TOP``: the message after the key numbers (shown
only when ВПР came without pupil rows); ``NEED_F1``: the one-line note a section that needs
pupil rows carries; ``CELLS``: the section itself.
"""

from __future__ import annotations

MD, CODE = "markdown", "code"

IMPORT = (CODE, "from shnor_lib import views_tasks", ["remove-cell"])


def need_f1(what: str) -> tuple[str, str]:
    """The «нужны индивидуальные результаты (Ф1)» note of a section (nothing when pupil rows exist)."""
    return (CODE, f'display.notes(views_tasks.pupil_rows_notes(res, "{what}"))')


TOP = [IMPORT, (CODE, "display.notes(views_tasks.pupil_rows_notes(res))")]

CELLS: list[tuple[str, str] | tuple[str, str, list[str]]] = [
    IMPORT,
    (MD, "## Дефициты по заданиям"),
    (
        CODE,
        'display.note(views_tasks.tasks_intro(res), kind="info", title="Как выявляются дефициты.")',
    ),
    need_f1("Доля от максимума по заданиям и дефициты"),
    (
        CODE,
        'display.table(views_tasks.deficits_summary(res), caption=f"Оценённые задания ВПР {params.year} г.", '
        'empty_text="нет результатов по заданиям (файлы Ф1 или формы сбора результатов)")',
    ),
    (
        CODE,
        'display.table(views_tasks.deficits_table(res), caption=f"Задания с дефицитом, ВПР {params.year} г.", '
        'sortable=True, empty_text="дефицитов не выявлено или нет результатов по заданиям")',
    ),
    (MD, "### Статистика ВПР по отметкам (ФИС ОКО)"),
    (
        CODE,
        'display.table(views_tasks.vpr_stats_table(res), caption=f"Доли отметок ВПР {params.year} г. '
        'по «Статистике по отметкам» ФИС ОКО, 95 % ДИ", sortable=True, '
        'empty_text="сводная статистика ФИС ОКО не использовалась: результаты ВПР взяты по обучающимся")',
    ),
]
