"""The test image is examples/spark-runtime's image, and keeps the contract Spark on Kubernetes
relies on (apache/spark-docker's entrypoint): a driver pod's container, `driver ARGS`, runs
spark-submit in client mode; an executor pod's, `executor` with the SPARK_* environment
spark-submit gives it, registers with that driver and runs its tasks; anything else runs as given,
under tini as PID 1, as uid 185. No Kubernetes here: the driver is a standalone application with no
worker, whose scheduler takes an executor that registers by itself as the Kubernetes one does
(.github/workflows/kubernetes.yml runs the same job on a cluster). Once per cell: the entrypoint
and Java are the example's, the same over every variant."""

import pytest
from python_on_whales import docker

from tests.utils.containers import (
    SMOKE_JOB,
    SPARK_HOME,
    executor_pod_environment,
    run_in,
    smoke_report,
    spark_network,
    wait_for_log,
    wait_for_match,
)

DRIVER_PORT = 7078
pytestmark = pytest.mark.own_stage


def module_options(command: str) -> list[str]:
    """The JVM options Spark's launcher gave the driver (its module options: --add-opens, ...),
    from its printed command. The driver's SparkContext adds the same ones to
    spark.executor.extraJavaOptions, which spark-submit on Kubernetes hands each executor as
    SPARK_JAVA_OPT_n: without them Arrow fails in the executor on Java 17 and later."""
    words = command.split()
    options = words[words.index("-cp") + 2 : words.index("org.apache.spark.deploy.SparkSubmit")]
    return [option for option in options if not option.startswith("-Xmx")]


def test_an_executor_started_as_kubernetes_starts_it_runs_the_drivers_tasks(test_image):
    with spark_network(test_image, "k8s") as (network, start):
        master = start(
            "master",
            f"{SPARK_HOME}/bin/spark-class org.apache.spark.deploy.master.Master"
            " --host master --port 7077",
        )
        wait_for_log(master, "I have been elected leader")
        driver = start(
            "driver",
            [
                "driver",
                "--master=spark://master:7077",
                "--conf=spark.driver.host=driver",
                f"--conf=spark.driver.port={DRIVER_PORT}",
                "--conf=spark.ui.enabled=false",
                SMOKE_JOB,
                "1",
            ],
            # What the driver pod's spec sets: its IP, to bind to.
            environment={"SPARK_DRIVER_BIND_ADDRESS": "0.0.0.0", "SPARK_PRINT_LAUNCH_COMMAND": "1"},
        )
        java_options = module_options(wait_for_match(driver, r"Spark Command: (.*)").group(1))
        application = wait_for_match(driver, r"app ID (app-\S+)").group(1)
        executor = start(
            "executor-1",
            ["executor"],
            executor_pod_environment(
                f"spark://CoarseGrainedScheduler@driver:{DRIVER_PORT}",
                application,
                "1",
                "executor-1",
                [*java_options, f"-Dspark.driver.port={DRIVER_PORT}"],
            ),
        )
        exit_code = docker.container.wait(driver)
        log, executor_log = docker.logs(driver), docker.logs(executor)
    assert "KubernetesExecutorBackend" in executor_log and (
        "Successfully registered with driver" in executor_log
    ), executor_log[-3000:]
    report = smoke_report(log)
    assert exit_code == 0, f"the driver failed: {log[-3000:]}"
    assert report["executors"] == {
        "executor-1": {"python": report["driver"]["python"], "uid": 185}
    }, report


def test_other_commands_pass_through_under_tini_as_the_spark_user(test_image):
    seen = run_in(
        test_image,
        "sh",
        "-c",
        'cat /proc/1/comm; id -u; echo "$SPARK_HOME $PYSPARK_PYTHON"; pwd'
        " && python3 -c \"import pyspark, os; print(os.path.realpath(os.environ['SPARK_HOME'])"
        ' == os.path.dirname(pyspark.__file__))"',
    ).split()
    assert seen == [
        "tini",
        "185",
        "/opt/spark/pyspark",
        "/opt/python/bin/python3",
        "/opt/spark/work-dir",
        "True",
    ], seen
