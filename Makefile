# StockLearn: two commands do all the set-up on a fresh machine.
#   make book   create .venv, install, execute every chapter, build _build/html
#   make test   create .venv, install, lint, unit/property tests, execute every notebook twice
#               on TensorFlow, then the training tests and the tiny runs again on JAX
# The Keras backend of `make book` (and of Jupyter started from the venv):
#   make book KERAS_BACKEND=jax      (tensorflow by default; jax; torch)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TORCH  := $(VENV)/.torch-stamp
KERAS_BACKEND ?= tensorflow
export PYTHONHASHSEED := 0

.PHONY: install test lint sync book benchmark clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e ".[test,book,jax]"
	touch $(STAMP)

# PyTorch only for the tests (test_backends checks the chapters' models on it).
$(TORCH): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[torch]"
	touch $(TORCH)

lint: $(STAMP)
	$(BIN)/ruff check .

# Regenerate every chapter's .ipynb from its text source notebooks/NAME.py,
# keeping the cell ids of unchanged cells, and strip outputs.
sync: $(STAMP)
	$(BIN)/jupytext --quiet --update --to ipynb notebooks/[0-9]*.py
	$(BIN)/nbstripout --keep-id notebooks/[0-9]*.ipynb

# Unit and property tests, then every notebook twice: nbval (fast profile) and
# papermill with the tiny parameter set of tests/notebook_params.json. Then the
# tests that train (models, training, experiments, the tiny chapter runs) once
# more on JAX; test_backends runs every backend in fresh processes by itself.
KERAS_TESTS := tests/test_models.py tests/test_training.py tests/test_experiments.py \
	tests/test_notebooks.py
test: $(STAMP) $(TORCH) lint
	KERAS_BACKEND=tensorflow STOCKLEARN_PROFILE=fast $(BIN)/pytest -q -n 2 --dist loadfile \
		--durations=15 --nbval-lax --nbval-cell-timeout=1200 tests notebooks
	KERAS_BACKEND=jax STOCKLEARN_PROFILE=fast $(BIN)/pytest -q -n 2 --dist loadfile \
		--durations=5 $(KERAS_TESTS)

# The execution cache keys on the notebooks' code only: start it afresh when the
# profile or the backend differs from the last build's.
book: $(STAMP)
	@settings="$${STOCKLEARN_PROFILE:-fast} $(KERAS_BACKEND)"; \
	if [ "$$(cat _build/.executed-with 2>/dev/null)" != "$$settings" ]; then \
		rm -rf _build/.jupyter_cache; fi; \
	STOCKLEARN_PROFILE=$${STOCKLEARN_PROFILE:-fast} KERAS_BACKEND=$(KERAS_BACKEND) \
		$(BIN)/jupyter-book build . -W -n --keep-going && \
	echo "$$settings" > _build/.executed-with

# Wall time and peak memory of every chapter, written to benchmarks/results/.
benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_notebooks.py --profile $${STOCKLEARN_PROFILE:-fast} \
		--backend $(KERAS_BACKEND)

clean:
	rm -rf _build
