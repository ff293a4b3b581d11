"""A model already fitted, loaded from its file as it is: never refitted, and checked
against the spec's columns, task and classes before any gate runs.

A .joblib/.pkl file is a pickle: loading it runs whatever code the file names, so
load only files you would run (docs/own-model.md, "Bring a fitted model"). A .skops
file loads only the types skops trusts by default and those the spec lists in
`[estimator] trusted`.
"""
import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from export.datasets import Dataset
from export.errors import InputError
from export.spec import FITTED_LOADERS, ModelSpec, SpecError


@dataclass(frozen=True)
class FittedFile:
    path: Path
    sha256: str
    loader: str

    def card(self) -> dict[str, str]:
        """What the card records: the file by name (beside the spec) and its digest."""
        return {"file": self.path.name, "sha256": self.sha256, "loader": self.loader}


def is_fitted(estimator: Any) -> bool:
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    except TypeError:  # not an estimator at all: make_estimator says so
        return False
    return True


def _fail(spec: ModelSpec, problem: str) -> SpecError:
    return SpecError(spec.path, "[estimator] fitted", problem)


def _load_joblib(spec: ModelSpec, path: Path, payload: bytes) -> Any:
    import joblib

    try:
        with warnings.catch_warnings():
            # A file pickled by another scikit-learn release warns; the gates judge it.
            warnings.simplefilter("ignore")
            return joblib.load(io.BytesIO(payload))
    except Exception as error:  # unpickling raises whatever the file's code raises
        raise _fail(spec, f"joblib cannot load {path.name}: {type(error).__name__}: {error}") from None


def _load_skops(spec: ModelSpec, path: Path, payload: bytes) -> Any:
    try:
        import skops.io as sio
    except ImportError:
        raise _fail(spec, "a .skops file needs the skops package (train.lock has it)") from None
    try:
        asked = sorted(sio.get_untrusted_types(data=payload))
    except Exception as error:  # a broken or foreign archive
        raise _fail(spec, f"skops cannot read {path.name}: {type(error).__name__}: {error}") from None
    untrusted = [name for name in asked if name not in spec.estimator.trusted]
    if untrusted:
        raise SpecError(spec.path, "[estimator] trusted",
                        f"{path.name} asks to load types skops does not trust by default: {', '.join(untrusted)};"
                        " review them, then list them in [estimator] trusted")
    return sio.loads(payload, trusted=asked)


def read(spec: ModelSpec, expected_sha256: str | None = None) -> tuple[Any, FittedFile]:
    """The fitted model the spec names, and its file's identity; FileNotFoundError if absent.

    The bytes are read once, hashed and loaded: the digest is of what was loaded. Given
    the digest a card recorded, a file that differs is refused before it is loaded (a
    pickle runs code as it loads)."""
    path = spec.estimator.fitted
    assert path is not None
    payload = path.read_bytes()
    digest = hashlib.sha256(payload).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256:
        raise InputError(f"{path} changed since the model card was written (sha256 {digest}, the card says"
                         f" {expected_sha256}); it was not loaded: rebuild the model")
    loader = FITTED_LOADERS[path.suffix.lower()]
    estimator = _load_joblib(spec, path, payload) if loader == "joblib" else _load_skops(spec, path, payload)
    return estimator, FittedFile(path, digest, loader)


def check(spec: ModelSpec, estimator: Any, data: Dataset) -> None:
    """The loaded model is fitted, of the spec's task, takes its columns and answers with its labels."""
    kind = type(estimator).__name__
    if not hasattr(estimator, "predict"):
        raise _fail(spec, f"{spec.estimator.fitted} holds a {kind}, not a fitted model")
    if not (is_classifier(estimator) if spec.task == "classification" else is_regressor(estimator)):
        raise _fail(spec, f"the {kind} in {spec.estimator.fitted} is not a {spec.task} model ([model] task)")
    if not is_fitted(estimator):
        raise _fail(spec, f"the {kind} in {spec.estimator.fitted} is not fitted; to train one from the spec, name"
                          " a builtin or a factory instead")
    names = data.schema.names
    expected = getattr(estimator, "n_features_in_", None)
    if expected is not None and expected != len(names):
        raise _fail(spec, f"the {kind} was fitted on {expected} features; the spec has {len(names)}"
                          f" ({', '.join(names)})")
    fitted_names = getattr(estimator, "feature_names_in_", None)
    if fitted_names is not None and [str(name) for name in fitted_names] != names:
        raise _fail(spec, f"the {kind} was fitted on the columns {', '.join(map(str, fitted_names))}; the spec"
                          f" lists {', '.join(names)} (the same names in the same order)")
    if is_classifier(estimator) and data.class_names is not None:
        classes = np.asarray(getattr(estimator, "classes_", []))
        labels = np.arange(len(data.class_names))
        if classes.shape != labels.shape or not np.issubdtype(classes.dtype, np.integer) or (classes != labels).any():
            raise _fail(spec, f"the {kind} answers the classes {classes.tolist()}; the data's labels are"
                              f" {labels.tolist()} ({', '.join(data.class_names)}): a fitted classifier must have"
                              " been fitted on those integer labels")
