"""What `tables.xlsx` shows for each published column: its Russian header, its number format
and the Russian words for the codes the CSV keeps (docs/data_contract.md, «tables.xlsx»).

The CSV files keep the contract's English column names and codes; only the workbook is
Russian. A label or a format is looked up by table first (a column whose meaning differs in
that table: ``value`` is a percent in one table and a factor's raw value in another), then by
column name (:mod:`shnor_lib.io.publish` ``RU_HEADERS`` and the stage modules' labels, then
:data:`LABELS` here).

Number formats (keys of :data:`shnor_lib.io.xlsx.FORMATS`): ``share`` only for a share on the
0–1 scale (written ×100 with «%» by Excel; a column declared ``share`` whose values leave −1…1
stops the writing with a message, so a 0–100 percent is never shown as 6 180 %); percents
already on 0–100 are ``dec1`` with «%» in the header; marks ``dec2``; indices, coefficients and
p-values ``dec3``; counts and years ``int`` (shown without decimals only when every value is
whole). A numeric column with no format here stays General: its full value, never a wrong one.
"""

from __future__ import annotations

# ------------------------------------------------------------------ headers by column name

LABELS = {
    "indicator_id": "Код показателя",
    "term": "Код характеристики",
    "results_quartile": "Квартиль ИОР",
    "results_level": "Уровень ИОР",
    "low_results_reason": "Почему ШНОР",
    "risk_reason": "Почему группа риска",
    "leader_reason": "Почему школа-лидер",
    "no_index_reason": "Почему нет ИОР",
    "social_level": "Уровень ИСБ",
    "low_results_hard_context": "ШНОР и ШССУ",
    "main_factor": "Главный фактор ИСБ",
    "no_social_reason": "Почему нет ИСБ",
    "n_prev": "Число участников в прошлом году",
    "gia_below_min_scaled": "ГИА ниже минимума: балл компонента ИОР",
    "ege_mean_scaled": "Средний балл ЕГЭ: балл компонента ИОР",
    "oge_mean_mark_scaled": "Средняя отметка ОГЭ: балл компонента ИОР",
    "vpr_mean_mark_scaled": "Средняя отметка ВПР 5–8: балл компонента ИОР",
    "vpr4_mean_mark_scaled": "Средняя отметка ВПР 4: балл компонента ИОР",
    "ege_mean_value": "Средний балл ЕГЭ",
    "gia_below_min_value": "Доля результатов ГИА ниже минимума, %",
    "oge_mean_mark_value": "Средняя отметка ОГЭ",
    "vpr4_mean_mark_value": "Средняя отметка ВПР 4 кл.",
    "vpr_mean_mark_value": "Средняя отметка ВПР 5–8 кл.",
    "primary_only": "Только начальная школа",
    "weight_share": "Доля веса доступных компонентов",
    "exam": "Экзамен",
    "below": "Ниже минимума",
    "share": "Доля, %",
    "risk": "Признак риска",
    "observed_ci_low": "Наблюдаемое: нижняя граница",
    "observed_ci_high": "Наблюдаемое: верхняя граница",
    "z": "z-оценка",
    "adjusted": "Скорректированное",
    "definition": "Определение",
    "note": "Примечание",
    "ref": "Номер показателя",
    "grades": "Классы",
    "lowered": "Понизили",
    "confirmed": "Подтвердили",
    "raised": "Повысили",
    "lowered_share": "Понизили, %",
    "lowered_ci_low": "Понизили: нижняя граница",
    "lowered_ci_high": "Понизили: верхняя граница",
    "confirmed_share": "Подтвердили, %",
    "confirmed_ci_low": "Подтвердили: нижняя граница",
    "confirmed_ci_high": "Подтвердили: верхняя граница",
    "raised_share": "Повысили, %",
    "raised_ci_low": "Повысили: нижняя граница",
    "raised_ci_high": "Повысили: верхняя граница",
    "units": "Единиц ВПР",
    "groups": "Групп",
    "tau2": "Дисперсия между ОО (τ²)",
    "tau": "Разброс между ОО (τ)",
    "kappa": "Поправка разброса (κ)",
    "residuals": "Остатков",
    "scale": "Шкала",
    "centre": "Центр, %",
    "lcl": "Нижняя контрольная граница, %",
    "ucl": "Верхняя контрольная граница, %",
    "excluded_units": "Исключено результатов",
    "vpr_mean_mark_before": "Средняя отметка ВПР до исключения",
    "vpr_mean_mark_after": "Средняя отметка ВПР после исключения",
    "results_index_before": "ИОР до исключения",
    "results_index_after": "ИОР после исключения",
    "results_level_before": "Уровень ИОР до исключения",
    "results_level_after": "Уровень ИОР после исключения",
    "rank_before": "Место до исключения",
    "rank_after": "Место после исключения",
    "label": "Характеристика (наименование)",
    "step": "Шаг отбора",
    "outcome": "Результат модели",
    "scope": "Выборка",
    "years": "Годы",
    "n_obs": "Наблюдений",
    "n_candidates": "Характеристик-кандидатов",
    "n_terms": "Характеристик в модели",
    "r2": "R²",
    "r2_adj": "R² скорректированный",
    "se_type": "Вид стандартных ошибок",
    "df_inference": "Степеней свободы",
    "alpha": "Уровень значимости",
    "max_terms": "Предел числа характеристик",
    "confidence": "Доверительная вероятность",
    "residual_sd": "Ст. отклонение остатков",
    "outcome_mean": "Среднее ИОР",
    "outcome_sd": "Ст. отклонение ИОР",
    "hard_context_quartile": "Квартиль ИСБ для ШССУ",
    "ok": "Модель пригодна",
    "social_raw": "ИСБ до шкалирования",
    "factor": "Код фактора",
    "factor_name": "Фактор риска",
    "category": "Код категории",
    "category_name": "Категория риска",
    "direction": "Направление риска",
    "name": "Название",
    "description": "Описание",
    "size": "Число ОО",
    "schools": "ОО",
    "key_features": "Отличительные признаки",
    "mean_results_index": "Средний ИОР",
    "mean_social_index": "Средний ИСБ",
    "z_computers_per_student": "Компьютеров на обучающегося (z)",
    "z_internet_mbps": "Скорость интернета (z)",
    "z_vacancies_share": "Доля вакансий (z)",
    "z_teachers_ab_share": "Педагоги с дефицитами A+B (z)",
    "z_vpr_fail_share": "Доля «2» по ВПР (z)",
    "z_below_min_share": "ГИА ниже минимума (z)",
    "z_non_native_share": "Русский язык неродной (z)",
    "z_disabled_share": "Обучающиеся с ОВЗ (z)",
    "z_teachers_multi_subject_share": "Педагоги ведут несколько предметов (z)",
    "z_teachers_no_subject_degree_share": "Педагоги без профильного образования (z)",
    "z_teachers_no_category_share": "Педагоги без первой или высшей категории (z)",
    "z_teachers_no_pd_share": "Педагоги без повышения квалификации за год (z)",
    "z_low_income_share": "Из малообеспеченных семей (z)",
    "z_single_parent_share": "Из неполных семей (z)",
    "z_large_family_share": "Из многодетных семей (z)",
    "z_parents_unemployed_share": "Родители безработные (z)",
    "z_parents_higher_ed_share": "Родители с высшим образованием (z)",
    "z_difficult_situation_share": "В трудной жизненной ситуации (z)",
    "z_at_risk_registered_share": "На профилактическом учёте (z)",
    "z_results_index": "ИОР (z)",
    "z_social_index": "ИСБ (z)",
    "distance_difference_km": "Разница удалённости, км",
    "rule_id": "Код правила",
    # vpr_stats_shares, task_results, task_deficits
    "exact": "Точные числа",
    "share_2": "Доля «2», %",
    "share_2_ci_low": "Доля «2»: нижняя граница",
    "share_2_ci_high": "Доля «2»: верхняя граница",
    "share_4_5": "Доля «4» и «5», %",
    "share_4_5_ci_low": "Доля «4» и «5»: нижняя граница",
    "share_4_5_ci_high": "Доля «4» и «5»: верхняя граница",
    "mean_mark": "Средняя отметка",
    "task": "Задание",
    "max_task_score": "Максимум за задание",
    "task_level": "Уровень задания",
    "reference": "Сравнение, %",
    "reference_kind": "С чем сравнивается",
    "gap": "Отставание, п.п.",
    "gap_ci_high": "Отставание: верхняя граница",
    "deficit": "Дефицит",
    # management_decisions (spravka), when published
    "decision_id": "Код решения",
    "decision": "Решение",
    "basis_value": "Значение основания",
    "risk_category": "Категория риска",
    "manageability": "Управляемость",
    "horizon": "Горизонт",
    "owner": "Ответственный",
    "deadline": "Срок",
    "control_indicator": "Контрольный показатель",
    "control_value": "Текущее значение",
    "target_value": "Целевое значение",
    "source": "Источник",
    "date": "Дата",
    # objectivity (the school-level test), objectivity_schools, indicators_exclusions
    "school_flagged": "Отмечена вся ВПР ОО за год",
    "units_tested": "Проверено единиц ВПР",
    "units_flagged": "Отмечено единиц ВПР",
    "n_before": "Участников до исключения (n)",
    "n_after": "Участников после исключения (n)",
    "value_before": "Значение до исключения",
    "value_after": "Значение после исключения",
    # indicators_pooled
    "year_first": "Первый год",
    "year_last": "Последний год",
    # risk_profile_school
    "threshold": "Порог «высокий»",
    "threshold_low": "Порог «низкий»",
    # forms_crosscheck, follow_up
    "form_value": "По форме",
    "computed_value": "По расчёту",
    "previous_value": "Значение год назад",
    "current_value": "Значение сейчас",
    "target_reached": "Цель достигнута",
}

