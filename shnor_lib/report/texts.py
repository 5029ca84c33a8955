"""Report prose that states configurable numbers, built from the params the report ran with.

The notebook shows these with ``display.markdown(texts.<name>(params))`` instead of fixed
Markdown, so an overridden weight, threshold or confidence level reads the same in the
text as in the tables (docs/methods.md lists the params).
"""

from __future__ import annotations

from shnor_lib.config import Params
from shnor_lib.report.wording import (
    ci_label,
    genitive,
    k_of_window,
    min_participants,
    number,
    percent_adjective,
    plural,
    prepositional,
    quartile_phrase,
    years,
)

# ИОР components in the words of the methods section (the order of defaults.yml).
_COMPONENTS = {
    "gia_below_min": "доля результатов ГИА ниже минимального балла за {window}",
    "ege_mean": "средний балл ЕГЭ по русскому языку и профильной математике",
    "oge_mean_mark": "средняя отметка ОГЭ по русскому языку и математике",
    "vpr_mean_mark": "средняя отметка ВПР 5–6 классов по русскому языку и математике",
}
_SCALING = {
    "minmax": "линейно приведён к шкале 0…1 среди ОО муниципалитета (1 — лучший результат)",
    "percentile": "заменён процентильным рангом 0…1 среди ОО муниципалитета (1 — лучший)",
}


def _weights(params: Params) -> list[tuple[str, float]]:
    """(component key, weight) of the ИОР components that count (weight > 0)."""
    comps = params.results_index.components
    return [(k, float(comps[k].weight)) for k in comps if float(comps[k].weight) > 0]


def intro(params: Params) -> str:
    """The paragraph under the report title."""
    return (
        "Отчёт построен программой shnor по выгрузкам результатов ВПР, ОГЭ и ЕГЭ, социальным "
        "паспортам школ и данным мониторингов. Каждая доля и каждое среднее приводится с числом "
        f"участников (n) и {percent_adjective(params.confidence)} доверительным интервалом "
        "(ДИ); значения, рассчитанные менее чем по "
        f"{min_participants(params.min_group_size)}, не публикуются («н/д (мало участников)»)."
    )


def risk_group_caption(params: Params) -> str:
    """Caption of the Rosobrnadzor risk-group table (M2)."""
    ms = params.min_scores
    k = int(ms.risk_procedures)
    return (
        f"Группа риска: признак Рособрнадзора (не менее {number(ms.risk_share)} % ниже минимума "
        f"в {prepositional(k)} {plural(k, 'процедуре', 'процедурах', 'процедурах')} за год "
        "или в одной процедуре два года подряд)"
    )


def results_index(params: Params) -> str:
    """The paragraph under «Индекс образовательных результатов и ШНОР» (M3)."""
    ri = params.results_index
    parts = [
        _COMPONENTS[k].format(window=years(params.window)) + f" (вес {number(w)})"
        for k, w in _weights(params)
    ]
    n = len(parts)
    return (
        f"ИОР — взвешенное среднее {genitive(n)} "
        f"{plural(n, 'компонента', 'компонентов', 'компонентов')}: {'; '.join(parts)}. Каждый "
        f"компонент {_SCALING[ri.scaling]}. Уровень ИОР — квартиль "
        "в муниципалитете. ШНОР — ОО с низким уровнем (1-й квартиль) в отчётном году и "
        f"{k_of_window(ri.low_results_years, params.window)} анализа."
    )


def components_caption(params: Params) -> str:
    return (
        "Компоненты ИОР до шкалирования (за отчётный год; доля ниже минимума — за "
        f"{years(params.window)})"
    )


def leaders_caption(params: Params) -> str:
    return (
        "Школы-лидеры: высокий уровень ИОР "
        f"{k_of_window(params.results_index.leader_years, params.window)}"
    )


