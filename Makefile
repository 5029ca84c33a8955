# shnor — the user's interface. `make` (or `make help`) lists the targets (descriptions in Russian).
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# The files ruff formats and checks (make lint, make format): the same list for both.
CODE_PATHS   := shnor_lib tests notebooks setup.py

MUNICIPALITY ?= demo
PARAMS       ?= params/$(MUNICIPALITY).yml
YEAR         ?=
YEAR_ARG     := $(if $(YEAR),--year $(YEAR),)
DEMO_DATA    := $(if $(filter demo,$(MUNICIPALITY)),data/raw/demo/_truth.json,)
REGION       ?= demo_region
RAW          ?= data/raw/$(REGION)
WORKERS      ?=
WORKERS_ARG  := $(if $(WORKERS),--workers $(WORKERS),)
REPORTS_ARG  := $(if $(filter 1 yes true,$(REPORTS)),--reports,)
REFERENCE    ?=
REFERENCE_ARG := $(if $(REFERENCE),--reference $(REFERENCE),)
DEMO_REGION  := $(if $(filter data/raw/demo_region,$(RAW)),data/raw/demo_region/.complete,)

.PHONY: help venv init synth inspect validate compute report reports region site forms lab browser test lint format bench freeze clean clean-outputs

help: ## этот список целей
	@echo "shnor — аналитический отчёт о ШНОР/ШССУ. Цели make:"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'
	@echo "Параметры: MUNICIPALITY=demo (файл params/<m>.yml), YEAR=<отчётный год>"
	@echo "Регион: make region RAW=data/raw/<регион> REGION=<id> [WORKERS=2] [REPORTS=1] [REFERENCE=region] (по умолчанию — демо-регион)"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml setup.py
	@echo "Подготовка окружения $(VENV) (Python: $(PYTHON))…"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -r requirements-dev.txt
	@$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## создать или обновить окружение .venv (закреплённые версии requirements-dev.txt)

init: $(STAMP) ## новый муниципалитет: make init MUNICIPALITY=<m> → params/<m>.yml и data/raw/<m>/
	$(BIN)/shnor init $(MUNICIPALITY)

data/raw/demo/_truth.json: | $(STAMP)
	$(BIN)/shnor synth --out data/raw/demo

synth: $(STAMP) ## сгенерировать демонстрационный муниципалитет в data/raw/demo
	$(BIN)/shnor synth --out data/raw/demo

inspect: $(STAMP) $(DEMO_DATA) ## показать все файлы data/raw/<m>/ и как они распознаны (MUNICIPALITY=…)
	$(BIN)/shnor inspect --params $(PARAMS) $(YEAR_ARG)

validate: $(STAMP) $(DEMO_DATA) ## только проверить исходные данные → data/processed/<m>/<год>/
	$(BIN)/shnor validate --params $(PARAMS) $(YEAR_ARG)

compute: $(STAMP) $(DEMO_DATA) ## рассчитать все таблицы без отчёта → outputs/<m>/<год>/tables/
	$(BIN)/shnor compute --params $(PARAMS) $(YEAR_ARG)

report: $(STAMP) $(DEMO_DATA) ## отчёт outputs/<m>/<год>/report.html (по умолчанию — демо)
	$(BIN)/shnor report --params $(PARAMS) $(YEAR_ARG)

reports: $(STAMP) data/raw/demo/_truth.json ## отчёты по всем params/*.yml в одном процессе
	$(BIN)/shnor reports --dir params

data/raw/demo_region/.complete: | $(STAMP)
	$(BIN)/shnor synth --region demo_region --municipalities 6 --schools 240 --out data/raw/demo_region
	@touch $@

region: $(STAMP) $(DEMO_REGION) ## весь регион: RAW=data/raw/<регион> REGION=<id> [REFERENCE=region: ШНОР/ШССУ по краю] → outputs/regions/<REGION>/<год>/region.html
	$(BIN)/shnor region --raw $(RAW) --region $(REGION) $(YEAR_ARG) $(WORKERS_ARG) $(REPORTS_ARG) $(REFERENCE_ARG)

site: $(STAMP) ## outputs/site/index.html со ссылками на все отчёты и сводки — для сайта
	$(BIN)/shnor site --outputs outputs

# `make forms`: blank forms; `make forms MUNICIPALITY=<m>`: with the drop-down of its schools.
FORMS_ARG := $(if $(filter command line environment,$(origin MUNICIPALITY)),--params $(PARAMS) $(YEAR_ARG),)

forms: $(STAMP) ## бланки Excel-форм → outputs/forms/; MUNICIPALITY=<m> — со списком его ОО → outputs/forms/<m>/
	$(BIN)/shnor forms $(FORMS_ARG)

# The kernel "python3" of the notebooks is this venv's Python: registered in the venv, where
# Jupyter looks before the user's own kernels. --allow-root only for a user who is root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP) ## JupyterLab в корне проекта (notebooks/report.ipynb, свои разделы — notebooks/local/)
	@$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (shnor)" >/dev/null
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(LAB_ROOT) notebooks/report.ipynb

