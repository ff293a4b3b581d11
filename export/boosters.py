"""XGBoost and LightGBM inside skl2onnx: onnxmltools' converters registered for their
scikit-learn estimators (skl2onnx's documented route for them in a Pipeline), and
LightGBM's thresholds written so that float32 compares as LightGBM's doubles do.

Only the packages this process has already imported are registered: a model that
holds an XGBClassifier imported xgboost to be built (a builtin, a user's factory or
an unpickled file), and one without a booster never pays for importing either
package (importing xgboost is slow), nor needs lightgbm's libgomp.
"""
import functools
import sys
from types import ModuleType
from typing import Any, Callable, Final

import numpy as np
from skl2onnx import update_registered_converter
from skl2onnx._supported_operators import sklearn_operator_name_map
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)

# The options skl2onnx's own classifiers take: `zipmap` is what export.convert turns
# off (plain `label` and `probabilities` tensors); `nocl` is declared as skl2onnx's
# examples declare it and never set here.
CLASSIFIER_OPTIONS: Final = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
# skl2onnx's aliases for them, as its XGBoost and LightGBM examples name them.
ALIASES: Final = {
    "XGBClassifier": "XGBoostXGBClassifier",
    "XGBRegressor": "XGBoostXGBRegressor",
    "LGBMClassifier": "LightGbmLGBMClassifier",
    "LGBMRegressor": "LightGbmLGBMRegressor",
}
# LightGBM's numerical split: `value <= threshold` goes left.
LIGHTGBM_NUMERICAL: Final = "<="
_SHIM_MARK: Final = "_export_shim"


def register() -> None:
    """Register the converters of every booster package this process has imported;
    registering again changes nothing."""
    if "xgboost" in sys.modules:
        import xgboost
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost

        _register(xgboost.XGBClassifier, xgboost.XGBRegressor, convert_xgboost)
    if "lightgbm" in sys.modules:
        import lightgbm
        from onnxmltools.convert.lightgbm.operator_converters import LightGbm

        _install_float32_thresholds(LightGbm)
        _register(lightgbm.LGBMClassifier, lightgbm.LGBMRegressor, LightGbm.convert_lightgbm)


def _register(classifier: type, regressor: type, convert: Callable[..., Any]) -> None:
    # xgboost 3 and lightgbm 4 list ClassifierMixin/RegressorMixin first among their
    # bases, so skl2onnx's may_switch_bases_classes_order (for older xgboost) is not needed.
    for model, shape in ((classifier, calculate_linear_classifier_output_shapes),
                         (regressor, calculate_linear_regressor_output_shapes)):
        alias = ALIASES[model.__name__]
        if sklearn_operator_name_map.get(model) == alias:
            continue
        options = CLASSIFIER_OPTIONS if model is classifier else None
        update_registered_converter(model, alias, shape, convert, options=options)


def float32_at_most(value: float) -> float:
    """The largest float32 not above `value`: for every float32 x, `x <= value`
    exactly when `x <= float32_at_most(value)`."""
    with np.errstate(over="ignore"):
        nearest = np.float32(value)
    if float(nearest) > value:
        nearest = np.nextafter(nearest, np.float32(-np.inf))
    return float(nearest)


def _install_float32_thresholds(module: ModuleType) -> None:
    """onnxmltools 1.16 writes LightGBM's double thresholds into the graph's float32
    `nodes_values` rounded to nearest. LightGBM puts a threshold midway between two
    training values; where they are adjacent float32s the midpoint rounds up to the
    upper one, which then goes left in ONNX and right in LightGBM (a diabetes
    regressor answered 196 for 185 on a test row). Rounding each threshold down
    instead keeps every float32 input on LightGBM's side.

    `convert_lightgbm` reads the trees through the module's `dump_booster_model` at
    call time; that one function is wrapped, and only its numerical thresholds change.
    """
    original = module.dump_booster_model
    if getattr(original, _SHIM_MARK, False):
        return
    module.dump_booster_model = _thresholds_at_most_float32(original)


def _thresholds_at_most_float32(dump: Callable[..., tuple[dict[str, Any], Any]]) -> Callable[..., Any]:
    @functools.wraps(dump)
    def dump_with_float32_thresholds(*args: Any, **kwargs: Any) -> tuple[dict[str, Any], Any]:
        model, info = dump(*args, **kwargs)
        pending = [tree["tree_structure"] for tree in model["tree_info"]]
        while pending:  # a loop, not recursion: a user's trees may be deeper than Python's stack
            node = pending.pop()
            if "split_index" not in node:
                continue
            if node["decision_type"] == LIGHTGBM_NUMERICAL and isinstance(node["threshold"], (int, float)):
                node["threshold"] = float32_at_most(node["threshold"])
            pending.extend((node["left_child"], node["right_child"]))
        return model, info

    setattr(dump_with_float32_thresholds, _SHIM_MARK, True)
    return dump_with_float32_thresholds
