"""The parity gate's tie rule: a label difference is excused only where scikit-learn's
probability of onnxruntime's class is within the stated tolerance of its top; and
k-nearest neighbours, whose distance ties no rule can excuse, are refused."""
import csv
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from skl2onnx.sklapi import CastTransformer
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline

from export.contract import ML_OPSET, TARGET_OPSET
from export.convert import serialize, to_onnx
from export.gates import compare, parity_gate
from export.probes import Categories, probe_sets
from export.runtime import OnnxModel
from export.spec import SpecError, load_spec
from export.train import TrainedModel, train

TOLERANCE = 1e-5


class TestCompare:
    # Row 0: classes 0 and 1 a float rounding apart; row 1: 2e-6 apart; row 2: exactly tied.
    reference = np.array([[0.1 + 0.2, 0.3, 0.4 - 0.1 - 0.2],
                          [0.500001, 0.499999, 0.0],
                          [0.5, 0.5, 0.0]])
    reference_labels = np.array([0, 0, 0])

    def figures(self, labels, scale=None):
        return compare("ties", self.reference, self.reference_labels, np.array(labels), self.reference, TOLERANCE,
                       scale)

    def test_rows_are_counted_as_exact_or_near_ties(self):
        figures = self.figures([0, 0, 0])
        assert (figures.ties, figures.near_ties, figures.label_mismatches) == (1, 2, 0)

    def test_a_near_tie_within_tolerance_is_excused_and_counted_apart(self):
        figures = self.figures([1, 1, 0])
        assert (figures.label_mismatches, figures.excused_near_tie_mismatches, figures.excused_tie_mismatches) == (
            0, 2, 0)
        assert figures.ok

    def test_an_exact_tie_is_still_excused_as_a_tie(self):
        figures = self.figures([0, 0, 1])
        assert (figures.label_mismatches, figures.excused_tie_mismatches, figures.excused_near_tie_mismatches) == (
            0, 1, 0)

    def test_a_class_beyond_tolerance_fails_even_on_a_near_tied_row(self):
        # Row 1's top two are a near tie, but class 2 lies 0.5 below the top.
        figures = self.figures([0, 2, 2])
        assert (figures.label_mismatches, figures.excused_near_tie_mismatches) == (2, 0)
        assert not figures.ok

    def test_a_difference_beyond_tolerance_fails(self):
        reference = np.array([[0.50001, 0.49999]])  # 2e-5 apart, tolerance 1e-5
        figures = compare("apart", reference, np.array([0]), np.array([1]), reference, TOLERANCE)
        assert (figures.label_mismatches, figures.near_ties, figures.excused_near_tie_mismatches) == (1, 0, 0)

    def test_a_label_is_held_to_the_stated_tolerance_even_where_probabilities_get_more(self):
        """Far out a row's probabilities may differ by tolerance x scale; its label is
        excused only within the stated tolerance: a flip there is still a flip."""
        reference = np.array([[0.50002, 0.49998], [0.500004, 0.499996]])  # 4e-5 and 8e-6 apart
        figures = compare("far", reference, np.array([0, 0]), np.array([1, 1]), reference, TOLERANCE,
                          np.array([10.0, 10.0]))
        assert (figures.label_mismatches, figures.near_ties, figures.excused_near_tie_mismatches) == (1, 1, 1)

    def test_an_unknown_class_is_never_excused(self):
        reference = np.array([[0.5, 0.5]])
        figures = compare("unknown", reference, np.array([0]), np.array([2]), reference, TOLERANCE)
        assert figures.label_mismatches == 1


