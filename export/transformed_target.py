"""An ONNX converter for scikit-learn's TransformedTargetRegressor, which skl2onnx 1.20 lacks.

The regressor is converted as skl2onnx converts it on its own; the inverse of the
target's transformation is then applied to its output as ONNX operators. Only
pairs ONNX computes as scikit-learn does are taken (`INVERSES`); any other is
refused with a reason, never converted approximately.
"""
from typing import Any, Callable, Final

import numpy as np
from skl2onnx import update_registered_converter
from skl2onnx._supported_operators import sklearn_operator_name_map
from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
from skl2onnx.algebra.onnx_ops import OnnxExp, OnnxIdentity, OnnxSub
from skl2onnx.common.data_types import FloatTensorType
from sklearn.compose import TransformedTargetRegressor

ALIAS: Final = "ExportTransformedTargetRegressor"
PAIRS: Final = ((np.log, np.exp), (np.log1p, np.expm1), (None, None))
"""(func, inverse_func) pairs converted: (None, None) is the identity."""
_DESCRIBED_PAIRS: Final = "func=np.log and inverse_func=np.exp, func=np.log1p and inverse_func=np.expm1, or neither"
_ADVICE: Final = "use one of those pairs, or transform the target before training"


class UnsupportedTargetTransform(NotImplementedError):
    """A TransformedTargetRegressor whose inverse the converter does not write."""


def refusal(estimator: Any) -> str | None:
    """Why `estimator` (a TransformedTargetRegressor) cannot be converted; None if it can."""
    if estimator.transformer is not None:
        return (f"TransformedTargetRegressor converts to ONNX only without transformer= (this one has"
                f" {type(estimator.transformer).__name__}) and with {_DESCRIBED_PAIRS}: {_ADVICE}")
    if not any(estimator.func is func and estimator.inverse_func is inverse for func, inverse in PAIRS):
        return (f"TransformedTargetRegressor converts to ONNX only with {_DESCRIBED_PAIRS}; this one has"
                f" func={_name(estimator.func)} and inverse_func={_name(estimator.inverse_func)}: {_ADVICE}")
    return None


def _name(function: Callable[..., Any] | None) -> str:
    return "None" if function is None else getattr(function, "__name__", repr(function))


def register() -> None:
    """Register the converter with skl2onnx; registering again changes nothing."""
    if sklearn_operator_name_map.get(TransformedTargetRegressor) == ALIAS:
        return
    update_registered_converter(TransformedTargetRegressor, ALIAS, _shape, _convert)


def _shape(operator: Any) -> None:
    # Any number of inputs (one per column when the regressor is a ColumnTransformer
    # pipeline); one float value per row out, as every skl2onnx regressor gives.
    operator.outputs[0].type = FloatTensorType([operator.inputs[0].get_first_dimension(), 1])


def _convert(scope: Any, operator: Any, container: Any) -> None:
    estimator = operator.raw_operator
    reason = refusal(estimator)
    if reason is not None:
        raise UnsupportedTargetTransform(reason)
    version = container.target_opset
    output = {"op_version": version, "output_names": operator.outputs[:1]}
    predicted = OnnxSubEstimator(estimator.regressor_, *operator.inputs, op_version=version)
    if estimator.inverse_func is np.exp:
        result = OnnxExp(predicted, **output)
    elif estimator.inverse_func is np.expm1:
        # ONNX has no expm1: exp(z) - 1 in float32 loses at most about 6e-8 near 0,
        # far inside the parity tolerance (relative to the target's scale).
        result = OnnxSub(OnnxExp(predicted, op_version=version), np.array([1], dtype=np.float32), **output)
    else:
        result = OnnxIdentity(predicted, **output)
    result.add_to(scope, container)
