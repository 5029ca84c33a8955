"""Params: defaults, overrides, and rejection of unknown keys and wrong types."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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
    # the misspelt key also leaves the municipality id missing: both are said
    assert cols == {"municipalty", "results_index.scalling", "municipality"}
    assert "неизвестный параметр" in info.value.format()


def test_wrong_types_and_ranges(tmp_path):
    path = _write(
        tmp_path,
        "municipality: x\nyear: '2024'\nconfidence: 1.5\nmin_group_size: 2.5\n"
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
    path = _write(
        tmp_path, "municipality: x\nconfidence: 0.9\nobjectivity:\n  min_excess: 12\nregion: krai\n"
    )
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
        "municipality: x\nresults_index:\n  components:\n    gia_below_min: {weight: -0.4}\n"
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
        "municipality: x\nresults_index:\n  components:\n    gia_below_min: {weight: 0}\n"
        "    ege_mean: {weight: 0}\n    oge_mean_mark: {weight: 0}\n"
        "    vpr_mean_mark: {weight: 0}\n",
    )
    with pytest.raises(ValidationError, match="положительный вес"):
        load_params(zero)


# Hardening (issue 17: params are untrusted input, they may arrive with the data) -----------


def _problems_of(path: Path, **kw) -> list:
    with pytest.raises(ValidationError) as info:
        load_params(path, **kw)
    return info.value.problems


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('window: "3"\n', "window"),
        ('confidence: "0.95"\n', "confidence"),
        ("year: 2024.5\n", "year"),
        ("window: true\n", "window"),
        ('min_group_size: "10"\n', "min_group_size"),
        ("results_index: minmax\n", "results_index"),
        ("results_index:\n", "results_index"),  # a section given as null
        ("paths: data\n", "paths"),
        ("paths:\n", "paths"),
        ("report: [notebooks/report.ipynb]\n", "report"),
        ("teachers: 5\n", "teachers"),
        ("results_index:\n  components: 0.4\n", "results_index.components"),
        ("results_index:\n  components:\n    ege_mean: 0.2\n", "results_index.components.ege_mean"),
        ("clusters:\n  k_min: '2'\n", "clusters.k_min"),
        ("teachers:\n  deficit_cuts: 50\n", "teachers.deficit_cuts"),
        ("window: [3]\n", "window"),
        ("municipality: 17\n", "municipality"),
    ],
)
def test_wrong_types_and_sections_are_messages_not_crashes(tmp_path, text, key):
    body = text if text.startswith("municipality") else "municipality: x\n" + text
    problems = _problems_of(_write(tmp_path, body))
    assert key in {p.column for p in problems}
    shown = ValidationError(problems).format()
    assert f"параметр «{key}»" in shown and "ожидалось" in shown


def test_wrong_type_through_the_cli_exits_2_without_traceback(tmp_path, monkeypatch, capsys):
    from shnor_lib.cli import main

    path = _write(tmp_path, 'municipality: x\nwindow: "3"\nresults_index: null\n')
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "«window»" in err and "«results_index»" in err
    assert "целое число" in err and not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        ("municipality: x\nyear: 2023\nwindow: 3\nyear: 2024\n", "year", (2, 4)),
        ("municipality: x\nmunicipality: y\n", "municipality", (1, 2)),
        (
            "municipality: x\nresults_index:\n  scaling: minmax\n  scaling: percentile\n",
            "scaling",
            (3, 4),
        ),
        ("municipality: x\nreport:\n  timeout_s: 10\nreport:\n  timeout_s: 20\n", "report", (2, 4)),
    ],
)
def test_duplicate_keys_name_the_key_and_both_lines(tmp_path, text, key, lines):
    with pytest.raises(ShnorError) as info:
        load_params(_write(tmp_path, text))
    msg = info.value.format()
    assert f"«{key}»" in msg and f"строки {lines[0]} и {lines[1]}" in msg and "m.yml" in msg


_BOMB = (
    "municipality: x\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


@pytest.mark.parametrize(
    "text",
    [
        _BOMB,
        "municipality: x\nbase: &b {window: 3}\nother: *b\n",
        "municipality: &m x\ntitle: *m\n",
        "municipality: x\nclusters: &c\n  k_min: 2\n",  # an anchor alone
        "municipality: x\n_base: &base {k_min: 2}\nclusters:\n  <<: *base\n",
    ],
)
def test_yaml_aliases_and_anchors_are_refused_before_expanding(tmp_path, text):
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with pytest.raises(ShnorError) as info:
        load_params(_write(tmp_path, text))
    assert time.perf_counter() - t0 < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
    msg = info.value.format()
    assert ("ссылки YAML" in msg or "якоря YAML" in msg) and "строка" in msg


def test_oversized_params_file_is_refused_before_parsing(tmp_path):
    text = "municipality: x\n" + "".join(f"# {'x' * 70}\n" for _ in range(5000))
    with pytest.raises(ShnorError, match="слишком большой"):
        load_params(_write(tmp_path, text))


def test_missing_municipality_is_an_error_not_a_default(tmp_path):
    problems = _problems_of(_write(tmp_path, "title: Район\nyear: 2024\n"))
    assert [p.column for p in problems] == ["municipality"]
    assert "municipality" in ValidationError(problems).format()
    # an empty file says the same; params/demo.yml still loads (first test)
    assert [p.column for p in _problems_of(_write(tmp_path, "# пусто\n"))] == ["municipality"]
    # given by the caller (the report notebook, a region run) it is not missing
    p = load_params(_write(tmp_path, "year: 2024\n"), overrides={"municipality": "x"})
    assert p.municipality == "x"


BAD_IDS = [
    "../../x",
    "..",
    ".",
    "/tmp/x",
    "a/b",
    "a\\b",
    "",
    " ",
    "demo report",
    "<script>alert(1)</script>",
    '"q"',
    "a'b",
    "a&b",
    "Демо",
    "Temryuk",
    "x" * 65,
    ".hidden",
    "-x",
    "_x",
    "x\n",
    "x;rm -rf",
    "%2e%2e",
    "demo\u200b",
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_unsafe_municipality_ids_are_refused(tmp_path, bad):
    path = _write(tmp_path, yaml.safe_dump({"municipality": bad}, allow_unicode=True))
    problems = _problems_of(path)
    assert [p.column for p in problems] == ["municipality"]
    assert "строчных латинских букв" in problems[0].expected_ru
    # the same through overrides (a region folder name, the notebook's parameter)
    with pytest.raises(ValidationError):
        load_params(None, root=tmp_path, overrides={"municipality": bad})


@pytest.mark.parametrize(
    "good", ["demo", "demo_region", "temryuk", "m-01", "tr_m01", "0a", "x" * 64]
)
def test_safe_ids_are_accepted(tmp_path, good):
    p = load_params(_write(tmp_path, f"municipality: {good}\nregion: {good}\n"))
    assert p.municipality == good and p.output_dir() == tmp_path / "outputs" / good / "2024"


@pytest.mark.parametrize("bad", ["../r", "/abs", "Край", "a b", "<b>"])
def test_unsafe_region_ids_are_refused(tmp_path, bad):
    path = _write(
        tmp_path, yaml.safe_dump({"municipality": "x", "region": bad}, allow_unicode=True)
    )
    assert [p.column for p in _problems_of(path)] == ["region"]


def test_bad_municipality_id_through_cli_writes_nothing_outside(tmp_path, monkeypatch, capsys):
    from shnor_lib.cli import main

    root = tmp_path / "proj"
    (root / "params").mkdir(parents=True)
    (root / "data" / "raw" / "ok").mkdir(parents=True)
    path = root / "params" / "m.yml"
    path.write_text("municipality: ../../escaped\n", "utf-8")
    monkeypatch.chdir(root)
    for cmd in ("validate", "compute"):
        assert main([cmd, "--params", str(path)]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "«municipality»" in err and "../../escaped" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"]
    assert sorted(p.name for p in root.iterdir()) == ["data", "params"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("processed", "../../elsewhere"),
        ("processed", "/tmp/shnor-elsewhere"),
        ("processed", "data/../../x"),
        ("processed", ""),
        ("processed", "."),
        ("outputs", "../outputs"),
        ("outputs", "/"),
        ("outputs", "data/raw"),  # results written into the source data
        ("outputs", "data/raw/sub"),
        ("processed", "data/raw"),
        ("raw", "../../etc"),
        ("raw", "data/../.."),
        ("raw", "outputs"),  # the outputs would then be read as data
    ],
)
def test_params_paths_must_stay_inside_the_project(tmp_path, key, value):
    path = _write(tmp_path, yaml.safe_dump({"municipality": "x", "paths": {key: value}}))
    problems = _problems_of(path)
    assert {p.column for p in problems} <= {"paths.raw", "paths.processed", "paths.outputs"}
    assert any(p.column == f"paths.{key}" and p.value == value for p in problems) or any(
        value in p.expected_ru for p in problems
    ), problems


def test_params_paths_inside_the_project_or_raw_elsewhere_are_accepted(tmp_path):
    elsewhere = tmp_path.parent / "share" / "raw"
    text = yaml.safe_dump(
        {
            "municipality": "x",
            "paths": {
                "raw": str(elsewhere),  # read only: may live on another disk
                "processed": str(tmp_path / "work" / "processed"),  # absolute, inside
                "outputs": "work/../published",
            },
        }
    )
    p = load_params(_write(tmp_path, text))
    assert p.raw_dir() == elsewhere / "x"
    assert p.output_dir().resolve() == (tmp_path / "published" / "x" / "2024").resolve()


@pytest.mark.parametrize(
    "notebook",
    [
        "data/raw/x/evil.ipynb",
        "data/raw/x/notebooks/report.ipynb",
        "/tmp/evil.ipynb",
        "notebooks/../data/raw/x/evil.ipynb",
        "../notebooks/report.ipynb",
        "notebooks/report.py",
        "notebooks",
        "outputs/x/2024/report.ipynb",
        "./data/raw/x/evil.ipynb",
    ],
)
def test_report_notebook_outside_notebooks_is_refused(tmp_path, notebook):
    path = _write(tmp_path, yaml.safe_dump({"municipality": "x", "report": {"notebook": notebook}}))
    problems = _problems_of(path)
    assert [p.column for p in problems] == ["report.notebook"]
    assert "notebooks/" in problems[0].expected_ru and "с вашими правами" in problems[0].expected_ru


def test_report_notebook_symlinked_from_notebooks_into_data_is_refused(tmp_path):
    evil = tmp_path / "data" / "raw" / "x" / "evil.ipynb"
    evil.parent.mkdir(parents=True)
    evil.write_text("{}", "utf-8")
    link = tmp_path / "notebooks" / "local" / "evil.ipynb"
    link.parent.mkdir(parents=True)
    link.symlink_to(evil)
    path = _write(tmp_path, "municipality: x\nreport:\n  notebook: notebooks/local/evil.ipynb\n")
    assert [p.column for p in _problems_of(path)] == ["report.notebook"]


@pytest.mark.parametrize("notebook", ["notebooks/report.ipynb", "notebooks/local/my.ipynb"])
def test_report_notebooks_of_the_project_are_accepted(tmp_path, notebook):
    path = _write(tmp_path, f"municipality: x\nreport:\n  notebook: {notebook}\n")
    assert load_params(path).report.notebook == notebook


def test_report_refuses_a_notebook_shipped_with_the_data_and_never_runs_it(
    tmp_path, monkeypatch, capsys
):
    """Issue 18 item 2: a params file received with the data cannot run its notebook."""
    import json

    from shnor_lib.cli import main

    marker = tmp_path / "pwned"
    cell = {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": f"open({str(marker)!r}, 'w').write('x')",
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    evil = tmp_path / "data" / "raw" / "x" / "evil.ipynb"
    evil.parent.mkdir(parents=True)
    evil.write_text(json.dumps(nb), "utf-8")
    path = _write(tmp_path, "municipality: x\nreport:\n  notebook: data/raw/x/evil.ipynb\n")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert "report.notebook" in err and "notebooks/" in err and "Traceback" not in err
    assert not marker.exists() and not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_min_group_size_below_the_disclosure_floor_is_refused(tmp_path, size):
    problems = _problems_of(_write(tmp_path, f"municipality: x\nmin_group_size: {size}\n"))
    assert [p.column for p in problems] == ["min_group_size"]
    assert "unsafe_small_groups: true" in problems[0].expected_ru


def test_unsafe_small_groups_override_is_explicit_and_warned(tiny_project):
    root, _ = tiny_project
    path = root / "params" / "tiny.yml"
    path.write_text(path.read_text("utf-8") + "min_group_size: 1\nunsafe_small_groups: true\n")
    params = load_params(path)
    assert params.min_group_size == 1 and len(params.warnings()) == 1
    from shnor_lib.io import ingest

    warnings = ingest.ingest(params).warnings
    assert any("min_group_size = 1" in w and "ниже порога" in w for w in warnings)
    # at the floor: accepted, no warning
    path.write_text("municipality: tiny\nyear: 2024\nwindow: 2\nmin_group_size: 5\n")
    assert load_params(path).warnings() == []


@pytest.mark.parametrize("bad", ["../../x", "/tmp/r", "Край", "a b"])
def test_region_cli_refuses_an_unsafe_region_id_before_writing(tmp_path, monkeypatch, capsys, bad):
    from shnor_lib.cli import main

    (tmp_path / "raw" / "m1").mkdir(parents=True)
    (tmp_path / "raw" / "m1" / "schools.csv").write_text("school_id\n1\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["region", "--raw", "raw", "--region", bad, "--no-report"]) == 2
    err = capsys.readouterr().err
    assert "«region»" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


@pytest.mark.parametrize(
    "text",
    [
        "municipality: x\ntitle: !!python/object/apply:os.system ['touch {marker}']\n",
        "municipality: !!python/name:os.system x\n",
        "municipality: x\nwindow: " + "[" * 5000 + "]" * 5000 + "\n",
    ],
)
def test_yaml_tags_and_deep_nesting_are_messages(tmp_path, text):
    marker = tmp_path / "pwned"
    with pytest.raises(ShnorError) as info:
        load_params(_write(tmp_path, text.replace("{marker}", str(marker))))
    assert not marker.exists() and "m.yml" in info.value.format()


def test_params_not_in_utf8_is_a_message(tmp_path):
    path = _write(tmp_path, "")
    path.write_bytes("municipality: x\ntitle: Район\n".encode("cp1251"))
    with pytest.raises(ShnorError, match="UTF-8"):
        load_params(path)


@pytest.mark.parametrize(
    "text",
    [
        "social_index:\n  min_schools_per_term: 0\n",
        "social_index:\n  max_missing_share: 1.5\n",
        "report:\n  timeout_s: 0\n",
        "report:\n  timeout_s: -5\n",
        "indicators:\n  ege_high_score: 120\n",
        "objectivity:\n  procedure: ОГЭ\n",
        "objectivity:\n  targets:\n    confirmed: 150\n",
    ],
)
def test_values_the_methods_divide_by_are_bounded(tmp_path, text):
    problems = _problems_of(_write(tmp_path, "municipality: x\n" + text))
    assert len(problems) == 1 and problems[0].column.count(".") >= 1


def test_params_file_kept_beside_the_data_cannot_run_its_notebook(tmp_path, monkeypatch, capsys):
    """A params file in data/raw/<m>/params/ makes data/raw/<m> the root: the default
    notebooks/report.ipynb there would be the data's own notebook."""
    from shnor_lib.cli import main

    folder = tmp_path / "data" / "raw" / "x"
    (folder / "params").mkdir(parents=True)
    (folder / "notebooks").mkdir()
    (folder / "notebooks" / "report.ipynb").write_text("{}", "utf-8")
    path = folder / "params" / "x.yml"
    path.write_text("municipality: x\n", "utf-8")
    problems = _problems_of(path)
    assert [p.column for p in problems] == ["report.notebook"]
    assert "params/ проекта" in problems[0].expected_ru
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--params", str(path)]) == 2
    assert "Traceback" not in capsys.readouterr().err
