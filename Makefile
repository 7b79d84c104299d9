# Quick start: `make run` serves the app on the bundled sample; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SAMPLE_RUN := .cache/sample_data

.PHONY: run test bench sample clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Serves READINESS_DATA when set; otherwise the bundled sample re-anchored to today in .cache/ (sample_data/ is untouched).
run: $(VENV)/.runtime
	@if [ -z "$$READINESS_DATA" ]; then \
		$(PY) sample_data/generate.py --anchor "$$(date +%F)" --out $(SAMPLE_RUN) >/dev/null && \
		echo "Serving the sample programs, anchored to today, from $(SAMPLE_RUN)"; \
	fi; \
	READINESS_DATA="$${READINESS_DATA:-$(SAMPLE_RUN)}" $(PY) -m streamlit run serve.py \
		--server.port $(PORT) --server.address 127.0.0.1 --browser.gatherUsageStats false

# The browser test needs Debian's chromium; .ci/install-browser installs it when missing (as root).
test: $(VENV)/.dev
	.ci/install-browser
	$(PY) -m pytest

# Rewrites the committed sample Parquet files from sample_data/generate.py (fixed anchor 2026-11-24).
sample: $(VENV)/.runtime
	$(PY) sample_data/generate.py

# Page timings against their budgets, the DuckDB floor and pandas, then a 10-session browser load check.
# SCALE=S (the sample, a few minutes), M (50 programs, 1M results) or L (200 programs, 10M results); see docs/performance.md.
SCALE ?= S
bench: $(VENV)/.dev
	.ci/install-browser
	$(PY) -m bench --scale $(SCALE)

clean:
	rm -rf $(VENV) .cache .pytest_cache tests/artifacts
