"""Missing values (gaps): where the fitted pipeline answers one, how often training
had one, and the probe sets that prove the ONNX model answers gaps as scikit-learn does.

A column's gap is served ("accepted" in the card) only where scikit-learn answers it
and the parity gate proved the ONNX model gives the same answer; everywhere else the
gateway refuses it with a 400 naming the column ("refused").
"""
import warnings
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np

from export.datasets import Dataset
from export.probes import BOX_MARGIN, Categories, ProbeSet, feature_box
from export.rows import Rows

# Gap probes are drawn from their own stream, so that adding them leaves every
# other probe set (and the parity figures of models without gaps) as it was.
GAP_STREAM: Final = 1
# Rows of the test split each single-column probe set takes, in all across columns
# (at least MIN_ROWS_PER_COLUMN each): the gate's cost stays bounded for 400 columns.
GAP_ROWS: Final = 20_000
MIN_ROWS_PER_COLUMN: Final = 200
MANY_GAPS_POINTS: Final = 5_000
MANY_GAPS_SHARE: Final = 0.5
BOX_GAPS_POINTS: Final = 20_000
BOX_GAPS_SHARE: Final = 0.1
# How the probe set of one column's gap is named; its failure is explained by column.
ALONE_PREFIX: Final = "gap in "

# What the parity gate tells a user whose conversion loses a column's gap routing.
IMPUTE_ADVICE: Final = ("the conversion loses the estimator's own missing-value routing (skl2onnx drops it for"
                        " DecisionTree and RandomForest, sklearn-onnx issue 1253): impute the column in the"
                        " pipeline (SimpleImputer) before the estimator")


@dataclass(frozen=True)
class Gaps:
    names: tuple[str, ...]
    answered: tuple[bool, ...]
    """Per feature: whether the scikit-learn pipeline answers a gap there (rather than raising)."""
    rates: tuple[float, ...]
    """Per feature: the share of training rows with a gap there."""
    unproven: tuple[tuple[str, str], ...] = ()
    """(column, why): answered by scikit-learn, but not served (see `demote`)."""

    @property
    def served(self) -> list[int]:
        """The columns whose gap the gateway answers, by position."""
        demoted = {name for name, _ in self.unproven}
        return [i for i, name in enumerate(self.names) if self.answered[i] and name not in demoted]

    def status(self, position: int) -> str:
        return "accepted" if position in self.served else "refused"

    def reason(self, name: str) -> str | None:
        return dict(self.unproven).get(name)

    def demote(self, name: str, why: str) -> "Gaps":
        return replace(self, unproven=(*self.unproven, (name, why)))


def _gap_rate(count: int, rows: int) -> float:
    # Four significant digits: what a reader (and an alarm threshold) needs.
    return float(f"{count / rows:.4g}") if rows else 0.0


def discover(estimator: Any, data: Dataset) -> Gaps:
    """Ask the fitted pipeline, column by column, to answer a few training rows with a
    gap there: scikit-learn raises ValueError where nothing in the pipeline takes one."""
    probe = data.x_train.take(np.arange(min(5, len(data.x_train))))
    answered = []
    for position in range(len(data.schema.features)):
        gaps = np.zeros((len(probe), len(data.schema.features)), dtype=bool)
        gaps[:, position] = True
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator.predict(probe.with_gaps(gaps).for_estimator())
        except (ValueError, TypeError):
            answered.append(False)
        else:
            answered.append(True)
    counts = data.x_train.missing().sum(axis=0)
    rates = tuple(_gap_rate(int(count), len(data.x_train)) for count in counts)
    return Gaps(tuple(data.schema.names), tuple(answered), rates)


def _rows_per_column(data: Dataset, columns: int) -> int:
    return min(len(data.x_test), max(MIN_ROWS_PER_COLUMN, GAP_ROWS // max(columns, 1)))


def alone(data: Dataset, gaps: Gaps, position: int) -> ProbeSet:
    """Test rows with a gap in one column (and whatever gaps they already hold)."""
    base = data.x_test.take(np.arange(_rows_per_column(data, len(gaps.served) or 1)))
    mask = np.zeros((len(base), len(gaps.names)), dtype=bool)
    mask[:, position] = True
    return ProbeSet(f"{ALONE_PREFIX}{gaps.names[position]}", base.with_gaps(mask))


def _random_gaps(rng: np.random.Generator, rows: int, served: list[int], columns: int, share: float) -> np.ndarray:
    mask = np.zeros((rows, columns), dtype=bool)
    mask[:, served] = rng.random((rows, len(served))) < share
    return mask


def gap_probe_sets(data: Dataset, categories: Categories, gaps: Gaps, seed: int) -> list[ProbeSet]:
    """Each served column's gap alone, rows with many gaps, rows with every served
    column missing, and gaps inside the random box; nothing where no gap is served."""
    served = gaps.served
    if not served:
        return []
    schema, columns = data.schema, len(gaps.names)
    rng = np.random.default_rng([seed, GAP_STREAM])
    low, high = feature_box(data.x_all.numbers, BOX_MARGIN)
    sets = [alone(data, gaps, position) for position in served]

    def box(points: int, share: float) -> Rows:
        numbers = rng.uniform(low, high, size=(points, len(low))).astype(np.float32)
        rows = Rows(schema, numbers, categories.draw(rng, points))
        return rows.with_gaps(_random_gaps(rng, points, served, columns, share))

    sets.append(ProbeSet(f"many gaps ({MANY_GAPS_SHARE:.0%} of cells, seed {seed})",
                         box(MANY_GAPS_POINTS, MANY_GAPS_SHARE)))
    base = data.x_test.take(np.arange(_rows_per_column(data, 1)))
    every = np.zeros((len(base), columns), dtype=bool)
    every[:, served] = True
    what = "every column" if len(served) == columns else f"all {len(served)} columns that take one"
    sets.append(ProbeSet(f"gaps in {what}", base.with_gaps(every)))
    sets.append(ProbeSet(f"random box with gaps ({BOX_GAPS_SHARE:.0%}, seed {seed})",
                         box(BOX_GAPS_POINTS, BOX_GAPS_SHARE)))
    return sets
