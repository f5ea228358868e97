# Python dependency layer of the spark-k8s image family.
#   docker buildx bake python-deps            base variant
#   docker buildx bake all                    every variant
#   docker buildx bake wheelhouse             every file the locks name, for builds with no network
#   docker buildx bake --list=targets         what each target is
# Variables can be set from the environment: BASE_IMAGE=python:3.10-slim docker buildx bake
# docker-bake.json, read with this file, holds the lock digests that scripts/lock.sh writes.

variable "REGISTRY" {
  description = "Prefix of the image names, with its trailing slash, e.g. ghcr.io/acme/"
  default     = ""
}

variable "TAG" {
  default = "latest"
}

variable "BASE_IMAGE" {
  description = "Image the layer extends: any image with python3 and pip on PATH at PYTHON_VERSION, or target:python-base-debian for the hermetic Debian base built here"
  default     = "spark-k8s-python-3.10:latest"
}

variable "PYTHON_VERSION" {
  description = "Python version of BASE_IMAGE; selects the lock files"
  default     = "3.10"
  validation {
    condition     = contains(PYTHON_VERSIONS, PYTHON_VERSION)
    error_message = "PYTHON_VERSION ${PYTHON_VERSION} has no lock files: use one of ${join(", ", PYTHON_VERSIONS)}, or add it to PYTHON_VERSIONS and run make lock."
  }
}

# The versions with lock files: scripts/lock.sh resolves every Spark line for every Python.
variable "PYTHON_VERSIONS" {
  type    = list(string)
  default = ["3.10", "3.11"]
}

variable "SPARK_VERSIONS" {
  type    = list(string)
  default = ["4.2"]
}

variable "SPARK_VERSION" {
  description = "Spark line of the image family (major.minor); pins pyspark and selects the lock files"
  default     = "4.2"
  validation {
    condition     = contains(SPARK_VERSIONS, SPARK_VERSION)
    error_message = "SPARK_VERSION ${SPARK_VERSION} has no lock files: use one of ${join(", ", SPARK_VERSIONS)}, or add it to SPARK_VERSIONS and run make lock."
  }
}

# A build cache shared by a team or CI, one entry per variant target, written with mode=max so
# that the intermediate stages (tools, pyspark) are reused too. Exporting a cache needs a driver
# that supports it: docker-container, kubernetes, remote, or docker with the containerd image
# store. Readers that must not write it: --set '*.cache-to='.
variable "CACHE_REGISTRY" {
  description = "Registry repository for the build cache, e.g. ghcr.io/acme/python-deps-cache; each target uses the tag of its name"
  default     = ""
}

variable "CACHE_DIR" {
  description = "Local folder for the build cache (e.g. one a CI system saves and restores); each target uses a subfolder of its name"
  default     = ""
}

