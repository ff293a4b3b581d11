"""The model spec: one TOML file that says what to train, on what, and how to judge it.

Read with the standard library's tomllib and checked field by field, so a bad spec
stops with an error naming the file and the field, never with a traceback.
"""
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, get_args

from export.errors import InputError

Task = Literal["classification", "regression"]
Kind = Literal["number", "category"]
TASKS: Final[tuple[str, ...]] = get_args(Task)
KINDS: Final[tuple[str, ...]] = get_args(Kind)
# Datasets that ship inside scikit-learn (no download), by the name a spec uses.
SKLEARN_DATASETS: Final = {
    "iris": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "diabetes": "regression",
}
# Metrics the quality gate can hold a model to; True where higher is better.
METRICS: Final[dict[str, dict[str, bool]]] = {
    "classification": {"accuracy": True, "f1_macro": True},
    "regression": {"r2": True, "mae": False},
}
DEFAULT_TOLERANCE: Final = 1e-5
"""Parity: the skl2onnx test-suite standard for float32 graphs (probabilities, or a
regressor's value relative to max(1, |value|))."""
FACTORY_PATTERN: Final = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class SpecError(InputError):
    """A spec that cannot be used; the message names the file and the field."""

    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path}: {where}: {problem}")


@dataclass(frozen=True)
class Feature:
    name: str
    kind: Kind


# What a CSV cell holding one of these means: a missing value (a gap).
DEFAULT_MISSING: Final = ("",)


@dataclass(frozen=True)
class DataSource:
    sklearn: str | None
    csv: Path | None
    target: str
    features: tuple[Feature, ...] | None
    """None: every column of a scikit-learn dataset, as numbers (or of the CSV, see
    `other_columns`)."""
    missing: tuple[str, ...] = DEFAULT_MISSING
    """The CSV cell texts that mean "missing" (a gap)."""
    other_columns: Kind | None = None
    """"number": every CSV column but the target and those `features` lists is a
    number column, in the CSV's order (the short form for wide tables)."""


@dataclass(frozen=True)
class Split:
    test_size: float
    seed: int
    stratify: bool


# What loads a fitted model file, by its suffix: joblib (a pickle: loading runs code
# the file names) or skops (loads only the types it is told to trust).
FITTED_LOADERS: Final = {".joblib": "joblib", ".pkl": "joblib", ".pickle": "joblib", ".skops": "skops"}
# What `held_out` may say: the spec's test split was kept from the fitted model's training.
HELD_OUT: Final = ("test_split",)


@dataclass(frozen=True)
class EstimatorSpec:
    builtin: str | None
    params: dict[str, Any]
    factory: str | None
    """`module:function` returning an unfitted estimator or Pipeline."""
    path: Path
    """Where the factory's module is looked for."""
    fitted: Path | None = None
    """A fitted model's file, loaded as it is and never refitted."""
    held_out: str | None = None
    """For a fitted model: "test_split" when the spec's test split was never in its
    training data; None when nobody knows (the quality figure then says so)."""
    trusted: tuple[str, ...] = ()
    """For a .skops file: the types, beyond skops' defaults, it may load."""

    @property
    def name(self) -> str:
        if self.fitted is not None:
            return f"fitted:{self.fitted.name}"
        return self.builtin or str(self.factory)


@dataclass(frozen=True)
class Gate:
    metric: str
    threshold: float
    margin: float
    tolerance: float

    @property
    def higher_is_better(self) -> bool:
        return next(table[self.metric] for table in METRICS.values() if self.metric in table)


@dataclass(frozen=True)
class ModelSpec:
    path: Path
    sha256: str
    name: str
    version: str
    task: Task
    data: DataSource
    split: Split
    estimator: EstimatorSpec
    gate: Gate


