# Embeddings, Attention & Transformers course kit. `make help` (or `make`) lists the targets and variables.
# Every target sets up what it needs: the first run creates .venv from requirements.lock and the CPU build of
# PyTorch, by the kit's one install rule (autograder/install.py).

#- PYTHON=<python>       the Python 3.11+ that creates .venv (default python3)
#- SUBMISSION=<dir|zip>  what `test` and `grade` run on (default assignments)
#- RESULTS=<file>        where `grade` writes Gradescope's results.json (default results.json)
#- EX=<exercise>         the exercise(s), e.g. EX=skipgram or EX="cbow skipgram" (test, grade, batch; watch takes one)
#- ARGS=<args>           more arguments for pytest (test, kit-tests), the grader (grade, batch) or the tool
#- SUBMISSIONS=<dir>     `batch`: the folder holding one sub-folder or .zip per submission (required)
#- OUT=<dir>             `batch`: where results/, logs/ and gradebook.csv go (default build/batch)
#- CONTAINER_ENGINES=<e>  `container-tests`: docker (default, as CI), podman (rootless) or docker,podman
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SUBMISSION ?= assignments
RESULTS    ?= results.json
EX ?=
ARGS ?=
SUBMISSIONS ?=
OUT ?= build/batch

PUBLIC := $(if $(EX),$(foreach e,$(EX),tests/public/test_$(e).py),tests/public)
ONLY   := $(foreach e,$(EX),--only $(e))

.DEFAULT_GOAL := help
.PHONY: help venv test watch grade stubs stubs-check lint typecheck kit-tests check mutants notebooks notebooks-check \
	release gradescope bench batch report adversarial-conditions container-tests

help: ## list the targets and the variables
	@echo "targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "variables:"
	@sed -n 's/^#- /  /p' $(MAKEFILE_LIST)

$(STAMP): requirements.lock autograder/install.py
	@echo "setting up $(VENV) from requirements.lock (first run only)..."
	@$(PYTHON) -m autograder.install --venv $(VENV) -r requirements.lock --quiet
	@touch $@

venv: $(STAMP) ## create the virtual environment (done automatically by every target)

test: $(STAMP) ## the student's loop: public tests on SUBMISSION (EX=one_hot for one exercise)
	@$(PY) -m pytest $(PUBLIC) -p autograder.grading.plugin --submission $(SUBMISSION) -q --no-header -rN $(ARGS)

watch: ## re-run EX's public tests on every save of its file or notebook (Ctrl-C to stop)
	@$(if $(EX),,echo "make watch needs EX=<exercise>, e.g. make watch EX=skipgram" >&2; exit 2;) \
	$(MAKE) --no-print-directory $(STAMP) && $(PY) -m autograder watch $(EX) -- $(ARGS)

grade: $(STAMP) ## grade SUBMISSION with the hidden suites; writes RESULTS (results.json)
	@$(PY) -m autograder grade $(SUBMISSION) --results $(RESULTS) $(ONLY) $(ARGS)

stubs: $(STAMP) ## regenerate assignments/ and the nbgrader source notebooks from solutions/
	@$(PY) -m autograder stubs
	@$(PY) -m autograder notebooks

stubs-check: $(STAMP) ## check that assignments/ and the notebooks are up to date (no rewrite)
	@$(PY) -m autograder stubs --check
	@$(PY) -m autograder notebooks --check

lint: $(STAMP) ## ruff
	@$(PY) -m ruff check .

typecheck: $(STAMP) ## mypy on the grader (autograder/, without the hidden suites)
	@$(PY) -m mypy

kit-tests: $(STAMP) ## the kit's own tests (tests/kit, two processes; the container tests have their own target)
	@$(PY) -m pytest tests/kit -q -n 2 -m "not container" $(ARGS)

container-tests: $(STAMP) ## the Gradescope zip in a real Docker daemon under three seccomp profiles (root; prints the table)
	@$(PY) -m pytest tests/kit/test_container.py -m container -q -rs $(ARGS)

check: lint typecheck stubs-check kit-tests ## everything CI runs: lint, types, stubs up to date, the kit's own tests
	@echo "make check: all green"

adversarial-conditions: $(STAMP) ## the isolation tests as root, namespaces off, Docker-like capabilities, non-root
	@.ci/adversarial-conditions

mutants: $(STAMP) ## grade every catalogued mistake + a sample of generated mutants (killed? named?)
	@$(PY) -m tests.mutants.run --jobs 2 --markdown build/mutants.md $(ARGS)

# --- release: nbgrader notebooks, the student bundle (GitHub Classroom), the Gradescope autograder ---

notebooks: $(STAMP) ## regenerate nbgrader/source from solutions/; run the reference notebooks into build/notebooks (figures)
	@$(PY) -m autograder notebooks --execute

notebooks-check: $(STAMP) ## check that the nbgrader source notebooks are up to date
	@$(PY) -m autograder notebooks --check

release: $(STAMP) ## stubs + notebooks + `nbgrader generate_assignment` + the student bundle (dist/student, dist/student.zip)
	@$(PY) -m autograder release

gradescope: $(STAMP) ## the Gradescope autograder: dist/autograder.zip (HIDDEN_VISIBILITY=after_published by default)
	@$(PY) -m autograder gradescope --hidden-visibility $(or $(HIDDEN_VISIBILITY),after_published)

bench: $(STAMP) ## measure everything side by side; writes bench/RESULTS.md and the README table
	@$(PY) -m bench.run --readme $(ARGS)

batch: ## grade every sub-folder/zip of SUBMISSIONS into OUT (gradebook.csv)
	@$(if $(SUBMISSIONS),,echo "make batch needs SUBMISSIONS=<folder of one sub-folder or .zip per submission>, \
	e.g. make batch SUBMISSIONS=hand-ins OUT=build/batch" >&2; exit 2;) \
	$(MAKE) --no-print-directory $(STAMP) && $(PY) -m autograder batch $(SUBMISSIONS) --out $(OUT) --jobs 2 $(ONLY) $(ARGS)

report: $(STAMP) ## what the class got wrong: OUT/report.html and OUT/misconceptions.csv (OUT=batch --out folder, SUBMISSIONS=hand-ins)
	@$(PY) -m autograder report $(or $(OUT),build/batch) $(if $(SUBMISSIONS),--submissions $(SUBMISSIONS),) $(ARGS)
