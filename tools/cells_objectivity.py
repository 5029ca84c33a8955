"""Report cells for «Объективность результатов» (METHODS.md M5).

Same tuple format as tools/make_report_notebook.py: (kind, source[, tags]). The cells
assume `res` (pipeline.Results with the published tables objectivity,
objectivity_exclusions, objectivity_journal, objectivity_models, objectivity_funnel,
objectivity_effect and schools) and `params` exist and that `display` is imported; the first
cell imports `views_objectivity` and is removed from the HTML.

    from cells_objectivity import CELLS as OBJECTIVITY_CELLS
    CELLS = [..., *OBJECTIVITY_CELLS, ...]
"""

from __future__ import annotations

MD, CODE = "markdown", "code"

CELLS: list[tuple[str, str] | tuple[str, str, list[str]]] = [
    (CODE, "from shnor_lib import views_objectivity", ["remove-cell"]),
    (MD, "## Объективность результатов"),
    (
        CODE,
        'display.note(views_objectivity.intro_text(res), kind="info", title="Как проверяется объективность.")',
    ),
    (
        CODE,
        'display.key_numbers(views_objectivity.key_numbers(res), caption=f"ВПР {params.year} г.")',
    ),
    (
        CODE,
        'display.note(views_objectivity.plain_note(res), kind="warning", title="Что означает исключение для школы.")',
    ),
    (MD, "### Превышение над ожидаемым по независимым данным"),
    (
        CODE,
        "display.figure(views_objectivity.funnel_plot(res), "
        'alt="Воронкообразная диаграмма: для каждого класса и предмета ВПР отчётного года — доля отметок 4 и 5 '
        "относительно ожидаемой в зависимости от числа участников; линия средней доли по муниципалитету и "
        'контрольные границы сужаются с ростом числа участников; классы с выявленным завышением выделены", '
        'caption="Точка выше верхней границы — доля «4»–«5» значимо выше ожидаемой для этой школы. Чем больше '
        'участников, тем уже границы: у малых классов случайные колебания больше.")',
    ),
    (
        CODE,
        "display.figure(views_objectivity.excess_scatter(res), "
        'alt="Точечная диаграмма: наблюдаемая доля отметок 4 и 5 на ВПР против ожидаемой по ГИА и контексту; '
        'классы с выявленным завышением выделены", width="70%")',
    ),
    (
        CODE,
        'display.table(views_objectivity.summary_by_year(res), caption="Проверка по годам: единицы ВПР (ОО × класс × предмет)")',
    ),
    (
        CODE,
        "display.table(views_objectivity.exclusions_list(res), "
        'caption=f"Исключённые результаты ВПР {params.year} г.: превышение доли «4»–«5» над ожидаемой с 95 % ДИ", '
        'sortable=True, empty_text="исключений нет")',
    ),
    (
        CODE,
        "display.table(views_objectivity.flagged_not_excluded(res), "
        'caption="Другие признаки (не основание для исключения): средняя отметка выше ожидаемой, скопление на пороге «3»", '
        'sortable=True, empty_text="других признаков нет")',
    ),
    (MD, "### Как исключения меняют ИОР"),
    (
        CODE,
        "display.table(views_objectivity.effect_table(res), "
        'caption=f"ИОР {params.year} г. до и после исключения необъективных результатов (ОО, у которых изменились компоненты ИОР)", '
        'sortable=True, empty_text="исключения не затронули компоненты ИОР")',
    ),
    (MD, "### Подтверждение отметок в журнале"),
    (CODE, 'display.note(views_objectivity.journal_text(res), kind="info")'),
    (
        CODE,
        "display.table(views_objectivity.journal_municipal(res), "
        'caption=f"Отметки ВПР и отметки в журнале, муниципалитет, {params.year} г. (показатели A26–A36)")',
    ),
    (
        CODE,
        "journal_values, journal_status = views_objectivity.journal_schools(res)\n"
        'display.table(journal_values, caption=f"Показатели A26–A36 по ОО, {params.year} г. (цвет — статус цели)", '
        "cell_class=views_objectivity.status_cell_class(journal_status), sortable=True)",
    ),
    (MD, "### Скопление баллов на пороге отметки «3»"),
    (CODE, 'display.note(views_objectivity.heaping_note(res), kind="data", title="Как читать.")'),
    (
        CODE,
        "display.table(views_objectivity.heaping_table(res), "
        'caption=f"Скопление баллов ВПР на пороге «3», {params.year} г. (все классы и предметы ОО вместе)", sortable=True)',
    ),
    (MD, "### Модель ожидаемого результата"),
    (
        CODE,
        "display.table(views_objectivity.models_table(res), "
        'caption="Устойчивая регрессия (Huber) по годам, классам и предметам: оценённый разброс")',
    ),
]
