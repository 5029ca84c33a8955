"""Regenerate notebooks/report.ipynb from the cell list below (developer tool).

Analysts may edit the notebook directly in JupyterLab; developers keep this list as the
reviewable source so the notebook stays thin (one library call per cell) and has stable
cell ids (byte-identical HTML needs them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cells_actions import CELLS as ACTIONS_CELLS  # noqa: E402
from cells_social import CELLS as SOCIAL_CELLS  # noqa: E402
from cells_support import CELLS as SUPPORT_CELLS  # noqa: E402

MD, CODE = "markdown", "code"


def section(cells: list, title: str) -> list:
    """The cells of one `## title` section of a helper cell list, with its import cells.

    Import cells (tagged remove-cell before the first heading) are repeated: harmless, and
    each section stays runnable on its own.
    """
    head = []
    for cell in cells:
        if cell[0] == MD and cell[1].startswith("## "):
            break
        head.append(cell)
    out, inside = [], False
    for cell in cells:
        if cell[0] == MD and cell[1].startswith("## "):
            inside = cell[1][3:].split("\n", 1)[0].strip() == title
        if inside:
            out.append(cell)
    if not out:
        raise KeyError(title)
    return head + out


from cells_objectivity import CELLS as OBJECTIVITY_CELLS  # noqa: E402
from cells_tasks import CELLS as TASKS_CELLS  # noqa: E402
from cells_tasks import TOP as TASKS_TOP  # noqa: E402
from cells_tasks import need_f1  # noqa: E402

CELLS: list[tuple[str, str] | tuple[str, str, list[str]]] = [
    (CODE, 'params_path = None\nmunicipality = "demo"\nyear = 2024\nroot = "."', ["parameters"]),
    (
        CODE,
        "from shnor_lib import display, plots, views\n"
        "from shnor_lib.config import load_params\n"
        "from shnor_lib.pipeline import load_results\n\n"
        "display.setup()\n"
        'params = load_params(params_path, root=root, overrides={"municipality": municipality, "year": year})\n'
        "res = load_results(params)",
        ["remove-cell"],
    ),
    (
        CODE,
        'display.heading(f"{params.title}: аналитический отчёт за {params.year} год", 1, toc=False)',
    ),
    (CODE, "display.key_numbers(views.key_numbers(res))"),
    *TASKS_TOP,
    (
        MD,
        "Отчёт построен программой shnor по выгрузкам результатов ВПР, ОГЭ и ЕГЭ, социальным "
        "паспортам школ и данным мониторингов. Каждая доля и каждое среднее приводится с числом "
        "участников (n) и 95-процентным доверительным интервалом (ДИ); значения, рассчитанные "
        "менее чем по 10 участникам, не публикуются («н/д (мало участников)»).",
    ),
    (CODE, "display.toc()"),
    (MD, "## Краткие выводы"),
    (CODE, 'display.table(views.summary(res), caption=f"Группы ОО, {params.year} г.")'),
    (
        CODE,
        'display.table(views.targets_summary(res), caption="Показатели муниципалитета: статус целей")',
    ),
    *OBJECTIVITY_CELLS,
    need_f1("Скопление баллов на пороге «3»"),
    # --- educational results
    (
        MD,
        "## Образовательные результаты\n\n"
        "Показатели муниципальной модели (таблица «Критерии и показатели») и динамика результатов "
        "(положение о системе работы со ШНОР). «Достигнут» — весь доверительный интервал не ниже "
        "цели или значимый рост; «не достигнут» — интервал ниже цели или значимое снижение; "
        "«не определён» — интервал включает целевое значение.",
    ),
    need_f1("Показатели ВПР по обучающимся"),
    (
        CODE,
        'display.table(views.indicator_table(res), caption=f"Показатели муниципалитета, {params.year} г.")',
    ),
    (
        CODE,
        'display.figure(plots.indicator_dynamics(res, ["vpr5_passed_all_share", "vpr6_passed_all_share", '
        '"vpr_confirm_rus_share", "vpr_confirm_math_share"], views.indicator_names()), '
        'alt="Линейный график: динамика долей обучающихся, справившихся с ВПР, и подтвердивших отметки, по годам")',
    ),
    (
        CODE,
        "matrix, status = views.indicator_matrix(res)\n"
        'display.table(matrix, caption=f"Ключевые показатели по ОО, {params.year} г. (цвет — статус цели)", '
        "cell_class=views.status_cell_class(status), sortable=True)",
    ),
    (MD, "### Результаты ниже минимального балла ГИА"),
    (
        CODE,
        'display.table(views.min_scores_window(res), caption=f"Доля результатов ОГЭ и ЕГЭ ниже минимального балла за {params.years[0]}–{params.year} гг.", sortable=True)',
    ),
    (
        CODE,
        'display.table(views.risk_group_list(res), caption="Группа риска: признак Рособрнадзора (не менее 30 % ниже минимума в двух процедурах за год или в одной процедуре два года подряд)")',
    ),
    *TASKS_CELLS,
    # --- ИОР and ШНОР
    (
        MD,
        "## Индекс образовательных результатов и ШНОР\n\n"
        "ИОР складывается из четырёх компонентов (доля результатов ГИА ниже минимума за три года, "
        "средний балл ЕГЭ, средняя отметка ОГЭ, средняя отметка ВПР в 5–6 классах), каждый приведён к "
        "шкале 0…1 среди ОО муниципалитета (1 — лучший результат). Уровень ИОР — квартиль в "
        "муниципалитете. ШНОР — ОО с низким уровнем (1-й квартиль) в отчётном году и не менее чем в двух "
        "из трёх последних лет.",
    ),
    need_f1("Средняя отметка ВПР 5–6 классов в ИОР (ИОР рассчитан без неё)"),
    (
        CODE,
        'display.figure(plots.results_ranking(res), alt="Горизонтальная столбчатая диаграмма: ИОР каждой ОО в отчётном году, цвет — уровень (квартиль)")',
    ),
    (
        CODE,
        'display.table(views.results_ranking(res), caption="Рейтинг ОО по ИОР и компоненты (в шкале 0…1, 1 — лучший результат)", sortable=True, decimals=2)',
    ),
    (
        CODE,
        'display.table(views.components_raw(res), caption="Компоненты ИОР до шкалирования (за отчётный год; доля ниже минимума — за три года)", sortable=True, decimals=2)',
    ),
    (MD, "### Школы с низкими образовательными результатами (ШНОР)"),
    (
        CODE,
        'display.table(views.low_results_list(res), caption="ШНОР и основание включения", empty_text="ШНОР нет", decimals=2)',
    ),
    (
        CODE,
        'display.figure(plots.results_trajectory(res), alt="Линейный график: ИОР каждой ОО по годам, ШНОР выделены цветом")',
    ),
    (CODE, 'display.table(views.trajectory(res), caption="Уровень ИОР по годам")'),
    (MD, "### Школы-лидеры"),
    (
        CODE,
        'display.table(views.leaders_list(res), caption="Школы-лидеры: высокий уровень ИОР не менее чем в двух из трёх лет", empty_text="школ-лидеров нет", decimals=2)',
    ),
    (
        CODE,
        'display.table(views.no_index_list(res), caption="ОО без ИОР", empty_text="ИОР рассчитан для всех ОО")',
    ),
    *SOCIAL_CELLS,
    *section(ACTIONS_CELLS, "Риски и кластеры"),
    *SUPPORT_CELLS,
    *section(ACTIONS_CELLS, "Сетевое взаимодействие"),
    *section(ACTIONS_CELLS, "Адресные рекомендации"),
    # --- methods and data
    (MD, "## Методика и данные"),
    (MD, "### Общеобразовательные организации"),
    (CODE, 'display.table(views.schools_by_type(res), caption="Число ОО по типу и местности")'),
    (CODE, 'display.table(views.schools_overview(res), caption="Перечень ОО", sortable=True)'),
    (MD, "### Участники оценочных процедур"),
    (
        CODE,
        'display.figure(plots.participants_by_year(res), alt="Столбчатая диаграмма: число результатов участников ВПР, ОГЭ и ЕГЭ по годам")',
    ),
    (
        CODE,
        'display.table(views.participants_pivot(res), caption="Число участников по процедуре, классу, предмету и году")',
    ),
    (MD, "### Качество исходных данных"),
    (
        CODE,
        'display.note("\\n".join(views.data_warnings(res)) or "Замечаний к исходным данным нет.", '
        'kind="data", title="Замечания, найденные при проверке")',
    ),
    (MD, "### Методы и происхождение данных"),
    (
        MD,
        "**Точность чисел.** Каждая доля показана с 95-процентным доверительным интервалом "
        "(метод Уилсона): это диапазон, в котором при таком числе участников с высокой "
        "вероятностью находится «истинное» значение. Изменение доли за год — с интервалом "
        "Ньюкомба, средние — с t-интервалом, изменение средних — с интервалом Уэлча. Изменение "
        "считается значимым («рост», «снижение»), только если интервал не включает ноль; цель "
        "считается достигнутой, только если весь интервал не ниже целевого значения. Значения, "
        "рассчитанные менее чем по 10 участникам, не публикуются.\n\n"
        "**Объективность.** Для каждого класса (ОО × год × класс × предмет ВПР) доля отметок "
        "«4» и «5» сравнивается с ожидаемой по независимым данным той же школы — результатам "
        "ОГЭ и ЕГЭ, которые проверяют региональные комиссии, и социальному составу — с помощью "
        "устойчивой (робастной) регрессии по всем школам муниципалитета. Результат исключается, "
        "если весь доверительный интервал превышения выше нуля и превышение не меньше 10 "
        "процентных пунктов, а также если класс включён в перечень Рособрнадзора. Исключённые "
        "результаты не участвуют в расчёте ИОР и ИСБ.\n\n"
        "**ИОР** — взвешенное среднее четырёх показателей школы, каждый приведён к шкале 0…1 "
        "среди школ муниципалитета: доля результатов ГИА ниже минимального балла за три года "
        "(вес 0,4), средний балл ЕГЭ по русскому языку и профильной математике (0,2), средняя "
        "отметка ОГЭ по русскому языку и математике (0,2), средняя отметка ВПР 5–6 классов по "
        "русскому языку и математике (0,2). Если у школы нет части показателей, веса остальных "
        "пересчитываются; при доступности менее половины веса ИОР не рассчитывается.\n\n"
        "**ИСБ** строится регрессией ИОР на характеристики социального паспорта, местности и "
        "кадровых условий; в индекс входят только значимые характеристики, их веса равны вкладу "
        "в объяснённую дисперсию (метод LMG). Ожидаемый ИОР — прогноз этой модели для школы.\n\n"
        "**Кластеры** выделены иерархической кластеризацией (метод Уорда) по рискам и "
        "результатам; число кластеров выбрано по коэффициенту силуэта. **Пары** со школами-"
        "лидерами: горизонтальная модель — лидер с ближайшим ИСБ, вертикальная — лидер более "
        "высокого типа; не более двух ШНОР на одного лидера. **Рекомендации** формируются по "
        "правилам из статусов, рисков и результатов школы; у каждой указано основание.\n\n"
        "Минимальные баллы ГИА и шкалы ВПР взяты из справочников программы. Перечень входных "
        "файлов с контрольными суммами SHA-256 позволяет проверить, по каким данным построен отчёт.",
    ),
    (CODE, 'display.table(views.input_files(res), caption="Входные файлы")'),
    (
        CODE,
        'display.table(views.params_table(res), caption="Параметры расчёта (по умолчанию и из файла муниципалитета)")',
    ),
    (
        CODE,
        'display.note(f"Версия библиотеки shnor: {res.manifest[\'library_version\']}; файл параметров: {params.municipality}.yml", kind="info")',
    ),
]


def build(cells: list | None = None, id_prefix: str = "cell") -> nbformat.NotebookNode:
    """The notebook of ``cells`` (default: the report's), with fixed ids ``<prefix>-NNN``
    (byte-identical HTML needs them) and no outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(CELLS if cells is None else cells):
        kind, source = cell[0], cell[1]
        tags = cell[2] if len(cell) > 2 else []
        node = (
            nbformat.v4.new_markdown_cell(source)
            if kind == MD
            else nbformat.v4.new_code_cell(source)
        )
        node.id = f"{id_prefix}-{i:03d}"
        if tags:
            node.metadata["tags"] = tags
        nb.cells.append(node)
    return nb


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "notebooks/report.ipynb")
    nbformat.write(build(), out)
    print(f"written {out}")
