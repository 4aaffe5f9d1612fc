# RecScope: `make run` starts the app, `make test` runs the whole suite. Both create .venv when it is
# missing and install requirements once (a stamp file skips re-installs until requirements change),
# with uv when it can be had and pip otherwise (.ci/install.sh).
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.stamp-runtime
DEV_STAMP := $(VENV)/.stamp-dev
PORT ?= 8501
SHARED_DATASETS := $(abspath ../shared/datasets)

# Tests and benchmarks read MovieLens from ../shared/datasets when that folder exists.
ifneq ($(wildcard $(SHARED_DATASETS)),)
export RECSCOPE_DATASETS_DIR ?= $(SHARED_DATASETS)
endif

.PHONY: run test install install-dev browser lint bench

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(PY)
	.ci/install.sh $(PY) -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	.ci/install.sh $(PY) -r requirements-dev.txt
	touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

# Debian's Chromium (and an emoji font for its screenshots) for the browser tests; never
# `playwright install`, which downloads a browser of its own.
browser:
	@command -v chromium >/dev/null 2>&1 && [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-noto-color-emoji >/dev/null; }

run: install
	$(PY) -m streamlit run app.py --server.headless true --server.address 127.0.0.1 \
		--server.port $(PORT) --browser.gatherUsageStats false

test: install-dev browser
	$(PY) -m pytest

lint: install-dev
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: install-dev
	$(PY) bench/evaluation.py