def social_index(params: Params) -> str:
    """The paragraph under «Индекс социального благополучия и ШССУ» (M4)."""
    return (
        "Индекс социального благополучия школы (ИСБ) — «совокупный показатель, рассчитанный на "
        "основе регрессионной модели путём суммирования нескольких наиболее значимых контекстных "
        "характеристик с весами, которые определяются по принципу наибольшего вклада показателей "
        "в дисперсию показателей успеваемости». Здесь результаты ОО (ИОР) объясняются "
        "характеристиками социального паспорта, местности, кадровых и ресурсных условий; в "
        "индекс входят только характеристики, значимые на уровне "
        f"{number(params.social_index.alpha)}, а вес каждой равен её доле в объяснённой "
        "дисперсии ИОР (R²), разделённой по методу LMG (среднее приращение R² по всем порядкам "
        "включения). ИСБ приведён к шкале 0…1: 0 — наименее благоприятные условия среди ОО "
        f"муниципалитета за {years(params.window)}, 1 — наиболее благоприятные. ШССУ — ОО с "
        f"ИСБ {quartile_phrase(params.social_index.hard_context_quartile)}."
    )


def social_model_caption(params: Params) -> str:
    return (
        "Характеристики ИСБ: стандартизованные коэффициенты регрессии ИОР с "
        f"{percent_adjective(params.confidence, 'ными')} доверительными интервалами, вклад в "
        "R² и вес"
    )


def expected(params: Params) -> str:
    """The paragraph under «Фактические и ожидаемые результаты»."""
    return (
        "Ожидаемый ИОР — результат, который модель предсказывает для ОО с такими же социальными "
        "условиями. Отклонение — разность фактического и ожидаемого ИОР с "
        f"{percent_adjective(params.confidence)} интервалом прогноза: если весь интервал выше "
        "нуля, результат «выше ожидаемого», если ниже — «ниже ожидаемого», иначе — «на уровне "
        "ожидаемого»."
    )


def expected_alt(params: Params) -> str:
    return (
        "Для каждой ОО: отклонение ИОР от ожидаемого с "
        f"{percent_adjective(params.confidence)} интервалом прогноза, цвет — выше, ниже или на "
        "уровне ожидаемого"
    )


def resilient(params: Params) -> str:
    """The paragraph under «Резильентные школы»."""
    return (
        "Два определения приводятся рядом. Строгое (как в PISA): ИСБ "
        f"{quartile_phrase(params.social_index.hard_context_quartile)} и ИОР в верхнем "
        "квартиле — на реальных данных таких школ часто нет. С учётом условий: ИСБ ниже "
        f"медианы и весь {percent_adjective(params.confidence, 'ный')} интервал отклонения от "
        "ожидаемого выше нуля — школа заметно превосходит ожидания для своих условий. Опыт "
        "резильентных школ полезен ШССУ."
    )


def network(params: Params) -> str:
    """The paragraph under «Сетевое взаимодействие» (M9)."""
    return (
        "Муниципальная программа сетевого взаимодействия связывает каждую ШНОР и ШССУ с "
        "одним партнёром по одной из двух моделей: горизонтальной (школа в сходных условиях, "
        "преодолевшая трудности или школа-лидер) или вертикальной (школа-лидер, реализующая "
        "программы того же или более высокого уровня). Школы-лидеры — ИОР в 4-м квартиле "
        f"{k_of_window(params.results_index.leader_years, params.window)}; партнёром может "
        "быть только ОО с ИОР за отчётный год и без результатов, исключённых как "
        "необъективные, за период."
    )


def exclusions_caption(params: Params) -> str:
    return (
        f"Исключённые результаты ВПР {params.year} г.: превышение доли «4»–«5» над ожидаемой "
        f"с {ci_label(params.confidence)}"
    )


def teachers_shares_caption(params: Params) -> str:
    return (
        "Доли педагогов в муниципалитете с "
        f"{percent_adjective(params.confidence, 'ными')} доверительными интервалами "
        "(C2, A37–A40)"
    )


def teachers_by_school_caption(params: Params) -> str:
    return f"Доли педагогов по ОО, {params.year} г., % [{ci_label(params.confidence)}]"


