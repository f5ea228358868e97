# Targets of benchmarks/rebuild.py, baked with ../docker-bake.hcl: the spec's naive Dockerfile
# and ours, per variant of the default cell, each from a scratch copy of its inputs that the
# benchmark edits, and tagged apart from the real images.

variable "BENCH_WORK" {
  description = "Scratch folder of the benchmark, with naive/ and ours/ build contexts"
  default     = "benchmarks/.work"
}

# The blocks' names are not those of any target: bake would read "naive" as the group of
# every variant, as it reads "all" in ../docker-bake.hcl.
target "bench-naive" {
  name     = "naive${trimprefix(variant.image, "python-deps")}"
  inherits = ["_common"]
  context  = "${BENCH_WORK}/naive"
  # The spec makes a variant with build args on one stage.
  args = merge(cell_args(default_cell()), {
    BUILD_GPU_DEPS     = variant.stage == "gpu" ? "true" : "false"
    BUILD_ICEBERG_DEPS = variant.stage == "iceberg" ? "true" : "false"
  })
  contexts = base_context(PYTHON_VERSION)
  # The exporter's defaults, as a plain docker build: gzip.
  output = ["type=image"]
  tags     = ["python-deps-bench-naive${trimprefix(variant.image, "python-deps")}:latest"]
  matrix = {
    variant = [for variant in variants() : variant if offers(variant, default_cell())]
  }
}

target "bench-ours" {
  name     = "ours${trimprefix(variant.image, "python-deps")}"
  inherits = [target_name(variant, default_cell())]
  context  = "${BENCH_WORK}/ours"
  # The naive build's platforms, whatever PLATFORM_PROFILE says for the real images.
  platforms = platforms()
  tags     = ["python-deps-bench-ours${trimprefix(variant.image, "python-deps")}:latest"]
  matrix = {
    variant = [for variant in variants() : variant if offers(variant, default_cell())]
  }
}

# Executor images for benchmarks/executor_start.py: each build's python-deps as the spark-runtime
# example (and so the test images) builds on it: Java, the spark user, the entrypoint. The same
# Java bytes on both, in each build's compression.
target "bench-executor" {
  name      = "${build}-executor"
  context   = "examples/spark-runtime"
  target    = "spark-runtime"
  contexts  = { python-deps = "target:${build}", base = base_context_of(PYTHON_VERSION) }
  args      = { PYTHON_DEPS = "python-deps", JAVA_BASE = "base", JAVA_VERSIONS = join(" ", spark_lines()[SPARK_VERSION].java) }
  secret    = build_secrets()
  platforms = platforms()
  output    = [build == "naive" ? "type=image" : image_output()]
  tags      = ["python-deps-bench-${build}-executor:latest"]
  matrix = {
    build = ["naive", "ours"]
  }
}
