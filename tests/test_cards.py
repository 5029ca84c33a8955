"""School cards (report/cards.py): one per school, from the published tables, escaped,
byte-identical; a PDF at A4 on at most two pages when Chromium is there."""

from __future__ import annotations

import html as html_lib
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import DEMO_NAMES

from shnor_lib.methods import pooled
from shnor_lib.report import cards, pdf

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_tables(demo_computed):
    root, params, truth = demo_computed
    return params, cards.load_tables(params.output_dir() / "tables")


@pytest.fixture(scope="module")
def written(demo_tables, tmp_path_factory):
    """The demo's cards, HTML only, written twice (for the byte-identity check)."""
    params, tables = demo_tables
    params_html = _no_pdf(params)
    a, b = tmp_path_factory.mktemp("cards_a"), tmp_path_factory.mktemp("cards_b")
    result = cards.write_cards(tables, params_html, a)
    cards.write_cards(tables, params_html, b)
    return params, tables, a / cards.CARDS_DIR, b / cards.CARDS_DIR, result


class _NoPdf:
    """params with report.cards_pdf: false (the real object otherwise)."""

    def __init__(self, params):
        self._p = params
        self.report = type("R", (), {"cards_pdf": False})()

    def __getattr__(self, name):
        return getattr(self._p, name)


def _no_pdf(params):
    return _NoPdf(params)


def _text(path: Path) -> str:
    """The visible text of a card (tags dropped, entities decoded, spaces collapsed)."""
    raw = path.read_text("utf-8")
    body = raw[raw.index("<body>") :]
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_one_card_per_school_and_an_index(written):
    params, tables, out, _, result = written
    ids = sorted(tables["schools"]["school_id"].astype(str))
    assert sorted(p.stem for p in out.glob("*.html") if p.stem != "index") == ids
    assert result.html == len(ids) and result.pdf == 0
    index = (out / "index.html").read_text("utf-8")
    for sid in ids:
        assert f'href="{sid}.html"' in index


def test_html_byte_identical_across_runs(written):
    _, _, a, b, _ = written
    for path in sorted(a.glob("*.html")):
        assert path.read_bytes() == (b / path.name).read_bytes(), path.name


def _a_paired_shnor(tables) -> str:
    """A ШНОР with a partner, an ИОР and school recommendations (the fullest card)."""
    s = tables["schools"]
    pairs = tables["pairs"]
    rec = tables["recommendations"]
    for sid in s.loc[s["low_results"].astype(bool), "school_id"].astype(str):
        if sid in set(pairs["low_results_school_id"]) and sid in set(rec["school_id"].dropna()):
            return sid
    pytest.fail("the demo has no paired ШНОР with recommendations")


def test_card_contents_match_the_tables(written):
    params, tables, out, _, _ = written
    sid = _a_paired_shnor(tables)
    text = _text(out / f"{sid}.html")
    school = tables["schools"].set_index("school_id").loc[sid]
    assert school["school_name"] in text
    # statuses of the last three years, as status_history has them
    hist = tables["status_history"]
    hist = hist[(hist["school_id"] == sid) & (hist["year"] <= params.year)].sort_values("year")
    last3 = hist.tail(3)
    marks = " ".join("да" if v else "нет" for v in last3["low_results"].astype(bool))
    years = " ".join(str(y) for y in last3["year"])
    assert f"Статус {years}" in text and f"ШНОР {marks}" in text
    # ИОР of the reporting year, Russian format
    ri = tables["results_index"]
    value = ri[(ri["school_id"] == sid) & (ri["year"] == params.year)]["results_index"].iloc[0]
    assert f"ИОР: {cards.num(value, 2)}" in text
    # the partner by name, and the model
    pair = tables["pairs"].query("low_results_school_id == @sid").iloc[0]
    names = tables["schools"].set_index("school_id")["school_name"]
    assert names[pair["leader_school_id"]] in text and pair["model"] in text
    # the school's recommendations in the rules' order, at most CARD_RECOMMENDATIONS of them,
    # and how many more the report has
    rec = tables["recommendations"].query("school_id == @sid")
    assert len(rec) > 0
    shown = rec["text"].iloc[: cards.CARD_RECOMMENDATIONS]
    for t in shown:
        assert re.sub(r"\s+", " ", t) in text
    for t in rec["text"].iloc[cards.CARD_RECOMMENDATIONS :]:
        assert re.sub(r"\s+", " ", t) not in text
    more = len(rec) - len(shown)
    assert (f"Ещё рекомендаций: {more}" in text) == (more > 0)
    # the residual with the true minus, never a hyphen-minus before a digit
    assert not re.search(r"(?<![\w-])-\d", text)


