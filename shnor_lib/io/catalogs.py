"""Shipped catalogues the methods parse: read here, in io/, so that ``shnor_lib/methods``
opens no file (tests/test_architecture.py). Each loader returns the raw parsed YAML; the
method module that owns the concept validates and interprets it (e.g.
:func:`shnor_lib.methods.risk_profile.factors`).

Example:
    >>> "factors" in risk_factors_raw()
    True
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from shnor_lib import DATA_DIR


@cache
def risk_factors_raw() -> dict[str, Any]:
    """``shnor_lib/data/risk_factors.yml`` as parsed YAML (categories, factors, profile
    features): the «500+» risk factors, their thresholds and sources."""
    return yaml.safe_load((DATA_DIR / "risk_factors.yml").read_text("utf-8"))