# a column whose meaning in this table differs from its name elsewhere
TABLE_LABELS: dict[str, dict[str, str]] = {
    "indicators": {
        "value": "Значение (% или балл — см. наименование)",
        "ci_low": "ДИ: нижняя граница",
        "n": "Знаменатель (n)",
        "numerator": "Числитель",
        "change": "Изменение за год",
        "change_ci_low": "Изменение: нижняя граница",
        "change_ci_high": "Изменение: верхняя граница",
    },
    "teachers_by_school": {"value": "Значение, %", "n": "Педагогов (n)"},
    "teachers_by_group": {"value": "Значение, %", "n": "Педагогов (n)"},
    "objectivity_journal": {
        "value": "Значение, %",
        "n": "Результатов ВПР (n)",
        "target": "Цель, %",
    },
    "objectivity": {"n": "Результатов (n)", "participants": "Участников ВПР в ОО"},
    "objectivity_funnel": {"n": "Участников (n)"},
    "objectivity_models": {"flagged": "Выявлено", "model": "Модель (A — с ГИА, B — контекст)"},
    "objectivity_effect": {"change": "Изменение ИОР"},
    "min_scores": {"n": "Результатов ГИА (n)"},
    "min_scores_window": {"n": "Результатов ГИА за 3 года (n)", "share": "Доля ниже минимума, %"},
    "risk_levels": {"value": "Значение фактора", "level": "Уровень риска"},
    "support": {"n": "Учтено значений (n)", "unit": "Единица (ОО или муниципалитет)"},
    "support_effect": {"group": "Когорта", "ci_low": "Эффект: нижняя граница"},
    "social_model": {
        "ci_low": "Коэффициент: нижняя граница",
        "ci_high": "Коэффициент: верхняя граница",
    },
    "social_selection": {"status": "Статус"},
    "social_notes": {"kind": "Вид примечания", "text": "Примечание"},
    "clusters": {"schools": "Коды ОО кластера", "name": "Название кластера"},
    "task_results": {"n": "Участников (n)", "schools": "Число ОО", "share": "Доля от максимума, %"},
    "task_deficits": {
        "n": "Участников (n)",
        "schools": "Число ОО",
        "share": "Доля от максимума, %",
    },
    "vpr_stats_shares": {"n": "Участников (n)"},
    "status_history": {"rule": "Правило ШНОР"},
    "roadmap_overdue": {"level": "Уровень мероприятия"},
    "objectivity_schools": {
        "n": "Участников проверенных единиц (n)",
        "observed": "Доля «4» и «5», %",
        "expected": "Ожидаемая доля «4» и «5», %",
        "statistic": "Превышение, п.п.",
        "ci_low": "Превышение: нижняя граница",
        "ci_high": "Превышение: верхняя граница",
        "flagged": "Выявлено превышение",
        "excluded": "Исключена вся ВПР ОО за год",
        "excluded_units": "Исключено единиц ВПР",
    },
    "indicators_exclusions": {
        "excluded_units": "Исключено единиц ВПР",
        "value_before": "Значение до исключения (% или отметка — см. наименование)",
        "value_after": "Значение после исключения (% или отметка — см. наименование)",
    },
    "indicators_pooled": {
        "value": "Значение (% или балл — см. наименование)",
        "n": "Знаменатель за годы окна (n)",
        "numerator": "Числитель за годы окна",
        "years": "Число лет",
    },
    "risk_profile_school": {"value": "Значение фактора", "level": "Уровень риска"},
    "conclusions": {"value": "Главное число вывода"},
    "management_decisions": {"basis": "Основание"},
    "group_dynamics": {
        "indicator": "Показатель",
        "value": "Среднее по ОО группы (у разрыва — разность)",
        "ci_low": "Нижняя граница интервала",
        "ci_high": "Верхняя граница интервала",
        "n": "Число ОО (n)",
    },
    "follow_up": {
        "item_id": "Код решения",
        "due": "Срок наступил",
        "ci_low": "Значение сейчас: нижняя граница",
        "ci_high": "Значение сейчас: верхняя граница",
        "change": "Изменение значения",
        "moved": "Направление изменения",
    },
    "forms_crosscheck": {
        "unit": "ОО или муниципалитет",
        "status": "Результат сверки",
        "text": "Что сверяется",
    },
}
TABLE_LABELS["support_effect"]["ci_high"] = "Эффект: верхняя граница"

