# Course commands. Quick start: `make lab` (JupyterLab on the labs) and `make test` (everything CI checks).
# Every target sets up .venv first (idempotent): no other installation step is needed.

SHELL := /bin/bash
PYTHON_VERSION ?= 3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
SETUP_STAMP := $(VENV)/.setup-done
# The service runs from lab 8's copy in its own lean environment: requirements/serve.txt, no TensorFlow.
SERVE_VENV := .venv-serve
SERVE_STAMP := $(SERVE_VENV)/.setup-done
SERVE_LAB := lab8
LABS := $(sort $(wildcard lab[0-9]*))
NOTEBOOKS := $(sort $(wildcard lab[0-9]*/notebooks/*.ipynb))
KERNEL := text-recognizer
# Real raw data beside the checkout is used when present (see README: "Data").
export TEXT_RECOGNIZER_MIRROR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
export TF_CPP_MIN_LOG_LEVEL ?= 2
# TensorFlow's oneDNN kernels, which it turns on by itself only on some Intel CPUs: on an AMD EPYC they train
# the notebooks' networks about 1.8x faster. Kernels started by `make lab` and `make test-notebooks` inherit it;
# TF_ENABLE_ONEDNN_OPTS=0 turns them off (other kernels: other floating-point rounding, as on another CPU).
export TF_ENABLE_ONEDNN_OPTS ?= 1
export PYTHONHASHSEED := 0
# Committed notebook outputs are made on the course's CI data (the EMNIST test split alone, see README).
# Where other data is used (the full EMNIST download), run with NOTEBOOK_CHECK=--lax: every notebook still
# executes headlessly, but its outputs are not compared.
NOTEBOOK_CHECK ?=

.PHONY: hooks setup serve-setup serve serve-debug load-test fuzz docker-build docker-run docker-build-lambda lab test lint format labs check-labs test-shared test-labs test-notebooks notebooks lock \
        train-character train-digit train-line train-handwriting train-line-detector evaluate benchmark \
        mlflow-ui tensorboard sweep pipeline label-check grade grade-package typecheck mutation-check clean-venv help

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

setup: $(SETUP_STAMP)  ## Create .venv from the lock file and register its Jupyter kernel

$(SETUP_STAMP): requirements/dev.txt shared/tools/register_kernel.py
	@if command -v uv >/dev/null 2>&1; then \
		uv venv --allow-existing --python $(PYTHON_VERSION) $(VENV) && \
		VIRTUAL_ENV=$(VENV) uv pip sync requirements/dev.txt; \
	else \
		python$(PYTHON_VERSION) -m venv $(VENV) && \
		$(PY) -m pip install --upgrade pip && \
		$(PY) -m pip install -r requirements/dev.txt; \
	fi
	cd shared && ../$(PY) -m tools.register_kernel
	touch $@

serve-setup: $(SERVE_STAMP)  ## Create .venv-serve with the serving requirements only

$(SERVE_STAMP): requirements/serve.txt
	@if command -v uv >/dev/null 2>&1; then \
		uv venv --allow-existing --python $(PYTHON_VERSION) $(SERVE_VENV) && \
		VIRTUAL_ENV=$(SERVE_VENV) uv pip sync requirements/serve.txt; \
	else \
		python$(PYTHON_VERSION) -m venv $(SERVE_VENV) && \
		$(SERVE_VENV)/bin/python -m pip install --upgrade pip && \
		$(SERVE_VENV)/bin/python -m pip install -r requirements/serve.txt; \
	fi
	touch $@

serve: serve-setup  ## Serve the committed models on http://$HOST:$PORT (default 127.0.0.1:8000) with gunicorn
	cd $(SERVE_LAB) && ../$(SERVE_VENV)/bin/gunicorn -c api/gunicorn.conf.py

serve-debug: serve-setup  ## The same app on Flask's development server, reloading on code changes
	cd $(SERVE_LAB) && ../$(SERVE_VENV)/bin/flask --app api.wsgi run --debug \
		--host $${HOST:-127.0.0.1} --port $${PORT:-8000}

load-test: setup  ## Throughput, latency, memory and startup of the service under gunicorn on loopback
	cd $(SERVE_LAB) && ../$(PY) -m evaluation.load_test_api --plot load_test.png

fuzz: setup  ## 1,000 malformed requests against gunicorn on loopback: only 4xx answers allowed
	cd $(SERVE_LAB) && ../$(PY) -m evaluation.fuzz_api

IMAGE ?= text-recognizer

docker-build:  ## Build the service's container image from lab 8's copy (needs a Docker engine)
	docker build -f $(SERVE_LAB)/api/Dockerfile -t $(IMAGE) .

docker-run:  ## Run that image on http://127.0.0.1:8000 (Ctrl-C stops it)
	docker run --rm -p 127.0.0.1:8000:8000 $(IMAGE)

docker-build-lambda:  ## Build the AWS Lambda image (what `sam build` does from lab8/api/)
	docker build -f $(SERVE_LAB)/api/Dockerfile.lambda -t $(IMAGE)-lambda .

# JupyterLab refuses to run as root (containers, rented GPU machines) unless told it may.
LAB_ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
# Extra JupyterLab options, e.g. LAB_ARGS="--no-browser --port=8899"
LAB_ARGS ?=

lab: setup  ## Start JupyterLab at the repository root (LAB_ARGS adds options)
	$(BIN)/jupyter lab --ServerApp.root_dir=. $(LAB_ALLOW_ROOT) $(LAB_ARGS)

TEST_STAGES := lint typecheck check-labs test-shared test-labs test-notebooks

test: setup  ## Everything CI checks, stage by stage, each timed
	@set -e; for stage in $(TEST_STAGES); do started=$$(date +%s); \
		$(MAKE) --no-print-directory $$stage; echo "== $$stage: $$(( $$(date +%s) - started )) s"; done

SHELL_SCRIPTS := .ci/run shared/grading/gradescope_files/setup.sh shared/grading/gradescope_files/run_autograder

lint: setup  ## Ruff lint and format; ShellCheck on the shell scripts; the CI workflow against GitHub's schema (and actionlint if installed)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/shellcheck $(SHELL_SCRIPTS)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml
	@if command -v actionlint >/dev/null 2>&1; then actionlint .github/workflows/ci.yml; \
	else echo "actionlint not installed (a Go binary, not on PyPI): the CI workflow runs it on itself"; fi

typecheck: setup  ## mypy on the course library (text_recognizer/), configured in pyproject.toml
	cd shared && ../$(BIN)/mypy text_recognizer

hooks: setup  ## Install the git pre-commit hooks (.pre-commit-config.yaml: the lint checks, offline)
	$(BIN)/pre-commit install

format: setup  ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

labs: setup  ## Regenerate every labN/ copy of the code from shared/
	cd shared && ../$(PY) -m tools.generate_labs

check-labs: setup  ## Fail if a lab copy differs from what `make labs` writes
	cd shared && ../$(PY) -m tools.generate_labs --check

test-shared: setup  ## pytest on shared/ (library, training, tooling), one worker per core (pytest-xdist)
	cd shared && ../$(BIN)/pytest -q -n auto

test-labs: setup  ## Check that each lab's copy imports on its own, and run its tests where it lost later labs' lines
	cd shared && ../$(PY) -m tools.check_lab_copies

test-notebooks: setup  ## Run every lab notebook once, headlessly with papermill's parameters, checked by nbval
	cd shared && ../$(PY) -m tools.check_notebooks $(NOTEBOOK_CHECK)

notebooks: setup  ## Re-execute every lab notebook in place (what instructors commit)
	@set -e; for nb in $(NOTEBOOKS); do echo "== $$nb"; \
		$(BIN)/papermill --no-progress-bar -k $(KERNEL) --cwd $$(dirname $$nb) $$nb $$nb >/dev/null; done
	cd shared && ../$(PY) -m tools.strip_corpus_images

lock:  ## Recompile the pinned requirements from requirements/*.in
	uv pip compile requirements/serve.in -o requirements/serve.txt --python-version $(PYTHON_VERSION)
	uv pip compile requirements/dev.in -o requirements/dev.txt --python-version $(PYTHON_VERSION)

train-character: setup  ## Reproduce the committed EMNIST character model
	cd shared && ../$(PY) -m training.run_experiment --save training/experiments/emnist_character_cnn.json

train-digit: setup  ## Reproduce the committed MNIST digit model
	cd shared && ../$(PY) -m training.run_experiment --save training/experiments/mnist_digit_cnn.json

train-line: setup  ## Reproduce the committed EMNIST Lines CTC model
	cd shared && ../$(PY) -m training.run_experiment --save training/experiments/emnist_lines_ctc.json

train-handwriting: setup  ## Reproduce the committed real-handwriting model and its language model (about 1 h on an idle 2-core machine, up to 2 h beside other work)
	cd shared && ../$(PY) -m training.train_handwriting --save
	cd shared && ../$(PY) -m training.train_handwriting --save --init-from text_recognizer/artifacts/handwriting \
		--epochs 24 --learning-rate 1e-3
	cd shared && ../$(PY) -m training.build_language_model

train-line-detector: setup  ## Reproduce the committed line detector of Lab 5 (about 50 min on 2 cores)
	cd shared && ../$(PY) -m training.train_line_detector --save

evaluate: setup  ## Accuracy of the committed models on their held-out test sets
	cd shared && ../$(PY) -m evaluation.evaluate_character_predictor --task character
	cd shared && ../$(PY) -m evaluation.evaluate_character_predictor --task digit
	cd shared && ../$(PY) -m evaluation.evaluate_line_predictor
	cd shared && ../$(PY) -m evaluation.evaluate_handwriting_predictor
	cd shared && ../$(PY) -m evaluation.evaluate_paragraph_recognizer

benchmark: setup  ## Prediction speed of the committed character, line and handwriting models
	cd shared && ../$(PY) -m evaluation.benchmark_character_predictor
	cd shared && ../$(PY) -m evaluation.benchmark_line_predictor
	cd shared && ../$(PY) -m evaluation.benchmark_handwriting_predictor

# Lab 3: experiment management. Runs are tracked in data/mlflow/mlflow.db unless MLFLOW_TRACKING_URI names a server.
MLFLOW_URI := $(or $(MLFLOW_TRACKING_URI),sqlite:///$(abspath data/mlflow/mlflow.db))
SWEEP ?= training/sweeps/emnist_character_mlp.yaml
WORKERS ?= 2

mlflow-ui: setup  ## Browse tracked runs in MLflow's UI on http://127.0.0.1:5000 (no server or account needed)
	mkdir -p data/mlflow
	$(BIN)/mlflow ui --backend-store-uri $(MLFLOW_URI) --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

tensorboard: setup  ## TensorBoard on every run's event files, http://127.0.0.1:6006
	$(BIN)/tensorboard --logdir shared/training/runs --host $${HOST:-127.0.0.1} --port $${PORT:-6006}

sweep: setup  ## A hyper-parameter sweep: SWEEP=<file> (default: the small MLP sweep), WORKERS=<n> (default 2)
	cd shared && ../$(PY) -m training.run_sweep $(SWEEP) --workers $(WORKERS)

# Lab 6: labeled data and the DVC pipeline (dvc.yaml). Stages run the course's Python whatever is on PATH.
DATASET ?= copiste_labeled

label-check: setup  ## Ingest a labeled dataset (DATASET=<name>, default the sample export) and report label problems
	cd shared && ../$(PY) -m text_recognizer.data.label_quality --dataset $(DATASET)

pipeline: setup  ## dvc repro: prepare -> train -> evaluate the handwriting model, rerunning only what changed
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

# Lab 7: the autograder (shared/grading/README.md) and the checks that guard the test suite itself.
LAB ?= 1

grade: setup  ## Grade your exercises of a lab: LAB=<n> (default 1), SUBMISSION=<file> (default labN/exercises/)
	cd shared && ../$(PY) -m grading.grader --lab $(LAB) $(if $(SUBMISSION),--submission $(abspath $(SUBMISSION)))

grade-package: setup  ## Build dist/labN-autograder.zip, LAB=<n>'s Gradescope autograder
	cd shared && ../$(PY) -m grading.package --lab $(LAB)

mutation-check: setup  ## Plant realistic bugs one at a time in a throwaway copy; the tests must catch each (~5 min)
	cd shared && ../$(PY) -m tools.mutation_check

clean-venv:  ## Remove .venv and .venv-serve
	rm -rf $(VENV) $(SERVE_VENV)
