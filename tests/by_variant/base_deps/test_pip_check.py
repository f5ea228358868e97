"""The environment has no broken or missing requirement, as pip sees it."""


def test_pip_check(run):
    assert "No broken requirements found" in run("python3", "-m", "pip", "check")
