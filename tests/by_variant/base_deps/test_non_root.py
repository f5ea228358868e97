"""The layer works for the user Spark on Kubernetes runs as (uid 185), and no one else can
change it."""

import json

from tests.utils.containers import SPARK_USER


def test_every_distribution_imports_as_the_spark_user(variant, run):
    imports = (
        'for name; do python3 /units/import_distribution.py "$name" >/dev/null || exit 1; done'
    )
    run("sh", "-c", imports, "sh", *variant.requested(), user=SPARK_USER)


def test_science_stack_works_as_the_spark_user(run):
    result = json.loads(run("python3", "/units/science.py", user=SPARK_USER))
    assert result["cv_accuracy"] > 0.95


def test_nothing_in_the_python_prefix_is_world_writable(variant, run):
    find = 'find "$(python3 -c "import sys; print(sys.prefix)")" -perm -0002 ! -type l'
    writable = run("sh", "-c", find).split()
    assert not writable, (
        f"{variant}: world-writable, so any user could change the libraries: {writable[:8]}"
    )
