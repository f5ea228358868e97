# The Spark-on-Kubernetes runtime image of a cell, built as a user's own bake file would: from a
# target of this repository's bake files (python-deps of CELL, else of the default cell) or from
# an image (PARENT), with CELL set to its cell for its line's Java. Usage: docs/kubernetes.md.

variable "PARENT" {
  description = "The image to build on, as a bake context: target:NAME of docker-bake.hcl, or docker-image://REF"
  default     = "target:${target_name(variants()[0], chosen_cell())}"
}

variable "JAVA_BASE" {
  description = "Where Java is installed before it is laid on PARENT, as a bake context: PARENT's own base lets a cell's variants share the layer; empty for PARENT itself. Default: the cell's base where PARENT is a target of docker-bake.hcl"
  default     = ""
}

# The base Java goes on: JAVA_BASE, else the cell's base for a target, else the parent itself (a
# pulled image's base may be nowhere here).
function "runtime_java_base" {
  params = []
  result = JAVA_BASE != "" ? JAVA_BASE : (trimprefix(PARENT, "target:") != PARENT ? base_context_of(chosen_cell().python) : "")
}

target "spark-runtime" {
  description = "Spark-on-Kubernetes runtime (Java, uid 185, the entrypoint) on ${PARENT}"
  context     = "examples/spark-runtime"
  target      = "spark-runtime"
  contexts    = merge({ python-deps = PARENT }, runtime_java_base() != "" ? { base = runtime_java_base() } : {})
  args = {
    PYTHON_DEPS   = "python-deps"
    JAVA_BASE     = runtime_java_base() != "" ? "base" : "python-deps"
    JAVA_VERSIONS = join(" ", spark_lines()[chosen_cell().spark].java)
  }
  tags   = ["spark-k8s-runtime:${TAG != "" ? TAG : cell_tag(chosen_cell())}"]
}
