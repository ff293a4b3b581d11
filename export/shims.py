"""Workarounds that make the locked converters (train.lock) convert what they claim to.

Each one is installed by `install()`, narrowly, and only while a test in
tests/export/test_shims.py proves it is still needed on the locked versions. So are
the converter skl2onnx lacks for TransformedTargetRegressor (export/transformed_target.py),
and onnxmltools' XGBoost and LightGBM converters (export/boosters.py).
"""
import functools
from typing import Any, Callable, Final

from skl2onnx.operator_converters import random_forest

from export import boosters, transformed_target

# The attribute a HistGradientBoosting tree writes its NaN routing to: 1 where a
# missing value takes the true (left) branch.
MISSING_TRACKS_TRUE: Final = "nodes_missing_value_tracks_true"
_SHIM_MARK: Final = "_export_shim"


def install() -> None:
    """Install every workaround; calling it again changes nothing."""
    _install_hist_gradient_boosting_missing_as_int()
    transformed_target.register()
    boosters.register()


def _install_hist_gradient_boosting_missing_as_int() -> None:
    """skl2onnx 1.20, skl2onnx/common/tree_ensemble.py,
    `add_tree_to_attribute_pairs_hist_gradient_boosting`, writes `missing = False`
    (a Python bool) for every leaf into `nodes_missing_value_tracks_true`, an INTS
    attribute. protobuf 7 no longer takes a bool for an int field, so `onnx.helper.
    make_node` fails with "Expected an int, got a boolean" and neither
    HistGradientBoostingClassifier nor HistGradientBoostingRegressor converts.

    The helper is wrapped where both converters look it up at call time (the module
    globals of skl2onnx.operator_converters.random_forest), and only the entries
    that call appended are cast to int: the rest of skl2onnx, onnx and protobuf are
    left as they are.
    """
    original = random_forest.add_tree_to_attribute_pairs_hist_gradient_boosting
    if getattr(original, _SHIM_MARK, False):
        return
    random_forest.add_tree_to_attribute_pairs_hist_gradient_boosting = _missing_as_int(original)


def _missing_as_int(add_tree: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(add_tree)
    def add_tree_with_int_missing(attr_pairs: dict[str, list[Any]], *args: Any, **kwargs: Any) -> None:
        tracks = attr_pairs[MISSING_TRACKS_TRUE]
        start = len(tracks)
        add_tree(attr_pairs, *args, **kwargs)
        tracks[start:] = [int(flag) for flag in tracks[start:]]

    setattr(add_tree_with_int_missing, _SHIM_MARK, True)
    return add_tree_with_int_missing
