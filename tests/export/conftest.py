import pytest

from export.convert import serialize, to_onnx
from export.runtime import OnnxClassifier
from export.train import Dataset, TrainedModel, load_dataset, train


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="session")
def logistic(dataset: Dataset) -> TrainedModel:
    return train("logistic_regression", dataset)


@pytest.fixture(scope="session")
def forest(dataset: Dataset) -> TrainedModel:
    return train("random_forest", dataset)


@pytest.fixture(scope="session")
def logistic_payload(logistic: TrainedModel) -> bytes:
    return serialize(to_onnx(logistic.estimator))


@pytest.fixture(scope="session")
def logistic_onnx(logistic_payload: bytes) -> OnnxClassifier:
    return OnnxClassifier(logistic_payload)
