# Front door: `make` (help) lists the targets. On a fresh Debian machine `make build` and
# `make test` do all the set-up: a Docker engine with buildx, the hermetic base images, the test
# tools. The product's own steps are python_deps/ (`python-deps VERB`), which the recipes call.

# The disk make test needs free before it starts, measured (reports/disk.json: its peak, plus a
# margin); TEST_SCRATCH_GB of it under the temporary folder (the tests' registry and second
# engine), checked there where that is another filesystem than the engine's. 0 skips the check.
TEST_DISK_GB    ?= 30
TEST_SCRATCH_GB ?= 6

# `make` alone prints this help, from the `##` note beside each target; it takes no lock.
ifeq ($(or $(MAKECMDGOALS),help),help)
.PHONY: help
help: ## this list
	@echo 'Usage: make TARGET [NAME=VALUE...]   (README.md; docker-bake.hcl for the bake variables)'
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  %-15s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo 'Common: CELL=spark-X.Y-python-A.B  PLATFORM_PROFILE=local|test|release  BAKE_GROUP=GROUP'
else ifndef CHECKOUT_LOCK
# One make at a time in a checkout: a second would write the same root filesystems, images and
# reports. The make you type takes the lock (scripts/checkout-lock.py) and runs its goals in a make
# of its own under it; a second one meanwhile stops at once, naming the first.
export CHECKOUT_LOCK := $(CURDIR)/.make.lock
goals := $(MAKECMDGOALS)
busy := $(shell python3 scripts/checkout-lock.py --busy $(CHECKOUT_LOCK))
$(if $(busy),$(error $(busy)))
# make test's first check, before the lock: the free disk it needs (scripts/disk-space.py).
ifneq ($(filter test,$(goals)),)
too_small := $(shell scripts/disk-space.py check $(TEST_DISK_GB) $(TEST_SCRATCH_GB) 2>&1)
$(if $(too_small),$(error $(too_small)))
endif
.PHONY: $(goals)
$(firstword $(goals)):
	@python3 scripts/checkout-lock.py $(CHECKOUT_LOCK) $(MAKE) --no-print-directory $(MAKECMDGOALS)
ifneq ($(words $(goals)),1)
$(wordlist 2,$(words $(goals)),$(goals)):
	@:
endif
else

# The cell `make build CELL=...` builds, spark-X.Y-python-A.B: its variants that need no GPU.
CELL           ?=
BAKE_GROUP     ?= $(if $(CELL),cell,ci)
# Which images are built for which platforms (platform_profiles() in docker-bake.hcl): test also
# builds the default cell's (or CELL's) base and iceberg images for the foreign platform, local
# the engine's platform alone, release every image on both. PLATFORMS, when set, for every image.
PLATFORM_PROFILE ?= test
PLATFORMS      ?=
# The host's CA bundle, for builds behind a TLS-intercepting proxy; empty where there is none.
CA_BUNDLE      ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
PYTEST_ARGS    ?= -n auto --dist worksteal -m 'not slow' --durations=25 --junitxml=reports/junit.xml
# Where a green make test records what it tested, for make publish; empty for no record.
RECORD_TESTED  ?= reports/tested.json
# Extra flags for every bake, e.g. --set=*.cache-to= for a read-only user of CACHE_REGISTRY.
BAKE_FLAGS     ?=
BENCH_VARIANTS ?= base,iceberg
# --no-foreign leaves out the foreign platform's cold build (the naive one runs pip under QEMU).
BENCH_FLAGS    ?=
# make lock and make upgrade: which cells (CELLS=spark-4.3-python-3.13,...), how many lock folders
# at once, and for make upgrade the packages to move (PACKAGES="pyarrow requests"; all if empty).
CELLS          ?=
JOBS           ?=
PACKAGES       ?=
# What must pass for make upgrade's new locks to stay.
UPGRADE_PROOF  ?= $(MAKE) --no-print-directory test
# A folder written by `make wheelhouse`: when set, the variants install from it alone, with no network.
WHEELHOUSE     ?=
# Image labels: the source revision ("-dirty" with uncommitted changes) and where it lives.
REVISION       ?= $(shell git describe --always --dirty --abbrev=40 --exclude='*' 2>/dev/null)
SOURCE_URL     ?= $(shell git remote get-url origin 2>/dev/null)
# The images' creation time is the commit's: the same commit built twice gives the same images.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)

