"""M7 forms and scores: blank forms (sheets, frozen panes, data validation), the round trip
blank → filled with openpyxl → ingested → scores, every bad-form case, the roadmap
measures, the synthetic forms and the report cells."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import report_cells
from openpyxl import load_workbook

from shnor_lib.config import load_params
from shnor_lib.demo import synth
from shnor_lib.errors import ValidationError
from shnor_lib.io import forms_read, forms_spec, forms_write, publish
from shnor_lib.methods import support, teachers
from shnor_lib.report import display

ROOT = Path(__file__).resolve().parent.parent
SEED_001 = ROOT / "tests" / "fixtures" / "seed_001_monitoring_form.txt"  # the regulation text
SCHOOLS = pd.DataFrame(
    {"school_id": ["100001", "100002", "100003"], "school_name": ["СОШ № 1", "ООШ № 2", "СОШ № 3"]}
)


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("blank")
    paths = forms_write.write_blank_forms(out)
    return {key: p for key, p in zip(forms_spec.BLOCKS, paths, strict=True)}


def _project(tmp_path: Path, **params) -> tuple[Path, object]:
    raw = tmp_path / "data" / "raw" / "t"
    (raw / "forms").mkdir(parents=True)
    p = load_params(overrides={"municipality": "t", "year": 2024, **params}, root=tmp_path)
    return raw, p


def _forms(raw: Path, data: dict, params) -> forms_spec.FormsData:
    """The forms in ``raw/forms`` read as ingest reads them (with the schools of ``data``):
    ValidationError for a broken form."""
    schools = data.get("schools")
    return forms_read.read_forms(
        raw / forms_spec.FORMS_SUBDIR,
        year=int(params.year),
        school_ids=None if schools is None else schools["school_id"].astype(str),
        school_names=None
        if schools is None
        else dict(zip(schools["school_id"], schools["school_name"], strict=True)),
        root=params.root,
    )


def _stage(raw: Path, data: dict, params) -> support.SupportResult:
    """M7 on the forms in ``raw/forms`` as ingest parsed them."""
    return support.stage(_forms(raw, data, params), data, params)


# ---------------------------------------------------------------------------- definitions


def test_item_definitions_follow_the_seed():
    forms = forms_spec.load_forms()
    help_ = forms["help"]
    assert len(help_.items) == 13
    assert [i.num for i in help_.items if i.kind == "count"] == ["8", "9", "10", "11", "12"]
    assert sum(i.kind == "presence" for i in help_.items) == 8
    mnc = {i.num: i for i in forms["mnc"].indicators}
    assert [mnc[k].max_score for k in range(1, 7)] == [1, 2, 3, 5, 8, 5]
    assert mnc[3].seed_max == 2 and mnc[3].max_score == 3  # the seed's typo, scored 0–3
    assert forms["mnc"].max_total == 24
    mtkp = {i.num: i for i in forms["mtkp"].indicators}
    assert [mtkp[k].max_score for k in range(1, 7)] == [1, 3, 3, 4, 4, 3]
    ids = {i.id for b in ("help", "mnc", "mtkp") for i in forms[b].items}
    assert {"b1_01_mgmt_competence_assessment_events", "mnc_2a_mentor_mgmt_experience"} <= ids
    assert {"mtkp_4b_pupil_sessions_open_lessons", "mnc_3c_direct_contact"} <= ids
    assert [c.id for c in forms["roadmap"].columns] == [
        "event_id", "title", "level", "form", "due", "responsible", "done", "published_url"
    ]  # fmt: skip
    notes = forms_spec.range_notes()
    assert any("показатель 3" in n and "от 0 до 2" in n and "от 0 до 3" in n for n in notes)


def test_item_wording_is_the_seed_wording():
    def norm(s: str) -> str:
        s = re.sub(r"\s+", " ", s.replace("\t", " "))
        return s.replace("снеобъективными", "с необъективными").replace(
            "педагога собой", "педагога с собой"
        )

    seed = norm(SEED_001.read_text("utf-8"))
    for b in ("help", "mnc", "mtkp"):
        for item in forms_spec.load_forms()[b].items:
            head = norm(item.text_ru)[:45]
            assert head in seed, (item.id, head)


# ---------------------------------------------------------------------------- blank forms


def _validations(ws) -> list:
    return list(ws.data_validations.dataValidation)


def _covers(dv, ref: str) -> bool:
    return any(ref in rng for rng in dv.sqref.ranges)


def test_blank_forms_sheets_panes_and_validation(blank):
    assert [p.name for p in blank.values()] == [
        "form1_metod_pomosch.xlsx", "form2_mnc.xlsx", "form3_mtkp.xlsx", "form4_roadmap.xlsx"
    ]  # fmt: skip
    forms = forms_spec.load_forms()
    for key, path in blank.items():
        wb = load_workbook(path)
        assert wb.sheetnames == ["Инструкция", forms[key].sheet], key
        year = [dv for dv in _validations(wb["Инструкция"]) if dv.type == "whole"]
        assert year and _covers(year[0], "B5")
    # methodical help: 0/1 list on presence cells, whole >= 0 on count cells
    ws = load_workbook(blank["help"])["Методическая помощь"]
    assert ws.freeze_panes == "A3"
    dvs = _validations(ws)
    lst = next(dv for dv in dvs if dv.type == "list")
    whole = next(dv for dv in dvs if dv.type == "whole")
    assert lst.formula1 == '"0,1"' and lst.showErrorMessage
    assert whole.operator == "greaterThanOrEqual" and whole.formula1 == "0"
    for k, item in enumerate(forms["help"].items):
        r = 3 + k
        assert ws.cell(r, 2).value == item.text_ru
        assert ws.cell(r, 5).value == item.id
        if item.kind == "presence":
            assert _covers(lst, f"C{r}") and not _covers(whole, f"C{r}")
            assert ws.cell(r, 4).value == "*"
        else:
            assert _covers(whole, f"D{r}") and not _covers(lst, f"D{r}")
            assert ws.cell(r, 3).value == "*"
    # МНЦ / МТКП: a 0/1 list over every sub-item column, codes in row 4, frozen keys
    for key, pane, first, last in (("mnc", "C5", "C", "Z"), ("mtkp", "D5", "D", "U")):
        ws = load_workbook(blank[key])[forms[key].sheet]
        assert ws.freeze_panes == pane
        codes = [c.value for c in ws[4] if c.value]
        assert codes == [c.id for c in forms[key].columns]
        (dv,) = _validations(ws)
        assert dv.type == "list" and dv.formula1 == '"0,1"'
        assert _covers(dv, f"{first}5") and _covers(dv, f"{last}500")
        assert not _covers(dv, "A5")
        assert "Доступность" in " ".join(str(c.value) for c in ws[2] if c.value)
    # roadmap: date validation on due and done, list on level
    ws = load_workbook(blank["roadmap"])["Дорожная карта"]
    assert ws.freeze_panes == "B4"
    dvs = _validations(ws)
    dates = [dv for dv in dvs if dv.type == "date"]
    assert len(dates) == 2
    assert {str(d.sqref).split(":")[0] for d in dates} == {"E4", "G4"}
    assert all(_covers(d, "E900") or _covers(d, "G900") for d in dates)
    level = next(dv for dv in dvs if dv.type == "list")
    assert level.formula1 == '"край,муниципалитет,ОО"' and _covers(level, "C4")
    assert ws["E4"].number_format == "DD.MM.YYYY"


def test_blank_forms_are_deterministic(blank, tmp_path):
    again = forms_write.write_blank_forms(tmp_path)
    for p in again:
        assert p.read_bytes() == (blank["help"].parent / p.name).read_bytes(), p.name


def test_cli_forms_writes_the_blanks(tmp_path):
    from shnor_lib import cli

    assert cli.main(["forms", "--out", str(tmp_path / "f")]) == 0
    assert len(list((tmp_path / "f").glob("*.xlsx"))) == 4


def test_blank_forms_are_rejected_with_a_message_per_cell(blank, tmp_path):
    raw, params = _project(tmp_path)
    shutil.copy(blank["help"], raw / "forms")
    with pytest.raises(ValidationError) as exc:
        _stage(raw, {"schools": SCHOOLS}, params)
    assert len(exc.value.problems) == 13  # every item of the blank form is empty


# ---------------------------------------------------------------------------- round trip

HELP_VALUES = {
    "b1_01_mgmt_competence_assessment_events": 1,
    "b1_02_roadmap_targeted_events": 1,
    "b1_03_roadmap_all_actors_events": 0,
    "b1_04_cyclic_events": 1,
    "b1_05_website_section": 1,
    "b1_06_roadmap_execution": 0,
    "b1_07_mgmt_team_events": 1,
    "b1_08_n_schools_in_events": 3,
    "b1_09_n_leader_schools_in_network": 2,
    "b1_10_n_lowres_schools_in_network": 0,
    "b1_11_n_schools_targeted_help": 3,
    "b1_12_n_participants_events": 57,
    "b1_13_analytics_and_decisions": 1,
}


def _fill_help(path: Path, values: dict) -> None:
    """As a user would: find each item by its code (column E), type into C or D."""
    wb = load_workbook(path)
    ws = wb["Методическая помощь"]
    for row in ws.iter_rows(min_row=3):
        code = row[4].value
        if code in values:
            kind = next(i.kind for i in forms_spec.load_forms()["help"].items if i.id == code)
            row[2 if kind == "presence" else 3].value = values[code]
    wb.save(path)


def _fill_units(path: Path, sheet: str, rows: list[dict]) -> None:
    wb = load_workbook(path)
    ws = wb[sheet]
    col = {c.value: c.column for c in ws[4] if c.value}
    for i, rec in enumerate(rows):
        for key, value in rec.items():
            ws.cell(5 + i, col[key], value)
    wb.save(path)


def _mnc_rows() -> list[dict]:
    ids = [i.id for i in forms_spec.load_forms()["mnc"].items]
    a = {k: 1 for k in ids}  # all 1: indicator 3 = 3 (the corrected maximum)
    b = {k: 0 for k in ids}
    b.update(mnc_1_documentation=1, mnc_3a_info_platform=1, mnc_5c_external_network=1)
    c = {k: (1 if k.startswith(("mnc_2", "mnc_3")) else 0) for k in ids}
    c["mnc_3b_resources"] = 0
    return [
        {"mentor_code": "Н-01", "school_id": "100001", **a},
        {"mentor_code": "Н-01", "school_id": "100002", **b},
        {"mentor_code": "Н-02", "school_id": "100003", **c},
    ]


def _mtkp_rows() -> list[dict]:
    ids = [i.id for i in forms_spec.load_forms()["mtkp"].items]
    rows = []
    for k in range(4):
        rec = {"tutor_code": f"Т-0{k // 2 + 1}", "teacher_code": f"P{k}", "school_id": "100001"}
        rec.update({i: int((j + k) % 3 != 0) for j, i in enumerate(ids)})
        rows.append(rec)
    return rows


ROADMAP = pd.DataFrame(
    {
        "event_id": ["1", "2", "3", "4", "5", "6"],
        "title": ["Семинар", "Совещание", "Курсы", "Мастер-класс", "Вебинар", "Отчёт"],
        "level": ["муниципалитет", "край", "ОО", "муниципалитет", "муниципалитет", "ОО"],
        "form": ["семинар"] * 6,
        "due": pd.to_datetime(
            ["2024-02-01", "2024-03-01", "2024-05-01", "2024-06-01", "2024-12-20", "2025-02-01"]
        ),
        "responsible": ["УО", "ИРО", "ОО", "ИМЦ", "УО", "УО"],
        "done": pd.to_datetime(["2024-01-25", "2024-03-15", None, "2024-06-01", None, None]),
        "published_url": ["https://uo.ru/1", None, None, "https://uo.ru/4", None, None],
    }
)


def _fill_roadmap(path: Path, frame: pd.DataFrame) -> None:
    wb = load_workbook(path)
    ws = wb["Дорожная карта"]
    col = {c.value: c.column for c in ws[3] if c.value}
    for i, rec in enumerate(frame.to_dict("records")):
        for key, value in rec.items():
            if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
                continue
            ws.cell(
                4 + i, col[key], value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
            )
    wb.save(path)


@pytest.fixture(scope="module")
def filled_forms(blank, tmp_path_factory) -> Path:
    """The blank forms filled programmatically with openpyxl, as a user would fill them."""
    forms = tmp_path_factory.mktemp("filled")
    for p in blank.values():
        shutil.copy(p, forms)
    _fill_help(forms / blank["help"].name, HELP_VALUES)
    _fill_units(forms / blank["mnc"].name, "МНЦ", _mnc_rows())
    _fill_units(forms / blank["mtkp"].name, "МТКП", _mtkp_rows())
    _fill_roadmap(forms / blank["roadmap"].name, ROADMAP)
    return forms


@pytest.fixture
def filled(filled_forms, tmp_path) -> tuple[Path, object]:
    raw, params = _project(tmp_path)
    for p in filled_forms.iterdir():
        shutil.copy(p, raw / "forms")
    return raw, params


def _score(table: pd.DataFrame, ind: str, level: str = "municipality") -> pd.Series:
    sel = table[(table["indicator_id"] == ind) & (table["level"] == level)]
    assert len(sel) >= 1, ind
    return sel.iloc[0]


def test_round_trip_scores(filled):
    raw, params = filled
    res = _stage(raw, {"schools": SCHOOLS}, params)
    t = res.table
    assert list(t.columns[:6]) == [
        "block",
        "indicator_id",
        "unit",
        "score",
        "max_score",
        "share_of_max",
    ]
    # methodical help: presence 0/1 (max 1), counts as counts, presence total 5 of 8
    assert _score(t, "b1_01_mgmt_competence_assessment_events")[
        ["score", "max_score"]
    ].tolist() == [1, 1]
    assert _score(t, "b1_03_roadmap_all_actors_events")["share_of_max"] == 0
    cnt = _score(t, "b1_12_n_participants_events")
    assert cnt["score"] == 57 and np.isnan(cnt["max_score"]) and cnt["score_kind"] == "count"
    tot = _score(t, "help_presence_total")
    assert (tot["score"], tot["max_score"]) == (6, 8)
    # МНЦ: indicator 3 ranges 0–3; unit sums 3, 1, 2 → mean 2 of 3
    m3 = _score(t, "mnc_3")
    assert (m3["score"], m3["max_score"], m3["seed_max"]) == (2.0, 3.0, 2.0)
    assert m3["share_of_max"] == pytest.approx(100 * 2 / 3)
    assert m3["n"] == 3 and m3["unit"] == "municipality"
    units = support.unit_scores(pd.DataFrame(_mnc_rows()), "mnc")
    for ind in forms_spec.load_forms()["mnc"].indicators:
        row = _score(t, ind.id)
        assert row["score"] == pytest.approx(units[ind.id].mean()), ind.id
        assert row["max_score"] == ind.max_score
    assert _score(t, "mnc_5")["score"] == pytest.approx(9 / 3)  # 8 + 1 + 0
    assert _score(t, "mnc_total")["max_score"] == 24
    sub = _score(t, "mnc_3b_resources")
    assert sub["score"] == pytest.approx(1 / 3) and sub["score_kind"] == "sub_item"
    # МТКП
    units = support.unit_scores(pd.DataFrame(_mtkp_rows()), "mtkp")
    for ind in forms_spec.load_forms()["mtkp"].indicators:
        assert _score(t, ind.id)["score"] == pytest.approx(units[ind.id].mean()), ind.id
    # per school: fewer than min_group_size units → score empty, n kept
    school = t[(t["level"] == "school") & (t["indicator_id"] == "mtkp_total")]
    assert school["unit"].tolist() == ["100001"] and school["n"].tolist() == [4]
    assert school["score"].isna().all()
    # the МНЦ indicator 3 correction is in the notes
    assert any("от 0 до 2" in n and "от 0 до 3" in n for n in res.notes)
    # no unit code is published
    codes = {"Н-01", "Н-02", "Т-01", "Т-02", "P0", "P1", "P2", "P3"}
    assert not t.isin(codes).any().any()
    assert [s["table"] for s in _forms(raw, {"schools": SCHOOLS}, params).sources] == [
        "forms:help", "forms:mnc", "forms:mtkp", "forms:roadmap"
    ]  # fmt: skip


def test_round_trip_with_small_cells_lifted(filled):
    raw, _ = filled
    params = load_params(
        overrides={
            "municipality": "t",
            "year": 2024,
            "min_group_size": 2,
            "unsafe_small_groups": True,  # below the disclosure floor 5: explicit
        },
        root=raw.parents[2],
    )
    t = _stage(raw, {"schools": SCHOOLS}, params).table
    school = t[(t["level"] == "school") & (t["indicator_id"] == "mtkp_total")].iloc[0]
    units = support.unit_scores(pd.DataFrame(_mtkp_rows()), "mtkp")
    assert school["score"] == pytest.approx(units["mtkp_total"].mean())


def test_round_trip_roadmap_from_the_form(filled):
    raw, params = filled
    res = _stage(raw, {"schools": SCHOOLS}, params)
    r = res.roadmap.iloc[0]
    # report date 31.12.2024: events 1–5 due; done by then: 1 (on time), 2 (late), 4 (on time)
    assert r["report_date"] == "2024-12-31"
    assert (r["n_due"], r["n_done_by_date"], r["n_done"]) == (5, 3, 3)
    assert r["completeness"] == pytest.approx(60.0)
    assert (r["n_on_time"], r["n_done_late"]) == (2, 1)
    assert r["timeliness"] == pytest.approx(100 * 2 / 3)
    assert (r["n_overdue"], r["n_not_yet_due"], r["n_published"]) == (2, 1, 2)
    o = res.overdue
    assert o["event_id"].tolist() == ["3", "5", "2"]
    assert o["status"].tolist() == [support.STATUS_OVERDUE] * 2 + [support.STATUS_LATE]
    assert o["days_late"].tolist() == [244, 11, 14]
    comp = _score(res.table, "roadmap_completeness")
    assert (comp["score"], comp["max_score"], comp["share_of_max"]) == (3, 5, 60.0)


# ---------------------------------------------------------------------------- roadmap


def test_roadmap_measures_at_a_report_date_param(tmp_path):
    raw, params = _project(tmp_path, support={"report_date": "2024-06-30"})
    res = _stage(raw, {"roadmap": ROADMAP}, params)
    r = res.roadmap.iloc[0]
    assert r["source"] == "таблица roadmap"
    # due by 30.06: 1–4; done by then: 1, 2, 4 → 75 %; on time 1 and 4 of 3 done
    assert (r["n_due"], r["n_done_by_date"], r["completeness"]) == (4, 3, 75.0)
    assert (r["n_done"], r["n_on_time"]) == (3, 2)
    assert r["n_overdue"] == 1 and r["n_not_yet_due"] == 2
    assert (
        res.overdue.iloc[0]["days_late"]
        == (pd.Timestamp("2024-06-30") - pd.Timestamp("2024-05-01")).days
    )


def test_roadmap_done_after_the_report_date_is_not_done(tmp_path):
    rm = ROADMAP.assign(done=pd.to_datetime(["2025-01-10", None, None, None, None, None]))
    rows, summary, late = support.roadmap_scores(rm, pd.Timestamp("2024-12-31"), "t")
    assert summary.iloc[0]["n_done"] == 0 and summary.iloc[0]["n_overdue"] == 5
    assert np.isnan(summary.iloc[0]["timeliness"])
    assert "1" in set(late["event_id"])


def test_bad_report_date_param(tmp_path):
    raw, params = _project(tmp_path, support={"report_date": "31 июня"})
    with pytest.raises(ValidationError) as exc:
        _stage(raw, {}, params)
    assert "support.report_date" in exc.value.format()


def test_roadmap_table_and_differing_form_the_form_wins(filled):
    raw, params = filled
    table = ROADMAP.assign(done=pd.NaT)
    res = _stage(raw, {"schools": SCHOOLS, "roadmap": table}, params)
    assert res.roadmap.iloc[0]["n_done"] == 3  # from the form
    assert any("различаются; используется форма" in w for w in res.warnings)
    res = _stage(raw, {"schools": SCHOOLS, "roadmap": ROADMAP}, params)
    assert not res.warnings
    assert any("совпадают" in n for n in res.notes)


def test_no_forms_no_roadmap_is_no_data(tmp_path):
    raw, params = _project(tmp_path)
    res = _stage(raw, {}, params)
    assert res.table.empty and list(res.table.columns) == support.SUPPORT_COLUMNS
    assert res.roadmap.empty and res.overdue.empty
    assert sum("нет данных" in n for n in res.notes) == 4


# ---------------------------------------------------------------------------- bad forms


def _problems(raw: Path, params, data=None) -> tuple[list, str]:
    with pytest.raises(ValidationError) as exc:
        _stage(raw, {"schools": SCHOOLS, **(data or {})}, params)
    return exc.value.problems, exc.value.format()


def _set(path: Path, sheet: str, ref: str, value) -> None:
    wb = load_workbook(path)
    wb[sheet][ref] = value
    wb.save(path)


def test_blank_cell_names_sheet_row_and_item(filled):
    raw, params = filled
    # МНЦ row 6 (second unit), column of sub-item 3.3
    path = raw / "forms" / "form2_mnc.xlsx"
    col = (
        2 + [i.id for i in forms_spec.load_forms()["mnc"].items].index("mnc_3c_direct_contact") + 1
    )
    from openpyxl.utils import get_column_letter

    ref = f"{get_column_letter(col)}6"
    _set(path, "МНЦ", ref, None)
    problems, text = _problems(raw, params)
    assert len(problems) == 1
    p = problems[0]
    assert p.row == 6 and p.file.endswith("form2_mnc.xlsx")
    assert 'лист "МНЦ"' in text and f"ячейка {ref}" in text and "строка 6" in text
    assert "пункт 3.3 (mnc_3c_direct_contact)" in text and "пустая ячейка" in text
    assert "row 6" in text and "blank" in text  # bilingual


def test_a_two_in_a_01_cell(filled):
    raw, params = filled
    _set(raw / "forms" / "form3_mtkp.xlsx", "МТКП", "G7", 2)  # row 7, sub-item 2.3
    problems, text = _problems(raw, params)
    assert len(problems) == 1 and problems[0].row == 7 and problems[0].value == 2
    assert 'лист "МТКП"' in text and "строка 7" in text and "ячейка G7" in text
    assert "пункт 2.3 (mtkp_2c_tutor_method_experience)" in text
    assert "значение «2»" in text and "1 (наличие) или 0 (отсутствие)" in text


def test_text_in_a_count_cell(filled):
    raw, params = filled
    path = raw / "forms" / "form1_metod_pomosch.xlsx"
    _set(path, "Методическая помощь", "D10", "пять")  # item 8 is on row 10
    _set(path, "Методическая помощь", "D11", -1)  # item 9: negative
    _set(path, "Методическая помощь", "D12", 2.5)  # item 10: not whole
    problems, text = _problems(raw, params)
    assert [p.row for p in problems] == [10, 11, 12]
    assert 'лист "Методическая помощь"' in text and "ячейка D10" in text
    assert "пункт 8 (b1_08_n_schools_in_events)" in text and "значение «пять»" in text
    assert "целое число не меньше 0" in text


def test_blank_and_wrong_column_in_the_help_sheet(filled):
    raw, params = filled
    path = raw / "forms" / "form1_metod_pomosch.xlsx"
    _set(path, "Методическая помощь", "C3", None)  # item 1 blank
    _set(path, "Методическая помощь", "C10", 4)  # item 8: count typed into «Баллы»
    problems, text = _problems(raw, params)
    assert [p.row for p in problems] == [3, 10]
    assert "пункт 1 (b1_01" in text and "ячейка C10" in text and "не в тот столбец" in text


def test_missing_sheet(filled):
    raw, params = filled
    path = raw / "forms" / "form2_mnc.xlsx"
    wb = load_workbook(path)
    del wb["МНЦ"]
    wb.create_sheet("Лист1")
    wb.save(path)
    problems, text = _problems(raw, params)
    assert len(problems) == 1
    assert 'лист "МНЦ"' in text and "лист не найден" in text and "Инструкция, Лист1" in text


def test_all_problems_of_all_forms_are_collected(filled):
    raw, params = filled
    forms = raw / "forms"
    _set(forms / "form1_metod_pomosch.xlsx", "Методическая помощь", "D10", "пять")
    _set(forms / "form3_mtkp.xlsx", "МТКП", "F7", 2)
    _set(forms / "form2_mnc.xlsx", "МНЦ", "C5", None)
    _set(forms / "form4_roadmap.xlsx", "Дорожная карта", "E5", "когда-нибудь")
    problems, text = _problems(raw, params)
    files = {Path(p.file).name for p in problems}
    assert files == {
        "form1_metod_pomosch.xlsx",
        "form2_mnc.xlsx",
        "form3_mtkp.xlsx",
        "form4_roadmap.xlsx",
    }
    assert 'лист "Дорожная карта", ячейка E5' in text and "дата" in text


def test_identity_problems_names_codes_and_duplicates(filled):
    raw, params = filled
    path = raw / "forms" / "form2_mnc.xlsx"
    _set(path, "МНЦ", "A5", "Иванова И.И.")  # a name instead of a code
    _set(path, "МНЦ", "B6", "999999")  # unknown school
    _set(path, "МНЦ", "A7", "Н-01")
    _set(path, "МНЦ", "B7", "100001")  # repeats row 5's key once row 5 is fixed
    problems, text = _problems(raw, params)
    assert "Иванова" not in text  # the name is not echoed
    assert "похоже на ФИО" in text and "строка 5" in text
    assert "код ОО из перечня schools" in text and "999999" in text
    _set(path, "МНЦ", "A5", "Н-01")
    _set(path, "МНЦ", "B6", "100002")
    problems, text = _problems(raw, params)
    assert len(problems) == 1 and problems[0].row == 7 and "повторяет строку 5" in text


def test_name_column_is_dropped_with_a_warning(filled):
    raw, params = filled
    path = raw / "forms" / "form3_mtkp.xlsx"
    wb = load_workbook(path)
    ws = wb["МТКП"]
    col = ws.max_column + 1
    ws.cell(3, col, "ФИО педагога")
    ws.cell(5, col, "Петрова Анна Ивановна")
    wb.save(path)
    res = _stage(raw, {"schools": SCHOOLS}, params)
    assert any("персональными данными" in w and "ФИО педагога" in w for w in res.warnings)
    assert not res.table.astype(str).apply(lambda s: s.str.contains("Петрова")).any().any()


def test_form_of_another_year_is_set_aside(filled):
    raw, params = filled
    _set(raw / "forms" / "form2_mnc.xlsx", "Инструкция", "B5", 2023)
    _set(raw / "forms" / "form3_mtkp.xlsx", "Инструкция", "B5", "двадцать")
    problems, text = _problems(raw, params)
    assert len(problems) == 1 and 'лист "Инструкция", ячейка B5' in text
    _set(raw / "forms" / "form3_mtkp.xlsx", "Инструкция", "B5", 2024)
    res = _stage(raw, {"schools": SCHOOLS}, params)
    assert any("за 2023 год отложена" in w for w in res.warnings)
    assert res.table[res.table["block"] == "mnc"].empty


def test_old_excel_and_unknown_workbooks(filled):
    raw, params = filled
    (raw / "forms" / "old.xls").write_bytes(b"not really")
    wb = load_workbook(raw / "forms" / "form1_metod_pomosch.xlsx")
    wb["Методическая помощь"].title = "Что-то"
    wb.save(raw / "forms" / "other.xlsx")
    (raw / "forms" / "~$form2_mnc.xlsx").write_bytes(b"lock file")  # Excel's lock file: skipped
    problems, text = _problems(raw, params)
    assert {Path(p.file).name for p in problems} == {"old.xls", "other.xlsx"}
    assert "формате .xlsx" in text and "Что-то" in text


def test_deleted_item_column_and_roadmap_required_cells(filled):
    raw, params = filled
    path = raw / "forms" / "form2_mnc.xlsx"
    wb = load_workbook(path)
    wb["МНЦ"].delete_cols(6)  # sub-item 3.1 (A, B keys; C 1; D, E 2.1, 2.2)
    wb.save(path)
    rm = raw / "forms" / "form4_roadmap.xlsx"
    _set(rm, "Дорожная карта", "B4", None)  # title of event 1
    _set(rm, "Дорожная карта", "C5", "район")  # level not in the list
    problems, text = _problems(raw, params)
    assert "пункт 3.1 (mnc_3a_info_platform)" in text and "не найден" in text
    assert "ячейка B4" in text and "обязательное значение" in text
    assert "ячейка C5" in text and "одно из: край, муниципалитет, ОО" in text


# ---------------------------------------------------------------------------- synthetic forms


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    synth.generate(root / "data" / "raw" / "demo", seed=5, n_schools=14, years=(2023, 2024))
    return root


def test_synth_writes_forms_deterministically(demo, tmp_path):
    forms = demo / "data" / "raw" / "demo" / "forms"
    names = sorted(p.name for p in forms.iterdir())
    assert names == sorted(b.file for b in forms_spec.load_forms().values())
    synth.generate(tmp_path / "again", seed=5, n_schools=14, years=(2023, 2024))
    for name in names:
        assert (forms / name).read_bytes() == (tmp_path / "again" / "forms" / name).read_bytes()


def _results(demo: Path):
    from shnor_lib.io import ingest
    from shnor_lib.pipeline import Results

    params = load_params(overrides={"municipality": "demo", "year": 2024}, root=demo)
    result = ingest.ingest(params)
    data = result.tables
    tr = teachers.stage(data, params)
    sr = support.stage(result.forms, data, params)
    tables = {
        "schools": data["schools"],
        "teachers_by_school": tr.by_school,
        "teachers_distribution": tr.distribution,
        "support": sr.table,
        "roadmap_overdue": sr.overdue,
        "support_notes": support.notes_table(sr, tr.notes),
    }
    out = demo / "tables"
    out.mkdir(exist_ok=True)
    for name, frame in tables.items():
        publish.write_csv(frame, out / f"{name}.csv")
    read = {p.stem: publish.read_csv(p) for p in sorted(out.glob("*.csv"))}
    return Results(params=params, tables=read), sr, data


def _run_cells(res, params) -> str:
    CELLS = report_cells(
        "Педагогические кадры", "Методическая помощь, МНЦ и МТКП", "Дорожная карта"
    )
    import IPython.display as ipd

    shown: list = []
    original = ipd.display
    ipd.display = lambda *a, **k: shown.extend(a)
    try:
        ns = {"res": res, "params": params, "display": display}
        for kind, source, *_tags in CELLS:
            if kind != "code":
                continue
            try:
                code = compile(source, "<cell>", "eval")
            except SyntaxError:
                exec(compile(source, "<cell>", "exec"), ns)
            else:
                shown.append(eval(code, ns))
    finally:
        ipd.display = original
    return "\n".join(str(getattr(s, "data", s)) for s in shown if s is not None)


def test_demo_stage_and_report_cells(demo):
    res, sr, data = _results(demo)
    assert not sr.warnings
    blocks = set(sr.table["block"])
    assert blocks == {"help", "mnc", "mtkp", "roadmap"}
    # the roadmap form copies roadmap.csv: same measures
    _, from_table, _ = support.roadmap_scores(data["roadmap"], pd.Timestamp("2024-12-31"), "t")
    assert sr.roadmap.iloc[0]["completeness"] == from_table.iloc[0]["completeness"]
    display.setup()
    html = _run_cells(res, res.params)
    for text in (
        "Распределение педагогов",
        "МНЦ",
        "data:image/svg+xml",
        "Просроченные мероприятия",
    ):
        assert text in html, text
    assert "от 0 до 2" in html  # the МНЦ indicator 3 correction is shown
    teacher_ids = set(data["teachers"]["teacher_id"])
    assert not any(t in html for t in list(teacher_ids)[:200])


def test_report_cells_without_data(tmp_path):
    from shnor_lib.pipeline import Results

    params = load_params(overrides={"municipality": "t", "year": 2024}, root=tmp_path)
    res = Results(params=params, tables={})
    display.setup()
    html = _run_cells(res, params)
    assert html.count("нет данных") >= 5 or html.count("Нет данных") >= 3


def test_responsible_names_are_masked_in_the_overdue_list():
    rm = ROADMAP.assign(
        responsible=["УО", "ИРО", "Симоненко Л.И., главный специалист УО"] + ["УО"] * 3
    )
    _rows, _summary, late = support.roadmap_scores(rm, pd.Timestamp("2024-12-31"), "t")
    shown = late.set_index("event_id").loc["3", "responsible"]
    assert shown == "(ФИО скрыто), главный специалист УО"
    assert forms_read.mask_names("МКУ ИМЦ") == "МКУ ИМЦ"
