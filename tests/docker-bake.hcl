# Test-only images, baked by the test harness together with ../docker-bake.hcl: each variant
# plus what its runtime tests need and the layer itself must not carry, a Java runtime for a
# local Spark session, the user Spark on Kubernetes runs as, and a PostgreSQL server.
target "test" {
  name        = "python-deps${variant.suffix}-test"
  description = "Test image: python-deps${variant.suffix} + Java 17 + the spark user (uid 185) + PostgreSQL"
  context     = "tests/images/runtime"
  contexts    = { variant = "target:python-deps${variant.suffix}" }
  tags        = image("spark-k8s-python-deps${variant.suffix}-test")
  matrix = {
    variant = VARIANTS
  }
}

# The base image as the variants get it, loaded so that the layer tests can tell its layers
# from those the Dockerfile adds.
target "test-base" {
  description       = "Test image: BASE_IMAGE as the variants are built on it"
  dockerfile-inline = "FROM base"
  contexts          = { base = base_image_name(BASE_IMAGE) != BASE_IMAGE ? BASE_IMAGE : "docker-image://${BASE_IMAGE}" }
  tags              = image("spark-k8s-python-deps-test-base")
}
