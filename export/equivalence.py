"""Whether two ONNX files are the same model where their bytes cannot be.

The committed bytes are reproduced on every x86-64 CPU (README, "Reproducibility").
Elsewhere (arm64, say) BLAS and libm may round differently; there a rebuild is
accepted when it answers like the committed model on every parity probe.
"""
import platform
from dataclasses import dataclass
from typing import Final

import numpy as np

from export.gates import PROBABILITY_ATOL, ParityResult, compare_sets
from export.probes import probe_sets
from export.runtime import OnnxClassifier
from export.train import load_dataset

# platform.machine() names of the CPUs the byte-for-byte promise covers.
BYTE_REPRODUCIBLE_MACHINES: Final = frozenset({"x86_64", "AMD64"})


@dataclass(frozen=True)
class Equivalence:
    machine: str
    result: ParityResult

    @property
    def bytes_promised(self) -> bool:
        return self.machine in BYTE_REPRODUCIBLE_MACHINES

    @property
    def accepted(self) -> bool:
        """A byte difference is a failure where bytes are promised, else outputs decide."""
        return not self.bytes_promised and self.result.passed


def compare_models(reference: bytes, candidate: bytes, tolerance: float = PROBABILITY_ATOL) -> ParityResult:
    """The candidate's outputs against the reference's on every parity probe set."""
    ours = OnnxClassifier(reference)

    def reference_outputs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        labels, probabilities = ours.run(rows)
        return probabilities.astype(np.float64), labels

    return compare_sets(reference_outputs, OnnxClassifier(candidate), probe_sets(load_dataset()), tolerance)


def equivalence(reference: bytes, candidate: bytes, machine: str | None = None) -> Equivalence:
    return Equivalence(machine or platform.machine(), compare_models(reference, candidate))
