"""`python -m export`: parse arguments, call the pipeline, map results to exit codes."""
import argparse
import math
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Final, Sequence

from export import graph
from export.card import read_card
from export.contract import DEFAULT_SPEC, card_filename, onnx_filename
from export.equivalence import equivalence
from export.errors import InputError
from export.failures import failures_filename, worst_rows_report, write_failures
from export.files import sha256
from export.pipeline import GateOptions, GateOutcome, build_spec, card_spec, regate
from export.probes import RANDOM_POINTS
from export.report import parity_report, quality_report
from export.spec import ModelSpec, load_spec, threshold_range
from export.train import ESTIMATOR_NAMES

# The spec's file name is the model's name: the default card is the default spec's.
DEFAULT_CARD: Final = DEFAULT_SPEC.parent / card_filename(DEFAULT_SPEC.stem)

EXIT_OK: Final = 0
EXIT_GATE_FAILED: Final = 1
EXIT_USAGE: Final = 2  # argparse's own code for bad arguments
EXIT_MISSING_INPUT: Final = 3
EXIT_HASH_MISMATCH: Final = 4
EXIT_BAD_INPUT: Final = 5
EXIT_INTERNAL_ERROR: Final = 6


def _number(kind: Callable[[str], Any], low: float, high: float, low_open: bool = False) -> Callable[[str], Any]:
    """An argparse type: a finite number in [low, high] (or (low, high])."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value < low or value > high or (low_open and value == low):
            bound = "(" if low_open else "["
            raise argparse.ArgumentTypeError(f"{text!r} must be a finite number in {bound}{low:g}, {high:g}]")
        return value
    return parse


def _gate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threshold", type=_number(float, -math.inf, math.inf),
        help="the quality metric's floor (its ceiling for mae); default: the spec's [gate] threshold",
    )
    parser.add_argument(
        "--margin", type=_number(float, 0, math.inf),
        help="how far the metric may fall behind the committed card's figure; default: the spec's",
    )
    parser.add_argument(
        "--tolerance", type=_number(float, 0, 1, low_open=True),
        help="parity: max |Δp| per probability (classifiers), or |Δ| / max(1, |value|) (regressors),"
             " inside the probe box; default: the spec's",
    )
    parser.add_argument(
        "--random-points", type=_number(int, 1, 10_000_000), default=RANDOM_POINTS,
        help="seeded random points for parity (%(default)s)",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m export", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    build_cmd = commands.add_parser("build", help="train, export, run both gates, write model and card")
    build_cmd.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the model spec (%(default)s)")
    build_cmd.add_argument("--estimator", choices=ESTIMATOR_NAMES, help="a builtin estimator instead of the spec's")
    build_cmd.add_argument("--out", type=Path, help="output folder (default: the spec's folder)")
    build_cmd.add_argument("--model-version", help="version recorded in the card (default: the spec's)")
    _gate_arguments(build_cmd)

    gates_cmd = commands.add_parser("gates", help="run both gates on an existing model against a retraining"
                                                  " from the spec its card names")
    gates_cmd.add_argument("--card", type=Path, default=DEFAULT_CARD, help="the model card (%(default)s)")
    gates_cmd.add_argument("--model", type=Path, help="the ONNX file (default: the card's, beside it)")
    _gate_arguments(gates_cmd)

    verify_cmd = commands.add_parser("verify", help="check that a model file is the one its card describes")
    verify_cmd.add_argument("--card", type=Path, default=DEFAULT_CARD, help="the model card (%(default)s)")
    verify_cmd.add_argument("--model", type=Path, help="the ONNX file (default: the card's, beside it)")
    verify_cmd.add_argument(
        "--reference", type=Path,
        help="the model the card describes: when the bytes differ, compare the two models' outputs",
    )

    inspect_cmd = commands.add_parser("inspect", help="print the ONNX graph; optionally draw it")
    inspect_cmd.add_argument("model", type=Path)
    inspect_cmd.add_argument("--format", choices=("dot", "svg", "png"), help="also write a picture")
    inspect_cmd.add_argument("--output", type=Path, help="picture path (default: beside the model)")
    return root


def _check_threshold(args: argparse.Namespace, metric: str) -> None:
    """--threshold against the metric the spec judges by (known only once it is read)."""
    low, high = threshold_range(metric)
    if args.threshold is not None and not low <= args.threshold <= high:
        parser().error(f"argument --threshold: {args.threshold!r} must be a finite number in [{low:g}, {high:g}]"
                       f" for {metric}")


def _options(args: argparse.Namespace) -> GateOptions:
    return GateOptions(args.threshold, args.margin, args.tolerance, args.random_points)


def _written_failures(outcome: GateOutcome, path: Path) -> str:
    """Write the rows parity failed to `path`; where they are, in words ("" when it passed)."""
    return write_failures(path, outcome.failures) if outcome.failures else ""


def _report(outcome: GateOutcome, failures_written: str = "") -> int:
    print(parity_report(outcome.parity))
    if outcome.failures:
        print()
        print(worst_rows_report(outcome.failures, failures_written))
    print()
    print(quality_report(outcome.quality))
    return EXIT_OK if outcome.passed else EXIT_GATE_FAILED


def _no_card(card_path: Path) -> FileNotFoundError:
    return FileNotFoundError(f"no model card at {card_path}")


def _read_model(model_path: Path | None, card_path: Path, card: dict[str, Any]) -> tuple[Path, bytes, str, str]:
    """The model's path (by default the card's, beside it) and bytes, the bytes' sha256
    and the sha256 the card records."""
    model_path = model_path or card_path.parent / onnx_filename(str(card.get("name")))
    payload = model_path.read_bytes()
    return model_path, payload, sha256(payload), card["onnx"]["sha256"]


def _gates(model_path: Path | None, card_path: Path, card: dict[str, Any], spec: ModelSpec,
           options: GateOptions) -> int:
    model_path, payload, actual, expected = _read_model(model_path, card_path, card)
    if actual != expected:
        print(f"{model_path} has sha256 {actual}; {card_path} says {expected}: they do not belong together",
              file=sys.stderr)
        return EXIT_HASH_MISMATCH
    outcome = regate(payload, card, card_path, spec, options)
    written = _written_failures(outcome, card_path.parent / failures_filename(str(card.get("name"))))
    code = _report(outcome, written)
    if written:
        print(f"\n{written}", file=sys.stderr)
    return code


def _verify(model_path: Path | None, card_path: Path, reference_path: Path | None) -> int:
    card = read_card(card_path)
    if card is None:
        raise _no_card(card_path)
    model_path, payload, actual, expected = _read_model(model_path, card_path, card)
    if actual == expected:
        print(f"{model_path} matches {card_path}: sha256 {actual}")
        return EXIT_OK
    print(f"{model_path} has sha256 {actual}; {card_path} says {expected}", file=sys.stderr)
    if reference_path is None:
        return EXIT_HASH_MISMATCH
    reference = reference_path.read_bytes()
    if sha256(reference) != expected:
        print(f"{reference_path} is not the model {card_path} describes either", file=sys.stderr)
        return EXIT_HASH_MISMATCH
    categories = card.get("parity_region", {}).get("categories", {})
    gap_columns = frozenset(column["name"] for column in card.get("feature_columns", ())
                            if column.get("missing") == "accepted")
    verdict = equivalence(reference, payload, card_spec(card, card_path), categories.get("unseen") == "answered",
                          gap_columns=gap_columns)
    print(parity_report(verdict.result, f"OUTPUTS of {model_path} against {reference_path}", "same outputs"))
    if verdict.accepted:
        print(f"bytes differ on {verdict.machine}, where they are not promised; outputs agree: accepted",
              file=sys.stderr)
        return EXIT_OK
    why = ("bytes are promised on this machine" if verdict.bytes_promised else "outputs differ")
    print(f"rejected on {verdict.machine}: {why}", file=sys.stderr)
    return EXIT_HASH_MISMATCH


def _inspect(args: argparse.Namespace) -> int:
    model, payload = graph.load(args.model)
    print(graph.summary(model, payload))
    if args.format:
        output = args.output or args.model.with_suffix(f".{args.format}")
        graph.write_picture(model, output, args.format)
        print(f"\npicture written to {output}", file=sys.stderr)
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.command == "build":
        spec = load_spec(args.spec)
        _check_threshold(args, spec.gate.metric)
        outcome = build_spec(spec, args.out, args.estimator, args.model_version, _options(args))
        out = args.out or args.spec.parent
        written = _written_failures(outcome, out / failures_filename(spec.name))
        code = _report(outcome, written)
        if outcome.card:
            name = outcome.card["name"]
            print(f"\nwrote {out / onnx_filename(name)} and {out / card_filename(name)}", file=sys.stderr)
        elif written:
            print(f"\ngates failed: the model and card are not written; {written}", file=sys.stderr)
        else:
            print("\ngates failed: nothing written", file=sys.stderr)
        return code
    if args.command == "gates":
        card = read_card(args.card)
        spec = card_spec(card, args.card) if card else None
        # Without a card, --threshold is still checked (against accuracy's range) before
        # the missing card is reported.
        _check_threshold(args, spec.gate.metric if spec else "accuracy")
        if card is None or spec is None:
            raise _no_card(args.card)
        return _gates(args.model, args.card, card, spec, _options(args))
    if args.command == "verify":
        return _verify(args.model, args.card, args.reference)
    return _inspect(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # A gate verdict is 0 or 1; anything that stops a command before a verdict has
    # its own code, so a crash can never pass for a failed (or passed) gate.
    try:
        return _run(args)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_MISSING_INPUT
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception:
        traceback.print_exc()
        print("error: the command crashed (a bug, not a gate verdict)", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
