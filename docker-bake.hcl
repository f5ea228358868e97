# Python dependency layer of the spark-k8s image family.
#   docker buildx bake python-deps            base variant
#   docker buildx bake all                    every variant
#   docker buildx bake --list=targets         what each target is
# Variables can be set from the environment: BASE_IMAGE=python:3.10-slim docker buildx bake

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

# The variants: one Dockerfile stage each, named python-deps${suffix}. The test harness's bake
# file (tests/docker-bake.hcl) builds a test image on each.
variable "VARIANTS" {
  type = list(object({ suffix = string, stage = string, description = string }))
  default = [
    {
      suffix      = ""
      stage       = "base-deps"
      description = "Base set: pandas, NumPy, pyarrow, PySpark, SQLAlchemy, psycopg2, scikit-learn, SciPy"
    },
    {
      suffix      = "-gpu"
      stage       = "gpu"
      description = "Base set + RAPIDS (cuDF, cuML, CuPy) for CUDA 12"
    },
    {
      suffix      = "-iceberg"
      stage       = "iceberg"
      description = "Base set + pyiceberg with pyarrow, SQL catalogs and S3"
    },
  ]
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
  contexts = base_image_name(BASE_IMAGE) != BASE_IMAGE ? { (base_image_name(BASE_IMAGE)) = BASE_IMAGE } : {}
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
  cache-from  = cache_from("python-deps${variant.suffix}")
  cache-to    = cache_to("python-deps${variant.suffix}")
  matrix = {
    variant = VARIANTS
  }
}

group "default" {
  targets = ["python-deps"]
}