# the header beside a school code: the school's name (joined from the schools table)
NAME_COLUMNS = {
    "school_id": "Наименование ОО",
    "low_results_school_id": "ШНОР (наименование)",
    "leader_school_id": "Школа-лидер (наименование)",
}

# ------------------------------------------------------------------ codes → Russian words

VALUES: dict[str, dict[str, str]] = {
    "level": {"school": "ОО", "municipality": "муниципалитет", "cluster": "кластер"},
    "block": {
        "help": "методическая помощь",
        "mnc": "МНЦ",
        "mtkp": "МТКП",
        "roadmap": "дорожная карта",
    },
    "unit": {"municipality": "муниципалитет"},
    "score_kind": {
        "presence": "наличие",
        "count": "количество",
        "total": "итог",
        "indicator": "показатель",
        "sub_item": "подпункт",
        "share": "доля",
    },
    "section": {
        "teachers": "педагоги",
        "support": "методическая помощь",
        "roadmap": "дорожная карта",
    },
    "note_kind": {"info": "сведения", "warning": "предупреждение"},
    "rule": {
        "relative": "относительное (квартиль ИОР)",
        "absolute": "абсолютное (ГИА ниже минимума)",
    },
    "direction": {
        "lower_is_risk": "риск — низкое значение",
        "higher_is_risk": "риск — высокое значение",
    },
    "outcome": {"results_index": "ИОР"},
    "scope": {"municipality": "муниципалитет", "region": "регион"},
    "se_type": {
        "cluster": "кластеризованные по ОО",
        "classic": "обычные",
        "hc1": "устойчивые (HC1)",
    },
}
TABLE_VALUES: dict[str, dict[str, dict[str, str]]] = {
    "social_notes": {"kind": {"info": "сведения", "warning": "предупреждение"}},
    # methods/cycle.py GROUP_INDICATORS: the code kept, its meaning beside it
    "group_dynamics": {
        "indicator": {
            "C1-1": "C1-1: средний балл ЕГЭ (русский язык, математика профильная)",
            "C1-2": "C1-2: средняя отметка ВПР 5–6 кл. (русский язык, математика)",
            "below_min": "доля результатов ГИА ниже минимального балла за год, %",
        }
    },
}

