"""The documents in docs/ stay true to the code: every schema column and header alias, every
catalogued indicator and every params key is documented, and nothing in the repository
points to a folder outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from shnor_lib import DATA_DIR
from shnor_lib.io import schema

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Written on other branches of the same change; once present, their links are checked too.
ELSEWHERE = {"layouts.md", "architecture.md", "methods_tasks.md"}


def _text(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def test_every_schema_table_column_and_alias_is_in_the_data_contract():
    doc = _text("data_contract.md")
    missing = []
    for name, table in schema.TABLES.items():
        if f"### `{name}`" not in doc:
            missing.append(f"table {name}")
        section = doc.split(f"### `{name}`", 1)[-1].split("\n### ", 1)[0]
        for col in table.columns:
            row = re.search(rf"^\| `{re.escape(col.name)}` \|.*$", section, re.M)
            if row is None:
                missing.append(f"{name}.{col.name}")
                continue
            missing += [f"{name}.{col.name}: «{a}»" for a in col.aliases if f"«{a}»" not in row[0]]
            if col.required and "| да |" not in row[0]:
                missing.append(f"{name}.{col.name}: required")
    assert not missing, (
        "regenerate docs/data_contract.md (python -m shnor_lib.devtools.docgen): "
        + "; ".join(missing)
    )


def test_every_indicator_of_the_catalog_is_in_the_catalogue_doc():
    doc = _text("indicators.md")
    catalog = pd.read_csv(DATA_DIR / "indicators_catalog.csv", keep_default_na=False)
    missing = [
        r.indicator_id
        for r in catalog.itertuples()
        if not re.search(rf"^\| {re.escape(r.ref)} \| `{r.indicator_id}` \|", doc, re.M)
    ]
    assert not missing, "add to docs/indicators.md: " + ", ".join(missing)


def _keys(tree: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if path == "results_index.components":  # one weight per component
            out += [f"`{c}`" for c in value] + ["`results_index.components.<компонент>.weight`"]
        elif isinstance(value, dict):
            out += _keys(value, path + ".")
        else:
            out.append(f"`{path}`")
    return out


def test_every_params_key_is_documented():
    defaults = yaml.safe_load((DATA_DIR / "defaults.yml").read_text("utf-8"))
    doc = _text("methods.md") + _text("customizing.md")
    missing = [k for k in _keys(defaults) if k not in doc]
    assert not missing, "document in docs/methods.md: " + ", ".join(missing)


def _tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / p for p in out.stdout.splitlines() if p]


_OUTSIDE = re.compile(r"\.\./shared|/work/shared|\b(?:METHODS|DESIGN|INDICATORS|GLOSSARY)\.md")


def _pointing_outside(paths: list[Path]) -> list[str]:
    hits = []
    for path in paths:
        if path.suffix in (".png", ".xlsx", ".parquet") or not path.is_file():
            continue
        if path == Path(__file__).resolve():
            continue
        text = path.read_text("utf-8", errors="ignore")
        hits += [f"{path.relative_to(ROOT)}: {m[0]}" for m in _OUTSIDE.finditer(text)]
    return hits


def test_nothing_points_outside_the_repository():
    hits = _pointing_outside(_tracked())
    assert not hits, hits


def test_links_in_the_docs_resolve():
    broken = []
    pages = [*DOCS.glob("*.md"), ROOT / "notebooks" / "local" / "README.md"]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)", page.read_text("utf-8")):
            if re.match(r"[a-z]+://", target):
                continue
            resolved = (page.parent / target).resolve()
            if not resolved.is_relative_to(ROOT):
                broken.append(f"{page.name}: {target} (outside the repository)")
            elif not resolved.exists() and resolved.name not in ELSEWHERE:
                broken.append(f"{page.name}: {target}")
    assert len(pages) >= 6 and not broken, broken
