"""Names of the published tables (``outputs/<m>/<year>/tables/<name>.csv``).

The pipeline writes, and the views and publishing read, tables by these constants: a renamed
table is then an import error (or a ``KeyError`` naming the table), never a section that
silently shows «нет данных». ``PUBLISHED`` fixes the order of the sheets in ``tables.xlsx``.
"""

from __future__ import annotations

SCHOOLS = "schools"
INDICATORS = "indicators"
INDICATORS_EXCLUSIONS = "indicators_exclusions"
INDICATORS_POOLED = "indicators_pooled"
PARTICIPANTS = "participants"
VPR_STATS_SHARES = "vpr_stats_shares"
TASK_RESULTS = "task_results"
TASK_DEFICITS = "task_deficits"
RESULTS_INDEX = "results_index"
MIN_SCORES = "min_scores"
MIN_SCORES_WINDOW = "min_scores_window"
RISK = "risk"
OBJECTIVITY = "objectivity"
OBJECTIVITY_EXCLUSIONS = "objectivity_exclusions"
OBJECTIVITY_SCHOOLS = "objectivity_schools"
OBJECTIVITY_JOURNAL = "objectivity_journal"
OBJECTIVITY_MODELS = "objectivity_models"
OBJECTIVITY_FUNNEL = "objectivity_funnel"
OBJECTIVITY_EFFECT = "objectivity_effect"
SOCIAL_MODEL = "social_model"
SOCIAL_SELECTION = "social_selection"
SOCIAL_FIT = "social_fit"
SOCIAL_NOTES = "social_notes"
SOCIAL_INDEX = "social_index"
TEACHERS_BY_SCHOOL = "teachers_by_school"
TEACHERS_DISTRIBUTION = "teachers_distribution"
TEACHERS_BY_GROUP = "teachers_by_group"
TEACHERS_DEFICITS = "teachers_deficits"
SUPPORT = "support"
ROADMAP_OVERDUE = "roadmap_overdue"
SUPPORT_NOTES = "support_notes"
RISK_LEVELS = "risk_levels"
RISK_PROFILE_SCHOOL = "risk_profile_school"
CLUSTERS = "clusters"
PAIRS = "pairs"
PAIRS_UNPAIRED = "pairs_unpaired"
RECOMMENDATIONS = "recommendations"
STATUS_HISTORY = "status_history"
STATUS_COUNTS = "status_counts"
TRANSITIONS = "transitions"
SUPPORT_EFFECT = "support_effect"
EARLY_WARNING = "early_warning"
EARLY_WARNING_CHECK = "early_warning_check"
CONCLUSIONS = "conclusions"
MANAGEMENT_DECISIONS = "management_decisions"
GROUP_DYNAMICS = "group_dynamics"
FOLLOW_UP = "follow_up"
FORMS_CROSSCHECK = "forms_crosscheck"

# published only when the input files give them (ФИС ОКО statistics, task scores)
WHEN_GIVEN: tuple[str, ...] = (VPR_STATS_SHARES, TASK_RESULTS, TASK_DEFICITS)

# every published table, in the order of the sheets of tables.xlsx
PUBLISHED: tuple[str, ...] = (
    SCHOOLS,
    INDICATORS,
    INDICATORS_EXCLUSIONS,
    INDICATORS_POOLED,
    PARTICIPANTS,
    VPR_STATS_SHARES,
    TASK_RESULTS,
    TASK_DEFICITS,
    RESULTS_INDEX,
    MIN_SCORES,
    MIN_SCORES_WINDOW,
    RISK,
    OBJECTIVITY,
    OBJECTIVITY_EXCLUSIONS,
    OBJECTIVITY_SCHOOLS,
    OBJECTIVITY_JOURNAL,
    OBJECTIVITY_MODELS,
    OBJECTIVITY_FUNNEL,
    OBJECTIVITY_EFFECT,
    SOCIAL_MODEL,
    SOCIAL_SELECTION,
    SOCIAL_FIT,
    SOCIAL_NOTES,
    SOCIAL_INDEX,
    TEACHERS_BY_SCHOOL,
    TEACHERS_DISTRIBUTION,
    TEACHERS_BY_GROUP,
    TEACHERS_DEFICITS,
    SUPPORT,
    ROADMAP_OVERDUE,
    SUPPORT_NOTES,
    RISK_LEVELS,
    RISK_PROFILE_SCHOOL,
    CLUSTERS,
    PAIRS,
    PAIRS_UNPAIRED,
    RECOMMENDATIONS,
    STATUS_HISTORY,
    STATUS_COUNTS,
    TRANSITIONS,
    SUPPORT_EFFECT,
    EARLY_WARNING,
    EARLY_WARNING_CHECK,
    CONCLUSIONS,
    MANAGEMENT_DECISIONS,
    GROUP_DYNAMICS,
    FOLLOW_UP,
    FORMS_CROSSCHECK,
)
