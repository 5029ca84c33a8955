"""`shnor` console script: synth, validate, compute, report, reports, region, site, forms."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from . import __version__
from .errors import (
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
from .io import atomic

DEFAULT_PARAMS = "params/demo.yml"


def _params(args: argparse.Namespace):
    from .config import load_params

    overrides = {"year": args.year} if getattr(args, "year", None) else None
    return load_params(args.params, overrides=overrides)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_synth(args: argparse.Namespace) -> None:
    from . import synth

    t0 = time.perf_counter()
    if args.region:
        root = Path(args.out or "data/raw")
        ids = synth.generate_region(
            root,
            seed=args.seed,
            n_municipalities=args.municipalities,
            n_schools=args.schools,
            scale=args.scale,
            region=args.region,
        )
        _say(
            f"Синтетический регион записан в {root} за {time.perf_counter() - t0:.1f} с "
            f"(муниципалитетов: {len(ids)})"
        )
        return
    out = Path(args.out or "data/raw/demo")
    truth = synth.generate(out, seed=args.seed)
    n = truth.get("n_schools", "?")
    _say(f"Демонстрационные данные: {out} ({n} ОО) за {time.perf_counter() - t0:.1f} с")


def cmd_validate(args: argparse.Namespace) -> None:
    from . import ingest

    params = _params(args)
    result = ingest.run(params)
    n_rows = sum(len(t) for t in result.tables.values())
    _say(
        f"Проверка пройдена: {len(result.tables)} таблиц, {n_rows} строк → {params.processed_dir()}"
    )


def cmd_compute(args: argparse.Namespace) -> None:
    from . import pipeline

    params = _params(args)
    with atomic.staged_dir(params.processed_dir(), carry_over=False):  # swapped in at the end
        out = pipeline.compute(params, progress=_say)
    _say(f"Таблицы записаны: {out}")


def cmd_report(args: argparse.Namespace) -> None:
    from . import report

    params = _params(args)
    html = report.render_report(params, tables_ready=False)  # tables + report: one swap
    _say(f"Отчёт готов: {html}")


def cmd_reports(args: argparse.Namespace) -> None:
    from . import report
    from .config import load_params

    files = sorted(Path(args.dir).glob("*.yml"))
    if not files:
        raise ShnorError(
            f"В папке {args.dir} нет файлов параметров *.yml",
            f"No params files *.yml in {args.dir}",
        )
    params_list = [load_params(f) for f in files]
    for html in report.render_many(params_list, tables_ready=False):  # each: one swap
        _say(f"Отчёт готов: {html}")


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
    from . import region
    from .config import load_params

    root = Path.cwd()
    year = args.year or load_params(None, root=root).year
    t0 = time.perf_counter()
    params_list = region.region_params(Path(args.raw), args.region, year, root=root)
    _say(
        f"Регион {args.region}, {year} г.: муниципалитетов: {len(params_list)} (из {args.raw}); "
        f"процессов: {args.workers or region.default_workers()}"
    )
    summaries: dict = {}
    region.compute_region(params_list, progress=_say, workers=args.workers, summaries=summaries)
    _say(f"Все муниципалитеты рассчитаны за {time.perf_counter() - t0:.1f} с")
    summary = region.write_summary(params_list, args.region, summaries)
    _say(f"Сводка по региону: {summary}")
    if args.reports:  # before the regional page, which links the reports it finds
        from . import report

        for html in report.render_many(params_list):
            _say(f"Отчёт готов: {html}")
    if not args.no_report:
        html = region.render_region(root, args.region, year)
        _say(f"Страница региона готова: {html}")


def cmd_site(args: argparse.Namespace) -> None:
    from . import report

    index = report.build_site(Path(args.outputs))
    _say(f"Сайт собран: {index}")


def cmd_forms(args: argparse.Namespace) -> None:
    from . import support

    out = Path(args.out)
    with atomic.staged_dir(out) as tmp:  # the folder is replaced as a whole
        paths = support.write_blank_forms(tmp)
    for p in paths:
        _say(f"Бланк формы: {out / p.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shnor",
        description="Аналитический отчёт о ШНОР/ШССУ для муниципального органа управления "
        "образованием (analysis workbook for municipal education authorities).",
    )
    parser.add_argument("--version", action="version", version=f"shnor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_params(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--params",
            default=DEFAULT_PARAMS,
            help=f"файл параметров муниципалитета (по умолчанию {DEFAULT_PARAMS})",
        )
        p.add_argument(
            "--year", type=int, default=None, help="отчётный год (переопределяет params)"
        )
        return p

    p = sub.add_parser("synth", help="сгенерировать демонстрационные данные")
    p.add_argument("--out", default=None, help="папка (по умолчанию data/raw/demo)")
    p.add_argument("--seed", type=int, default=20240901)
    p.add_argument("--region", default=None, help="режим масштаба: идентификатор региона")
    p.add_argument("--municipalities", type=int, default=44)
    p.add_argument("--schools", type=int, default=1500)
    p.add_argument("--scale", type=float, default=1.0)
    p.set_defaults(func=cmd_synth)

    with_params(sub.add_parser("validate", help="проверить исходные данные")).set_defaults(
        func=cmd_validate
    )
    with_params(sub.add_parser("compute", help="рассчитать таблицы без отчёта")).set_defaults(
        func=cmd_compute
    )
    with_params(sub.add_parser("report", help="рассчитать и построить HTML-отчёт")).set_defaults(
        func=cmd_report
    )
    p = sub.add_parser("reports", help="отчёты по всем файлам параметров в одном процессе")
    p.add_argument("--dir", default="params")
    p.set_defaults(func=cmd_reports)
    p = sub.add_parser(
        "region",
        help="все муниципалитеты региона за один запуск и сводка по региону",
        description="Рассчитывает каждый муниципалитет из папки --raw (папки <муниципалитет>/ "
        "с выгрузками), пишет outputs/<region>/<год>/region_summary.csv и страницу "
        "outputs/<region>/<год>/region.html.",
    )
    p.add_argument("--raw", required=True, help="папка региона: <raw>/<муниципалитет>/*.csv")
    p.add_argument("--region", required=True, help="идентификатор региона (папка в outputs/)")
    p.add_argument("--year", type=int, default=None, help="отчётный год (по умолчанию 2024)")
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="число рабочих процессов (по умолчанию число ядер, но не больше 2)",
    )
    p.add_argument("--no-report", action="store_true", help="без страницы region.html")
    p.add_argument(
        "--reports",
        action="store_true",
        help="и отчёты report.html всех муниципалитетов (в одном процессе, как make reports)",
    )
    p.set_defaults(func=cmd_region)
    p = sub.add_parser("site", help="собрать сайт outputs/site")
    p.add_argument("--outputs", default="outputs")
    p.set_defaults(func=cmd_site)
    p = sub.add_parser("forms", help="бланки Excel-форм мониторинга")
    p.add_argument("--out", default="outputs/forms")
    p.set_defaults(func=cmd_forms)
    return parser


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
    args = build_parser().parse_args(argv)  # a usage error exits 2 (argparse)
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
            from .report import stop_kernels

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
