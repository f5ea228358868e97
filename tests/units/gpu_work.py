"""Real work on the GPU, checked against the CPU libraries: a cuDF groupby against pandas, a
cuML k-means against scikit-learn, a CuPy elementwise kernel against NumPy. Prints JSON."""

import json

import cudf
import cupy
import numpy as np
import pandas as pd
from cuml.cluster import KMeans as GpuKMeans
from sklearn.cluster import KMeans as CpuKMeans
from sklearn.datasets import make_blobs

rng = np.random.default_rng(7)
frame = pd.DataFrame({"key": rng.integers(0, 50, 100_000), "value": rng.normal(size=100_000)})
cpu_means = frame.groupby("key")["value"].mean().sort_index()
gpu_means = cudf.from_pandas(frame).groupby("key")["value"].mean().sort_index().to_pandas()

points, _ = make_blobs(n_samples=5000, centers=4, cluster_std=0.5, random_state=7)
points = points.astype(np.float32)
cpu_centers = np.sort(
    CpuKMeans(n_clusters=4, n_init=10, random_state=7).fit(points).cluster_centers_, axis=0
)
gpu_centers = np.sort(
    GpuKMeans(n_clusters=4, n_init=10, random_state=7).fit(points).cluster_centers_, axis=0
)

squared_distance = cupy.ElementwiseKernel(
    "float32 x, float32 y", "float32 z", "z = (x - y) * (x - y)", "squared_distance"
)
x, y = rng.normal(size=(2, 1_000_000)).astype(np.float32)
on_device = cupy.asnumpy(squared_distance(cupy.asarray(x), cupy.asarray(y)))

print(
    json.dumps(
        {
            "devices": cupy.cuda.runtime.getDeviceCount(),
            "groupby_max_difference": float(
                np.abs(gpu_means.to_numpy() - cpu_means.to_numpy()).max()
            ),
            "kmeans_max_center_difference": float(np.abs(gpu_centers - cpu_centers).max()),
            "kernel_max_difference": float(np.abs(on_device - (x - y) ** 2).max()),
        }
    )
)
