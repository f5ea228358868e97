"""RAPIDS on a real device. Runs only where `docker run --gpus all` works."""

import pytest

pytestmark = [pytest.mark.gpu, pytest.mark.stage("gpu"), pytest.mark.usefixtures("gpu_available")]


def test_cupy_sees_a_device_and_computes(run):
    script = "import cupy; n = cupy.cuda.runtime.getDeviceCount(); print(n, int(cupy.arange(1000).sum()))"
    devices, total = run("python3", "-c", script, gpus="all").split()
    assert int(devices) >= 1, "cupy sees no CUDA device"
    assert int(total) == sum(range(1000))