# The release (python_deps/release.py, whose defaults apply where these are empty): the bake
# groups whose cells are released, the legs' records, where they push to; LEG_KIND gpu for a
# cell's images that need a device, LEG_PYTEST_ARGS its tests.
RELEASE_GROUP   ?=
RELEASE_RECORDS ?=
STAGING         ?=
LEG_KIND        ?= images
LEG_PYTEST_ARGS ?=
release_options = $(if $(RELEASE_GROUP),--group "$(RELEASE_GROUP)") $(if $(RELEASE_RECORDS),--records "$(RELEASE_RECORDS)")
# Base targets to make in place of those BAKE_GROUP needs, e.g. python-base-py313 for a release leg.
BASE_TARGETS    ?=

# BAKE_FLAGS too: the test harness's bakes and the release legs' add them to their own.
export CELL BAKE_GROUP PLATFORM_PROFILE PLATFORMS CA_BUNDLE WHEELHOUSE REVISION SOURCE_URL SOURCE_DATE_EPOCH BAKE_FLAGS

VENV   := .venv
TOOLS_LOCK := docker/docker-intermediate/python-deps/locks/tools.txt
# What BAKE_GROUP builds on (python_deps/bases.py), read once, on first use: a refusal stops make
# here, before anything is made. The variables are passed explicitly: $(shell) gets make's own
# environment, not what it exports.
bake_variables = $(foreach name,CELL PLATFORMS PLATFORM_PROFILE BASE_IMAGES SPARK_VERSION PYTHON_VERSION,$(if $(filter-out undefined,$(origin $(name))),$(name)='$($(name))'))
PLAN = $(eval PLAN := $(shell $(bake_variables) python3 -m python_deps bases plan $(if $(BASE_TARGETS),--base-targets '$(BASE_TARGETS)') $(BAKE_GROUP) 2>&1))$(if $(filter-out 0,$(.SHELLSTATUS)),$(error $(PLAN)))$(PLAN)
plan = $(patsubst $(1):%,%,$(filter $(1):%,$(PLAN)))
ENGINE_PLATFORM = $(call plan,engine)
FOREIGN_PLATFORMS = $(filter-out $(ENGINE_PLATFORM),$(call plan,platform))
ROOTFS = $(call plan,native-rootfs) $(call plan,foreign-rootfs)
missing_rootfs = $(strip $(filter-out $(wildcard $(ROOTFS)),$(ROOTFS)))
# Bake refuses to read a secret file or a context outside the working directory unless allowed.
BAKE_ALLOW := $(if $(CA_BUNDLE),--allow=fs.read=$(dir $(abspath $(CA_BUNDLE)))) \
              $(if $(WHEELHOUSE),--allow=fs=$(abspath $(WHEELHOUSE)))

# Names the phase a make test is in, for its time and disk figures (scripts/disk-space.py).
phase = $(if $(DISK_WATCH_PHASE_FILE),echo '$(1)' >'$(DISK_WATCH_PHASE_FILE)',:)

.PHONY: build native-build spark-runtime test test-slow test-steps lint publish release-matrix release-leg release-merge test-matrix sizes bench wheelhouse sbom check-pair lock check-lock upgrade engine emulation bases venv clean

# A foreign platform's root filesystems take minutes under emulation (debian-rootfs.sh): the
# engine's platform builds meanwhile, then the foreign platforms, the engine's cached.
build: emulation ## BAKE_GROUP (ci; CELL's variants where CELL is set) and the bases it needs
	@$(call phase,engine platform images + foreign rootfs)
	$(MAKE) --no-print-directory --jobs=3 native-build $(filter $(call plan,foreign-rootfs),$(missing_rootfs))
	@$(call phase,images for every platform)
	$(if $(FOREIGN_PLATFORMS),$(MAKE) --no-print-directory bases)
	$(if $(FOREIGN_PLATFORMS),docker buildx bake $(BAKE_ALLOW) $(BAKE_FLAGS) $(BAKE_GROUP))

# The engine's platform alone, the part of make build that needs no foreign root filesystem.
native-build:
	$(MAKE) --no-print-directory bases PLATFORMS= PLATFORM_PROFILE=local
	PLATFORMS= PLATFORM_PROFILE=local docker buildx bake $(BAKE_ALLOW) $(BAKE_FLAGS) $(BAKE_GROUP)

# On a connected machine; WHEELHOUSE_VARIANTS=python-deps,python-deps-iceberg leaves out RAPIDS.
wheelhouse: WHEELHOUSE := $(or $(WHEELHOUSE),wheelhouse)
wheelhouse: BAKE_GROUP := wheelhouse
wheelhouse: bases ## every file the default cell's locks name, for building with no network
	docker buildx bake $(BAKE_ALLOW) wheelhouse

