"""Counting rows outside a box of feature bounds, on the hot path.

The gateway counts two such boxes per prediction: the training range (a drift
signal) and the region where the export's parity gate proved the ONNX model equal
to scikit-learn (traffic answered outside it is answered on weaker evidence).
"""
import numpy as np


class Box:
    def __init__(self, low: np.ndarray, high: np.ndarray) -> None:
        self.low, self.high = low.astype(np.float32), high.astype(np.float32)
        self._low, self._high = self.low.tolist(), self.high.tolist()
        n_features = len(self._low)
        self._row_as_integer = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}.get(n_features)
        self._low_rows = self._high_rows = np.empty((0, n_features), dtype=np.float32)

    def contains(self, other: "Box") -> bool:
        """Whether every point of `other` is in this box."""
        return bool((self.low <= other.low).all() and (other.high <= self.high).all())

    def outside(self, rows: np.ndarray) -> int:
        """How many rows have any feature outside the box (a gap, NaN, is in no direction outside)."""
        if len(rows) == 1:  # plain Python is cheaper than five numpy calls for one row
            for value, low, high in zip(rows.tolist()[0], self._low, self._high):
                if not low <= value <= high and value == value:
                    return 1
            return 0
        if len(rows) > len(self._low_rows):
            # The bounds as full matrices: comparing same-shape arrays is faster than
            # broadcasting a short vector over many rows. Grown once, reused.
            self._low_rows = np.tile(self.low, (len(rows), 1))
            self._high_rows = np.tile(self.high, (len(rows), 1))
        outside = np.less(rows, self._low_rows[:len(rows)])
        outside |= np.greater(rows, self._high_rows[:len(rows)])
        if self._row_as_integer is not None:
            # Each row's booleans read as one unsigned integer: non-zero when any
            # feature is outside. Twice as fast as any(axis=1) for 1,000 rows.
            return int(np.count_nonzero(outside.view(self._row_as_integer)))
        return int(np.count_nonzero(outside.any(axis=1)))
