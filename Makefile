# StockLearn: two commands do all the set-up on a fresh machine.
#   make book   create .venv, install, execute every chapter, build _build/html
#   make test   create .venv, install, lint, unit/property tests, execute every notebook twice
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PYTHONHASHSEED := 0

.PHONY: install test lint sync book benchmark clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e ".[test,book]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

# Regenerate every chapter's .ipynb from its text source notebooks/NAME.py,
# keeping the cell ids of unchanged cells, and strip outputs.
sync: $(STAMP)
	$(BIN)/jupytext --quiet --update --to ipynb notebooks/[0-9]*.py
	$(BIN)/nbstripout --keep-id notebooks/[0-9]*.ipynb

# Unit and property tests, then every notebook twice: nbval (fast profile) and
# papermill with the tiny parameter set of tests/notebook_params.json.
test: $(STAMP) lint
	STOCKLEARN_PROFILE=fast $(BIN)/pytest -q -n 2 --dist loadfile --durations=15 \
		--nbval-lax --nbval-cell-timeout=1200 tests notebooks

book: $(STAMP)
	STOCKLEARN_PROFILE=$${STOCKLEARN_PROFILE:-fast} $(BIN)/jupyter-book build . -W -n --keep-going

# Wall time and peak memory of every chapter, written to benchmarks/results/.
benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_notebooks.py --profile $${STOCKLEARN_PROFILE:-fast}

clean:
	rm -rf _build
