"""Regenerate notebooks/region.ipynb from the cell list below (developer tool).

The regional comparison page (``shnor region`` → outputs/<region>/<year>/region.html):
thin cells, one library call each (shnor_lib.views_region + shnor_lib.display), fixed cell
ids (byte-identical HTML needs them), no outputs in the committed notebook.

    .venv/bin/python tools/make_region_notebook.py [notebooks/region.ipynb]
"""

from __future__ import annotations

import sys
from pathlib import Path

import make_report_notebook  # tools/ is on the path when this script runs
import nbformat

MD, CODE = make_report_notebook.MD, make_report_notebook.CODE

CELLS: list[tuple[str, str] | tuple[str, str, list[str]]] = [
    (CODE, 'region = "demo_region"\nyear = 2024\nroot = "."\noutputs = "outputs"', ["parameters"]),
    (
        CODE,
        "from shnor_lib import display, views_region\n\n"
        "display.setup()\n"
        "data = views_region.load(root, region, year, outputs)",
        ["remove-cell"],
    ),
    (CODE, "display.heading(views_region.title(data), 1, toc=False)"),
    (CODE, "display.key_numbers(views_region.key_numbers(data))"),
    (
        MD,
        "Сводка сравнивает муниципалитеты региона по результатам одного расчёта всех "
        "муниципалитетов (команда `shnor region`): доли школ с низкими образовательными "
        "результатами (ШНОР) и школ, функционирующих в сложных социальных условиях (ШССУ), "
        "исключённые по объективности результаты ВПР и достижение целевых значений "
        "показателей муниципальной модели. Подробности по каждому муниципалитету — в его "
        "аналитическом отчёте.",
    ),
    (CODE, "display.toc()"),
    (MD, "## ШНОР и ШССУ по муниципалитетам"),
    (
        CODE,
        'display.table(views_region.groups_table(data), caption=f"ШНОР и ШССУ, {year} г. '
        '(по убыванию доли ШНОР)", formats=views_region.groups_formats(), sortable=True)',
    ),
    (
        CODE,
        'display.figure(views_region.groups_figure(data), alt="Горизонтальная столбчатая '
        'диаграмма: доля ШНОР и доля ШССУ среди ОО каждого муниципалитета")',
    ),
    (MD, "## Объективность результатов ВПР"),
    (
        CODE,
        'display.table(views_region.objectivity_table(data), caption=f"Единицы ВПР (ОО × класс '
        '× предмет), исключённые по объективности, {year} г.", '
        'formats={"Исключено, % проверенных": "percent:1"}, sortable=True)',
    ),
    (
        CODE,
        'display.figure(views_region.objectivity_figure(data), alt="Горизонтальная столбчатая '
        "диаграмма: доля исключённых единиц ВПР в каждом муниципалитете, пунктир — доля по "
        'региону")',
    ),
    (MD, "## Достижение целевых значений показателей"),
    (
        CODE,
        'display.table(views_region.targets_table(data), caption=f"Статус целей показателей '
        'муниципальной модели, {year} г.", formats={"Достигнуто, %": "percent:0"}, sortable=True)',
    ),
    (
        CODE,
        'display.table(views_region.indicator_targets(data), caption="Число муниципалитетов по '
        'статусу цели каждого показателя", sortable=True)',
    ),
    (MD, "## Методика и данные"),
    (CODE, 'display.note(views_region.method_note(data), kind="info", title="Как считали.")'),
    (CODE, "views_region.reports_links(data)"),
]


def build() -> nbformat.NotebookNode:
    return make_report_notebook.build(CELLS, id_prefix="region")


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "notebooks/region.ipynb")
    nbformat.write(build(), out)
    print(f"written {out}")
