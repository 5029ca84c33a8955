"""Rendering layer: papermill execution, offline deterministic HTML, atomic publishing,
the static site, and the display helpers the report notebook calls."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from shnor_lib import fmt
from shnor_lib.config import load_params  # noqa: E402
from shnor_lib.errors import ShnorError  # noqa: E402
from shnor_lib.report import display
from shnor_lib.report import html as report_html
from shnor_lib.report import render as report
from shnor_lib.report import site as report_site  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "render_fixture.ipynb"
NNBSP = "\u202f"


def _params(root: Path, municipality: str = "fixture", notebook: Path = FIXTURE):
    return load_params(
        None,
        root=root,
        overrides={
            "municipality": municipality,
            "title": "Тестовый район",
            "year": 2024,
            "report": {"notebook": str(notebook), "timeout_s": 120},
        },
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render the fixture twice into the same output folder (two kernel runs)."""
    root = tmp_path_factory.mktemp("root")
    params = _params(root)
    html = report.render_report(params)
    first = html.read_bytes()
    html2 = report.render_report(params)
    assert html2 == html
    return {
        "root": root,
        "params": params,
        "html": html,
        "first": first,
        "second": html.read_bytes(),
    }


# Rendering ---------------------------------------------------------------------------------


def test_report_files_in_output_dir(rendered):
    out = rendered["params"].output_dir()
    assert rendered["html"] == out / "report.html"
    assert (out / "report.ipynb").is_file()
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary == {
        "title": "Тестовый район",
        "municipality": "fixture",
        "year": 2024,
        "key_numbers": {"ШНОР": 2, "ШССУ": 1},
    }
    # nothing temporary left next to the output folder
    assert sorted(p.name for p in out.parent.iterdir()) == ["2024"]


def test_html_is_offline_russian_and_without_code(rendered):
    text = rendered["first"].decode("utf-8")
    assert "<title>Тестовый район: аналитический отчёт, 2024 год</title>" in text
    assert '<html lang="ru">' in text
    assert not re.search(r"<script[^>]*\bsrc=", text, re.I)
    assert not re.search(r"<link[^>]*\bhref=", text, re.I)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text, re.I)
    assert "require.js" not in text.lower() and "mathjax" not in text.lower()
    assert "cdn" not in text.lower()
    # no code, no prompts, no parameter cells, no stderr, no remove-cell output
    assert "DISTINCTIVE_CODE_MARKER_42" not in text
    assert "display.table" not in text
    assert "In&nbsp;[" not in text and "In [" not in text
    assert 'municipality = "fixture"' not in text and "params_path" not in text
    assert "Parameters" not in text and "injected" not in text
    assert "stderr-noise-should-not-appear" not in text
    assert "remove-cell-output-should-not-appear" not in text
    # what the notebook shows is there
    assert "<h1" in text and "Показатели школ" in text
    assert "Таблица 1. Школы" in text and "75,3 %" in text and f"15{NNBSP}000" in text
    assert "СОШ № 2 &lt;script&gt;" in text  # escaped cell
    assert display.SMALL_N in text
    assert 'class="cell-good"' in text and 'class="cell-bad"' in text
    assert 'alt="Столбчатая диаграмма долей по школам"' in text
    assert "data:image/svg+xml;base64," in text
    assert "видимый текстовый вывод" in text
    assert "Качество данных." in text
    # table of contents with anchors to h2/h3
    nav = re.search(r'<nav[^>]*class="shnor-toc".*?</nav>', text, re.S)
    assert nav is not None
    for anchor in re.findall(r'href="#([^"]+)"', nav.group(0)):
        assert f'id="{anchor}"' in text
    assert "Распределение результатов" in nav.group(0)
    # the template's CSS styles the helpers' classes
    for cls in (
        "shnor-table",
        "shnor-figure",
        "shnor-note",
        "shnor-na",
        "cell-good",
        "cell-bad",
        "cell-neutral",
        "shnor-sortable",
        "shnor-kpi",
        "@media print",
    ):
        assert cls in text


