"""The chains the command line runs: build (train, export, gate, write) and re-gate."""
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from export import card as model_card
from export.contract import card_filename, onnx_filename
from export.convert import serialize, to_onnx
from export.errors import InputError
from export.datasets import Dataset
from export.failures import Failures, failing_rows
from export.files import sha256, write_bytes
from export.gaps import ALONE_PREFIX, IMPUTE_ADVICE, Gaps, alone, discover, gap_probe_sets
from export.gates import ParityResult, QualityResult, estimator_predictions, parity_gate, quality_gate, value_tolerance
from export.probes import RANDOM_POINTS, RANDOM_SEED, UNSEEN, Categories, ProbeSet, probe_sets
from export.runtime import OnnxModel
from export.spec import Gate, ModelSpec, load_spec
from export.train import TrainedModel, train


@dataclass(frozen=True)
class GateOptions:
    """Command-line overrides of the spec's gate; None keeps the spec's value."""
    threshold: float | None = None
    margin: float | None = None
    tolerance: float | None = None
    random_points: int = RANDOM_POINTS

    def applied_to(self, gate: Gate) -> Gate:
        overrides = {key: getattr(self, key) for key in ("threshold", "margin", "tolerance")}
        return dataclasses.replace(gate, **{key: value for key, value in overrides.items() if value is not None})


@dataclass(frozen=True)
class GateOutcome:
    parity: ParityResult
    quality: QualityResult
    card: dict[str, Any] | None = None
    """The card written; None when the gates failed and nothing was written."""
    failures: Failures | None = None
    """The rows the parity gate failed (None when it passed)."""

    @property
    def passed(self) -> bool:
        return self.parity.passed and self.quality.passed


def unseen_answered(trained: TrainedModel) -> bool:
    """Whether the pipeline answers a category it never saw (handle_unknown) or refuses it."""
    data = trained.data
    if not data.schema.categories:
        return False
    probe = data.x_train.take([0])  # a copy: the training rows stay as they are
    probe.categories[0, :] = UNSEEN
    try:
        trained.estimator.predict(probe.for_estimator())
    except ValueError:
        return False
    return True


def value_scale(data: Dataset) -> float:
    """What a regressor's relative parity tolerance is relative to (1 for a classifier)."""
    return 1.0 if data.class_names is not None else value_tolerance(1.0, data.y_train)


@dataclass(frozen=True)
class Proven:
    """What the parity gate proved beyond its figures: the categories and the gaps served."""
    categories: Categories
    gaps: Gaps


def served_gaps(trained: TrainedModel, model: OnnxModel, gate: Gate, categories: Categories) -> Gaps:
    """The columns whose gap the model is served with.

    Where scikit-learn answers a gap in a column that never had one in training
    (a tree's default branch, say) and the ONNX model answers otherwise, the gap is
    refused at serving, with the reason in the card: the user asked for no gaps
    there. Where training had gaps, the column stays, and the parity gate fails.
    """
    data = trained.data
    gaps = discover(trained.estimator, data)
    for position in gaps.served:
        name = gaps.names[position]
        if gaps.rates[position] > 0:
            continue
        result = parity_gate(trained.estimator, model, [alone(data, gaps, position)], gate.tolerance,
                             value_scale(data))
        if not result.passed:
            figures = result.sets[0]
            gaps = gaps.demote(name, f"scikit-learn answers a gap here (training had none) but the ONNX model"
                                     f" answers otherwise ({figures.failures}); {IMPUTE_ADVICE}")
    # Gaps in several such columns at once (a tree's default branches, taken one after
    # another) can go wrong where each alone did not: tried together, on their own.
    untrained = [i for i in gaps.served if gaps.rates[i] == 0]
    if untrained:
        only = Gaps(gaps.names, tuple(i in untrained for i in range(len(gaps.names))), gaps.rates)
        sets = gap_probe_sets(data, categories, only, RANDOM_SEED)
        result = parity_gate(trained.estimator, model, sets, gate.tolerance, value_scale(data))
        failed = [figures for figures in result.sets if not figures.ok]
        if failed:
            why = (f"scikit-learn answers gaps here (training had none) but the ONNX model answers otherwise when"
                   f" they come together ({failed[0].name}: {failed[0].failures}); {IMPUTE_ADVICE}")
            for position in untrained:
                gaps = gaps.demote(gaps.names[position], why)
    return gaps


def explain(parity: ParityResult, probes: list[ProbeSet]) -> ParityResult:
    """The failed single-column gap sets, each named by column with what to do about it,
    where only sets holding gaps failed (else the cause lies elsewhere)."""
    gap_free = {probe.name for probe in probes if not probe.rows.missing().any()}
    if any(not s.ok and s.name in gap_free for s in parity.sets):
        return parity
    notes = [f"{s.name[len(ALONE_PREFIX):]}: onnxruntime answers a gap in this column otherwise than scikit-learn;"
             f" {IMPUTE_ADVICE}" for s in parity.sets if not s.ok and s.name.startswith(ALONE_PREFIX)]
    return dataclasses.replace(parity, notes=tuple(notes))


def parity_probes(data: Dataset, proven: Proven, random_points: int) -> list[ProbeSet]:
    """The parity gate's probe sets (seeded: the same sets each time they are made)."""
    probes = probe_sets(data, proven.categories, random_points=random_points)
    return probes + gap_probe_sets(data, proven.categories, proven.gaps, RANDOM_SEED)


def parity_failures(
    trained: TrainedModel, model: OnnxModel, parity: ParityResult, probes: list[ProbeSet], gate: Gate
) -> Failures | None:
    """The rows of the probe sets the parity gate failed (None when it passed)."""
    failed = {s.name for s in parity.sets if not s.ok}
    if not failed:
        return None
    reference = estimator_predictions(trained.estimator, trained.spec.task)
    return failing_rows(reference, model, [probe for probe in probes if probe.name in failed], gate.tolerance,
                        value_scale(trained.data))


