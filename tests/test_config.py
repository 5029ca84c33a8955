"""Params: defaults, overrides, and rejection of unknown keys and wrong types."""

from __future__ import annotations

from pathlib import Path

import pytest

from shnor_lib.config import load_params
from shnor_lib.errors import ShnorError, ValidationError

ROOT = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "params").mkdir(exist_ok=True)
    path = tmp_path / "params" / "m.yml"
    path.write_text(text, "utf-8")
    return path


def test_demo_params_load_and_root_is_project():
    p = load_params(ROOT / "params" / "demo.yml")
    assert p.municipality == "demo" and p.year == 2024
    assert p.years == [2022, 2023, 2024]
    assert p.root == ROOT
    assert p.output_dir() == ROOT / "outputs" / "demo" / "2024"
    weights = [c.weight for c in p.results_index.components.values()]
    assert sum(weights) == pytest.approx(1.0)


def test_override_merges_nested(tmp_path):
    path = _write(tmp_path, "municipality: x\nresults_index:\n  scaling: percentile\n")
    p = load_params(path)
    assert p.results_index.scaling == "percentile"
    assert p.results_index.min_weight_share == 0.5  # untouched default survives the merge


def test_unknown_keys_named_with_path(tmp_path):
    path = _write(tmp_path, "municipalty: x\nresults_index:\n  scalling: minmax\n")
    with pytest.raises(ValidationError) as info:
        load_params(path)
    cols = {p.column for p in info.value.problems}
    assert cols == {"municipalty", "results_index.scalling"}
    assert "неизвестный параметр" in info.value.format()


def test_wrong_types_and_ranges(tmp_path):
    path = _write(
        tmp_path,
        "year: '2024'\nconfidence: 1.5\nmin_group_size: 2.5\n"
        "social_index:\n  candidates: [low_income, 3]\n"
        "results_index:\n  scaling: zscore\n",
    )
    with pytest.raises(ValidationError) as info:
        load_params(path)
    cols = {p.column for p in info.value.problems}
    assert cols == {
        "year",
        "confidence",
        "min_group_size",
        "social_index.candidates",
        "results_index.scaling",
    }


def test_int_accepted_for_float_and_null_region(tmp_path):
    path = _write(tmp_path, "confidence: 0.9\nobjectivity:\n  min_excess: 12\nregion: krai\n")
    p = load_params(path)
    assert p.objectivity.min_excess == 12 and p.region == "krai"


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ShnorError, match="не найден"):
        load_params(tmp_path / "nope.yml")
    path = _write(tmp_path, "year: [2024\n")
    with pytest.raises(ShnorError, match="YAML"):
        load_params(path)


def test_cross_key_rules_and_ranges(tmp_path):
    path = _write(
        tmp_path,
        "results_index:\n  components:\n    gia_below_min: {weight: -0.4}\n"
        "  low_results_years: 5\nteachers:\n  deficit_cuts: [70, 50, 85]\n"
        "social_index:\n  hard_context_quartile: 7\n"
        "pairing:\n  max_pairs_per_leader: 0\n",
    )
    with pytest.raises(ValidationError) as info:
        load_params(path)
    cols = {p.column for p in info.value.problems}
    assert cols == {
        "results_index.components.gia_below_min.weight",
        "results_index.low_results_years",
        "teachers.deficit_cuts",
        "social_index.hard_context_quartile",
        "pairing.max_pairs_per_leader",
    }
    zero = _write(
        tmp_path,
        "results_index:\n  components:\n    gia_below_min: {weight: 0}\n"
        "    ege_mean: {weight: 0}\n    oge_mean_mark: {weight: 0}\n"
        "    vpr_mean_mark: {weight: 0}\n",
    )
    with pytest.raises(ValidationError, match="положительный вес"):
        load_params(zero)
