# `make` lists the targets. On a fresh Debian machine `make build` and `make test` do all the
# set-up. Each recipe calls one tool: the product's verbs (`python-deps VERB`, python_deps/) or a
# machine set-up script (scripts/); the policies (labels, CA bundle, disk, lock) are decided there.

ifeq ($(or $(MAKECMDGOALS),help),help)
help: ## this list
	@echo 'Usage: make TARGET [NAME=VALUE...]   (README.md; docker-bake.hcl for the bake variables)'
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  %-15s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo 'Common: CELL=spark-X.Y-python-A.B  PLATFORM_PROFILE=local|test|release  BAKE_GROUP=GROUP'
else ifndef CHECKOUT_LOCK
# Your make runs its goals in a make under the checkout's lock; make test checks the disk first.
export CHECKOUT_LOCK := $(CURDIR)/.make.lock
busy := $(shell python3 -m python_deps checkout-lock --busy $(CHECKOUT_LOCK))
$(if $(busy),$(error $(busy)))
too_small := $(if $(filter test,$(MAKECMDGOALS)),$(shell TEST_DISK_GB='$(TEST_DISK_GB)' TEST_SCRATCH_GB='$(TEST_SCRATCH_GB)' python3 -m python_deps disk check 2>&1))
$(if $(too_small),$(error $(too_small)))
.PHONY: $(MAKECMDGOALS)
$(firstword $(MAKECMDGOALS)):
	@python3 -m python_deps checkout-lock $(CHECKOUT_LOCK) $(MAKE) --no-print-directory $(MAKECMDGOALS)
$(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS)):
	@:
else
# Bake variables (docker-bake.hcl): CELL=spark-X.Y-python-A.B, the profile or PLATFORMS, a
# WHEELHOUSE folder to build from with no network, BAKE_FLAGS added to every bake.
BAKE_GROUP       ?= $(if $(CELL),cell,ci)
PLATFORM_PROFILE ?= test
export CELL BAKE_GROUP PLATFORM_PROFILE PLATFORMS WHEELHOUSE BAKE_FLAGS
PYTEST_ARGS      ?= -n auto --dist worksteal -m 'not slow' --durations=25 --junitxml=reports/junit.xml
# Where a green make test records what it tested, for make publish; empty for no record.
RECORD_TESTED    ?= reports/tested.json
VENV       := .venv
CLI        := $(VENV)/bin/python -m python_deps
BAKE       := python3 -m python_deps bake
TOOLS_LOCK := docker/docker-intermediate/python-deps/locks/tools.txt
# What BAKE_GROUP builds on, read once on first use: a refusal stops make before anything is
# made. The variables are passed as $(shell) gets make's own environment, not what it exports.
bake_variables = $(foreach name,CELL PLATFORMS PLATFORM_PROFILE BASE_IMAGES SPARK_VERSION PYTHON_VERSION,$(if $(filter-out undefined,$(origin $(name))),$(name)='$($(name))'))
PLAN = $(eval PLAN := $(shell $(bake_variables) python3 -m python_deps bases plan $(if $(BASE_TARGETS),--base-targets '$(BASE_TARGETS)') $(BAKE_GROUP) 2>&1))$(if $(filter-out 0,$(.SHELLSTATUS)),$(error $(PLAN)))$(PLAN)
plan = $(patsubst $(1):%,%,$(filter $(1):%,$(PLAN)))
FOREIGN_PLATFORMS = $(filter-out $(call plan,engine),$(call plan,platform))
ROOTFS = $(call plan,native-rootfs) $(call plan,foreign-rootfs)
missing_rootfs = $(strip $(filter-out $(wildcard $(ROOTFS)),$(ROOTFS)))
phase = $(if $(DISK_WATCH_PHASE_FILE),echo '$(1)' >'$(DISK_WATCH_PHASE_FILE)',:)

.PHONY: build native-build spark-runtime test test-slow test-steps lint publish release-matrix release-leg release-merge test-matrix sizes bench wheelhouse sbom check-pair lock check-lock upgrade engine emulation bases venv clean

# The engine's platform builds while the foreign root filesystems are made under emulation.
build: emulation ## BAKE_GROUP (ci; CELL's variants where CELL is set) and the bases it needs
	@$(call phase,engine platform images + foreign rootfs)
	$(MAKE) --no-print-directory --jobs=3 native-build $(filter $(call plan,foreign-rootfs),$(missing_rootfs))
	@$(call phase,images for every platform)
	$(if $(FOREIGN_PLATFORMS),$(MAKE) --no-print-directory bases)
	$(if $(FOREIGN_PLATFORMS),$(BAKE) $(BAKE_GROUP))

native-build:
	$(MAKE) --no-print-directory bases PLATFORMS= PLATFORM_PROFILE=local
	PLATFORMS= PLATFORM_PROFILE=local $(BAKE) $(BAKE_GROUP)
wheelhouse: WHEELHOUSE := $(or $(WHEELHOUSE),wheelhouse)
wheelhouse: BAKE_GROUP := wheelhouse
wheelhouse: bases ## the files the default cell's locks name, to build with no network (docs/)
	BAKE_FLAGS= $(BAKE) wheelhouse