def run_gates(
    trained: TrainedModel, payload: bytes, baseline: float | None, gate: Gate, random_points: int
) -> tuple[OnnxModel, ParityResult, QualityResult, Proven, Failures | None]:
    """Both gates, what the parity gate proved, and the rows it failed (None when it passed)."""
    data = trained.data
    model = OnnxModel(payload, data.schema, trained.spec.task)
    categories = Categories.of(data, unseen_answered(trained))
    gaps = served_gaps(trained, model, gate, categories)
    probes = parity_probes(data, Proven(categories, gaps), random_points)
    parity = explain(parity_gate(trained.estimator, model, probes, gate.tolerance, value_scale(data)), probes)
    quality = quality_gate(model, data.x_test, data.y_test, gate, baseline, trained.held_out)
    return model, parity, quality, Proven(categories, gaps), parity_failures(trained, model, parity, probes, gate)


def committed_metric(card: dict[str, Any] | None, spec: ModelSpec) -> float | None:
    """The figure the quality gate must not fall behind: the committed card's, for the same metric.

    Read from any schema version's card (`metrics.<metric>` has not moved), so a
    card written by an older export still holds the next build to its figure.
    """
    metrics = (card or {}).get("metrics")
    value = metrics.get(spec.gate.metric) if isinstance(metrics, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def build(
    spec_path: Path, out_dir: Path | None = None, estimator: str | None = None,
    model_version: str | None = None, options: GateOptions = GateOptions(),
) -> GateOutcome:
    """Train and export the spec at `spec_path`; write the model and its card only if both gates pass."""
    return build_spec(load_spec(spec_path), out_dir, estimator, model_version, options)


def build_spec(
    spec: ModelSpec, out_dir: Path | None = None, estimator: str | None = None,
    model_version: str | None = None, options: GateOptions = GateOptions(),
) -> GateOutcome:
    """`build` for a spec already parsed (the command line reads it first, for --threshold)."""
    if model_version is not None:
        spec = dataclasses.replace(spec, version=model_version)
    out_dir = spec.path.parent if out_dir is None else out_dir
    card_path = out_dir / card_filename(spec.name)
    # Read before anything is rewritten: the quality gate compares against it.
    baseline = committed_metric(model_card.read_json(card_path), spec)
    trained = train(spec, estimator)
    proto = to_onnx(trained)
    payload = serialize(proto)
    gate = options.applied_to(spec.gate)
    model, parity, quality, proven, failures = run_gates(trained, payload, baseline, gate, options.random_points)
    if not (parity.passed and quality.passed):
        return GateOutcome(parity, quality, failures=failures)
    card = model_card.build_card(
        trained, proto, model, sha256(payload), parity, quality, proven.categories, proven.gaps)
    write_bytes(out_dir / onnx_filename(spec.name), payload)
    write_bytes(card_path, model_card.dumps(card))
    return GateOutcome(parity, quality, card)


def card_spec(card: dict[str, Any], card_path: Path) -> ModelSpec:
    """The spec a card was built from (relative to the project folder, else beside the card),
    refused if it changed since."""
    named = Path(card["spec"]["file"])
    spec_path = named if named.exists() else card_path.parent / named.name
    spec = load_spec(spec_path)
    if spec.sha256 != card["spec"].get("sha256"):
        raise InputError(f"{spec_path} changed since {card_path} was written (sha256 {spec.sha256},"
                         f" the card says {card['spec'].get('sha256')}): rebuild the model")
    return dataclasses.replace(spec, version=str(card.get("version", spec.version)))


def retrain(card: dict[str, Any], card_path: Path, spec: ModelSpec) -> TrainedModel:
    """A fresh, deterministic retraining of what the card describes, from its spec (`card_spec`;
    for a fitted model: the same file, loaded again, refused if it changed since)."""
    name = card["estimator"]["name"]
    recorded = card["estimator"].get("fitted", {}).get("sha256")
    if spec.estimator.fitted is not None and name == spec.estimator.name and not isinstance(recorded, str):
        raise InputError(f"{card_path} records no sha256 of {spec.estimator.fitted.name}: rebuild the model")
    return train(spec, None if name == spec.estimator.name else name, fitted_sha256=recorded)


def regate(
    payload: bytes, card: dict[str, Any], card_path: Path, spec: ModelSpec, options: GateOptions = GateOptions()
) -> GateOutcome:
    """Run both gates on an existing ONNX model against a fresh, deterministic retraining
    from the card's spec (`card_spec`)."""
    trained = retrain(card, card_path, spec)
    gate = options.applied_to(trained.spec.gate)
    _, parity, quality, proven, failures = run_gates(trained, payload, committed_metric(card, trained.spec), gate,
                                                     options.random_points)
    claimed_gaps(card, card_path, proven.gaps)
    return GateOutcome(parity, quality, failures=failures)


def claimed_gaps(card: dict[str, Any], card_path: Path, gaps: Gaps) -> None:
    """The gateway serves a gap where the card says "accepted": the card must say what
    the gates prove, column by column (an older card, without the field, claims none)."""
    claimed = {str(column.get("name")): column.get("missing", "refused") for column in card.get("feature_columns", ())}
    for position, name in enumerate(gaps.names):
        if claimed.get(name, "refused") != gaps.status(position):
            raise InputError(f"{card_path} says a missing {name} is {claimed.get(name, 'refused')}, but the gates"
                             f" prove it {gaps.status(position)}: rebuild the model")
