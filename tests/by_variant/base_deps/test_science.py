"""scikit-learn, SciPy and pandas compute the known answers on real data sets."""

import json

import pytest


def test_science_stack_on_real_data(run):
    result = json.loads(run("python3", "/units/science.py"))
    assert result["sepal_length_means"] == {
        "setosa": 5.006,
        "versicolor": 5.936,
        "virginica": 6.588,
    }
    assert result["cv_accuracy"] > 0.95, (
        f"breast-cancer logistic regression: accuracy {result['cv_accuracy']:.3f}"
    )
    assert result["rosenbrock_minimum"] == pytest.approx([1.0] * 5, abs=1e-3)
    assert result["petal_length_p_value"] < 1e-30
