"""The estimator families users reach for, each as a factory a spec can name
(`factory = "families:random_forest"`), and the table of what converts that
tests/export/test_what_converts.py measures and docs/own-model.md shows.

    python -m tests.export.families    (prints the measured table, to paste into the docs)
"""
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, PolynomialFeatures, StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

FOLDER = Path(__file__).resolve().parent
SEED = 0


def _logistic() -> Any:
    return LogisticRegression(solver="newton-cholesky", tol=1e-10)


def _boosters() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """XGBoost and LightGBM, where the environment has them."""
    found: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
    try:
        from xgboost import XGBClassifier, XGBRegressor
    except ImportError:
        pass
    else:
        found["XGBoost"] = (lambda: XGBClassifier(n_estimators=20, n_jobs=1, random_state=SEED),
                            lambda: XGBRegressor(n_estimators=20, n_jobs=1, random_state=SEED))
    try:
        from lightgbm import LGBMClassifier, LGBMRegressor
    except ImportError:
        pass
    else:
        options = {"n_estimators": 20, "n_jobs": 1, "random_state": SEED, "deterministic": True,
                   "force_row_wise": True, "verbose": -1}
        found["LightGBM"] = (lambda: LGBMClassifier(**options), lambda: LGBMRegressor(**options))
    return found


# family -> (a classifier, a regressor); None where the family has no such estimator.
FAMILIES: dict[str, tuple[Callable[[], Any] | None, Callable[[], Any] | None]] = {
    "linear models": (_logistic, LinearRegression),
    "ridge": (None, Ridge),
    "SVM (SVC with probability=True, SVR)": (lambda: SVC(probability=True, random_state=SEED), SVR),
    "linear SVM (LinearSVC)": (lambda: LinearSVC(random_state=SEED), None),
    "naive Bayes (GaussianNB)": (GaussianNB, None),
    "k-nearest neighbours": (KNeighborsClassifier, KNeighborsRegressor),
    "decision tree": (lambda: DecisionTreeClassifier(random_state=SEED),
                      lambda: DecisionTreeRegressor(random_state=SEED)),
    "random forest": (lambda: RandomForestClassifier(n_estimators=20, random_state=SEED),
                      lambda: RandomForestRegressor(n_estimators=20, random_state=SEED)),
    "extra trees": (lambda: ExtraTreesClassifier(n_estimators=20, random_state=SEED),
                    lambda: ExtraTreesRegressor(n_estimators=20, random_state=SEED)),
    "gradient boosting": (lambda: GradientBoostingClassifier(n_estimators=20, random_state=SEED),
                          lambda: GradientBoostingRegressor(n_estimators=20, random_state=SEED)),
    "histogram gradient boosting": (lambda: HistGradientBoostingClassifier(max_iter=20, random_state=SEED),
                                    lambda: HistGradientBoostingRegressor(max_iter=20, random_state=SEED)),
    "MLP": (lambda: MLPClassifier(max_iter=2000, random_state=SEED),
            lambda: MLPRegressor(max_iter=2000, random_state=SEED)),
    **_boosters(),
    "StandardScaler in a Pipeline": (lambda: Pipeline([("scale", StandardScaler()), ("model", _logistic())]),
                                     lambda: Pipeline([("scale", StandardScaler()), ("model", Ridge())])),
    "MinMaxScaler in a Pipeline": (lambda: Pipeline([("scale", MinMaxScaler()), ("model", _logistic())]),
                                   lambda: Pipeline([("scale", MinMaxScaler()), ("model", Ridge())])),
    "SimpleImputer in a Pipeline": (lambda: Pipeline([("impute", SimpleImputer()), ("model", _logistic())]),
                                    lambda: Pipeline([("impute", SimpleImputer()), ("model", Ridge())])),
    "PolynomialFeatures in a Pipeline": (
        lambda: Pipeline([("poly", PolynomialFeatures(2)), ("scale", StandardScaler()), ("model", _logistic())]),
        lambda: Pipeline([("poly", PolynomialFeatures(2)), ("model", Ridge())])),
    "PCA in a Pipeline": (lambda: Pipeline([("pca", PCA(3, random_state=SEED)), ("model", _logistic())]),
                          lambda: Pipeline([("pca", PCA(3, random_state=SEED)), ("model", Ridge())])),
    # Around a tree ensemble: a linear model's score, exponentiated, overflows float32 far
    # out (docs/own-model.md, "What converts").
    "TransformedTargetRegressor (log/exp)": (None, lambda: TransformedTargetRegressor(
        GradientBoostingRegressor(n_estimators=20, random_state=SEED), func=np.log, inverse_func=np.exp)),
}
# The data each task is measured on (scikit-learn's own: no download).
DATA = {"classification": "iris", "regression": "diabetes"}


