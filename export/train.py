"""Deterministic training of the estimator a spec names, on the data it names."""
import importlib
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

from export.datasets import Dataset, load_dataset
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

BUILTINS: Final[dict[str, dict[str, Callable[[], Any]]]] = {
    "classification": {
        "logistic_regression": lambda: LogisticRegression(
            solver="newton-cholesky", tol=LOGISTIC_TOLERANCE, max_iter=200),
        "random_forest": lambda: RandomForestClassifier(n_estimators=100, random_state=ENSEMBLE_SEED),
        "gradient_boosting": lambda: GradientBoostingClassifier(random_state=ENSEMBLE_SEED),
        "hist_gradient_boosting": lambda: HistGradientBoostingClassifier(random_state=ENSEMBLE_SEED),
    },
    "regression": {
        "linear_regression": LinearRegression,
        "random_forest_regressor": lambda: RandomForestRegressor(n_estimators=100, random_state=ENSEMBLE_SEED),
        "gradient_boosting_regressor": lambda: GradientBoostingRegressor(random_state=ENSEMBLE_SEED),
        "hist_gradient_boosting_regressor": lambda: HistGradientBoostingRegressor(random_state=ENSEMBLE_SEED),
    },
}
ESTIMATOR_NAMES: Final[tuple[str, ...]] = tuple(name for table in BUILTINS.values() for name in table)
# Builtins whose own missing-value routing survives the conversion (skl2onnx writes
# HistGradientBoosting's NaN branch directions): they take gaps without an imputer.
NATIVE_GAPS: Final = frozenset({"hist_gradient_boosting", "hist_gradient_boosting_regressor"})
# Where a builtin's number column has a gap, the standard preprocessing fills it with
# the training median: robust to outliers, and exact (a middle value, not a sum).
IMPUTE_STRATEGY: Final = "median"


@dataclass(frozen=True)
class TrainedModel:
    spec: ModelSpec
    name: str
    estimator: Any
    data: Dataset

    @property
    def params(self) -> dict[str, Any]:
        """The estimator's parameters, restricted to JSON scalars."""
        return {
            key: value
            for key, value in sorted(self.estimator.get_params().items())
            if value is None or isinstance(value, (bool, int, float, str))
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


def _parts(estimator: Any) -> list[Any]:
    """The estimator and every step, transformer and wrapped estimator inside it, however deep."""
    found, pending = [], [estimator]
    while pending:
        part = pending.pop()
        found.append(part)
        pending.extend(step for _, step in getattr(part, "steps", ()))
        pending.extend(transformer for _, transformer, _ in getattr(part, "transformers", ()))
        pending.extend(inner for inner in (getattr(part, "estimator", None), getattr(part, "regressor", None))
                       if inner is not None)
    return found


def _native_categories(spec: ModelSpec, estimator: Any) -> None:
    """HistGradientBoosting's own categorical splits convert silently wrong
    (sklearn-onnx issues 1051 and 1101): refused before any training."""
    for step in _parts(estimator):
        if isinstance(step, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
            chosen = step.get_params().get("categorical_features")
            if chosen is not None and not (isinstance(chosen, str) and chosen == "from_dtype"):
                raise SpecError(spec.path, "[estimator]",
                                "HistGradientBoosting's categorical_features convert to ONNX with wrong answers"
                                " (sklearn-onnx issues 1051, 1101); one-hot encode the category columns instead"
                                " (a builtin does so for the spec's category columns)")


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
    return function()


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
    _native_categories(spec, estimator)
    return estimator


def train(spec: ModelSpec, estimator_name: str | None = None, data: Dataset | None = None) -> TrainedModel:
    """Fit the spec's estimator; the same inputs give the same model, bit for bit."""
    data = data or load_dataset(spec)
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