def _exclusion_basis(rules: list[str], min_excess: float) -> str:
    said = {
        "excess": "весь доверительный интервал превышения выше нуля и превышение не меньше "
        f"{number(min_excess)} {plural(int(min_excess), 'процентного пункта', 'процентных пунктов', 'процентных пунктов')}",
        "federal_list": "класс включён в перечень Рособрнадзора",
        "mean_mark": "средняя отметка значимо выше ожидаемой",
        "heaping": "баллы скапливаются на пороге отметки «3»",
        "journal": "отметки ВПР не подтверждены отметками в журнале",
    }
    return "; или если ".join(said[r] for r in rules if r in said) or "(правила не заданы)"


def methods(params: Params) -> str:
    """«Методы и происхождение данных»: every number from the params (docs/methods.md)."""
    ri, obj, cl = params.results_index, params.objectivity, params.clusters
    weights = "; ".join(
        _COMPONENTS[k].format(window=years(params.window)) + f" (вес {number(w)})"
        for k, w in _weights(params)
    )
    how = (
        "иерархической кластеризацией (метод Уорда)" if cl.method == "ward" else "методом k-средних"
    )
    leaders = int(params.pairing.max_pairs_per_leader)
    share = number(100 * float(ri.min_weight_share))
    return (
        "**Точность чисел.** Каждая доля показана с "
        f"{percent_adjective(params.confidence)} доверительным интервалом (метод Уилсона): это "
        "диапазон, в котором при таком числе участников с высокой вероятностью находится "
        "«истинное» значение. Изменение доли за год — с интервалом Ньюкомба, средние — с "
        "t-интервалом, изменение средних — с интервалом Уэлча. Изменение считается значимым "
        "(«рост», «снижение»), только если интервал не включает ноль; цель считается "
        "достигнутой, только если весь интервал не ниже целевого значения. Значения, "
        f"рассчитанные менее чем по {min_participants(params.min_group_size)}, не публикуются."
        "\n\n**Объективность.** Для каждого класса (ОО × год × класс × предмет ВПР) доля "
        "отметок «4» и «5» сравнивается с ожидаемой по независимым данным той же школы — "
        "результатам ОГЭ и ЕГЭ, которые проверяют региональные комиссии, и социальному "
        "составу — с помощью устойчивой (робастной) регрессии по всем школам муниципалитета. "
        f"Результат исключается, если {_exclusion_basis(list(obj.exclusion_rule), obj.min_excess)}. "
        "Исключённые результаты не участвуют в расчёте ИОР и ИСБ."
        f"\n\n**ИОР** — взвешенное среднее показателей школы: {weights}; каждый показатель "
        f"{_SCALING[ri.scaling]}. Если у школы нет части показателей, веса остальных "
        f"пересчитываются; если доступно менее {share} % веса, ИОР не рассчитывается."
        "\n\n**ИСБ** строится регрессией ИОР на характеристики социального паспорта, местности "
        "и кадровых условий; в индекс входят только характеристики, значимые на уровне "
        f"{number(params.social_index.alpha)} (не более {int(params.social_index.max_terms)}), "
        "их веса равны вкладу в объяснённую дисперсию (метод LMG). Ожидаемый ИОР — прогноз "
        "этой модели для школы."
        f"\n\n**Кластеры** выделены {how} по рискам и результатам; число кластеров (от "
        f"{int(cl.k_min)} до {int(cl.k_max)}) выбрано по размеру кластеров, их устойчивости и "
        "коэффициенту силуэта. **Пары**: каждая ШНОР и ШССУ получает одного партнёра по одной "
        "модели — горизонтальной (партнёр в сходных условиях по ИСБ) или, если такого нет, "
        "вертикальной (школа-лидер того же или более высокого типа); партнёр должен иметь ИОР "
        "за отчётный год и не иметь исключённых результатов; не более "
        f"{_ordinal_limit(leaders)} на одного партнёра. "
        "**Рекомендации** формируются по правилам из статусов, рисков и результатов школы; у "
        "каждой указано основание."
        "\n\nМинимальные баллы ГИА и шкалы ВПР взяты из справочников программы. Перечень "
        "входных файлов с контрольными суммами SHA-256 позволяет проверить, по каким данным "
        "построен отчёт."
    )


def _ordinal_limit(n: int) -> str:
    """«не более двух ШНОР», «не более одной ШНОР», «не более 12 ШНОР»."""
    return ("одной" if n == 1 else genitive(n)) + " ШНОР"
