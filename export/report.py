"""Human-readable renderings of gate results."""
from export.gates import AccuracyResult, ParityResult


def parity_report(result: ParityResult, title: str = "PARITY", verdict: str = "parity gate") -> str:
    header = (
        f"{'set':<38} {'rows':>7} {'label≠':>7} {'ties':>6} {'tie≠':>6} {'p>tol':>6} {'max|Δp|':>9} {'max tol':>9}"
    )
    lines = [
        f"{title} (labels identical; |Δp| <= {result.tolerance:g}, scaled by |x| beyond the box;"
        " label differences excused only on exact ties)"
    ]
    lines.append(header)
    for s in result.sets:
        lines.append(
            f"{s.name:<38} {s.rows:>7} {s.label_mismatches:>7} {s.ties:>6} {s.excused_tie_mismatches:>6}"
            f" {s.probability_violations:>6} {s.max_abs_diff:>9.2e} {s.max_tolerance:>9.2e}"
        )
    lines.append(f"{verdict}: {'PASS' if result.passed else 'FAIL'}")
    return "\n".join(lines)


def accuracy_report(result: AccuracyResult) -> str:
    baseline = "none" if result.baseline is None else f"{result.baseline:.4f} (margin {result.margin:g})"
    lines = [
        "ACCURACY (onnxruntime on the held-out split)",
        f"accuracy {result.accuracy:.4f} on {result.rows} rows; threshold {result.threshold:.4f}; committed {baseline}",
        *result.failures,
        f"accuracy gate: {'PASS' if result.passed else 'FAIL'}",
    ]
    return "\n".join(lines)
