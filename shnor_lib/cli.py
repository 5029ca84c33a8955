"""`shnor` console script: init, synth, validate, compute, report, reports, region, site, forms.

Everything the user reads is Russian: argparse's own words (usage, section titles, -h,
its error messages) are replaced by :class:`RuParser`; numbers go through
:mod:`shnor_lib.console`. Every "not found" names the fix (``shnor init``, the data
contract in docs/) and a near miss gets «возможно, вы имели в виду …» (difflib).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import re
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from shnor_lib import __version__
from shnor_lib.console import count, num, since
from shnor_lib.errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    EXIT_USER,
    EnvironmentProblem,
    ShnorError,
    environment_problem,
)
from shnor_lib.io import atomic

DEFAULT_PARAMS = "params/demo.yml"
DATA_CONTRACT_DOC = "docs/data_contract.md"
EXIT_CODES_DOC = "docs/exit_codes.md"


# Russian argparse -------------------------------------------------------------------------


class RuFormatter(argparse.HelpFormatter):
    """argparse's help layout with a Russian «использование:» instead of «usage:»."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, "использование: " if prefix is None else prefix)


# argparse's English error messages → Russian (the English stays in brackets, as in our
# other bilingual errors). Matched in order; the last pattern catches the rest.
_ARGPARSE_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"the following arguments are required: (.+)"),
        r"не указаны обязательные аргументы: \1",
    ),
    (re.compile(r"unrecognized arguments: (.+)"), r"неизвестные аргументы: \1"),
    (
        re.compile(r"argument (.+?): invalid choice: (.+?) \(choose from (.+)\)"),
        r"аргумент \1: недопустимое значение \2 (допустимы: \3)",
    ),
    (re.compile(r"argument (.+?): expected one argument"), r"аргумент \1: не указано значение"),
    (
        re.compile(r"argument (.+?): invalid int value: (.+)"),
        r"аргумент \1: ожидалось целое число, получено \2",
    ),
    (
        re.compile(r"argument (.+?): invalid float value: (.+)"),
        r"аргумент \1: ожидалось число, получено \2",
    ),
    (re.compile(r"argument (.+?): (.+)"), r"аргумент \1: \2"),
    (re.compile(r"(.+)"), r"неверные аргументы командной строки: \1"),
]


def _translate_argparse(message: str) -> str:
    for pattern, ru in _ARGPARSE_ERRORS:
        m = pattern.fullmatch(message)
        if m:
            return m.expand(ru)
    return message


def did_you_mean(word: str, known, *, cutoff: float = 0.6) -> str | None:
    """The nearest of ``known`` to ``word`` (case-insensitive), or None (difflib)."""
    by_lower = {k.lower(): k for k in known}
    near = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[near[0]] if near else None


def _maybe(word: str, known) -> tuple[str, str]:
    """(« — возможно, вы имели в виду …», "; did you mean …?") or two empty strings."""
    near = did_you_mean(word, known)
    if near is None or near == word:
        return "", ""
    return f"; возможно, вы имели в виду «{near}»", f"; did you mean '{near}'?"


class RuParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Russian: section titles, -h/--help, usage, errors."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", RuFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "позиционные аргументы"
        self._optionals.title = "параметры"
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help="показать эту справку"
        )

    def _all_options(self) -> set[str]:
        """Option strings of this parser and of all its sub-commands (for a did-you-mean)."""
        found = set(self._option_string_actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found |= sub._all_options()
        return found

    def error(self, message: str):
        ru = _translate_argparse(message)
        en = message
        m = re.fullmatch(r"unrecognized arguments: (.+)", message)
        if m:
            for word in m.group(1).split():
                if word.startswith("-"):
                    hint_ru, hint_en = _maybe(word.split("=")[0], self._all_options())
                    ru, en = ru + hint_ru, en + hint_en
                    break
        # a message of ours (ArgumentTypeError) is bilingual already
        english = "" if re.search("[а-яё]", en, re.I) else f"\n    (error: {en})"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: ошибка: {ru}{english}\nСправка: {self.prog} --help\n")


# "Not found" messages that name the fix --------------------------------------------------


def _init_commands(name: str) -> tuple[str, str]:
    """How to create municipality ``name``: (Russian text, English text)."""
    return (
        f"создайте его: make init MUNICIPALITY={name} (или .venv/bin/shnor init {name}) — "
        f"появятся params/{name}.yml и папка data/raw/{name}/ для выгрузок",
        f"create it: make init MUNICIPALITY={name} (or .venv/bin/shnor init {name})",
    )


def missing_params_error(path: Path) -> ShnorError:
    """A params file that does not exist: the near miss among params/*.yml, else shnor init."""
    from shnor_lib.config import SAFE_ID

    name = path.stem
    known = sorted(p.stem for p in path.parent.glob("*.yml")) if path.parent.is_dir() else []
    near = did_you_mean(name, known)
    ru = f"Файл параметров не найден: {path}"
    en = f"Params file not found: {path}"
    if near is not None:
        ru += f"\n  Возможно, вы имели в виду «{near}» ({path.parent / (near + '.yml')})."
        en += f"; did you mean '{near}'?"
    if SAFE_ID.match(name):
        init_ru, init_en = _init_commands(name)
        ru += f"\n  Если это новый муниципалитет, {init_ru}."
        en += f"; if it is a new municipality, {init_en}"
    elif near is None:
        ru += (
            "\n  Идентификатор муниципалитета — строчные латинские буквы, цифры, «_» и «-»; "
            "новый муниципалитет: make init MUNICIPALITY=<идентификатор>."
        )
        en += "; a new municipality: make init MUNICIPALITY=<id>"
    return ShnorError(ru, en)


def missing_raw_error(raw_dir: Path, municipality: str) -> ShnorError:
    """A municipality without its raw-data folder: the data contract, shnor init, a near miss."""
    ru = f"Папка с исходными данными не найдена: {raw_dir}"
    en = f"Raw data folder not found: {raw_dir}"
    siblings = (
        sorted(p.name for p in raw_dir.parent.iterdir() if p.is_dir())
        if raw_dir.parent.is_dir()
        else []
    )
    hint_ru, hint_en = _maybe(raw_dir.name, siblings)
    if hint_ru:
        ru += f"\n  В {raw_dir.parent} есть похожая папка{hint_ru}."
        en += hint_en
    if municipality == "demo":
        ru += "\n  Демонстрационные данные создаёт make synth (или .venv/bin/shnor synth)."
        en += "; generate the demo data with make synth"
    else:
        ru += (
            f"\n  Создайте папку и положите в неё выгрузки: make init MUNICIPALITY={municipality} "
            f"создаёт data/raw/{municipality}/ со списком нужных файлов (README.md)."
        )
        en += f"; make init MUNICIPALITY={municipality} creates it with a list of the files"
    ru += f"\n  Какие файлы и столбцы нужны — {DATA_CONTRACT_DOC}."
    en += f"; the files and columns are described in {DATA_CONTRACT_DOC}"
    return ShnorError(ru, en)


def _params(args: argparse.Namespace, *, need_raw: bool = True):
    """Load ``--params``; a missing file or raw folder is an error that names the fix."""
    from shnor_lib.config import load_params

    path = Path(args.params)
    if not path.is_file():
        raise missing_params_error(path)
    overrides = {"year": args.year} if getattr(args, "year", None) else None
    params = load_params(path, overrides=overrides)
    if need_raw and not params.raw_dir().is_dir():
        raise missing_raw_error(params.raw_dir(), params.municipality)
    return params


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# init -------------------------------------------------------------------------------------

PARAMS_TEMPLATE = """\
# Параметры муниципалитета {name} (создано командой shnor init).
# Любой ключ из shnor_lib/data/defaults.yml можно переопределить здесь — указывайте только
# то, что меняете. Неизвестный ключ или неверный тип — ошибка с именем ключа.

# Идентификатор: имя этого файла и папок data/raw/{name}/, outputs/{name}/.
municipality: {name}

# Название муниципалитета в заголовке отчёта (исправьте).
title: {title}

# Отчётный год: календарный год последних процедур ВПР и ГИА в выгрузках.
year: {year}
"""

RAW_README_TEMPLATE = """\
# Выгрузки муниципалитета {name}

Положите сюда файлы `.csv` (UTF-8 или Windows-1251, разделитель `,` или `;`) или `.xlsx`.
Имя файла — имя таблицы; таблицу можно разбить на несколько файлов по годам:
`vpr_2023.csv`, `vpr_2024.xlsx`. Заголовки — как в выгрузках («Код ОО», «Класс»…) или
английские имена контракта. Столбцы с персональными данными (ФИО, дата рождения…) удаляются
при чтении и никуда не записываются.

Обязательные файлы:

{required}

Необязательные (разделы отчёта без них не строятся):

{optional}

Столбцы каждой таблицы — {contract}. Проверка: `make validate MUNICIPALITY={name}`
перечислит все недостающие файлы и ошибки сразу; отчёт: `make report MUNICIPALITY={name}`.
"""


def _table_lines(required: bool) -> str:
    from shnor_lib.io import schema

    lines = [
        f"- `{name}` — {table.title_ru}"
        for name, table in schema.TABLES.items()
        if table.required == required
    ]
    return "\n".join(lines) or "- нет"


def init_municipality(name: str, *, root: Path, title: str | None = None, year: int | None = None):
    """Create ``params/<name>.yml`` and ``data/raw/<name>/README.md``; never overwrite.

    Returns the paths written. The id must be a safe name (:data:`config.SAFE_ID`): it
    becomes file and folder names.
    """
    from shnor_lib.config import SAFE_ID, load_params

    if not SAFE_ID.match(name):
        fixed = re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_-")
        suggestion = f"; например: {fixed}" if fixed and SAFE_ID.match(fixed) else ""
        raise ShnorError(
            f"Недопустимый идентификатор муниципалитета «{name}»: только строчные латинские "
            f"буквы, цифры, «_» и «-», первый символ — буква или цифра{suggestion}",
            f"Invalid municipality id '{name}': lower-case Latin letters, digits, '_' and '-' only",
        )
    params_file = root / "params" / f"{name}.yml"
    raw_dir = root / "data" / "raw" / name
    if params_file.exists():
        raise ShnorError(
            f"Файл параметров уже существует: {params_file} — не перезаписываю. "
            f"Проверьте данные: make validate MUNICIPALITY={name}",
            f"Params file already exists: {params_file} (not overwritten)",
        )
    year = year or load_params(None).year
    text = PARAMS_TEMPLATE.format(
        name=name,
        title=json.dumps(title or f"Муниципалитет {name}", ensure_ascii=False),
        year=year,
    )
    written = []
    params_file.parent.mkdir(parents=True, exist_ok=True)
    params_file.write_text(text, "utf-8")
    written.append(params_file)
    raw_dir.mkdir(parents=True, exist_ok=True)
    readme = raw_dir / "README.md"
    if not readme.exists():  # an existing folder keeps its files; only a missing README is added
        readme.write_text(
            RAW_README_TEMPLATE.format(
                name=name,
                required=_table_lines(True),
                optional=_table_lines(False),
                contract=DATA_CONTRACT_DOC,
            ),
            "utf-8",
        )
        written.append(readme)
    return written


def cmd_init(args: argparse.Namespace) -> None:
    root = Path.cwd()
    written = init_municipality(args.municipality, root=root, title=args.title, year=args.year)
    for path in written:
        _say(f"Создан файл: {path.relative_to(root)}")
    m = args.municipality
    _say(
        f"Дальше: исправьте title и year в params/{m}.yml; положите выгрузки в data/raw/{m}/ "
        f"(список — data/raw/{m}/README.md и {DATA_CONTRACT_DOC}); затем\n"
        f"  make validate MUNICIPALITY={m}   — все недостающие файлы и ошибки сразу\n"
        f"  make report MUNICIPALITY={m}     — отчёт outputs/{m}/<год>/report.html"
    )


def cmd_synth(args: argparse.Namespace) -> None:
    from shnor_lib.demo import synth

    t0 = time.perf_counter()
    if args.region:
        root = Path(args.out or "data/raw")
        _say(
            f"Генерация синтетического региона {args.region} "
            f"(муниципалитетов: {num(args.municipalities)}, ОО: {num(args.schools)}) → {root}…"
        )
        ids = synth.generate_region(
            root,
            seed=args.seed,
            n_municipalities=args.municipalities,
            n_schools=args.schools,
            scale=args.scale,
            region=args.region,
        )
        _say(
            f"Синтетический регион записан в {root} за {since(t0)} (муниципалитетов: {num(len(ids))})"
        )
        return
    out = Path(args.out or "data/raw/demo")
    _say(f"Генерация демонстрационных данных → {out}…")
    truth = synth.generate(out, seed=args.seed)
    n = truth.get("n_schools")
    shown = num(n) if isinstance(n, int) else "?"
    _say(f"Демонстрационные данные: {out} ({shown} ОО) за {since(t0)}")


def cmd_validate(args: argparse.Namespace) -> None:
    from shnor_lib.io import ingest

    params = _params(args)
    result = ingest.run(params)
    n_rows = sum(len(t) for t in result.tables.values())
    _say(
        f"Проверка пройдена: {count(len(result.tables), 'таблица', 'таблицы', 'таблиц')}, "
        f"{count(n_rows, 'строка', 'строки', 'строк')} → {params.processed_dir()}"
    )


def cmd_inspect(args: argparse.Namespace) -> None:
    from shnor_lib.io import ingest

    params = _params(args)
    print("\n".join(ingest.inspect(params)))


def cmd_compute(args: argparse.Namespace) -> None:
    from shnor_lib import pipeline

    params = _params(args)
    with atomic.staged_dir(params.processed_dir(), carry_over=False):  # swapped in at the end
        out = pipeline.compute(params, progress=_say)
    _say(f"Таблицы записаны: {out}")


def cmd_report(args: argparse.Namespace) -> None:
    from shnor_lib.report import render as report

    params = _params(args)
    html = report.render_report(params, tables_ready=False)  # tables + report: one swap
    _say(f"Отчёт готов: {html}")


def cmd_reports(args: argparse.Namespace) -> None:
    from shnor_lib.config import load_params

    files = sorted(Path(args.dir).glob("*.yml"))
    if not files:
        raise ShnorError(
            f"В папке {args.dir} нет файлов параметров *.yml; новый муниципалитет: "
            "make init MUNICIPALITY=<идентификатор>",
            f"No params files *.yml in {args.dir}; create one with make init MUNICIPALITY=<id>",
        )
    params_list = [load_params(f) for f in files]
    for params in params_list:
        if not params.raw_dir().is_dir():
            raise missing_raw_error(params.raw_dir(), params.municipality)
    _render_reports(params_list, tables_ready=False)


def _render_reports(params_list: list, *, tables_ready: bool = True) -> None:
    """Every municipality's report in one process, each published with one swap (its tables
    computed first unless ``tables_ready``); render_many prints a line per report."""
    from shnor_lib.report import render as report

    t0 = time.perf_counter()
    _say(f"Отчёты муниципалитетов: {num(len(params_list))}, по очереди в одном процессе…")
    done = report.render_many(params_list, tables_ready=tables_ready)
    _say(f"Отчётов построено: {num(len(done))} за {since(t0)}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"ожидалось целое число ≥ 1 (expected an integer ≥ 1), получено {text!r}"
        )
    return value


def cmd_region(args: argparse.Namespace) -> None:
    from shnor_lib import region
    from shnor_lib.config import load_params

    root = Path.cwd()
    raw = Path(args.raw)
    if not raw.is_dir():
        hint_ru, hint_en = _maybe(
            raw.name,
            [p.name for p in raw.parent.iterdir() if p.is_dir()] if raw.parent.is_dir() else [],
        )
        raise ShnorError(
            f"Папка региона не найдена: {raw}{hint_ru}\n  В ней должны быть папки муниципалитетов "
            f"<муниципалитет>/ с выгрузками ({DATA_CONTRACT_DOC}); синтетический пример: "
            f".venv/bin/shnor synth --region {args.region} --out {raw}",
            f"Region folder not found: {raw}{hint_en}; it holds one folder per municipality "
            f"({DATA_CONTRACT_DOC})",
        )
    year = args.year or load_params(None, root=root).year
    t0 = time.perf_counter()
    params_list = region.region_params(raw, args.region, year, root=root, reference=args.reference)
    workers = args.workers or region.default_workers()
    _say(
        f"Регион {args.region}, {year} г.: муниципалитетов: {num(len(params_list))} (из {raw}); "
        f"процессов: {workers}. Проверка данных и расчёт таблиц — строка на каждый "
        "рассчитанный муниципалитет (время — с начала расчёта региона)…"
    )
    summaries: dict = {}
    region.compute_region(
        params_list,
        progress=_say,
        workers=args.workers,
        summaries=summaries,
    )
    _say(f"Все муниципалитеты рассчитаны за {since(t0)}")
    _say("Сводка по региону…")
    summary = region.write_summary(params_list, args.region, summaries)
    _say(f"Сводка по региону: {summary}")
    if args.reports:  # before the regional page, which links the reports it finds
        _render_reports(params_list)
    if not args.no_report:
        _say("Страница региона (блокнот region.ipynb)…")
        html = region.render_region(root, args.region, year)
        _say(f"Страница региона готова: {html} (всего с начала {since(t0)})")


def cmd_site(args: argparse.Namespace) -> None:
    from shnor_lib.report import site as report_site

    index = report_site.build_site(Path(args.outputs))
    _say(f"Сайт собран: {index}")


def cmd_forms(args: argparse.Namespace) -> None:
    from shnor_lib.io import forms_write, ingest

    kw: dict = {}
    out = Path(args.out) if args.out else Path("outputs") / "forms"
    if args.params:  # one municipality's forms: its schools in the drop-down
        params = _params(args)
        schools = ingest.read_schools(params)
        kw = {
            "schools": dict(zip(schools["school_id"], schools["school_name"], strict=True)),
            "municipality": params.title,
            "year": params.year,
        }
        out = Path(args.out) if args.out else Path("outputs") / "forms" / params.municipality
    with atomic.staged_dir(out) as tmp:  # the folder is replaced as a whole
        paths = forms_write.write_blank_forms(tmp, **kw)
    for p in paths:
        _say(f"Бланк формы: {out / p.name}")
    if kw:
        _say(f"Список ОО в формах МНЦ и МТКП: {len(kw['schools'])} ОО")


def build_parser() -> argparse.ArgumentParser:
    parser = RuParser(
        prog="shnor",
        description="Аналитический отчёт о ШНОР/ШССУ для муниципального органа управления "
        "образованием: выгрузки → проверенные таблицы → расчёты → HTML-отчёт.",
        epilog=f"Справка по команде: shnor <команда> --help. Коды завершения: 0 — готово, "
        f"1 — внутренняя ошибка, 2 — ошибка в данных или параметрах, 3 — окружение, "
        f"130 — прервано ({EXIT_CODES_DOC}).",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"shnor {__version__}",
        help="показать версию программы",
    )
    sub = parser.add_subparsers(dest="command", required=True, title="команды", metavar="<команда>")

    def with_params(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--params",
            default=DEFAULT_PARAMS,
            metavar="ФАЙЛ",
            help=f"файл параметров муниципалитета (по умолчанию {DEFAULT_PARAMS})",
        )
        p.add_argument(
            "--year",
            type=int,
            default=None,
            metavar="ГОД",
            help="отчётный год (переопределяет year в файле параметров)",
        )
        return p

    def command(name: str, help_ru: str, description: str | None = None):
        return sub.add_parser(name, help=help_ru, description=description or help_ru)

    p = command(
        "init",
        "создать новый муниципалитет: params/<m>.yml и папку data/raw/<m>/",
        "Создаёт params/<m>.yml (идентификатор, название, отчётный год — с комментариями) и "
        "папку data/raw/<m>/ с README.md: какие файлы выгрузок туда положить. Существующий "
        "файл параметров не перезаписывается.",
    )
    p.add_argument(
        "municipality",
        metavar="<m>",
        help="идентификатор: строчные латинские буквы, цифры, «_», «-» (например, temryuk)",
    )
    p.add_argument("--title", default=None, metavar="НАЗВАНИЕ", help="название для отчёта")
    p.add_argument("--year", type=int, default=None, metavar="ГОД", help="отчётный год")
    p.set_defaults(func=cmd_init)

    p = command("synth", "сгенерировать демонстрационные (синтетические) данные")
    p.add_argument(
        "--out", default=None, metavar="ПАПКА", help="папка (по умолчанию data/raw/demo)"
    )
    p.add_argument("--seed", type=int, default=20240904, metavar="ЧИСЛО", help="зерно генератора")
    p.add_argument(
        "--region", default=None, metavar="ID", help="сгенерировать регион с этим идентификатором"
    )
    p.add_argument(
        "--municipalities", type=int, default=44, metavar="N", help="муниципалитетов в регионе"
    )
    p.add_argument("--schools", type=int, default=1500, metavar="N", help="ОО в регионе")
    p.add_argument(
        "--scale", type=float, default=1.0, metavar="K", help="множитель объёма данных региона"
    )
    p.set_defaults(func=cmd_synth)

    with_params(
        command(
            "validate",
            "проверить исходные данные → data/processed/<m>/<год>/",
            "Проверяет все файлы data/raw/<m>/ и перечисляет все проблемы сразу: файл, "
            f"строка, столбец, значение, что ожидалось. Файлы и столбцы — {DATA_CONTRACT_DOC}.",
        )
    ).set_defaults(func=cmd_validate)
    with_params(
        command(
            "inspect",
            "показать, какие файлы data/raw/<m>/ найдены и как распознаны",
            "Перечисляет каждый файл: как распознан (формат, таблица, год, предмет, класс, "
            "строки) и что отложено и почему.",
        )
    ).set_defaults(func=cmd_inspect)
    with_params(
        command("compute", "рассчитать таблицы без отчёта → outputs/<m>/<год>/tables/")
    ).set_defaults(func=cmd_compute)
    with_params(
        command("report", "рассчитать и построить HTML-отчёт → outputs/<m>/<год>/report.html")
    ).set_defaults(func=cmd_report)
    p = command("reports", "отчёты по всем файлам параметров папки в одном процессе")
    p.add_argument("--dir", default="params", metavar="ПАПКА", help="папка с *.yml (params)")
    p.set_defaults(func=cmd_reports)
    p = command(
        "region",
        "все муниципалитеты региона за один запуск и сводка по региону",
        "Рассчитывает каждый муниципалитет из папки --raw (папки <муниципалитет>/ "
        "с выгрузками), пишет outputs/regions/<region>/<год>/region_summary.csv и страницу "
        "outputs/regions/<region>/<год>/region.html.",
    )
    p.add_argument(
        "--raw", required=True, metavar="ПАПКА", help="папка региона: <raw>/<муниципалитет>/*.csv"
    )
    p.add_argument(
        "--region",
        required=True,
        metavar="ID",
        help="идентификатор региона (папка в outputs/regions/)",
    )
    p.add_argument(
        "--year", type=int, default=None, metavar="ГОД", help="отчётный год (по умолчанию 2024)"
    )
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="число рабочих процессов (по умолчанию число ядер, но не больше 2)",
    )
    p.add_argument(
        "--reference",
        choices=("municipality", "region"),
        default=None,
        metavar="ОХВАТ",
        help="ИОР и квартили ИСБ: municipality — по муниципалитету, region — по всему региону "
        "(ШНОР и ШССУ по краю); по умолчанию — results_index.reference из параметров",
    )
    p.add_argument("--no-report", action="store_true", help="без страницы region.html")
    p.add_argument(
        "--reports",
        action="store_true",
        help="и отчёты report.html всех муниципалитетов (в одном процессе, как make reports)",
    )
    p.set_defaults(func=cmd_region)
    p = command("site", "собрать сайт outputs/site: оглавление всех отчётов")
    p.add_argument("--outputs", default="outputs", metavar="ПАПКА", help="папка с отчётами")
    p.set_defaults(func=cmd_site)
    p = command(
        "forms",
        "бланки Excel-форм мониторинга → outputs/forms/ (с --params — с перечнем ОО "
        "муниципалитета → outputs/forms/<m>/)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="ПАПКА",
        help="куда записать (по умолчанию outputs/forms или outputs/forms/<m>)",
    )
    p.add_argument(
        "--params",
        default=None,
        metavar="ФАЙЛ",
        help="файл параметров муниципалитета: ОО для раскрывающегося списка берутся из его "
        "таблицы schools, название и отчётный год — из параметров",
    )
    p.add_argument(
        "--year", type=int, default=None, metavar="ГОД", help="отчётный год (переопределяет year)"
    )
    p.set_defaults(func=cmd_forms)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def _unknown_command(argv: list[str], parser: argparse.ArgumentParser) -> str | None:
    """The first word when it is not a sub-command (with a did-you-mean), else None."""
    if not argv or argv[0].startswith("-"):
        return None
    known = _subcommands(parser)
    if argv[0] in known:
        return None
    hint_ru, hint_en = _maybe(argv[0], known)
    return (
        f"shnor: ошибка: неизвестная команда «{argv[0]}»{hint_ru}; команды: {', '.join(known)}\n"
        f"    (error: unknown command '{argv[0]}'{hint_en})\nСправка: shnor --help"
    )


