"""`python -m export`: parse arguments, call the pipeline, map results to exit codes."""
import argparse
import math
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Final, Sequence

from export import graph
from export.card_writer import read_card
from export.contract import CARD_FILENAME, ONNX_FILENAME
from export.convert import sha256
from export.equivalence import equivalence
from export.errors import InputError
from export.gates import ACCURACY_MARGIN, ACCURACY_THRESHOLD, PROBABILITY_ATOL
from export.pipeline import GateOptions, GateOutcome, build, regate
from export.probes import RANDOM_POINTS
from export.report import accuracy_report, parity_report
from export.train import ESTIMATOR_NAMES

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
        "--threshold", type=_number(float, 0, 1), default=ACCURACY_THRESHOLD, help="minimum accuracy (%(default)s)"
    )
    parser.add_argument(
        "--margin", type=_number(float, 0, 1), default=ACCURACY_MARGIN,
        help="how far accuracy may fall below the committed card's figure (%(default)s)",
    )
    parser.add_argument(
        "--tolerance", type=_number(float, 0, 1, low_open=True), default=PROBABILITY_ATOL,
        help="max |Δp| per probability inside the probe box (%(default)s)",
    )
    parser.add_argument(
        "--random-points", type=_number(int, 1, 10_000_000), default=RANDOM_POINTS,
        help="seeded random points for parity (%(default)s)",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m export", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    build_cmd = commands.add_parser("build", help="train, export, run both gates, write model and card")
    build_cmd.add_argument("--estimator", choices=ESTIMATOR_NAMES, default="logistic_regression")
    build_cmd.add_argument("--out", type=Path, default=Path("models"), help="output folder (%(default)s)")
    build_cmd.add_argument("--model-version", default="1", help="version recorded in the card (%(default)s)")
    _gate_arguments(build_cmd)

    gates_cmd = commands.add_parser("gates", help="run both gates on an existing model against its card")
    gates_cmd.add_argument("--model", type=Path, default=Path("models") / ONNX_FILENAME)
    gates_cmd.add_argument("--card", type=Path, default=Path("models") / CARD_FILENAME)
    _gate_arguments(gates_cmd)

    verify_cmd = commands.add_parser("verify", help="check that a model file is the one its card describes")
    verify_cmd.add_argument("--model", type=Path, default=Path("models") / ONNX_FILENAME)
    verify_cmd.add_argument("--card", type=Path, default=Path("models") / CARD_FILENAME)
    verify_cmd.add_argument(
        "--reference", type=Path,
        help="the model the card describes: when the bytes differ, compare the two models' outputs",
    )

    inspect_cmd = commands.add_parser("inspect", help="print the ONNX graph; optionally draw it")
    inspect_cmd.add_argument("model", type=Path)
    inspect_cmd.add_argument("--format", choices=("dot", "svg", "png"), help="also write a picture")
    inspect_cmd.add_argument("--output", type=Path, help="picture path (default: beside the model)")
    return root


def _options(args: argparse.Namespace) -> GateOptions:
    return GateOptions(args.threshold, args.margin, args.tolerance, args.random_points)


def _report(outcome: GateOutcome) -> int:
    print(parity_report(outcome.parity))
    print()
    print(accuracy_report(outcome.accuracy))
    return EXIT_OK if outcome.passed else EXIT_GATE_FAILED


def _read_pair(model_path: Path, card_path: Path) -> tuple[bytes, dict[str, Any], str, str]:
    """The model's bytes, its card, the bytes' sha256 and the sha256 the card records."""
    card = read_card(card_path)
    if card is None:
        raise FileNotFoundError(f"no model card at {card_path}")
    payload = model_path.read_bytes()
    return payload, card, sha256(payload), card["onnx"]["sha256"]


def _gates(model_path: Path, card_path: Path, options: GateOptions) -> int:
    payload, card, actual, expected = _read_pair(model_path, card_path)
    if actual != expected:
        print(f"{model_path} has sha256 {actual}; {card_path} says {expected}: they do not belong together",
              file=sys.stderr)
        return EXIT_HASH_MISMATCH
    return _report(regate(payload, card, options))


def _verify(model_path: Path, card_path: Path, reference_path: Path | None) -> int:
    payload, _, actual, expected = _read_pair(model_path, card_path)
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
    verdict = equivalence(reference, payload)
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
        outcome = build(args.estimator, args.out, args.model_version, _options(args))
        code = _report(outcome)
        print(f"\nwrote {args.out / ONNX_FILENAME} and {args.out / CARD_FILENAME}" if outcome.card else
              "\ngates failed: nothing written", file=sys.stderr)
        return code
    if args.command == "gates":
        return _gates(args.model, args.card, _options(args))
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
