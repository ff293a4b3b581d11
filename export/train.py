"""Deterministic training of the estimator a spec names, on the data it names."""
import importlib
import math
import sys
from dataclasses import dataclass
from typing import Any, Callable, Final

from sklearn.base import is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

from export import fitted, refusals
from export.datasets import Dataset, load_dataset
from export.fitted import FittedFile, is_fitted
from export.rows import Schema
from export.spec import ModelSpec, SpecError

# The original was LogisticRegression(max_iter=200), i.e. L-BFGS at tol=1e-4. L-BFGS
# stops on its own function-change criterion at an iterate that depends on the
# BLAS kernel's rounding, so each x86-64 kernel gave different float32 weights. A
# Newton solver driven to tol=1e-10 in float64 lands on the optimum itself: the
# kernels then disagree only around 1e-14, far below the float32 rounding step, and
# the exported bytes are a property of the data (docs/export.md, "Reproducibility").
LOGISTIC_TOLERANCE: Final = 1e-10
BLAS_THREADS: Final = 1
# The seed of the built-in ensembles (the original project's split seed).
ENSEMBLE_SEED: Final = 42
# The boosters' deterministic settings: one thread (a parallel histogram sums in
# another order), a fixed seed; LightGBM's `deterministic` with row-wise histograms
# (its column-wise choice is timed at fit, so may differ from run to run).
BOOSTER_SETTINGS: Final[dict[str, dict[str, Any]]] = {
    "xgboost": {"tree_method": "hist", "n_jobs": 1, "random_state": ENSEMBLE_SEED},
    "lightgbm": {"n_jobs": 1, "random_state": ENSEMBLE_SEED, "deterministic": True, "force_row_wise": True,
                 "verbose": -1},
}


def _booster(package: str, estimator: str) -> Any:
    """An XGBoost or LightGBM builtin, its package imported only when one is built:
    a model without one never loads it (export/boosters.py)."""
    return getattr(importlib.import_module(package), estimator)(**BOOSTER_SETTINGS[package])


BUILTINS: Final[dict[str, dict[str, Callable[[], Any]]]] = {
    "classification": {
        "logistic_regression": lambda: LogisticRegression(
            solver="newton-cholesky", tol=LOGISTIC_TOLERANCE, max_iter=200),
        "random_forest": lambda: RandomForestClassifier(n_estimators=100, random_state=ENSEMBLE_SEED),
        "gradient_boosting": lambda: GradientBoostingClassifier(random_state=ENSEMBLE_SEED),
        "hist_gradient_boosting": lambda: HistGradientBoostingClassifier(random_state=ENSEMBLE_SEED),
        "xgboost": lambda: _booster("xgboost", "XGBClassifier"),
        "lightgbm": lambda: _booster("lightgbm", "LGBMClassifier"),
    },
    "regression": {
        "linear_regression": LinearRegression,
        "random_forest_regressor": lambda: RandomForestRegressor(n_estimators=100, random_state=ENSEMBLE_SEED),
        "gradient_boosting_regressor": lambda: GradientBoostingRegressor(random_state=ENSEMBLE_SEED),
        "hist_gradient_boosting_regressor": lambda: HistGradientBoostingRegressor(random_state=ENSEMBLE_SEED),
        "xgboost_regressor": lambda: _booster("xgboost", "XGBRegressor"),
        "lightgbm_regressor": lambda: _booster("lightgbm", "LGBMRegressor"),
    },
}
ESTIMATOR_NAMES: Final[tuple[str, ...]] = tuple(name for table in BUILTINS.values() for name in table)
# Builtins whose own missing-value routing survives the conversion (skl2onnx writes
# HistGradientBoosting's NaN branch directions, onnxmltools XGBoost's and LightGBM's):
# they take gaps without an imputer.
NATIVE_GAPS: Final = frozenset({"hist_gradient_boosting", "hist_gradient_boosting_regressor", "xgboost",
                                "xgboost_regressor", "lightgbm", "lightgbm_regressor"})
# Where a builtin's number column has a gap, the standard preprocessing fills it with
# the training median: robust to outliers, and exact (a middle value, not a sum).
IMPUTE_STRATEGY: Final = "median"


@dataclass(frozen=True)
class TrainedModel:
    spec: ModelSpec
    name: str
    estimator: Any
    data: Dataset
    fitted: FittedFile | None = None
    """The file of a model loaded as it was fitted (None: trained here)."""

    @property
    def held_out(self) -> bool:
        """Whether the test split is known to be unseen by the model: always when it is
        trained here, for a fitted file only when the spec says so."""
        return self.fitted is None or self.spec.estimator.held_out == "test_split"

    @property
    def params(self) -> dict[str, Any]:
        """The estimator's parameters, restricted to JSON scalars (JSON has no NaN:
        XGBoost's missing=nan is left out)."""
        return {
            key: value
            for key, value in sorted(self.estimator.get_params().items())
            if value is None or isinstance(value, (bool, int, str))
            or (isinstance(value, float) and math.isfinite(value))
        }


