"""scikit-learn, SciPy and pandas at work on the data sets scikit-learn ships. Prints JSON."""

import json

import numpy as np
import pandas as pd
from scipy import optimize, stats
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

iris = load_iris(as_frame=True)
frame = iris.frame.assign(species=iris.target_names[iris.target])
means = frame.groupby("species")["sepal length (cm)"].mean().round(3).to_dict()

cancer = load_breast_cancer()
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
accuracy = cross_val_score(model, cancer.data, cancer.target, cv=5).mean()

rosenbrock = optimize.minimize(optimize.rosen, x0=np.zeros(5), method="BFGS")
setosa, virginica = (
    frame.loc[frame.species == s, "petal length (cm)"] for s in ("setosa", "virginica")
)
t_test = stats.ttest_ind(setosa, virginica)

print(
    json.dumps(
        {
            "sepal_length_means": means,
            "cv_accuracy": float(accuracy),
            "rosenbrock_minimum": rosenbrock.x.round(4).tolist(),
            "petal_length_p_value": float(t_test.pvalue),
            "pandas": pd.__version__,
        }
    )
)