def _factory_name(family: str, task: str) -> str:
    return f"{task}_{list(FAMILIES).index(family)}"


# Each family's estimators as module-level factories, for a spec to name.
for _family, (_classifier, _regressor) in FAMILIES.items():
    for _task, _make in (("classification", _classifier), ("regression", _regressor)):
        if _make is not None:
            globals()[_factory_name(_family, _task)] = _make


@dataclass(frozen=True)
class Verdict:
    proven: bool
    why: str
    """What failed or why it was refused ("" when proven)."""

    def cell(self) -> str:
        return "proven" if self.proven else "refused"


def spec_text(family: str, task: str) -> str:
    return f"""[model]
name = "family"
task = "{task}"
[data]
sklearn = "{DATA[task]}"
[estimator]
factory = "families:{_factory_name(family, task)}"
path = "{FOLDER}"
[gate]
metric = "{'accuracy' if task == 'classification' else 'r2'}"
threshold = {0.0 if task == 'classification' else -1000.0}
"""


def measure(family: str, task: str, folder: Path) -> Verdict:
    """Both gates on one family's estimator for one task, through `export build`'s own path."""
    from export.errors import InputError
    from export.pipeline import GateOptions, build

    spec = folder / "family.toml"
    spec.write_text(spec_text(family, task))
    try:
        with warnings.catch_warnings():
            # Convergence and overflow warnings are the estimators' own business here:
            # the table measures what converts, and the gates judge the answers.
            warnings.simplefilter("ignore")
            outcome = build(spec, folder, options=GateOptions(random_points=2000))
    except InputError as error:
        return Verdict(False, str(error).removeprefix(f"{spec}: ").removeprefix("[estimator]: "))
    if outcome.passed:
        return Verdict(True, "")
    failed = [s.name for s in outcome.parity.sets if not s.ok]
    return Verdict(False, f"parity fails on {', '.join(failed)}" if failed else "; ".join(outcome.quality.failures))


def table(verdicts: dict[tuple[str, str], Verdict]) -> str:
    """The markdown table docs/own-model.md shows between its what-converts markers."""
    lines = ["| family | classification | regression | why not |", "| --- | --- | --- | --- |"]
    for family, makers in FAMILIES.items():
        cells, reasons = [], []
        for task, make in zip(("classification", "regression"), makers):
            verdict = verdicts.get((family, task))
            cells.append("—" if make is None or verdict is None else verdict.cell())
            if verdict is not None and verdict.why and verdict.why not in reasons:
                reasons.append(verdict.why)
        lines.append(f"| {family} | {cells[0]} | {cells[1]} | {' / '.join(reasons)} |")
    return "\n".join(lines)


def measure_all() -> dict[tuple[str, str], Verdict]:
    verdicts = {}
    with tempfile.TemporaryDirectory() as work:
        for family, makers in FAMILIES.items():
            for task, make in zip(("classification", "regression"), makers):
                if make is not None:
                    folder = Path(work) / _factory_name(family, task)
                    folder.mkdir()
                    verdicts[family, task] = measure(family, task, folder)
    return verdicts


if __name__ == "__main__":
    sys.stdout.write(table(measure_all()) + "\n")
