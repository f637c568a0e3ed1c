# Convenience wrappers; dev.py does the work (and also runs on Windows: `py dev.py test`).
PY ?= python3

.PHONY: demo test lint bench
demo:
	$(PY) dev.py demo
test:
	$(PY) dev.py test
lint:
	$(PY) dev.py lint
bench:
	$(PY) dev.py demo --help >/dev/null && .venv/bin/python benchmarks/sim_performance_run.py
