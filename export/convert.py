"""scikit-learn -> ONNX with the tensor names and opset the consumers rely on."""
from typing import Any

import onnx
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.base import is_classifier

from export import shims
from export.contract import ML_OPSET, TARGET_OPSET
from export.conversion_errors import conversion_error
from gateway.model.contract import INPUT_NAME, LABEL_NAME, PROBABILITIES_NAME, VALUE_NAME
from export.errors import InputError
from export.rows import Schema
from export.train import TrainedModel


def input_types(schema: Schema) -> list[tuple[str, Any]]:
    """One FP32 input for a numbers-only model; else one [rows, 1] tensor per column."""
    if not schema.per_column:
        return [(INPUT_NAME, FloatTensorType([None, len(schema.features)]))]
    return [
        (feature.name, FloatTensorType([None, 1]) if feature.kind == "number" else StringTensorType([None, 1]))
        for feature in schema.features
    ]


def expected_outputs(estimator: Any) -> list[str]:
    return [LABEL_NAME, PROBABILITIES_NAME] if is_classifier(estimator) else [VALUE_NAME]


def final_step(estimator: Any) -> Any:
    """The estimator at the end of a Pipeline (itself when it is not one)."""
    steps = getattr(estimator, "steps", None)
    return final_step(steps[-1][1]) if steps else estimator


def to_onnx(trained: TrainedModel) -> onnx.ModelProto:
    estimator = trained.estimator
    shims.install()
    try:
        model = convert_sklearn(
            estimator,
            # A fixed graph name: skl2onnx otherwise names the graph with a random
            # UUID and two exports of the same model differ byte for byte.
            name=trained.spec.name,
            initial_types=input_types(trained.data.schema),
            target_opset={"": TARGET_OPSET, "ai.onnx.ml": ML_OPSET},
            # ZipMap off: plain `label` and `probabilities` tensors, which HTTP and
            # Triton-style clients can consume, instead of a sequence of maps.
            options={id(final_step(estimator)): {"zipmap": False}} if is_classifier(estimator) else None,
        )
    except (RuntimeError, NotImplementedError, TypeError, ValueError) as error:
        raise InputError(conversion_error(estimator, error)) from None
    _canonical_opsets(model)
    onnx.checker.check_model(model, full_check=True)
    outputs = [output.name for output in model.graph.output]
    if outputs != expected_outputs(estimator):
        raise InputError(f"skl2onnx produced outputs {outputs}, expected {expected_outputs(estimator)}")
    return model


def _canonical_opsets(model: onnx.ModelProto) -> None:
    """Sort and deduplicate `opset_import`.

    skl2onnx fills it from a set of domain names, so its order follows the
    process's string hash seed: the same model came out in two byte orders
    (GradientBoosting, 1 run in 6). LogisticRegression also lists the default
    domain twice.
    """
    entries = sorted({(entry.domain, entry.version) for entry in model.opset_import})
    del model.opset_import[:]
    for domain, version in entries:
        model.opset_import.add(domain=domain, version=version)


def serialize(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString(deterministic=True)
