# Python dependency layer of the spark-k8s image family, for every cell of its matrix:
# Spark line x Python version x variant (python-deps, -gpu, -iceberg).
#   docker buildx bake python-deps            base variant of the default cell (SPARK_VERSION, PYTHON_VERSION)
#   docker buildx bake all                    every variant of that cell
#   docker buildx bake matrix                 every cell offered whose Python has a base image
#   docker buildx bake ci                     the cells `make test` builds and tests
#   docker buildx bake --list=targets         what each target is
# Variables can be set from the environment: SPARK_VERSION=3.5 PYTHON_VERSION=3.11 docker buildx bake all
# docker-bake.json, read with this file, holds the lock digests that scripts/lock.sh writes.

variable "REGISTRY" {
  description = "Prefix of the image names, with its trailing slash, e.g. ghcr.io/acme/"
  default     = ""
}

variable "TAG" {
  description = "One tag for every image built, in place of the cell's own (spark-X.Y-python-A.B, and latest for the default cell)"
  default     = ""
}

# The default cell: the python-deps, python-deps-gpu and python-deps-iceberg groups, `all`, and
# the images tagged latest. The newest Spark line on the newest Python built here.
variable "SPARK_VERSION" {
  description = "Spark line (major.minor) of the default cell"
  default     = "4.3"
}

variable "PYTHON_VERSION" {
  description = "Python version of the default cell"
  default     = "3.13"
}

# The platforms every image is built for. Empty: the engine's own, loaded into its image store as
# today. linux/amd64,linux/arm64 for publishing: the installs run natively on the build platform
# for both (see the Dockerfile), only the checks of a foreign platform's base run under emulation
# (scripts/ensure-emulation.sh). The containerd image store loads both into the local engine.
variable "PLATFORMS" {
  description = "Comma-separated platforms to build, of linux/amd64 and linux/arm64; empty for the engine's own"
  default     = ""
  # DEFAULT_CELL_PLATFORMS too: validation may read other variables, not call functions.
  validation {
    condition     = length(setsubtract(compact(split(",", "${PLATFORMS},${DEFAULT_CELL_PLATFORMS}")), ["linux/amd64", "linux/arm64"])) == 0
    error_message = "PLATFORMS=${PLATFORMS} DEFAULT_CELL_PLATFORMS=${DEFAULT_CELL_PLATFORMS} name a platform without locks: use linux/amd64, linux/arm64 or both, comma-separated."
  }
}

# `make test` builds the default cell's python-deps and python-deps-iceberg, the images most
# users pull, for both platforms, and the rest for the engine's: every image for both would not
# fit a CI machine's disk (the RAPIDS image alone is 6 GB a platform).
variable "DEFAULT_CELL_PLATFORMS" {
  description = "Platforms of the default cell's python-deps and python-deps-iceberg images, in place of PLATFORMS; empty for the same"
  default     = ""
}

variable "CELL" {
  description = "Derived from SPARK_VERSION and PYTHON_VERSION; a cell no Spark line offers fails here, with the reason"
  default     = cell_refusal(SPARK_VERSION, PYTHON_VERSION) == "" ? cell_tag(default_cell()) : cell_refusal(SPARK_VERSION, PYTHON_VERSION)
  validation {
    condition     = length(regexall("^spark-[0-9.]+-python-[0-9.]+$", CELL)) == 1
    error_message = CELL
  }
}

# The image each Python version's cells are built on: any image with python3 and pip on PATH at
# that version. 3.11 and 3.13 are the hermetic Debian bases `make build` makes here (targets
# python-base-py311, python-base-py313); a cell whose Python has no base is left out of `matrix`.
# target:NAME builds a target of this file as the base, in the same bake.
variable "BASE_IMAGE_PY310" {
  description = "Base of the Python 3.10 cells, e.g. python:3.10-slim-bookworm (none here: no Debian suite has 3.10)"
  default     = ""
}

variable "BASE_IMAGE_PY311" {
  description = "Base of the Python 3.11 cells"
  default     = "spark-k8s-python-3.11:latest"
}

variable "BASE_IMAGE_PY312" {
  description = "Base of the Python 3.12 cells, e.g. python:3.12-slim-bookworm (none here: no Debian suite has 3.12)"
  default     = ""
}

variable "BASE_IMAGE_PY313" {
  description = "Base of the Python 3.13 cells"
  default     = "spark-k8s-python-3.13:latest"
}

