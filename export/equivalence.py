"""Whether two ONNX files are the same model where their bytes cannot be.

The committed bytes are reproduced on every x86-64 CPU (docs/export.md, "Reproducibility").
Elsewhere (arm64, say) BLAS and libm may round differently; there a rebuild is
accepted when it answers like the committed model on every parity probe.
"""
import platform
from dataclasses import dataclass
from typing import Final

from export.datasets import load_dataset
from export.gaps import Gaps
from export.gates import ParityResult, compare_sets
from export.probes import RANDOM_POINTS, Categories
from export.pipeline import Proven, parity_probes, value_scale
from export.runtime import OnnxModel
from export.spec import ModelSpec

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


def compare_models(reference: bytes, candidate: bytes, spec: ModelSpec, unseen_answered: bool,
                   gap_columns: frozenset[str] = frozenset()) -> ParityResult:
    """The candidate's outputs against the reference's on every parity probe set, the
    gap sets of `gap_columns` (those the card serves a gap in) among them."""
    data = load_dataset(spec)
    ours = OnnxModel(reference, data.schema, spec.task)
    categories = Categories.of(data, unseen_answered)
    names = tuple(data.schema.names)
    served = Gaps(names, tuple(name in gap_columns for name in names), (0.0,) * len(names))
    probes = parity_probes(data, Proven(categories, served), RANDOM_POINTS)
    candidate_model = OnnxModel(candidate, data.schema, spec.task)
    return compare_sets(ours.run, candidate_model, probes, spec.gate.tolerance, value_scale(data))


def equivalence(
    reference: bytes, candidate: bytes, spec: ModelSpec, unseen_answered: bool, machine: str | None = None,
    gap_columns: frozenset[str] = frozenset(),
) -> Equivalence:
    return Equivalence(machine or platform.machine(),
                       compare_models(reference, candidate, spec, unseen_answered, gap_columns))
