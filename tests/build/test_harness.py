"""The harness bakes what the selected tests use: `pytest -m gpu` the gpu image, not the group."""

from types import SimpleNamespace

from python_deps.declaration import Cell
from python_deps.matrix import Variant
from tests.utils.harness import POSTGRES_TARGET, harness_targets, needed_targets


def variant(image: str, stage: str) -> Variant:
    return Variant(f"{image}-spark43-py313", stage, Cell("4.3", "3.13"), image, ("linux/amd64",))


BASE, GPU, ICEBERG = (
    variant("python-deps", "base-deps"),
    variant("python-deps-gpu", "gpu"),
    variant("python-deps-iceberg", "iceberg"),
)
SELECTED = [BASE, GPU, ICEBERG]
UNSET = object()


def item(*fixtures: str, of=UNSET) -> SimpleNamespace:
    """A collected test with these fixtures, of a variant (None: skipped, no image of its stage)."""
    callspec = None if of is UNSET else SimpleNamespace(params={"variant": of})
    return SimpleNamespace(fixturenames=list(fixtures), callspec=callspec)


def test_a_test_of_one_image_needs_that_image_alone():
    assert needed_targets([item("variant", "image", "images", "run", of=GPU)], SELECTED) == [
        GPU.target
    ]


def test_the_test_image_and_the_server_where_the_fixtures_use_them():
    tests = [item("variant", "images", "run", "postgres", of=ICEBERG)]
    assert needed_targets(tests, SELECTED) == [
        ICEBERG.target,
        ICEBERG.test_target,
        POSTGRES_TARGET,
    ]


def test_a_layer_test_needs_the_image_below_its_own_stage():
    assert needed_targets([item("variant", "layers", of=GPU)], SELECTED) == [
        BASE.target,
        GPU.target,
    ]
    assert needed_targets([item("variant", "layers", of=BASE)], SELECTED) == [
        BASE.target,
        BASE.base_target,
    ]


def test_a_skipped_test_needs_nothing_and_a_once_per_run_test_everything():
    assert needed_targets([item("variant", "images", of=None)], SELECTED) == []
    assert needed_targets([item("images", "tmp_path")], SELECTED) == harness_targets(SELECTED)
