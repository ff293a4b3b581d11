"""What a failed skl2onnx conversion is about: the innermost step that failed, and why.

skl2onnx raises from deep inside its parser, shape calculators or converters with
no word of where in the pipeline it was. The step is found in the failure's own
traceback: the innermost frame that was handling one of the pipeline's parts
(skl2onnx's parsers hold it as a local, its converters as `operator.raw_operator`).
"""
import re
from types import TracebackType
from typing import Any, Final, Iterator

from export.parts import step_paths

# skl2onnx's "Unable to create node ... and attributes={...}." prints every
# attribute of the node: for a forest, hundreds of thousands of numbers, and it
# says nothing the exception it chains (the real cause) does not.
_NODE_ATTRIBUTES: Final = re.compile(r"^(Unable to create node .*? and )attributes=(\{.*\})\.?$", re.DOTALL)
_ATTRIBUTE_NAME: Final = re.compile(r"^[{ ]'([A-Za-z_]\w*)':", re.MULTILINE)


def describe_steps(estimator: Any) -> str:
    """`Pipeline(ColumnTransformer, LogisticRegression)`: what a conversion error is about."""
    steps = getattr(estimator, "steps", None)
    if not steps:
        return type(estimator).__name__
    return f"{type(estimator).__name__}({', '.join(describe_steps(step) for _, step in steps)})"


def _chain(error: BaseException) -> list[BaseException]:
    """The error and the exceptions it was raised from, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def _frames(traceback: TracebackType | None) -> Iterator[dict[str, Any]]:
    while traceback is not None:
        yield traceback.tb_frame.f_locals
        traceback = traceback.tb_next


def _part(value: Any, paths: dict[int, tuple[str, Any]]) -> tuple[str, Any] | None:
    """The part `value` is, or the part a skl2onnx operator converts."""
    try:
        raw = getattr(value, "raw_operator", value)
    except Exception:  # any local's __getattr__ may raise anything
        raw = value
    return paths.get(id(value)) or paths.get(id(raw))


def failing_step(estimator: Any, error: BaseException) -> tuple[str, Any]:
    """(path, part) of the innermost part of `estimator` the conversion was handling
    when it raised `error`; ("", estimator) when no frame names one."""
    paths = step_paths(estimator)
    found = ("", estimator)
    for exception in _chain(error):  # outermost first, each from its outermost frame
        for variables in _frames(exception.__traceback__):
            known = [entry for entry in (_part(value, paths) for value in variables.values()) if entry]
            if known:
                # A frame may hold a part and its parent (a parser's model and the step
                # it is parsing): the deeper path is the one being handled.
                found = max(known, key=lambda entry: len(entry[0].split("__")) if entry[0] else 0)
    return found


def _message(exception: BaseException) -> str:
    text = str(exception).strip() or type(exception).__name__
    node = _NODE_ATTRIBUTES.match(text)
    if node is None:
        return text
    names = _ATTRIBUTE_NAME.findall(node.group(2))
    return f"{node.group(1)}attributes {', '.join(names)} (their values left out)."


def conversion_error(estimator: Any, error: BaseException) -> str:
    """`skl2onnx cannot convert <outer> at step '<path>' (<class>): <message>`, with the
    message of every exception the error was raised from, each in full."""
    path, part = failing_step(estimator, error)
    where = f" at step {path!r} ({type(part).__name__})" if path else ""
    chain = _chain(error)
    causes = "".join(f"\ncaused by {type(cause).__name__}: {_message(cause)}" for cause in chain[1:])
    return f"skl2onnx cannot convert {describe_steps(estimator)}{where}: {_message(chain[0])}{causes}"
