"""scikit-learn -> ONNX with the tensor names and opset the consumers rely on."""
import hashlib
from pathlib import Path

import onnx
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

from export.contract import INPUT_NAME, LABEL_NAME, MODEL_NAME, ML_OPSET, N_FEATURES, PROBABILITIES_NAME, TARGET_OPSET


def to_onnx(estimator: object) -> onnx.ModelProto:
    model = convert_sklearn(
        estimator,
        # A fixed graph name: skl2onnx otherwise names the graph with a random
        # UUID and two exports of the same model differ byte for byte.
        name=MODEL_NAME,
        initial_types=[(INPUT_NAME, FloatTensorType([None, N_FEATURES]))],
        target_opset={"": TARGET_OPSET, "ai.onnx.ml": ML_OPSET},
        # ZipMap off: plain `label` and `probabilities` tensors, which HTTP and
        # Triton-style clients can consume, instead of a sequence of maps.
        options={id(estimator): {"zipmap": False}},
    )
    _canonical_opsets(model)
    onnx.checker.check_model(model, full_check=True)
    outputs = [output.name for output in model.graph.output]
    if outputs != [LABEL_NAME, PROBABILITIES_NAME]:
        raise RuntimeError(f"converter produced outputs {outputs}, expected {[LABEL_NAME, PROBABILITIES_NAME]}")
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


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def write_bytes(path: Path, payload: bytes) -> None:
    """Write through a temporary sibling so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(payload)
    partial.replace(path)
