# One entry point per job. A fresh machine needs only: make serve (or make test).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DB := conscience.db
HOST ?= 127.0.0.1
PORT ?= 8001
# CI and publishing build strictly: a missing or altered upstream file fails the build.
STRICT := $(if $(filter true 1,$(CI) $(STRICT)),--strict,)
BUILD_INPUTS := $(shell find raw scripts -type f -not -path '*/__pycache__/*') requirements.txt

.PHONY: install bench-install browser fetch build check serve test test-quick publish bench-build bench bench-hostile bench-profile bench-timeline clean check-withheld

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The benchmarks' own packages (the csvs-to-sqlite baseline, psutil): for make bench, and for the tests that run
# each benchmark at a tiny scale so that none breaks unseen. Never in the published image.
bench-install: $(VENV)/.bench-installed

$(VENV)/.bench-installed: $(VENV)/.installed benchmarks/requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r benchmarks/requirements.txt
	touch $@

# The browser tests drive a system Chromium (Debian's package unless CHROMIUM names another; no browser
# download); CJK fonts let it draw Chinese names. Only what is missing is installed.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL = $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq
browser:
	@test -x "$(CHROMIUM)" || { $(APT_INSTALL) chromium >/dev/null; }
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { $(APT_INSTALL) fonts-noto-cjk >/dev/null; }

fetch: install
	$(BIN)/python -m scripts.read.fetch $(STRICT)

build: $(DB)

$(DB): $(VENV)/.installed $(BUILD_INPUTS)
	$(BIN)/python -m scripts.build $(STRICT)

# What the build will do with one list: make check SOURCE=raw/<id> (a report; non-zero exit on any error).
check: install
	@test -n "$(SOURCE)" || { echo "usage: make check SOURCE=raw/<source id>"; exit 2; }
	$(BIN)/python -m scripts.check $(SOURCE)

serve: $(DB)
	$(BIN)/datasette serve -i $(DB) --metadata metadata.yml --plugins-dir plugins --template-dir templates \
		$$($(BIN)/python -m scripts.settings) --host $(HOST) --port $(PORT)

test: install bench-install browser
	$(BIN)/python -m pytest

# What a maintainer runs while working, in under a minute: everything but the tests marked slow (throwaway builds,
# real servers, Chromium, paging through every row), on every core. `make test` runs them all.
test-quick: install bench-install
	$(BIN)/python -m pytest -m "not slow" -q -n auto

# Deploy to Fly with the pinned versions the tests ran. FLY_APP names the app and FLY_API_TOKEN authorises
# flyctl; PREVIOUS (the live site's conscience.db) lets the build record what changed since the last release.
publish: install
	$(BIN)/python -m scripts.build --strict $(if $(PREVIOUS),--previous $(PREVIOUS)) $(if $(RELEASE_DATE),--release-date $(RELEASE_DATE))
	$(BIN)/python -m scripts.publish deploy

# Search a database (a release about to be published, or the live site's: DB=path) for any trace of the persons
# raw/withheld.csv withholds. Every build does this to the file it writes before it renames it into place.
check-withheld: install
	$(BIN)/python -m scripts.build $(STRICT) --check-withheld $(DB)

bench-build: bench-install
	$(BIN)/python benchmarks/build_time.py

# Scale, speed and load at 10k / 100k / 1M synthetic persons (docs/benchmarks.{json,md}), then the hostile load
# below (docs/hostile.{json,md}). Takes long.
bench: bench-install
	$(BIN)/python benchmarks/scale.py $(if $(SCALES),--scales $(SCALES))
	$(BIN)/python benchmarks/hostile.py

# Each attack of issues 20 and 27 for 60 s (20 hostile clients, 20 readers) against a real server at real scale and
# 1M, held to issue 27's targets; writes docs/hostile.{json,md}. SCALES=real for the real build only; SITE=<another
# checkout> measures its configuration (docs/hostile-<commit>.*).
bench-hostile: bench-install
	$(BIN)/python benchmarks/hostile.py $(if $(SCALES),--scales $(SCALES)) $(if $(SITE),--site $(SITE))

# Where the build spends its CPU, stage by stage, sampled by py-spy (PERSONS=100000 synthetic persons by default;
# SITE=<another checkout> profiles its build, to compare).
bench-profile: bench-install
	$(BIN)/python benchmarks/build_profile.py $(if $(PERSONS),--persons $(PERSONS)) $(if $(SITE),--site $(SITE))

# When each stage of a build runs, in wall-clock seconds (PERSONS=1000000 synthetic persons by default; SITE as above).
bench-timeline: bench-install
	$(BIN)/python benchmarks/build_timeline.py $(if $(PERSONS),--persons $(PERSONS)) $(if $(SITE),--site $(SITE))

clean:
	rm -rf $(DB) $(DB).tmp $(DB).stage* $(DB).fts* $(DB).lock conscience.withholding-report.csv .cache
