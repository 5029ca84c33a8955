"""What a new user reads on the console: every "not found" names the fix, near misses get
«возможно, вы имели в виду …», help is Russian, numbers are in the Russian format, progress
lines are printed for finished units only, and a successful report run is clean."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from shnor_lib import console
from shnor_lib.cli import build_parser, init_municipality, main
from shnor_lib.config import SAFE_ID
from shnor_lib.errors import ShnorError

ROOT = Path(__file__).resolve().parent.parent
SHNOR = Path(sys.executable).parent / "shnor"


def _run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project root (cwd) with params/demo.yml, as in a fresh clone."""
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "demo.yml").write_text(
        (ROOT / "params" / "demo.yml").read_text("utf-8"), "utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


# "not found" names the fix ------------------------------------------------------------------


def test_missing_params_file_offers_shnor_init(project, capsys):
    code, err = _run(["report", "--params", "params/temryuk.yml"], capsys)
    assert code == 2
    assert "Файл параметров не найден: params/temryuk.yml" in err
    assert "make init MUNICIPALITY=temryuk" in err and "shnor init temryuk" in err
    assert "Traceback" not in err


def test_params_near_miss_suggests_the_existing_municipality(project, capsys):
    code, err = _run(["validate", "--params", "params/Demo.yml"], capsys)
    assert code == 2
    assert "возможно, вы имели в виду «demo»" in err.lower()
    assert "did you mean 'demo'" in err


def test_missing_raw_folder_points_to_data_contract_and_init(project, capsys):
    init_municipality("temryuk", root=project)
    (project / "data" / "raw" / "temryuk" / "README.md").unlink()
    (project / "data" / "raw" / "temryuk").rmdir()
    code, err = _run(["validate", "--params", "params/temryuk.yml"], capsys)
    assert code == 2
    assert "Папка с исходными данными не найдена" in err
    assert "docs/data_contract.md" in err and "make init MUNICIPALITY=temryuk" in err


def test_missing_demo_data_says_make_synth(project, capsys):
    code, err = _run(["validate"], capsys)
    assert code == 2 and "make synth" in err and "docs/data_contract.md" in err


def test_unknown_params_key_suggests_the_nearest_dotted_key(project, capsys):
    (project / "params" / "demo.yml").write_text(
        "municipality: demo\nwindw: 3\nresults_index:\n  scalng: minmax\n", "utf-8"
    )
    code, err = _run(["validate"], capsys)
    assert code == 2
    assert "возможно, вы имели в виду «window»" in err
    assert "возможно, вы имели в виду «results_index.scaling»" in err


def test_unknown_subcommand_and_option_get_a_suggestion(project, capsys):
    code, err = _run(["reprot"], capsys)
    assert code == 2
    assert "неизвестная команда «reprot»" in err and "вы имели в виду «report»" in err
    with pytest.raises(SystemExit) as info:
        main(["report", "--parms", "params/demo.yml"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "неизвестные аргументы" in err and "вы имели в виду «--params»" in err


def test_missing_region_folder_names_a_near_folder_and_the_contract(project, capsys):
    (project / "data" / "raw" / "krai").mkdir(parents=True)
    code, err = _run(["region", "--raw", "data/raw/kray", "--region", "kray"], capsys)
    assert code == 2
    assert "вы имели в виду «krai»" in err and "docs/data_contract.md" in err


# shnor init ----------------------------------------------------------------------------------


def test_init_creates_params_and_raw_folder_then_validate_lists_missing_files(project, capsys):
    code, err = _run(["init", "temryuk", "--title", "Темрюкский район", "--year", "2023"], capsys)
    assert code == 0, err
    params = (project / "params" / "temryuk.yml").read_text("utf-8")
    assert "municipality: temryuk" in params and "year: 2023" in params
    assert 'title: "Темрюкский район"' in params and params.count("#") >= 4  # commented
    readme = (project / "data" / "raw" / "temryuk" / "README.md").read_text("utf-8")
    for table in ("schools", "context", "vpr", "gia"):
        assert f"`{table}`" in readme
    assert "docs/data_contract.md" in readme
    assert "make validate MUNICIPALITY=temryuk" in err
    # validate then lists every missing required file in one message, not one at a time
    code, err = _run(["validate", "--params", "params/temryuk.yml"], capsys)
    assert code == 2
    assert "Найдено проблем во входных данных: 4" in err
    for table in ("schools", "context", "vpr", "gia"):
        assert f"обязательный файл «{table}»" in err


def test_init_refuses_to_overwrite_and_rejects_unsafe_ids(project, capsys):
    assert main(["init", "temryuk"]) == 0
    path = project / "params" / "temryuk.yml"
    path.write_text("municipality: temryuk\ntitle: мой\n", "utf-8")
    code, err = _run(["init", "temryuk"], capsys)
    assert code == 2 and "уже существует" in err
    assert path.read_text("utf-8") == "municipality: temryuk\ntitle: мой\n"
    for bad in ("Temryuk", "../etc", "-x", "a b", "тем", "x/y"):
        with pytest.raises(ShnorError, match="Недопустимый идентификатор"):
            init_municipality(bad, root=project)
    assert sorted(p.name for p in (project / "params").iterdir()) == ["demo.yml", "temryuk.yml"]
    assert "например: temryuk" in _run(["init", "Temryuk"], capsys)[1]
    assert SAFE_ID.match("krai_23-b") and not SAFE_ID.match("_x")


def test_init_keeps_an_existing_raw_folder(project, capsys):
    raw = project / "data" / "raw" / "sochi"
    raw.mkdir(parents=True)
    (raw / "vpr.csv").write_text("year\n2024\n", "utf-8")
    assert main(["init", "sochi"]) == 0
    assert (raw / "vpr.csv").read_text("utf-8") == "year\n2024\n"
    assert (raw / "README.md").is_file()


# Russian help --------------------------------------------------------------------------------

_ENGLISH_ARGPARSE = re.compile(
    r"usage:|positional arguments|options:|show this help|show program's|error:(?! )"
)


def _help_texts() -> dict[str, str]:
    parser = build_parser()
    out = {"shnor": parser.format_help()}
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):
            for name, sub in action.choices.items():
                out[name] = sub.format_help()
    return out


def test_help_of_every_command_is_russian():
    texts = _help_texts()
    assert {"init", "validate", "report", "region"} <= set(texts)
    for name, text in texts.items():
        assert "использование:" in text, name
        assert not _ENGLISH_ARGPARSE.search(text), (name, text)
        assert _english_lines(text) == [], name


def test_argparse_errors_are_russian_with_english_in_brackets(capsys):
    with pytest.raises(SystemExit):
        main(["synth", "--seed", "abc"])
    err = capsys.readouterr().err
    assert "ожидалось целое число" in err and "(error: argument --seed" in err
    assert "usage:" not in err and "использование:" in err


# Numbers and progress -------------------------------------------------------------------------


def test_numbers_in_russian_format():
    assert console.num(183979) == "183\u202f979"
    assert console.secs(18.25) == "18,3 с"  # halves round up, decimal comma
    assert console.secs(125) == "2 мин 05 с"
    assert console.count(1, "строка", "строки", "строк") == "1 строка"
    assert console.count(22, "строка", "строки", "строк") == "22 строки"
    assert console.count(183979, "строка", "строки", "строк") == "183\u202f979 строк"
    assert console.count(11, "строка", "строки", "строк") == "11 строк"
    assert console.count(112, "строка", "строки", "строк") == "112 строк"


def test_progress_counts_finished_units_and_estimates_the_rest():
    lines: list[str] = []
    progress = console.Progress(3, lines.append)
    progress.finished("a: готово")
    progress.finished("b: готово")
    assert lines[0].startswith("[1/3] a: готово — с начала ") and "осталось ≈" in lines[0]
    assert not any(line.startswith("[3/3]") for line in lines)  # nothing "done" too early
    progress.finished("c: готово")
    assert lines[-1].startswith("[3/3] c: готово") and "осталось" not in lines[-1]
    assert all(re.search(r"\d+,\d с", line) for line in lines)


# A real report run: Russian only, no kernel noise ----------------------------------------------


def _english_lines(text: str) -> list[str]:
    """Lines with a Latin sentence and no Cyrillic, except the English half of a bilingual
    error (an indented «(…)» line)."""
    bad = []
    for line in text.splitlines():
        if re.search("[а-яА-ЯёЁ]", line) or not line.strip():
            continue
        if line.startswith("    (") and line.rstrip().endswith(")"):
            continue
        prose = re.sub(r"\S*/\S*|--?[\w-]+", "", line)  # paths and option names are Latin
        if len(re.findall(r"\b[A-Za-z]{3,}\b", prose)) >= 2:
            bad.append(line)
    return bad


def test_report_console_is_russian_without_kernel_noise(tiny_project):
    root, _ = tiny_project
    proc = subprocess.run(
        [str(SHNOR), "report", "--params", "params/tiny.yml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Отчёт готов" in out
    assert "IPKernelApp" not in out and "KeyboardInterrupt" not in out
    assert _english_lines(out) == [], out
    assert not re.search(r"\d\.\d с\b", out), out  # times with a decimal comma only


def test_english_line_detector_catches_kernel_noise_and_warnings():
    assert _english_lines("[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.")
    assert _english_lines("/x/y.py:3: FutureWarning: the default will change")
    assert not _english_lines("Отчёт готов: outputs/demo/2024/report.html")
    assert not _english_lines("Ошибка:\n    (Params file not found: params/x.yml)")


# The kernel's "KeyboardInterrupt caught in kernel." at shutdown ---------------------------------

# Makes the race deterministic: the kernel stays in its kernel_info handler (papermill's last
# request) for 1.5 s after replying, so jupyter_client's interrupt-before-shutdown lands there.
_SLOW_KERNEL_INFO = """import inspect as _shnor_inspect, time as _shnor_time
_k = get_ipython().kernel
_orig = _k.shell_handlers["kernel_info_request"]
async def _slow(*args):
    result = _orig(*args)
    if _shnor_inspect.isawaitable(result):
        await result
    _shnor_time.sleep(1.5)
_k.shell_handlers["kernel_info_request"] = _slow
"""


def test_kernel_interrupt_at_shutdown_leaves_no_console_noise(tmp_path, capfd):
    import nbformat
    import papermill as pm

    from shnor_lib.report.notebook import execute_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(_SLOW_KERNEL_INFO),
        nbformat.v4.new_code_cell(
            "import logging\nlogging.getLogger('IPKernelApp').error('other')"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "race.ipynb"
    nbformat.write(nb, path)
    # control: plain papermill shows the noise, so the race is really provoked
    pm.execute_notebook(
        str(path), str(tmp_path / "plain.ipynb"), kernel_name="python3", progress_bar=False
    )
    assert "KeyboardInterrupt caught in kernel" in capfd.readouterr().err
    execute_notebook(path, tmp_path / "out.ipynb", {"x": 2}, cwd=tmp_path)
    err = capfd.readouterr().err
    assert "KeyboardInterrupt" not in err
    assert "[IPKernelApp] ERROR | other" in err  # only that one message is filtered


def test_region_progress_counts_only_finished_municipalities(tmp_path, monkeypatch, capsys):
    """Small municipalities wait for the regional ИСБ model: «[k/N]» must not reach N before
    they are done, every counted line says the time is since the start and what remains."""
    from shnor_lib.demo import synth

    raw = tmp_path / "raw"
    synth.generate_region(raw, seed=11, n_municipalities=3, n_schools=30, region="t")
    monkeypatch.chdir(tmp_path)
    code = main(["region", "--raw", str(raw), "--region", "t", "--workers", "1", "--no-report"])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = err.splitlines()
    assert "Проверка данных и расчёт таблиц" in lines[0]  # said before the first long wait
    counted = [i for i, line in enumerate(lines) if re.match(r"\[\d/3\] ", line)]
    assert [lines[i][:5] for i in counted] == ["[1/3]", "[2/3]", "[3/3]"]
    deferred = [i for i, line in enumerate(lines) if "ИСБ — по модели региона" in line]
    assert deferred, err  # the case this test is about: some wait for the regional model
    assert max(deferred) < counted[-1]  # «[3/3]» only after the waiting ones are done
    assert all("с начала" in lines[i] for i in counted)
    assert all("осталось ≈" in lines[i] for i in counted[:-1])
    assert not re.search(r"\d\.\d с\b", err)
