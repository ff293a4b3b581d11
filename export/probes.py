"""The inputs the parity gate compares scikit-learn and onnxruntime on."""
import itertools
from dataclasses import dataclass
from typing import Final

import numpy as np

from export.train import Dataset

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


@dataclass(frozen=True)
class ProbeSet:
    name: str
    features: np.ndarray
    scale: np.ndarray | None = None
    """Per row, the factor applied to the probability tolerance; None means 1."""


def feature_box(features: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = features.min(axis=0), features.max(axis=0)
    reach = (high - low) * margin
    return low - reach, high + reach


def edge_cases(data: Dataset) -> np.ndarray:
    low, high = feature_box(data.x_all, BOX_MARGIN)
    n_features = data.x_all.shape[1]
    corners = np.array(list(itertools.product(*zip(low, high))))
    exact_bounds = np.stack([data.x_all.min(axis=0), data.x_all.max(axis=0)])
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
    return np.concatenate([corners, exact_bounds, specials]).astype(np.float32)


def tolerance_scale(features: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """How many times farther from the origin a row reaches than the box does (at least 1).

    A float32 input x is only known to about 6e-8·|x|, and the model's float32
    scores inherit that relative resolution; the in-box tolerance is scaled by it.
    """
    reach = float(np.maximum(np.abs(low), np.abs(high)).max())
    return np.maximum(1.0, np.abs(features).max(axis=1) / reach)


def probe_sets(data: Dataset, random_points: int = RANDOM_POINTS, seed: int = RANDOM_SEED) -> list[ProbeSet]:
    low, high = feature_box(data.x_all, BOX_MARGIN)
    rng = np.random.default_rng(seed)
    random = rng.uniform(low, high, size=(random_points, len(low))).astype(np.float32)
    sets = [
        ProbeSet("test split", data.x_test),
        ProbeSet("full data set", data.x_all),
        ProbeSet(f"random box (seed {seed}, margin {BOX_MARGIN})", random),
        ProbeSet("edge cases", edge_cases(data)),
    ]
    for reach in FAR_REACHES:
        far = rng.uniform(-reach, reach, size=(FAR_POINTS, len(low))).astype(np.float32)
        sets.append(ProbeSet(f"far out (±{reach:g}, seed {seed})", far, tolerance_scale(far, low, high)))
    return sets
