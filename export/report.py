"""Human-readable renderings of gate results."""
from export.gates import ParityFigures, ParityResult, QualityResult, ValueParityFigures


def parity_report(result: ParityResult, title: str = "PARITY", verdict: str = "parity gate") -> str:
    if result.sets and all(isinstance(s, ValueParityFigures) for s in result.sets):
        return _value_report(result, title, verdict)
    header = (
        f"{'set':<38} {'rows':>7} {'label≠':>7} {'ties':>6} {'tie≠':>6} {'near':>6} {'near≠':>6} {'p>tol':>6}"
        f" {'max|Δp|':>9} {'max tol':>9}"
    )
    lines = [
        f"{title} (|Δp| <= {result.tolerance:g}, scaled by |x| beyond the box; labels identical, except where"
        " scikit-learn's probability of onnxruntime's label is within that tolerance of its top: a tie, exact or near)"
    ]
    lines.append(header)
    for s in result.sets:
        assert isinstance(s, ParityFigures)
        lines.append(
            f"{s.name:<38} {s.rows:>7} {s.label_mismatches:>7} {s.ties:>6} {s.excused_tie_mismatches:>6}"
            f" {s.near_ties:>6} {s.excused_near_tie_mismatches:>6}"
            f" {s.probability_violations:>6} {s.max_abs_diff:>9.2e} {s.max_tolerance:>9.2e}"
        )
    lines.extend(result.notes)
    lines.append(f"{verdict}: {'PASS' if result.passed else 'FAIL'}")
    return "\n".join(lines)


def _value_report(result: ParityResult, title: str, verdict: str) -> str:
    lines = [
        f"{title} (|Δ| <= {result.tolerance:g} x max(1, max |training target|), scaled by |x| beyond the box)",
        f"{'set':<38} {'rows':>7} {'Δ>tol':>7} {'max|Δ|':>9} {'max tol':>9}",
    ]
    for s in result.sets:
        assert isinstance(s, ValueParityFigures)
        lines.append(f"{s.name:<38} {s.rows:>7} {s.value_violations:>7} {s.max_abs_diff:>9.2e} {s.max_tolerance:>9.2e}")
    lines.extend(result.notes)
    lines.append(f"{verdict}: {'PASS' if result.passed else 'FAIL'}")
    return "\n".join(lines)


def quality_report(result: QualityResult) -> str:
    baseline = "none" if result.baseline is None else f"{result.baseline:.4f} (margin {result.margin:g})"
    lines = [
        f"QUALITY: {result.metric.upper()} (onnxruntime on the "
        + ("held-out split)" if result.held_out else "test split, which the fitted model may have seen: the spec"
           ' names no held-out data ([estimator] held_out = "test_split"))'),
        f"{result.metric} {result.value:.4f} on {result.rows} rows; threshold {result.threshold:.4f};"
        f" committed {baseline}",
        *result.failures,
        f"quality gate: {'PASS' if result.passed else 'FAIL'}",
    ]
    return "\n".join(lines)
