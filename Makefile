# Front door. On a fresh Debian machine `make build` and `make test` do all the set-up: a Docker
# engine with buildx (scripts/ensure-docker.sh), the hermetic base images, the test tools.
#
#   make build    bake the hermetic bases, then BAKE_GROUP (default ci: the cells CI tests) for
#                 the platforms of PLATFORM_PROFILE (default test: the default cell's base and
#                 iceberg images for linux/amd64 and linux/arm64, the rest for the engine's own)
#   make test     check the free disk, lint, build, then run the test suite against the images
#                 (reports/junit.xml), record what passed for make publish, and the disk and
#                 time each phase took (reports/disk.json)
#   make lint     ruff (format and lint), shellcheck, hadolint, actionlint
#   make publish REGISTRY=host/ns/  push exactly the images the last green test run tested
#   make test-matrix  build and test every cell of the matrix group, one cell at a time
#   make sizes    size report per image and layer (reports/sizes.json)
#   make lock     re-resolve the lock files after editing a requirements-*.txt or spark-lines/*.txt
#                 (only the cells an edit touches; FULL=1 all of them, e.g. after a change to
#                 python_deps/lock.py)
#   make check-lock  fail if a lock is stale against its inputs (also a test; FULL=1 re-resolves all)
#   make upgrade  every lock to the newest versions its inputs allow, a table of what moved, then
#                 make test (UPGRADE_PROOF); the new locks stay only if it passes
#   make bench    our build against the spec's naive one: cold builds (amd64 and arm64), rebuilds
#                 after edits, cold pulls, imports; then layer compressions (benchmarks/; empties
#                 the build cache)
#   make wheelhouse  every file the default cell's locks name, for building with no network
#   make sbom     a CycloneDX SBOM of each image of the default cell, per platform, in reports/sbom/
#   make check-pair DRIVER=IMAGE EXECUTOR=IMAGE  whether a Spark driver and its executors of these
#                 images run one Spark line and Python, from their labels (nothing is run)
#   make release-matrix  the release's legs, one per cell and platform, as a GitHub Actions matrix
#   make release-leg CELL=spark-4.0-python-3.11 PLATFORM=linux/arm64 STAGING=host/ns/staging/
#                 build and test one leg, push the tested images by digest to STAGING, record it
#   make release-merge STAGING=host/ns/staging/ REGISTRY=host/ns/  from the legs' records: one
#                 index per image and cell, promoted by digest, tagged (docs/release.md)
#
# BAKE_GROUP is any group or target of docker-bake.hcl, or several: ci, matrix, all (the default
# cell), python-deps-iceberg-spark35-py311... The cells of a Python with a hermetic base
# (docker-bake.hcl) build on the Debian bases made here; the others on an image of yours:
# BASE_IMAGES=3.12=python:3.12-slim-bookworm. The product's own code is python_deps/, whose
# commands these targets run (python -m python_deps).

# The disk make test needs free before it starts, measured (reports/disk.json: its peak, plus a
# margin); TEST_SCRATCH_GB of it under the temporary folder (the tests' registry and second
# engine), checked there where that is another filesystem than the engine's. 0 skips the check.
TEST_DISK_GB    ?= 30
TEST_SCRATCH_GB ?= 6

# One make at a time in a checkout: a second one started while the first is at work (a second
# terminal, an impatient re-run) would write the same root filesystems, images and reports. The
# make you type only takes the checkout's lock (scripts/checkout-lock.py) and runs its goals in a
# make of its own under it; a second one meanwhile stops at once, naming the first.
ifndef CHECKOUT_LOCK
export CHECKOUT_LOCK := $(CURDIR)/.make.lock
goals := $(or $(MAKECMDGOALS),build)
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

