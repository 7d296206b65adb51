# The two commands of the README:
#   make demo   set up .venv, build an index of data_samples/ and link the sample mentions
#   make test   set up .venv and run the checks (ruff, mypy, import-linter, pytest)
#   make docs   build docs/ into a site under site/ (MkDocs, the [docs] extra)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint setup clean sapbert biosyn ner docs

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,ray,spark,spacy,bioc,serve,onnx]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/entitylink build-index data_samples/MRCONSO.RRF --out indexes/sample --overwrite
	$(BIN)/entitylink link --index indexes/sample --input data_samples/mentions.txt -k 3

lint: $(STAMP)
	$(BIN)/ruff format --check entitylink tests scripts
	$(BIN)/ruff check entitylink tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

# the README's trained encoder (70 min of training, then about 45 min of evaluation)
sapbert: $(STAMP)
	bash scripts/train_sapbert.sh

# the README's BioSyn-style rows (about 20 min of training per benchmark, then its evaluation)
biosyn: $(STAMP)
	bash scripts/train_biosyn.sh

# the trained mention detector (models/ner) and its end-to-end rows in docs/text.md
ner: $(STAMP)
	bash scripts/train_ner.sh

DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[docs]'
	touch $(DOCS_STAMP)

# the site, offline; --strict turns every warning (a broken link, a page left out of nav) into an error
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) indexes/sample site