def test_two_renders_are_byte_identical(rendered):
    assert rendered["first"] == rendered["second"]
    # cell ids, execution timestamps and random SVG ids do not leak into the HTML
    text = rendered["first"].decode("utf-8")
    assert "cell-id=" not in text and "execution_count" not in text
    for b64 in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", text):
        svg = base64.b64decode(b64).decode("utf-8")
        assert "<dc:date>" not in svg


def test_conversion_is_pure(rendered, tmp_path):
    out = rendered["params"].output_dir()
    again = tmp_path / "again.html"
    report_html.notebook_to_html(
        out / "report.ipynb", again, title=report.report_title(rendered["params"])
    )
    assert again.read_bytes() == rendered["first"]


def test_failed_run_keeps_previous_report(rendered):
    params, html = rendered["params"], rendered["html"]
    before = html.read_bytes()
    mtime = html.stat().st_mtime_ns
    trigger = rendered["root"] / "FAIL"
    trigger.write_text("1")
    try:
        with pytest.raises(ShnorError) as info:
            report.render_report(params)
    finally:
        trigger.unlink()
    msg = info.value.format()
    assert "ValueError" in msg and "намеренная ошибка для теста" in msg
    assert "In [" in msg and "Traceback" not in msg and "\x1b[" not in msg
    assert 'строка 14 («raise ValueError("намеренная ошибка для теста")»)' in msg
    assert html.read_bytes() == before and html.stat().st_mtime_ns == mtime
    failed = params.output_dir() / "report.failed.ipynb"
    assert failed.is_file() and str(failed) in msg
    assert sorted(p.name for p in params.output_dir().parent.iterdir()) == ["2024"]


def test_missing_notebook_is_a_shnor_error(tmp_path):
    params = _params(tmp_path, notebook=tmp_path / "nope.ipynb")
    with pytest.raises(ShnorError, match="не найден"):
        report.render_report(params)
    assert not (params.output_dir() / "report.html").exists()


def test_render_many_continues_and_collects(monkeypatch, tmp_path):
    calls = []

    def fake(params, *, tables_ready=True):
        calls.append(params.municipality)
        if params.municipality == "bad":
            raise ShnorError("сломано", "broken")
        return params.output_dir() / "report.html"

    monkeypatch.setattr(report, "render_report", fake)
    plist = [_params(tmp_path, m) for m in ("a", "bad", "c")]
    with pytest.raises(ShnorError) as info:
        report.render_many(plist)
    assert calls == ["a", "bad", "c"]
    assert "1 из 3" in info.value.message_ru and "bad 2024: сломано" in info.value.message_ru
    monkeypatch.setattr(report, "render_report", lambda p, **_: p.output_dir() / "report.html")
    assert report.render_many([plist[0]]) == [plist[0].output_dir() / "report.html"]


# Site ------------------------------------------------------------------------------------


def test_build_site(rendered, tmp_path):
    outputs = tmp_path / "outputs"
    (outputs / "fixture" / "2024").mkdir(parents=True)
    src = rendered["params"].output_dir()
    for name in ("report.html", "summary.json"):
        (outputs / "fixture" / "2024" / name).write_bytes((src / name).read_bytes())
    other = outputs / "abinsk" / "2023"
    other.mkdir(parents=True)
    (other / "report.html").write_text('<html lang="ru"></html>', "utf-8")  # no summary
    (outputs / "abinsk" / "notayear").mkdir()
    index = report_site.build_site(outputs)
    assert index == outputs / "site" / "index.html"
    text = index.read_text("utf-8")
    assert '<html lang="ru">' in text
    assert 'href="fixture/2024/report.html"' in text and 'href="abinsk/2023/report.html"' in text
    assert str(tmp_path) not in text and "file:" not in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "Тестовый район" in text and "ШНОР" in text
    # the name is the link, in the first column; a few columns, whatever the key numbers
    assert '<th scope="row"><a href="fixture/2024/report.html">Тестовый район</a></th>' in text
    assert "открыть отчёт" not in text
    head = re.search(r"<thead>.*?</thead>", text, re.S).group(0)
    assert head.count("<th ") == 2 + len(report_site.INDEX_COLUMNS) + 1
    # deterministic order: by title (abinsk < Тестовый район)
    assert text.index("abinsk/2023") < text.index("fixture/2024")
    site = outputs / "site"
    assert (site / "fixture" / "2024" / "report.html").read_bytes() == rendered["first"]
    assert (site / "abinsk" / "2023" / "report.html").is_file()
    # rebuilding replaces the site as a whole and gives the same bytes
    (site / "stale.txt").write_text("x")
    again = report_site.build_site(outputs)
    assert again.read_text("utf-8") == text
    assert not (site / "stale.txt").exists()
    assert not [p for p in outputs.iterdir() if p.name.startswith(".")]