# Chromium for tests/test_browser.py: installed where it can be (Debian/Ubuntu, as root or
# with passwordless sudo, network reachable); otherwise the browser test is skipped with
# the install command (under CI=true it fails). NO_BROWSER=1 never installs anything.
CHROMIUM_PKGS := chromium fonts-dejavu-core poppler-utils
browser: ## установить Chromium для браузерного теста (Debian/Ubuntu; без прав или сети — пропускается)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || command -v google-chrome >/dev/null 2>&1 || [ -n "$(NO_BROWSER)" ] || { \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo -n"; \
	  if command -v apt-get >/dev/null 2>&1 && $$SUDO true 2>/dev/null; then \
	    echo "Установка Chromium для браузерного теста (apt-get install $(CHROMIUM_PKGS))…"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { timeout 120 $$SUDO apt-get update -qq -o Acquire::Retries=0 \
	      && timeout 600 $$SUDO apt-get install -y -qq --no-install-recommends $(CHROMIUM_PKGS); \
	    } >/dev/null 2>&1 || echo "Chromium не установлен (нет сети или пакета): браузерный тест будет пропущен"; \
	  else \
	    echo "Chromium не установлен (нужны apt-get и права root/sudo): браузерный тест будет пропущен"; \
	  fi; }

# Two pytest workers (pytest-xdist), a test file per worker: the suite takes about half the
# time on two cores. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(STAMP) browser ## все тесты в TEST_WORKERS процессах (по умолчанию 2; сначала ставит Chromium, где может)
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

lint: $(STAMP) ## проверка стиля кода (ruff)
	$(BIN)/ruff check $(CODE_PATHS)
	$(BIN)/ruff format --check $(CODE_PATHS)

format: $(STAMP) ## отформатировать код (ruff)
	$(BIN)/ruff format $(CODE_PATHS)
	$(BIN)/ruff check --fix $(CODE_PATHS)

bench: $(STAMP) ## замер производительности (не входит в make test) → outputs/bench/bench.md
	$(BIN)/python -m shnor_lib.devtools.bench $(BENCH_ARGS)

freeze: $(STAMP) ## закрепить версии requirements-dev.txt по текущему .venv (requirements.txt — вручную)
	@{ sed -n '1,/^-r requirements.txt/p' requirements-dev.txt; \
	   $(BIN)/pip freeze --exclude-editable | grep -v -i -x -F -f <(sed 's/[#].*//' requirements.txt | grep .); \
	 } > requirements-dev.txt.new && mv requirements-dev.txt.new requirements-dev.txt

# Caches and temporary folders only: raw exports and published outputs stay. The demo data
# (data/raw/demo) and the bench's generated region are regenerated on demand.
CLEAN_DIRS := .pytest_cache .ruff_cache data/processed/* outputs/bench/data
clean: ## удалить кэши и временные папки (отчёты в outputs/ и исходные данные остаются)
	@echo "Удаляю кэши и временные папки: .pytest_cache .ruff_cache __pycache__ data/processed/ outputs/bench/data и временные .tmp-*, .report-*, .region-state-* (отчёты в outputs/ не трогаю: их удаляет make clean-outputs)"
	@rm -rf $(CLEAN_DIRS)
	@find . \( -path ./.venv -o -path ./.git \) -prune -o \( -name __pycache__ -o -name '.tmp-*' -o -name '.report-*' -o -name '.region-state-*' \) -prune -exec rm -rf {} +
	@touch data/processed/.gitkeep

# Published work is removed only on request: a confirmation prompt, or FORCE=1.
clean-outputs: ## удалить ВСЕ опубликованные отчёты outputs/ (спросит подтверждение; без вопроса: FORCE=1)
	@n=$$(find outputs -mindepth 1 -maxdepth 1 ! -name .gitkeep | wc -l); \
	if [ "$$n" -eq 0 ]; then echo "outputs/ уже пуста."; exit 0; fi; \
	echo "Будет удалено из outputs/ (отчёты, таблицы, сайт): $$n"; \
	find outputs -mindepth 1 -maxdepth 1 ! -name .gitkeep -printf '  %p\n'; \
	if [ "$(FORCE)" != "1" ]; then \
	  if [ -t 0 ]; then read -r -p "Удалить? Введите «да»: " ans; else ans=""; fi; \
	  if [ "$$ans" != "да" ]; then echo "Отменено: ничего не удалено (без вопроса: make clean-outputs FORCE=1)."; exit 1; fi; \
	fi; \
	find outputs -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +; \
	echo "outputs/ очищена."

# An unknown target (a typo like `make reprot`): say so in Russian and suggest the nearest one.
.DEFAULT:
	@echo "make: неизвестная цель «$@» (unknown target)$$($(PYTHON) -c 'import difflib, sys; m = difflib.get_close_matches(sys.argv[1], sys.argv[2:], 1); print("; возможно, вы имели в виду: make " + m[0] if m else "")' '$@' $$(grep -oE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | cut -d: -f1)). Список целей: make help" >&2; exit 2
