"""The executed notebook → one self-contained, offline, deterministic HTML file
(nbconvert with the project's template; code and injected cells removed).
"""

from __future__ import annotations

import contextlib
import functools
import html as html_lib
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote

from shnor_lib import __version__
from shnor_lib.errors import ShnorError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


TEMPLATE_NAME = "shnor"


# Cells never shown in the HTML report.
REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell", "remove_cell"})


# Cells whose outputs are hidden (the cell still runs).
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})


# What the report shows, best first. JavaScript, widgets and LaTeX (needs MathJax from a
# CDN) are never rendered; an output offering only those falls back to text/plain.
DISPLAY_PRIORITY = [
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/plain",
]


# Conversion -------------------------------------------------------------------------------
def _cleanup_preprocessor_class():
    from nbconvert.preprocessors import Preprocessor

    junk = re.compile(r"(?:\bat 0x[0-9a-fA-F]+>|^<Figure size [^>]*>$|^<HTML>$)", re.M)

    class CleanupOutputs(Preprocessor):
        """Drop stderr streams and repr noise (memory addresses, '<Figure size ...>')."""

        def preprocess_cell(self, cell, resources, index):
            if cell.get("cell_type") != "code":
                return cell, resources
            kept = []
            for out in cell.get("outputs", []):
                otype = out.get("output_type")
                if otype == "stream" and out.get("name") != "stdout":
                    continue
                if otype in ("execute_result", "display_data"):
                    data = out.get("data", {})
                    shown = [m for m in DISPLAY_PRIORITY if m in data]
                    if not shown:
                        continue
                    if shown == ["text/plain"] and junk.search(str(data["text/plain"])):
                        continue
                kept.append(out)
            cell.outputs = kept
            cell.execution_count = None
            cell.metadata = {k: v for k, v in cell.get("metadata", {}).items() if k == "tags"}
            return cell, resources

    return CleanupOutputs


