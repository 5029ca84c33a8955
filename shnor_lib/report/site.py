"""``outputs/site/index.html``: one page linking every municipality's report and every
region page, ready to upload.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from shnor_lib import __version__
from shnor_lib.errors import ShnorError
from shnor_lib.io import atomic
from shnor_lib.report.html import TEMPLATE_NAME, TEMPLATES_DIR
from shnor_lib.report.notebook import _say

# Site --------------------------------------------------------------------------------------
# Key numbers given a column of their own in the index (what a reader compares across
# municipalities); any others share one cell, so the table fits a 1,280 px screen whatever
# sections a report has.
INDEX_COLUMNS = ("ОО", "ШНОР", "ШССУ", "ШНОР и ШССУ", "Школы-лидеры")


def _fmt_key(v: Any) -> str:
    from shnor_lib.fmt import fmt_number

    if isinstance(v, bool) or v is None:
        return "—" if v is None else ("да" if v else "нет")
    if isinstance(v, int):
        return fmt_number(v, 0)
    if isinstance(v, float):
        return fmt_number(v, 1)
    return str(v)


def _read_summary(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        _say(f"Предупреждение: {path} не читается как JSON, пропущен (unreadable summary.json)")
        return {}
    return data if isinstance(data, dict) else {}


def _region_pages(outputs_root: Path, site_res: Path) -> list[dict[str, Any]]:
    """``<outputs_root>/<region>/<year>/region.html`` pages (``shnor region``), sorted."""
    pages = []
    for html in outputs_root.glob("regions/*/*/region.html"):  # region.summary_dir
        year_dir, r_dir = html.parent, html.parent.parent
        if not year_dir.name.isdigit() or r_dir.name.startswith("."):
            continue
        if site_res == r_dir.resolve() or site_res in r_dir.resolve().parents:
            continue
        meta = _read_summary(year_dir / "region.json")
        munis = meta.get("municipalities") if isinstance(meta.get("municipalities"), list) else []
        pages.append(
            {
                "region": r_dir.name,
                "year": int(year_dir.name),
                "municipalities": len(munis) or None,
                "src": html,
            }
        )
    return sorted(pages, key=lambda r: (r["region"], -r["year"]))


def build_site(outputs_root: Path, site_dir: Path | None = None) -> Path:
    """Build ``<outputs_root>/site/index.html`` linking a copy of every
    ``<outputs_root>/<m>/<year>/report.html`` and, in a «Регионы» table, every regional
    comparison ``<outputs_root>/<region>/<year>/region.html``; offline, relative links,
    deterministic, replaced as a whole. Returns the path of index.html."""
    outputs_root = Path(outputs_root)
    site_dir = Path(site_dir) if site_dir is not None else outputs_root / "site"
    site_res = site_dir.resolve()
    entries = []
    for html in outputs_root.glob("*/*/report.html"):
        year_dir, m_dir = html.parent, html.parent.parent
        if not year_dir.name.isdigit() or m_dir.name.startswith("."):
            continue
        if site_res == m_dir.resolve() or site_res in m_dir.resolve().parents:
            continue
        summary = _read_summary(year_dir / "summary.json")
        keys = summary.get("key_numbers") if isinstance(summary.get("key_numbers"), dict) else {}
        entries.append(
            {
                "municipality": m_dir.name,
                "year": int(year_dir.name),
                "title": str(summary.get("title") or m_dir.name),
                "key_numbers": keys,
                "src": html,
            }
        )
    regions = _region_pages(outputs_root, site_res)
    if not entries and not regions:
        raise ShnorError(
            f"В папке {outputs_root} нет отчётов (<муниципалитет>/<год>/report.html); "
            "сначала выполните make report",
            f"No reports (<m>/<year>/report.html) in {outputs_root}; run make report first",
        )
    entries.sort(key=lambda e: (e["title"].casefold(), e["municipality"], -e["year"]))
    esc = html_lib.escape
    rows = []
    for e in entries:
        href = f"{e['municipality']}/{e['year']}/report.html"
        shown = [k for k in INDEX_COLUMNS if k in e["key_numbers"]]
        rest = [k for k in e["key_numbers"] if k not in INDEX_COLUMNS]
        cards = ""  # the school cards published beside the report (report/cards.py)
        if (e["src"].parent / "schools" / "index.html").exists():
            cards_href = f"{e['municipality']}/{e['year']}/schools/index.html"
            cards = f' · <a href="{esc(cards_href, quote=True)}">карточки школ</a>'
        cells = [
            f'<th scope="row"><a href="{esc(href, quote=True)}">{esc(e["title"])}</a>{cards}</th>',
            f'<td class="num">{e["year"]}</td>',
        ]
        for k in INDEX_COLUMNS:
            v = e["key_numbers"].get(k)
            cells.append(f'<td class="num">{esc(_fmt_key(v))}</td>' if k in shown else "<td>—</td>")
        other = "; ".join(f"{k}: {_fmt_key(e['key_numbers'][k])}" for k in rest)
        cells.append(f"<td>{esc(other) or '—'}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = [
        '<th scope="col">Муниципалитет (ссылка на отчёт)</th>',
        '<th scope="col" class="num">Год</th>',
    ]
    head += [f'<th scope="col" class="num">{esc(k)}</th>' for k in INDEX_COLUMNS]
    head.append('<th scope="col">Другие ключевые числа</th>')
    css = (TEMPLATES_DIR / TEMPLATE_NAME / "static" / "shnor.css").read_text("utf-8")
    n_m = len({e["municipality"] for e in entries})
    region_rows = []
    for r in regions:
        href = f"regions/{r['region']}/{r['year']}/region.html"
        region_rows.append(
            f'<tr><th scope="row"><a href="{esc(href, quote=True)}">{esc(r["region"])}</a></th>'
            f'<td class="num">{r["year"]}</td>'
            f'<td class="num">{esc(_fmt_key(r["municipalities"]))}</td></tr>'
        )
    region_html = (
        '<h2 id="regiony">Регионы</h2>\n<div class="shnor-table-wrap"><table class="shnor-table">\n'
        '<thead><tr><th scope="col">Регион (ссылка на сравнение муниципалитетов)</th>'
        '<th scope="col" class="num">Год</th>'
        '<th scope="col" class="num">Муниципалитетов</th></tr></thead>\n'
        "<tbody>\n" + "\n".join(region_rows) + "\n</tbody>\n</table></div>\n"
        if regions
        else ""
    )
    reports_html = (
        '<div class="shnor-table-wrap"><table class="shnor-table shnor-site-index">\n'
        f"<thead><tr>{''.join(head)}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table></div>\n"
        if entries
        else ""
    )
    lead = f"Отчётов: {len(entries)}; муниципалитетов: {n_m}."
    if regions:
        lead += f" Сводок по регионам: {len(regions)}."
    page = (
        '<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="shnor {esc(__version__)}">\n'
        "<title>Аналитические отчёты: ШНОР и ШССУ</title>\n"
        f'<style>\n{css}</style>\n</head>\n<body>\n<main class="shnor-site">\n'
        "<h1>Аналитические отчёты: школы с низкими результатами и школы, "
        "функционирующие в сложных социальных условиях</h1>\n"
        f'<p class="shnor-site-lead">{lead}</p>\n'
        + region_html
        + (('<h2 id="otchety">Отчёты муниципалитетов</h2>\n' if regions else "") + reports_html)
        + "</main>\n</body>\n</html>\n"
    )

    with atomic.staged_dir(site_dir, carry_over=False) as tmp:  # replaced as a whole
        for e in entries:
            dest = tmp / e["municipality"] / str(e["year"]) / "report.html"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(e["src"], dest)
            if (e["src"].parent / "schools").is_dir():  # the school cards, linked above
                shutil.copytree(e["src"].parent / "schools", dest.parent / "schools")
        for r in regions:
            dest = tmp / "regions" / r["region"] / str(r["year"]) / "region.html"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(r["src"], dest)
        (tmp / "index.html").write_text(page, "utf-8")
        for p in tmp.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return site_dir / "index.html"