class _Fields:
    """Typed reads of one TOML table, each failure naming the file and the field."""

    def __init__(self, path: Path, table: dict[str, Any], prefix: str) -> None:
        self.path, self.table, self.prefix = path, table, prefix

    def fail(self, key: str, problem: str) -> SpecError:
        return SpecError(self.path, f"[{self.prefix}] {key}" if self.prefix else key, problem)

    def get(self, key: str, kinds: type | tuple[type, ...], default: Any = ..., what: str = "") -> Any:
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.table[key]
        # bool is an int in Python; a spec's `true` is not a number.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
            raise self.fail(key, f"must be {what or _describe(kinds)}, not {value!r}")
        return value

    def number(self, key: str, low: float, high: float, default: Any = ..., low_open: bool = False) -> float:
        value = self.get(key, (int, float), default, "a number")
        if value is default:
            return value
        if not math.isfinite(value) or value < low or value > high or (low_open and value == low):
            bound = "(" if low_open else "["
            raise self.fail(key, f"must be a finite number in {bound}{low:g}, {high:g}], not {value!r}")
        return float(value)

    def table_of(self, key: str, default: Any = ...) -> dict[str, Any]:
        return self.get(key, dict, default, "a table")

    def unknown(self, known: tuple[str, ...]) -> None:
        extra = sorted(set(self.table) - set(known))
        if extra:
            raise self.fail(extra[0], f"is not a field of [{self.prefix}]; known: {', '.join(known)}")


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _describe(kinds: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "a table",
             list: "a list"}
    return " or ".join(names.get(kind, kind.__name__) for kind in _as_tuple(kinds))


