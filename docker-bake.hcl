# Python dependency layer of the spark-k8s image family, for every cell of its matrix: Spark line
# x Python version x variant. `docker buildx bake --list=targets` says what each target builds;
# docker-bake.json, read with this file, holds the lock digests that `make lock` writes.

variable "REGISTRY" {
  description = "Prefix of the image names, with its trailing slash, e.g. ghcr.io/acme/"
  default     = ""
}

variable "TAG" {
  description = "One tag for every image built, in place of the cell's own (spark-X.Y-python-A.B, and latest for the default cell)"
  default     = ""
}

# The default cell: the variant groups, `all`, and the images tagged latest; the newest Spark line
# on the newest Python built here. Literal defaults: python_deps/declaration.py reads them too.
variable "SPARK_VERSION" {
  description = "Spark line (major.minor) of the default cell"
  default     = "4.3"
}

variable "PYTHON_VERSION" {
  description = "Python version of the default cell"
  default     = "3.13"
}

# A cell other than the default one for the variant groups (python-deps, -gpu, -iceberg, all,
# cell): its images keep their cell's tag, and latest stays with the default cell.
variable "CELL" {
  description = "The cell the variant groups build, spark-X.Y-python-A.B (e.g. spark-3.5-python-3.11); the default cell when empty"
  default     = ""
}

# Which images are built for which platforms: a profile of platform_profiles(), below. The
# installs run natively for every platform; only the checks of a foreign platform's base need
# emulation (scripts/ensure-emulation.sh).
variable "PLATFORM_PROFILE" {
  description = "local (the engine's platform), test (make build/test: also arm64 for the default cell's base and iceberg) or release (both for every image)"
  default     = "local"
}

variable "PLATFORMS" {
  description = "Comma-separated platforms for every image, in place of PLATFORM_PROFILE's, e.g. linux/amd64,linux/arm64"
  default     = ""
}

# The images the cells are built on: the hermetic Debian base of their Python where one is
# declared (hermetic_bases(), below; make build makes them), else one of yours. target:NAME builds a
# target of this file as the base, in the same bake.
variable "BASE_IMAGES" {
  description = "Base images by Python, in place of the hermetic ones or where there is none: PYTHON=IMAGE,..., e.g. 3.12=python:3.12-slim-bookworm"
  default     = ""
}

# Derived, not to be set: why the variables above name nothing buildable, "" where they do. Bake
# stops on it with the reason (a validation may read variables but call no function).
variable "INPUT_ERROR" {
  description = "Derived from the variables above: bake stops with it where it is not empty"
  default     = input_error()
  validation {
    condition     = INPUT_ERROR == ""
    error_message = INPUT_ERROR
  }
}

# A build cache shared by a team or CI, written with mode=max so that the intermediate stages are
# reused too; exporting it needs a driver that can (docker-container, kubernetes, remote, or docker
# with the containerd image store). Readers that must not write it: --set '*.cache-to='.
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

# Air-gapped sites: `docker buildx bake wheelhouse` on a connected machine downloads what the
# WHEELHOUSE_VARIANTS' locks name, hash-checked, into WHEELHOUSE; with WHEELHOUSE set, the
# variants install from that folder alone, with the build's network off.
variable "WHEELHOUSE" {
  description = "Folder of the wheelhouse: written by the wheelhouse target (default ./wheelhouse), the variants' only package source when set"
  default     = ""
}

variable "WHEELHOUSE_VARIANTS" {
  description = "Variants whose locks the wheelhouse target downloads; empty for every variant"
  type        = list(string)
  default     = []
}

# zstd exports and pulls faster than gzip (docs/speed.md), and every runtime of Kubernetes'
# supported versions pulls it; gzip for older ones. Every layer is recompressed, the base's too,
# so that an image is all one or the other.
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

# ---- The declaration: the Spark lines, variants, architectures and bases, each written once.
# Rule: these five functions must stay literal data (no calls, variables or interpolation), as
# python_deps/declaration.py reads them with python-hcl2, without bake, and refuses anything else.

