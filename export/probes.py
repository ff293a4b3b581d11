"""The inputs the parity gate compares scikit-learn and onnxruntime on.

A bounded number of rows whatever the number of features (RANDOM_POINTS, plus
FAR_POINTS per reach, plus at most MAX_CORNERS corners), so the gate costs the
same for 4 features or 400.
"""
import itertools
from dataclasses import dataclass
from typing import Final

import numpy as np

from export.datasets import Dataset
from export.rows import Rows

RANDOM_POINTS: Final = 100_000
RANDOM_SEED: Final = 0
# How far beyond the training box the random points reach, as a fraction of each
# feature's range: clients send values the training set never held.
BOX_MARGIN: Final = 0.25
# The gateway serves any finite input, so parity is also probed far outside the
# box. There the float32 rounding of a linear score grows with the input's
# magnitude, and so does the tolerance (`ProbeSet.scale`).
FAR_REACHES: Final = (100.0, 1e4)
FAR_POINTS: Final = 20_000
# Every corner of the box while there are at most this many (12 number columns);
# past that, this many corners drawn at random.
MAX_CORNERS: Final = 4096
# The category value the probes send for "never seen in training".
UNSEEN: Final = "<unseen>"


@dataclass(frozen=True)
class ProbeSet:
    name: str
    rows: Rows
    scale: np.ndarray | None = None
    """Per row, the factor applied to the tolerance; None means 1."""


@dataclass(frozen=True)
class Categories:
    """The values each category column held in training, and the one it never held."""
    seen: list[list[str]]
    unseen: list[str]
    answered: bool
    """Whether the pipeline answers an unseen category (handle_unknown) rather than refusing it."""

    @classmethod
    def of(cls, data: Dataset, answered: bool) -> "Categories":
        seen = [sorted(set(column)) for column in data.x_train.categories.T]
        unseen = []
        for values in seen:
            token = UNSEEN
            while token in values:
                token += "_"
            unseen.append(token)
        return cls(seen, unseen, answered)

    def choices(self, column: int) -> list[str]:
        return self.seen[column] + ([self.unseen[column]] if self.answered else [])

    def draw(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        """Random categories, the unseen one among them where the pipeline answers it."""
        columns = [np.array(self.choices(c), dtype=object)[rng.integers(0, len(self.choices(c)), size=rows)]
                   for c in range(len(self.seen))]
        return np.stack(columns, axis=1) if columns else np.empty((rows, 0), dtype=object)

    def cycle(self, rows: int) -> np.ndarray:
        """Deterministic categories: column c of row i is its (i mod n)-th choice."""
        columns = [np.array([self.choices(c)[i % len(self.choices(c))] for i in range(rows)], dtype=object)
                   for c in range(len(self.seen))]
        return np.stack(columns, axis=1) if columns else np.empty((rows, 0), dtype=object)


def feature_box(numbers: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """The box of the values present (gaps aside), widened by `margin` of each range."""
    low, high = np.nanmin(numbers, axis=0), np.nanmax(numbers, axis=0)
    reach = (high - low) * margin
    return low - reach, high + reach


def corners(low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if 2 ** len(low) <= MAX_CORNERS:
        return np.array(list(itertools.product(*zip(low, high)))).reshape(-1, len(low))
    pick = rng.integers(0, 2, size=(MAX_CORNERS, len(low))).astype(bool)
    return np.where(pick, high, low)


def edge_numbers(data: Dataset, rng: np.random.Generator) -> np.ndarray:
    numbers = data.x_all.numbers
    low, high = feature_box(numbers, BOX_MARGIN)
    n_features = numbers.shape[1]
    exact_bounds = np.stack([np.nanmin(numbers, axis=0), np.nanmax(numbers, axis=0)])
    specials = np.array(
        [
            np.zeros(n_features),
            np.full(n_features, -1.0),
            np.full(n_features, 100.0),
            np.full(n_features, -100.0),
            np.full(n_features, 1e4),
            np.full(n_features, 1e-30),
        ]
    )
    return np.concatenate([corners(low, high, rng), exact_bounds, specials]).astype(np.float32)


def every_category(data: Dataset, categories: Categories) -> Rows:
    """Each category value (and the unseen one, where answered) once per column, numbers at the median."""
    median = np.nanmedian(data.x_train.numbers, axis=0).astype(np.float32)
    base = categories.cycle(1)[0]
    numbers, values = [], []
    for column in range(len(categories.seen)):
        for value in categories.choices(column):
            row = base.copy()
            row[column] = value
            numbers.append(median)
            values.append(row)
    return Rows(data.schema, np.array(numbers).reshape(len(values), -1), np.array(values, dtype=object))


def tolerance_scale(features: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """How many times farther from the origin a row reaches than the box does, feature
    by feature (the largest ratio, at least 1).

    A float32 input x is only known to about 6e-8·|x|, and a linear score's rounding
    error grows with the sum of |w_i·x_i|: at most max_i |x_i| / reach_i times its
    in-box size. The in-box tolerance is scaled by that ratio. Per feature, because
    features differ in scale by orders of magnitude (breast_cancer: 0.05 to 4,254).
    """
    if features.shape[1] == 0:
        return np.ones(len(features))
    reach = np.maximum(np.abs(low), np.abs(high)).astype(np.float64)
    # A constant feature at 0 has no reach of its own: measure it by the widest one.
    reach = np.where(reach > 0, reach, reach.max() if reach.max() > 0 else 1.0)
    return np.maximum(1.0, (np.abs(features.astype(np.float64)) / reach).max(axis=1))


def probe_sets(
    data: Dataset, categories: Categories, random_points: int = RANDOM_POINTS, seed: int = RANDOM_SEED
) -> list[ProbeSet]:
    schema = data.schema
    low, high = feature_box(data.x_all.numbers, BOX_MARGIN)
    rng = np.random.default_rng(seed)
    # Numbers are drawn first and categories after, so that a numbers-only model's
    # probes are the same rows whatever the category logic does.
    random = rng.uniform(low, high, size=(random_points, len(low))).astype(np.float32)
    edges = edge_numbers(data, rng)
    sets = [
        ProbeSet("test split", data.x_test),
        ProbeSet("full data set", data.x_all),
        ProbeSet(f"random box (seed {seed}, margin {BOX_MARGIN})",
                 Rows(schema, random, categories.draw(rng, len(random)))),
        # Its special rows (±100, 1e4) lie outside most boxes: scaled like far-out rows.
        ProbeSet("edge cases", Rows(schema, edges, categories.cycle(len(edges))), tolerance_scale(edges, low, high)),
    ]
    if schema.categories:
        sets.append(ProbeSet("every category" + (" and an unseen one" if categories.answered else ""),
                             every_category(data, categories)))
    for reach in FAR_REACHES:
        far = rng.uniform(-reach, reach, size=(FAR_POINTS, len(low))).astype(np.float32)
        sets.append(ProbeSet(f"far out (±{reach:g}, seed {seed})", Rows(schema, far, categories.draw(rng, len(far))),
                             tolerance_scale(far, low, high)))
    return sets
