import json
from dataclasses import replace
import shutil

import numpy as np
import onnxruntime as ort
import pytest

from gateway.model.card import CARD_SCHEMA_VERSION
from gateway.model.inference import Model, ModelError


@pytest.fixture(scope="module")
def model(settings):
    return Model.load(settings.model_path, settings.card_path)


def test_predictions_equal_a_plain_onnxruntime_session(model, settings):
    rows = np.random.default_rng(1).uniform(0, 8, size=(500, 4)).astype(np.float32)
    reference = ort.InferenceSession(str(settings.model_path), providers=["CPUExecutionProvider"])
    labels, probabilities = reference.run(None, {"input": rows})
    prediction = model.predict(rows)
    np.testing.assert_array_equal(prediction.labels, labels)
    np.testing.assert_array_equal(prediction.probabilities, probabilities)


def test_outside_counts_the_training_range_and_the_proven_region_apart(model):
    training_high, proven_high = model.card.feature_max, model.card.parity_max
    assert (proven_high > training_high).all(), "the parity box is the training box widened"
    middle = ((model.card.feature_min + training_high) / 2).reshape(1, -1).astype(np.float32)
    drifted = middle.copy()
    drifted[0, 3] = (training_high[3] + proven_high[3]) / 2  # past training, still proven
    unproven = middle.copy()
    unproven[0, 0] = proven_high[0] + 1
    assert model.outside(middle) == (0, 0)
    assert model.outside(drifted) == (1, 0)
    assert model.outside(unproven) == (1, 1)
    assert model.outside(np.concatenate([middle, drifted, unproven, middle])) == (2, 1)


def test_a_parity_region_narrower_than_the_training_range_is_counted_row_by_row(model):
    card = model.card
    narrow = replace(card, parity_min=card.feature_min + 0.5, parity_max=card.feature_max - 0.5)
    narrowed = Model(model._session, narrow)
    inside_training_only = card.feature_min.reshape(1, -1).astype(np.float32)  # the training box's corner
    assert narrowed.outside(inside_training_only) == (0, 1)
    assert model.outside(inside_training_only) == (0, 0)


def test_a_model_that_does_not_match_its_card_is_refused(settings, tmp_path):
    card = json.loads(settings.card_path.read_text())
    card["onnx"]["sha256"] = "0" * 64
    (tmp_path / "iris.json").write_text(json.dumps(card))
    shutil.copy(settings.model_path, tmp_path / "iris.onnx")
    with pytest.raises(ModelError, match="card says 0000"):
        Model.load(tmp_path / "iris.onnx", tmp_path / "iris.json")


def test_a_card_missing_fields_is_refused(settings, tmp_path):
    (tmp_path / "iris.json").write_text(json.dumps({"schema_version": CARD_SCHEMA_VERSION, "name": "iris"}))
    with pytest.raises(ValueError, match="lacks"):
        Model.load(settings.model_path, tmp_path / "iris.json")


@pytest.mark.parametrize(("change", "message"), [
    (lambda card: card.update(task="regression", value={"min": 0, "max": 1}), "is not the one the gateway serves"),
    (lambda card: card["tensors"]["inputs"][0].update(name="features"), "the card describes tensors"),
    (lambda card: card["tensors"]["outputs"].pop(), "the card describes tensors"),
])
def test_a_card_whose_tensors_are_not_the_models_is_refused_at_start(settings, tmp_path, change, message):
    card = json.loads(settings.card_path.read_text())
    change(card)
    (tmp_path / "iris.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match=message):
        Model.load(settings.model_path, tmp_path / "iris.json")
