# Embeddings, Attention & Transformers course kit. `make help` lists the targets.
# Every target sets up what it needs: the first run creates .venv from requirements.lock.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SUBMISSION ?= assignments
RESULTS    ?= results.json
EX ?=
ARGS ?=

PUBLIC := $(if $(EX),tests/public/test_$(EX).py,tests/public)
ONLY   := $(if $(EX),--only $(EX),)

.DEFAULT_GOAL := help
.PHONY: help venv test grade stubs check lint typecheck kit-tests stubs-check mutants bench batch

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: SUBMISSION=<dir> (default assignments), EX=<exercise>, ARGS=<extra pytest args>"

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV) from requirements.lock (first run only)..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

venv: $(STAMP) ## create the virtual environment (done automatically by every target)

test: $(STAMP) ## the student's loop: public tests on SUBMISSION (EX=one_hot for one exercise)
	@$(PY) -m pytest $(PUBLIC) -p autograder.grading.plugin --submission $(SUBMISSION) -q --no-header -rN $(ARGS)

grade: $(STAMP) ## grade SUBMISSION with the hidden suites; writes RESULTS (results.json)
	@$(PY) -m autograder grade $(SUBMISSION) --results $(RESULTS) $(ONLY) $(ARGS)

stubs: $(STAMP) ## regenerate assignments/ and the nbgrader source notebooks from solutions/
	@$(PY) -m autograder stubs
	@$(PY) -m autograder notebooks

stubs-check: $(STAMP)
	@$(PY) -m autograder stubs --check
	@$(PY) -m autograder notebooks --check

lint: $(STAMP) ## ruff
	@$(PY) -m ruff check .

typecheck: $(STAMP) ## mypy on the grader (autograder/, without the hidden suites)
	@$(PY) -m mypy

kit-tests: $(STAMP)
	@$(PY) -m pytest tests/kit -q -n 2 $(ARGS)

check: lint typecheck stubs-check kit-tests ## everything CI runs: lint, types, stubs up to date, the kit's own tests
	@echo "make check: all green"

mutants: $(STAMP) ## grade every catalogued mistake + a sample of generated mutants (killed? named?)
	@$(PY) -m tests.mutants.run --jobs 2 --markdown build/mutants.md $(ARGS)

# --- release: nbgrader notebooks, the student bundle (GitHub Classroom), the Gradescope autograder ---
.PHONY: help venv test grade stubs check lint kit-tests stubs-check mutants bench batch

notebooks: $(STAMP) ## regenerate nbgrader/source from solutions/; run the reference notebooks into build/notebooks (figures)
	@$(PY) -m autograder notebooks --execute

notebooks-check: $(STAMP)
	@$(PY) -m autograder notebooks --check

release: $(STAMP) ## stubs + notebooks + `nbgrader generate_assignment` + the student bundle (dist/student, dist/student.zip)
	@$(PY) -m autograder release

gradescope: $(STAMP) ## the Gradescope autograder: dist/autograder.zip (setup.sh, run_autograder, the grader)
	@$(PY) -m autograder gradescope

bench: $(STAMP) ## measure everything side by side; writes bench/RESULTS.md and the README table
	@$(PY) -m bench.run --readme $(ARGS)

batch: $(STAMP) ## grade every sub-folder/zip of SUBMISSIONS into OUT (gradebook.csv)
	@$(PY) -m autograder batch $(SUBMISSIONS) --out $(or $(OUT),build/batch) --jobs 2 $(ONLY) $(ARGS)