def test_small_values_are_pooled_or_suppressed(demo_tables):
    params, tables = demo_tables
    ind = tables["indicators"]
    cur = ind[(ind["level"] == "school") & (ind["year"] == params.year)]
    small = cur[cur["value"].isna() & cur["n"].gt(0)]
    pool = tables["indicators_pooled"]
    # a suppressed yearly value with a publishable pooled one: the card shows the pooled one
    both = small.merge(pool[pool["value"].notna()], on=["indicator_id", "school_id"])
    both = both[both["indicator_id"].isin([i for i, *_ in cards.KEY_INDICATORS])]
    assert not both.empty, "the demo has no small school with a pooled key indicator"
    row = both.iloc[0]
    one = dict(tables, schools=tables["schools"].query("school_id == @row.school_id"))
    (card,) = cards.build_cards(one, params)
    label = dict((i, lab) for i, lab, _ in cards.KEY_INDICATORS)[row["indicator_id"]]
    shown = next(r for r in card["indicators"] if r["label"] == label)
    assert shown["value"].startswith(cards.num(row["value_y"], 1).split(" ")[0])
    assert shown["basis"].endswith("*")
    # nothing from fewer than min_group_size people in the pooled table
    assert pool.loc[pool["n"] < params.min_group_size, "value"].isna().all()


def test_pooling_sums_numerators_and_weights_means():
    frame = pd.DataFrame(
        {
            "indicator_id": ["s", "s", "m", "m"],
            "level": ["school"] * 4,
            "school_id": ["1"] * 4,
            "year": [2023, 2024, 2023, 2024],
            "value": [50.0, 25.0, 3.0, 4.0],
            "ci_low": [20.0, 5.0, 2.5, 3.5],
            "ci_high": [80.0, 60.0, 3.5, 4.5],
            "numerator": [3.0, 1.0, None, None],
            "n": [6, 4, 6, 4],
        }
    )
    out = pooled.window(frame, [2023, 2024], 0.95).set_index("indicator_id")
    assert out.loc["s", "value"] == pytest.approx(40.0) and out.loc["s", "n"] == 10
    assert out.loc["m", "value"] == pytest.approx((6 * 3 + 4 * 4) / 10)
    assert out.loc["m", "ci_low"] < out.loc["m", "value"] < out.loc["m", "ci_high"]
    small = pooled.suppress(out.reset_index(), 11)
    assert small["value"].isna().all() and (small["n"] == 10).all()


def test_only_the_school_list_gives_a_card_with_every_block_omitted(demo_tables, tmp_path):
    params, tables = demo_tables
    only = {"schools": tables["schools"].head(1)}
    done = cards.write_cards(only, _no_pdf(params), tmp_path)
    sid = str(only["schools"]["school_id"].iloc[0])
    text = _text(tmp_path / "schools" / f"{sid}.html")
    assert done.html == 1
    for line in (
        "Статусы по годам не рассчитаны",
        "Показателей школы за отчётный период нет",
        "ИОР школы за",
        "Признаков необъективности результатов не выявлено",
        "Профиль рисков школы не рассчитан",
        "Данных о диагностике педагогов",
        "Школа не участвует в парах",
        "Адресных рекомендаций школе нет",
    ):
        assert line in text, line


def test_no_personal_data_in_cards(written):
    _, _, out, _, _ = written
    for path in out.glob("*.html"):
        raw = path.read_text("utf-8")
        for name in DEMO_NAMES:
            assert name not in raw and name.split()[0] not in raw, path.name
        assert "student_id" not in raw and "ФИО" not in raw


