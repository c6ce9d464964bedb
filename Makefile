# vae-course: `make course` runs the course, `make test` tests it. See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SLOW   ?= 0
export SLOW
# TORCH_INDEX: a package index to take torch and torchvision from before the rest, e.g. PyTorch's
# CPU-only wheels on a laptop without a GPU (a few hundred MB instead of ~3 GB of CUDA wheels):
#   make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
# Empty (the default): torch comes with the other requirements, from pip's usual indexes.
TORCH_INDEX ?=
# torch's and torchvision's version ranges, read from settings.ini's requirements (one source).
TORCH_SPECS := $(shell sed -n 's/^requirements *= *//p' settings.ini | tr ' ' '\n' | grep -E '^torch(vision)?([<>=!~]|$$)')

.PHONY: help install course test slow docs bench sync export pretrained reproduce clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The virtual environment is (re)built whenever the requirements in settings.ini change.
$(BIN)/.installed: settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null
ifneq ($(strip $(TORCH_INDEX)),)
	$(BIN)/python -m pip install --index-url "$(TORCH_INDEX)" $(foreach s,$(TORCH_SPECS),'$(s)')
endif
	$(BIN)/python -m pip install -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

install: $(BIN)/.installed  ## create or update the virtual environment in .venv/ (TORCH_INDEX=URL: torch from that index first)

course: install  ## execute every notebook in order, saving outputs (SLOW=1 also runs `#| slow` cells)
	$(BIN)/python tools/run_notebooks.py
	$(BIN)/nbdev_clean
	$(BIN)/nbdev_export
	$(BIN)/jupytext --sync nbs/*.ipynb >/dev/null

# nbdev_test runs two notebooks at a time; one OpenMP thread each avoids two processes' thread
# pools fighting over the same cores (which can slow PyTorch down many times over).
test: install  ## fast tests: notebook/twin/package sync, every notebook (nbdev_test), then pytest
	$(BIN)/python tools/check_sync.py
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --timing
	$(BIN)/python -m pytest -q tests

slow: install  ## run the notebooks with the `#| slow` cells too (the headline numbers)
	$(BIN)/nbdev_test --n_workers 1 --flags slow --timing

# nbdev_docs renders nbs/ (configuration: _quarto.yml, read through the link nbs/_quarto.yml) into
# _docs/. It leaves README.md alone: settings.ini's readme_nb names no notebook (README.md is
# written by hand); the recipe checks that, and restores README.md if it ever changes.
docs: install  ## build the website in _docs/ with nbdev_docs: needs Quarto (https://quarto.org), not pip-installable
	@command -v quarto >/dev/null || { echo "make docs needs Quarto on PATH: install it from https://quarto.org/docs/get-started/"; exit 2; }
	@cp README.md .README.md.before-docs; $(BIN)/nbdev_docs; rc=$$?; \
	if ! cmp -s README.md .README.md.before-docs; then mv .README.md.before-docs README.md; \
	  echo "nbdev_docs changed README.md (see readme_nb in settings.ini): restored the hand-written one"; exit 1; fi; \
	rm -f .README.md.before-docs; exit $$rc

bench: install  ## run every benchmark in bench/ (each prints its headline figure last)
	@set -e; for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b; done

sync: install  ## bring notebooks and their Markdown twins in md/ in line (newer side wins)
	$(BIN)/jupytext --sync nbs/*.ipynb md/*.md

export: install  ## export the package from the notebooks and clean them
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

pretrained: install  ## retrain the shipped models (vae_course/pretrained/) and the site's decoder files (nbs/explorer_*.json)
	nice -n 10 $(BIN)/python tools/make_pretrained.py

# make reproduce continues the runs kept in results/burda/ (one checkpoint per run, resumed across sessions).
# ROWS: rows of Table 1 (default: the one-layer rows; vae2_k1 iwae2_k5 iwae2_k50 are the two-layer ones; vae_k5 vae_k50 vae2_k5 vae2_k50 the VAE trained with k samples);
# BATCH: the training batch (default: the paper's 20); BUDGET_HOURS: training per row in this session.
REPRO_OUT ?= results/burda
BATCH     ?= 20
reproduce: install  ## notebook 06: Burda et al. Table 1 on the full schedule, resumable, + k=5000 evaluation (ROWS=, BATCH=, BUDGET_HOURS=)
	nice -n 10 $(BIN)/python tools/reproduce_iwae.py --out $(REPRO_OUT) --batch-size $(BATCH) $(if $(ROWS),--rows $(ROWS)) $(if $(BUDGET_HOURS),--budget-hours $(BUDGET_HOURS))

clean:  ## remove build outputs (keeps .venv)
	rm -rf _proc _docs nbs/.quarto build dist *.egg-info
