"""Presentation helpers for the report notebook: one call per cell, deterministic HTML.

The report notebook holds no methodology; a cell calls the library and shows the result
with one of these helpers. Everything they emit is plain HTML with CSS classes styled by
the report template (``shnor_lib/templates/shnor/static/shnor.css``), so the same output
looks right in the final HTML report and readable in JupyterLab.

Numbers follow Russian conventions: decimal comma, a narrow no-break space between
thousands in numbers of five or more digits (Russian typography leaves four-digit numbers
such as years unsplit), "75,3 %" for percentages, "—" for a missing value.
"""

from __future__ import annotations

import base64
import html
import io
import numbers
import re
import textwrap
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

from shnor_lib.fmt import MISSING, _is_missing, fmt_number, fmt_percent

__all__ = [
    "HASHSALT",
    "MISSING",
    "SMALL_N",
    "STATUS_CLASSES",
    "axis_format",
    "figure",
    "fmt_number",
    "fmt_percent",
    "heading",
    "key_numbers",
    "note",
    "notes",
    "setup",
    "slugify",
    "suppress_small",
    "table",
    "toc",
]


SMALL_N = "н/д (мало участников)"  # M11: a value computed from fewer than min_group_size people


HASHSALT = "shnor"  # fixed svg.hashsalt: matplotlib's SVG ids are random without it


# Cell values that colour themselves in a table (target and change statuses).
STATUS_CLASSES: dict[str, str] = {
    "достигнут": "cell-good",
    "не достигнут": "cell-bad",
    "не определён": "cell-neutral",
    "не определен": "cell-neutral",
    "улучшение": "cell-good",
    "ухудшение": "cell-bad",
    "без изменений": "cell-neutral",
    "нет значимых изменений": "cell-neutral",
    "без значимых изменений": "cell-neutral",
    "рост": "cell-good",
    "снижение": "cell-bad",
}


_RC: dict[str, Any] = {
    "svg.hashsalt": HASHSALT,
    "svg.fonttype": "path",  # glyphs as paths: looks the same on every reader's machine
    "text.parse_math": False,  # text from inputs (school names) is drawn as written, never mathtext
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib, has Cyrillic
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9.2,
    "ytick.labelsize": 9.2,
    "legend.fontsize": 9.2,
    "legend.frameon": False,
    "figure.figsize": (7.5, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "axes.formatter.use_locale": False,
    "axes.unicode_minus": True,
    # Okabe–Ito: distinguishable for colour-blind readers and in greyscale print.
    "axes.prop_cycle": None,  # filled in setup() (needs cycler)
}


_PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]


def setup() -> None:
    """Call once at the top of the report notebook: fixed matplotlib and pandas settings.

    Selects the non-interactive Agg backend (figures are shown only through
    :func:`figure`), a fixed SVG hash salt (deterministic ids), DejaVu Sans (Cyrillic)
    and fixed sizes, and pandas display options with Russian number format.
    """
    import matplotlib
    from cycler import cycler

    matplotlib.use("Agg", force=True)
    rc = dict(_RC)
    rc["axes.prop_cycle"] = cycler(color=_PALETTE)
    matplotlib.rcParams.update(rc)

    pd.set_option("display.max_columns", 60)
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.width", 160)
    pd.set_option("display.float_format", lambda x: fmt_number(x, 2))


def _fmt_date(x: Any) -> str:
    if _is_missing(x):
        return MISSING
    if isinstance(x, datetime | date | pd.Timestamp):
        return x.strftime("%d.%m.%Y")
    return str(x)


# HTML objects ------------------------------------------------------------------------
class _Html:
    """Rich HTML output (like ``IPython.display.HTML``) that may carry output metadata."""

    def __init__(self, data: str, metadata: Mapping[str, Any] | None = None) -> None:
        self.data = data
        self.metadata = dict(metadata) if metadata else None

    def _repr_html_(self):
        if self.metadata:
            return self.data, self.metadata
        return self.data

    def __html__(self) -> str:
        return self.data

    def __str__(self) -> str:
        return self.data

    def __repr__(self) -> str:  # text/plain: no memory addresses (determinism)
        return "<HTML>"