# The runtime image on CELL's python-deps (or the default cell's), built as a user's own bake file
# builds it: examples/spark-runtime (docs/kubernetes.md).
spark-runtime: BAKE_GROUP := python-deps
spark-runtime: bases ## the Spark-on-Kubernetes runtime image of the cell (examples/spark-runtime)
	docker buildx bake $(BAKE_ALLOW) $(BAKE_FLAGS) -f docker-bake.hcl -f docker-bake.json -f examples/spark-runtime/docker-bake.hcl spark-runtime

# Each image of the cell (built if it is not), for its PLATFORM_PROFILE platforms:
# reports/sbom/IMAGE/CELL/linux_ARCH/sbom.cdx.json, then the licences they declare.
sbom: BAKE_GROUP := all
sbom: bases venv ## a CycloneDX SBOM of each image of the cell, per platform, in reports/sbom/
	docker buildx bake $(BAKE_ALLOW) $(BAKE_FLAGS) sbom
	$(VENV)/bin/python -m python_deps sbom reports/sbom

# Checked for the free disk it needs (TEST_DISK_GB), then linted, built and tested under
# scripts/disk-space.py (each phase's time and disk: reports/disk.json); a green run records the
# digests it tested in RECORD_TESTED, for make publish.
test: ## lint, build, then the test suite against the images (reports/)
	@scripts/disk-space.py watch reports/disk.json "engine and host tools" -- $(MAKE) --no-print-directory test-steps

# Phases are marked here, in build's recipe and by the harness (test images, tests). The record's
# option in one word: pytest would read a separate FILE as a path to test.
test-steps: lint build
	@$(call phase,test tools)
	scripts/apt-install.sh "the registry tests" docker-registry iproute2
	scripts/ensure-oras.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS) --trim-build-cache $(if $(RECORD_TESTED),--record-tested=$(RECORD_TESTED))

# The tests marked slow, each building images of its own (a release's legs, clean and offline
# rebuilds, the registry cache, another Python's executors), on what make test built; CI runs both.
test-slow: PYTEST_ARGS := -n auto --dist worksteal -m slow --durations=10 --junitxml=reports/junit-slow.xml
test-slow: RECORD_TESTED :=
test-slow: test-steps ## the slow tests make test leaves out (reports/junit-slow.xml)

# The house style, by tools: ruff formats and lints Python (pyproject.toml), shellcheck the shell
# scripts, hadolint the Dockerfiles (.hadolint.yaml), actionlint the workflows.
SHELL_SCRIPTS := $(wildcard scripts/*.sh examples/*/*.sh) .ci/run $(addprefix docker/docker-intermediate/python-deps/,install-locked check-base explain-failure)
DOCKERFILES   := $(wildcard docker/*/*/Dockerfile tests/images/*/Dockerfile examples/*/Dockerfile)
lint: venv ## ruff, shellcheck, hadolint, actionlint
	$(VENV)/bin/ruff format --check --diff
	$(VENV)/bin/ruff check
	$(VENV)/bin/shellcheck $(SHELL_SCRIPTS)
	$(VENV)/bin/hadolint --config .hadolint.yaml $(DOCKERFILES)
	$(VENV)/bin/actionlint -shellcheck=$(VENV)/bin/shellcheck

# Nothing is built: refused if the images changed since the test run or it did not pass.
publish: venv ## push exactly the images the last green make test tested, by digest, to REGISTRY
	@test -n "$(REGISTRY)" || { echo "make publish: set REGISTRY, e.g. make publish REGISTRY=ghcr.io/acme/" >&2; exit 2; }
	scripts/ensure-oras.sh
	$(VENV)/bin/python -m python_deps publish $(REGISTRY)

# The release, fanned out over runners (docs/release.md). A leg builds and tests on the bases
# already made (the workflow runs make bases BASE_TARGETS=... as root first), then pushes by
# digest; the merge copies by digest and tags. --group is bake's.
release-matrix: venv ## the release's legs as a GitHub Actions matrix (JSON on stdout)
	@$(VENV)/bin/python -m python_deps release matrix $(if $(RELEASE_GROUP),--group "$(RELEASE_GROUP)")

release-leg: venv ## build, test and stage one leg: CELL=... PLATFORM=linux/arm64 STAGING=...
	@test -n "$(CELL)" -a -n "$(PLATFORM)" || { echo "make release-leg: set CELL and PLATFORM, e.g. make release-leg CELL=spark-4.0-python-3.11 PLATFORM=linux/arm64 STAGING=ghcr.io/acme/staging/" >&2; exit 2; }
	scripts/ensure-emulation.sh $(PLATFORM)
	$(if $(STAGING),scripts/ensure-oras.sh)
	$(VENV)/bin/python -m python_deps release leg --cell $(CELL) --platform $(PLATFORM) --kind $(LEG_KIND) --staging "$(STAGING)" $(release_options) $(if $(LEG_PYTEST_ARGS),--pytest-args "$(LEG_PYTEST_ARGS)")