# The variants: one Dockerfile stage each, named python-deps${suffix}, and the locks it installs
# in order (besides locks/build.txt, pyspark's build backend). The test harness's bake file
# (tests/docker-bake.hcl) builds a test image on each.
variable "VARIANTS" {
  type = list(object({ suffix = string, stage = string, locks = list(string), description = string }))
  default = [
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

# Air-gapped sites: `docker buildx bake wheelhouse` on a connected machine downloads every file
# the locks of WHEELHOUSE_VARIANTS name, hash-checked, into the folder WHEELHOUSE; with WHEELHOUSE
# set, the variants then install from that folder alone, with the build's network turned off.
variable "WHEELHOUSE" {
  description = "Folder of the wheelhouse: written by the wheelhouse target (default ./wheelhouse), the variants' only package source when set"
  default     = ""
}

variable "WHEELHOUSE_VARIANTS" {
  description = "Variant targets whose locks the wheelhouse target downloads"
  type        = list(string)
  default     = ["python-deps", "python-deps-gpu", "python-deps-iceberg"]
  validation {
    condition     = length(setsubtract(WHEELHOUSE_VARIANTS, [for variant in VARIANTS : "python-deps${variant.suffix}"])) == 0
    error_message = "WHEELHOUSE_VARIANTS names an unknown variant (${join(", ", WHEELHOUSE_VARIANTS)}): use some of ${join(", ", [for variant in VARIANTS : "python-deps${variant.suffix}"])}."
  }
}

# Image labels (OCI annotations). REVISION and SOURCE_URL come from git through the Makefile;
# with SOURCE_DATE_EPOCH set, the build is reproducible and `created` is that time.
variable "REVISION" {
  description = "Source revision the images are built from (org.opencontainers.image.revision)"
  default     = ""
}

variable "SOURCE_URL" {
  description = "Where the source lives (org.opencontainers.image.source)"
  default     = ""
}

variable "SOURCE_DATE_EPOCH" {
  description = "Unix time for every file the layer installs and for the image's creation time: two builds from the same locks then give identical layers"
  default     = ""
}

variable "CA_BUNDLE" {
  description = "PEM bundle that pip and uv trust in the build, e.g. a TLS-intercepting proxy's CA; handed over as a secret, never stored in a layer"
  default     = ""
}

# A BASE_IMAGE of the form target:NAME is a target of this file, passed as a named context.
function "base_image_name" {
  params = [ref]
  result = trimprefix(ref, "target:")
}

function "base_context" {
  params = []
  result = base_image_name(BASE_IMAGE) != BASE_IMAGE ? { (base_image_name(BASE_IMAGE)) = BASE_IMAGE } : {}
}

function "engine_arch" {
  params = []
  result = split("/", BAKE_LOCAL_PLATFORM)[1]
}

function "lock_folder" {
  params = []
  result = "spark-${SPARK_VERSION}/python-${PYTHON_VERSION}/linux-${engine_arch()}"
}

# Empty values are left out: an image without a revision says nothing rather than "".
function "labels" {
  params = [variant]
  result = { for key, value in {
    "org.opencontainers.image.title"       = "spark-k8s-python-deps${variant.suffix}"
    "org.opencontainers.image.description" = variant.description
    "org.opencontainers.image.version"     = "spark-${SPARK_VERSION}-python-${PYTHON_VERSION}"
    "org.opencontainers.image.created"     = SOURCE_DATE_EPOCH != "" ? formatdate("YYYY-MM-DD'T'hh:mm:ssZ", timeadd("1970-01-01T00:00:00Z", "${SOURCE_DATE_EPOCH}s")) : timestamp()
    "org.opencontainers.image.revision"    = REVISION
    "org.opencontainers.image.source"      = SOURCE_URL
    "spark-k8s.python-deps.locks"          = join(" ", concat(["locks/build.txt"], [for lock in variant.locks : "locks/${lock_folder()}/${lock}.txt"]))
    "spark-k8s.python-deps.lock-digest"    = lookup(LOCK_DIGESTS, "${lock_folder()}/${variant.stage}", "")
  } : key => value if value != "" }
}

function "image" {
  params = [name]
  result = ["${REGISTRY}${name}:${TAG}"]
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

target "_common" {
  context    = "docker/docker-intermediate/python-deps"
  dockerfile = "Dockerfile"
  args = {
    BASE_IMAGE     = base_image_name(BASE_IMAGE)
    PYTHON_VERSION = PYTHON_VERSION
    SPARK_VERSION  = SPARK_VERSION
  }
  contexts = base_context()
  secret   = CA_BUNDLE != "" ? ["id=ca-bundle,src=${CA_BUNDLE}"] : []
}

target "python-base-debian" {
  description = "Hermetic base: Debian bookworm with Python 3.11 in a virtual environment, from a local rootfs (scripts/debian-rootfs.sh)"
  context     = "docker/docker-base/python-debian"
  tags        = image("spark-k8s-python-3.11-debian")
}

# One target per variant, each a stage of the same Dockerfile; the block's name, "all", is
# also the group that builds every variant.
target "all" {
  name        = "python-deps${variant.suffix}"
  inherits    = ["_common"]
  description = variant.description
  target      = variant.stage
  tags        = image("spark-k8s-python-deps${variant.suffix}")
  labels      = labels(variant)
  cache-from  = cache_from("python-deps${variant.suffix}")
  cache-to    = cache_to("python-deps${variant.suffix}")
  # The wheelhouse replaces the Dockerfile's empty stage of that name; nothing else is fetched.
  contexts = merge(base_context(), WHEELHOUSE != "" ? { wheelhouse = WHEELHOUSE } : {})
  network = WHEELHOUSE != "" ? "none" : null
  matrix = {
    variant = VARIANTS
  }
}

target "wheelhouse" {
  inherits    = ["_common"]
  description = "Every file the locks of WHEELHOUSE_VARIANTS name, hash-checked, written to WHEELHOUSE (default ./wheelhouse)"
  target      = "wheelhouse-files"
  args = {
    WHEELHOUSE_LOCKS = join(" ", distinct(flatten([for variant in VARIANTS : variant.locks if contains(WHEELHOUSE_VARIANTS, "python-deps${variant.suffix}")])))
  }
  output = ["type=local,dest=${WHEELHOUSE != "" ? WHEELHOUSE : "wheelhouse"}"]
}

group "default" {
  targets = ["python-deps"]
}