class _Markdown:
    """Markdown output built at run time (text from params: shnor_lib.report.texts)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:  # text/plain: no memory addresses (determinism)
        return "<Markdown>"


def markdown(text: str) -> _Markdown:
    """Show ``text`` as Markdown, like a Markdown cell whose numbers come from params."""
    return _Markdown(text)


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _classes(*names: str | None) -> str:
    seen: list[str] = []
    for name in names:
        for c in (name or "").split():
            if c not in seen:
                seen.append(c)
    return " ".join(seen)


def slugify(text: str) -> str:
    """An anchor id from a heading: lower case, words joined by hyphens, Cyrillic kept."""
    s = unicodedata.normalize("NFC", str(text)).strip().lower()
    s = re.sub(r"[^\w\s-]", "", s)
    s = re.sub(r"[\s_-]+", "-", s).strip("-")
    return s or "section"


def heading(text: str, level: int = 2, anchor: str | None = None, *, toc: bool = True) -> _Html:
    """A section heading with an anchor; levels 2–3 go into the report's table of contents.

    Use level 1 once for the report title. ``toc=False`` keeps the heading out of the
    table of contents.
    """
    level = min(max(int(level), 1), 6)
    anchor = anchor or slugify(text)
    cls = "" if toc else ' class="no-toc"'
    return _Html(f'<h{level} id="{_esc(anchor)}"{cls}>{_esc(text)}</h{level}>')


def toc() -> _Html:
    """Where the table of contents goes (default: after the cell with the report title)."""
    return _Html('<nav class="shnor-toc" data-shnor-toc="placeholder"></nav>')


_NOTE_LABELS = {
    "info": "Примечание.",
    "warning": "Внимание.",
    "error": "Ошибка.",
    "success": "",
    "data": "Качество данных.",
}


def note(
    text: str, kind: str = "info", *, title: str | None = None, html_text: bool = False
) -> _Html:
    """A styled note box; ``kind``: info, warning, error, success or data (data quality).

    ``text`` is escaped unless ``html_text=True``. ``title`` replaces the default label.
    """
    if kind not in _NOTE_LABELS:
        raise ValueError(f"note kind must be one of {', '.join(_NOTE_LABELS)}, not {kind!r}")
    label = _NOTE_LABELS[kind] if title is None else title
    body = text if html_text else _esc(text)
    head = f"<strong>{_esc(label)}</strong> " if label else ""
    role = "alert" if kind in ("warning", "error") else "note"
    return _Html(f'<div class="shnor-note shnor-note-{kind}" role="{role}">{head}{body}</div>')


def notes(items: Iterable[tuple[str, str | None, str]]) -> _Html:
    """Several note boxes in one output, from (kind, title, text) triples; nothing if empty."""
    return _Html("".join(note(text, kind, title=title).data for kind, title, text in items))


def key_numbers(numbers_: Mapping[str, Any], *, caption: str | None = None) -> _Html:
    """Key figures as cards («ШНОР: 5»). They are also recorded in the output metadata so
    :func:`shnor_lib.report.render.render_report` puts them into ``summary.json`` for the site."""
    items = []
    for label, value in numbers_.items():
        shown = fmt_number(value, 0 if isinstance(value, numbers.Integral) else 1)
        items.append(
            f'<div class="shnor-kpi"><div class="shnor-kpi-value">{_esc(shown)}</div>'
            f'<div class="shnor-kpi-label">{_esc(label)}</div></div>'
        )
    cap = f'<p class="shnor-kpis-caption">{_esc(caption)}</p>' if caption else ""
    data = {}
    for k, v in numbers_.items():
        if isinstance(v, numbers.Integral) and not isinstance(v, bool):
            data[str(k)] = int(v)
        elif isinstance(v, numbers.Real) and not _is_missing(v):
            data[str(k)] = float(v)
        else:
            data[str(k)] = None if _is_missing(v) else str(v)
    return _Html(
        f'<div class="shnor-kpis">{cap}{"".join(items)}</div>',
        metadata={"shnor": {"key_numbers": data}},
    )


# Tables ------------------------------------------------------------------------------
Formatter = str | Callable[[Any], str]


NUM_ATTR = ' class="num"'


_SORT_JS = (
    "(function(s){var w=s&&s.previousElementSibling,t=w&&w.querySelector('table');"
    "if(!t||t.getAttribute('data-sort-ready'))return;t.setAttribute('data-sort-ready','1');"
    "var hs=t.tHead?t.tHead.rows[0].cells:[];"
    "function key(r,i){var c=r.cells[i];if(!c)return '';var v=c.getAttribute('data-sort');"
    "return v!==null&&v!==''?parseFloat(v):c.textContent.trim();}"
    "Array.prototype.forEach.call(hs,function(th,i){th.tabIndex=0;"
    "function go(){var b=t.tBodies[0],rs=Array.prototype.slice.call(b.rows),"
    "asc=th.getAttribute('aria-sort')!=='ascending';"
    "Array.prototype.forEach.call(hs,function(h){h.removeAttribute('aria-sort');});"
    "th.setAttribute('aria-sort',asc?'ascending':'descending');"
    "rs.sort(function(x,y){var a=key(x,i),c=key(y,i),d;"
    "if(typeof a==='number'&&typeof c==='number')d=a-c;"
    "else if(typeof a==='number')d=-1;else if(typeof c==='number')d=1;"
    "else d=String(a).localeCompare(String(c),'ru');return asc?d:-d;});"
    "rs.forEach(function(r){b.appendChild(r);});}"
    "th.addEventListener('click',go);"
    "th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){"
    "e.preventDefault();go();}});});})(document.currentScript);"
)


def _parse_format(spec: Formatter) -> Callable[[Any], str]:
    if callable(spec):
        return lambda v: MISSING if _is_missing(v) else str(spec(v))
    kind, _, arg = spec.partition(":")
    if kind in ("number", "percent", "int") and (arg == "" or arg.isdigit()):
        decimals = int(arg) if arg else (0 if kind == "int" else 1)
        fn = fmt_percent if kind == "percent" else fmt_number
        return lambda v: fn(v, decimals)
    if spec == "text":
        return lambda v: MISSING if _is_missing(v) else str(v)
    if spec == "date":
        return _fmt_date
    if spec == "bool":
        return lambda v: MISSING if _is_missing(v) else ("да" if v else "нет")
    if "{" in spec:
        return lambda v: (
            v if isinstance(v, str) else (MISSING if _is_missing(v) else spec.format(v))
        )
    raise ValueError(
        f"unknown format {spec!r}: use 'number', 'number:N', 'percent', 'percent:N', 'int', "
        "'text', 'date', 'bool', a str.format template such as '{} чел.' or a callable"
    )


def _is_num(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and not _is_missing(v)


def _column_decimals(values: Iterable[Any], decimals: int) -> int:
    """0 when every number of a float column is whole (counts with NaN), else ``decimals``."""
    nums = [v for v in values if _is_num(v) and not isinstance(v, numbers.Integral)]
    if nums and all(float(v).is_integer() for v in nums):
        return 0
    return decimals


def _default_format(v: Any, decimals: int) -> str:
    if _is_missing(v):
        return MISSING
    if isinstance(v, bool):
        return "да" if v else "нет"
    if isinstance(v, numbers.Integral):
        return fmt_number(v, 0)
    if isinstance(v, numbers.Real):
        return fmt_number(v, decimals)
    if isinstance(v, datetime | date | pd.Timestamp):
        return _fmt_date(v)
    return str(v)


def _sort_key(v: Any) -> str | None:
    if _is_num(v):
        return repr(float(v))
    return None


# Tables longer than this are folded (<details>) on screen; they are printed unfolded.
COLLAPSE_ROWS = 15


# Printed page widths (A4 less the 14 mm side margins of shnor.css), in points.
PORTRAIT_WIDTH_PT = (210 - 2 * 14) / 25.4 * 72
LANDSCAPE_WIDTH_PT = (297 - 2 * 14) / 25.4 * 72


# Print metrics of shnor.css tables: 9 pt DejaVu Sans, whose glyphs average about 0.62 em
# (bold headers 0.68 em), 4 pt padding each side and a border.
_CHAR_PT = 0.62 * 9
_BOLD_CHAR_PT = 0.68 * 9
_CELL_PAD_PT = 9.0


_HYPHEN_MINUS = re.compile(r"(?<![\w\-\u2212])-(?=\d)")


def true_minus(text: str) -> str:
    """«−» for a hyphen used as a minus sign (``-0,5``, ``[-1,2; 3]``); ranges such as
    «2022-2024» and codes such as «A-1» keep their hyphen."""
    return _HYPHEN_MINUS.sub("\u2212", text) if "-" in text else text


class _WidthEstimate:
    """The narrowest a table can be printed: per column the longest word of its header and
    text cells, or the whole of a number (numbers never wrap)."""

    def __init__(self) -> None:
        self.cols: dict[Any, float] = {}

    def cell(self, col: Any, text: str, *, nowrap: bool, header: bool = False) -> None:
        longest = len(text) if nowrap else max((len(w) for w in text.split()), default=0)
        pt = longest * (_BOLD_CHAR_PT if header else _CHAR_PT) + _CELL_PAD_PT
        if pt > self.cols.get(col, 0.0):
            self.cols[col] = pt

    def width_pt(self) -> float:
        return sum(self.cols.values())

    def wide(self) -> bool:
        return self.width_pt() > PORTRAIT_WIDTH_PT


def _rows_word(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "строка"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "строки"
    return "строк"


def _collapsed(block: str, caption: str | None, n_rows: int) -> str:
    """A long table folded on screen: the summary line names it and says how long it is."""
    what = caption or "Таблица"
    return (
        f'<details class="shnor-details"><summary>{_esc(what)} '
        f'<span class="shnor-details-n">({fmt_number(n_rows, 0)} {_rows_word(n_rows)}, '
        f"нажмите, чтобы развернуть)</span></summary>{block}</details>"
    )


def table(
    df: pd.DataFrame | pd.Series,
    *,
    caption: str | None = None,
    formats: Mapping[str, Formatter] | None = None,
    sortable: bool = False,
    index: bool = False,
    classes: str = "",
    row_class: str | Callable[[pd.Series], str | None] | None = None,
    cell_class: Callable[[str, Any, pd.Series], str | None]
    | Mapping[str, Callable[[Any], str | None] | Mapping[Any, str]]
    | None = None,
    decimals: int = 1,
    status_colors: bool = True,
    empty_text: str = "нет данных",
    collapse: bool | None = None,
) -> _Html:
    """A clean HTML table; every cell and header is escaped.

    - ``formats``: column → ``"number"``, ``"number:2"``, ``"percent"``, ``"percent:0"``,
      ``"int"``, ``"text"``, ``"date"``, ``"bool"``, a ``str.format`` template
      (``"{} чел."``) or a callable value → str. Other columns: floats with ``decimals``
      (0 if all whole), ints without decimals, bools as да/нет, dates as ДД.ММ.ГГГГ,
      missing as «—». Strings (e.g. «н/д (мало участников)») pass through.
    - ``row_class``: a column holding CSS classes for each row (the column is not shown)
      or a callable row → class.
    - ``cell_class``: a callable ``(column, value, row) → class`` or a mapping column →
      (callable value → class, or dict value → class).
    - ``status_colors``: cells equal to a known status («достигнут», «не достигнут»,
      «не определён», …) get the classes in :data:`STATUS_CLASSES` (green/red/grey).
    - ``sortable``: click a header to sort (a small inline script, no external files).
    - ``index``: show the index as leading column(s).
    - ``collapse``: shown folded (``<details>``, one click opens it; printed unfolded);
      ``None`` folds tables of more than :data:`COLLAPSE_ROWS` rows.

    A table too wide for a portrait A4 page at the printed font size gets the class
    ``shnor-print-wide`` (printed on a landscape page); on screen it scrolls sideways.
    Numbers are shown with the true minus sign «−».
    """
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if index:
        df = df.reset_index()
    formats = dict(formats or {})
    hidden: set[str] = set()
    if isinstance(row_class, str):
        if row_class not in df.columns:
            raise KeyError(f"row_class column {row_class!r} not in the table")
        hidden.add(row_class)

    def label(col: Any) -> str:
        if isinstance(col, tuple):
            return " / ".join(str(c) for c in col if str(c) != "")
        return str(col)

    columns = [c for c in df.columns if c not in hidden]
    fmt_fns: dict[Any, Callable[[Any], str]] = {}
    for c in columns:
        spec = formats.get(c, formats.get(label(c)))
        if spec is not None:
            fmt_fns[c] = _parse_format(spec)
        else:
            d = _column_decimals(df[c].tolist(), decimals)
            fmt_fns[c] = lambda v, d=d: _default_format(v, d)

    def cls_for_cell(col: Any, value: Any, row: pd.Series) -> str | None:
        if cell_class is None:
            return None
        if callable(cell_class):
            return cell_class(label(col), value, row)
        rule = cell_class.get(col, cell_class.get(label(col)))
        if rule is None:
            return None
        if callable(rule):
            return rule(value)
        try:
            return rule.get(value)
        except TypeError:  # unhashable value
            return None

    body_rows: list[str] = []
    numeric_cols: set[Any] = set()
    widths = _WidthEstimate()
    values = {c: df[c].tolist() for c in columns}  # keeps ints as ints (iterrows would not)
    row_classes = df[row_class].tolist() if isinstance(row_class, str) else None
    need_row = callable(row_class) or cell_class is not None
    for i in range(len(df)):
        row = df.iloc[i] if need_row else None
        rc = None
        if row_classes is not None:
            rc = None if _is_missing(row_classes[i]) else row_classes[i]
        elif callable(row_class):
            rc = row_class(row)
        cells = []
        for c in columns:
            v = values[c][i]
            text = true_minus(fmt_fns[c](v))
            names = []
            if _is_num(v):
                names.append("num")
                numeric_cols.add(c)
            widths.cell(c, text, nowrap=_is_num(v))
            if _is_missing(v) or (isinstance(v, str) and v == SMALL_N):
                names.append("shnor-na")
            if status_colors and isinstance(v, str):
                names.append(STATUS_CLASSES.get(v.strip().lower(), ""))
            names.append(cls_for_cell(c, v, row) or "")
            joined = _classes(*names)
            attr = f' class="{_esc(joined)}"' if joined else ""
            if sortable:
                key = _sort_key(v)
                if key is not None:
                    attr += f' data-sort="{key}"'
            cells.append(f"<td{attr}>{_esc(text)}</td>")
        rattr = f' class="{_esc(_classes(str(rc)))}"' if rc else ""
        body_rows.append(f"<tr{rattr}>{''.join(cells)}</tr>")
    if not body_rows:
        body_rows.append(
            f'<tr><td class="shnor-na" colspan="{max(len(columns), 1)}">'
            f"{_esc(empty_text)}</td></tr>"
        )

    for c in columns:
        widths.cell(c, label(c), nowrap=False, header=True)
    head = "".join(
        f'<th{NUM_ATTR if c in numeric_cols else ""} scope="col">{_esc(label(c))}</th>'
        for c in columns
    )
    table_cls = _classes("shnor-table", "shnor-sortable" if sortable else "", classes)
    wrap_cls = _classes("shnor-table-wrap", "shnor-print-wide" if widths.wide() else "")
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    out = (
        f'<div class="{wrap_cls}"><table class="{_esc(table_cls)}">{cap}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table></div>"
    )
    if sortable:
        out = f'<div class="shnor-table-block">{out}<script>{_SORT_JS}</script></div>'
    if collapse is None:
        collapse = len(df) > COLLAPSE_ROWS
    if collapse and len(df):
        out = _collapsed(out, caption, len(df))
    return _Html(out)


def suppress_small(df: pd.DataFrame, n_col: str, value_cols: list[str], min_n: int) -> pd.DataFrame:
    """A display copy where ``value_cols`` of rows with ``n_col`` < ``min_n`` read
    «н/д (мало участников)» (M11). The n column itself stays visible; rows with unknown n
    are left as they are."""
    out = df.copy()
    n = pd.to_numeric(out[n_col], errors="coerce")
    mask = (n < min_n).fillna(False).to_numpy(dtype=bool)
    for c in value_cols:
        col = out[c].astype(object)
        col[mask] = SMALL_N
        out[c] = col
    return out


# Figures -----------------------------------------------------------------------------
def figure(
    fig: Any, *, alt: str, caption: str | None = None, format: str = "svg", width: str | None = None
) -> _Html:
    """Embed a matplotlib figure (or Axes) as a deterministic SVG/PNG data URI and close it.

    ``alt`` (required) describes the figure for screen readers and when images are off;
    ``caption`` is shown under it. ``width`` is a CSS width such as ``"60%"``.
    """
    import matplotlib.pyplot as plt

    if not alt or not str(alt).strip():
        raise ValueError("figure(): alt text is required (describe the figure in Russian)")
    fig = getattr(fig, "figure", fig)  # an Axes → its Figure
    _readable_in_print(fig)
    if format == "svg":
        try:
            payload = _svg_tight(fig)
        finally:
            plt.close(fig)
        mime = "image/svg+xml"
    elif format == "png":
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        payload = buf.getvalue()
        mime = "image/png"
    else:
        raise ValueError("figure(): format must be 'svg' or 'png'")
    data = base64.b64encode(payload).decode("ascii")
    style = f' style="width:{_esc(width)}"' if width else ""
    cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
    return _Html(
        f'<figure class="shnor-figure"><img src="data:{mime};base64,{data}" '
        f'alt="{_esc(alt)}"{style}>{cap}</figure>'
    )


# Printed text is never smaller than this (the figure is also never shrunk to fit the page).
MIN_FONT_PT = 9.0
# Text below the floor is raised a little above it: the tight bounding box of the saved SVG
# can make the image up to ~1 % wider than the page, and the browser shrinks it by as much.
_RAISED_PT = MIN_FONT_PT * 1.02


def _readable_in_print(fig: Any) -> None:
    """Text of at least :data:`MIN_FONT_PT` and a figure no wider than a portrait A4 page.

    A figure wider than the page is scaled down when printed, and its labels with it; so the
    figure itself is made narrower (the text keeps its size) and every smaller text — tick
    labels, legends, annotations set with a small ``fontsize`` by a section — is raised.
    """
    from matplotlib.text import Text

    for ax in fig.axes:
        for which, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            sizes = [t.get_fontsize() for t in axis.get_ticklabels(which="both")]
            if sizes and min(sizes) < _RAISED_PT:
                ax.tick_params(axis=which, which="both", labelsize=_RAISED_PT)
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < _RAISED_PT:
            text.set_fontsize(_RAISED_PT)
    titles = [t for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title)]
    for text in [*titles, fig._suptitle]:  # a title longer than the page: on two lines
        if text is not None and "\n" not in text.get_text():
            per_line = int(0.7 * PORTRAIT_WIDTH_PT / (0.62 * text.get_fontsize()))
            if len(text.get_text()) > per_line:
                text.set_text(textwrap.fill(text.get_text(), per_line))
    width_in, height_in = fig.get_size_inches()
    fit_in = PORTRAIT_WIDTH_PT / 72 - 0.2  # tight cropping leaves a little padding
    if width_in > fit_in:
        fig.set_size_inches(fit_in, height_in)


def _xticks_overlap(ax: Any, renderer: Any) -> bool:
    """Whether horizontal x tick labels of ``ax`` overlap each other (as drawn)."""
    labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    if len(labels) < 2 or any(t.get_rotation() for t in labels):
        return False
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    return any(a.x1 > b.x0 + 0.5 for a, b in zip(boxes, boxes[1:], strict=False))


def _legends_below(fig: Any) -> bool:
    """Move legends placed beside the axes (``bbox_to_anchor`` right of it) under the axes,
    the figure made taller by as much (SVG drops lines outside the figure: a legend's line
    samples would vanish); False when there is none to move."""
    width_in, height_in = fig.get_size_inches()
    need_pt: list[float] = []
    for ax in fig.axes:
        leg = ax.get_legend()
        anchor = leg.get_bbox_to_anchor() if leg is not None else None
        if anchor is None:
            continue
        right = ax.transAxes.inverted().transform((anchor.x0, anchor.y0))[0]
        if right < 0.99:
            continue
        title = leg.get_title().get_text()
        labels = [t.get_text() for t in leg.texts]
        size = leg.texts[0].get_fontsize() if leg.texts else MIN_FONT_PT
        # the plotted artists where the legend was made from them (its own proxies of lines
        # lose their look when reused); the proxies otherwise (legends of explicit handles)
        own = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
        ax.legend(
            handles=[own.get(t, h) for t, h in zip(labels, leg.legend_handles, strict=True)],
            labels=labels,
            title=title or None,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
        )
        x0, y0, w, h = ax.get_position().bounds
        below_pt = 0.16 * h * height_in * 72 + (len(labels) + bool(title)) * 1.5 * size + 12
        need_pt.append(below_pt - y0 * height_in * 72)
    if not need_pt:
        return False
    extra_in = max(max(need_pt), 0.0) / 72
    if extra_in > 0:
        grown = height_in + extra_in
        for ax in fig.axes:  # the same axes in inches, the new room at the bottom
            x0, y0, w, h = ax.get_position().bounds
            ax.set_position((x0, (y0 * height_in + extra_in) / grown, w, h * height_in / grown))
        fig.set_size_inches(width_in, grown)
    return True


_SVG_SIZE = re.compile(r'width="[^"]*" height="[^"]*" viewBox="[^"]*"')


def _svg_tight(fig: Any) -> bytes:
    """``fig`` as SVG cropped to its tight bounding box (like ``bbox_inches="tight"``),
    drawn once.

    ``savefig(bbox_inches="tight")`` draws the figure twice: once to measure it, once to
    write it; the text layout of the first pass is not reused (matplotlib caches it per
    renderer), and laying out text is most of the cost of a figure with path glyphs. Here
    the figure is drawn once, measured with the same renderer right after drawing (every
    text extent comes from its cache), and the SVG's ``viewBox`` is set to the padded
    tight box. The figure background is drawn over a larger area during that pass, so
    labels and legends outside the figure area sit on the background as with ``"tight"``.
    """
    import matplotlib

    measured: dict[str, Any] = {}

    def draw_and_measure(renderer: Any) -> None:
        bounds = fig.patch.get_bbox().bounds
        fig.patch.set_bounds(-1, -1, 3, 3)  # background for whatever lies outside the figure
        try:
            type(fig).draw(fig, renderer)
        finally:
            fig.patch.set_bounds(*bounds)
        measured["bbox"] = fig.get_tightbbox(renderer)  # inches; text extents cached
        measured["crowded"] = [ax for ax in fig.axes if _xticks_overlap(ax, renderer)]
        measured["height"] = fig.get_size_inches()[1]

    pad = float(matplotlib.rcParams["savefig.pad_inches"])
    for _attempt in range(8):  # labels or a legend outside the axes: narrow the axes, again
        buf = io.BytesIO()
        fig.draw = draw_and_measure  # the instance attribute wins over Figure.draw
        try:
            with matplotlib.rc_context({"svg.hashsalt": HASHSALT, "savefig.bbox": "standard"}):
                fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            del fig.draw
        box = measured["bbox"].padded(pad)
        overflow_in = box.width - PORTRAIT_WIDTH_PT / 72
        width_in, height_in = fig.get_size_inches()
        if measured["crowded"]:  # narrowed (or long) category labels run into each other
            for ax in measured["crowded"]:
                ax.tick_params(axis="x", which="both", labelrotation=90)
            continue
        if overflow_in <= 0:
            break
        if _legends_below(fig):
            continue  # a legend beside the axes took the width: now it is below them
        if width_in - overflow_in < 2.0:
            break
        fig.set_size_inches(width_in - overflow_in - 0.05, height_in)
    x0, y1, w, h = (
        v * 72 for v in (box.x0, measured["height"] - box.y1, box.width, box.height)
    )  # SVG user units are points (72 per inch), y downwards
    size = f'width="{w:.6g}pt" height="{h:.6g}pt" viewBox="{x0:.6g} {y1:.6g} {w:.6g} {h:.6g}"'
    svg = buf.getvalue().decode("utf-8")
    svg, n = _SVG_SIZE.subn(size, svg, count=1)
    if n != 1:  # pragma: no cover - matplotlib changed its SVG header
        raise RuntimeError("figure(): unexpected SVG header from matplotlib")
    return svg.encode("utf-8")


def axis_format(ax: Any, which: str = "y", decimals: int = 0, percent: bool = False) -> None:
    """Russian tick labels on an axis: decimal comma, «%» when ``percent``."""
    from matplotlib.ticker import FuncFormatter

    fn = fmt_percent if percent else fmt_number
    formatter = FuncFormatter(lambda v, _pos: fn(v, decimals))
    axes = {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[which]
    for axis in axes:
        axis.set_major_formatter(formatter)
