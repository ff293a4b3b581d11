"""The churn example's estimator: categories one-hot encoded, numbers standardised, a logistic regression.

A spec names it as `factory = "churn_pipeline:build"`; the export stage calls
`build()` for an unfitted estimator and fits it on a DataFrame with the spec's
column names.
"""
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build() -> Pipeline:
    columns = ColumnTransformer([
        # handle_unknown="ignore": a plan or region never seen in training is
        # encoded as all zeros, and the parity gate proves onnxruntime does the same.
        ("categories", OneHotEncoder(handle_unknown="ignore"), ["plan", "region"]),
        ("numbers", StandardScaler(), ["tenure_months", "monthly_charges", "support_calls"]),
    ])
    # Newton to a tight tolerance: the optimum itself, not a solver-path iterate
    # that follows the CPU's BLAS kernel (as the built-in logistic_regression).
    return Pipeline([("columns", columns), ("model", LogisticRegression(solver="newton-cholesky", tol=1e-10))])
