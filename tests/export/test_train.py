import numpy as np
import pytest

from export.datasets import load_dataset
from export.spec import SpecError
from export.train import BUILTINS, make_estimator, train


def test_split_matches_the_original_project(dataset):
    assert dataset.x_train.numbers.shape == (120, 4)
    assert dataset.x_test.numbers.shape == (30, 4)
    assert dataset.x_train.numbers.dtype == np.float32
    assert dataset.class_names == ["setosa", "versicolor", "virginica"]


@pytest.mark.parametrize("name", list(BUILTINS["classification"]))
def test_training_is_deterministic(iris_spec, dataset, name):
    first, second = train(iris_spec, name, dataset), train(iris_spec, name, dataset)
    x = dataset.x_all.for_estimator()
    np.testing.assert_array_equal(first.estimator.predict_proba(x), second.estimator.predict_proba(x))


def test_the_iris_spec_is_the_original_logistic_regression(logistic):
    assert type(logistic.estimator).__name__ == "LogisticRegression"
    assert logistic.params["max_iter"] == 200


def test_an_unknown_estimator_is_refused_with_the_choices_of_the_task(iris_spec):
    with pytest.raises(SpecError, match=r"iris\.toml: \[estimator\] builtin: .*'svm'.*random_forest") as caught:
        make_estimator(iris_spec, "svm")
    assert "linear_regression" not in str(caught.value)


def test_a_regressor_for_a_classification_spec_is_refused(iris_spec):
    with pytest.raises(SpecError, match="classification"):
        make_estimator(iris_spec, "linear_regression")


def test_the_same_spec_loads_the_same_split(iris_spec, dataset):
    again = load_dataset(iris_spec)
    np.testing.assert_array_equal(again.x_test.numbers, dataset.x_test.numbers)
    np.testing.assert_array_equal(again.y_test, dataset.y_test)