# A build cache shared by a team or CI, one entry per target, written with mode=max so that the
# intermediate stages (tools, pyspark) are reused too. Exporting a cache needs a driver that
# supports it: docker-container, kubernetes, remote, or docker with the containerd image store.
# Readers that must not write it: --set '*.cache-to='.
variable "CACHE_REGISTRY" {
  description = "Registry repository for the build cache, e.g. ghcr.io/acme/python-deps-cache; each target uses the tag of its name"
  default     = ""
}

variable "CACHE_DIR" {
  description = "Local folder for the build cache (e.g. one a CI system saves and restores); each target uses a subfolder of its name"
  default     = ""
}

variable "SBOM_DIR" {
  description = "Folder the sbom targets write to"
  default     = "reports/sbom"
}

# Air-gapped sites: `docker buildx bake wheelhouse` on a connected machine downloads every file
# the locks of the default cell's WHEELHOUSE_VARIANTS name, hash-checked, into the folder
# WHEELHOUSE; with WHEELHOUSE set, the variants then install from that folder alone, with the
# build's network turned off.
variable "WHEELHOUSE" {
  description = "Folder of the wheelhouse: written by the wheelhouse target (default ./wheelhouse), the variants' only package source when set"
  default     = ""
}

variable "WHEELHOUSE_VARIANTS" {
  description = "Variants whose locks the wheelhouse target downloads"
  type        = list(string)
  default     = ["python-deps", "python-deps-gpu", "python-deps-iceberg"]
  validation {
    condition     = length(setsubtract(WHEELHOUSE_VARIANTS, ["python-deps", "python-deps-gpu", "python-deps-iceberg"])) == 0
    error_message = "WHEELHOUSE_VARIANTS names an unknown variant (${join(", ", WHEELHOUSE_VARIANTS)}): use some of python-deps, python-deps-gpu, python-deps-iceberg."
  }
}

# How the layers are compressed, in the engine's image store and so in the registry a push puts
# them in (benchmarks/, README: "Compression"): zstd exports and pulls faster than gzip, and every
# runtime of Kubernetes' supported versions pulls it (containerd >= 1.5, CRI-O, Docker >= 23).
# gzip for older pullers. Every layer is recompressed, the base image's too, so that an image is
# all one or the other.
variable "LAYER_COMPRESSION" {
  description = "Layer compression of the images: zstd, or gzip for runtimes older than containerd 1.5 / Docker 23"
  default     = "zstd"
  validation {
    condition     = contains(["zstd", "gzip"], LAYER_COMPRESSION)
    error_message = "LAYER_COMPRESSION=${LAYER_COMPRESSION} is not one of zstd, gzip."
  }
}

variable "LAYER_COMPRESSION_LEVEL" {
  description = "Compression level: zstd 1-22, gzip 1-9; empty for the exporter's default"
  default     = ""
}

# Image labels (OCI annotations). REVISION, SOURCE_URL and SOURCE_DATE_EPOCH (the commit's time)
# come from git through the Makefile: the same commit built twice then gives the same images.
variable "REVISION" {
  description = "Source revision the images are built from (org.opencontainers.image.revision)"
  default     = ""
}

variable "SOURCE_URL" {
  description = "Where the source lives (org.opencontainers.image.source)"
  default     = ""
}

variable "SOURCE_DATE_EPOCH" {
  description = "Unix time of the images' creation (config, history, the created label), e.g. the commit's; the build time when empty"
  default     = ""
}

variable "CA_BUNDLE" {
  description = "PEM bundle that pip and uv trust in the build, e.g. a TLS-intercepting proxy's CA; handed over as a secret, never stored in a layer"
  default     = ""
}

# The Spark lines offered: the Pythons each one's PySpark supports (its requires-python and
# classifiers; `why` says so for a refused cell), and the Java versions its JVM side runs on, in
# order of preference (the test images install the first one their Debian carries). The floors
# and ceilings of its packages are in spark-lines/X.Y.txt beside the requirement sets. A new line:
# an entry here, that file, then `make lock`.
function "spark_lines" {
  params = []
  result = {
    "3.5" = { pythons = ["3.10", "3.11"], java = ["17", "11"], why = "PySpark 3.5 supports Python 3.8 to 3.11" }
    "4.0" = { pythons = ["3.10", "3.11", "3.12", "3.13"], java = ["17", "21"], why = "PySpark 4.0 supports Python 3.9 to 3.13" }
    "4.1" = { pythons = ["3.10", "3.11", "3.12", "3.13"], java = ["17", "21"], why = "PySpark 4.1 supports Python 3.10 to 3.13" }
    "4.2" = { pythons = ["3.10", "3.11", "3.12", "3.13"], java = ["17", "21"], why = "PySpark 4.2 supports Python 3.10 to 3.13" }
    "4.3" = { pythons = ["3.11", "3.12", "3.13"], java = ["17", "21"], why = "PySpark 4.3 requires Python 3.11 or newer" }
  }
}

