from pathlib import Path

import pytest

from export.contract import DEFAULT_SPEC
from export.convert import serialize, to_onnx
from export.datasets import Dataset, load_dataset
from export.runtime import OnnxModel
from export.spec import ModelSpec, load_spec
from export.train import TrainedModel, train


@pytest.fixture(scope="session")
def iris_spec(repo_root: Path) -> ModelSpec:
    return load_spec(repo_root / DEFAULT_SPEC)


@pytest.fixture(scope="session")
def dataset(iris_spec: ModelSpec) -> Dataset:
    return load_dataset(iris_spec)


@pytest.fixture(scope="session")
def logistic(iris_spec: ModelSpec, dataset: Dataset) -> TrainedModel:
    return train(iris_spec, data=dataset)


@pytest.fixture(scope="session")
def forest(iris_spec: ModelSpec, dataset: Dataset) -> TrainedModel:
    return train(iris_spec, "random_forest", dataset)


@pytest.fixture(scope="session")
def logistic_payload(logistic: TrainedModel) -> bytes:
    return serialize(to_onnx(logistic))


@pytest.fixture(scope="session")
def logistic_onnx(logistic_payload: bytes, dataset: Dataset) -> OnnxModel:
    return OnnxModel(logistic_payload, dataset.schema, "classification")