# The Spark lines offered: the Pythons each one's PySpark supports (`why` says so for a refused
# cell) and the Java versions its JVM side runs on, preferred first. A new line: an entry here,
# its packages' floors and ceilings in spark-lines/X.Y.txt, then `make lock`.
function "spark_lines" {
  params = []
  result = {
    "3.5" = { pythons = ["3.10", "3.11"], java = ["17", "11"], why = "PySpark 3.5 supports Python 3.8 to 3.11" }
    "4.0" = { pythons = ["3.10", "3.11", "3.12", "3.13"], java = ["17", "21"], why = "PySpark 4.0 supports Python 3.9 to 3.13" }
    "4.1" = { pythons = ["3.10", "3.11", "3.12", "3.13", "3.14"], java = ["17", "21"], why = "PySpark 4.1 supports Python 3.10 to 3.14" }
    "4.2" = { pythons = ["3.10", "3.11", "3.12", "3.13", "3.14"], java = ["17", "21"], why = "PySpark 4.2 supports Python 3.10 to 3.14" }
    "4.3" = { pythons = ["3.11", "3.12", "3.13", "3.14"], java = ["17", "21"], why = "PySpark 4.3 requires Python 3.11 or newer" }
  }
}

# Each variant is an image (spark-k8s-IMAGE), a Dockerfile stage on its parent's and a lock NAME
# (requirements-NAME.txt, installed last after its layers' locks). device: its tests need a GPU,
# so `ci` leaves it out; not_on: the Spark lines it is not offered on, each with why.
function "variants" {
  params = []
  result = [
    {
      image        = "python-deps"
      stage        = "base-deps"
      parent       = ""
      requirements = "base"
      device       = false
      not_on       = {}
      # The rarest to change first, each under the spec's 500 MB: PySpark moves only with the
      # Spark line, then the dataframe core.
      layers      = [{ lock = "base-spark", packages = ["pyspark"] }, { lock = "base-dataframes", packages = ["pandas", "pyarrow", "numpy"] }]
      description = "Base set: pandas, NumPy, pyarrow, PySpark, SQLAlchemy, psycopg2, scikit-learn, SciPy"
    },
    {
      image        = "python-deps-gpu"
      stage        = "gpu"
      parent       = "python-deps"
      requirements = "gpu"
      device       = true
      not_on       = {}
      layers       = []
      description  = "Base set + RAPIDS (cuDF, cuML, CuPy) for CUDA 12"
    },
    {
      image        = "python-deps-iceberg"
      stage        = "iceberg"
      parent       = "python-deps"
      requirements = "iceberg"
      device       = false
      not_on       = {}
      layers       = []
      description  = "Base set + pyiceberg with pyarrow, SQL catalogs and S3"
    },
  ]
}

# The architectures with locks, and the wheel platform tag each one's locks are resolved for
# (uv's --python-platform): the installs pick those wheels whatever machine they run on.
function "architectures" {
  params = []
  result = {
    amd64 = "x86_64-manylinux_2_28"
    arm64 = "aarch64-manylinux_2_28"
  }
}

# The hermetic bases: Debian's own Python in a suite that carries it, from a rootfs per
# architecture that scripts/debian-rootfs.sh writes (docker/docker-base/python-debian/rootfs-SUITE-ARCH.tar).
# No Debian suite has 3.10 or 3.12: their cells are built on a base of BASE_IMAGES.
function "hermetic_bases" {
  params = []
  result = [
    { python = "3.11", suite = "bookworm" },
    { python = "3.13", suite = "trixie" },
    { python = "3.14", suite = "forky" },
  ]
}

# The bases of the Pythons no Debian suite carries, for the release's legs: official images whose
# digests Renovate pins (.github/renovate.json5), as a machine without a registry can look none up.
# A local build of those cells names its base in BASE_IMAGES.
function "release_bases" {
  params = []
  result = [
    { python = "3.10", image = "python:3.10-slim-bookworm" },
    { python = "3.12", image = "python:3.12-slim-bookworm" },
  ]
}

# ---- Derived: the cells, targets and groups, from the declaration and the variables.

# Every cell offered, {spark, python}, oldest line first.
function "cells" {
  params = []
  result = flatten([for spark, line in spark_lines() : [for python in line.pythons : { spark = spark, python = python }]])
}

# Whether a cell offers a variant: not on the Spark lines its not_on names.
function "offers" {
  params = [variant, cell]
  result = !contains(keys(variant.not_on), cell.spark)
}

# Every cell with each variant it offers: the variant targets' matrix.
function "offered_pairs" {
  params = []
  result = flatten([for cell in cells() : [for variant in variants() : { cell = cell, variant = variant } if offers(variant, cell)]])
}

