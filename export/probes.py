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


@dataclass(frozen=True)
class ProbeSet:
    name: str
    features: np.ndarray


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


def probe_sets(data: Dataset, random_points: int = RANDOM_POINTS, seed: int = RANDOM_SEED) -> list[ProbeSet]:
    low, high = feature_box(data.x_all, BOX_MARGIN)
    rng = np.random.default_rng(seed)
    random = rng.uniform(low, high, size=(random_points, len(low))).astype(np.float32)
    return [
        ProbeSet("test split", data.x_test),
        ProbeSet("full data set", data.x_all),
        ProbeSet(f"random box (seed {seed}, margin {BOX_MARGIN})", random),
        ProbeSet("edge cases", edge_cases(data)),
    ]
