"""Pseudonymous participant ids for files that name pupils but give no participant code.

The РЦОИ ОГЭ protocol and the RBD-style ГИА CSV identify a pupil only by surname, name,
patronymic, class and school. The workbook needs a stable id per pupil (duplicates, joins
across subjects) and must never keep the names. The id is a keyed hash (HMAC-SHA256) of the
normalised name parts, class and school: the same pupil gets the same id in every file of
the municipality and every run, nobody can recompute it from a list of names without the
key, and the names are dropped as soon as the id is made.

The key is 32 random bytes (hex) in a file ``.shnor_key`` next to the raw data, created on
first use (``secrets``); it is never copied to ``data/processed`` or ``outputs``. It is found
by :func:`key_path`: the environment variable ``SHNOR_PSEUDONYM_KEY_FILE`` when set, else the
nearest ``.shnor_key`` in the file's folder or above it, else a new one in the municipality
folder (``data/raw/<m>/``: the folder right below ``raw``) or, outside such a tree, in the
file's own folder. Deleting or replacing the key changes every id (a new pupil numbering).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable
from pathlib import Path

KEY_FILE = ".shnor_key"
KEY_ENV = "SHNOR_PSEUDONYM_KEY_FILE"
PREFIX = "П"  # ids read as «П3f9a…»: visibly not a code from the source system
_ID_HEX = 16  # 64 bits: no collision expected among a region's pupils


def key_path(source: Path) -> Path:
    """The key file that applies to ``source`` (a raw file), existing or to be created."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env)
    folder = Path(source).resolve().parent
    for parent in (folder, *folder.parents):
        if (parent / KEY_FILE).is_file():
            return parent / KEY_FILE
    for parent in (folder, *folder.parents):
        if parent.parent.name == "raw":
            return parent / KEY_FILE
    return folder / KEY_FILE


def load_key(path: Path) -> bytes:
    """The key in ``path``; created with ``secrets`` when the file does not exist yet.

    Creation is exclusive (``O_EXCL``), so two processes starting together agree on one key.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    text = path.read_text("ascii").strip()
    if not re.fullmatch(r"[0-9a-fA-F]{32,}", text):
        raise ValueError(f"{path}: not a pseudonym key (expected hex digits)")
    return bytes.fromhex(text[: len(text) // 2 * 2])


def normalise(part: object) -> str:
    """One identifying field as compared: NFKC, case-folded, «ё» = «е», single spaces.

    ``None``/NaN and blanks are "". Numbers written by Excel as 7.0 are "7".
    """
    if part is None or (isinstance(part, float) and part != part):
        return ""
    if isinstance(part, float) and part.is_integer():
        part = int(part)
    text = unicodedata.normalize("NFKC", str(part)).casefold().replace("ё", "е")
    return " ".join(text.replace("\u200b", "").split())


def pseudonym(key: bytes, parts: Iterable[object]) -> str:
    """The id of one pupil: HMAC-SHA256 of the normalised parts, as ``П`` + 16 hex digits."""
    message = "\x1f".join(normalise(p) for p in parts).encode("utf-8")
    return PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()[:_ID_HEX]


def pseudonyms(key: bytes, rows: Iterable[Iterable[object]]) -> list[str]:
    """:func:`pseudonym` of each row (e.g. ``zip(surname, name, patronymic, cls, school)``)."""
    return [pseudonym(key, parts) for parts in rows]