def test_build_site_without_reports(tmp_path):
    with pytest.raises(ShnorError):
        report_site.build_site(tmp_path)


# Display helpers ---------------------------------------------------------------------------


def test_fmt_number_and_percent():
    assert fmt.fmt_percent(75.345) == "75,3 %"
    assert fmt.fmt_percent(75.345, 2) == "75,35 %"
    assert fmt.fmt_percent(float("nan")) == "—"
    assert fmt.fmt_percent(None) == "—"
    assert fmt.fmt_number(12345.678) == f"12{NNBSP}345,7"
    assert fmt.fmt_number(1234567, 0) == f"1{NNBSP}234{NNBSP}567"
    assert fmt.fmt_number(2024, 0) == "2024"  # four digits stay together
    assert fmt.fmt_number(2.675, 2) == "2,68"  # half up, as in Excel
    assert fmt.fmt_number(0.05, 1) == "0,1"
    assert fmt.fmt_number(-0.04) == "0,0"
    assert fmt.fmt_number(-12.34) == "\u221212,3"
    assert fmt.fmt_number(np.float64(3.0)) == "3,0"
    assert fmt.fmt_number(np.int64(12000), 0) == f"12{NNBSP}000"
    assert fmt.fmt_number(pd.NA) == "—"
    assert fmt.fmt_number(display.SMALL_N) == display.SMALL_N


def test_table_formats_escapes_and_classes():
    df = pd.DataFrame(
        {
            "Школа": ["<b>A</b>", "B"],
            "n": [5, 40],
            "Доля": [12.345, np.nan],
            "Счёт": [3.0, np.nan],
            "Цель": ["достигнут", "не определён"],
            "css": ["row-x", None],
        }
    )
    html = display.table(
        df,
        caption="Подпись & <тест>",
        formats={"Доля": "percent:2"},
        row_class="css",
        cell_class={"n": lambda v: "cell-warn" if v < 10 else None},
    ).data
    assert "&lt;b&gt;A&lt;/b&gt;" in html and "<b>A" not in html
    assert "<caption>Подпись &amp; &lt;тест&gt;</caption>" in html
    assert "12,35 %" in html and ">3<" in html  # whole floats shown without decimals
    assert '<tr class="row-x">' in html and ">css<" not in html
    assert 'class="num cell-warn"' in html
    assert 'class="cell-good">достигнут' in html and 'class="cell-neutral">не определён' in html
    assert "<script" not in html
    sortable = display.table(df, sortable=True).data
    assert "<script>" in sortable and "src=" not in sortable
    assert sortable == display.table(df, sortable=True).data
    assert "нет данных" in display.table(df.iloc[:0]).data
    with pytest.raises(ValueError):
        display.table(df, formats={"n": "bogus"})


def test_suppress_small():
    df = pd.DataFrame({"n": [3, 12, np.nan], "v": [50.0, 60.0, 70.0], "w": [1, 2, 3]})
    out = display.suppress_small(df, "n", ["v"], 10)
    assert out["v"].tolist() == [display.SMALL_N, 60.0, 70.0]
    assert out["w"].tolist() == [1, 2, 3] and df["v"].tolist() == [50.0, 60.0, 70.0]


@pytest.fixture
def display_setup():
    """display.setup() changes global matplotlib/pandas settings: restore them afterwards."""
    opts = ["display.float_format", "display.max_columns", "display.max_rows", "display.width"]
    backend = matplotlib.get_backend()
    with matplotlib.rc_context(), pd.option_context(*[x for o in opts for x in (o, None)]):
        display.setup()
        yield
    matplotlib.use(backend)