def preprocessing(schema: Schema, gaps: bool, native_gaps: bool) -> list[tuple[str, Any]]:
    """The steps a builtin estimator gets before it: none for numbers without gaps;
    else the median for a missing number (unless the estimator routes gaps itself)
    and one-hot categories, an unseen one (or a gap) encoded as all zeros."""
    impute = gaps and not native_gaps
    if not schema.per_column:
        return [("impute", SimpleImputer(strategy=IMPUTE_STRATEGY))] if impute else []
    parts: list[tuple[str, Any, list[str]]] = []
    if schema.numbers:
        parts.append(("numbers", SimpleImputer(strategy=IMPUTE_STRATEGY) if impute else "passthrough",
                      schema.numbers))
    parts.append(("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), schema.categories))
    return [("columns", ColumnTransformer(parts))]


def _builtin(spec: ModelSpec, name: str, data: Dataset | None) -> Any:
    table = BUILTINS[spec.task]
    if name not in table:
        raise SpecError(spec.path, "[estimator] builtin",
                        f"unknown {spec.task} estimator {name!r}; choose one of {', '.join(table)}")
    estimator = table[name]()
    try:
        estimator.set_params(**spec.estimator.params)
    except ValueError as error:
        raise SpecError(spec.path, "[estimator] params", str(error)) from None
    if data is None:
        return estimator
    steps = preprocessing(data.schema, bool(data.x_all.missing().any()), name in NATIVE_GAPS)
    return Pipeline([*steps, ("model", estimator)]) if steps else estimator


def _factory(spec: ModelSpec) -> Any:
    module_name, function_name = str(spec.estimator.factory).split(":")
    folder = str(spec.estimator.path.resolve())
    sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise SpecError(spec.path, "[estimator] factory",
                        f"cannot import {module_name!r} from {folder}: {error}") from None
    finally:
        sys.path.remove(folder)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise SpecError(spec.path, "[estimator] factory", f"{module_name} has no function {function_name!r}")
    estimator = function()
    if is_fitted(estimator):
        raise SpecError(spec.path, "[estimator] factory",
                        f"{spec.estimator.factory} returned an already fitted {type(estimator).__name__}: training"
                        " would fit it again, and the model served would not be yours; to serve a fitted model as"
                        ' it is, name its file instead: fitted = "model.pkl"')
    return estimator


def make_estimator(spec: ModelSpec, name: str | None = None, data: Dataset | None = None) -> Any:
    """The unfitted estimator: `name` (a builtin) if given, else the spec's own; a
    builtin with the standard preprocessing its data needs (`preprocessing`)."""
    if name is None and spec.estimator.factory:
        estimator = _factory(spec)
    else:
        estimator = _builtin(spec, name or str(spec.estimator.builtin), data)
    fits = is_classifier(estimator) if spec.task == "classification" else is_regressor(estimator)
    if not fits:
        raise SpecError(spec.path, "[estimator]", f"{type(estimator).__name__} is not a {spec.task} estimator"
                        " ([model] task)")
    refusals.refuse(spec, estimator)
    return estimator


def train(spec: ModelSpec, estimator_name: str | None = None, data: Dataset | None = None,
          fitted_sha256: str | None = None) -> TrainedModel:
    """Fit the spec's estimator (the same inputs give the same model, bit for bit), or
    load the fitted model it names, as it is (refused unloaded unless its sha256 is
    `fitted_sha256`, where that is given)."""
    data = data or load_dataset(spec)
    if estimator_name is None and spec.estimator.fitted is not None:
        loaded, source = fitted.read(spec, fitted_sha256)
        fitted.check(spec, loaded, data)
        refusals.refuse(spec, loaded)
        return TrainedModel(spec, spec.estimator.name, loaded, data, source)
    estimator = make_estimator(spec, estimator_name, data)
    # One BLAS thread: multi-threaded reductions may sum in a different order
    # from run to run, which would change the weights in their last bits.
    with threadpool_limits(limits=BLAS_THREADS):
        try:
            estimator.fit(data.x_train.for_estimator(fit=True), data.y_train)
        except (ValueError, TypeError) as error:
            raise SpecError(spec.path, "[estimator]",
                            f"{type(estimator).__name__} cannot fit the data: {error}") from None
    return TrainedModel(spec, estimator_name or spec.estimator.name, estimator, data)
