"""RAPIDS: real work on a device where `docker run --gpus all` works, and without a device
everything that can be checked: the CUDA libraries resolve all but the driver's."""

import json

import pytest

# Provided by the NVIDIA driver on the host, mounted by the container toolkit: never in a wheel.
DRIVER_LIBRARIES = {"libcuda.so.1", "libnvidia-ml.so.1"}
# Optional backends, loaded only when present; the packages work without them.
OPTIONAL_LIBRARIES = {
    "libcutensor.so.2": "CuPy's cuTENSOR backend (wheel cutensor-cu12, not in the GPU set)",
    "libcutensorMg.so.2": (
        "CuPy's multi-GPU cuTENSOR backend (wheel cutensor-cu12, not in the GPU set)"
    ),
    "libcudnn.so.8": "CuPy's cuDNN backend (wheel nvidia-cudnn-cu12, not in the GPU set)",
    "libtbb.so.12": (
        "numba's TBB threading layer; numba falls back to its OpenMP or workqueue layer"
    ),
    "libgomp.so.1.0.0": "numba's OpenMP threading layer; numba falls back to its workqueue layer",
}


@pytest.mark.gpu
@pytest.mark.usefixtures("gpu_available")
def test_rapids_on_the_device_agree_with_the_cpu_libraries(run):
    result = json.loads(run("python3", "/units/gpu_work.py", gpus="all").strip().splitlines()[-1])
    assert result["devices"] >= 1, "CuPy sees no CUDA device"
    assert result["groupby_max_difference"] < 1e-9, (
        f"cuDF groupby mean differs from pandas: {result}"
    )
    assert result["kmeans_max_center_difference"] < 1e-2, (
        f"cuML k-means centers differ from scikit-learn: {result}"
    )
    assert result["kernel_max_difference"] < 1e-4, f"CuPy kernel differs from NumPy: {result}"


def test_cuda_libraries_resolve_all_but_the_driver(run):
    result = json.loads(run("python3", "/units/cuda_libraries.py"))
    allowed = DRIVER_LIBRARIES | OPTIONAL_LIBRARIES.keys()
    unresolved = {lib: names for lib, names in result["missing"].items() if set(names) - allowed}
    assert result["libraries"] > 100, (
        f"only {result['libraries']} shared libraries found under site-packages"
    )
    assert not unresolved, (
        f"{len(unresolved)} of {result['libraries']} libraries miss more than the driver:"
        f" {unresolved}"
    )
