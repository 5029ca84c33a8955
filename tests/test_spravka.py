"""«Аналитическая справка»: rule-generated conclusions and management decisions on planted
tables, and the справка of the demo in report.html and spravka.docx."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest

from shnor_lib.io import decision_rules, publish
from shnor_lib.methods import conclusions, decisions
from shnor_lib.report import render as report
from shnor_lib.report import spravka
from shnor_lib.report.sections import spravka as views

YEAR = 2024
YEARS = [2022, 2023, 2024]


# ---------------------------------------------------------------------------- planted tables


def _schools() -> pd.DataFrame:
    """Six schools: two ШНОР (A, B), one of them also ШССУ; two leaders (E, F)."""
    return pd.DataFrame(
        {
            "school_id": ["A", "B", "C", "D", "E", "F"],
            "school_name": ["Школа А", "Школа Б", "Школа В", "Школа Г", "Школа Д", "Школа Е"],
            "results_index": [0.20, 0.31, 0.50, 0.55, 0.80, 0.90],
            "results_quartile": [1, 1, 2, 3, 4, 4],
            "low_results": [True, True, False, False, False, False],
            "hard_context": [True, False, False, False, False, False],
            "leader": [False, False, False, False, True, True],
            "risk_group": [False] * 6,
            "social_index": [0.1, 0.5, 0.5, 0.6, 0.7, 0.8],
        }
    )


def _tables() -> dict[str, pd.DataFrame]:
    history = pd.DataFrame(
        {
            "school_id": ["A", "B", "C", "D", "E", "F"],
            "year": [YEAR - 1] * 6,
            "low_results": [True, False, False, False, False, False],
        }
    )
    min_scores = pd.DataFrame(
        {
            "school_id": ["A", "B", "C", "A"],
            "year": [YEAR, YEAR, YEAR, YEAR - 1],
            "below": [30, 10, 0, 99],
            "n": [100, 100, 200, 100],
        }
    )
    teachers = pd.DataFrame(
        {
            "level": ["municipality", "municipality", "school", "school"],
            "school_id": [None, None, "A", "B"],
            "year": [YEAR, YEAR - 1, YEAR, YEAR],
            "n_assessed": [200, 180, 10, 20],
            "n_a": [40, 30, 4, 2],
            "n_b": [80, 60, 4, 6],
            "share_ab": [60.0, 50.0, 80.0, 40.0],
            "share_ab_ci_low": [53.1, 42.8, 49.0, 21.9],
            "share_ab_ci_high": [66.5, 57.2, 94.3, 61.3],
        }
    )
    pairs = pd.DataFrame(
        {"low_results_school_id": ["B"], "leader_school_id": ["E"], "model": ["горизонтальная"]}
    )
    return {
        "schools": _schools(),
        "status_history": history,
        "min_scores": min_scores,
        "teachers_distribution": teachers,
        "pairs": pairs,
    }


def _inputs(tables: dict[str, pd.DataFrame]) -> conclusions.Inputs:
    return conclusions.Inputs(tables, year=YEAR, years=YEARS, confidence=0.95)


def _by_topic(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {r["topic"]: r for _, r in frame.iterrows()}


# ---------------------------------------------------------------------------- conclusions


def test_conclusions_on_planted_tables():
    out = conclusions.generate(_inputs(_tables()))
    assert list(out.columns) == conclusions.COLUMNS
    assert out["no"].tolist() == list(range(1, len(out) + 1))
    c = _by_topic(out)
    assert c["groups"]["value"] == 2
    assert "отнесены 2 из 6 ОО" in c["groups"]["text"]
    assert "ШССУ), — 1 ОО" in c["groups"]["text"]
    assert "Годом ранее ШНОР было 1 — на 1 больше" in c["groups"]["text"]
    # gap of the printed means: leaders (0,80 + 0,90)/2 = 0,85; ШНОР (0,20 + 0,31)/2 = 0,255 → 0,26
    assert c["results_gap"]["value"] == pytest.approx(0.59)
    assert "ШНОР — 0,26, школ-лидеров — 0,85: разрыв 0,59" in c["results_gap"]["text"]
    # this year's ГИА only: 40 of 400, Wilson interval from the counts
    mins = c["below_minimum"]
    assert mins["value"] == pytest.approx(10.0)
    assert "10,0 % результатов (40 из 400; доверительный интервал" in mins["text"]
    assert 0 < mins["ci_low"] < 10 < mins["ci_high"] < 20
    assert f"{conclusions.num(mins['ci_low'])}–{conclusions.num(mins['ci_high'])} %" in mins["text"]
    # teachers: the table's own share and interval, and last year's share
    t = c["teachers"]
    assert (t["value"], t["ci_low"], t["ci_high"]) == (60.0, 53.1, 66.5)
    assert (
        "у 60,0 % прошедших оценку педагогов (120 из 200; доверительный интервал 53,1–66,5 %)"
        in t["text"]
    )
    assert "Годом ранее — 50,0 %" in t["text"]
    # pairs: B has a leader, A has none
    assert c["pairs"]["value"] == pytest.approx(50.0)
    assert "за 1 из 2 ШНОР" in c["pairs"]["text"] and "Без партнёра: Школа А" in c["pairs"]["text"]
    assert all(s in conclusions.__dict__.values() for s in out["section"])


def test_a_missing_table_omits_its_conclusion_and_renumbers():
    tables = _tables()
    full = conclusions.generate(_inputs(tables))
    del tables["min_scores"], tables["status_history"]
    out = conclusions.generate(_inputs(tables))
    assert "below_minimum" not in set(out["topic"])
    assert len(out) == len(full) - 1
    assert out["no"].tolist() == list(range(1, len(out) + 1))
    assert "Годом ранее" not in _by_topic(out)["groups"]["text"]
    assert not out["text"].str.contains("нет данных").any()
    # no table at all: no conclusion, an empty frame with the columns
    empty = conclusions.generate(_inputs({}))
    assert empty.empty and list(empty.columns) == conclusions.COLUMNS


def test_negative_numbers_use_the_true_minus():
    eff = pd.DataFrame(
        {
            "cohort": [2022],
            "n_schools": [4],
            "change": [-0.05],
            "expected_change": [0.03],
            "effect": [-0.08],
            "ci_low": [-0.2],
            "ci_high": [0.04],
        }
    )
    out = conclusions.generate(_inputs({"support_effect": eff}))
    text = out["text"].iloc[0]
    assert "разница −0,08 (доверительный интервал −0,20–0,04)" in text
    assert "значимого эффекта поддержки не выявлено" in text
    assert not re.search(r"(?<![\w–])-\d", text)


def test_roadmap_counts_only_the_overdue_and_needs_a_roadmap():
    overdue = pd.DataFrame(
        {
            "event_id": ["e1", "e2", "e3"],
            "status": [
                "не выполнено, срок истёк",
                "выполнено с опозданием",
                "не выполнено, срок истёк",
            ],
            "days_late": [30, 5, 12],
        }
    )
    support = pd.DataFrame({"block": ["help", "roadmap"], "indicator_id": ["x", "y"]})
    out = conclusions.generate(_inputs({"roadmap_overdue": overdue, "support": support}))
    row = _by_topic(out)["roadmap"]
    assert row["value"] == 2
    assert row["text"] == (
        "Не выполнено в срок 2 мероприятия дорожной карты (наибольшая просрочка — 30 дн.); "
        "выполнено с опозданием — 1."
    )
    # no roadmap given (no roadmap rows in the support table): no conclusion, not «нет просрочек»
    no_roadmap = {"roadmap_overdue": overdue.iloc[0:0], "support": support.iloc[:1]}
    assert conclusions.generate(_inputs(no_roadmap)).empty


# ---------------------------------------------------------------------------- decisions


def _rules(**changes) -> dict:
    rule = {
        "id": "pair_up",
        "level": "school",
        "when": {"status": "low_results", "not_status": "paired"},
        "decision": "закрепить школу-лидера за {school_name}",
        "basis": "ИОР {results_index:.2f}",
        "basis_value": "results_index",
        "risk_category": "высокий",
        "manageability": "управляемый",
        "horizon": "оперативное",
        "owner": "УО",
        "deadline": "june",
        "control_indicator": "schools.results_index",
        "control_value": "results_index",
        "target_value": {"field": "q1_upper"},
    }
    rule.update(changes)
    muni = {
        "id": "gia",
        "level": "municipality",
        "when": {"above": {"below_min_share": 5}},
        "decision": "консультации к ГИА",
        "basis": "ниже минимума {below_min_share:.1p}",
        "basis_value": "below_min_share",
        "risk_category": "высокий",
        "manageability": "управляемый",
        "horizon": "оперативное",
        "owner": "ИМЦ",
        "deadline": "december",
        "control_indicator": "min_scores.share",
        "control_value": "below_min_share",
        "target_value": 5,
    }
    return {
        "deadlines": {
            "june": {"year_offset": 1, "month": 6, "day": 30},
            "december": {"year_offset": 0, "month": 12, "day": 31},
        },
        "rules": [muni, rule],
    }


def test_decisions_on_planted_tables():
    rules = decisions.parse_rules(_rules())
    out = decisions.generate(_inputs(_tables()), rules)
    assert list(out.columns) == decisions.COLUMNS
    # municipal first: 10 % of this year's ГИА below the minimum > 5
    gia = out.iloc[0]
    assert (gia["decision_id"], gia["school_id"]) == ("gia", "")
    assert gia["basis"] == "Ниже минимума 10,0 %" and gia["basis_value"] == pytest.approx(10.0)
    assert gia["deadline"] == f"{YEAR}-12-31" and gia["target_value"] == 5
    # school A is ШНОР without a partner; B has one; C–F are not ШНОР
    school = out[out["school_id"] != ""]
    assert school["school_id"].tolist() == ["A"]
    a = school.iloc[0]
    assert a["decision_id"] == "pair_up-A"
    assert a["decision"] == "Закрепить школу-лидера за Школа А"
    assert a["deadline"] == f"{YEAR + 1}-06-30"  # «не позднее июня» of the next year
    assert a["control_value"] == pytest.approx(0.20)
    assert a["target_value"] == pytest.approx(0.31)  # the largest ИОР of the 1st quartile


def test_a_decision_needs_its_table():
    tables = _tables()
    del tables["min_scores"], tables["pairs"]
    out = decisions.generate(_inputs(tables), decisions.parse_rules(_rules()))
    assert out.empty  # no ГИА table: no municipal rule; no pairing: «not paired» never holds
    assert list(out.columns) == decisions.COLUMNS


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"owner": "директор"}, "owner"),
        ({"deadline": "someday"}, "someday"),
        ({"when": {"status": "shnor"}}, "shnor"),
        ({"basis": "ИОР {unknown_field}"}, "unknown_field"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_rules_are_refused_naming_the_rule(change, needle):
    with pytest.raises(decisions.DecisionRulesError) as err:
        decisions.parse_rules(_rules(**change))
    assert "pair_up" in err.value.message_ru and needle in err.value.message_ru


def test_packaged_rules_load_and_give_the_contract_columns():
    rules = decision_rules.load()
    assert {r["deadline"] for r in rules.rules} <= set(rules.deadlines)
    # the справка names every control indicator of the packaged rules in Russian
    assert {r["control_indicator"] for r in rules.rules} <= set(views.CONTROL_LABELS)
    june = rules.deadlines["june"]
    assert june.date(2024).isoformat() == "2025-06-30"
    out = decisions.generate(_inputs(_tables()), rules)
    assert list(out.columns) == decisions.COLUMNS
    assert set(out["owner"]) <= set(decisions.OWNERS)
    assert set(out["horizon"]) <= set(decisions.HORIZONS)
    shnor = out[out["decision_id"].str.startswith("shnor_program-")]
    assert sorted(shnor["school_id"]) == ["A", "B"]


def test_editing_a_copy_of_the_rules_changes_the_decisions(tmp_path):
    import yaml

    data = yaml.safe_load(decision_rules.DEFAULT.read_text("utf-8"))
    edited = copy.deepcopy(data)
    edited["deadlines"]["june"]["month"] = 5
    edited["deadlines"]["june"]["day"] = 31
    path = tmp_path / "decisions.yml"
    path.write_text(yaml.safe_dump(edited, allow_unicode=True), "utf-8")
    out = decisions.generate(_inputs(_tables()), decision_rules.load(path))
    shnor = out[out["decision_id"].str.startswith("shnor_program-")]
    assert set(shnor["deadline"]) == {f"{YEAR + 1}-05-31"}


# ---------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def rendered(demo_computed):
    root, params, _truth = demo_computed
    html = report.render_report(params)
    return params, html


def test_demo_spravka_docx(rendered):
    from docx import Document

    params, _html = rendered
    out = params.output_dir()
    tables = out / "tables"
    concl = publish.read_csv(tables / "conclusions.csv")
    decs = publish.read_csv(tables / "management_decisions.csv")
    assert 8 <= len(concl) <= 12 and len(decs) > 5
    assert list(decs.columns) == decisions.COLUMNS
    doc = Document(str(out / spravka.FILE_NAME))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "Аналитическая справка"
    assert any(params.title in t and "Муниципальное образование" in t for t in texts)
    numbered = [t for t in texts if re.match(r"\d+\. ", t)]
    assert len(numbered) == len(concl)
    for t, (_, row) in zip(numbered, concl.iterrows(), strict=True):
        assert t.startswith(f"{row['no']}. {row['text']}")
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == list(views.HEADERS.values())
    assert len(table.rows) == len(decs) + 1
    assert any("Начальник управления образования" in t for t in texts)
    # the numbers of a couple of sentences are the table's values
    by = _by_topic(concl)
    assert f"отнесены {int(by['groups']['value'])} из" in by["groups"]["text"]
    if "teachers" in by:
        assert conclusions.pct(by["teachers"]["value"]) in by["teachers"]["text"]
    # byte-identical when written again from the same tables
    again = spravka.build(
        {
            n: publish.read_csv(tables / f"{n}.csv")
            for n in ("conclusions", "management_decisions", "schools")
        },
        title=params.title,
        year=params.year,
    )
    assert again == (out / spravka.FILE_NAME).read_bytes()


def test_demo_spravka_opens_the_report(rendered):
    params, html = rendered
    text = html.read_text("utf-8")
    ids = re.findall(r'<h2[^>]*id="([^"]+)"', text)
    assert ids[0] == "Аналитическая-справка", ids[:3]
    concl = publish.read_csv(params.output_dir() / "tables" / "conclusions.csv")
    all_ids = set(re.findall(r'id="([^"]+)"', text))
    missing = sorted(set(concl["section"]) - all_ids)
    assert not missing, f"conclusions link to sections the report lacks: {missing}"
    start = text.index('id="Аналитическая-справка"')
    end = text.index(f'id="{ids[1]}"')
    block = text[start:end]
    assert block.count("<li>") == len(concl)
    assert "Предлагаемые управленческие решения" in block


def test_write_spravka_follows_the_param_and_needs_the_tables(tmp_path):
    from docx import Document

    from shnor_lib.config import load_params

    inp = _inputs(_tables())
    stage = tmp_path / "stage"
    (stage / "tables").mkdir(parents=True)
    made = {
        "conclusions": conclusions.generate(inp),
        "management_decisions": decisions.generate(inp, decision_rules.load()),
        "schools": _schools(),
    }
    for name, frame in made.items():
        publish.write_csv(frame, stage / "tables" / f"{name}.csv")

    def params(on: bool):
        over = {"municipality": "m", "title": "Район", "year": YEAR, "report": {"spravka": on}}
        return load_params(None, root=tmp_path, overrides=over)

    report._write_spravka(params(False), stage, "[m]")
    assert not (stage / spravka.FILE_NAME).exists()
    report._write_spravka(params(True), stage, "[m]")
    doc = Document(str(stage / spravka.FILE_NAME))
    assert len(doc.tables[0].rows) == len(made["management_decisions"]) + 1
    (stage / spravka.FILE_NAME).unlink()
    (stage / "tables" / "conclusions.csv").unlink()  # tables of an older version
    report._write_spravka(params(True), stage, "[m]")
    assert not (stage / spravka.FILE_NAME).exists()
