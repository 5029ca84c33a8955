"""shnor: reproducible analysis workbook for municipal education authorities.

Data flow (one module per stage): raw files → `ingest` (validated tables) → `indicators`,
`results_index` (ИОР), `objectivity`, `social_index` (ИСБ) → `classify` → `report`.
"""

from pathlib import Path

__version__ = "0.1.0"

DATA_DIR = Path(__file__).resolve().parent / "data"