def exact_tie_rule_failures(reference: np.ndarray, reference_labels: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The rule before near ties: a label difference excused only where onnxruntime's class
    is exactly at scikit-learn's top."""
    chosen = reference[np.arange(len(labels)), labels]
    return (labels != reference_labels) & (chosen != reference.max(axis=1))


@pytest.fixture(scope="module")
def digits_forest(tmp_path_factory) -> TrainedModel:
    """The issue's forest: 40 trees of depth 10 on the 8x8 digits (64 number columns),
    through the project's own path (a CSV spec, the random_forest builtin)."""
    folder = tmp_path_factory.mktemp("digits")
    digits = load_digits()
    with (folder / "digits.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*digits.feature_names, "digit"])
        writer.writerows([*(f"{value:g}" for value in row), target] for row, target in zip(digits.data, digits.target))
    (folder / "digits.toml").write_text(
        '[model]\nname = "digits"\ntask = "classification"\n\n'
        '[data]\ncsv = "digits.csv"\ntarget = "digit"\nother_columns = "number"\n\n'
        '[estimator]\nbuiltin = "random_forest"\nparams = { n_estimators = 40, max_depth = 10, random_state = 0 }\n\n'
        '[gate]\nmetric = "accuracy"\nthreshold = 0.8\n')
    return train(load_spec(folder / "digits.toml"))


def test_the_digits_forest_passes_where_the_exact_tie_rule_failed_it(digits_forest):
    data = digits_forest.data
    model = OnnxModel(serialize(to_onnx(digits_forest)), data.schema, "classification")
    probes = probe_sets(data, Categories.of(data, answered=False))  # the gate's own 100,000 random rows and more
    result = parity_gate(digits_forest.estimator, model, probes, TOLERANCE)
    assert result.passed, result
    old_failures = 0
    for probe, figures in zip(probes, result.sets):
        features = probe.rows.for_estimator()
        reference = digits_forest.estimator.predict_proba(features)
        labels = model.run(probe.rows).labels
        failed = exact_tie_rule_failures(reference, digits_forest.estimator.predict(features), labels)
        # Each row the old rule failed is a tie but for float64 rounding of the summed votes...
        gaps = reference.max(axis=1)[failed] - reference[np.flatnonzero(failed), labels[failed]]
        assert (gaps < 1e-12).all(), gaps
        # ...and exactly those rows are the near ties the new rule excuses.
        assert figures.excused_near_tie_mismatches == failed.sum()
        old_failures += int(failed.sum())
    assert old_failures > 0


# k-nearest neighbours. Where training rows lie at the same distance from a row, which
# of them counts among the k nearest is an accident of the search: scikit-learn's own
# kd_tree and brute force disagree, and the ONNX graph takes the lowest row index. Even
# with distances in float64 (as scikit-learn computes them) the pick differs, a
# probability moves by 1/k, and neither the tolerance nor the tie rule can excuse that.
# Integer-valued inputs (the digits' pixel counts) meet such ties often.
K = 5


@pytest.fixture(scope="module")
def integer_rows():
    x, y = load_digits(return_X_y=True)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.2, random_state=42)
    rows = np.random.default_rng(0).integers(0, 17, size=(5_000, 64)).astype(np.float32)
    return x_train, y_train, rows


def test_scikit_learns_own_neighbours_depend_on_its_search_order(integer_rows):
    x_train, y_train, rows = integer_rows
    kd_tree = KNeighborsClassifier(K, algorithm="kd_tree").fit(x_train, y_train).predict_proba(rows)
    brute = KNeighborsClassifier(K, algorithm="brute").fit(x_train, y_train).predict_proba(rows)
    assert (np.abs(kd_tree - brute) > 0).any(axis=1).sum() > 0


@pytest.mark.parametrize("algorithm", ["kd_tree", "brute"])  # brute is the default on 64 columns
def test_float64_distances_do_not_make_an_onnx_neighbours_model_agree(integer_rows, algorithm):
    x_train, y_train, rows = integer_rows
    knn = KNeighborsClassifier(K, algorithm=algorithm)
    # CastTransformer: the converted graph computes its distances in float64.
    estimator = Pipeline([("float64", CastTransformer(dtype=np.float64)), ("knn", knn)]).fit(x_train, y_train)
    onnx_model = convert_sklearn(estimator, initial_types=[("input", FloatTensorType([None, 64]))],
                                 target_opset={"": TARGET_OPSET, "ai.onnx.ml": ML_OPSET},
                                 options={id(knn): {"zipmap": False}})
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(None, {"input": rows})
    reference = estimator.predict_proba(rows)
    figures = compare("integer rows", reference, estimator.predict(rows), labels, probabilities, TOLERANCE)
    assert figures.probability_violations > 0 and figures.max_abs_diff == pytest.approx(1 / K)
    # Every row that differs has a distance tie at the k-th place: the same distances, another pick.
    differs = np.flatnonzero((np.abs(probabilities - reference) > TOLERANCE).any(axis=1))
    squared = ((rows[differs, None, :].astype(np.int64) - x_train[None, :, :].astype(np.int64)) ** 2).sum(axis=2)
    ranked = np.sort(squared, axis=1)
    assert (ranked[:, K - 1] == ranked[:, K]).all()


NEIGHBOURS = {
    "knn_classifier": ("iris", "classification", "accuracy", "KNeighborsClassifier()"),
    "knn_pipeline": ("breast_cancer", "classification", "accuracy",
                     'Pipeline([("scale", StandardScaler()), ("knn", KNeighborsClassifier())])'),
    "knn_regressor": ("diabetes", "regression", "mae", "KNeighborsRegressor()"),
}


def never_fit(*args, **kwargs):
    raise AssertionError("fit was called")


@pytest.mark.parametrize("module", NEIGHBOURS)
def test_nearest_neighbours_are_refused_before_training_with_the_reason(module, tmp_path: Path, monkeypatch):
    dataset, task, metric, expression = NEIGHBOURS[module]
    monkeypatch.setattr(KNeighborsClassifier, "fit", never_fit)
    monkeypatch.setattr(KNeighborsRegressor, "fit", never_fit)
    (tmp_path / f"{module}.py").write_text(
        "from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor  # noqa: F401\n"
        "from sklearn.pipeline import Pipeline  # noqa: F401\n"
        "from sklearn.preprocessing import StandardScaler  # noqa: F401\n\n\n"
        f"def build():\n    return {expression}\n")
    spec = tmp_path / f"{module}.toml"
    spec.write_text(
        f'[model]\nname = "{module}"\ntask = "{task}"\n\n[data]\nsklearn = "{dataset}"\ntarget = "target"\n\n'
        f'[estimator]\nfactory = "{module}:build"\n\n[gate]\nmetric = "{metric}"\nthreshold = 0.5\n')
    with pytest.raises(SpecError, match=r"\[estimator\]: k-nearest neighbours.*same distance.*1/n_neighbors"):
        train(load_spec(spec))


def test_nearest_neighbours_inside_an_ensemble_are_refused_too(iris_spec):
    """The refusal looks into voting and stacking members, not only pipelines."""
    from sklearn.ensemble import StackingClassifier, VotingClassifier
    from sklearn.linear_model import LogisticRegression

    from export.refusals import refuse

    for ensemble in (VotingClassifier([("lr", LogisticRegression()), ("knn", KNeighborsClassifier())], voting="soft"),
                     StackingClassifier([("lr", LogisticRegression())], final_estimator=KNeighborsClassifier())):
        with pytest.raises(SpecError, match="k-nearest neighbours"):
            refuse(iris_spec, ensemble)