# Every cell offered, {spark, python}, oldest line first.
function "cells" {
  params = []
  result = flatten([for spark, line in spark_lines() : [for python in line.pythons : { spark = spark, python = python }]])
}

# Why SPARK_VERSION and PYTHON_VERSION name no cell, or "" where they do.
function "cell_refusal" {
  params = [spark, python]
  result = (!contains(keys(spark_lines()), spark)
    ? "SPARK_VERSION ${spark} is not a Spark line offered here: use one of ${join(", ", keys(spark_lines()))}, or add it to spark_lines() in docker-bake.hcl and run make lock."
    : (contains(spark_lines()[spark].pythons, python) ? "" : "Spark ${spark} does not support Python ${python} (${spark_lines()[spark].why}): its cells are Python ${join(", ", spark_lines()[spark].pythons)}."))
}

# The variants: one Dockerfile stage each, named python-deps${suffix}, and the locks it installs
# in order (besides locks/build.txt, pyspark's build backend). The test harness's bake file
# (tests/docker-bake.hcl) builds a test image on each.
function "variants" {
  params = []
  result = [
    {
      suffix      = ""
      stage       = "base-deps"
      locks       = ["base-spark", "base-dataframes", "base"]
      description = "Base set: pandas, NumPy, pyarrow, PySpark, SQLAlchemy, psycopg2, scikit-learn, SciPy"
    },
    {
      suffix      = "-gpu"
      stage       = "gpu"
      locks       = ["base-spark", "base-dataframes", "base", "gpu"]
      description = "Base set + RAPIDS (cuDF, cuML, CuPy) for CUDA 12"
    },
    {
      suffix      = "-iceberg"
      stage       = "iceberg"
      locks       = ["base-spark", "base-dataframes", "base", "iceberg"]
      description = "Base set + pyiceberg with pyarrow, SQL catalogs and S3"
    },
  ]
}

# The hermetic bases: Debian's own Python in a suite that carries it, from a rootfs per
# architecture that scripts/debian-rootfs.sh writes (docker/docker-base/python-debian/rootfs-SUITE-ARCH.tar).
function "hermetic_bases" {
  params = []
  result = [
    { python = "3.11", suite = "bookworm" },
    { python = "3.13", suite = "trixie" },
  ]
}

function "base_image" {
  params = [python]
  result = lookup({ "3.10" = BASE_IMAGE_PY310, "3.11" = BASE_IMAGE_PY311, "3.12" = BASE_IMAGE_PY312, "3.13" = BASE_IMAGE_PY313 }, python, "")
}

# A base of the form target:NAME is a target of this file, passed as a named context.
function "base_image_name" {
  params = [ref]
  result = trimprefix(ref, "target:")
}

function "base_context" {
  params = [python]
  result = base_image_name(base_image(python)) != base_image(python) ? { (base_image_name(base_image(python))) = base_image(python) } : {}
}

# spark43-py313: the cell in a target name, which allows no dots.
function "cell_id" {
  params = [cell]
  result = "spark${replace(cell.spark, ".", "")}-py${replace(cell.python, ".", "")}"
}

# spark-4.3-python-3.13: the cell in an image tag.
function "cell_tag" {
  params = [cell]
  result = "spark-${cell.spark}-python-${cell.python}"
}

function "default_cell" {
  params = []
  result = { spark = SPARK_VERSION, python = PYTHON_VERSION }
}

function "target_name" {
  params = [variant, cell]
  result = "python-deps${variant.suffix}-${cell_id(cell)}"
}

function "tags" {
  params = [name, cell]
  result = TAG != "" ? ["${REGISTRY}${name}:${TAG}"] : concat(["${REGISTRY}${name}:${cell_tag(cell)}"], cell == default_cell() ? ["${REGISTRY}${name}:latest"] : [])
}

function "platforms" {
  params = []
  result = split(",", PLATFORMS != "" ? PLATFORMS : join("/", slice(split("/", BAKE_LOCAL_PLATFORM), 0, 2)))
}

function "variant_platforms" {
  params = [variant, cell]
  result = cell == default_cell() && variant.stage != "gpu" && DEFAULT_CELL_PLATFORMS != "" ? split(",", DEFAULT_CELL_PLATFORMS) : platforms()
}

# The digest of a variant's locks on one architecture (docker-bake.json, written by
# scripts/lock.sh). Bake's labels are per target, not per platform: the Dockerfile labels each
# platform's image with its own, from one argument per architecture.
function "lock_digest" {
  params = [variant, cell, arch]
  result = lookup(lock_digests(), "spark-${cell.spark}/python-${cell.python}/linux-${arch}/${variant.stage}", "")
}