release-merge: venv ## index, promote and tag the legs' tested digests: STAGING=... REGISTRY=...
	@test -n "$(STAGING)" -a -n "$(REGISTRY)" || { echo "make release-merge: set STAGING and REGISTRY, e.g. make release-merge STAGING=ghcr.io/acme/staging/ REGISTRY=ghcr.io/acme/" >&2; exit 2; }
	scripts/ensure-oras.sh
	$(VENV)/bin/python -m python_deps release merge --staging "$(STAGING)" --production "$(REGISTRY)" $(release_options)

# One cell at a time: build, the tests of its images, then its images go (reports/matrix.json).
# CELLS=spark-4.0-python-3.11,... picks cells, VARIANTS=python-deps,python-deps-iceberg variants.
test-matrix: BAKE_GROUP := matrix
test-matrix: bases venv ## build and test every cell built here, one at a time
	$(VENV)/bin/python -m python_deps prove $(if $(CELLS),--cells $(CELLS)) $(if $(VARIANTS),--variants $(VARIANTS))

sizes: build venv ## bytes per image and layer (reports/sizes.json)
	mkdir -p reports && $(VENV)/bin/python -m python_deps sizes --json reports/sizes.json

# Naive and ours side by side: cold builds, rebuilds after edits, pulls, imports, the executor
# cold start, layer compressions (benchmarks/; empties the build cache). Tables and reports/.
bench: BAKE_GROUP := all
bench: bases venv ## our build against the spec's naive one (benchmarks/)
	scripts/apt-install.sh "the pull benchmarks" docker-registry iproute2
	$(VENV)/bin/python benchmarks/rebuild.py --variants $(BENCH_VARIANTS) $(BENCH_FLAGS)
	$(VENV)/bin/python benchmarks/executor_start.py
	$(VENV)/bin/python benchmarks/compression.py

check-pair: venv ## whether DRIVER=IMAGE and EXECUTOR=IMAGE can run one Spark job (labels)
	@test -n "$(DRIVER)" -a -n "$(EXECUTOR)" || { echo "make check-pair: set DRIVER and EXECUTOR, e.g. make check-pair DRIVER=spark-k8s-python-deps:spark-4.3-python-3.13 EXECUTOR=my-executor:1.2" >&2; exit 2; }
	$(VENV)/bin/python -m python_deps labels $(DRIVER) $(EXECUTOR)

lock_options = $(if $(CELLS),--cells $(CELLS)) $(if $(JOBS),--jobs $(JOBS))
lock: venv ## re-resolve the locks an edit touched (CELLS=..., JOBS=N; FULL=1 all of them)
	$(VENV)/bin/python -m python_deps lock $(lock_options) $(if $(FULL),--full)

check-lock: venv ## fail if a lock is stale against its inputs
	$(VENV)/bin/python -m python_deps lock --check $(lock_options) $(if $(FULL),--full)

upgrade: engine venv ## move PACKAGES="a b" (or every pin), show what moved, prove it by make test
	$(VENV)/bin/python -m python_deps upgrade $(foreach package,$(PACKAGES),--package $(package)) $(lock_options) --proof "$(UPGRADE_PROOF)"

# What the build installs on this machine, in one step before anything runs in parallel (every
# install goes through scripts/apt-install.sh, which is safe to run concurrently all the same).
engine: ## a Docker engine with buildx where none answers, and the root filesystems' tools
	scripts/ensure-docker.sh
	scripts/debian-rootfs.sh --install-tools

# QEMU for the foreign platforms the build targets (read from bake, so after the engine).
emulation: engine
	scripts/ensure-emulation.sh $(FOREIGN_PLATFORMS)

# The hermetic bases BAKE_GROUP builds on (or BASE_TARGETS), for its platforms alone, tagged
# spark-k8s-python-A.B:latest; then a check that every base it needs is here or pullable.
bases: emulation ## the hermetic base images BAKE_GROUP builds on (or BASE_TARGETS=...)
	$(if $(missing_rootfs),$(MAKE) --no-print-directory $(missing_rootfs))
	$(if $(call plan,base),docker buildx bake --progress=quiet $(BAKE_FLAGS) $(call plan,base) $(addprefix --set=,$(call plan,set)))
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