class Interrupted(KeyboardInterrupt):
    """SIGTERM (or SIGINT) received: unwinds the run like Ctrl-C, so every staging folder is
    discarded and the previous outputs stay as they were."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C, SIGINT", signal.SIGTERM: "SIGTERM"}


@contextlib.contextmanager
def _signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted`; a second one during the cleanup ends
    the process at once (the next run removes what is left). SIGXFSZ is ignored so that a
    file-size limit (ulimit -f) surfaces as an EFBIG error naming the file instead of
    killing the process. Restored on exit (tests call main() in-process)."""
    seen: list[int] = []

    def handler(signum: int, _frame) -> None:
        if seen:
            os._exit(128 + signum)
        seen.append(signum)
        raise Interrupted(signum)

    wanted = {signal.SIGINT: handler, signal.SIGTERM: handler}
    if hasattr(signal, "SIGXFSZ"):
        wanted[signal.SIGXFSZ] = signal.SIG_IGN
    saved = {}
    for sig, action in wanted.items():
        with contextlib.suppress(ValueError):  # not the main thread: leave them alone
            saved[sig] = signal.signal(sig, action)
    try:
        yield
    finally:
        for sig, action in saved.items():
            signal.signal(sig, action)


def _internal_error(exc: BaseException) -> int:
    """A bug: the traceback goes to a log, not to the user's screen."""
    text = traceback.format_exc()
    log = Path("outputs") / "shnor-error.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(text, "utf-8")
    except OSError:  # outputs/ is not writable: the system's temporary folder
        log = Path(tempfile.gettempdir()) / "shnor-error.log"
        with contextlib.suppress(OSError):
            log.write_text(text, "utf-8")
    _say(
        f"Внутренняя ошибка программы (internal error): {type(exc).__name__}: {exc}\n"
        f"Подробности записаны в {log}; сообщите разработчикам."
    )
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit codes are listed in docs/exit_codes.md."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    unknown = _unknown_command(argv, parser)
    if unknown:
        _say(unknown)
        return EXIT_USER
    args = parser.parse_args(argv)  # a usage error exits 2 (argparse)
    with _signals():
        try:
            args.func(args)
        except EnvironmentProblem as exc:
            _say("Ошибка окружения (environment error):\n" + exc.format())
            return EXIT_ENVIRONMENT
        except ShnorError as exc:
            _say("Ошибка (error):\n" + exc.format())
            return EXIT_USER
        except KeyboardInterrupt as exc:
            signum = getattr(exc, "signum", signal.SIGINT)
            from shnor_lib.report.notebook import stop_kernels

            stop_kernels()  # nothing the run started outlives it
            _say(
                f"Прервано ({_SIGNAL_NAMES.get(signum, signum)}): предыдущие результаты "
                "не изменены (interrupted; previous outputs unchanged)."
            )
            return EXIT_SIGTERM if signum == signal.SIGTERM else EXIT_SIGINT
        except OSError as exc:
            problem = environment_problem(exc)
            if isinstance(problem, EnvironmentProblem):
                _say("Ошибка окружения (environment error):\n" + problem.format())
                return EXIT_ENVIRONMENT
            return _internal_error(exc)
        except Exception as exc:
            return _internal_error(exc)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