# Empty values are left out: an image without a revision says nothing rather than "".
function "labels" {
  params = [variant, cell]
  result = { for key, value in {
    "org.opencontainers.image.title"       = "spark-k8s-python-deps${variant.suffix}"
    "org.opencontainers.image.description" = variant.description
    "org.opencontainers.image.version"     = cell_tag(cell)
    "org.opencontainers.image.created"     = SOURCE_DATE_EPOCH != "" ? formatdate("YYYY-MM-DD'T'hh:mm:ssZ", timeadd("1970-01-01T00:00:00Z", "${SOURCE_DATE_EPOCH}s")) : timestamp()
    "org.opencontainers.image.revision"    = REVISION
    "org.opencontainers.image.source"      = SOURCE_URL
  } : key => value if value != "" }
}

function "cache_from" {
  params = [name]
  result = concat(
    CACHE_REGISTRY != "" ? ["type=registry,ref=${CACHE_REGISTRY}:${name}"] : [],
    CACHE_DIR != "" ? ["type=local,src=${CACHE_DIR}/${name}"] : [],
  )
}

function "cache_to" {
  params = [name]
  result = concat(
    CACHE_REGISTRY != "" ? ["type=registry,ref=${CACHE_REGISTRY}:${name},mode=max"] : [],
    CACHE_DIR != "" ? ["type=local,dest=${CACHE_DIR}/${name},mode=max"] : [],
  )
}

# Into the engine's image store, as a plain bake does, in LAYER_COMPRESSION; --push pushes it too.
function "image_output" {
  params = []
  result = join(",", compact(["type=image", "compression=${LAYER_COMPRESSION}", LAYER_COMPRESSION_LEVEL != "" ? "compression-level=${LAYER_COMPRESSION_LEVEL}" : "", "force-compression=true", "oci-mediatypes=true"]))
}

function "build_secrets" {
  params = []
  result = CA_BUNDLE != "" ? ["id=ca-bundle,src=${CA_BUNDLE}"] : []
}

target "_common" {
  context    = "docker/docker-intermediate/python-deps"
  dockerfile = "Dockerfile"
  platforms  = platforms()
  secret     = build_secrets()
  # Where the builder supports it: the whole build's record (args, sources, steps) in the index.
  attest = ["type=provenance,mode=max"]
  output = [image_output()]
}

# The args and base of one cell, for the targets that build on its base image.
function "cell_args" {
  params = [cell]
  result = {
    BASE_IMAGE     = base_image_name(base_image(cell.python))
    PYTHON_VERSION = cell.python
    SPARK_VERSION  = cell.spark
  }
}

# A variant's args: its cell's, the locks it installs and their digests.
function "variant_args" {
  params = [variant, cell]
  result = merge(cell_args(cell), {
    LOCKS             = join(" ", variant.locks)
    VARIANT_LOCK      = element(variant.locks, length(variant.locks) - 1)
    LOCK_DIGEST_AMD64 = lock_digest(variant, cell, "amd64")
    LOCK_DIGEST_ARM64 = lock_digest(variant, cell, "arm64")
  })
}

target "python-base" {
  name        = "python-base-py${replace(base.python, ".", "")}"
  description = "Hermetic base: Debian ${base.suite} with its Python ${base.python} in a virtual environment, from a local rootfs (scripts/debian-rootfs.sh)"
  context     = "docker/docker-base/python-debian"
  # The rootfs's clock (scripts/debian-rootfs.sh) for the image's times too: a rebuild of the base
  # gives the image digest that the cells' cached layers were built on.
  args      = { DEBIAN_SUITE = base.suite, SOURCE_DATE_EPOCH = "1686355200" }
  tags       = ["spark-k8s-python-${base.python}:latest"]
  # Every platform a cell on it is built for: DEFAULT_CELL_PLATFORMS only on the default cell's
  # (a foreign rootfs takes minutes under emulation).
  platforms  = base.python == PYTHON_VERSION ? distinct(concat(platforms(), compact(split(",", DEFAULT_CELL_PLATFORMS)))) : platforms()
  attest     = ["type=provenance,mode=max"]
  # Compressed as the images on it, so that their layers from it are its blobs.
  output     = [image_output()]
  cache-from = cache_from("python-base-py${replace(base.python, ".", "")}")
  cache-to   = cache_to("python-base-py${replace(base.python, ".", "")}")
  matrix = {
    base = hermetic_bases()
  }
}

