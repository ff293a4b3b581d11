"""The parts inside an estimator, however deep, named as `set_params` names them
(`columns__numbers`): what a refusal looks through and a conversion error points at."""
from typing import Any, Iterator


def _children(part: Any) -> Iterator[tuple[str, Any]]:
    """The named parts directly inside `part`: Pipeline steps, ColumnTransformer and
    FeatureUnion transformers (the fitted ones where there are, which skl2onnx
    converts), voting and stacking members and their final estimator, and the one
    estimator a wrapper holds (a TransformedTargetRegressor's regressor, a
    CalibratedClassifierCV's estimator)."""
    yield from getattr(part, "steps", ())
    transformers = getattr(part, "transformers_", None) or getattr(part, "transformers", ())
    yield from ((name, transformer) for name, transformer, _ in transformers)
    yield from getattr(part, "transformer_list", ())
    members = getattr(part, "estimators", None)
    if isinstance(members, list):
        yield from ((name, member) for name, member in members)
    for name in ("final_estimator", "estimator"):
        inner = getattr(part, name, None)
        if inner is not None and hasattr(inner, "get_params"):
            yield name, inner
    regressor = getattr(part, "regressor_", None)
    regressor = getattr(part, "regressor", None) if regressor is None else regressor
    if regressor is not None:
        yield "regressor", regressor


def step_paths(estimator: Any) -> dict[int, tuple[str, Any]]:
    """id(part) -> (its path, the part) for the estimator ("") and every part inside it."""
    paths: dict[int, tuple[str, Any]] = {}
    pending = [("", estimator)]
    while pending:
        path, part = pending.pop()
        if isinstance(part, str) or id(part) in paths:  # "drop", "passthrough"
            continue
        paths[id(part)] = (path, part)
        pending.extend((f"{path}__{name}" if path else name, child) for name, child in _children(part))
    return paths


def all_parts(estimator: Any) -> list[Any]:
    """The estimator and every part inside it."""
    return [part for _, part in step_paths(estimator).values()]
