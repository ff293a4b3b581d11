import dataclasses

import numpy as np
import onnx
import pytest
from onnx import helper
from sklearn.linear_model import LogisticRegression

from export.convert import serialize, to_onnx
from export.gates import compare, parity_gate, quality_gate
from export.probes import Categories, probe_sets
from export.runtime import OnnxModel
from export.spec import Gate
from export.train import TrainedModel

TOLERANCE = 1e-5
ACCURACY = Gate(metric="accuracy", threshold=0.9, margin=0.0, tolerance=TOLERANCE)

# Fewer random points than the real gate: these tests are about the gate's
# logic, and the real gate runs its full 100,000 in test_cli and test_reproducibility.
POINTS = 5_000


def _perturbed(payload: bytes, delta: float) -> bytes:
    model = onnx.load_from_string(payload)
    (node,) = [n for n in model.graph.node if n.op_type == "LinearClassifier"]
    (attribute,) = [a for a in node.attribute if a.name == "coefficients"]
    coefficients = list(attribute.floats)
    coefficients[0] += delta
    node.attribute.remove(attribute)
    node.attribute.append(helper.make_attribute("coefficients", coefficients))
    return model.SerializeToString()


class TestCompare:
    probabilities = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.4, 0.3, 0.3]])
    labels = np.array([0, 2, 0])

    def test_identical_outputs_pass(self):
        figures = compare("same", self.probabilities, self.labels, self.labels, self.probabilities.astype(np.float32))
        assert (figures.label_mismatches, figures.probability_violations, figures.ties) == (0, 0, 1)

    def test_choosing_the_other_tied_class_is_excused_and_counted(self):
        figures = compare("tie", self.probabilities, self.labels, np.array([1, 2, 0]), self.probabilities)
        assert (figures.label_mismatches, figures.excused_tie_mismatches) == (0, 1)

    def test_choosing_an_untied_class_on_a_tied_row_fails(self):
        figures = compare("tie", self.probabilities, self.labels, np.array([2, 2, 0]), self.probabilities)
        assert (figures.label_mismatches, figures.excused_tie_mismatches) == (1, 0)

    def test_a_tie_lower_down_excuses_nothing(self):
        # Row 3 ties at 0.3 for second place; only a tie at the top counts.
        figures = compare("low tie", self.probabilities, self.labels, np.array([0, 2, 1]), self.probabilities)
        assert figures.label_mismatches == 1

    def test_probability_beyond_tolerance_fails(self):
        shifted = self.probabilities + np.array([[2e-5, 0, 0], [0, 0, 0], [0, 0, 0]])
        figures = compare("drift", self.probabilities, self.labels, self.labels, shifted)
        assert figures.probability_violations == 1
        assert figures.max_abs_diff == pytest.approx(2e-5)

    def test_nan_probability_fails(self):
        broken = self.probabilities.copy()
        broken[1, 1] = np.nan
        assert compare("nan", self.probabilities, self.labels, self.labels, broken).probability_violations == 1


def probes(data, points=POINTS):
    return probe_sets(data, Categories.of(data, answered=False), points)


def onnx_of(trained: TrainedModel, payload: bytes | None = None) -> OnnxModel:
    return OnnxModel(payload or serialize(to_onnx(trained)), trained.data.schema, trained.spec.task)


def test_parity_passes_for_the_faithful_export(logistic, logistic_onnx):
    result = parity_gate(logistic.estimator, logistic_onnx, probes(logistic.data), TOLERANCE)
    assert result.passed, result
    assert sum(s.rows for s in result.sets) >= POINTS + 150


def test_parity_fails_when_a_weight_is_perturbed(logistic, logistic_payload):
    broken = onnx_of(logistic, _perturbed(logistic_payload, 0.05))
    result = parity_gate(logistic.estimator, broken, probes(logistic.data), TOLERANCE)
    assert not result.passed
    assert sum(s.probability_violations for s in result.sets) > 0


def test_parity_fails_when_another_model_is_swapped_in(forest, logistic_onnx):
    result = parity_gate(forest.estimator, logistic_onnx, probes(forest.data), TOLERANCE)
    assert not result.passed
    assert sum(s.label_mismatches for s in result.sets) > 0


def test_random_forest_ties_are_counted_and_only_they_are_excused(forest):
    model = onnx_of(forest)
    result = parity_gate(forest.estimator, model, probes(forest.data), TOLERANCE)
    random_set = result.sets[2]
    assert random_set.ties > 0
    assert result.passed
    # The same outputs with one untied label moved must fail: ties excuse nothing else.
    (probe,) = [p for p in probes(forest.data) if p.name == random_set.name]
    predictions = model.run(probe.rows)
    labels, probabilities = predictions.labels, predictions.probabilities
    reference = forest.estimator.predict_proba(probe.rows.for_estimator())
    untied = np.flatnonzero(np.sort(reference, axis=1)[:, -1] != np.sort(reference, axis=1)[:, -2])[0]
    labels[untied] = (labels[untied] + 1) % 3
    figures = compare("moved", reference, forest.estimator.predict(probe.rows.for_estimator()), labels, probabilities)
    assert figures.label_mismatches == 1


def test_accuracy_passes_for_the_real_model(logistic, logistic_onnx):
    result = quality_gate(logistic_onnx, logistic.data.x_test, logistic.data.y_test, ACCURACY)
    assert result.passed and result.value >= 0.9


def test_accuracy_fails_for_a_weak_model(logistic: TrainedModel):
    data = logistic.data
    shuffled = np.random.default_rng(0).permutation(data.y_train)
    weak = LogisticRegression(max_iter=200).fit(data.x_train.numbers, shuffled)
    weak_model = onnx_of(dataclasses.replace(logistic, estimator=weak))
    result = quality_gate(weak_model, data.x_test, data.y_test, ACCURACY)
    assert not result.passed
    assert "below the threshold" in result.failures[0]


def test_accuracy_fails_on_a_drop_below_the_committed_figure(logistic, logistic_onnx):
    data = logistic.data
    # One wrong target costs 1/30 of accuracy: 0.967 against a committed 1.0.
    targets = data.y_test.copy()
    targets[0] = (targets[0] + 1) % 3
    tight, loose = dataclasses.replace(ACCURACY, margin=0.01), dataclasses.replace(ACCURACY, margin=0.05)
    assert not quality_gate(logistic_onnx, data.x_test, targets, tight, baseline=1.0).passed
    assert quality_gate(logistic_onnx, data.x_test, targets, loose, baseline=1.0).passed


def test_far_rows_get_a_tolerance_scaled_by_their_magnitude():
    reference = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    labels = np.array([0, 0])
    candidate = (reference + [[1e-3, -1e-3, 0.0], [1e-3, -1e-3, 0.0]]).astype(np.float32)
    # Row 0 is as far out as 200 box reaches (tolerance 2e-3), row 1 is inside (1e-5).
    figures = compare("mixed", reference, labels, labels, candidate, 1e-5, np.array([200.0, 1.0]))
    assert figures.probability_violations == 1
    assert figures.max_tolerance == pytest.approx(2e-3)


def test_parity_probes_reach_far_outside_the_training_box(dataset, logistic, logistic_onnx):
    sets = {probe.name: probe for probe in probes(dataset, 100)}
    far = [probe for name, probe in sets.items() if name.startswith("far out")]
    assert max(float(np.abs(probe.rows.numbers).max()) for probe in far) > 9_000
    assert all(probe.scale is not None and probe.scale.max() > 10 for probe in far)
    result = parity_gate(logistic.estimator, logistic_onnx, far, TOLERANCE)
    assert result.passed, result.to_dict()