# One target per cell and variant, each a stage of the same Dockerfile: python-deps-gpu-spark43-py313.
# The block's name, "offered", is also the group of every cell offered.
target "offered" {
  name        = target_name(variant, cell)
  inherits    = ["_common"]
  description = "Spark ${cell.spark}, Python ${cell.python}: ${variant.description}"
  target      = variant.stage
  platforms   = variant_platforms(variant, cell)
  args        = variant_args(variant, cell)
  tags        = tags("spark-k8s-python-deps${variant.suffix}", cell)
  labels      = labels(variant, cell)
  cache-from  = cache_from(target_name(variant, cell))
  cache-to    = cache_to(target_name(variant, cell))
  # The wheelhouse replaces the Dockerfile's empty stage of that name; nothing else is fetched.
  contexts = merge(base_context(cell.python), WHEELHOUSE != "" ? { wheelhouse = WHEELHOUSE } : {})
  network  = WHEELHOUSE != "" ? "none" : null
  matrix = {
    cell    = cells()
    variant = variants()
  }
}

# The SBOM of each image (Dockerfile stage sbom): CycloneDX JSON, one per platform, written to
# SBOM_DIR/IMAGE/CELL/linux_ARCH/sbom.cdx.json. From the image's own files, so a cached image
# costs only the scan. The block's name, "sbom-offered", is also the group of every cell's.
target "sbom-offered" {
  name        = "${target_name(variant, cell)}-sbom"
  inherits    = ["_common"]
  description = "SBOM of spark-k8s-python-deps${variant.suffix}:${cell_tag(cell)}, CycloneDX JSON, to ${SBOM_DIR}"
  target      = "sbom"
  platforms   = variant_platforms(variant, cell)
  args = merge(variant_args(variant, cell), {
    SBOM_OF       = variant.stage
    IMAGE_NAME    = "${REGISTRY}spark-k8s-python-deps${variant.suffix}"
    IMAGE_VERSION = cell_tag(cell)
  })
  contexts = base_context(cell.python)
  attest   = ["type=provenance,disabled=true"]
  output   = ["type=local,dest=${SBOM_DIR}/spark-k8s-python-deps${variant.suffix}/${cell_tag(cell)},platform-split=true"]
  matrix = {
    cell    = cells()
    variant = variants()
  }
}

target "wheelhouse" {
  inherits    = ["_common"]
  description = "Every file the locks of the default cell's WHEELHOUSE_VARIANTS name, hash-checked, written to WHEELHOUSE (default ./wheelhouse)"
  target      = "wheelhouse-files"
  args = merge(cell_args(default_cell()), {
    WHEELHOUSE_LOCKS = join(" ", distinct(flatten([for variant in variants() : variant.locks if contains(WHEELHOUSE_VARIANTS, "python-deps${variant.suffix}")])))
  })
  contexts = base_context(PYTHON_VERSION)
  output   = ["type=local,dest=${WHEELHOUSE != "" ? WHEELHOUSE : "wheelhouse"}"]
}

# The default cell, by variant.
group "python-deps" {
  targets = ["python-deps-${cell_id(default_cell())}"]
}

group "python-deps-gpu" {
  targets = ["python-deps-gpu-${cell_id(default_cell())}"]
}

group "python-deps-iceberg" {
  targets = ["python-deps-iceberg-${cell_id(default_cell())}"]
}

group "all" {
  targets = ["python-deps", "python-deps-gpu", "python-deps-iceberg"]
}

# The SBOMs of the default cell's images (make sbom).
group "sbom" {
  targets = [for variant in variants() : "${target_name(variant, default_cell())}-sbom"]
}

group "bases" {
  targets = ["python-base"]
}

# Every cell offered whose Python has a base image, every variant.
group "matrix" {
  targets = flatten([for cell in cells() : [for variant in variants() : target_name(variant, cell)] if base_image(cell.python) != ""])
}

# What `make test` builds and tests (so .ci/run): the base and iceberg variants of the default
# cell and of the oldest Spark line, on the other hermetic Python. Its peak disk must fit a CI
# runner's (README, Disk): the gpu variant, 18 GB with its build cache, is proven in a run of its
# own (make test BAKE_GROUP=gpu-proof, the workflow's gpu jobs), and the middle lines by
# make test-matrix.
group "ci" {
  targets = flatten([for cell in [default_cell(), { spark = "3.5", python = "3.11" }] : [target_name(variants()[0], cell), target_name(variants()[2], cell)]])
}

# The gpu variant of the default cell with the image it is tested against, for a run of its own.
group "gpu-proof" {
  targets = ["python-deps", "python-deps-gpu"]
}

group "default" {
  targets = ["python-deps"]
}
