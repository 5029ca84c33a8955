"""The stage list: running a part of it, the result shape, table names and notes."""

from __future__ import annotations

import pandas as pd
import pytest

from shnor_lib import pipeline, tables
from shnor_lib.config import load_params
from shnor_lib.notes import Note, select


def test_stages_are_declared_once_in_method_order():
    names = pipeline.stage_names()
    assert len(names) == len(set(names))
    assert names[0] == "ingest"
    # ИОР is computed after the objectivity exclusions, ИСБ after ИОР
    assert names.index("objectivity") < names.index("results_index") < names.index("social_index")
    assert names.index("risk_profile") < names.index("clusters") < names.index("pairing")
    # the справка cites every table, the recommendations included
    assert names[-2:] == ["recommendations", "spravka"]


def test_run_refuses_a_start_without_the_earlier_stages():
    params = load_params()
    with pytest.raises(ValueError, match="needs the context"):
        pipeline.run(params, start="social_index")
    ctx = pipeline.Context(params=params, done=["ingest", "indicators"])
    with pytest.raises(ValueError, match="min_scores, objectivity, results_index"):
        pipeline.run(params, start="social_index", ctx=ctx)
    with pytest.raises(ValueError, match="unknown stage 'isb'"):
        pipeline.run(params, until="isb")


def _ctx_with_schools() -> pipeline.Context:
    params = load_params()
    data = {
        "schools": pd.DataFrame({"school_id": ["2", "1"], "school_name": ["Б", "А"]}),
        "context": pd.DataFrame(
            {"school_id": ["1", "2"], "year": [params.year] * 2, "students_total": [100, 200]}
        ),
    }
    return pipeline.Context(params=params, data=data, done=["ingest"])


def test_schools_are_assembled_from_the_stages_columns_without_changing_them():
    ctx = _ctx_with_schools()
    first = pd.DataFrame({"school_id": ["1", "2"], "results_index": [0.2, 0.8]})
    ctx.add("a", pipeline.StageResult(school_columns=first))
    ctx.add("b", pipeline.StageResult(school_columns=pd.DataFrame({"school_id": ["2"], "x": [5]})))
    s = ctx.schools()
    assert list(s["school_id"]) == ["1", "2"]  # sorted, contract columns first
    assert list(s.columns[:3]) == ["school_id", "school_name", "results_index"]
    assert s["results_index"].tolist() == [0.2, 0.8]
    assert s["x"].isna().tolist() == [True, False]
    assert list(first.columns) == ["school_id", "results_index"]  # the stage's frame untouched


def test_published_tables_come_in_declared_order_and_undeclared_ones_are_refused():
    ctx = _ctx_with_schools()
    ctx.add("a", pipeline.StageResult(tables={tables.RISK: pd.DataFrame({"a": [1]})}))
    ctx.add("b", pipeline.StageResult(tables={tables.INDICATORS: pd.DataFrame({"b": [1]})}))
    assert list(pipeline.published_tables(ctx)) == [tables.SCHOOLS, tables.INDICATORS, tables.RISK]
    ctx.add("c", pipeline.StageResult(tables={"risk_levels_v2": pd.DataFrame()}))
    with pytest.raises(KeyError, match="risk_levels_v2"):
        pipeline.published_tables(ctx)


def test_manifest_round_trips_its_notes():
    ctx = _ctx_with_schools()
    ctx.add(
        "clusters",
        pipeline.StageResult(notes=[Note("clusters", "info", "Число кластеров k = 2", "clusters")]),
    )
    ctx.add("ingest", pipeline.StageResult(notes=[Note("ingest", "warning", "ФИО удалены")]))
    d = pipeline.manifest(ctx).to_dict()
    assert d["notes"][0] == {
        "stage": "clusters",
        "level": "info",
        "text_ru": "Число кластеров k = 2",
        "table": "clusters",
        "school_id": None,
    }
    back = pipeline.Manifest.from_dict(d)
    assert back.notes == ctx.notes
    res = pipeline.Results(params=ctx.params, tables={}, manifest=d)
    assert [n.text_ru for n in select(res.notes, level="warning", table=None)] == ["ФИО удалены"]
    with pytest.raises(ValueError, match="level"):
        Note("x", "error", "…")


def test_params_that_would_do_nothing_are_refused():
    """results_index.reference: region works only in a region run: without ``region:`` it is
    refused with the reason, never shown in the parameters table as if applied.
    indicators.medal_score is gone: A25 is computed from the counts in the data
    (stats.medalists_elective_ge70)."""
    from shnor_lib.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        load_params(overrides={"results_index": {"reference": "region"}})
    assert "только в расчёте региона (shnor region" in str(exc.value)
    assert load_params().results_index.reference == "municipality"
    ok = load_params(overrides={"region": "r", "results_index": {"reference": "region"}})
    assert ok.results_index.reference == "region"
    with pytest.raises(ValidationError, match="indicators.medal_score"):
        load_params(overrides={"indicators": {"medal_score": 70}})