# ------------------------------------------------------------------ number formats

_DEC1 = (
    "value ci_low ci_high change change_ci_low change_ci_high share share_of_max "
    "share_low_results gia_below_min_value ege_mean_value centre lcl ucl expert_mean test_mean "
    "score_mean lowered_share lowered_ci_low lowered_ci_high confirmed_share confirmed_ci_low "
    "confirmed_ci_high raised_share raised_ci_low raised_ci_high share_a share_b share_c share_d "
    "share_ab share_ab_ci_low share_ab_ci_high share_2 share_2_ci_low share_2_ci_high share_4_5 "
    "share_4_5_ci_low share_4_5_ci_high reference gap gap_ci_high distance_km "
    "distance_difference_km score max_score seed_max max_task_score"
)
_DEC2 = (
    "results_index expected_result residual residual_ci_low residual_ci_high social_index "
    "results_index_before results_index_after mean_results_index mean_social_index "
    "social_distance oge_mean_mark_value vpr_mean_mark_value vpr4_mean_mark_value "
    "vpr_mean_mark_before vpr_mean_mark_after mean_mark "
    # management_decisions: an indicator's value, a percent or an index; two decimals serve both
    "basis_value control_value target_value "
    # risk_profile_school: a factor's thresholds in its own units (computers per pupil 0.1)
    "threshold threshold_low "
    # follow_up: an indicator's value (a percent or a mean score, as control_value)
    "previous_value current_value"
)
_DEC3 = (
    "coef se pvalue lmg weight tau2 tau kappa z social_raw r2 r2_adj residual_sd outcome_mean "
    "outcome_sd brier brier_base gia_below_min_scaled ege_mean_scaled oge_mean_mark_scaled "
    "vpr_mean_mark_scaled vpr4_mean_mark_scaled expected_change effect"
)
_SHARE = "weight_share probability base_rate mean_probability top_decile_hit_rate alpha confidence"
_INT = (
    "year from_year to_year target_year cohort grade n numerator below participants n_prev "
    "results_quartile social_quartile hard_context_quartile cluster students_total rank_before "
    "rank_after excluded_units units groups residuals size step n_obs n_schools n_candidates "
    "n_terms df_inference max_terms sign days_late n_teachers n_assessed n_a n_b n_c n_d "
    "n_expert n_test n_low_results n_predictions n_entries top_decile_n top_decile_hits "
    "schools entered lowered confirmed raised flagged units_tested units_flagged n_before n_after "
    "year_first year_last years no form_value computed_value"
)
_DATE = "report_date due done deadline date"

