"""Spark Connect, the way Spark 4 has notebooks reach a cluster: the client's dependencies pass
PySpark's own checks in every cell, and a client in one container works against a server of the
cell's test image in another."""

import json

from python_deps import REPORTS
from tests.utils.containers import SPARK_HOME, SPARK_USER, run_json, spark_connect_server

# PySpark's wheel carries the Connect server's jar since 4.0; Spark 3.5's is a Maven artifact of
# its own (spark-connect_2.12, or a Spark distribution), so its cells are clients only.
SERVER_SINCE = 4


def test_connect_dependencies_pass_pysparks_checks(variant, run):
    checks = set(run("python3", "/units/connect_requirements.py").split())
    expected = {
        "require_minimum_pandas_version",
        "require_minimum_pyarrow_version",
        "require_minimum_grpc_version",
    }
    if int(variant.spark.split(".")[0]) >= SERVER_SINCE:
        expected |= {
            "require_minimum_grpcio_status_version",
            "require_minimum_googleapis_common_protos_version",
        }
    assert expected <= checks, f"{variant}: PySpark's connect checks are {sorted(checks)}"


def test_a_client_in_one_container_works_through_a_server_in_another(variant, test_image, run):
    server_jars = run("sh", "-c", f"ls {SPARK_HOME}/jars | grep '^spark-connect_' || true").split()
    if int(variant.spark.split(".")[0]) < SERVER_SINCE:
        assert not server_jars, f"{variant}: the wheel has {server_jars}: start it and test it"
        return
    assert server_jars, f"{variant}: PySpark {variant.spark}'s wheel has no Spark Connect jar"
    with spark_connect_server(test_image) as (network, url):
        result = run_json(
            test_image,
            "python3",
            "/units/connect_client.py",
            url,
            networks=[network],
            hostname="connect-client",
            user=SPARK_USER,
        )
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"connect-{variant}.json").write_text(json.dumps(result, indent=2) + "\n")
    assert result["spark"].startswith(f"{variant.spark}."), result
    assert result["counts"] == [143] * 6 + [142], result
    assert result["udf_hosts"] == ["connect-server"], f"{variant}: the UDF ran on {result}"
    assert result["pandas_round_trip_equal"] and result["arrow_round_trip_equal"], result
