"""The benchmarks' reading of BuildKit's plain progress (benchmarks/measure.py), on which the
build timelines and the export figures of docs/speed.md rest."""

import sys

from python_deps import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from measure import BuildLog  # noqa: E402

# Two bakes in one log, as make build writes: each numbers its steps from 1.
LOG = """\
#0 building with "default" instance using docker driver
#1 [internal] load local bake definitions
#1 DONE 0.0s
#7 [python-deps-spark43-py313 pyspark 2/2] RUN --mount=type=bind,from=tools /tmp/tools/bin/install-locked /tmp/lock.txt
#7 12.5 Built pyspark==4.3.0
#7 DONE 32.9s
#8 [python-deps-spark43-py313 base-set 2/3] RUN --mount=type=cache,id=uv-amd64 install-locked
#8 CACHED
#9 [python-deps-spark43-py313] exporting to image
#9 exporting layers 18.3s done
#9 unpacking to docker.io/library/spark-k8s-python-deps:spark-4.3-python-3.13 8.8s done
#9 DONE 27.3s
#0 building with "default" instance using docker driver
#7 [python-deps-iceberg-spark43-py313 variant-in-image 1/1] RUN install-locked
#7 DONE 8.2s
"""


def test_steps_of_every_bake_in_a_log_are_read_with_their_seconds():
    log = BuildLog(LOG)
    assert log.timeline() == [
        ("[python-deps-spark43-py313 pyspark 2/2] RUN", 32.9),
        ("[python-deps-spark43-py313] exporting", 27.3),
        ("[python-deps-iceberg-spark43-py313 variant-in-image 1/1] RUN", 8.2),
    ]
    assert log.steps["1.8"] == ("[python-deps-spark43-py313 base-set 2/3] RUN", None)


def test_export_phases_are_summed():
    log = BuildLog(LOG)
    assert (log.export_seconds, log.unpack_seconds) == (18.3, 8.8)