spark-runtime: BAKE_GROUP := python-deps
spark-runtime: bases ## the Spark-on-Kubernetes runtime image of the cell (examples/spark-runtime)
	$(BAKE) -f docker-bake.hcl -f docker-bake.json -f examples/spark-runtime/docker-bake.hcl spark-runtime

sbom: BAKE_GROUP := all
sbom: bases venv ## a CycloneDX SBOM of each image of the cell, per platform, in reports/sbom/
	$(BAKE) sbom
	$(CLI) sbom reports/sbom

test: ## lint, build, then the test suite against the images (reports/)
	@python3 -m python_deps disk watch reports/disk.json "engine and host tools" -- $(MAKE) --no-print-directory test-steps
test-steps: lint build
	@$(call phase,test tools)
	scripts/apt-install.sh "the registry tests" docker-registry iproute2
	scripts/ensure-oras.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS) --trim-build-cache $(if $(RECORD_TESTED),--record-tested=$(RECORD_TESTED))

test-slow: PYTEST_ARGS := -n auto --dist worksteal -m slow --durations=10 --junitxml=reports/junit-slow.xml
test-slow: RECORD_TESTED :=
test-slow: test-steps ## the slow tests make test leaves out, each building images (CI runs both)

lint: venv ## ruff, shellcheck, hadolint, actionlint
	$(VENV)/bin/ruff format --check --diff
	$(VENV)/bin/ruff check
	$(VENV)/bin/shellcheck $(wildcard scripts/*.sh examples/*/*.sh) .ci/run $(addprefix docker/docker-intermediate/python-deps/,install-locked check-base explain-failure)
	$(VENV)/bin/hadolint --config .hadolint.yaml $(wildcard docker/*/*/Dockerfile tests/images/*/Dockerfile examples/*/Dockerfile)
	$(VENV)/bin/actionlint -shellcheck=$(VENV)/bin/shellcheck

publish: venv ## push exactly the images the last green make test tested, by digest, to REGISTRY
	$(if $(REGISTRY),scripts/ensure-oras.sh)
	$(CLI) publish
release-matrix: venv ## the release's legs as a GitHub Actions matrix (JSON on stdout)
	@$(CLI) release matrix
release-leg: venv ## build, test and stage one leg: CELL=... PLATFORM=linux/arm64 STAGING=...
	$(if $(CELL),$(if $(PLATFORM),scripts/ensure-emulation.sh $(PLATFORM)))
	$(if $(STAGING),scripts/ensure-oras.sh)
	$(CLI) release leg
release-merge: venv ## index, promote and tag the legs' tested digests: STAGING=... REGISTRY=...
	$(if $(STAGING),$(if $(REGISTRY),scripts/ensure-oras.sh))
	$(CLI) release merge

test-matrix: BAKE_GROUP := matrix
test-matrix: bases venv ## build and test every cell built here, one at a time (CELLS=, VARIANTS=)
	$(CLI) prove
sizes: build venv ## bytes per image and layer (reports/sizes.json)
	$(CLI) sizes --json reports/sizes.json

bench: BAKE_GROUP := all
bench: bases venv ## our build against the spec's naive one (benchmarks/; empties the build cache)
	scripts/apt-install.sh "the pull benchmarks" docker-registry iproute2
	$(VENV)/bin/python benchmarks/rebuild.py $(BENCH_FLAGS)
	$(VENV)/bin/python benchmarks/executor_start.py
	$(VENV)/bin/python benchmarks/compression.py

check-pair: venv ## whether DRIVER=IMAGE and EXECUTOR=IMAGE can run one Spark job (labels)
	$(CLI) labels
lock: venv ## re-resolve the locks an edit touched (CELLS=..., JOBS=N; FULL=1 all of them)
	$(CLI) lock
check-lock: venv ## fail if a lock is stale against its inputs
	$(CLI) lock --check
upgrade: engine venv ## move PACKAGES="a b" (or every pin), show what moved, prove it by make test
	$(CLI) upgrade

engine: ## a Docker engine with buildx where none answers, and the root filesystems' tools
	scripts/ensure-docker.sh
	scripts/debian-rootfs.sh --install-tools

emulation: engine
	scripts/ensure-emulation.sh $(FOREIGN_PLATFORMS)
bases: emulation ## the hermetic base images BAKE_GROUP builds on (or BASE_TARGETS=...)
	$(if $(missing_rootfs),$(MAKE) --no-print-directory $(missing_rootfs))
	$(if $(call plan,base),$(BAKE) --progress=quiet $(call plan,base) $(addprefix --set=,$(call plan,set)))
	$(if $(BASE_TARGETS),,python3 -m python_deps bases check $(BAKE_GROUP))

venv: $(VENV)/.installed ## the tools and this project's CLI (.venv/bin/python-deps) in .venv
$(VENV)/.installed: pyproject.toml $(TOOLS_LOCK)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r $(TOOLS_LOCK)
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python --group test --group lint --editable .
	touch $@

docker/docker-base/python-debian/rootfs-%.tar: scripts/debian-rootfs.sh
	scripts/debian-rootfs.sh $(firstword $(subst -, ,$*)) $(lastword $(subst -, ,$*)) $@

clean: ## remove .venv, the root filesystems and reports/
	rm -rf $(VENV) docker/docker-base/python-debian/rootfs-*.tar* reports

endif
