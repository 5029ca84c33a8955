"""Report cells for «Педагогические кадры», «Методическая помощь, МНЦ и МТКП» and
«Дорожная карта» (METHODS.md M6, M7).

Same tuple format as tools/make_report_notebook.py: (kind, source[, tags]). The cells
assume `res` (pipeline.Results), `params` and `display` exist; the first cell imports
`views_support` and is removed from the HTML. Every view copes with a missing table (the
section then says «нет данных»). Insert after the ИОР/ШНОР sections:

    from cells_support import CELLS as SUPPORT_CELLS   # tools/ is on sys.path when run as a script
    CELLS = [..., *SUPPORT_CELLS, ...]

Tables read from `res.tables`: teachers_by_school, teachers_distribution, support,
roadmap_overdue, support_notes (optional), schools (names).
"""

from __future__ import annotations

MD, CODE = "markdown", "code"

_NOTES = 'display.notes(views_support.notes(res, "{section}"))'

CELLS: list[tuple[str, str] | tuple[str, str, list[str]]] = [
    (CODE, "from shnor_lib import views_support", ["remove-cell"]),
    # --- teachers (M6)
    (
        MD,
        "## Педагогические кадры\n\n"
        "Уровень профессиональных дефицитов педагога определяется по результатам экспертной и "
        "тестовой оценки предметной компетенции: A — системные дефициты, требующие устранения; "
        "B — локальные дефициты, рекомендуемые к устранению; C — несущественные (скрытые) "
        "дефициты; D — дефицитов нет. Показаны только сведения по ОО и муниципалитету в целом; "
        "данные отдельных педагогов в отчёт не выводятся.",
    ),
    (CODE, _NOTES.format(section="teachers")),
    (
        CODE,
        'display.table(views_support.teachers_distribution(res), caption=f"Распределение '
        "педагогов по уровням дефицитов (A–D), {params.year} г.: число педагогов и доля от "
        'имеющих оценку", sortable=True)',
    ),
    (CODE, "views_support.teachers_levels_chart(res)"),
    (
        CODE,
        'display.table(views_support.teachers_shares(res), caption="Доли педагогов в '
        'муниципалитете с 95-процентными доверительными интервалами (C2, A37–A40)")',
    ),
    (
        CODE,
        'display.table(views_support.teachers_shares_by_school(res), caption=f"Доли педагогов '
        'по ОО, {params.year} г., % [95 % ДИ]", sortable=True)',
    ),
    # --- methodical help, МНЦ, МТКП (M7)
    (
        MD,
        "## Методическая помощь, МНЦ и МТКП\n\n"
        "Данные — заполненные формы мониторинга результативности системы методической помощи "
        "ШНОР: идентификация потребности и организация методической помощи (наличие — 1, "
        "отсутствие — 0, и количественные показатели), эффективность муниципального "
        "наставнического центра (МНЦ) и муниципального тьюторского консультационного пункта "
        "(МТКП). Балл по показателю МНЦ и МТКП — сумма его подпунктов; средний балл — по всем "
        "оценённым наставникам и тьюторам, также в процентах от максимума.",
    ),
    (CODE, _NOTES.format(section="support")),
    (
        CODE,
        'display.table(views_support.help_table(res), caption="Идентификация потребности, '
        'планирование и организация методической помощи")',
    ),
    (CODE, "views_support.scores_chart(res)"),
    (
        CODE,
        'display.table(views_support.scores_table(res, "mnc"), caption="Эффективность работы '
        'муниципального наставнического центра (МНЦ): средний балл по показателю")',
    ),
    (
        CODE,
        'display.table(views_support.subitems_table(res, "mnc"), caption="МНЦ: доля '
        'оценённых управленческих команд, у которых подпункт отмечен («1»)", '
        'formats={"Доля единиц с «1», %": "percent:0"})',
    ),
    (
        CODE,
        'display.table(views_support.scores_table(res, "mtkp"), caption="Эффективность работы '
        'муниципального тьюторского консультационного пункта (МТКП): средний балл по показателю")',
    ),
    (
        CODE,
        'display.table(views_support.subitems_table(res, "mtkp"), caption="МТКП: доля '
        'оценённых педагогов, у которых подпункт отмечен («1»)", '
        'formats={"Доля единиц с «1», %": "percent:0"})',
    ),
    (
        CODE,
        'display.table(views_support.support_coverage(res), caption="Охват: число оценённых '
        'управленческих команд (МНЦ) и педагогов (МТКП) по ОО", sortable=True)',
    ),
    # --- roadmap (M7)
    (
        MD,
        "## Дорожная карта\n\n"
        "Выполнение дорожной карты (плана-графика) мероприятий по методическому сопровождению "
        "ШНОР на дату отчёта: полнота, своевременность и перечень просроченных мероприятий.",
    ),
    (CODE, _NOTES.format(section="roadmap")),
    (
        CODE,
        'display.table(views_support.roadmap_table(res), caption=f"Выполнение дорожной карты '
        'на {views_support.roadmap_report_date(res)}")',
    ),
    (
        CODE,
        'display.table(views_support.roadmap_overdue(res), caption="Просроченные мероприятия: '
        'срок истёк, отметки о выполнении нет", empty_text="просроченных мероприятий нет")',
    ),
    (
        CODE,
        'display.table(views_support.roadmap_done_late(res), caption="Мероприятия, выполненные '
        'с опозданием", empty_text="мероприятий, выполненных с опозданием, нет")',
    ),
]