KINDS: dict[str, str] = {
    **{c: "dec1" for c in _DEC1.split()},
    **{c: "dec2" for c in _DEC2.split()},
    **{c: "dec3" for c in _DEC3.split()},
    **{c: "share" for c in _SHARE.split()},
    **{c: "int" for c in _INT.split()},
    **{c: "date" for c in _DATE.split()},
}
# z-scores of the cluster profiles
KIND_PREFIXES = {"z_": "dec3"}

TABLE_KINDS: dict[str, dict[str, str]] = {
    # coefficient intervals, not percents
    "social_model": {"ci_low": "dec3", "ci_high": "dec3"},
    # changes of ИОР (0–1 scale)
    "support_effect": {"change": "dec3", "ci_low": "dec3", "ci_high": "dec3"},
    "objectivity_effect": {"change": "dec3"},
    # a percent or a mark difference (mean_mark check): two decimals serve both
    "objectivity": {
        c: "dec2"
        for c in [
            "statistic",
            "expected",
            "ci_low",
            "ci_high",
            "observed",
            "observed_ci_low",
            "observed_ci_high",
            "adjusted",
        ]
    },
    # a factor's raw value (Mbit/s, computers per pupil, percents)
    "risk_levels": {"value": "dec2"},
    # a mean score or a percent; an indicator's name says which
    "indicators": {"value": "dec1", "target": "text"},
    "objectivity_journal": {"target": "int"},
    # the pooled share of «4»–«5» (%), its excess and interval (п.п.); all percents 0–100
    "objectivity_schools": {"observed": "dec1", "expected": "dec1", "statistic": "dec1"},
    # an A11–A15 percent or a C1-2 mean mark (2–5): two decimals serve both
    "indicators_exclusions": {"value_before": "dec2", "value_after": "dec2"},
    "indicators_pooled": {"value": "dec1", "ci_low": "dec1", "ci_high": "dec1"},
    # a factor's raw value (as risk_levels)
    "risk_profile_school": {"value": "dec2"},
    # mean ЕГЭ scores, mean ВПР marks (2–5) and ГИА percents: two decimals serve all
    "group_dynamics": {"value": "dec2", "ci_low": "dec2", "ci_high": "dec2"},
    # the headline figure: a count, a percent or a change of ИОР (0–1 scale, 0.025)
    "conclusions": {"value": "dec3", "ci_low": "dec3", "ci_high": "dec3"},
    # an indicator's value now and its interval (a percent or a mean score)
    "follow_up": {"ci_low": "dec2", "ci_high": "dec2", "change": "dec2", "due": "text"},
}
TABLE_KINDS["objectivity"]["z"] = "dec2"

