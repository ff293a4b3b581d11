"""Deterministic training on the Iris data that ships with scikit-learn."""
from dataclasses import dataclass
from typing import Any, Callable, Final, Literal, get_args

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

EstimatorName = Literal["logistic_regression", "random_forest", "gradient_boosting"]
ESTIMATOR_NAMES: Final[tuple[str, ...]] = get_args(EstimatorName)

# The original project's split; changing it changes every published figure.
TEST_SIZE: Final = 0.2
SEED: Final = 42

# The original was LogisticRegression(max_iter=200), i.e. L-BFGS at tol=1e-4. L-BFGS
# stops on its own function-change criterion at an iterate that depends on the
# BLAS kernel's rounding, so each x86-64 kernel gave different float32 weights. A
# Newton solver driven to tol=1e-10 in float64 lands on the optimum itself: the
# kernels then disagree only around 1e-14, far below the float32 rounding step, and
# the exported bytes are a property of the data (README, "Reproducibility").
LOGISTIC_TOLERANCE: Final = 1e-10
FIT_DTYPE: Final = np.float64
BLAS_THREADS: Final = 1

_FACTORIES: Final[dict[str, Callable[[], ClassifierMixin]]] = {
    "logistic_regression": lambda: LogisticRegression(solver="newton-cholesky", tol=LOGISTIC_TOLERANCE, max_iter=200),
    "random_forest": lambda: RandomForestClassifier(n_estimators=100, random_state=SEED),
    "gradient_boosting": lambda: GradientBoostingClassifier(random_state=SEED),
}


@dataclass(frozen=True)
class Dataset:
    feature_names: list[str]
    class_names: list[str]
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray

    @property
    def x_all(self) -> np.ndarray:
        return np.concatenate([self.x_train, self.x_test])

    @property
    def y_all(self) -> np.ndarray:
        return np.concatenate([self.y_train, self.y_test])


@dataclass(frozen=True)
class TrainedModel:
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


def load_dataset() -> Dataset:
    iris = load_iris()
    # float32 from the start: it is what the ONNX graph computes in, so scikit-learn
    # and onnxruntime see exactly the same numbers everywhere downstream.
    features = iris.data.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        features, iris.target, test_size=TEST_SIZE, random_state=SEED
    )
    return Dataset(
        feature_names=[str(name) for name in iris.feature_names],
        class_names=[str(name) for name in iris.target_names],
        x_train=x_train,
        x_test=x_test,
        y_train=y_train,
        y_test=y_test,
    )


def make_estimator(name: str) -> ClassifierMixin:
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise ValueError(f"unknown estimator {name!r}; choose one of {', '.join(ESTIMATOR_NAMES)}") from None


def train(name: str = "logistic_regression", data: Dataset | None = None) -> TrainedModel:
    """Fit the named estimator; the same inputs give the same model, bit for bit."""
    data = data or load_dataset()
    estimator = make_estimator(name)
    # One BLAS thread: multi-threaded reductions may sum in a different order
    # from run to run, which would change the weights in their last bits.
    # float64 (an exact widening of the float32 features): on float32 input
    # scikit-learn's linear models compute in float32, and no solver then reaches
    # the same weights under different BLAS kernels.
    with threadpool_limits(limits=BLAS_THREADS):
        estimator.fit(data.x_train.astype(FIT_DTYPE), data.y_train)
    return TrainedModel(name=name, estimator=estimator, data=data)
