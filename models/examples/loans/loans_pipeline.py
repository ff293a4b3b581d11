"""The loans example's estimator: gaps imputed, categories one-hot encoded, numbers
standardised, a logistic regression.

A spec names it as `factory = "loans_pipeline:build"`. A missing number reaches the
pipeline as NaN and a missing category as the empty string (docs/own-model.md,
"Missing values"), so each imputer names the marker it replaces.
"""
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMBERS = ["age", "income", "loan_amount", "years_employed"]
CATEGORIES = ["employment", "home"]


def build() -> Pipeline:
    numbers = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    # A missing category becomes a category of its own, "unknown": an applicant who
    # leaves the field blank is told apart from every answer given.
    categories = Pipeline([
        ("impute", SimpleImputer(missing_values="", strategy="constant", fill_value="unknown")),
        ("encode", OneHotEncoder(handle_unknown="ignore")),
    ])
    columns = ColumnTransformer([("numbers", numbers, NUMBERS), ("categories", categories, CATEGORIES)])
    # Newton to a tight tolerance: the optimum itself, the same bytes under every BLAS kernel.
    return Pipeline([("columns", columns), ("model", LogisticRegression(solver="newton-cholesky", tol=1e-10))])
