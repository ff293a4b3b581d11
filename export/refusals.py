"""What cannot be proven equal to its source, refused before any training, each with
the reason in plain words: a spec fails fast instead of after a long fit."""
from typing import Any

from sklearn.base import is_classifier
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from export import transformed_target
from export.parts import all_parts
from export.spec import ModelSpec, SpecError


def _answers_probabilities(spec: ModelSpec, estimator: Any) -> None:
    """A classifier must give probabilities: the gateway answers them, and the parity
    gate compares them."""
    if is_classifier(estimator) and not hasattr(estimator, "predict_proba"):
        raise SpecError(spec.path, "[estimator]",
                        f"{type(estimator).__name__} gives no probabilities (no predict_proba), which the gateway"
                        " answers and the parity gate compares; wrap it in CalibratedClassifierCV, or choose one"
                        " that has them (for SVC: probability=True)")


def _native_categories(spec: ModelSpec, estimator: Any) -> None:
    """HistGradientBoosting's own categorical splits convert silently wrong
    (sklearn-onnx issues 1051 and 1101): refused before any training."""
    for step in all_parts(estimator):
        if isinstance(step, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
            chosen = step.get_params().get("categorical_features")
            if chosen is not None and not (isinstance(chosen, str) and chosen == "from_dtype"):
                raise SpecError(spec.path, "[estimator]",
                                "HistGradientBoosting's categorical_features convert to ONNX with wrong answers"
                                " (sklearn-onnx issues 1051, 1101); one-hot encode the category columns instead"
                                " (a builtin does so for the spec's category columns)")


def _nearest_neighbours(spec: ModelSpec, estimator: Any) -> None:
    """k-nearest neighbours cannot be proven: refused before any training.

    Where training rows lie at the same distance from a row, which of them counts among
    the k nearest is an accident of the search: scikit-learn's kd_tree and brute force
    already disagree (150 of 20,000 integer-valued rows on the 8x8 digits), and the ONNX
    graph takes the lowest row index. Distances computed in float64, as scikit-learn
    computes them, change nothing there: the distances are equal, only the pick differs,
    so a probability moves by 1/k and no tolerance or tie rule can excuse it. Inputs on a
    grid (measurements to 0.1, pixel counts) meet such rows often; random probes rarely.
    """
    for step in all_parts(estimator):
        if isinstance(step, (KNeighborsClassifier, KNeighborsRegressor)):
            raise SpecError(spec.path, "[estimator]",
                            "k-nearest neighbours cannot be exported with answers equal to scikit-learn's: where"
                            " training rows lie at the same distance from a row, scikit-learn and the ONNX model"
                            " pick different ones among the nearest, and the answer moves by 1/n_neighbors"
                            " of a probability (or of the mean); choose another estimator")


def _target_transform(spec: ModelSpec, estimator: Any) -> None:
    """A TransformedTargetRegressor converts only with the functions export/transformed_target.py knows."""
    for step in all_parts(estimator):
        if isinstance(step, TransformedTargetRegressor):
            why = transformed_target.refusal(step)
            if why is not None:
                raise SpecError(spec.path, "[estimator]", why)


def refuse(spec: ModelSpec, estimator: Any) -> None:
    """SpecError naming why, for an estimator (fitted or not) the export cannot prove."""
    _answers_probabilities(spec, estimator)
    _native_categories(spec, estimator)
    _nearest_neighbours(spec, estimator)
    _target_transform(spec, estimator)