BAKE_GROUP     ?= ci
# Which images are built for which platforms (platform_profiles() in docker-bake.hcl): test tests
# the images most users pull on amd64 and arm64, and make build builds them so, the foreign
# platform's root filesystem (minutes under emulation) written while the engine's platform
# builds; local is the engine's platform alone, release every image on both. PLATFORMS, when set,
# for every image. Foreign platforms build their installs natively and run their checks under
# QEMU (scripts/ensure-emulation.sh sets it up).
PLATFORM_PROFILE ?= test
PLATFORMS      ?=
ENGINE_PLATFORM := linux/$(shell uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
# The host's CA bundle, for builds behind a TLS-intercepting proxy; empty where there is none.
CA_BUNDLE      ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
PYTEST_ARGS    ?= -n auto --dist worksteal --durations=25 --junitxml=reports/junit.xml
# Where a green make test records what it tested, for make publish; empty for no record.
RECORD_TESTED  ?= reports/tested.json
# Extra flags for every bake, e.g. --set=*.cache-to= for a read-only user of CACHE_REGISTRY.
BAKE_FLAGS     ?=
BENCH_VARIANTS ?= base,iceberg
# --no-foreign leaves out the foreign platform's cold build (the naive one runs pip under QEMU: an hour here).
BENCH_FLAGS    ?=
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
# groups whose cells are released (offered), the legs' records (reports/release/legs), where
# they push to; LEG_KIND gpu for a cell's images that need a device, LEG_PYTEST_ARGS its tests
# (-n auto --dist worksteal -m cell).
RELEASE_GROUP   ?=
RELEASE_RECORDS ?=
STAGING         ?=
LEG_KIND        ?= images
LEG_PYTEST_ARGS ?=
release_options = $(if $(RELEASE_GROUP),--group "$(RELEASE_GROUP)") $(if $(RELEASE_RECORDS),--records "$(RELEASE_RECORDS)")
# The hermetic bases make bases builds: all of them, or one's target (python-base-py313), as a
# release leg needs.
BASE_TARGETS    ?= bases

# BAKE_FLAGS too: the test harness's bakes and the release legs' add them to their own.
export BAKE_GROUP PLATFORM_PROFILE PLATFORMS CA_BUNDLE WHEELHOUSE REVISION SOURCE_URL SOURCE_DATE_EPOCH BAKE_FLAGS

VENV   := .venv
TOOLS_LOCK := docker/docker-intermediate/python-deps/locks/tools.txt
# The platforms and Debian suites of the hermetic bases that BAKE_GROUP's profile builds, as bake
# evaluates them ("SUITE PLATFORM" pairs), the engine's platform with each suite too: its virtual
# environments are made there. Read once the engine is up (the recipes that use them run after);
# the variables passed explicitly: $(shell) gets make's own environment, not what it exports.
# Read on first use and kept (the eval), not once for every variable below that names it.
BASES = $(eval BASES := $(shell PLATFORMS='$(PLATFORMS)' PLATFORM_PROFILE='$(PLATFORM_PROFILE)' docker buildx bake --progress=quiet --print $(BASE_TARGETS) | python3 -c 'import json, sys; targets = json.load(sys.stdin)["target"].values(); \
  print(*sorted({"%s:%s" % (t["args"]["DEBIAN_SUITE"], p) for t in targets for p in t["platforms"] + sys.argv[1:]}))' $(ENGINE_PLATFORM)))$(BASES)
# Every platform something is built for (the emulation a foreign one needs), and each root
# filesystem of a hermetic base.
BUILD_PLATFORMS = $(sort $(foreach base,$(BASES),$(lastword $(subst :, ,$(base)))))
ROOTFS = $(foreach base,$(BASES),docker/docker-base/python-debian/rootfs-$(firstword $(subst :, ,$(base)))-$(subst linux/,,$(lastword $(subst :, ,$(base)))).tar)
FOREIGN_ROOTFS = $(filter-out %-$(subst linux/,,$(ENGINE_PLATFORM)).tar,$(ROOTFS))
# Bake refuses to read a secret file or a context outside the working directory unless allowed.
BAKE_ALLOW := $(if $(CA_BUNDLE),--allow=fs.read=$(dir $(abspath $(CA_BUNDLE)))) \
              $(if $(WHEELHOUSE),--allow=fs=$(abspath $(WHEELHOUSE)))

# Names the phase a make test is in, for its time and disk figures (scripts/disk-space.py).
phase = $(if $(DISK_WATCH_PHASE_FILE),echo '$(1)' >'$(DISK_WATCH_PHASE_FILE)',:)

.PHONY: build native-build test test-steps lint publish release-matrix release-leg release-merge test-matrix sizes bench wheelhouse sbom check-pair lock check-lock upgrade engine emulation bases venv clean

# A foreign platform's root filesystems take minutes under emulation (debian-rootfs.sh): the
# engine's platform builds meanwhile, then every platform, the engine's cached.
build: emulation
	@$(call phase,engine platform images + foreign rootfs)
	$(MAKE) --no-print-directory --jobs=3 $(FOREIGN_ROOTFS) $(if $(filter $(ENGINE_PLATFORM),$(BUILD_PLATFORMS)),native-build)
	@$(call phase,images for every platform)
	$(MAKE) --no-print-directory bases
	docker buildx bake $(BAKE_ALLOW) $(BAKE_FLAGS) $(BAKE_GROUP)

# The engine's platform alone, the part of make build that needs no foreign root filesystem.
native-build:
	$(MAKE) --no-print-directory bases PLATFORMS= PLATFORM_PROFILE=local
	PLATFORMS= PLATFORM_PROFILE=local docker buildx bake $(BAKE_ALLOW) $(BAKE_FLAGS) $(BAKE_GROUP)

# On a connected machine; WHEELHOUSE_VARIANTS=python-deps,python-deps-iceberg leaves out RAPIDS (3.3 of 3.9 GB).
wheelhouse: WHEELHOUSE := $(or $(WHEELHOUSE),wheelhouse)
wheelhouse: bases
	docker buildx bake $(BAKE_ALLOW) wheelhouse

# Each image of the default cell (built if it is not), for its PLATFORM_PROFILE platforms:
# reports/sbom/IMAGE/CELL/linux_ARCH/sbom.cdx.json, then the licences they declare. Another
# cell: docker buildx bake python-deps-iceberg-spark35-py311-sbom; every cell: sbom-offered.
sbom: bases venv
	docker buildx bake $(BAKE_ALLOW) $(BAKE_FLAGS) sbom
	$(VENV)/bin/python -m python_deps sbom reports/sbom

# Checked first for the free disk it needs (TEST_DISK_GB, above), then linted, built and tested
# under scripts/disk-space.py, which samples the disk used meanwhile and writes the peak, the
# phase it came in, and each phase's time to reports/disk.json. The harness bakes what the tests
# need (test images included, tests/docker-bake.hcl; its log in reports/harness-bake.log), then
# trims the build cache to the records that bake used: what it did not use, the uv caches of the
# installs above all (PySpark's wheels, 1.4 GB a Spark line), would stay through the tests, where
# the disk peaks. A green run records the digests it tested in RECORD_TESTED, for make publish.
test:
	@scripts/disk-space.py watch reports/disk.json "engine and host tools" -- $(MAKE) --no-print-directory test-steps

# Phases are marked here, in build's recipe and by the harness (test images, tests); the first,
# the engine's, is the watch's argument: a target that sub-makes run too would mark its phase
# again in the middle of another. --record-tested=FILE in one word: pytest reads a FILE apart for
# a path to test and, where it exists, looks beside it for the harness's options, not in tests/
# (a second make test stopped on the first one's record as an unrecognized argument).
test-steps: lint build
	@$(call phase,test tools)
	scripts/apt-install.sh "the registry tests" docker-registry iproute2
	scripts/ensure-oras.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS) --trim-build-cache $(if $(RECORD_TESTED),--record-tested=$(RECORD_TESTED))

