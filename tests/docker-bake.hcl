# Test-only images, baked by the test harness together with ../docker-bake.hcl: each variant of
# each cell plus what its runtime tests need and the layer itself must not carry, a Java runtime
# its Spark line supports for a local Spark session and the user Spark on Kubernetes runs as (one
# layer per base, shared by its variants' test images), for iceberg an S3 endpoint; and one
# PostgreSQL server for all.

target "test" {
  name        = "${target_name(variant, cell)}-test"
  description = "Test image: ${target_name(variant, cell)} + Java (${join(" or ", spark_lines()[cell.spark].java)}) + the spark user (uid 185)${variant.stage == "iceberg" ? " + moto's S3 server" : ""}"
  context     = "tests/images/runtime"
  contexts    = { variant = "target:${target_name(variant, cell)}", base = base_context_of(cell.python) }
  target      = variant.stage == "iceberg" ? "with-object-store" : "runtime"
  secret      = build_secrets()
  args        = { JAVA_VERSIONS = join(" ", spark_lines()[cell.spark].java) }
  # TAG, where set, as the variants': a build under a tag of its own (a release leg's) leaves
  # the others' test images alone.
  tags        = ["spark-k8s-${variant.image}-test:${TAG != "" ? TAG : cell_tag(cell)}"]
  # The variants' compression: layers they share are their blobs, not converted ones.
  output      = [image_output()]
  matrix = {
    cell    = cells()
    variant = variants()
  }
}

target "test-postgres" {
  description = "Test image: a PostgreSQL server, on the base of the default cell's Python"
  context     = "tests/images/runtime"
  contexts    = { base = base_context_of(PYTHON_VERSION) }
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
