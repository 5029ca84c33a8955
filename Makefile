# shnor — the user's interface. `make` (or `make help`) lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

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
DEMO_REGION  := $(if $(filter data/raw/demo_region,$(RAW)),data/raw/demo_region/.complete,)

.PHONY: help venv synth validate compute report reports region site forms lab browser test lint format bench freeze clean

help: ## show this list of targets
	@echo "shnor — аналитический отчёт о ШНОР/ШССУ. Цели (targets):"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'
	@echo "Параметры: MUNICIPALITY=demo (файл params/<m>.yml), YEAR=<отчётный год>"
	@echo "Регион: make region RAW=data/raw/<регион> REGION=<id> [WORKERS=2] [REPORTS=1] (по умолчанию — демо-регион)"

$(STAMP): requirements.txt pyproject.toml
	@echo "Подготовка окружения $(VENV) (Python: $(PYTHON))…"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -r requirements.txt
	@$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## create or update the virtual environment .venv (pinned requirements.txt)

data/raw/demo/_truth.json: | $(STAMP)
	$(BIN)/shnor synth --out data/raw/demo

synth: $(STAMP) ## (re)generate the synthetic demo municipality in data/raw/demo
	$(BIN)/shnor synth --out data/raw/demo

validate: $(STAMP) $(DEMO_DATA) ## validate raw data only → data/processed/<m>/<year>/
	$(BIN)/shnor validate --params $(PARAMS) $(YEAR_ARG)

compute: $(STAMP) $(DEMO_DATA) ## compute all tables (no notebook) → outputs/<m>/<year>/tables/
	$(BIN)/shnor compute --params $(PARAMS) $(YEAR_ARG)

report: $(STAMP) $(DEMO_DATA) ## the report: outputs/<m>/<year>/report.html (demo by default)
	$(BIN)/shnor report --params $(PARAMS) $(YEAR_ARG)

reports: $(STAMP) data/raw/demo/_truth.json ## reports for every params/*.yml in one process
	$(BIN)/shnor reports --dir params

data/raw/demo_region/.complete: | $(STAMP)
	$(BIN)/shnor synth --region demo_region --municipalities 6 --schools 240 --out data/raw/demo_region
	@touch $@

region: $(STAMP) $(DEMO_REGION) ## a whole region: RAW=data/raw/<region> REGION=<id> → outputs/<REGION>/<year>/region.html
	$(BIN)/shnor region --raw $(RAW) --region $(REGION) $(YEAR_ARG) $(WORKERS_ARG) $(REPORTS_ARG)

site: $(STAMP) ## outputs/site/index.html linking every report and region page, ready to upload
	$(BIN)/shnor site --outputs outputs

forms: $(STAMP) ## blank Excel monitoring forms → outputs/forms/
	$(BIN)/shnor forms --out outputs/forms

lab: $(STAMP) ## JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks

# Chromium for tests/test_browser.py: installed where it can be (Debian/Ubuntu, as root or
# with passwordless sudo, network reachable); otherwise the browser test is skipped with
# the install command (under CI=true it fails). NO_BROWSER=1 never installs anything.
CHROMIUM_PKGS := chromium fonts-dejavu-core
browser: ## install Chromium for the browser test (Debian/Ubuntu; quietly skipped if impossible)
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

test: $(STAMP) browser ## run the whole test suite (installs Chromium first where it can)
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check shnor_lib tests tools

format: $(STAMP) ## format the code with ruff
	$(BIN)/ruff format shnor_lib tests
	$(BIN)/ruff check --fix shnor_lib tests

bench: $(STAMP) ## performance benchmark (not part of make test) → outputs/bench/bench.md
	$(BIN)/python -m shnor_lib.bench $(BENCH_ARGS)

freeze: $(STAMP) ## re-pin requirements.txt from the current .venv
	@{ echo "# Pinned environment for shnor (Python 3.11). Regenerate with: make freeze"; \
	   $(BIN)/pip freeze --exclude-editable; } > requirements.txt

clean: ## remove generated data and outputs (keeps data/raw of real municipalities)
	rm -rf data/processed/* outputs/* data/raw/demo
	@touch data/processed/.gitkeep outputs/.gitkeep
