"""One school, several codes: every table's school code mapped to the one ``school_id``.

The same school is «edu203389» in ФИС ОКО (its login), «9306» in the РЦОИ protocols and yet
another number in the ОО-1 form. ``schools`` may carry each in its own column (:data:`CODE_COLUMNS`:
«Логин ОО», «Код ОО РЦОИ», «Код ОО (ОО-1)»), next to ``school_id`` («Код ОО»). Every other
table may use any of them; :func:`resolve` rewrites its codes to ``school_id``.

Per file, the codes are looked up in the code column that holds all of them (so a РЦОИ code
that happens to equal another school's ОО-1 code is not a conflict), else in every column.
Problems, each named by file:

- a code the schools list does not have: ONE problem per file listing the unknown codes and
  the codes known for the schools with the nearest names (the file's school name when it has
  one, else the nearest codes);
- a code that two schools share (in one code column of ``schools``, or a file code that
  leads to two schools): an error, since results would be given to the wrong school.

Codes compare without surrounding spaces, case-insensitively, and digit-only codes without
leading zeros («0230101» = «230101»).
"""

from __future__ import annotations

import difflib

import pandas as pd

from shnor_lib.errors import Problem

# schools columns holding a code of another system, and the Russian label used in messages
CODE_COLUMNS = {
    "school_id": "Код ОО",
    "login": "Логин ОО",
    "rcoi_code": "Код ОО РЦОИ",
    "oo1_code": "Код ОО (ОО-1)",
}
MAX_LISTED = 10


def code_key(value: object) -> str:
    """The comparison form of a code (see the module docstring)."""
    text = str(value).strip().casefold()
    return text.lstrip("0") or "0" if text.isdigit() else text


def code_maps(schools: pd.DataFrame) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """Per code column, code key → school_id; problems for codes two schools share."""
    maps: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    files = schools["_file"] if "_file" in schools else pd.Series("schools", index=schools.index)
    rows = schools["_row"] if "_row" in schools else pd.Series(None, index=schools.index)
    for col in CODE_COLUMNS:
        if col not in schools:
            continue
        found: dict[str, str] = {}
        for idx, code in schools[col].dropna().items():
            key, sid = code_key(code), str(schools.at[idx, "school_id"])
            if key in found and found[key] != sid and col != "school_id":
                problems.append(
                    Problem(
                        str(files[idx]),
                        f"код, который есть только у одной ОО; «{code}» указан и для ОО "
                        f"{found[key]}, и для ОО {sid}",
                        f"a code of one school only; «{code}» is given for {found[key]} and {sid}",
                        None if pd.isna(rows[idx]) else int(rows[idx]),
                        CODE_COLUMNS[col],
                        code,
                    )
                )
            found.setdefault(key, sid)
        maps[col] = found
    return maps, problems