def test_setup(display_setup):
    assert matplotlib.rcParams["svg.hashsalt"] == display.HASHSALT
    assert matplotlib.get_backend().lower() == "agg"
    assert "75,35" in repr(pd.DataFrame({"x": [75.345]}))


def test_figure_is_deterministic_and_closes(display_setup):
    def make():
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([1, 2, 3], [3, 1, 2], label="ряд")
        ax.set_title("Заголовок")
        ax.legend()
        return fig

    fig = make()
    a = display.figure(fig, alt="Линия", caption="Рисунок").data
    assert not plt.fignum_exists(fig.number)
    b = display.figure(make(), alt="Линия", caption="Рисунок").data
    assert a == b
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", a).group(1)).decode()
    assert "<dc:date>" not in svg
    assert "<figcaption>Рисунок</figcaption>" in a and 'alt="Линия"' in a
    png = display.figure(make(), alt="Линия", format="png").data
    assert png == display.figure(make(), alt="Линия", format="png").data
    with pytest.raises(ValueError):
        display.figure(make(), alt="")
    plt.close("all")


def _svg_size(svg: str) -> tuple[float, float]:
    m = re.search(r'<svg [^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(m.group(1)), float(m.group(2))


def test_figure_svg_is_cropped_like_bbox_tight(display_setup):
    """display.figure() draws once and crops with the viewBox: the same size as matplotlib's
    bbox_inches="tight", with labels and a legend outside the figure on the background."""
    import io

    def make():
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.barh(["очень длинное название школы", "ОО 2"], [3, 1], label="ряд")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
        ax.set_title("Заголовок")
        return fig

    fig = make()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    tight = _svg_size(buf.getvalue().decode())
    html = display.figure(make(), alt="Полосы").data
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", html).group(1)).decode()
    ours = _svg_size(svg)
    assert ours == pytest.approx(tight, abs=0.01)
    x0 = float(re.search(r'viewBox="([-\d.]+) ', svg).group(1))
    assert x0 < 0  # the long labels lie left of the figure area and are kept
    assert html == display.figure(make(), alt="Полосы").data


def test_postprocess_sets_tables_aside_without_changing_the_page(monkeypatch):
    """Tables of display.table() bypass the HTML parser; the page is what the parser makes."""
    df = pd.DataFrame({"ОО": ["СОШ № 1 <b>", "СОШ № 2"], "Доля": [75.25, 80.0], "n": [12, 30]})
    blocks = [
        display.heading("Раздел", 2).data,
        display.table(df, caption="Подпись & <тест>", sortable=True).data,
        display.heading("Раздел", 3).data,
        display.table(df.iloc[:0]).data,
        '<div class="shnor-table-wrap"><table><tr><td><h3 id="x">В таблице</h3></td></tr>'
        "</table></div>",  # not a display.table(): parsed as before
    ]
    page = (
        '<html><body><main class="shnor-report"><h1 id="t">Отчёт</h1>'
        + "".join(f'<div class="shnor-cell shnor-out">{b}</div>' for b in blocks)
        + "</main></body></html>"
    )
    assert len(report_html._set_tables_aside(page)[1]) == 2
    fast = report_html._postprocess(page)
    monkeypatch.setattr(report_html, "_set_tables_aside", lambda text: (text, []))
    assert fast == report_html._postprocess(page)
    assert "data-shnor-kept" not in fast and 'href="#x"' in fast


def test_heading_note_key_numbers():
    assert display.heading("Итоги 2024 года", 2).data == (
        '<h2 id="итоги-2024-года">Итоги 2024 года</h2>'
    )
    assert 'id="s1"' in display.heading("X", 3, anchor="s1").data
    assert 'class="no-toc"' in display.heading("X", toc=False).data
    assert "shnor-note-warning" in display.note("<x>", "warning").data
    assert "&lt;x&gt;" in display.note("<x>").data
    with pytest.raises(ValueError):
        display.note("x", "bogus")
    data, meta = display.key_numbers({"ШНОР": 5, "Доля": 12.5})._repr_html_()
    assert meta == {"shnor": {"key_numbers": {"ШНОР": 5, "Доля": 12.5}}}
    assert "12,5" in data


def test_conversion_normalizes_volatile_outputs(tmp_path):
    """Hand-made outputs: random Styler ids, memory addresses, stderr, JavaScript, widgets,
    duplicate headings and a TOC placeholder."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    def nb_with(styler_html: str):
        cells = [
            new_markdown_cell("# Отчёт\n\n## Раздел\n\n## Раздел", id="a"),
            new_code_cell(
                "x",
                id="b",
                outputs=[
                    new_output(
                        "display_data",
                        data={"text/html": display.toc().data, "text/plain": "<HTML>"},
                    )
                ],
            ),
            new_code_cell(
                "x",
                id="c",
                execution_count=7,
                outputs=[
                    new_output("stream", name="stderr", text="warning!"),
                    new_output(
                        "execute_result",
                        execution_count=7,
                        data={"text/plain": "[<matplotlib.lines.Line2D at 0x7f3a2c1b0e50>]"},
                    ),
                    new_output("display_data", data={"application/javascript": "alert(1)"}),
                    new_output(
                        "display_data",
                        data={
                            "application/vnd.jupyter.widget-view+json": {"model_id": "abc"},
                            "text/plain": "IntSlider(value=1)",
                        },
                    ),
                    new_output("display_data", data={"text/html": styler_html}),
                ],
            ),
            new_code_cell(
                "x",
                id="d",
                metadata={"tags": ["remove-output"]},
                outputs=[new_output("stream", name="stdout", text="hidden output")],
            ),
        ]
        nb = new_notebook(cells=cells)
        path = tmp_path / f"nb{len(list(tmp_path.iterdir()))}.ipynb"
        nbformat.write(nb, path)
        return path

    df = pd.DataFrame({"a": [1.5, 2.5]})
    pages = []
    for _ in range(2):
        styler = df.style.highlight_max(color="yellow").to_html()
        assert re.search(r"T_[0-9a-f]{5}", styler)
        out = tmp_path / f"page{len(pages)}.html"
        report_html.notebook_to_html(nb_with(styler), out, title="Т")
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]
    text = pages[0].decode("utf-8")
    assert "T_s0001" in text and "0x7f" not in text and "warning!" not in text
    assert "alert(1)" not in text and "hidden output" not in text
    assert "IntSlider(value=1)" in text  # widgets fall back to their text
    assert 'id="Раздел"' in text and 'id="Раздел-2"' in text
    assert text.count('class="shnor-toc"') == 1 and "data-shnor-toc" not in text
    # the TOC replaced the placeholder: it comes after the markdown cell's headings
    assert text.index('class="shnor-toc"') > text.index('id="Раздел-2"')


# Layout: folded long tables, print width, true minus, readable figures, no paths ----------


def test_table_folds_long_tables_and_marks_wide_ones():
    long = pd.DataFrame({"ОО": [f"СОШ № {i}" for i in range(16)], "n": range(16)})
    folded = display.table(long, caption="Все ОО").data
    assert folded.startswith('<details class="shnor-details"><summary>Все ОО ')
    assert "(16 строк, нажмите, чтобы развернуть)" in folded and folded.endswith("</details>")
    assert "<details" not in display.table(long.head(15)).data
    assert "<details" not in display.table(long, collapse=False).data
    assert "21 строка" in display.table(pd.concat([long, long.head(5)]), caption="x").data
    assert 'class="shnor-table-wrap"' in folded  # 2 short columns: a portrait page
    words = ["Ожидаемое", "Исключено", "Проверено", "Рособрнадзора", "Превышение"]
    wide = pd.DataFrame({f"{w} {i}": [123456.5] for i in range(3) for w in words})
    assert '<div class="shnor-table-wrap shnor-print-wide">' in display.table(wide).data
    est = display._WidthEstimate()
    est.cell("a", "Рособрнадзора (перечень)", nowrap=False, header=True)
    est.cell("a", "1 234,5", nowrap=True)
    assert est.width_pt() == pytest.approx(13 * display._BOLD_CHAR_PT + display._CELL_PAD_PT)


def test_numbers_show_the_true_minus_sign():
    df = pd.DataFrame({"x": [-1.25, 2.0], "ci": ["[-1,2; 3,4]", "2022-2024"], "code": ["A-1", "-"]})
    html = display.table(df, formats={"x": "number:2"}).data
    assert ">\u22121,25<" in html and "[\u22121,2; 3,4]" in html
    assert "2022-2024" in html and "A-1" in html and "<td>-</td>" in html
    assert display.true_minus("рост на -5 п.п.") == "рост на \u22125 п.п."
    assert fmt.fmt_number(float("-inf")) == "\u2212∞"


def _svg_of(html: str) -> str:
    return base64.b64decode(re.search(r"base64,([^\"]+)", html).group(1)).decode()


def test_figures_print_at_9_pt_or_more(display_setup):
    """Small fonts are raised and a figure wider than the portrait page is narrowed (a legend
    beside the axes goes under them), so printing never scales its text below 9 pt."""
    fig, ax = plt.subplots(figsize=(12, 4))
    for i in range(3):
        ax.plot([1, 2, 3], [i, -i, i], label=f"МБОУ СОШ № {i} с длинным названием поселка")
    ax.set_yticks([-2, 0, 2], ["−2", "0", "2"], fontsize=6)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    ax.set_title("Очень длинный заголовок рисунка, который шире страницы, если его не перенести")
    ax.annotate("метка", (2, 0), fontsize=5)
    svg = _svg_of(display.figure(fig, alt="Линии").data)
    width, _ = _svg_size(svg)
    assert width <= display.PORTRAIT_WIDTH_PT + 0.5
    scales = [float(x) for x in re.findall(r"scale\(([0-9.]+) -[0-9.]+\)", svg)]
    assert scales and 100 * min(scales) >= display.MIN_FONT_PT - 1e-9


def test_published_text_carries_file_names_not_paths():
    page = (
        '<main class="shnor-report"><h1 id="t">Отчёт</h1><div class="shnor-note">источник: '
        "data/raw/demo/forms/form4_roadmap.xlsx; см. https://example.ru/a/b.pdf</div>"
        + display.table(pd.DataFrame({"Файл": ["C:\\Выгрузки\\УО\\впр.xlsx"]})).data
        + "</main>"
    )
    out = report_html._postprocess(page)
    assert "источник: form4_roadmap.xlsx;" in out and "<td>впр.xlsx</td>" in out
    assert "data/raw" not in out and "Выгрузки" not in out
    assert "https://example.ru/a/b.pdf" in out


def test_provenance_in_russian_with_only_the_params_that_differ():
    from types import SimpleNamespace

    from shnor_lib.config import _load_defaults
    from shnor_lib.report.sections import data_quality

    params = _load_defaults()
    params.update(municipality="abinsk", title="Абинский район", confidence=0.9)
    params["results_index"]["leader_years"] = 3
    params["paths"]["raw"] = "/home/uo/data"
    res = SimpleNamespace(
        manifest={
            "params": params,
            "sources": [
                {
                    "table": "vpr",
                    "file": "/home/uo/data/raw/abinsk/vpr.csv",
                    "rows": 5,
                    "sha256": "ab",
                },
                {"table": "forms:mnc", "file": "data\\raw\\f2.xlsx", "rows": 2, "sha256": "cd"},
            ],
        }
    )
    p = data_quality.params_table(res)
    assert p.to_dict("records") == [
        {"Параметр": "Уровень доверия", "Значение": "0,9", "По умолчанию": "0,95"},
        {
            "Параметр": "Школа-лидер: лет в 4-м квартиле из окна",
            "Значение": "3",
            "По умолчанию": "2",
        },
    ]
    files = data_quality.input_files(res)
    assert files["Файл"].tolist() == ["vpr.csv", "f2.xlsx"]
    assert files["Данные"].tolist() == ["Результаты ВПР", "Форма мониторинга: МНЦ"]
    res.manifest["params"] = _load_defaults()
    assert data_quality.params_table(res).empty