# The house style, by tools: ruff formats and lints Python (pyproject.toml), shellcheck the shell
# scripts, hadolint the Dockerfiles (.hadolint.yaml), actionlint the workflow.
SHELL_SCRIPTS := $(wildcard scripts/*.sh) .ci/run $(addprefix docker/docker-intermediate/python-deps/,install-locked check-base explain-failure)
DOCKERFILES   := docker/docker-base/python-debian/Dockerfile docker/docker-intermediate/python-deps/Dockerfile tests/images/runtime/Dockerfile examples/jupyter/Dockerfile
lint: venv
	$(VENV)/bin/ruff format --check --diff
	$(VENV)/bin/ruff check
	$(VENV)/bin/shellcheck $(SHELL_SCRIPTS)
	$(VENV)/bin/hadolint --config .hadolint.yaml $(DOCKERFILES)
	$(VENV)/bin/actionlint -shellcheck=$(VENV)/bin/shellcheck

# Push exactly the images the last green make test tested (reports/tested.json), by digest, to
# REGISTRY: nothing is built; refused if they changed since or the tests did not pass.
publish: venv
	@test -n "$(REGISTRY)" || { echo "make publish: set REGISTRY, e.g. make publish REGISTRY=ghcr.io/acme/" >&2; exit 2; }
	scripts/ensure-oras.sh
	$(VENV)/bin/python -m python_deps publish $(REGISTRY)

# The release, fanned out over runners (docs/release.md). The matrix needs bake alone. A leg
# builds and tests on the bases already made (the workflow runs make bases BASE_TARGETS=... as
# root first), then pushes by digest; the merge copies by digest and tags. --group is bake's.
release-matrix: venv
	@$(VENV)/bin/python -m python_deps release matrix $(if $(RELEASE_GROUP),--group "$(RELEASE_GROUP)")

release-leg: venv
	@test -n "$(CELL)" -a -n "$(PLATFORM)" || { echo "make release-leg: set CELL and PLATFORM, e.g. make release-leg CELL=spark-4.0-python-3.11 PLATFORM=linux/arm64 STAGING=ghcr.io/acme/staging/" >&2; exit 2; }
	scripts/ensure-emulation.sh $(PLATFORM)
	$(if $(STAGING),scripts/ensure-oras.sh)
	$(VENV)/bin/python -m python_deps release leg --cell $(CELL) --platform $(PLATFORM) --kind $(LEG_KIND) --staging "$(STAGING)" $(release_options) $(if $(LEG_PYTEST_ARGS),--pytest-args "$(LEG_PYTEST_ARGS)")

release-merge: venv
	@test -n "$(STAGING)" -a -n "$(REGISTRY)" || { echo "make release-merge: set STAGING and REGISTRY, e.g. make release-merge STAGING=ghcr.io/acme/staging/ REGISTRY=ghcr.io/acme/" >&2; exit 2; }
	scripts/ensure-oras.sh
	$(VENV)/bin/python -m python_deps release merge --staging "$(STAGING)" --production "$(REGISTRY)" $(release_options)

# Every cell of the matrix group (each Spark line on each Python with a base here), one at a
# time: build, the tests of its images (marker cell), then its images are removed. Per cell:
# passed, failed, skipped and wall time, in reports/matrix.json. A gpu image is about 6 GB; the
# build cache is trimmed to 20 GB between cells. CELLS=spark-4.0-python-3.11,... picks cells,
# VARIANTS=python-deps,python-deps-iceberg leaves RAPIDS out.
test-matrix: bases venv
	$(VENV)/bin/python -m python_deps test-matrix $(if $(CELLS),--cells $(CELLS)) $(if $(VARIANTS),--variants $(VARIANTS))

# Per image and layer: bytes, compressed bytes, instruction, largest packages; JSON for CI too.
sizes: build venv
	mkdir -p reports && $(VENV)/bin/python -m python_deps sizes --json reports/sizes.json

# Naive and ours side by side (benchmarks/rebuild.py): cold builds on the engine's platform and
# the foreign one, rebuilds after edits, what a node pulls then, cold pulls into an empty engine,
# imports; the executor cold start, empty engine to first pandas UDF (benchmarks/executor_start.py);
# then the layer compressions (benchmarks/compression.py). Prints the tables and writes
# reports/benchmark*.json. Add gpu to BENCH_VARIANTS for the RAPIDS variant (about 25 GB more).
bench: bases venv
	scripts/apt-install.sh "the pull benchmarks" docker-registry iproute2
	$(VENV)/bin/python benchmarks/rebuild.py --variants $(BENCH_VARIANTS) $(BENCH_FLAGS)
	$(VENV)/bin/python benchmarks/executor_start.py
	$(VENV)/bin/python benchmarks/compression.py

check-pair: venv
	@test -n "$(DRIVER)" -a -n "$(EXECUTOR)" || { echo "make check-pair: set DRIVER and EXECUTOR, e.g. make check-pair DRIVER=spark-k8s-python-deps:spark-4.3-python-3.13 EXECUTOR=my-executor:1.2" >&2; exit 2; }
	$(VENV)/bin/python -m python_deps pair $(DRIVER) $(EXECUTOR)

lock: venv
	$(VENV)/bin/python -m python_deps lock $(if $(FULL),--full)

check-lock: venv
	$(VENV)/bin/python -m python_deps lock --check $(if $(FULL),--full)

upgrade: engine venv
	$(VENV)/bin/python -m python_deps upgrade --proof "$(UPGRADE_PROOF)"

# What the build installs on this machine, in one step before anything runs in parallel (every
# install goes through scripts/apt-install.sh, which is safe to run concurrently all the same).
engine:
	scripts/ensure-docker.sh
	scripts/debian-rootfs.sh --install-tools

# QEMU for every foreign platform the build targets (read from bake, so after the engine).
emulation: engine
	scripts/ensure-emulation.sh $(BUILD_PLATFORMS)

# The hermetic bases, tagged spark-k8s-python-3.11:latest and -3.13:latest, then a check that
# every base BAKE_GROUP needs is here or pullable: bake's own error for a missing one is a
# registry lookup failure, this one says what to do.
bases: emulation
	$(MAKE) --no-print-directory $(ROOTFS)
	docker buildx bake --progress=quiet $(BAKE_FLAGS) $(BASE_TARGETS)
	@$(if $(filter bases,$(BASE_TARGETS)),scripts/check-bases.sh $(BAKE_GROUP),:)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(TOOLS_LOCK)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r $(TOOLS_LOCK)
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python --group test --group lint
	touch $@

docker/docker-base/python-debian/rootfs-%.tar: scripts/debian-rootfs.sh
	scripts/debian-rootfs.sh $(firstword $(subst -, ,$*)) $(lastword $(subst -, ,$*)) $@

clean:
	rm -rf $(VENV) docker/docker-base/python-debian/rootfs-*.tar* reports

endif
