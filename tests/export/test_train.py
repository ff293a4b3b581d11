import numpy as np
import pytest

from export.train import ESTIMATOR_NAMES, load_dataset, make_estimator, train


def test_split_matches_the_original_project():
    data = load_dataset()
    assert data.x_train.shape == (120, 4)
    assert data.x_test.shape == (30, 4)
    assert data.x_train.dtype == np.float32
    assert data.class_names == ["setosa", "versicolor", "virginica"]


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_training_is_deterministic(name):
    first, second = train(name), train(name)
    x = first.data.x_all
    np.testing.assert_array_equal(first.estimator.predict_proba(x), second.estimator.predict_proba(x))


def test_default_is_the_original_logistic_regression():
    model = train()
    assert type(model.estimator).__name__ == "LogisticRegression"
    assert model.params["max_iter"] == 200


def test_unknown_estimator_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="random_forest"):
        make_estimator("svm")