# ------------------------------------------------------------------ the contents sheet

CONTENTS: dict[str, tuple[str, str]] = {
    "schools": (
        "Перечень ОО с итогами",
        "Статусы ОО отчётного года: ИОР, ИСБ, ШНОР, ШССУ, школы-лидеры, кластер, риски",
    ),
    "indicators": (
        "Показатели мониторинга",
        "Значения показателей по ОО и муниципалитету за годы, с интервалами, динамикой и целью",
    ),
    "participants": (
        "Участники оценочных процедур",
        "Число участников ВПР, ОГЭ, ЕГЭ по классам, предметам и годам",
    ),
    "vpr_stats_shares": (
        "Доли отметок ВПР (ФИС ОКО)",
        "Доли «2» и «4»–«5» и средняя отметка по сводной статистике ФИС ОКО",
    ),
    "task_results": (
        "Результаты ВПР по заданиям",
        "Доля от максимума по каждому заданию для ОО и муниципалитета",
    ),
    "task_deficits": (
        "Дефициты по заданиям ВПР",
        "Задания, по которым ОО или муниципалитет значимо отстают",
    ),
    "results_index": (
        "ИОР по годам",
        "Компоненты и значение индекса образовательных результатов по ОО и годам",
    ),
    "min_scores": (
        "Результаты ГИА ниже минимума",
        "Доля результатов ниже минимального балла по ОО, экзамену, предмету, году",
    ),
    "min_scores_window": (
        "ГИА ниже минимума за 3 года",
        "Доля результатов ниже минимума по ОО за окно лет",
    ),
    "risk": ("Признак группы риска", "Признак риска по ОО и годам с причиной"),
    "objectivity": (
        "Проверки объективности ВПР",
        "Каждая проверка по ОО × класс × предмет × год: статистика, интервал, признак",
    ),
    "objectivity_exclusions": (
        "Исключённые результаты ВПР",
        "Результаты, исключённые из расчёта ИОР как необъективные, с причиной",
    ),
    "objectivity_journal": (
        "Отметки ВПР и журнала",
        "Подтверждение и повышение отметок ВПР относительно журнала (A26–A35)",
    ),
    "objectivity_models": (
        "Модели ожидаемых результатов ВПР",
        "Параметры моделей проверки превышения долей «4»–«5» и средней отметки",
    ),
    "objectivity_funnel": (
        "Воронка (контрольные границы)",
        "Центр и контрольные границы доли по числу участников",
    ),
    "objectivity_effect": (
        "Влияние исключений на ИОР",
        "ИОР, уровень и место ОО до и после исключения необъективных результатов",
    ),
    "social_model": (
        "Модель ИСБ",
        "Характеристики социального благополучия в модели: коэффициенты, вклад, вес",
    ),
    "social_selection": (
        "Отбор характеристик ИСБ",
        "Все кандидаты в модель ИСБ: шаг, p-значение, решение",
    ),
    "social_fit": ("Качество модели ИСБ", "R², число наблюдений и параметры оценки модели ИСБ"),
    "social_notes": ("Примечания к ИСБ", "Пояснения к расчёту ИСБ"),
    "social_index": ("ИСБ по годам", "ИСБ, ожидаемый ИОР и отклонение от ожидаемого по ОО и годам"),
    "teachers_by_school": (
        "Показатели педагогов по ОО",
        "Доли педагогов (диагностика, повышение квалификации и др.) по ОО",
    ),
    "teachers_distribution": (
        "Уровни дефицитов педагогов",
        "Распределение педагогов по уровням A–D по ОО",
    ),
    "teachers_by_group": (
        "Показатели педагогов по группам ОО",
        "Доли педагогов в ШНОР, ШССУ и во всех ОО",
    ),
    "teachers_deficits": (
        "Дефициты педагогов по предметам",
        "Уровни A–D по группам ОО и предметам",
    ),
    "support": (
        "Методическая помощь (формы)",
        "Баллы показателей форм мониторинга методической помощи, МНЦ, МТКП",
    ),
    "roadmap_overdue": (
        "Дорожная карта: просрочка",
        "Мероприятия дорожной карты, выполненные с опозданием или не выполненные",
    ),
    "support_notes": (
        "Примечания (кадры, помощь)",
        "Пояснения к разделам о педагогах и методической помощи",
    ),
    "risk_levels": ("Факторы риска по ОО", "Значение и уровень каждого фактора риска «500+» по ОО"),
    "clusters": ("Кластеры ОО", "Группы ОО со сходным профилем рисков и их отличительные признаки"),
    "pairs": (
        "Пары ШНОР (ШССУ) — партнёр",
        "Подобранные пары для сетевого взаимодействия: ШНОР или ШССУ и ОО-партнёр",
    ),
    "pairs_unpaired": (
        "ШНОР и ШССУ без пары",
        "ШНОР и ШССУ, которым не подобран партнёр, с причиной",
    ),
    "recommendations": ("Рекомендации", "Рекомендации по адресатам с основаниями"),
    "status_history": ("Статусы ОО по годам", "ШНОР, школа-лидер, группа риска по годам"),
    "status_counts": (
        "Число ШНОР по правилам",
        "Число и доля ШНОР по относительному и абсолютному правилу",
    ),
    "transitions": ("Вошли в статус и вышли", "Смена статусов ОО между соседними годами"),
    "support_effect": (
        "Эффект поддержки ШНОР",
        "Изменение ИОР вошедших в ШНОР против ожидаемого без поддержки",
    ),
    "early_warning": (
        "Раннее предупреждение",
        "Вероятность войти в ШНОР в следующем году и главный сигнал",
    ),
    "early_warning_check": ("Проверка прогноза ШНОР", "Точность прогноза на прошлых годах"),
    "management_decisions": (
        "Управленческие решения",
        "Предлагаемые решения с основанием, сроком и контрольным показателем",
    ),
    "objectivity_schools": (
        "Объективность ВПР по ОО в целом",
        "Объединённая проверка превышения доли «4»–«5» по всей ВПР ОО за год",
    ),
    "indicators_exclusions": (
        "Показатели до и после исключений",
        "Показатели результатов ВПР (A11–A15, C1-2) до и после исключения необъективных "
        "результатов",
    ),
    "indicators_pooled": (
        "Показатели ОО за окно лет",
        "Показатели ОО, объединённые за годы окна анализа (для карточек малых ОО)",
    ),
    "risk_profile_school": (
        "Профиль рисков ОО",
        "Каждый фактор риска по ОО: значение, пороги уровней, уровень и источник данных",
    ),
    "conclusions": (
        "Выводы аналитической справки",
        "Выводы справки по порядку с главным числом, интервалом и разделом отчёта",
    ),
    "group_dynamics": (
        "Динамика групп ОО",
        "ШНОР, ШССУ, школы-лидеры и остальные ОО по годам: средние C1-1, C1-2, ГИА ниже "
        "минимума и разрыв лидеры − ШНОР",
    ),
    "follow_up": (
        "Контроль управленческих решений",
        "Решения прошлого года: наступил ли срок, контрольный показатель тогда и сейчас, "
        "достигнута ли цель",
    ),
    "forms_crosscheck": (
        "Сверка форм с расчётом",
        "Формы МНЦ, МТКП и методической помощи против перечня ШНОР, числа ОО и пар",
    ),
}

# the profile features of the clusters (``key_features`` lists them by code, «; »-separated)
FEATURES = {k[2:]: v.removesuffix(" (z)") for k, v in LABELS.items() if k.startswith("z_")}