def test_hostile_school_name_is_escaped(demo_tables, tmp_path):
    params, tables = demo_tables
    hostile = '<script>alert("x")</script> & «школа»'
    t = dict(tables)
    schools = t["schools"].head(2).copy()  # two cards are enough (and fast)
    sid = str(schools["school_id"].iloc[0])
    schools.loc[schools.index[0], "school_name"] = hostile
    t["schools"] = schools
    rec = t["recommendations"].copy()
    rec.loc[rec["school_id"] == sid, "text"] = "<img src=x onerror=alert(1)>"
    t["recommendations"] = rec
    cards.write_cards(t, _no_pdf(params), tmp_path)
    raw = (tmp_path / "schools" / f"{sid}.html").read_text("utf-8")
    assert "<script>" not in raw and "<img" not in raw
    assert html_lib.escape(hostile, quote=False) in raw or "&lt;script&gt;" in raw
    assert "<script>" not in (tmp_path / "schools" / "index.html").read_text("utf-8")


def test_without_browser_html_written_pdf_skipped_with_note(demo_tables, tmp_path, monkeypatch):
    params, tables = demo_tables
    monkeypatch.setenv(pdf.ENV_BROWSER, "/nonexistent/chromium")
    small = {k: v for k, v in tables.items()}
    small["schools"] = tables["schools"].head(2)
    auto = _no_pdf(params)
    auto.report.cards_pdf = "auto"
    done = cards.write_cards(small, auto, tmp_path)
    assert done.html == 2 and done.pdf == 0 and "Chromium" in done.note
    assert not list((tmp_path / "schools").glob("*.pdf"))
    assert "PDF не созданы" in (tmp_path / "schools" / "index.html").read_text("utf-8")
    auto.report.cards_pdf = True
    from shnor_lib.errors import EnvironmentProblem

    with pytest.raises(EnvironmentProblem, match="Chromium"):
        cards.write_cards(small, auto, tmp_path)


def test_cards_pdf_param_accepts_auto_and_booleans(tmp_path):
    from shnor_lib.config import load_params
    from shnor_lib.errors import ShnorError

    for value, ok in (("auto", True), ("true", True), ("false", True), ("sometimes", False)):
        path = tmp_path / f"p_{value}.yml"
        path.write_text(f"municipality: demo\nreport:\n  cards_pdf: {value}\n", "utf-8")
        if ok:
            assert cards.pdf_mode(load_params(path)) == value
        else:
            with pytest.raises(ShnorError, match="cards_pdf"):
                load_params(path)


def _needs_chromium() -> str:
    path = pdf.find_browser()
    if path:
        return path
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail("CI=true: Chromium не найден — печать карточек в PDF обязательна")
    pytest.skip("Chromium не найден — печать карточек в PDF не проверена (make browser)")


def test_pdf_card_is_a4_at_most_two_pages_and_byte_identical(written, tmp_path):
    """The fullest kind of card (a paired ШНОР with recommendations) prints on ≤ 2 A4 pages."""
    browser = _needs_chromium()
    params, tables, out, _, _ = written
    sid = _a_paired_shnor(tables)
    html = out / f"{sid}.html"
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert pdf.print_many(browser, [(html, first), (html, second)]) == 2
    data = first.read_bytes()
    assert data.startswith(b"%PDF")
    assert data == second.read_bytes()  # time stamps fixed
    assert b"D:20000101000000" in data or b"SOURCE_DATE_EPOCH" not in os.environ
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert boxes and all(
        abs(float(w) - 595.28) < 2 and abs(float(h) - 841.89) < 2 for w, h in boxes
    ), boxes
    pages = int(re.search(rb"/Type /Pages\b[^>]*?/Count (\d+)", data, re.S).group(1))
    assert 1 <= pages <= 2, pages


def test_site_index_links_and_copies_the_cards(tmp_path):
    from shnor_lib.report import site

    year = tmp_path / "outputs" / "demo" / "2024"
    (year / "schools").mkdir(parents=True)
    (year / "report.html").write_text("<html><body>отчёт</body></html>", "utf-8")
    (year / "schools" / "index.html").write_text("<html>карточки</html>", "utf-8")
    (year / "schools" / "230101.html").write_text("<html>карточка</html>", "utf-8")
    index = site.build_site(tmp_path / "outputs").read_text("utf-8")
    assert 'href="demo/2024/schools/index.html"' in index
    copied = tmp_path / "outputs" / "site" / "demo" / "2024" / "schools"
    assert (copied / "230101.html").read_text("utf-8") == "<html>карточка</html>"