# The targets of a variant's group on the chosen cell, or, where the cell does not offer it, the
# one-line reason (bake refuses the group with it, naming the lines that do offer it).
function "variant_group" {
  params = [image]
  result = [for variant in variants() : (offers(variant, chosen_cell())
    ? target_name(variant, chosen_cell())
    : "${image} is not offered on Spark ${chosen_cell().spark}: ${lookup(variant.not_on, chosen_cell().spark, "")}; it is on Spark ${join(", ", [for spark in keys(spark_lines()) : spark if !contains(keys(variant.not_on), spark)])}"
  ) if variant.image == image]
}

# Why SPARK_VERSION and PYTHON_VERSION name no cell, or "" where they do.
function "cell_refusal" {
  params = [spark, python]
  result = (!contains(keys(spark_lines()), spark)
    ? "Spark ${spark} is not a Spark line offered here: use one of ${join(", ", keys(spark_lines()))}, or add it to spark_lines() in docker-bake.hcl and run make lock."
    : (contains(spark_lines()[spark].pythons, python) ? "" : "Spark ${spark} does not support Python ${python} (${spark_lines()[spark].why}): its cells are Python ${join(", ", spark_lines()[spark].pythons)}."))
}

# The locks a variant installs, in order: its parent's, then its own (besides locks/build.txt,
# PySpark's build backend). Variants stack one level deep.
function "variant_locks" {
  params = [variant]
  result = concat(
    flatten([for parent in variants() : concat([for layer in parent.layers : layer.lock], [parent.requirements]) if parent.image == variant.parent]),
    [for layer in variant.layers : layer.lock],
    [variant.requirements],
  )
}

function "locked_platforms" {
  params = []
  result = [for arch in keys(architectures()) : "linux/${arch}"]
}

function "images" {
  params = []
  result = [for variant in variants() : variant.image]
}

# Which images each PLATFORM_PROFILE builds for which platforms: those it names (in the default
# cell or in every cell) for its platforms, the others for the engine's own. test: the images most
# users pull on both; every image on both would not fit a CI runner's disk.
function "platform_profiles" {
  params = []
  result = {
    local   = { platforms = [], images = [], every_cell = false }
    test    = { platforms = locked_platforms(), images = ["python-deps", "python-deps-iceberg"], every_cell = false }
    release = { platforms = locked_platforms(), images = images(), every_cell = true }
  }
}

# The image a hermetic base is tagged, and the cells of its Python build on.
function "hermetic_base_tag" {
  params = [python]
  result = "spark-k8s-python-${python}:latest"
}

function "base_image" {
  params = [python]
  result = lookup(merge(
    { for base in hermetic_bases() : base.python => hermetic_base_tag(base.python) },
    { for pair in compact(split(",", BASE_IMAGES)) : split("=", pair)[0] => join("=", slice(split("=", pair), 1, length(split("=", pair)))) },
  ), python, "")
}

# The first problem with CELL, SPARK_VERSION, PYTHON_VERSION, PLATFORM_PROFILE, PLATFORMS and
# WHEELHOUSE_VARIANTS, "" where there is none.
function "input_error" {
  params = []
  result = concat(compact([
    CELL == "" || length(cell_parts()) == 2 ? "" : "CELL=${CELL} is not a cell: write it spark-X.Y-python-A.B, e.g. spark-${SPARK_VERSION}-python-${PYTHON_VERSION}.",
    cell_refusal(chosen_cell().spark, chosen_cell().python),
    cell_refusal(SPARK_VERSION, PYTHON_VERSION),
    contains(keys(platform_profiles()), PLATFORM_PROFILE) ? "" : "PLATFORM_PROFILE=${PLATFORM_PROFILE} is not a profile: use one of ${join(", ", keys(platform_profiles()))}.",
    length(setsubtract(compact(split(",", PLATFORMS)), locked_platforms())) == 0 ? "" : "PLATFORMS=${PLATFORMS} names a platform without locks: use ${join(", ", locked_platforms())} or several, comma-separated.",
    length(setsubtract(WHEELHOUSE_VARIANTS, images())) == 0 ? "" : "WHEELHOUSE_VARIANTS names an unknown variant (${join(", ", WHEELHOUSE_VARIANTS)}): use some of ${join(", ", images())}.",
  ]), [""])[0]
}

# A base of the form target:NAME is a target of this file, passed as a named context.
function "base_image_name" {
  params = [ref]
  result = trimprefix(ref, "target:")
}

