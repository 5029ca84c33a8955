"""Report cells for «Риски и кластеры», «Сетевое взаимодействие», «Адресные рекомендации».

Same tuple format as ``tools/make_report_notebook.py`` (kind, source[, tags]); the lead
splices ``CELLS`` into that list (before «Методика и данные»). The cells assume ``res``
(``pipeline.Results`` with the published tables ``schools``, ``risk_levels``, ``clusters``,
``pairs``, ``pairs_unpaired``, ``recommendations``; optional ``res.manifest["cluster_notes"]``)
and ``params``; they import ``views_actions`` themselves (a hidden cell) and use ``display``.
Every view degrades to «нет данных» when its table is absent.
"""

from __future__ import annotations

MD, CODE = "markdown", "code"

CELLS: list[tuple[str, str] | tuple[str, str, list[str]]] = [
    (CODE, "from shnor_lib import display, views_actions", ["remove-cell"]),
    # --- risks and clusters
    (
        MD,
        "## Риски и кластеры\n\n"
        "Рисковый профиль ОО (проект «500+») составлен по факторам, которые можно измерить по "
        "данным мониторинга: оснащённость (компьютеры на обучающегося, скорость интернета), "
        "дефицит кадров (вакансии), компетентность педагогов (доля педагогов с дефицитами "
        "уровней A и B), риски учебной неуспешности (доля «2» по ВПР, доля результатов ГИА ниже "
        "минимума), языковые барьеры и доля обучающихся с ОВЗ. Факторы относятся к четырём "
        "категориям рисков для опережающего управления: кадровое обеспечение, "
        "материально-техническое оснащение, образовательная неуспешность, усложнение социальной "
        "ситуации.",
    ),
    (
        CODE,
        'display.note(views_actions.risk_method_text(params.clusters.risk_levels), kind="info", '
        'title="Как определён уровень риска.")',
    ),
    (
        CODE,
        'display.table(views_actions.risk_summary(res), caption="Факторы риска: число ОО по уровню риска")',
    ),
    (
        CODE,
        "views_actions.figure_or_note(views_actions.risk_heatmap(res), "
        'alt="Тепловая карта: для каждой ОО (строки; сначала ШНОР, затем ШССУ) уровень риска по каждому '
        "фактору (столбцы): красный — высокий, жёлтый — средний, зелёный — низкий, серый — нет данных; "
        'в клетке — значение показателя", '
        'empty="Рисковый профиль не рассчитан: нет данных социального паспорта.")',
    ),
    (
        CODE,
        'display.table(views_actions.risk_profiles(res), caption="ШНОР и ШССУ: факторы с высоким уровнем риска", '
        'empty_text="ШНОР и ШССУ нет", decimals=2)',
    ),
    (MD, "### Кластеры ОО"),
    (
        CODE,
        "display.note(views_actions.cluster_method_text(params.clusters.method, params.clusters.k_min, "
        'params.clusters.k_max) + " " + views_actions.cluster_notes(res), kind="info", title="Как построены кластеры.")',
    ),
    (
        CODE,
        'display.table(views_actions.cluster_table(res), caption="Кластеры ОО: чем отличаются, состав", '
        'empty_text="Кластеризация не проводилась (недостаточно ОО или признаков)", decimals=2)',
    ),
    (
        CODE,
        "views_actions.figure_or_note(views_actions.cluster_profile_figure(res), "
        'alt="Тепловая карта: средние стандартизованные значения признаков (столбцы) в каждом кластере (строки); '
        'красный — неблагоприятное отклонение от среднего по муниципалитету, синий — благоприятное", '
        'empty="Кластеризация не проводилась.")',
    ),
    (
        CODE,
        "views_actions.figure_or_note(views_actions.cluster_map(res), "
        'alt="Точечная диаграмма: ОО на плоскости двух главных компонент профиля рисков и результатов, '
        'цвет — кластер, треугольник — ШНОР", '
        'caption="Близкие точки — ОО со сходным профилем; оси — главные компоненты стандартизованного профиля.", '
        'empty="Кластеризация не проводилась.")',
    ),
    # --- network
    (
        MD,
        "## Сетевое взаимодействие\n\n"
        "Муниципальная программа сетевого взаимодействия связывает каждую ШНОР со школами-лидерами "
        "(ИОР в 4-м квартиле не менее чем в двух из трёх лет, без исключённых результатов, входящих "
        "в ИОР, и без классов в перечне Рособрнадзора) в двух "
        "моделях: горизонтальной (школа в сходных условиях) и вертикальной (школа, реализующая "
        "программы более высокого уровня).",
    ),
    (
        CODE,
        'display.note(views_actions.pairing_rules(params.pairing.max_pairs_per_leader), kind="info", '
        'title="Как подобраны пары.")',
    ),
    (
        CODE,
        'display.table(views_actions.pairs_table(res), caption="Пары «ШНОР — школа-лидер»", '
        'empty_text="Пар нет (нет ШНОР или школ-лидеров)", decimals=2)',
    ),
    (
        CODE,
        'display.table(views_actions.unpaired_table(res), caption="ШНОР без партнёра по одной из моделей", '
        'empty_text="Партнёры подобраны всем ШНОР по обеим моделям")',
    ),
    (
        CODE,
        'display.table(views_actions.leader_load(res), caption="Школы-лидеры и их ШНОР-партнёры", '
        'empty_text="Школ-лидеров нет")',
    ),
    # --- recommendations
    (
        MD,
        "## Адресные рекомендации\n\n"
        "Рекомендации сформированы по правилам из справочника (shnor_lib/data/recommendations.yml) на "
        "основании статуса ОО (ШНОР, ШССУ, резильентная, школа-лидер), факторов с высоким уровнем риска, "
        "исключений по объективности, дефицитов педагогов, подобранных пар и профилей кластеров. "
        "Адресаты — руководители ОО, педагоги, родители (законные представители) и муниципальный "
        "уровень (УО, ИМЦ, МНЦ); направления — качество преподавания, программа перехода, кураторы, "
        "методические рекомендации, оценочные процедуры. В графе «Основание» приведён показатель, "
        "по которому сработало правило.",
    ),
    (
        CODE,
        'display.table(views_actions.recommendation_counts(res), caption="Число рекомендаций по адресатам и направлениям")',
    ),
    (MD, "### Муниципальному уровню"),
    (
        CODE,
        'display.table(views_actions.recommendations_municipal(res), caption="Рекомендации муниципального уровня", '
        'empty_text="Рекомендаций муниципального уровня нет")',
    ),
    (MD, "### По кластерам"),
    (
        CODE,
        'display.table(views_actions.recommendations_clusters(res), caption="Рекомендации для кластеров ОО", '
        'empty_text="Рекомендаций по кластерам нет")',
    ),
    (MD, "### ШНОР и ШССУ"),
    (CODE, "views_actions.recommendation_blocks(res)"),
]