def _own_ids(schools: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """schools with ``school_id``: its own column, else the first other system's code column
    present («Логин ОО» when the list comes from ФИС ОКО); a problem when it has none."""
    if "school_id" in schools and schools["school_id"].notna().any():
        return schools, []
    for col in CODE_COLUMNS:
        if col != "school_id" and col in schools:
            out = schools.assign(school_id=schools[col])
            return out, _duplicates("schools", out.assign(school_id=range(len(out))), out)
    files = ", ".join(sorted(map(str, schools.get("_file", pd.Series(["schools"])).unique())))
    labels = ", ".join(f"«{label}»" for label in CODE_COLUMNS.values())
    return schools, [
        Problem(
            files,
            f"столбец с кодом ОО: {labels}",
            "a school code column: " + ", ".join(CODE_COLUMNS.values()),
            1,
            "school_id",
        )
    ]


def resolve(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Rewrite every table's ``school_id`` to the schools list's ``school_id``, in place."""
    schools = tables.get("schools")
    if schools is None:
        return []
    schools, problems = _own_ids(schools)
    if problems:
        return problems
    tables["schools"] = schools
    maps, problems = code_maps(schools)
    for name, frame in tables.items():
        if name == "schools" or "school_id" not in frame:
            continue
        files = frame["_file"] if "_file" in frame else pd.Series("", index=frame.index)
        new = frame["school_id"].copy()
        for file, grp in frame.groupby(files, sort=True):
            mapped, file_problems = _resolve_file(str(file), grp, maps, schools)
            new[grp.index] = mapped
            problems.extend(file_problems)
        if not new.equals(frame["school_id"]):
            tables[name] = frame.assign(school_id=new.astype(frame["school_id"].dtype))
            problems.extend(_duplicates(name, frame, tables[name]))
    return problems


def _resolve_file(
    file: str, grp: pd.DataFrame, maps: dict[str, dict[str, str]], schools: pd.DataFrame
) -> tuple[pd.Series, list[Problem]]:
    codes = grp["school_id"]
    keys = {code_key(c) for c in codes.dropna().unique()}
    whole = [col for col, m in maps.items() if keys <= m.keys()]
    columns = whole or list(maps)
    lookup: dict[str, set[str]] = {}
    for col in columns:
        for key in keys:
            if key in maps[col]:
                lookup.setdefault(key, set()).add(maps[col][key])
    problems = []
    shared = sorted(k for k, sids in lookup.items() if len(sids) > 1)
    if shared:
        listed = "; ".join(f"«{k}» → {', '.join(sorted(lookup[k]))}" for k in shared[:MAX_LISTED])
        problems.append(
            Problem(
                file,
                "код, указывающий на одну ОО; эти коды в перечне schools есть у разных ОО "
                f"(в разных столбцах кодов): {listed}",
                f"a code of one school; these codes belong to different schools: {listed}",
                None,
                "school_id",
                ", ".join(shared[:MAX_LISTED]),
            )
        )
    unknown = sorted({str(c) for c in codes.dropna() if code_key(c) not in lookup})
    if unknown:
        problems.append(_unknown_problem(file, unknown, grp, schools, maps))
    resolved = codes.map(
        lambda c: next(iter(lookup[code_key(c)])) if code_key(c) in lookup else c,
        na_action="ignore",
    )
    return resolved, problems


def _unknown_problem(
    file: str,
    unknown: list[str],
    grp: pd.DataFrame,
    schools: pd.DataFrame,
    maps: dict[str, dict[str, str]],
) -> Problem:
    hints = []
    for code in unknown[:MAX_LISTED]:
        near = _nearby_schools(code, grp, schools, maps)
        if near:
            hints.append(f"«{code}»: рядом " + "; ".join(near))
    shown = ", ".join(unknown[:MAX_LISTED]) + (
        f" и ещё {len(unknown) - MAX_LISTED}" if len(unknown) > MAX_LISTED else ""
    )
    first = grp.loc[grp["school_id"].astype(str).isin(unknown), "_row"] if "_row" in grp else None
    row = int(first.iloc[0]) if first is not None and len(first) else None
    columns = ", ".join(f"«{CODE_COLUMNS[c]}»" for c in maps)
    return Problem(
        file,
        f"коды ОО из перечня schools (столбцы {columns}); неизвестны: {shown}"
        + (". Известные коды близких ОО — " + " | ".join(hints) if hints else "")
        + ". Добавьте код в перечень schools (свой столбец для каждой системы кодов)",
        f"school codes listed in the schools table; unknown: {shown}",
        row,
        "school_id",
        shown,
    )


def _nearby_schools(
    code: str, grp: pd.DataFrame, schools: pd.DataFrame, maps: dict[str, dict[str, str]]
) -> list[str]:
    """The known codes of the schools whose name (or code) is nearest to this one's."""
    by_id = schools.drop_duplicates("school_id").set_index("school_id")
    names = by_id["school_name"].astype(str) if "school_name" in by_id else None
    target = None
    if "_school_name" in grp and names is not None:
        given = grp.loc[grp["school_id"].astype(str) == code, "_school_name"].dropna()
        target = str(given.iloc[0]) if len(given) else None
    if target and names is not None:
        close = difflib.get_close_matches(target, names.tolist(), n=3, cutoff=0.5)
        sids = [sid for n in close for sid in names.index[names == n]][:3]
    else:
        codes = {k: sid for m in maps.values() for k, sid in m.items()}
        close = difflib.get_close_matches(code_key(code), list(codes), n=3, cutoff=0.6)
        sids = list(dict.fromkeys(codes[k] for k in close))
    return [_describe(sid, by_id) for sid in sids]


def _describe(sid: str, by_id: pd.DataFrame) -> str:
    row = by_id.loc[sid]
    parts = [str(row["school_name"])] if "school_name" in by_id else []
    for col, label in CODE_COLUMNS.items():
        value = sid if col == "school_id" else row.get(col)
        if value is not None and not pd.isna(value):
            parts.append(f"{label} {value}")
    return ", ".join(parts)


def _duplicates(name: str, before: pd.DataFrame, after: pd.DataFrame) -> list[Problem]:
    """Rows that became duplicates of the table's key once codes of several systems became
    one school_id (duplicates already there were reported by ingest)."""
    from shnor_lib.io import schema

    key = [k for k in schema.TABLES[name].key if k in after]
    if not key:
        return []
    was = before.duplicated(key, keep=False)
    now = after.duplicated(key, keep=False)
    fresh = after[now].assign(_new=~was[now]).groupby(key, dropna=False)["_new"].transform("any")
    sel = after.loc[fresh[fresh].index]
    problems = []
    for _, grp in sel.groupby(key, dropna=False, sort=False):
        first = grp.iloc[0]
        keyval = ", ".join(f"{k}={first[k]}" for k in key)
        for _, r in grp.iloc[1:].head(MAX_LISTED).iterrows():
            problems.append(
                Problem(
                    str(r.get("_file", "")),
                    f"уникальная строка; повторяет строку {first.get('_row')} файла "
                    f"{first.get('_file')} ({keyval}): одна ОО под кодами двух систем",
                    f"a unique row; repeats row {first.get('_row')} of {first.get('_file')} "
                    f"({keyval}): one school under two systems' codes",
                    None if pd.isna(r.get("_row")) else int(r["_row"]),
                    " + ".join(key),
                    keyval,
                )
            )
    return problems