# The base image of a Python's cells as the named context `base` of an image built on it (the
# test images, the benchmarks'): a target of this file, or an image.
function "base_context_of" {
  params = [python]
  result = base_image_name(base_image(python)) != base_image(python) ? base_image(python) : "docker-image://${base_image(python)}"
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

function "cell_tag" {
  params = [cell]
  result = "spark-${cell.spark}-python-${cell.python}"
}

function "default_cell" {
  params = []
  result = { spark = SPARK_VERSION, python = PYTHON_VERSION }
}

# CELL's Spark line and Python, [] where it is not of the form spark-X.Y-python-A.B.
function "cell_parts" {
  params = []
  result = flatten(regexall("^spark-([0-9]+[.][0-9]+)-python-([0-9]+[.][0-9]+)$", CELL))
}

# The cell the variant groups build: CELL, else the default cell.
function "chosen_cell" {
  params = []
  result = length(cell_parts()) == 2 ? { spark = cell_parts()[0], python = cell_parts()[1] } : default_cell()
}

function "target_name" {
  params = [variant, cell]
  result = "${variant.image}-${cell_id(cell)}"
}

function "tags" {
  params = [name, cell]
  result = TAG != "" ? ["${REGISTRY}${name}:${TAG}"] : concat(["${REGISTRY}${name}:${cell_tag(cell)}"], cell == default_cell() ? ["${REGISTRY}${name}:latest"] : [])
}

# The platforms of an image PLATFORM_PROFILE does not name: PLATFORMS, else the engine's own.
function "platforms" {
  params = []
  result = PLATFORMS != "" ? split(",", PLATFORMS) : [join("/", slice(split("/", BAKE_LOCAL_PLATFORM), 0, 2))]
}

# The platforms of one image: PLATFORMS if set, else its profile's (INPUT_ERROR refuses a
# platform without locks).
function "variant_platforms" {
  params = [variant, cell]
  result = (PLATFORMS == "" && length(profile().platforms) > 0 && contains(profile().images, variant.image) && (profile().every_cell || cell == chosen_cell())
  ? profile().platforms : platforms())
}

function "profile" {
  params = []
  result = platform_profiles()[PLATFORM_PROFILE]
}

# The digest of a variant's locks on one architecture (LOCK_DIGESTS in docker-bake.json, written
# by make lock). Bake's labels are per target, not per platform: the Dockerfile labels each
# platform's image with its own, from one argument per architecture.
function "lock_digest" {
  params = [variant, cell, arch]
  result = lookup(LOCK_DIGESTS, "spark-${cell.spark}/python-${cell.python}/linux-${arch}/${variant.stage}", "")
}

# Empty values are left out: an image without a revision says nothing rather than "".
function "labels" {
  params = [variant, cell]
  result = { for key, value in {
    "org.opencontainers.image.title"       = "spark-k8s-${variant.image}"
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
    BASE_IMAGE      = base_image_name(base_image(cell.python))
    PYTHON_VERSION  = cell.python
    SPARK_VERSION   = cell.spark
    WHEEL_PLATFORMS = join(" ", [for arch, tag in architectures() : "${arch}=${tag}"])
  }
}

function "variant_args" {
  params = [variant, cell]
  result = merge(cell_args(cell), {
    LOCKS             = join(" ", variant_locks(variant))
    VARIANT_LOCK      = variant.requirements
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
  tags       = [hermetic_base_tag(base.python)]
  # Only the platforms a cell on it is built for: a foreign rootfs builds under emulation.
  platforms  = distinct(flatten([for cell in cells() : [for variant in variants() : variant_platforms(variant, cell)] if cell.python == base.python]))
  attest     = ["type=provenance,mode=max"]
  # Compressed as the images on it, so that their layers from it are its blobs.
  output     = [image_output()]
  cache-from = cache_from("python-base-py${replace(base.python, ".", "")}")
  cache-to   = cache_to("python-base-py${replace(base.python, ".", "")}")
  matrix = {
    base = hermetic_bases()
  }
}

# One target per cell and variant, each a stage of the same Dockerfile: python-deps-gpu-spark43-py313
# (the group offered, below, holds them all).
target "_variant" {
  name        = target_name(pair.variant, pair.cell)
  inherits    = ["_common"]
  description = "Spark ${pair.cell.spark}, Python ${pair.cell.python}: ${pair.variant.description}"
  target      = pair.variant.stage
  platforms   = variant_platforms(pair.variant, pair.cell)
  args        = variant_args(pair.variant, pair.cell)
  tags        = tags("spark-k8s-${pair.variant.image}", pair.cell)
  labels      = labels(pair.variant, pair.cell)
  cache-from  = cache_from(target_name(pair.variant, pair.cell))
  cache-to    = cache_to(target_name(pair.variant, pair.cell))
  # The wheelhouse replaces the Dockerfile's empty stage of that name; nothing else is fetched.
  contexts = merge(base_context(pair.cell.python), WHEELHOUSE != "" ? { wheelhouse = WHEELHOUSE } : {})
  network  = WHEELHOUSE != "" ? "none" : null
  matrix = {
    pair = offered_pairs()
  }
}

# The SBOM of each image (Dockerfile stage sbom): CycloneDX JSON, one per platform, written to
# SBOM_DIR/IMAGE/CELL/linux_ARCH/sbom.cdx.json. From the image's own files, so a cached image
# costs only the scan.
target "_variant-sbom" {
  name        = "${target_name(pair.variant, pair.cell)}-sbom"
  inherits    = ["_common"]
  description = "SBOM of spark-k8s-${pair.variant.image}:${cell_tag(pair.cell)}, CycloneDX JSON, to ${SBOM_DIR}"
  target      = "sbom"
  platforms   = variant_platforms(pair.variant, pair.cell)
  args = merge(variant_args(pair.variant, pair.cell), {
    SBOM_OF       = pair.variant.stage
    IMAGE_NAME    = "${REGISTRY}spark-k8s-${pair.variant.image}"
    IMAGE_VERSION = cell_tag(pair.cell)
  })
  contexts = base_context(pair.cell.python)
  attest   = ["type=provenance,disabled=true"]
  output   = ["type=local,dest=${SBOM_DIR}/spark-k8s-${pair.variant.image}/${cell_tag(pair.cell)},platform-split=true"]
  matrix = {
    pair = offered_pairs()
  }
}

target "wheelhouse" {
  inherits    = ["_common"]
  description = "Every file the locks of the default cell's WHEELHOUSE_VARIANTS name, hash-checked, written to WHEELHOUSE (default ./wheelhouse)"
  target      = "wheelhouse-files"
  args = merge(cell_args(chosen_cell()), {
    WHEELHOUSE_LOCKS = join(" ", distinct(flatten([for variant in variants() : variant_locks(variant) if offers(variant, chosen_cell()) && (length(WHEELHOUSE_VARIANTS) == 0 || contains(WHEELHOUSE_VARIANTS, variant.image))])))
  })
  contexts = base_context(chosen_cell().python)
  output   = ["type=local,dest=${WHEELHOUSE != "" ? WHEELHOUSE : "wheelhouse"}"]
}

# Every cell offered, every variant, and their SBOMs.
group "offered" {
  targets = flatten([for variant in variants() : [for cell in cells() : target_name(variant, cell) if offers(variant, cell)]])
}

group "sbom-offered" {
  targets = flatten([for variant in variants() : [for cell in cells() : "${target_name(variant, cell)}-sbom" if offers(variant, cell)]])
}

# The chosen cell (CELL, else the default cell), by variant.
group "python-deps" {
  targets = variant_group("python-deps")
}

group "python-deps-gpu" {
  targets = variant_group("python-deps-gpu")
}

group "python-deps-iceberg" {
  targets = variant_group("python-deps-iceberg")
}

group "all" {
  targets = [for variant in variants() : variant.image if offers(variant, chosen_cell())]
}

# The chosen cell's variants that need no GPU: what `make build CELL=...` builds and tests.
group "cell" {
  targets = [for variant in variants() : target_name(variant, chosen_cell()) if !variant.device && offers(variant, chosen_cell())]
}

# The SBOMs of the chosen cell's images (make sbom).
group "sbom" {
  targets = [for variant in variants() : "${target_name(variant, chosen_cell())}-sbom" if offers(variant, chosen_cell())]
}

group "bases" {
  targets = ["python-base"]
}

# Every cell offered whose Python has a base image, every variant.
group "matrix" {
  targets = flatten([for cell in cells() : [for variant in variants() : target_name(variant, cell) if offers(variant, cell)] if base_image(cell.python) != ""])
}

# What `make test` builds and tests (so .ci/run): the base and iceberg variants of the default cell
# and of the oldest Spark line. The gpu variant would not fit a CI runner's disk beside them
# (docs/disk.md): gpu-proof proves it in a run of its own, make test-matrix the middle lines.
group "ci" {
  targets = flatten([for cell in [default_cell(), { spark = "3.5", python = "3.11" }] : [for variant in variants() : target_name(variant, cell) if !variant.device && offers(variant, cell)]])
}

# The gpu variant of the default cell with the image it is tested against, for a run of its own.
group "gpu-proof" {
  targets = ["python-deps", "python-deps-gpu"]
}

group "default" {
  targets = ["python-deps"]
}
