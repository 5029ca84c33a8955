"""Reading the management-decision rules (``shnor_lib/data/decisions.yml``, or a УО's own
copy) for the справка stage: the file I/O lives here, the validation and the rules in
:mod:`shnor_lib.methods.decisions` (methods read no files)."""

from __future__ import annotations

from pathlib import Path

import yaml

from shnor_lib import DATA_DIR
from shnor_lib.methods.decisions import DecisionRulesError, Rules, parse_rules

DEFAULT = DATA_DIR / "decisions.yml"


def load(path: Path | str | None = None) -> Rules:
    """Read and validate decisions.yml (default: the package's own)."""
    file = Path(path) if path is not None else DEFAULT
    try:
        data = yaml.safe_load(file.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise DecisionRulesError(
            f"{file.name}: некорректный YAML ({exc})", f"{file.name}: invalid YAML ({exc})"
        ) from None
    return parse_rules(data, file.name)
