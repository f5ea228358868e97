# Test-only images, baked by the test harness with ../docker-bake.hcl: each variant of each cell
# with examples/spark-runtime's image on it, so that the tests run what users run (for iceberg with
# an S3 endpoint on top), and one PostgreSQL server for all.

# The example's build of a variant, as its own bake file makes it from a target: Java on the cell's base.
function "runtime_contexts" {
  params = [variant, cell]
  result = { python-deps = "target:${target_name(variant, cell)}", base = base_context_of(cell.python) }
}

function "runtime_args" {
  params = [cell]
  result = { PYTHON_DEPS = "python-deps", JAVA_BASE = "base", JAVA_VERSIONS = join(" ", spark_lines()[cell.spark].java) }
}

# The runtime image of a variant under the iceberg test image (not tagged: a context alone).
target "test-runtime" {
  name        = "${target_name(pair.variant, pair.cell)}-runtime"
  description = "The spark-runtime example on ${target_name(pair.variant, pair.cell)}"
  context     = "examples/spark-runtime"
  target      = "spark-runtime"
  contexts    = runtime_contexts(pair.variant, pair.cell)
  args        = runtime_args(pair.cell)
  matrix = {
    pair = offered_pairs()
  }
}

target "test" {
  name        = "${target_name(pair.variant, pair.cell)}-test"
  description = "Test image: ${target_name(pair.variant, pair.cell)} as the spark-runtime example builds on it: Java (${join(" or ", spark_lines()[pair.cell.spark].java)}), the spark user (uid 185), the entrypoint${pair.variant.stage == "iceberg" ? " + moto's S3 server" : ""}"
  context     = pair.variant.stage == "iceberg" ? "tests/images/runtime" : "examples/spark-runtime"
  contexts    = pair.variant.stage == "iceberg" ? { spark-runtime = "target:${target_name(pair.variant, pair.cell)}-runtime" } : runtime_contexts(pair.variant, pair.cell)
  target      = pair.variant.stage == "iceberg" ? "with-object-store" : "spark-runtime"
  secret      = build_secrets()
  # JAVA_VERSIONS for both: the tests read the line's Java versions here.
  args = runtime_args(pair.cell)
  # TAG, where set, as the variants': a build under a tag of its own (a release leg's) leaves
  # the others' test images alone.
  tags = ["spark-k8s-${pair.variant.image}-test:${TAG != "" ? TAG : cell_tag(pair.cell)}"]
  # The variants' compression: layers they share are their blobs, not converted ones.
  output = [image_output()]
  matrix = {
    pair = offered_pairs()
  }
}

target "test-postgres" {
  description = "Test image: a PostgreSQL server, on the base of the chosen cell's Python"
  context     = "tests/images/runtime"
  contexts    = { base = base_context_of(chosen_cell().python) }
  target      = "postgres"
  tags        = ["spark-k8s-python-deps-test-postgres:latest"]
  output      = [image_output()]
}

# The base image of each Python's cells as the variants get it, loaded so that the layer tests
# can tell its layers from those the Dockerfile adds.
target "test-base" {
  name              = "test-base-py${replace(python, ".", "")}"
  description       = "Test image: the base of the Python ${python} cells"
  dockerfile-inline = "FROM base"
  contexts          = { base = base_context_of(python) }
  tags              = ["spark-k8s-python-deps-test-base:python-${python}"]
  output            = [image_output()]
  matrix = {
    python = distinct([for cell in cells() : cell.python])
  }
}
