# A child image, built on this repository's layer as a user's own bake file would: from a target
# of its bake files (python-deps of CELL, else of the default cell) or from an image (PARENT).
#   docker buildx bake -f docker-bake.hcl -f docker-bake.json -f examples/jupyter/docker-bake.hcl jupyter

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
