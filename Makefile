# Front door. On a fresh Debian machine `make build` and `make test` do all the set-up: a Docker
# engine with buildx (scripts/ensure-docker.sh), the hermetic base image, the test tools.
#
#   make build    bake every variant (python-deps, python-deps-gpu, python-deps-iceberg)
#   make test     build, then run the test suite against the images (reports/junit.xml)
#   make sizes    size report per image and layer (reports/sizes.json)
#   make lock     re-resolve the lock files after editing a requirements-*.txt
#   make check-lock  fail if a lock is stale against its inputs (also a test)
#   make bench    our build against the spec's naive one (benchmarks/; empties the build cache)
#   make wheelhouse  every file the locks name, for building with no network: make build WHEELHOUSE=wheelhouse
#
# By default the layer is built on the hermetic Debian base (Python 3.11), which needs no
# registry. With a registry: make build BASE_IMAGE=python:3.10-slim-bookworm PYTHON_VERSION=3.10

BASE_IMAGE     ?= target:python-base-debian
PYTHON_VERSION ?= 3.11
BAKE_GROUP     ?= all
# The host's CA bundle, for builds behind a TLS-intercepting proxy; empty where there is none.
CA_BUNDLE      ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
PYTEST_ARGS    ?= -n auto --junitxml=reports/junit.xml
BENCH_VARIANTS ?= base,iceberg
# A folder written by `make wheelhouse`: when set, the variants install from it alone, with no network.
WHEELHOUSE     ?=
# Image labels: the source revision ("-dirty" with uncommitted changes) and where it lives.
REVISION       ?= $(shell git describe --always --dirty --abbrev=40 --exclude='*' 2>/dev/null)
SOURCE_URL     ?= $(shell git remote get-url origin 2>/dev/null)

export BASE_IMAGE PYTHON_VERSION CA_BUNDLE WHEELHOUSE REVISION SOURCE_URL

VENV   := .venv
TOOLS_LOCK := docker/docker-intermediate/python-deps/locks/tools.txt
ROOTFS := docker/docker-base/python-debian/rootfs.tar
# The hermetic base is built from a local root filesystem; any other base is pulled.
BASE_PREREQ := $(if $(filter target:python-base-debian,$(BASE_IMAGE)),$(ROOTFS))
# Bake refuses to read a secret file or a context outside the working directory unless allowed.
BAKE_ALLOW := $(if $(CA_BUNDLE),--allow=fs.read=$(dir $(abspath $(CA_BUNDLE)))) \
              $(if $(WHEELHOUSE),--allow=fs=$(abspath $(WHEELHOUSE)))

.PHONY: build test sizes bench wheelhouse lock check-lock engine base-image venv clean

build: engine base-image $(BASE_PREREQ)
	docker buildx bake $(BAKE_ALLOW) $(BAKE_GROUP)

# On a connected machine; WHEELHOUSE_VARIANTS=python-deps,python-deps-iceberg leaves out RAPIDS (3.3 of 3.9 GB).
wheelhouse: WHEELHOUSE := $(or $(WHEELHOUSE),wheelhouse)
wheelhouse: engine base-image $(BASE_PREREQ)
	docker buildx bake $(BAKE_ALLOW) wheelhouse

# The test images (tests/docker-bake.hcl) are baked here too, so that their progress shows;
# the harness's own bake then finds everything cached.
test: build venv
	docker buildx bake $(BAKE_ALLOW) --file docker-bake.hcl --file docker-bake.json --file tests/docker-bake.hcl test test-base
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Per image and layer: bytes, compressed bytes, instruction, largest packages; JSON for CI too.
sizes: build venv
	mkdir -p reports && $(VENV)/bin/python tests/layers.py --json reports/sizes.json

# Cold builds and a rebuild after an iceberg-only edit, naive and ours side by side; prints a
# table and writes reports/benchmark.json. Add gpu to BENCH_VARIANTS for the RAPIDS variant.
bench: engine venv $(BASE_PREREQ)
	$(VENV)/bin/python benchmarks/rebuild.py --variants $(BENCH_VARIANTS)

lock: engine venv
	UV=$(VENV)/bin/uv scripts/lock.sh

check-lock: engine venv
	UV=$(VENV)/bin/uv scripts/lock.sh --check

engine:
	scripts/ensure-docker.sh

# Bake's own error for a missing base image is a registry lookup failure; this one says what to do.
base-image: engine
	@case "$(BASE_IMAGE)" in target:*) exit 0 ;; esac; \
	docker image inspect "$(BASE_IMAGE)" >/dev/null 2>&1 || docker buildx imagetools inspect "$(BASE_IMAGE)" >/dev/null 2>&1 || { \
	  echo "error: BASE_IMAGE $(BASE_IMAGE) is neither on this engine nor pullable: build or pull it first, or use BASE_IMAGE=target:python-base-debian (the hermetic base built here)" >&2; exit 2; }

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(TOOLS_LOCK)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r $(TOOLS_LOCK)
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python --group test
	touch $@

$(ROOTFS): scripts/debian-rootfs.sh
	scripts/debian-rootfs.sh $@

clean:
	rm -rf $(VENV) $(ROOTFS) reports