def _features(path: Path, table: dict[str, Any] | None, short_form: bool) -> tuple[Feature, ...] | None:
    if table is None:
        return None
    if not table and not short_form:
        raise SpecError(path, "[data.features]", "names no column")
    features = []
    for name, kind in table.items():
        if kind not in KINDS:
            raise SpecError(path, f"[data.features] {name}", f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        features.append(Feature(str(name), kind))
    return tuple(features)


def _data(path: Path, root: dict[str, Any], task: str) -> DataSource:
    fields = _Fields(path, root.get("data", {}), "data")
    fields.unknown(("sklearn", "csv", "target", "features", "missing", "other_columns"))
    sklearn = fields.get("sklearn", str, None)
    csv = fields.get("csv", str, None)
    if (sklearn is None) == (csv is None):
        raise fields.fail("sklearn", "name exactly one source: sklearn = \"<dataset>\" or csv = \"<file>\"")
    if sklearn is not None:
        if sklearn not in SKLEARN_DATASETS:
            raise fields.fail("sklearn", f"unknown dataset {sklearn!r}; choose one of {', '.join(SKLEARN_DATASETS)}")
        if SKLEARN_DATASETS[sklearn] != task:
            raise fields.fail("sklearn", f"{sklearn} is a {SKLEARN_DATASETS[sklearn]} data set; [model] task is {task}")
    other_columns = fields.get("other_columns", str, None)
    if other_columns is not None and other_columns != "number":
        raise fields.fail("other_columns", f'can only be "number" (every unlisted column is a number), not'
                                           f" {other_columns!r}")
    if other_columns is not None and csv is None:
        raise fields.fail("other_columns", "applies to a CSV")
    features = _features(path, fields.table_of("features", None), other_columns is not None)
    if csv is not None and features is None and other_columns is None:
        raise fields.fail("features", "a CSV needs its feature columns listed: [data.features] name = \"number\""
                                      ' (or other_columns = "number" and the category columns listed)')
    target = fields.get("target", str, "target")
    if features is not None and target in {feature.name for feature in features}:
        raise fields.fail("target", f"{target!r} is also listed as a feature")
    return DataSource(sklearn, None if csv is None else (path.parent / csv), target, features,
                      _missing(fields), other_columns)


def _missing(fields: _Fields) -> tuple[str, ...]:
    tokens = fields.get("missing", list, list(DEFAULT_MISSING))
    if not all(isinstance(token, str) for token in tokens):
        raise fields.fail("missing", f"must be a list of strings (the cell texts that mean missing), not {tokens!r}")
    return tuple(tokens)


def _estimator(path: Path, root: dict[str, Any]) -> EstimatorSpec:
    fields = _Fields(path, root.get("estimator", {}), "estimator")
    fields.unknown(("builtin", "params", "factory", "path", "fitted", "held_out", "trusted"))
    builtin = fields.get("builtin", str, None)
    factory = fields.get("factory", str, None)
    fitted = fields.get("fitted", str, None)
    if [builtin, factory, fitted].count(None) != 2:
        raise fields.fail("builtin", "name exactly one estimator: builtin = \"<name>\", factory ="
                                     " \"module:function\" or fitted = \"<model file>\" (a model already fitted)")
    if factory is not None and not FACTORY_PATTERN.match(factory):
        raise fields.fail("factory", f"must read module:function, not {factory!r}")
    params = fields.table_of("params", {})
    if builtin is None and params:
        raise fields.fail("params", "applies to a builtin estimator; a factory or a fitted model sets its own")
    if fitted is not None and Path(fitted).suffix.lower() not in FITTED_LOADERS:
        raise fields.fail("fitted", f"{fitted!r} must end in one of {', '.join(FITTED_LOADERS)}")
    held_out = fields.get("held_out", str, None)
    if held_out is not None and (fitted is None or held_out not in HELD_OUT):
        raise fields.fail("held_out", f'applies to a fitted model and can only be "test_split" (its training never'
                                      f" saw the spec's test split), not {held_out!r}")
    trusted = fields.get("trusted", list, [])
    if trusted and (fitted is None or Path(fitted).suffix.lower() != ".skops"
                    or not all(isinstance(name, str) for name in trusted)):
        raise fields.fail("trusted", "applies to a .skops file: a list of the type names it may load")
    return EstimatorSpec(builtin, dict(params), factory, path.parent / fields.get("path", str, "."),
                         None if fitted is None else path.parent / fitted, held_out, tuple(trusted))


def threshold_range(metric: str) -> tuple[float, float]:
    """Where a threshold for `metric` can lie: [0, 1] for accuracy and F1, up to 1 for R²
    (below 0 is worse than the mean), any error >= 0 for MAE."""
    return {"r2": (-math.inf, 1.0), "mae": (0.0, math.inf)}.get(metric, (0.0, 1.0))


def _gate(path: Path, root: dict[str, Any], task: str) -> Gate:
    fields = _Fields(path, root.get("gate", {}), "gate")
    fields.unknown(("metric", "threshold", "margin", "tolerance"))
    metrics = METRICS[task]
    metric = fields.get("metric", str, next(iter(metrics)))
    if metric not in metrics:
        raise fields.fail("metric", f"a {task} model is judged by {' or '.join(metrics)}, not {metric!r}")
    return Gate(
        metric=metric,
        threshold=fields.number("threshold", *threshold_range(metric)),
        margin=fields.number("margin", 0.0, math.inf, 0.0),
        tolerance=fields.number("tolerance", 0.0, 1.0, DEFAULT_TOLERANCE, low_open=True),
    )


def _seed(fields: _Fields) -> int:
    seed = fields.get("seed", int, 42)
    if not 0 <= seed < 2**32:
        raise fields.fail("seed", f"must be in [0, 2**32), not {seed}")
    return seed


def parse_spec(path: Path, text: bytes) -> ModelSpec:
    try:
        root = tomllib.loads(text.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(path, "TOML", str(error)) from None
    _Fields(path, root, "").unknown(("model", "data", "split", "estimator", "gate"))
    model = _Fields(path, _Fields(path, root, "").table_of("model"), "model")
    model.unknown(("name", "version", "task"))
    name = model.get("name", str)
    if not NAME_PATTERN.match(name):
        raise model.fail("name", f"must be 1-64 letters, digits, '.', '_' or '-' (it names files), not {name!r}")
    task = model.get("task", str, "classification")
    if task not in TASKS:
        raise model.fail("task", f"must be one of {', '.join(TASKS)}, not {task!r}")
    split = _Fields(path, root.get("split", {}), "split")
    split.unknown(("test_size", "seed", "stratify"))
    return ModelSpec(
        path=path,
        sha256=hashlib.sha256(text).hexdigest(),
        name=name,
        version=str(model.get("version", (str, int), "1")),
        task=task,
        data=_data(path, root, task),
        split=Split(
            test_size=split.number("test_size", 0.0, 0.9, 0.2, low_open=True),
            seed=_seed(split),
            stratify=split.get("stratify", bool, False),
        ),
        estimator=_estimator(path, root),
        gate=_gate(path, root, task),
    )


def load_spec(path: Path) -> ModelSpec:
    """The spec at `path`; FileNotFoundError if there is none, SpecError if it is unusable."""
    return parse_spec(path, path.read_bytes())