def _single_pass_class():
    """nbconvert's HTMLExporter without its own BeautifulSoup round trip: it parses the whole
    page only to add missing alt texts and tabindex attributes, which :func:`_postprocess`
    does in its parse (one parse of a multi-megabyte page instead of two)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class SinglePassHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return SinglePassHTMLExporter


def _nbconvert_soup_fixes(soup) -> None:
    """What HTMLExporter.from_notebook_node does to the page after rendering (its CSS
    selectors ``img:not([alt])`` and ``.jp-Notebook div.jp-…``, as plain searches)."""
    for elem in soup.find_all("img", alt=False):
        elem.attrs["alt"] = "No description has been provided for this image"
    for notebook in soup.find_all(class_="jp-Notebook"):
        for cls in ("jp-Cell-inputWrapper", "jp-OutputArea-output"):
            for elem in notebook.find_all("div", class_=cls):
                elem.attrs["tabindex"] = "0"


@functools.lru_cache(maxsize=1)
def _exporter():
    from traitlets.config import Config

    _SinglePassHTMLExporter = _single_pass_class()  # noqa: N806 (a class)

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    c.NbConvertBase.display_data_priority = list(DISPLAY_PRIORITY)
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.HTMLExporter.sanitize_html = False
    c.HTMLExporter.language_code = "ru"
    exporter = _SinglePassHTMLExporter(
        config=c, template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)]
    )
    exporter.register_preprocessor(_cleanup_preprocessor_class()(), enabled=True)
    return exporter


_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"'\s{,.:#>])")


def _normalize_styler_ids(text: str) -> str:
    """pandas Styler tables get a random 'T_xxxxx' id; number them in order instead."""
    mapping: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in mapping:
            mapping[key] = f"s{len(mapping) + 1:04d}"
        return "T_" + mapping[key]

    return _STYLER_ID.sub(sub, text)


def _heading_text(tag) -> str:
    parts = []
    for node in tag.descendants:
        if isinstance(node, str) and not (
            node.parent is not None
            and node.parent.name == "a"
            and "anchor-link" in (node.parent.get("class") or [])
        ):
            parts.append(str(node))
    return " ".join("".join(parts).split())


# A table from display.table(): escaped text in table tags only, no ids, headings or images.
_TABLE_WRAP = re.compile(r'<div class="shnor-table-wrap(?: [\w -]+)?">')


_TABLE_BLOCK = re.compile(_TABLE_WRAP.pattern + r"<table\b.*?</table></div>", re.S)


_NOT_TABLE_TAG = re.compile(r"<(?!/?(?:table|caption|thead|tbody|tr|th|td)[\s>])")


_KEPT_TABLE = re.compile(r'<div class="shnor-table-wrap" data-shnor-kept="(\d+)"></div>')


def _set_tables_aside(html_text: str) -> tuple[str, list[str]]:
    """Replace display.table() blocks by empty placeholders before parsing the page.

    Most tags of a report are table cells, which :func:`_postprocess` never changes (it
    works on headings, ids and images), so the parser need not build them: a block that
    holds nothing but table tags is set aside and put back verbatim. (BeautifulSoup would
    print the same markup: display.table() writes ``class`` first, as it does.)
    """
    if "data-shnor-kept=" in html_text:  # never in a report; then simply parse everything
        return html_text, []
    kept: list[str] = []

    def sub(m: re.Match[str]) -> str:
        block = m.group(0)
        opening = _TABLE_WRAP.match(block).end()
        if _NOT_TABLE_TAG.search(block, opening, len(block) - len("</div>")):
            return block
        kept.append(block)
        return f'<div class="shnor-table-wrap" data-shnor-kept="{len(kept) - 1}"></div>'

    return _TABLE_BLOCK.sub(sub, html_text), kept


# A path to a file in text the reader sees (a note quoting where a form was read from):
# only the file name is published, never the folders of the machine that made the report.
_FILE_PATH = re.compile(
    r"(?<![\w/\\.:-])(?:[A-Za-z]:)?(?:\.{0,2}[\\/])?(?:[\w.-]+[\\/])+"
    r"([\w.-]+\.(?:csv|tsv|txt|xlsx|xlsm|xls|ods|yml|yaml|json|parquet|ipynb|docx|pdf))\b",
    re.I,
)


def strip_paths(text: str) -> str:
    """``data/raw/demo/forms/form4.xlsx`` → ``form4.xlsx`` in visible text."""
    return _FILE_PATH.sub(r"\1", text) if ("/" in text or "\\" in text) else text


def _strip_paths_in(soup) -> None:
    from bs4 import NavigableString

    for node in soup.find_all(string=_FILE_PATH):
        if isinstance(node, NavigableString) and node.parent.name not in ("script", "style"):
            node.replace_with(strip_paths(str(node)))


def _postprocess(html_text: str) -> str:
    """Readable unique heading ids and the table of contents (h2/h3)."""
    from bs4 import BeautifulSoup

    html_text, kept = _set_tables_aside(html_text)
    soup = BeautifulSoup(html_text, features="html.parser")
    _nbconvert_soup_fixes(soup)
    _strip_paths_in(soup)
    main = soup.find("main") or soup
    # Markdown headings get percent-encoded ids; decode them (and their anchor links).
    for tag in main.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        if tag.get("id") and "%" in tag["id"]:
            tag["id"] = unquote(tag["id"])
        for a in tag.find_all("a", class_="anchor-link"):
            if a.get("href", "").startswith("#"):
                a["href"] = "#" + unquote(a["href"][1:])
    # Unique ids, in document order.
    seen: set[str] = set()
    for tag in main.find_all(id=True):
        if tag.name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            base = tag["id"]
            new, n = base, 1
            while new in seen:
                n += 1
                new = f"{base}-{n}"
            if new != base:
                tag["id"] = new
                for a in tag.find_all("a", class_="anchor-link"):
                    a["href"] = "#" + new
        seen.add(tag["id"])

    entries = []
    for tag in main.find_all(["h2", "h3"]):
        if "no-toc" in (tag.get("class") or []) or tag.find_parent("nav") is not None:
            continue
        if not tag.get("id"):
            continue
        entries.append((int(tag.name[1]), tag["id"], _heading_text(tag)))

    placeholder = main.find("nav", attrs={"data-shnor-toc": True})
    if len(entries) >= 2:
        parts = [
            '<nav class="shnor-toc" aria-label="Содержание">',
            '<p class="shnor-toc-title">Содержание</p><ol>',
        ]
        open_sub = False
        for i, (level, anchor, text) in enumerate(entries):
            link = f'<a href="#{html_lib.escape(anchor, quote=True)}">{html_lib.escape(text)}</a>'
            if level == 3 and i > 0:
                if not open_sub:
                    parts.append("<ol>")
                    open_sub = True
                parts.append(f"<li>{link}</li>")
                continue
            if open_sub:
                parts.append("</ol>")
                open_sub = False
            if i > 0:
                parts.append("</li>")
            parts.append(f"<li>{link}")
        if open_sub:
            parts.append("</ol>")
        parts.append("</li></ol></nav>")
        nav = BeautifulSoup("".join(parts), features="html.parser").nav
        if main is not soup:  # the stylesheet puts the contents in a side column on wide screens
            main["class"] = [*(main.get("class") or []), "shnor-has-toc"]
        if placeholder is not None:
            placeholder.replace_with(nav)
        else:
            h1 = main.find("h1")
            cell = h1.find_parent("div", class_="shnor-cell") if h1 is not None else None
            if cell is not None:
                cell.insert_after(nav)
            elif h1 is not None:
                h1.insert_after(nav)
            else:
                main.insert(0, nav)
    elif placeholder is not None:
        placeholder.decompose()

    text = str(soup)
    text = _KEPT_TABLE.sub(lambda m: strip_paths(kept[int(m.group(1))]), text)
    text = _normalize_styler_ids(text)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return text.strip() + "\n"


def _atomic_write(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def notebook_to_html(
    ipynb: Path, html: Path, *, title: str, resources_dir: Path | None = None
) -> None:
    """Convert an executed notebook to a self-contained, offline, deterministic HTML page.

    No code, no prompts, no cells tagged ``parameters``/``injected-parameters``/
    ``remove-cell``, no outputs of cells tagged ``remove-output``, no stderr, no
    JavaScript/widget outputs; ``<title>`` = ``title``; ``<html lang="ru">``; a table of
    contents from the h2/h3 headings. ``resources_dir``: where relative image paths in
    Markdown cells are resolved (default: the notebook's folder); they are embedded.
    Written atomically.
    """
    import nbformat

    ipynb = Path(ipynb)
    try:
        nb = nbformat.read(str(ipynb), as_version=4)
    except Exception as exc:
        raise ShnorError(
            f"Не удалось прочитать блокнот {ipynb}: {exc}",
            f"Could not read notebook {ipynb}: {exc}",
        ) from None
    resources = {
        "metadata": {"name": ipynb.stem, "path": str(resources_dir or ipynb.parent)},
        "shnor": {"title": title, "version": __version__},
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    _atomic_write(Path(html), _postprocess(body).encode("utf-8"))
