# A child image, built on this repository's layer as a user's own bake file would: with this
# repository's bake files, from a target of them (the default: the default cell's python-deps),
# or from an image already built or pulled (PARENT=docker-image://...).
#   docker buildx bake -f docker-bake.hcl -f docker-bake.json -f examples/jupyter/docker-bake.hcl jupyter
#   PARENT=docker-image://spark-k8s-python-deps:spark-3.5-python-3.11 docker buildx bake -f ... jupyter

variable "PARENT" {
  description = "The image to build on, as a bake context: target:NAME of docker-bake.hcl, or docker-image://REF"
  default     = "target:${target_name(variants()[0], chosen_cell())}"
}

variable "EXTRA_REQUIREMENTS" {
  description = "More packages for the kernel, as pip arguments"
  default     = ""
}

target "jupyter" {
  description = "JupyterLab and a kernel on ${PARENT}, keeping its pins"
  context     = "examples/jupyter"
  contexts    = { python-deps = PARENT }
  args        = { PYTHON_DEPS = "python-deps", EXTRA_REQUIREMENTS = EXTRA_REQUIREMENTS }
  secret      = build_secrets()
  tags        = ["spark-k8s-jupyter:${TAG != "" ? TAG : "latest"}"]
}
